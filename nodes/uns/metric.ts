/**
 * What the UNS publisher keeps of a tag value: its name, value, source time, quality and the metadata a
 * consumer needs (Sparkplug datatype, unit, engineering range). Built from the package's tag messages
 * (one tag per message, or one scan with all values in msg.payload) and, when given, the tag map.
 * This is also the row stored in the store-and-forward buffer. No Node-RED here.
 */
import type { DataType, Tag } from '../tags/tag';

export type Quality = 'good' | 'uncertain' | 'bad';
export type MetricValue = number | boolean | string | null;

/** Sparkplug B datatypes used for tag values. */
export type SparkplugType = 'Boolean' | 'Int16' | 'UInt16' | 'Int32' | 'UInt32' | 'Int64' | 'UInt64' | 'Float' | 'Double' | 'String';

export interface MetricMeta {
  readonly type: SparkplugType;
  readonly unit?: string;
  readonly engLow?: number;
  readonly engHigh?: number;
  readonly description?: string;
}

export interface MetricUpdate extends MetricMeta {
  /** The ISA-95 tag name `site/area/line/machine/tag`. */
  readonly name: string;
  readonly value: MetricValue;
  readonly timestamp: number;
  readonly quality: Quality;
}

const TYPES: Readonly<Record<DataType, SparkplugType>> = {
  bool: 'Boolean',
  int16: 'Int16',
  uint16: 'UInt16',
  int32: 'Int32',
  uint32: 'UInt32',
  int64: 'Int64',
  uint64: 'UInt64',
  float32: 'Float',
  float64: 'Double',
  string: 'String',
};

const INTEGER = new Set<DataType>(['int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']);

/**
 * The Sparkplug datatype of a value whose message names its tag's type (msg.tag.dataType). That type is
 * the register's (Modbus) before scaling: a scaled int16 gives 21.5. Without the tag map to say whether a
 * tag is scaled, integers are published as Double, which holds either without a rebirth.
 */
export function sparkplugType(dataType: unknown, value: unknown): SparkplugType {
  if (typeof dataType === 'string' && Object.prototype.hasOwnProperty.call(TYPES, dataType)) return INTEGER.has(dataType as DataType) ? 'Double' : TYPES[dataType as DataType];
  if (typeof value === 'boolean') return 'Boolean';
  if (typeof value === 'string') return 'String';
  return 'Double';
}

/** Metadata of a tag of the tag map: its type, Double when scaled (the engineering value is no integer). */
export function tagMapMeta(tag: Tag): MetricMeta {
  const range = tag.scaling?.range;
  const scaled = tag.scaling !== undefined && (tag.scaling.gain !== 1 || tag.scaling.offset !== 0);
  return {
    type: scaled && INTEGER.has(tag.dataType) ? 'Double' : TYPES[tag.dataType],
    ...(tag.unit ? { unit: tag.unit } : {}),
    ...(range ? { engLow: range.engLow, engHigh: range.engHigh } : {}),
    ...(tag.description ? { description: tag.description } : {}),
  };
}

const QUALITIES: readonly Quality[] = ['good', 'uncertain', 'bad'];

/** Why `value` cannot be a value of `type` ('' when it can). */
function valueProblem(value: MetricValue, type: SparkplugType): string {
  if (value === null) return '';
  if (type === 'Boolean') return typeof value === 'boolean' ? '' : `is ${JSON.stringify(value)}, not a boolean`;
  if (type === 'String') return typeof value === 'string' ? '' : `is ${JSON.stringify(value)}, not a string`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `is ${JSON.stringify(value)}, not a finite number`;
  if (type !== 'Float' && type !== 'Double' && !Number.isInteger(value)) return `is ${value}, not a whole number (${type})`;
  return '';
}

export type MetaLookup = (name: string) => MetricMeta | undefined;

interface TagFields {
  readonly unit?: unknown;
  readonly dataType?: unknown;
  readonly description?: unknown;
  readonly engLow?: unknown;
  readonly engHigh?: unknown;
}

/**
 * Bounds of what one message may publish. A metric's current value goes out again in every birth (a new
 * metric, a rebirth request), so a few huge values, or a scan of a million names, would make each birth
 * megabytes of work that holds up the whole hub: tag values are small, and these limits are far above them.
 */
export const MAX_TEXT_CHARS = 65_536;
export const MAX_VALUES_PER_MESSAGE = 10_000;

