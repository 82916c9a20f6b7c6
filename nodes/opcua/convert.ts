/**
 * JS value -> Variant of a variable's own DataType and value rank, or a ConversionError that says
 * exactly what is wrong (nothing is sent then). The variable's type comes from the server (VariableInfo,
 * read once per NodeId); the user never types `;datatype=`. No Node-RED here.
 */
import { DataType, Variant, VariantArrayType, coerceNodeId } from 'node-opcua-client';
import { roundHalfAway } from '../modbus/codec';
import type { Scaling } from '../tags/tag';

/** What a write needs to know about a variable, read from the server once per NodeId. */
export interface VariableInfo {
  readonly nodeId: string;
  /** The built-in type that goes on the wire (an enumeration is Int32, Duration is Double, ...). */
  readonly dataType: DataType;
  /** The declared DataType's name when it is not the built-in one, e.g. `Duration`, `MachineState`. */
  readonly dataTypeName: string;
  /** The declared DataType's NodeId (`i=884`, `ns=2;i=3002`), where a structure is written by it. */
  readonly dataTypeId?: string;
  /** -3 scalar or one dimension, -2 any, -1 scalar, 0 one or more dimensions, n >= 1 exactly n. */
  readonly valueRank: number;
  readonly arrayDimensions: readonly number[];
}

export class ConversionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConversionError';
  }
}

const FLOAT32_MAX = 3.4028234663852886e38;
const INT_RANGES: Partial<Record<DataType, readonly [number, number]>> = {
  [DataType.SByte]: [-128, 127],
  [DataType.Byte]: [0, 255],
  [DataType.Int16]: [-32768, 32767],
  [DataType.UInt16]: [0, 65535],
  [DataType.Int32]: [-2147483648, 2147483647],
  [DataType.UInt32]: [0, 4294967295],
};
const INT64: readonly [bigint, bigint] = [-(2n ** 63n), 2n ** 63n - 1n];
const UINT64: readonly [bigint, bigint] = [0n, 2n ** 64n - 1n];
const GUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

/** `Int32`, or `Duration (Double)` for a derived type. */
export function typeName(info: VariableInfo): string {
  const builtIn = DataType[info.dataType];
  return info.dataTypeName && info.dataTypeName !== builtIn ? `${info.dataTypeName} (${builtIn})` : builtIn;
}

