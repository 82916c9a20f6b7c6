/**
 * The queries the KPI store answers, as plain objects (from msg.query, the node's settings or the HTTP
 * endpoint), and their validation. Pure.
 *
 * Ranges are production days, local dates "YYYY-MM-DD" from `from` (inclusive) to `to` (exclusive) in
 * the plant's time zone; a shift and its stops belong to the day their shift starts on. A tag trend takes
 * instants (ms, ISO with an offset, or a local date meaning its midnight in the plant's zone).
 */
import { DAY_MS, canonicalZone, fromWall, parseDay } from '../oee/time-zone';
import type { StopKind } from './records';
import { STOP_KINDS } from './records';

export type GroupBy = 'machine' | 'line' | 'site' | 'plant';
export type Period = 'shift' | 'day' | 'week' | 'month' | 'range';

export interface Scope {
  readonly machine?: string;
  readonly line?: string;
  readonly site?: string;
}

interface Days {
  /** Local day numbers [fromDay, toDay). */
  readonly fromDay: number;
  readonly toDay: number;
}

export type Query =
  | ({ readonly type: 'oee'; readonly by: GroupBy; readonly period: Period; readonly scope: Scope } & Days)
  | ({ readonly type: 'pareto'; readonly by: 'reason' | 'category'; readonly kinds: readonly StopKind[]; readonly scope: Scope } & Days)
  | ({ readonly type: 'losses'; readonly by: GroupBy; readonly scope: Scope; readonly limit: number } & Days)
  | ({ readonly type: 'reliability'; readonly scope: Scope } & Days)
  | { readonly type: 'trend'; readonly tag: string; readonly from: number; readonly to: number; readonly intervalMs: number };

export const QUERY_TYPES = ['oee', 'pareto', 'losses', 'reliability', 'trend'] as const;

export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

function oneOf<T extends string>(v: unknown, allowed: readonly T[], what: string, fallback: T): T {
  if (v === undefined || v === '') return fallback;
  if (typeof v !== 'string' || !allowed.includes(v as T)) throw new QueryError(`${what} must be one of ${allowed.join(', ')}, not ${show(v)}`);
  return v as T;
}

function day(v: unknown, what: string): number {
  const d = typeof v === 'string' ? parseDay(v) : undefined;
  if (d === undefined) throw new QueryError(`${what} must be a date YYYY-MM-DD, not ${show(v)}`);
  return d;
}

function days(q: Record<string, unknown>): Days {
  const fromDay = day(q.from, 'query.from');
  const toDay = q.to === undefined || q.to === '' ? fromDay + 1 : day(q.to, 'query.to');
  if (toDay <= fromDay) throw new QueryError(`query.to (${show(q.to)}) must be after query.from (${show(q.from)}): to is the first day not included`);
  if (toDay - fromDay > 3660) throw new QueryError('a query covers at most 10 years');
  return { fromDay, toDay };
}

function scope(q: Record<string, unknown>): Scope {
  const out: Record<string, string> = {};
  for (const k of ['machine', 'line', 'site'] as const) {
    const v = q[k];
    if (v === undefined || v === '') continue;
    if (typeof v !== 'string') throw new QueryError(`query.${k} must be a name, not ${show(v)}`);
    out[k] = v;
  }
  return out;
}

/** An instant: ms, ISO 8601 with an offset, or a local date (its midnight in `zone`). */
export function instant(v: unknown, what: string, zone: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string') {
    const d = parseDay(v);
    if (d !== undefined) return fromWall(zone, d * DAY_MS);
    if (/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v))) return Date.parse(v);
  }
  throw new QueryError(`${what} must be a time (ms, ISO 8601 with an offset, or YYYY-MM-DD), not ${show(v)}`);
}

export function checkZone(zone: unknown): string {
  const z = typeof zone === 'string' ? canonicalZone(zone) : undefined;
  if (z === undefined) throw new QueryError(`time zone ${show(zone)} is not an IANA zone like Europe/Berlin`);
  return z;
}

export function parseQuery(q: unknown, zone: string): Query {
  if (!isObj(q)) throw new QueryError(`the query must be an object {type, from, to, ...}, not ${show(q)}`);
  const type = oneOf(q.type, QUERY_TYPES, 'query.type', 'oee');
  const groups: readonly GroupBy[] = ['machine', 'line', 'site', 'plant'];
  switch (type) {
    case 'oee':
      return { type, by: oneOf(q.by, groups, 'query.by', 'machine'), period: oneOf(q.period, ['shift', 'day', 'week', 'month', 'range'] as const, 'query.period', 'day'), scope: scope(q), ...days(q) };
    case 'pareto': {
      let kinds: readonly StopKind[] = ['downtime', 'small-stop', 'changeover', 'no-data'];
      if (q.kinds !== undefined) {
        const list = typeof q.kinds === 'string' ? q.kinds.split(',').map((s) => s.trim()).filter((s) => s !== '') : q.kinds;
        if (!Array.isArray(list) || list.length === 0 || !list.every((k) => STOP_KINDS.includes(k as StopKind))) throw new QueryError(`query.kinds must list stop kinds of ${STOP_KINDS.join(', ')}, not ${show(q.kinds)}`);
        kinds = list as StopKind[];
      }
      return { type, by: oneOf(q.by, ['reason', 'category'] as const, 'query.by', 'reason'), kinds, scope: scope(q), ...days(q) };
    }
    case 'losses': {
      const limit = q.limit === undefined || q.limit === '' ? 100 : Number(q.limit);
      if (!Number.isSafeInteger(limit) || limit < 1) throw new QueryError(`query.limit must be a whole number from 1, not ${show(q.limit)}`);
      return { type, by: oneOf(q.by, groups, 'query.by', 'plant'), scope: scope(q), limit, ...days(q) };
    }
    case 'reliability':
      return { type, scope: scope(q), ...days(q) };
    case 'trend': {
      if (typeof q.tag !== 'string' || q.tag === '') throw new QueryError('query.tag must name the tag');
      const from = instant(q.from, 'query.from', zone);
      const to = instant(q.to, 'query.to', zone);
      if (to <= from) throw new QueryError('query.to must be after query.from');
      const intervalMs = q.intervalMs === undefined || q.intervalMs === '' ? 3600_000 : Number(q.intervalMs);
      if (!Number.isSafeInteger(intervalMs) || intervalMs < 1000) throw new QueryError(`query.intervalMs must be whole ms, at least 1000, not ${show(q.intervalMs)}`);
      if ((to - from) / intervalMs > 100_000) throw new QueryError('a trend has at most 100,000 points: choose a longer interval');
      return { type, tag: q.tag, from, to, intervalMs };
    }
  }
}
