/**
 * The KPI queries as SQL that reads the same on SQLite and PostgreSQL, and the figures computed from its
 * sums. Pure apart from the Executor it is given.
 *
 * What keeps both back ends alike to the last digit: SQL only sums whole numbers (ms and counts) and
 * groups by whole numbers or ASCII labels; every ratio is computed here from those sums, and every sort
 * is done here (database collations differ). Figures of a period are computed from its times and counts,
 * never averaged from shift percentages: availability = Σ run / Σ PPT, performance = Σ net run / Σ run,
 * quality = Σ good / Σ total, OEE = A × P × Q, TEEP = OEE × Σ PPT / calendar time of the period (each
 * machine's 24 h a day; 23 h or 25 h on the days clocks change).
 */
import { DAY_MS, formatDay, fromWall, parseDay } from '../oee/time-zone';
import type { GroupBy, Period, Query, Scope } from './query-types';
import { isoWeek } from './records';
import type { Executor, Row } from './store';

export interface QueryResult {
  readonly type: Query['type'];
  readonly columns: readonly string[];
  readonly rows: readonly Row[];
}

const n = (v: unknown): number => Number(v ?? 0);
const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function where(q: { fromDay: number; toDay: number; scope: Scope }): { sql: string; params: unknown[] } {
  const parts = ['day_num >= ?', 'day_num < ?'];
  const params: unknown[] = [q.fromDay, q.toDay];
  for (const k of ['machine', 'line', 'site'] as const) {
    const v = q.scope[k];
    if (v !== undefined) {
      parts.push(`${k} = ?`);
      params.push(v);
    }
  }
  return { sql: parts.join(' AND '), params };
}

const groupCol = (by: GroupBy): string | null => (by === 'plant' ? null : by);

/** Real length of local days [from, to) in the zone. */
export function daysLength(zone: string, fromDay: number, toDay: number): number {
  return fromWall(zone, toDay * DAY_MS) - fromWall(zone, fromDay * DAY_MS);
}

