/**
 * What the KPI store keeps, as flat records, and how fh-oee's output messages become them. Pure
 * (node:crypto for keys). Every record carries a key derived from the record itself, so writing the same
 * event twice (a replay after a restart or a reconnect) writes one row.
 *
 * Production day: a shift, and each of its stops, belongs to the local date its shift starts on (the
 * shift id "YYYY-MM-DD/name" of the calendar), as fh-oee's calendar defines it. Days, ISO weeks and
 * months are derived from that date, so grouping needs no time-zone arithmetic in SQL.
 */
import { createHash } from 'node:crypto';
import { DAY_MS, formatDay, localDay, mod, parseDay, weekdayOf } from '../oee/time-zone';

export interface Place {
  readonly machine: string;
  /** The machine's path without its last part ("plant/line1" of "plant/line1/filler"), else the machine. */
  readonly line: string;
  /** The first part of the path. */
  readonly site: string;
}

export interface Day {
  /** "YYYY-MM-DD" */
  readonly day: string;
  /** Local day number (days since 1970-01-01 on the plant's calendar). */
  readonly dayNum: number;
  /** ISO week "YYYY-Www". */
  readonly week: string;
  /** "YYYY-MM" */
  readonly month: string;
}

export interface ShiftRecord extends Place, Day {
  readonly kind: 'shift';
  readonly key: string;
  readonly shiftId: string;
  readonly shiftName: string;
  readonly start: number;
  readonly end: number;
  readonly calendarMs: number;
  readonly plannedStopMs: number;
  readonly plannedProductionMs: number;
  readonly runMs: number;
  readonly runningMs: number;
  readonly downtimeMs: number;
  readonly smallStopMs: number;
  readonly changeoverMs: number;
  readonly noDataMs: number;
  /** Rounded to whole ms (sums stay exact integers on every back end); null: an ideal cycle time was missing. */
  readonly netRunMs: number | null;
  readonly fullyProductiveMs: number | null;
  readonly total: number;
  readonly good: number;
  readonly reject: number;
  readonly startupReject: number;
  /** The shift's figures as fh-oee reported them (for BI); longer periods are computed from times and counts. */
  readonly availability: number | null;
  readonly performance: number | null;
  readonly quality: number | null;
  readonly oee: number | null;
  readonly teep: number | null;
  readonly unplannedStops: number;
  readonly smallStops: number;
  readonly changeovers: number;
  readonly slowCyclesMs: number | null;
  readonly productionRejectMs: number | null;
  readonly startupRejectMs: number | null;
  readonly products: readonly ProductRow[];
}

export interface ProductRow {
  readonly product: string | null;
  readonly order: string | null;
  readonly idealCycleTimeMs: number | null;
  readonly total: number;
  readonly good: number;
  readonly reject: number;
  readonly startupReject: number;
}

export type StopKind = 'downtime' | 'small-stop' | 'changeover' | 'planned' | 'no-data';
export const STOP_KINDS: readonly StopKind[] = ['downtime', 'small-stop', 'changeover', 'planned', 'no-data'];

export interface Reason {
  readonly id: string | null;
  readonly category: string | null;
  readonly name: string | null;
}

export interface StopRecord extends Place, Day {
  readonly kind: 'stop';
  readonly key: string;
  readonly stopId: number;
  readonly shiftId: string;
  readonly start: number;
  readonly end: number | null;
  readonly durationMs: number;
  readonly state: string;
  readonly stopKind: StopKind;
  readonly small: boolean;
  readonly reason: Reason;
  readonly reasonSource: string | null;
  readonly reasonCode: string | null;
  readonly assignedAt: number | null;
  /** Who named the reason (a user name), when the message said. */
  readonly by: string | null;
  /** Time of the event: a row is only replaced by a newer event. */
  readonly t: number;
}

/** One entry of a stop's reason history. */
export interface ReasonChange {
  readonly kind: 'reason-change';
  readonly key: string;
  readonly stopKey: string;
  readonly machine: string;
  readonly at: number;
  readonly reason: Reason;
  readonly source: string | null;
  readonly by: string | null;
}

export interface OrderRun extends Place {
  readonly kind: 'order-run';
  readonly key: string;
  readonly order: string;
  readonly product: string | null;
  readonly start: number;
  readonly end: number | null;
  readonly total: number;
  readonly good: number;
  readonly reject: number;
  readonly t: number;
}

/** Tag samples of one interval, downsampled. `part` tells apart the writers of one interval (restarts). */
export interface TagBucket {
  readonly kind: 'tag-bucket';
  readonly key: string;
  readonly tag: string;
  readonly bucket: number;
  readonly intervalMs: number;
  readonly part: string;
  readonly min: number;
  readonly max: number;
  readonly sum: number;
  readonly count: number;
  readonly first: number;
  readonly last: number;
}

export type KpiRecord = ShiftRecord | StopRecord | ReasonChange | OrderRun | TagBucket;

export function hashKey(prefix: string, ...parts: readonly (string | number | null)[]): string {
  return `${prefix}-${createHash('sha256').update(parts.map((p) => (p === null ? '\u0000' : String(p))).join('\n')).digest('hex').slice(0, 32)}`;
}

export function placeOf(machine: string): Place {
  const parts = machine.split('/');
  return { machine, line: parts.length > 1 ? parts.slice(0, -1).join('/') : machine, site: parts[0] };
}

/** The Monday (local day number) and label of the ISO week of a day. */
export function isoWeek(dayNum: number): { monday: number; label: string } {
  const monday = dayNum - weekdayOf(dayNum);
  const thursday = monday + 3;
  const year = Number(formatDay(thursday).slice(0, 4));
  const jan1 = parseDay(`${year}-01-01`) ?? 0;
  const week = Math.floor((thursday - jan1) / 7) + 1;
  return { monday, label: `${year}-W${String(week).padStart(2, '0')}` };
}

export function dayOf(dayNum: number): Day {
  const day = formatDay(dayNum);
  return { day, dayNum, week: isoWeek(dayNum).label, month: day.slice(0, 7) };
}

/** The production day of a shift: the date of its id, else the local date of its start. */
export function shiftDay(shiftId: string, start: number, timeZone: string): Day {
  const d = parseDay(shiftId.slice(0, 10));
  return dayOf(d ?? localDay(timeZone, start));
}

export function stopKey(machine: string, stopId: number, start: number): string {
  return hashKey('stop', machine, stopId, start);
}

export function tagBucket(tag: string, bucket: number, intervalMs: number, part: string, s: { min: number; max: number; sum: number; count: number; first: number; last: number }): TagBucket {
  return { kind: 'tag-bucket', key: hashKey('tag', tag, bucket, intervalMs, part), tag, bucket, intervalMs, part, ...s };
}

export const bucketOf = (t: number, intervalMs: number): number => t - mod(t, intervalMs);
export { DAY_MS };
