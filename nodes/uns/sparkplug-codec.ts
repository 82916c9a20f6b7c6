/** Eclipse Tahu's Sparkplug B payload codec, typed for this package. No Node-RED here. */
import { get } from 'sparkplug-payload';
import type { UMetric, UPayload } from 'sparkplug-payload/lib/sparkplugbpayload';

export type { UMetric, UPayload };

const codec = get('spBv1.0');
if (!codec) throw new Error('sparkplug-payload has no spBv1.0 codec');
const spB = codec;

export function encodePayload(p: UPayload): Buffer {
  const bytes = spB.encodePayload(p);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A received payload, or a clear error: protobuf's own messages say little about what was wrong. */
export function decodePayload(topic: string, bytes: Uint8Array): UPayload {
  try {
    return spB.decodePayload(bytes);
  } catch (err) {
    throw new Error(`${topic}: payload is not a Sparkplug B payload (${(err as Error).message})`);
  }
}

/** A Long (Tahu decodes 64-bit fields so) or number as a number. */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v !== null && typeof v === 'object' && typeof (v as { toNumber?: unknown }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  return undefined;
}
