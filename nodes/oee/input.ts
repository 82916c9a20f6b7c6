/**
 * Messages into engine events. Pure: the adapter passes the message and the hub's clock.
 *
 * A tag value (the hub's convention): `msg.topic` = tag name, `msg.payload` = value, `msg.timestamp` =
 * source time in ms, `msg.quality` = good | uncertain | bad. One message per scan: `msg.payload` is an
 * object of tag name -> value with `msg.timestamp`, per-tag quality and time in `msg.readings[name]`
 * (OPC UA) or failed tags in `msg.errors[name]` (Modbus). Tags the node does not map are ignored; a
 * sample of bad quality is not applied (it proves nothing, so silence turns into "no data"); a sample
 * without a timestamp is stamped with the hub's clock on arrival.
 *
 * Control messages: `assign-reason` ({stopId, reason}), `tick` (msg.timestamp) and `report`.
 */
import type { InputEvent } from './events';
import type { InputMapping, Role } from './node-config';

/** One tag value bound for the engine. */
export interface Sample {
  readonly tag: string;
  readonly role: Role;
  readonly event: InputEvent;
}

export type ParsedMessage =
  | { readonly kind: 'samples'; readonly samples: readonly Sample[]; readonly badQuality: readonly string[] }
  | { readonly kind: 'assign'; readonly t: number; readonly stopId: unknown; readonly reason: unknown }
  | { readonly kind: 'tick'; readonly t: unknown }
  | { readonly kind: 'report' }
  /** The machine's link is alive without a new value (fh-opcua-subscribe's keep-alive). */
  | { readonly kind: 'alive' }
  /** A message the node cannot read at all (e.g. an assign-reason without a payload object). */
  | { readonly kind: 'invalid'; readonly message: string };

type Msg = Readonly<Record<string, unknown>>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

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

export function parseMessage(msg: Msg, mapping: InputMapping, now: number): ParsedMessage {
  const topic = typeof msg.topic === 'string' ? msg.topic : undefined;
  const role = topic === undefined ? undefined : mapping.roles.get(topic);

  if (role === undefined && topic === 'assign-reason') {
    const p = msg.payload;
    if (!isRecord(p)) return { kind: 'invalid', message: 'assign-reason: msg.payload must be an object {stopId, reason}' };
    if (!Object.hasOwn(p, 'reason')) return { kind: 'invalid', message: `assign-reason: msg.payload has no reason (give a reason id of the reason tree, or null to clear the stop's reason)` };
    return { kind: 'assign', t: sourceTime(msg.timestamp, now), stopId: p.stopId, reason: p.reason };
  }
  if (role === undefined && topic === 'tick') return { kind: 'tick', t: msg.timestamp === undefined ? msg.payload : msg.timestamp };
  if (role === undefined && topic === 'report') return { kind: 'report' };
  if (role === undefined && topic === 'alive') return { kind: 'alive' };

  const samples: Sample[] = [];
  const badQuality: string[] = [];
  if (topic !== undefined && role !== undefined) {
    if (msg.quality === 'bad') badQuality.push(topic);
    else samples.push({ tag: topic, role, event: eventOf(role, msg.payload, sourceTime(msg.timestamp, now), mapping.increments) });
    return { kind: 'samples', samples, badQuality };
  }

  // One object per scan.
  const payload = msg.payload;
  if (!isRecord(payload)) return { kind: 'samples', samples, badQuality };
  const readings = isRecord(msg.readings) ? msg.readings : undefined;
  const errors = isRecord(msg.errors) ? msg.errors : undefined;
  for (const [name, value] of Object.entries(payload)) {
    const r = mapping.roles.get(name);
    if (r === undefined) continue;
    const reading = readings !== undefined && isRecord(readings[name]) ? readings[name] : undefined;
    const quality = reading?.quality ?? (errors !== undefined && errors[name] !== undefined ? 'bad' : msg.quality);
    if (quality === 'bad') {
      badQuality.push(name);
      continue;
    }
    const t = sourceTime(reading?.timestamp ?? msg.timestamp, now);
    samples.push({ tag: name, role: r, event: eventOf(r, value, t, mapping.increments) });
  }
  // Older samples first, so that a scan's values with their own times apply in time order.
  samples.sort((a, b) => (typeof a.event.t === 'number' && typeof b.event.t === 'number' ? a.event.t - b.event.t : 0));
  return { kind: 'samples', samples, badQuality };
}
