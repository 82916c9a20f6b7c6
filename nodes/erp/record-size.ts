/**
 * The per-record size limit: a record is refused before anything is written when its JSON is larger than
 * the connection's limit. Bounded work: a walk that adds up a lower bound of the JSON size without
 * building it (string lengths, keys, punctuation) refuses a 300 MB record without a second 300 MB copy;
 * only a record whose bound is within the limit is serialized to measure it exactly.
 */
import type { ErpRecord } from './record';

/** Default largest record: 1 MiB of serialized JSON (a confirmation is under 1 KiB). */
export const DEFAULT_MAX_RECORD_BYTES = 1024 * 1024;

export class RecordTooLargeError extends Error {
  constructor(
    readonly key: string,
    /** Bytes of JSON (a lower bound when `atLeast`). */
    readonly size: number,
    readonly atLeast: boolean,
    readonly limit: number,
  ) {
    super(`record ${key} refused, not queued: it is ${atLeast ? 'at least ' : ''}${formatBytes(size)} as JSON, larger than the limit of ${formatBytes(limit)} per record (the connection's "largest record")`);
    this.name = 'RecordTooLargeError';
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * A lower bound of the UTF-8 bytes of JSON.stringify(value), without serializing (escapes are not
 * counted, shared objects once). Stops adding once past `stopAt`, so a huge array is not walked to its end.
 */
export function jsonSizeAtLeast(value: unknown, stopAt = Infinity): number {
  let size = 0;
  const seen = new WeakSet<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0 && size <= stopAt) {
    const v = stack.pop();
    if (typeof v === 'string') size += Buffer.byteLength(v, 'utf8') + 2;
    else if (typeof v === 'number') size += Number.isFinite(v) ? String(v).length : 4;
    else if (typeof v === 'boolean') size += v ? 4 : 5;
    else if (v === null) size += 4;
    else if (typeof v === 'object') {
      if (seen.has(v)) continue;
      seen.add(v);
      // What serializes itself (a Date, a Buffer) is counted by what it holds at least, not walked.
      if (ArrayBuffer.isView(v)) size += v.byteLength;
      else if (typeof (v as { toJSON?: unknown }).toJSON === 'function') size += 2;
      else if (Array.isArray(v)) {
        size += 2 + Math.max(0, v.length - 1);
        for (let i = v.length - 1; i >= 0 && size <= stopAt; i--) stack.push(v[i]);
      } else {
        // {"k":v,...}: braces, and per member its quoted key, a colon and a comma between members.
        size += 2;
        let members = 0;
        for (const k in v) {
          if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
          const item = (v as Record<string, unknown>)[k];
          if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
          size += Buffer.byteLength(k, 'utf8') + 3 + (members++ > 0 ? 1 : 0);
          stack.push(item);
          if (size > stopAt) break;
        }
      }
    }
  }
  return size;
}

/** Bytes of the record's JSON; throws RecordTooLargeError (nothing written) when over `limit`. */
export function checkRecordSize(record: ErpRecord, limit: number): number {
  // The walk allocates nothing large; it goes on to 64 times the limit so the error can name a size
  // close to the real one (one huge string is measured whole) without walking millions of small values.
  const bound = jsonSizeAtLeast(record, limit * 64);
  if (bound > limit) throw new RecordTooLargeError(record.key, bound, true, limit);
  const exact = Buffer.byteLength(JSON.stringify(record), 'utf8');
  if (exact > limit) throw new RecordTooLargeError(record.key, exact, false, limit);
  return exact;
}