/** First day and the day after the last of a period label. */
function periodDays(period: Period, label: string, range: { fromDay: number; toDay: number }): [number, number] {
  switch (period) {
    case 'day': {
      const d = parseDay(label) ?? 0;
      return [d, d + 1];
    }
    case 'week': {
      const year = Number(label.slice(0, 4));
      const w = Number(label.slice(6));
      const week1 = isoWeek(parseDay(`${year}-01-04`) ?? 0).monday;
      const monday = week1 + (w - 1) * 7;
      return [monday, monday + 7];
    }
    case 'month': {
      const first = parseDay(`${label}-01`) ?? 0;
      const y = Number(label.slice(0, 4));
      const m = Number(label.slice(5, 7));
      const next = parseDay(m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`) ?? first;
      return [first, next];
    }
    default:
      return [range.fromDay, range.toDay];
  }
}

export const OEE_COLUMNS = [
  'group', 'period', 'from', 'to', 'machines', 'shifts', 'availability', 'performance', 'quality', 'oee', 'teep', 'utilization',
  'calendarMs', 'plannedProductionMs', 'runMs', 'netRunMs', 'fullyProductiveMs', 'downtimeMs', 'smallStopMs', 'changeoverMs', 'noDataMs',
  'total', 'good', 'reject',
] as const;

async function oee(ex: Executor, q: Extract<Query, { type: 'oee' }>, zone: string): Promise<QueryResult> {
  const g = groupCol(q.by);
  const p = { shift: 'shift_id', day: 'day_num', week: 'week', month: 'month', range: null }[q.period];
  const keys = [g, p].filter((k): k is string => k !== null);
  const w = where(q);
  const sql = `SELECT ${g ?? "'plant'"} AS grp, ${p ?? "''"} AS period, MIN(start_ms) AS first_start, MAX(end_ms) AS last_end,
      COUNT(DISTINCT machine) AS machines, COUNT(*) AS shifts,
      SUM(calendar_ms) AS cal, SUM(planned_production_ms) AS ppt, SUM(run_ms) AS run,
      SUM(COALESCE(net_run_ms, 0)) AS net, SUM(CASE WHEN net_run_ms IS NULL AND total > 0 THEN 1 ELSE 0 END) AS missing,
      SUM(COALESCE(fully_productive_ms, 0)) AS fp, SUM(downtime_ms) AS down, SUM(small_stop_ms) AS small,
      SUM(changeover_ms) AS co, SUM(no_data_ms) AS nodata, SUM(total) AS total, SUM(good) AS good, SUM(reject) AS reject
    FROM kpi_shifts WHERE ${w.sql}${keys.length > 0 ? ` GROUP BY ${keys.join(', ')}` : ''}`;
  const raw = await ex.all(sql, w.params);
  const rows = raw.map((r) => {
    const ppt = n(r.ppt);
    const run = n(r.run);
    const net = n(r.missing) > 0 ? null : n(r.net);
    const total = n(r.total);
    const good = n(r.good);
    const label = q.period === 'day' ? formatDay(n(r.period)) : (r.period as string | null) ?? '';
    let from: number;
    let to: number;
    let calendar: number;
    if (q.period === 'shift') {
      from = n(r.first_start);
      to = n(r.last_end);
      calendar = n(r.cal);
    } else {
      const [a, b] = periodDays(q.period, label, q);
      from = fromWall(zone, a * DAY_MS);
      to = fromWall(zone, b * DAY_MS);
      calendar = (to - from) * n(r.machines);
    }
    const availability = ratio(run, ppt);
    const performance = net === null ? null : ratio(net, run);
    const quality = ratio(good, total);
    let oeeValue: number | null = availability !== null && performance !== null && quality !== null ? availability * performance * quality : null;
    if (oeeValue === null && ppt > 0 && total === 0) oeeValue = 0; // as fh-oee: production time, nothing made
    const utilization = ratio(ppt, calendar);
    return {
      group: String(r.grp),
      period: q.period === 'range' ? `${formatDay(q.fromDay)}..${formatDay(q.toDay - 1)}` : label,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      machines: n(r.machines),
      shifts: n(r.shifts),
      availability,
      performance,
      quality,
      oee: oeeValue,
      teep: oeeValue !== null && utilization !== null ? oeeValue * utilization : null,
      utilization,
      calendarMs: calendar,
      plannedProductionMs: ppt,
      runMs: run,
      netRunMs: net,
      fullyProductiveMs: n(r.missing) > 0 ? null : n(r.fp),
      downtimeMs: n(r.down),
      smallStopMs: n(r.small),
      changeoverMs: n(r.co),
      noDataMs: n(r.nodata),
      total,
      good,
      reject: n(r.reject),
      sortFrom: from,
    };
  });
  rows.sort((a, b) => cmp(a.group, b.group) || a.sortFrom - b.sortFrom || cmp(a.period, b.period));
  return { type: 'oee', columns: OEE_COLUMNS, rows: rows.map(({ sortFrom: _s, ...r }) => r) };
}

async function pareto(ex: Executor, q: Extract<Query, { type: 'pareto' }>): Promise<QueryResult> {
  const w = where(q);
  const cols = q.by === 'reason' ? 'reason_id, reason_category, reason_name' : 'reason_category';
  const sql = `SELECT ${cols}, COUNT(*) AS stops, SUM(duration_ms) AS ms FROM kpi_stops
    WHERE ${w.sql} AND stop_kind IN (${q.kinds.map(() => '?').join(', ')}) GROUP BY ${cols}`;
  const raw = await ex.all(sql, [...w.params, ...q.kinds]);
  const totalMs = raw.reduce((s, r) => s + n(r.ms), 0);
  const rows = raw.map((r) => ({
    ...(q.by === 'reason' ? { reason: (r.reason_id as string | null) ?? null, name: (r.reason_name as string | null) ?? null } : {}),
    category: (r.reason_category as string | null) ?? null,
    stops: n(r.stops),
    durationMs: n(r.ms),
  }));
  const label = (r: { reason?: string | null; category: string | null }): string => (q.by === 'reason' ? (r.reason ?? '\uffff') : (r.category ?? '\uffff'));
  rows.sort((a, b) => b.durationMs - a.durationMs || b.stops - a.stops || cmp(label(a), label(b)));
  let cum = 0;
  const out = rows.map((r) => {
    cum += r.durationMs;
    return { ...r, share: ratio(r.durationMs, totalMs), cumulativeShare: ratio(cum, totalMs) };
  });
  const columns = q.by === 'reason' ? ['reason', 'name', 'category', 'stops', 'durationMs', 'share', 'cumulativeShare'] : ['category', 'stops', 'durationMs', 'share', 'cumulativeShare'];
  return { type: 'pareto', columns, rows: out };
}

/** The six big losses (fh-oee's DEFINITIONS.md) as ms of the period, with their category. */
const LOSSES = [
  { loss: 'unplanned-stops', category: 'availability', ms: 'SUM(downtime_ms + no_data_ms)', count: 'SUM(unplanned_stops)' },
  { loss: 'planned-stops', category: 'availability', ms: 'SUM(changeover_ms)', count: 'SUM(changeovers)' },
  { loss: 'small-stops', category: 'performance', ms: 'SUM(small_stop_ms)', count: 'SUM(small_stops)' },
  { loss: 'slow-cycles', category: 'performance', ms: 'SUM(slow_cycles_ms)', count: 'NULL' },
  { loss: 'production-rejects', category: 'quality', ms: 'SUM(production_reject_ms)', count: 'SUM(reject - startup_reject)' },
  { loss: 'startup-rejects', category: 'quality', ms: 'SUM(startup_reject_ms)', count: 'SUM(startup_reject)' },
] as const;

async function losses(ex: Executor, q: Extract<Query, { type: 'losses' }>): Promise<QueryResult> {
  const g = groupCol(q.by);
  const w = where(q);
  const sql = `SELECT ${g ?? "'plant'"} AS grp, SUM(planned_production_ms) AS ppt, ${LOSSES.map((l, i) => `${l.ms} AS ms${i}, ${l.count} AS c${i}`).join(', ')}
    FROM kpi_shifts WHERE ${w.sql}${g !== null ? ` GROUP BY ${g}` : ''}`;
  const raw = await ex.all(sql, w.params);
  const rows = raw.flatMap((r) =>
    LOSSES.map((l, i) => ({
      group: String(r.grp),
      loss: l.loss,
      category: l.category,
      ms: n(r[`ms${i}`]),
      count: r[`c${i}`] === null ? null : n(r[`c${i}`]),
      shareOfPlannedProduction: ratio(n(r[`ms${i}`]), n(r.ppt)),
    })),
  );
  rows.sort((a, b) => b.ms - a.ms || cmp(a.group, b.group) || cmp(a.loss, b.loss));
  return { type: 'losses', columns: ['group', 'loss', 'category', 'ms', 'count', 'shareOfPlannedProduction'], rows: rows.slice(0, q.limit) };
}

/** MTBF = run time / failures, MTTR = downtime of the failures / failures; failures are ended downtime stops. */
async function reliability(ex: Executor, q: Extract<Query, { type: 'reliability' }>): Promise<QueryResult> {
  const w = where(q);
  const run = await ex.all(`SELECT machine, SUM(run_ms) AS run FROM kpi_shifts WHERE ${w.sql} GROUP BY machine`, w.params);
  const fails = await ex.all(`SELECT machine, COUNT(*) AS failures, SUM(duration_ms) AS ms FROM kpi_stops WHERE ${w.sql} AND stop_kind = 'downtime' AND end_ms IS NOT NULL GROUP BY machine`, w.params);
  const by = new Map<string, { runMs: number; failures: number; repairMs: number }>();
  for (const r of run) by.set(String(r.machine), { runMs: n(r.run), failures: 0, repairMs: 0 });
  for (const r of fails) {
    const m = by.get(String(r.machine)) ?? { runMs: 0, failures: 0, repairMs: 0 };
    m.failures = n(r.failures);
    m.repairMs = n(r.ms);
    by.set(String(r.machine), m);
  }
  const rows = [...by].sort((a, b) => cmp(a[0], b[0])).map(([machine, m]) => ({ machine, ...m, mtbfMs: ratio(m.runMs, m.failures), mttrMs: ratio(m.repairMs, m.failures) }));
  return { type: 'reliability', columns: ['machine', 'runMs', 'failures', 'repairMs', 'mtbfMs', 'mttrMs'], rows };
}

async function trend(ex: Executor, q: Extract<Query, { type: 'trend' }>): Promise<QueryResult> {
  const sql = `SELECT b, MIN(mn) AS mn, MAX(mx) AS mx, SUM(sm) AS sm, SUM(c) AS c FROM (
      SELECT bucket_ms / CAST(? AS BIGINT) AS b, min_value AS mn, max_value AS mx, sum_value AS sm, sample_count AS c
      FROM kpi_tag_buckets WHERE tag = ? AND bucket_ms >= ? AND bucket_ms < ?) s GROUP BY b`;
  const raw = await ex.all(sql, [q.intervalMs, q.tag, q.from, q.to]);
  const rows = raw
    .map((r) => ({ t: n(r.b) * q.intervalMs, min: n(r.mn), max: n(r.mx), avg: n(r.sm) / n(r.c), count: n(r.c) }))
    .sort((a, b) => a.t - b.t)
    .map((r) => ({ time: new Date(r.t).toISOString(), ...r }));
  return { type: 'trend', columns: ['time', 't', 'min', 'max', 'avg', 'count'], rows };
}

export function runQuery(ex: Executor, q: Query, zone: string): Promise<QueryResult> {
  switch (q.type) {
    case 'oee':
      return oee(ex, q, zone);
    case 'pareto':
      return pareto(ex, q);
    case 'losses':
      return losses(ex, q);
    case 'reliability':
      return reliability(ex, q);
    case 'trend':
      return trend(ex, q);
  }
}
