/**
 * The writes a message's payload asks for when it names no single tag: `{tag name: value, ...}`. One
 * rule for the Modbus and OPC UA write nodes: only a plain object (what JSON and flows make; not a
 * Buffer, Map, Date or class instance), not empty, and at most MAX_WRITES_PER_MESSAGE tags, counted
 * before any pair is made (a 10 MB Buffer must not become 10 M writes to check). No Node-RED here.
 */

/** Tags one message may write: a machine's recipe fits; a flow gone wrong is refused, not sent. */
export const MAX_WRITES_PER_MESSAGE = 1000;

export type PayloadWrites = { readonly writes: [string, unknown][] } | { readonly problem: string };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The (tag, value) pairs of `payload`, or why it asks for none. */
export function payloadWrites(payload: unknown): PayloadWrites {
  if (!isPlainObject(payload)) return { problem: 'msg.payload is not an object {"tag name": value}' };
  let n = 0;
  for (const key in payload) {
    if (Object.hasOwn(payload, key) && ++n > MAX_WRITES_PER_MESSAGE) return { problem: `too many writes in one message: more than ${MAX_WRITES_PER_MESSAGE} tags` };
  }
  if (n === 0) return { problem: 'msg.payload is an empty object' };
  return { writes: Object.entries(payload) };
}
