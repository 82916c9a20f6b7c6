/**
 * Server data -> message values: a DataValue becomes a plain JS value (scaled when the tag says so),
 * a quality from its StatusCode, and the server's source timestamp. No Node-RED here.
 */
import type { DataValue, StatusCode, Variant } from 'node-opcua-client';
import { DataType, VariantArrayType } from 'node-opcua-client';
import type { PrecisionSource } from '../tags/precision';
import { valueRounding } from '../tags/precision';
import type { Scaling } from '../tags/tag';

export type Quality = 'good' | 'uncertain' | 'bad';

/** OPC UA severity bits (Part 4, 7.39): 00 good, 01 uncertain, 10/11 bad. */
export function qualityOf(statusCode: StatusCode): Quality {
  const severity = statusCode.value >>> 30;
  return severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad';
}

export interface Reading {
  readonly value: unknown;
  readonly quality: Quality;
  /** Status code name, e.g. `Good`, `UncertainLastUsableValue`, `BadNodeIdUnknown`. */
  readonly statusCode: string;
  /** Source timestamp in ms; the server timestamp, then the receive time, when the server sent none. */
  readonly timestamp: number;
  readonly serverTimestamp?: number;
}

/** `tag`: the tag map's entry of the variable (its scaling and precision), when it has one. */
export function readingOf(dv: DataValue, receivedAt: number, tag?: PrecisionSource): Reading {
  const source = dv.sourceTimestamp?.getTime();
  const server = dv.serverTimestamp?.getTime();
  const raw = jsValue(dv.value);
  const scaled = tag?.scaling ? scale(raw, tag.scaling) : raw;
  const round = tag && valueRounding(tag);
  return {
    value: round ? roundValue(scaled, round) : scaled,
    quality: qualityOf(dv.statusCode),
    statusCode: dv.statusCode.name,
    timestamp: source || server || receivedAt,
    ...(server ? { serverTimestamp: server } : {}),
  };
}

/** engineering = raw * gain + offset, element-wise for arrays; non-numbers pass through. */
export function scale(value: unknown, s: Scaling): unknown {
  if (typeof value === 'number') return value * s.gain + s.offset;
  if (typeof value === 'bigint') return Number(value) * s.gain + s.offset;
  if (Array.isArray(value)) return value.map((v) => scale(v, s));
  return value;
}

/** Numbers rounded element-wise (arrays too); other values pass through. */
function roundValue(value: unknown, round: (n: number) => number): unknown {
  if (typeof value === 'number') return round(value);
  if (Array.isArray(value)) return value.map((v) => roundValue(v, round));
  return value;
}

const TWO_32 = 4294967296n;

/** node-opcua's [high, low] 64-bit pair to a number when exact, else a bigint. */
export function int64Value(pair: unknown, signed: boolean): number | bigint {
  if (!Array.isArray(pair) || pair.length !== 2) return Number(pair);
  const [high, low] = pair as [number, number];
  let big = BigInt(high >>> 0) * TWO_32 + BigInt(low >>> 0);
  if (signed) big = BigInt.asIntN(64, big);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** A Variant as plain JS: typed arrays become arrays, texts become strings, 64-bit integers numbers. */
export function jsValue(variant: Variant | null | undefined): unknown {
  if (!variant || variant.dataType === DataType.Null) return null;
  const { dataType, arrayType } = variant;
  const value: unknown = variant.value;
  if (arrayType === VariantArrayType.Scalar) return scalar(dataType, value);
  const items = value === null || value === undefined ? [] : Array.from(value as ArrayLike<unknown>, (v) => scalar(dataType, v));
  if (arrayType === VariantArrayType.Matrix && variant.dimensions && variant.dimensions.length > 1) return reshape(items, variant.dimensions);
  return items;
}

function reshape(flat: unknown[], dims: readonly number[]): unknown[] {
  if (dims.length <= 1) return flat;
  const [, ...rest] = dims;
  const size = rest.reduce((a, b) => a * b, 1);
  const out: unknown[] = [];
  for (let i = 0; i < flat.length; i += size) out.push(reshape(flat.slice(i, i + size), rest));
  return out;
}

interface HasText {
  text?: string | null;
}
interface HasName {
  name?: string | null;
  namespaceIndex?: number;
}
interface HasToJson {
  toJSON(): unknown;
}

function scalar(dataType: DataType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (dataType) {
    case DataType.Int64:
      return int64Value(value, true);
    case DataType.UInt64:
      return int64Value(value, false);
    case DataType.LocalizedText:
      return (value as HasText).text ?? null;
    case DataType.QualifiedName: {
      const q = value as HasName;
      return q.namespaceIndex ? `${q.namespaceIndex}:${q.name ?? ''}` : (q.name ?? '');
    }
    case DataType.NodeId:
    case DataType.ExpandedNodeId:
      return (value as { toString(): string }).toString();
    case DataType.StatusCode:
      return (value as StatusCode).name;
    case DataType.Variant:
      return jsValue(value as Variant);
    case DataType.ExtensionObject:
    case DataType.DataValue:
    case DataType.DiagnosticInfo:
      return typeof (value as Partial<HasToJson>).toJSON === 'function' ? (value as HasToJson).toJSON() : value;
    default:
      // Boolean, numbers, String, DateTime (Date), Guid (string), ByteString (Buffer), XmlElement
      return value;
  }
}