function shapeText(info: VariableInfo): string {
  const t = typeName(info);
  if (info.valueRank === -1) return `a scalar ${t}`;
  if (info.valueRank === 1) return `an array of ${t}`;
  if (info.valueRank > 1) return `a ${info.valueRank}-dimensional array of ${t}`;
  return info.valueRank === 0 ? `an array of ${t}` : t;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  switch (typeof value) {
    case 'string':
      return `string '${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
    case 'number':
      return Number.isNaN(value) ? 'NaN' : `number ${value}`;
    case 'bigint':
      return `bigint ${value}n`;
    case 'boolean':
      return `boolean ${String(value)}`;
    case 'undefined':
      return 'undefined (no payload)';
    default:
      return value instanceof Date ? `date ${String(value)}` : typeof value;
  }
}

function isArrayValue(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView) && !Buffer.isBuffer(value));
}

/**
 * Applies the inverse of the tag's scaling (raw = (eng - offset) / gain) to numbers and arrays of
 * numbers; integer targets are rounded half away from zero, as Modbus writes are.
 */
export function unscale(value: unknown, scaling: Scaling | undefined, info: VariableInfo): unknown {
  if (!scaling) return value;
  const integer = INT_RANGES[info.dataType] !== undefined || info.dataType === DataType.Int64 || info.dataType === DataType.UInt64;
  const one = (v: unknown): unknown => {
    if (typeof v !== 'number' && typeof v !== 'bigint') return v;
    const raw = (Number(v) - scaling.offset) / scaling.gain;
    return integer && Number.isFinite(raw) ? roundHalfAway(raw) : raw;
  };
  return isArrayValue(value) ? Array.from(value, one) : one(value);
}

/**
 * The Variant to write for `value`; `what` names the target in messages (tag name or NodeId).
 * Throws ConversionError, never anything else, for a value that does not fit.
 */
export function toVariant(value: unknown, info: VariableInfo, what: string): Variant {
  const fail = (why: string): never => {
    throw new ConversionError(`${what} is ${shapeText(info)}: ${why}`);
  };
  const rank = info.valueRank;
  const array = isArrayValue(value);
  // A matrix: the declared rank, or nested arrays where the rank allows any number of dimensions.
  const nested = array && (rank === 0 || rank === -2) && Array.from(value).some(isArrayValue);
  if (rank > 1 || nested) return matrixVariant(value, info, rank > 1 ? rank : undefined, fail);
  if (rank === -1 && array) fail(`expected a single value, got ${describeValue(value)}`);
  if ((rank === 0 || rank === 1) && !array) fail(`expected an array, got ${describeValue(value)}`);

  if (!array) return new Variant({ dataType: info.dataType, arrayType: VariantArrayType.Scalar, value: scalar(value, info.dataType, fail) });

  const items = Array.from(value);
  const max = info.arrayDimensions[0] ?? 0;
  if (max > 0 && items.length > max) fail(`the array has ${items.length} elements, at most ${max} fit`);
  const converted = items.map((item, i) => scalar(item, info.dataType, (why) => fail(`element ${i}: ${why}`)));
  return new Variant({ dataType: info.dataType, arrayType: VariantArrayType.Array, value: typedArray(info.dataType, converted) });
}

/**
 * Nested arrays (rows of columns, ...) -> a Matrix Variant: rectangular, as many dimensions as the
 * variable's rank (when it has a fixed one), none longer than its ArrayDimensions allow (0 = any length).
 */
function matrixVariant(value: unknown, info: VariableInfo, rank: number | undefined, fail: Fail): Variant {
  const dims: number[] = [];
  for (let level: unknown = value; isArrayValue(level); level = Array.from(level)[0]) {
    dims.push(level.length);
    if (level.length === 0) break;
  }
  if (rank !== undefined && dims.length !== rank) {
    fail(`expected ${rank} levels of nested arrays (${rank === 2 ? 'an array of rows' : 'arrays of arrays'}), got ${dims.length === 1 ? `an array of ${dims[0]} values` : `${dims.length} levels`}`);
  }
  const flat: unknown[] = [];
  const walk = (node: unknown, level: number, at: string): void => {
    if (level === dims.length) {
      if (isArrayValue(node)) fail(`element ${at} is an array, where ${dims.length} levels of nesting end`);
      flat.push(scalar(node, info.dataType, (why) => fail(`element ${at}: ${why}`)));
      return;
    }
    if (!isArrayValue(node)) return fail(`element ${at || '[]'} must be an array of ${dims[level]}, got ${describeValue(node)}`);
    if (node.length !== dims[level]) fail(`the array is not rectangular: ${at || 'the value'} has ${node.length} elements where ${dims[level]} are expected (dimensions ${dims.join(' x ')})`);
    Array.from(node).forEach((child, i) => walk(child, level + 1, `${at}[${i}]`));
  };
  walk(value, 0, '');
  dims.forEach((n, i) => {
    const max = info.arrayDimensions[i] ?? 0;
    if (max > 0 && n > max) fail(`dimension ${i + 1} has ${n} elements, at most ${max} fit (ArrayDimensions ${info.arrayDimensions.join(' x ')})`);
  });
  return new Variant({ dataType: info.dataType, arrayType: VariantArrayType.Matrix, dimensions: dims, value: typedArray(info.dataType, flat) });
}

function typedArray(dataType: DataType, items: unknown[]): unknown {
  switch (dataType) {
    case DataType.SByte:
      return Int8Array.from(items as number[]);
    case DataType.Byte:
      return Uint8Array.from(items as number[]);
    case DataType.Int16:
      return Int16Array.from(items as number[]);
    case DataType.UInt16:
      return Uint16Array.from(items as number[]);
    case DataType.Int32:
      return Int32Array.from(items as number[]);
    case DataType.UInt32:
      return Uint32Array.from(items as number[]);
    case DataType.Float:
      return Float32Array.from(items as number[]);
    case DataType.Double:
      return Float64Array.from(items as number[]);
    default:
      return items;
  }
}

type Fail = (why: string) => never;

function finiteNumber(value: unknown, fail: Fail): number {
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'number') return fail(`expected a number, got ${describeValue(value)}`);
  if (Number.isNaN(value)) return fail('NaN is not a value that can be written');
  if (!Number.isFinite(value)) return fail(`${value} is not a finite number`);
  return value;
}

function scalar(value: unknown, dataType: DataType, fail: Fail): unknown {
  const range = INT_RANGES[dataType];
  if (range !== undefined) {
    const n = finiteNumber(value, fail);
    if (!Number.isInteger(n)) return fail(`expected a whole number, got ${n}`);
    if (n < range[0] || n > range[1]) return fail(`${n} is out of range ${range[0]}..${range[1]}`);
    return n;
  }
  switch (dataType) {
    case DataType.Boolean:
      if (value === true || value === 1) return true;
      if (value === false || value === 0) return false;
      return fail(`expected true, false, 0 or 1, got ${describeValue(value)}`);
    case DataType.Int64:
      return int64Pair(value, INT64, fail);
    case DataType.UInt64:
      return int64Pair(value, UINT64, fail);
    case DataType.Float: {
      const n = finiteNumber(value, fail);
      if (Math.abs(n) > FLOAT32_MAX) return fail(`${n} is out of range ±${FLOAT32_MAX}`);
      return n;
    }
    case DataType.Double:
      return finiteNumber(value, fail);
    case DataType.String:
    case DataType.XmlElement:
      return typeof value === 'string' ? value : fail(`expected a string, got ${describeValue(value)}`);
    case DataType.LocalizedText:
      if (typeof value === 'string') return { text: value };
      if (value && typeof value === 'object' && typeof (value as { text?: unknown }).text === 'string') return value;
      return fail(`expected a string, got ${describeValue(value)}`);
    case DataType.QualifiedName:
      return typeof value === 'string' && value ? { name: value } : fail(`expected a name, got ${describeValue(value)}`);
    case DataType.DateTime: {
      const d = value instanceof Date ? value : typeof value === 'number' || typeof value === 'string' ? new Date(value) : undefined;
      if (!d || Number.isNaN(d.getTime())) return fail(`expected a Date, ms since 1970 or an ISO 8601 text, got ${describeValue(value)}`);
      return d;
    }
    case DataType.Guid:
      return typeof value === 'string' && GUID.test(value) ? value : fail(`expected a GUID like 72962b91-fa75-4ae6-8d28-b404dc7daf63, got ${describeValue(value)}`);
    case DataType.ByteString:
      if (Buffer.isBuffer(value)) return value;
      if (value instanceof Uint8Array) return Buffer.from(value);
      return fail(`expected a Buffer, got ${describeValue(value)}`);
    case DataType.NodeId:
      if (typeof value !== 'string') return fail(`expected a NodeId text, got ${describeValue(value)}`);
      try {
        return coerceNodeId(value);
      } catch {
        return fail(`'${value}' is not a NodeId`);
      }
    default:
      return fail(`writing ${DataType[dataType]} values is not supported`);
  }
}

/** node-opcua's wire form of a 64-bit integer: [high, low] 32-bit halves. */
function int64Pair(value: unknown, range: readonly [bigint, bigint], fail: Fail): [number, number] {
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'string' && /^[+-]?\d+$/.test(value.trim())) big = BigInt(value.trim());
  else {
    const n = finiteNumber(value, fail);
    if (!Number.isInteger(n)) return fail(`expected a whole number, got ${n}`);
    if (!Number.isSafeInteger(n)) return fail(`${n} is beyond 2^53 and not exact: give a bigint or a decimal text`);
    big = BigInt(n);
  }
  if (big < range[0] || big > range[1]) return fail(`${big} is out of range ${range[0]}..${range[1]}`);
  const u = BigInt.asUintN(64, big);
  return [Number(u >> 32n), Number(u & 0xffffffffn)];
}
