/**
 * SQL views for BI tools (Grafana, Power BI, Metabase), created by schema migration 4 on both back ends.
 * Pure: SQL text. docs/kpi-views.md documents them for analysts.
 *
 * The figures of a period are computed from its summed times and counts, exactly as queries.ts computes
 * them (availability = Σ run / Σ planned production, performance = Σ net run / Σ run, quality = Σ good /
 * Σ total, OEE = A × P × Q), never averaged from shift percentages; every view also holds the sums, so a
 * tool that groups further (a range of days, several lines) sums them and divides again. TEEP is left
 * out: its calendar time needs the plant's time zone (23 h and 25 h days), which the database does not
 * hold; queries.ts and the HTTP endpoint give it.
 *
 * A later migration that alters a column these views read drops them first (DROP_VIEWS) and creates
 * them again after.
 */
const LEVELS = {
  machine: ['site', 'line', 'machine'],
  line: ['site', 'line'],
  site: ['site'],
  plant: [],
} as const;

const PERIODS = {
  day: ['day', 'day_num', 'week', 'month'],
  week: ['week'],
  month: ['month'],
} as const;

export type ViewLevel = keyof typeof LEVELS;
export type ViewPeriod = keyof typeof PERIODS;

export const oeeView = (level: ViewLevel, period: ViewPeriod): string => `kpi_oee_${level}_${period}`;
export const DOWNTIME_VIEW = 'kpi_downtime_day';

const f = (sql: string): string => `CAST(${sql} AS DOUBLE PRECISION)`;
const MISSING = 'SUM(CASE WHEN net_run_ms IS NULL AND total > 0 THEN 1 ELSE 0 END)';
const A = `${f('SUM(run_ms)')} / NULLIF(SUM(planned_production_ms), 0)`;
const P = `CASE WHEN ${MISSING} > 0 THEN NULL ELSE ${f('SUM(COALESCE(net_run_ms, 0))')} / NULLIF(SUM(run_ms), 0) END`;
const Q = `${f('SUM(good)')} / NULLIF(SUM(total), 0)`;

function oeeSql(level: ViewLevel, period: ViewPeriod): string {
  const keys = [...LEVELS[level], ...PERIODS[period]];
  return `CREATE VIEW ${oeeView(level, period)} AS SELECT ${keys.join(', ')}${keys.length > 0 ? ', ' : ''}
    COUNT(DISTINCT machine) AS machines, COUNT(*) AS shifts, MIN(start_ms) AS first_start_ms, MAX(end_ms) AS last_end_ms,
    SUM(planned_production_ms) AS planned_production_ms, SUM(run_ms) AS run_ms,
    CASE WHEN ${MISSING} > 0 THEN NULL ELSE SUM(COALESCE(net_run_ms, 0)) END AS net_run_ms,
    SUM(downtime_ms) AS downtime_ms, SUM(small_stop_ms) AS small_stop_ms, SUM(changeover_ms) AS changeover_ms, SUM(no_data_ms) AS no_data_ms,
    SUM(total) AS total, SUM(good) AS good, SUM(reject) AS reject,
    ${A} AS availability, ${P} AS performance, ${Q} AS quality,
    COALESCE((${A}) * (${P}) * (${Q}), CASE WHEN SUM(planned_production_ms) > 0 AND SUM(total) = 0 THEN 0.0 END) AS oee
    FROM kpi_shifts${keys.length > 0 ? ` GROUP BY ${keys.join(', ')}` : ''}`;
}

const DOWNTIME_SQL = `CREATE VIEW ${DOWNTIME_VIEW} AS SELECT site, line, machine, day, day_num, week, month, stop_kind,
    reason_id, reason_category, reason_name, COUNT(*) AS stops, SUM(duration_ms) AS duration_ms
    FROM kpi_stops GROUP BY site, line, machine, day, day_num, week, month, stop_kind, reason_id, reason_category, reason_name`;

export const VIEW_NAMES: readonly string[] = [
  ...(Object.keys(LEVELS) as ViewLevel[]).flatMap((l) => (Object.keys(PERIODS) as ViewPeriod[]).map((p) => oeeView(l, p))),
  DOWNTIME_VIEW,
];

export const CREATE_VIEWS: readonly string[] = [
  ...(Object.keys(LEVELS) as ViewLevel[]).flatMap((l) => (Object.keys(PERIODS) as ViewPeriod[]).map((p) => oeeSql(l, p))),
  DOWNTIME_SQL,
];

export const DROP_VIEWS: readonly string[] = VIEW_NAMES.map((v) => `DROP VIEW IF EXISTS ${v}`);
