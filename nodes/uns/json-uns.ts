/**
 * The plain JSON unified namespace: one retained topic per tag, named by its ISA-95 path under an optional
 * root (`plant1/uns` + `site/area/line/machine/tag`), with a JSON payload any MQTT client reads:
 * `{"value":…, "timestamp":…, "quality":"good", "unit":"kg"}`. No Node-RED here.
 */
import type { MetricUpdate } from './metric';

/** Topic levels MQTT forbids in a published topic, and empty levels (`a//b`), which no one subscribes to. */
function topicProblem(topic: string): string {
  if (/[+#]/.test(topic) || topic.includes('\u0000')) return 'contains +, # or NUL, which MQTT does not allow in a published topic';
  if (topic.split('/').some((level) => level === '')) return 'has an empty level';
  if (Buffer.byteLength(topic) > 65535) return 'is longer than 65535 bytes';
  return '';
}

/** The checked topic root ('' = none): no wildcards, no empty or leading/trailing levels. */
export function jsonRoot(root: string): string {
  const r = root.trim();
  if (r === '') return '';
  const problem = topicProblem(r);
  if (problem) throw new Error(`topic root "${r}" ${problem}`);
  return r;
}

export function jsonTopic(root: string, name: string): string {
  const topic = root === '' ? name : `${root}/${name}`;
  const problem = topicProblem(topic);
  if (problem) throw new Error(`tag ${name}: topic "${topic}" ${problem}`);
  return topic;
}

export interface JsonValue {
  readonly value: MetricUpdate['value'];
  readonly timestamp: number;
  readonly quality: MetricUpdate['quality'];
  readonly unit?: string;
  /** Sent from the store-and-forward buffer after a broker outage. */
  readonly historical?: true;
}

export function jsonPayload(u: MetricUpdate, historical = false): string {
  const body: JsonValue = {
    value: u.value,
    timestamp: u.timestamp,
    quality: u.quality,
    ...(u.unit !== undefined ? { unit: u.unit } : {}),
    ...(historical ? { historical: true as const } : {}),
  };
  return JSON.stringify(body);
}

/** A received JSON UNS payload, checked; throws a clear error for anything else. */
export function parseJsonValue(topic: string, payload: Buffer | string): JsonValue {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString());
  } catch (err) {
    throw new Error(`${topic}: payload is not JSON (${(err as Error).message})`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('value' in body)) throw new Error(`${topic}: payload is not a {value, timestamp, quality} object`);
  const b = body as Record<string, unknown>;
  const v = b.value;
  if (v !== null && typeof v !== 'number' && typeof v !== 'boolean' && typeof v !== 'string') throw new Error(`${topic}: value must be a number, boolean, string or null`);
  const q = b.quality ?? 'good';
  if (q !== 'good' && q !== 'uncertain' && q !== 'bad') throw new Error(`${topic}: quality must be good, uncertain or bad`);
  const t = b.timestamp;
  if (typeof t !== 'number' || !Number.isFinite(t)) throw new Error(`${topic}: timestamp must be a time in ms`);
  return { value: v, timestamp: t, quality: q, ...(typeof b.unit === 'string' ? { unit: b.unit } : {}), ...(b.historical === true ? { historical: true as const } : {}) };
}
