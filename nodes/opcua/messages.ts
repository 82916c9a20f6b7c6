/**
 * Tag value messages of the OPC UA nodes, per ARCHITECTURE.md: topic = tag name (or NodeId), payload =
 * engineering value, timestamp = the server's source time in ms, quality from the status code, the tag's
 * metadata under `tag`, and the OPC UA status code name. No Node-RED here.
 */
import type { Quality, Reading } from './value';
import type { Target } from './targets';

export interface TagMeta {
  readonly address: string;
  readonly unit?: string;
  readonly dataType?: string;
  readonly description?: string;
}

export function tagMeta(target: Target): TagMeta {
  const t = target.tag;
  if (!t) return { address: target.nodeId };
  return { address: target.nodeId, unit: t.unit, dataType: t.dataType, description: t.description };
}

export interface ValueMessage {
  topic: string;
  payload: unknown;
  timestamp: number;
  quality: Quality;
  statusCode: string;
  tag: TagMeta;
  [key: string]: unknown;
}

export function valueMessage(target: Target, r: Reading): ValueMessage {
  return { topic: target.name, payload: r.value, timestamp: r.timestamp, quality: r.quality, statusCode: r.statusCode, tag: tagMeta(target) };
}

/** The worst quality of a set: good only when all are good. */
export function worstQuality(qualities: Iterable<Quality>): Quality {
  let worst: Quality = 'good';
  for (const q of qualities) {
    if (q === 'bad') return 'bad';
    if (q === 'uncertain') worst = 'uncertain';
  }
  return worst;
}

/** Several values in one message: payload = {name: value}, readings = {name: {value, quality, ...}}. */
export function objectMessage(items: readonly { target: Target; reading: Reading }[]): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  const readings: Record<string, unknown> = {};
  let latest = 0;
  for (const { target, reading } of items) {
    payload[target.name] = reading.value;
    readings[target.name] = { value: reading.value, quality: reading.quality, statusCode: reading.statusCode, timestamp: reading.timestamp, ...tagMeta(target) };
    latest = Math.max(latest, reading.timestamp);
  }
  return { payload, readings, quality: worstQuality(items.map((i) => i.reading.quality)), timestamp: latest || Date.now() };
}
