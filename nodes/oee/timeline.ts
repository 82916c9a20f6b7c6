/**
 * What the engine remembers: a timeline of segments (time in one context, with the parts counted
 * in it) and the stops. Everything a window's figures need, nothing per raw sample.
 *
 * - A segment is [start, end) in one context: shift or not, inside a calendar planned stop or not,
 *   machine state, product run, startup window or not, stop. A new segment starts when any of these
 *   changes, and when a count falls in a later count-resolution bucket than the segment's first
 *   count, so a segment's parts are all within one bucket and are placed at `firstCountT`.
 * - A stop is a contiguous period of one non-running state inside production time (a shift, outside
 *   its breaks and manual planned stops). It ends when the state changes, a planned stop begins or
 *   the shift ends; if the machine is still stopped after a break or at the next shift, a new stop
 *   (new id) begins. So a stop never spans planned time and its length is its loss.
 */
import type { StateCode } from './states';

/** Segment flags. */
export const IN_SHIFT = 1;
export const CAL_PLANNED = 2;
export const STARTUP = 4;

/** A product (or order) run; its ideal cycle time is fixed for the run. */
export interface ProductRun {
  readonly product: string;
  readonly order: string | null;
  readonly idealCycleTimeMs: number;
  readonly since: number;
  /** Groups runs of the same product, order and ideal cycle time in the figures (not persisted). */
  readonly key: string;
}

export function productRun(product: string, order: string | null, idealCycleTimeMs: number, since: number): ProductRun {
  return { product, order, idealCycleTimeMs, since, key: `${product}\u0000${order ?? ''}\u0000${idealCycleTimeMs}` };
}

export interface Stop {
  readonly id: number;
  readonly shiftId: string;
  readonly start: number;
  /** -1 while open. */
  end: number;
  readonly state: StateCode;
  /** Reason id, or null while unassigned. */
  reason: string | null;
  reasonSource: 'plc' | 'operator' | null;
  /** The PLC code that named it (when the PLC did). */
  reasonCode: string | null;
  /** Time of the operator's assignment (when an operator did). */
  assignedAt: number | null;
}

export interface Segment {
  readonly start: number;
  readonly end: number;
  readonly state: StateCode;
  readonly flags: number;
  readonly product: ProductRun | null;
  readonly stop: Stop | null;
  /** Time of the first count in the segment, -1 when it has none. */
  readonly firstCountT: number;
  /** Sums of the counter inputs (only the two of the count basis are fed). */
  readonly total: number;
  readonly good: number;
  readonly reject: number;
}

/** First index >= from whose segment ends at or after t (segments are contiguous and sorted). */
export function firstSegmentEndingAtOrAfter(segments: readonly Segment[], from: number, t: number): number {
  let lo = from;
  let hi = segments.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid].end < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index >= from of a stop starting at or after t (stops are sorted by start). */
export function firstStopStartingAtOrAfter(stops: readonly Stop[], from: number, t: number): number {
  let lo = from;
  let hi = stops.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (stops[mid].start < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the stop with this id, or -1 (ids increase with start). */
export function findStop(stops: readonly Stop[], from: number, id: number): number {
  let lo = from;
  let hi = stops.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = stops[mid].id;
    if (m === id) return mid;
    if (m < id) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}