function update(name: string, raw: unknown, timestamp: number, quality: Quality, tag: TagFields | undefined, lookup: MetaLookup): MetricUpdate {
  if (name === '' || name.length > 1000) throw new Error(`tag name "${name.slice(0, 80)}" must have 1 to 1000 characters`);
  let value: MetricValue;
  if (raw === null || raw === undefined) value = null;
  else if (typeof raw === 'string' && raw.length > MAX_TEXT_CHARS) throw new Error(`tag ${name}: a text of ${raw.length} characters; uns publish takes at most ${MAX_TEXT_CHARS}`);
  else if (typeof raw === 'number' || typeof raw === 'boolean' || typeof raw === 'string') value = raw;
  else if (typeof raw === 'bigint') value = Number(raw);
  else throw new Error(`tag ${name}: value is ${Array.isArray(raw) ? 'an array' : typeof raw}, not a number, boolean or string`);
  const known = lookup(name);
  const fromMsg: MetricMeta = {
    type: sparkplugType(tag?.dataType, value),
    ...(typeof tag?.unit === 'string' && tag.unit !== '' ? { unit: tag.unit } : {}),
    ...(typeof tag?.engLow === 'number' ? { engLow: tag.engLow } : {}),
    ...(typeof tag?.engHigh === 'number' ? { engHigh: tag.engHigh } : {}),
    ...(typeof tag?.description === 'string' && tag.description !== '' ? { description: tag.description } : {}),
  };
  const meta = known ?? fromMsg;
  const problem = valueProblem(value, meta.type);
  if (problem) throw new Error(`tag ${name}: value ${problem}`);
  return { name, value, timestamp, quality, ...meta };
}

function qualityOf(q: unknown, name: string): Quality {
  if (q === undefined || q === null) return 'good';
  if (QUALITIES.includes(q as Quality)) return q as Quality;
  throw new Error(`tag ${name}: quality must be good, uncertain or bad, not ${JSON.stringify(q)}`);
}

function timeOf(t: unknown, now: number, name: string): number {
  if (t === undefined || t === null) return now;
  const ms = t instanceof Date ? t.getTime() : t;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new Error(`${name}: timestamp must be a time in ms, not ${JSON.stringify(t)}`);
  return Math.round(ms);
}

/** The message fields this module reads. */
export interface TagMessage {
  readonly topic?: unknown;
  readonly payload?: unknown;
  readonly timestamp?: unknown;
  readonly quality?: unknown;
  readonly tag?: unknown;
  /** Per-tag details of a scan message (OPC UA subscribe): {name: {value, quality, timestamp, unit}}. */
  readonly readings?: unknown;
  /** Per-tag errors of a scan message (Modbus read): {name: error}, those tags are bad. */
  readonly errors?: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The metric updates of one tag message: a value message (topic = tag name, payload = value) gives one,
 * a scan message (payload = {name: value}) one per tag. Throws a clear error for anything else.
 */
export function updatesOf(msg: TagMessage, lookup: MetaLookup, now = Date.now()): MetricUpdate[] {
  const msgTime = timeOf(msg.timestamp, now, 'message');
  if (isRecord(msg.payload)) {
    const readings = isRecord(msg.readings) ? msg.readings : {};
    const errors = isRecord(msg.errors) ? msg.errors : {};
    const out: MetricUpdate[] = [];
    const entries = Object.entries(msg.payload);
    if (entries.length > MAX_VALUES_PER_MESSAGE) throw new Error(`the scan message has ${entries.length} values; uns publish takes at most ${MAX_VALUES_PER_MESSAGE} per message`);
    for (const [name, value] of entries) {
      const r = isRecord(readings[name]) ? readings[name] : undefined;
      const quality = errors[name] !== undefined ? 'bad' : qualityOf(r?.quality ?? msg.quality, name);
      out.push(update(name, value, r ? timeOf(r.timestamp, msgTime, name) : msgTime, quality, r, lookup));
    }
    if (out.length === 0) throw new Error('the scan message has no values in msg.payload');
    return out;
  }
  if (typeof msg.topic !== 'string' || msg.topic === '') throw new Error('msg.topic must be the tag name (or msg.payload an object of tag values)');
  return [update(msg.topic, msg.payload, msgTime, qualityOf(msg.quality, msg.topic), isRecord(msg.tag) ? msg.tag : undefined, lookup)];
}
