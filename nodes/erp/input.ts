/**
 * A record from a message: msg.payload as the record object, with fields taken from other message
 * properties by the node's mapping (e.g. `order=topic, yield=payload`), so a plain counter value can be
 * posted without a function node. Pure: the adapter passes Node-RED's property getter.
 */
import { ConfigError } from '../shared/config-node';

/** Record field -> message property path (without the `msg.` prefix). */
export type FieldMapping = Readonly<Record<string, string>>;

const MAPPABLE = new Set([
  'kind', 'key', 'order', 'operation', 'workCenter', 'plant', 'yield', 'scrap', 'rework', 'unit', 'activities',
  'start', 'end', 'postingDate', 'reason', 'final', 'employee', 'shift', 'oee', 'extra',
]);

/** "order=topic, yield=payload, start=msg.timestamp" -> {order: 'topic', yield: 'payload', start: 'timestamp'}. */
export function parseMapping(text: string | undefined): FieldMapping {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(/[,;\n]/).map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z]+)\s*=\s*(?:msg\.)?([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*|\[\d+\])*)$/.exec(part);
    if (!m) throw new ConfigError(`mapping "${part}" is not field=msg.property`);
    if (!MAPPABLE.has(m[1])) throw new ConfigError(`mapping names "${m[1]}", which is not a record field`);
    out[m[1]] = m[2];
  }
  return out;
}

/**
 * The record object a message stands for: a copy of msg.payload when it is an object (unless the mapping
 * takes the payload itself as a field), with each mapped field set from its property when present.
 */
export function recordInput(msg: Readonly<Record<string, unknown>>, mapping: FieldMapping, get: (msg: Readonly<Record<string, unknown>>, path: string) => unknown): unknown {
  const payload = msg.payload;
  const mapsPayload = Object.values(mapping).includes('payload');
  const fields = Object.entries(mapping);
  if (fields.length === 0) return payload;
  const base: Record<string, unknown> = !mapsPayload && typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? { ...(payload as Record<string, unknown>) } : {};
  for (const [field, path] of fields) {
    const v = get(msg, path);
    if (v !== undefined) base[field] = v;
  }
  return base;
}
