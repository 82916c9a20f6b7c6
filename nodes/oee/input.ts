/**
 * Messages into engine events. Pure: the adapter passes the message and the hub's clock.
 *
 * A tag value (the hub's convention): `msg.topic` = tag name, `msg.payload` = value, `msg.timestamp` =
 * source time in ms, `msg.quality` = good | uncertain | bad. One message per scan: `msg.payload` is an
 * object of tag name -> value with `msg.timestamp`, per-tag quality and time in `msg.readings[name]`
 * (OPC UA) or failed tags in `msg.errors[name]` (Modbus). A scan's tags that the node does not map are
 * ignored; a single value under a topic the node does not know (a mistyped tag name) is `unknown-topic`; a
 * sample of bad quality is not applied (it proves nothing, so silence turns into "no data"); a sample
 * without a timestamp is stamped with the hub's clock on arrival. A mapped tag's value or time that is no
 * value at all (an object, an array, a Buffer, a text over MAX_TEXT characters) is refused here, and a
 * property whose getter throws makes the message invalid, naming the property: nothing here throws.
 *
 * Control messages: `assign-reason` ({stopId, reason}), `tick` (msg.timestamp) and `report`.
 */
import type { InputEvent } from './events';
import type { InputMapping, Role } from './node-config';
import { toError } from '../shared/guard';

/** One tag value bound for the engine. */
export interface Sample {
  readonly tag: string;
  readonly role: Role;
  readonly event: InputEvent;
}

/** A sample of a mapped tag whose value or time is no value at all (a Buffer, an array, a 10 MB text). */
export interface Refused {
  readonly tag: string;
  readonly role: Role;
  readonly problem: string;
}

export type ParsedMessage =
  | { readonly kind: 'samples'; readonly samples: readonly Sample[]; readonly badQuality: readonly string[]; readonly refused: readonly Refused[] }
  | { readonly kind: 'assign'; readonly t: number; readonly stopId: unknown; readonly reason: unknown }
  | { readonly kind: 'tick'; readonly t: unknown }
  | { readonly kind: 'report' }
  /** The machine's link is alive without a new value (fh-opcua-subscribe's keep-alive). */
  | { readonly kind: 'alive' }
  /** A single value under a topic that is neither a mapped tag nor a control topic. */
  | { readonly kind: 'unknown-topic'; readonly topic: string }
  /** A message the node cannot read at all (e.g. an assign-reason without a payload object). */
  | { readonly kind: 'invalid'; readonly message: string; readonly input: string };

type Msg = Readonly<Record<string, unknown>>;

/** The topics of control messages (they cannot be tag names). */
export const CONTROL_TOPICS = ['assign-reason', 'tick', 'report', 'alive'] as const;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer);

/** Texts longer than this are no tag value, timestamp or code of the OEE (and would flood a log line). */
export const MAX_TEXT = 200;

/**
 * A value as an error message shows it: short, and never throws, whatever a flow made the message
 * (a 10 MB text, a Buffer, an object with throwing getters or a thousand levels of nesting).
 */
export function describeValue(v: unknown): string {
  try {
    switch (typeof v) {
      case 'string':
        return v.length <= 60 ? JSON.stringify(v) : `${JSON.stringify(v.slice(0, 40))}… (a text of ${v.length} characters)`;
      case 'bigint':
        return `${v}n`;
      case 'function':
        return 'a function';
      case 'object':
        break;
      default:
        return String(v);
    }
    if (v === null) return 'null';
    if (Array.isArray(v)) return `an array of ${v.length} item${v.length === 1 ? '' : 's'}`;
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'an invalid Date' : `the Date ${v.toISOString()}`;
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return `${Buffer.isBuffer(v) ? 'a Buffer' : 'binary data'} of ${v.byteLength} byte${v.byteLength === 1 ? '' : 's'}`;
    const keys = Object.keys(v);
    const shown = keys.slice(0, 3).map((k) => JSON.stringify(k.length > 20 ? `${k.slice(0, 20)}…` : k));
    return keys.length === 0 ? 'an empty object' : `an object with ${keys.length === 1 ? 'key' : 'keys'} ${shown.join(', ')}${keys.length > 3 ? ', …' : ''}`;
  } catch {
    return 'a value that cannot be read';
  }
}

/** Why `v` cannot be a tag value, code or timestamp at all (before the engine checks its meaning), or undefined. */
function notScalar(v: unknown): string | undefined {
  if (v === undefined || v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' || v instanceof Date) return undefined;
  if (typeof v === 'string') return v.length <= MAX_TEXT ? undefined : `${describeValue(v)} is longer than ${MAX_TEXT} characters`;
  return `${describeValue(v)} is not a number, text or true/false`;
}

/**
 * A source time: ms since 1970 (fractions of a ms dropped), a Date, or an ISO 8601 text; absent means
 * "now". Anything else is passed on as it is, so the engine rejects it as a bad timestamp naming the input.
 */
export function sourceTime(v: unknown, now: number): number {
  if (v === undefined || v === null) return now;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.floor(v) : v;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
  }
  return v as number;
}

const num = (v: unknown): unknown => (typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

/** The engine event of a tag's value in its role. Values of the wrong type reach the engine, which names the fault. */
export function eventOf(role: Role, value: unknown, t: number, increments: boolean): InputEvent {
  switch (role) {
    case 'state': {
      const v = num(value);
      return { type: 'state', t, value: (typeof v === 'boolean' ? String(v) : v) as string | number };
    }
    case 'run':
      return { type: 'run', t, value: num(value) as boolean | number };
    case 'total':
    case 'good':
    case 'reject':
      return increments ? { type: 'count', t, counter: role, value: num(value) as number, increment: true } : { type: 'count', t, counter: role, value: num(value) as number };
    case 'reason':
      return { type: 'reason', t, code: num(value) as string | number };
    case 'product': {
      if (isRecord(value)) {
        const product = value.product ?? value.name;
        const order = value.order === undefined || value.order === null ? undefined : value.order;
        const ict = value.idealCycleTimeMs;
        return { type: 'product', t, product: product as string, ...(order !== undefined ? { order: (typeof order === 'number' ? String(order) : order) as string } : {}), ...(ict !== undefined && ict !== null ? { idealCycleTimeMs: ict as number } : {}) };
      }
      return { type: 'product', t, product: value as string };
    }
  }
}

/** Why a sample's value or time cannot reach the engine (a Buffer, an array, a 10 MB text...), or undefined. */
function sampleProblem(role: Role, value: unknown, time: unknown): string | undefined {
  const t = notScalar(time);
  if (t !== undefined) return `timestamp ${t}`;
  if (role === 'product' && isRecord(value)) {
    for (const key of ['product', 'name', 'order', 'idealCycleTimeMs']) {
      const p = Object.hasOwn(value, key) ? notScalar(value[key]) : undefined;
      if (p !== undefined) return `product.${key}: ${p}`;
    }
    return undefined;
  }
  return notScalar(value);
}

const own = (o: Record<string, unknown> | undefined, key: string): unknown => (o !== undefined && Object.hasOwn(o, key) ? o[key] : undefined);

export function parseMessage(msg: Msg, mapping: InputMapping, now: number): ParsedMessage {
  // A message is whatever a flow made it: a getter that throws names the property instead of escaping.
  let reading = 'msg';
  const read = <T>(what: string, get: () => T): T => {
    reading = what;
    return get();
  };
  try {
    return parse(msg, mapping, now, read);
  } catch (err) {
    return { kind: 'invalid', input: reading, message: `${reading} cannot be read (${toError(err).message.slice(0, MAX_TEXT)}); message ignored` };
  }
}

type Reader = <T>(what: string, get: () => T) => T;

function parse(msg: Msg, mapping: InputMapping, now: number, read: Reader): ParsedMessage {
  const rawTopic = read('msg.topic', () => msg.topic);
  const topic = typeof rawTopic === 'string' ? rawTopic : undefined;
  const role = topic === undefined ? undefined : mapping.roles.get(topic);
  const timestamp = read('msg.timestamp', () => msg.timestamp);

  if (role === undefined && topic === 'assign-reason') {
    const p = read('msg.payload', () => msg.payload);
    if (!isRecord(p)) return { kind: 'invalid', input: 'assign-reason', message: `assign-reason: msg.payload must be an object {stopId, reason}, not ${describeValue(p)}` };
    if (!Object.hasOwn(p, 'reason')) return { kind: 'invalid', input: 'assign-reason', message: `assign-reason: msg.payload has no reason (give a reason id of the reason tree, or null to clear the stop's reason)` };
    const stopId = read('msg.payload.stopId', () => own(p, 'stopId'));
    const reason = read('msg.payload.reason', () => p.reason);
    const problem = notScalar(stopId) !== undefined ? `stopId ${notScalar(stopId)}` : notScalar(reason) !== undefined ? `reason ${notScalar(reason)}` : notScalar(timestamp) !== undefined ? `timestamp ${notScalar(timestamp)}` : undefined;
    if (problem !== undefined) return { kind: 'invalid', input: 'assign-reason', message: `assign-reason: ${problem}` };
    return { kind: 'assign', t: sourceTime(timestamp, now), stopId, reason };
  }
  if (role === undefined && topic === 'tick') return { kind: 'tick', t: timestamp === undefined ? read('msg.payload', () => msg.payload) : timestamp };
  if (role === undefined && topic === 'report') return { kind: 'report' };
  if (role === undefined && topic === 'alive') return { kind: 'alive' };

  const samples: Sample[] = [];
  const badQuality: string[] = [];
  const refused: Refused[] = [];
  const quality = read('msg.quality', () => msg.quality);
  if (topic !== undefined && role !== undefined) {
    const value = read('msg.payload', () => msg.payload);
    const problem = sampleProblem(role, value, timestamp);
    if (quality === 'bad') badQuality.push(topic);
    else if (problem !== undefined) refused.push({ tag: topic, role, problem });
    else samples.push({ tag: topic, role, event: eventOf(role, value, sourceTime(timestamp, now), mapping.increments) });
    return { kind: 'samples', samples, badQuality, refused };
  }

  // One object per scan.
  const payload = read('msg.payload', () => msg.payload);
  if (!isRecord(payload)) return topic !== undefined ? { kind: 'unknown-topic', topic } : { kind: 'samples', samples, badQuality, refused };
  const readingsOf = read('msg.readings', () => msg.readings);
  const errorsOf = read('msg.errors', () => msg.errors);
  const readings = isRecord(readingsOf) ? readingsOf : undefined;
  const errors = isRecord(errorsOf) ? errorsOf : undefined;
  // Only the mapped tags are read: a scan object may hold anything else (getters, megabytes).
  for (const name of read('msg.payload', () => Object.keys(payload))) {
    const r = mapping.roles.get(name);
    if (r === undefined) continue;
    const value = read(`msg.payload[${JSON.stringify(name)}]`, () => payload[name]);
    const rawReading = read(`msg.readings[${JSON.stringify(name)}]`, () => own(readings, name));
    const tagReading = isRecord(rawReading) ? rawReading : undefined;
    const tagQuality = read(`msg.readings[${JSON.stringify(name)}].quality`, () => own(tagReading, 'quality')) ?? (read(`msg.errors[${JSON.stringify(name)}]`, () => own(errors, name)) !== undefined ? 'bad' : quality);
    if (tagQuality === 'bad') {
      badQuality.push(name);
      continue;
    }
    const time = read(`msg.readings[${JSON.stringify(name)}].timestamp`, () => own(tagReading, 'timestamp')) ?? timestamp;
    const problem = sampleProblem(r, value, time);
    if (problem !== undefined) refused.push({ tag: name, role: r, problem });
    else samples.push({ tag: name, role: r, event: eventOf(r, value, sourceTime(time, now), mapping.increments) });
  }
  // Older samples first, so that a scan's values with their own times apply in time order.
  samples.sort((a, b) => (typeof a.event.t === 'number' && typeof b.event.t === 'number' ? a.event.t - b.event.t : 0));
  return { kind: 'samples', samples, badQuality, refused };
}
