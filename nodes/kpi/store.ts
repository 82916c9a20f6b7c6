/**
 * The KpiStore interface and what both back ends share: migrations, idempotent writes (upserts keyed by
 * the record's key) and retention, all as SQL with `?` placeholders run through a back end's Executor.
 */
import type { KpiRecord, ReasonChange, ShiftRecord, StopRecord, TagBucket, OrderRun } from './records';
import type { Dialect } from './schema';
import { VERSION_TABLE, pending } from './schema';

export type Row = Record<string, unknown>;

/** One connection (or a transaction on it): SQL with `?` placeholders. */
export interface Executor {
  run(sql: string, params?: readonly unknown[]): Promise<void>;
  all<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
}

export interface Retention {
  /** Days kept; 0 or undefined keeps forever. */
  readonly shiftsDays?: number;
  readonly stopsDays?: number;
  readonly ordersDays?: number;
  readonly samplesDays?: number;
}

export interface KpiStore extends Executor {
  readonly dialect: Dialect;
  /** Runs the pending migrations; returns the schema version now. */
  migrate(target?: number): Promise<number>;
  version(): Promise<number>;
  /** Writes records in one transaction; a record whose key is stored replaces it (a stop only by a newer event). */
  write(records: readonly KpiRecord[]): Promise<void>;
  /** Deletes what is older than the retention of its kind; returns rows deleted. */
  prune(retention: Retention, now: number): Promise<number>;
  /** Runs fn in one transaction (serialised with the store's other transactions). */
  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const b = (v: boolean): number => (v ? 1 : 0);

export async function currentVersion(ex: Executor): Promise<number> {
  await ex.run(VERSION_TABLE);
  const rows = await ex.all<{ v: number | null }>('SELECT MAX(version) AS v FROM kpi_schema');
  return Number(rows[0]?.v ?? 0);
}

/** Applies migrations inside `tx` (the caller holds the lock of its back end). */
export async function migrateIn(tx: Executor, dialect: Dialect, target: number | undefined, now: number): Promise<number> {
  let v = await currentVersion(tx);
  for (const m of pending(v, target)) {
    for (const sql of m.sql(dialect)) await tx.run(sql);
    await tx.run('INSERT INTO kpi_schema (version, what, applied_at) VALUES (?, ?, ?)', [m.version, m.what, now]);
    v = m.version;
  }
  return v;
}

const SHIFT_COLS = [
  'key', 'machine', 'line', 'site', 'shift_id', 'shift_name', 'day', 'day_num', 'week', 'month', 'start_ms', 'end_ms',
  'calendar_ms', 'planned_stop_ms', 'planned_production_ms', 'run_ms', 'running_ms', 'downtime_ms', 'small_stop_ms', 'changeover_ms',
  'no_data_ms', 'net_run_ms', 'fully_productive_ms', 'total', 'good', 'reject', 'startup_reject',
  'availability', 'performance', 'quality', 'oee', 'teep', 'unplanned_stops', 'small_stops', 'changeovers',
  'slow_cycles_ms', 'production_reject_ms', 'startup_reject_ms', 'written_at',
];
const STOP_COLS = [
  'key', 'machine', 'line', 'site', 'stop_id', 'shift_id', 'day', 'day_num', 'week', 'month', 'start_ms', 'end_ms', 'duration_ms', 'state',
  'stop_kind', 'small', 'reason_id', 'reason_category', 'reason_name', 'reason_source', 'reason_code', 'assigned_at', 'reason_by', 'event_t',
];

function upsert(table: string, cols: readonly string[], set: string, where = ''): string {
  return `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')}) ON CONFLICT (key) DO UPDATE SET ${set}${where}`;
}
const replaceAll = (cols: readonly string[]): string => cols.filter((c) => c !== 'key').map((c) => `${c} = excluded.${c}`).join(', ');

const SQL = {
  shift: upsert('kpi_shifts', SHIFT_COLS, replaceAll(SHIFT_COLS)),
  // A stop row moves only forward in event time; an ended stop stays ended (its length then is final).
  stop: upsert(
    'kpi_stops',
    STOP_COLS,
    [
      'end_ms = COALESCE(excluded.end_ms, kpi_stops.end_ms)',
      'duration_ms = CASE WHEN excluded.end_ms IS NULL AND kpi_stops.end_ms IS NOT NULL THEN kpi_stops.duration_ms ELSE excluded.duration_ms END',
      'state = excluded.state, stop_kind = CASE WHEN excluded.end_ms IS NULL AND kpi_stops.end_ms IS NOT NULL THEN kpi_stops.stop_kind ELSE excluded.stop_kind END',
      'small = CASE WHEN excluded.end_ms IS NULL AND kpi_stops.end_ms IS NOT NULL THEN kpi_stops.small ELSE excluded.small END',
      'reason_id = excluded.reason_id, reason_category = excluded.reason_category, reason_name = excluded.reason_name',
      'reason_source = excluded.reason_source, reason_code = excluded.reason_code, assigned_at = excluded.assigned_at',
      'reason_by = COALESCE(excluded.reason_by, kpi_stops.reason_by), event_t = excluded.event_t',
    ].join(', '),
    ' WHERE excluded.event_t >= kpi_stops.event_t',
  ),
  reason: 'INSERT INTO kpi_stop_reasons (key, stop_key, machine, changed_at, reason_id, reason_category, reason_name, source, changed_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING',
  order: upsert(
    'kpi_order_runs',
    ['key', 'machine', 'line', 'site', 'order_id', 'product', 'start_ms', 'end_ms', 'total', 'good', 'reject', 'event_t'],
    'end_ms = COALESCE(excluded.end_ms, kpi_order_runs.end_ms), product = excluded.product, total = excluded.total, good = excluded.good, reject = excluded.reject, event_t = excluded.event_t',
    ' WHERE excluded.event_t >= kpi_order_runs.event_t',
  ),
  tag: upsert(
    'kpi_tag_buckets',
    ['key', 'tag', 'bucket_ms', 'interval_ms', 'part', 'min_value', 'max_value', 'sum_value', 'sample_count', 'first_ms', 'last_ms'],
    'min_value = excluded.min_value, max_value = excluded.max_value, sum_value = excluded.sum_value, sample_count = excluded.sample_count, first_ms = excluded.first_ms, last_ms = excluded.last_ms',
  ),
};

function shiftParams(r: ShiftRecord, now: number): unknown[] {
  return [
    r.key, r.machine, r.line, r.site, r.shiftId, r.shiftName, r.day, r.dayNum, r.week, r.month, r.start, r.end,
    r.calendarMs, r.plannedStopMs, r.plannedProductionMs, r.runMs, r.runningMs, r.downtimeMs, r.smallStopMs, r.changeoverMs,
    r.noDataMs, r.netRunMs, r.fullyProductiveMs, r.total, r.good, r.reject, r.startupReject,
    r.availability, r.performance, r.quality, r.oee, r.teep, r.unplannedStops, r.smallStops, r.changeovers,
    r.slowCyclesMs, r.productionRejectMs, r.startupRejectMs, now,
  ];
}
function stopParams(r: StopRecord): unknown[] {
  return [
    r.key, r.machine, r.line, r.site, r.stopId, r.shiftId, r.day, r.dayNum, r.week, r.month, r.start, r.end, r.durationMs, r.state,
    r.stopKind, b(r.small), r.reason.id, r.reason.category, r.reason.name, r.reasonSource, r.reasonCode, r.assignedAt, r.by, r.t,
  ];
}
const reasonParams = (r: ReasonChange): unknown[] => [r.key, r.stopKey, r.machine, r.at, r.reason.id, r.reason.category, r.reason.name, r.source, r.by];
const orderParams = (r: OrderRun): unknown[] => [r.key, r.machine, r.line, r.site, r.order, r.product, r.start, r.end, r.total, r.good, r.reject, r.t];
const tagParams = (r: TagBucket): unknown[] => [r.key, r.tag, r.bucket, r.intervalMs, r.part, r.min, r.max, r.sum, r.count, r.first, r.last];

/** Rows of one multi-row statement at most (parameters stay under both back ends' limits). */
const MAX_ROWS = 200;

interface RowSql {
  /** INSERT ... VALUES, without the rows. */
  readonly head: string;
  /** ON CONFLICT ... of the statement. */
  readonly tail: string;
  readonly cols: number;
}

function split(sql: string): RowSql {
  const values = sql.indexOf(' VALUES (');
  const conflict = sql.indexOf(' ON CONFLICT');
  return { head: sql.slice(0, values), tail: sql.slice(conflict), cols: sql.slice(values, conflict).split('?').length - 1 };
}

const ROWS = { stop: split(SQL.stop), 'reason-change': split(SQL.reason), 'order-run': split(SQL.order), 'tag-bucket': split(SQL.tag) };

function paramsOf(r: Exclude<KpiRecord, ShiftRecord>): unknown[] {
  switch (r.kind) {
    case 'stop':
      return stopParams(r);
    case 'reason-change':
      return reasonParams(r);
    case 'order-run':
      return orderParams(r);
    case 'tag-bucket':
      return tagParams(r);
  }
}

async function writeShift(tx: Executor, r: ShiftRecord, now: number): Promise<void> {
  await tx.run(SQL.shift, shiftParams(r, now));
  await tx.run('DELETE FROM kpi_shift_products WHERE shift_key = ?', [r.key]);
  for (const [i, p] of r.products.entries()) {
    await tx.run('INSERT INTO kpi_shift_products (shift_key, seq, product, order_id, ideal_cycle_time_ms, total, good, reject, startup_reject) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
      r.key, i, p.product, p.order, p.idealCycleTimeMs, p.total, p.good, p.reject, p.startupReject,
    ]);
  }
}

/**
 * Writes records through `tx` (inside the caller's transaction). Each kind has its own table, so kinds
 * are written apart; within a kind the order holds. Records of one kind with distinct keys go in one
 * multi-row statement: the same result as one statement each (a row only meets rows already stored),
 * with one round trip instead of hundreds. A key seen again starts a new statement, so a stop's start
 * and end in one batch are applied one after the other.
 */
export async function writeIn(tx: Executor, records: readonly KpiRecord[], now: number): Promise<void> {
  const byKind = new Map<Exclude<KpiRecord, ShiftRecord>['kind'], Exclude<KpiRecord, ShiftRecord>[]>();
  for (const r of records) {
    if (r.kind === 'shift') await writeShift(tx, r, now);
    else {
      let list = byKind.get(r.kind);
      if (list === undefined) byKind.set(r.kind, (list = []));
      list.push(r);
    }
  }
  for (const [kind, list] of byKind) {
    const sql = ROWS[kind];
    const row = `(${new Array<string>(sql.cols).fill('?').join(', ')})`;
    let i = 0;
    while (i < list.length) {
      const keys = new Set<string>();
      const params: unknown[] = [];
      let j = i;
      for (; j < list.length && j - i < MAX_ROWS && !keys.has(list[j].key); j++) {
        keys.add(list[j].key);
        params.push(...paramsOf(list[j]));
      }
      await tx.run(`${sql.head} VALUES ${new Array<string>(j - i).fill(row).join(', ')}${sql.tail}`, params);
      i = j;
    }
  }
}

const DAY = 86_400_000;

export async function pruneIn(tx: Executor, r: Retention, now: number): Promise<number> {
  let n = 0;
  const count = async (sql: string, params: unknown[]): Promise<void> => {
    const rows = await tx.all<{ n: number }>(`SELECT COUNT(*) AS n FROM ${sql}`, params);
    n += Number(rows[0]?.n ?? 0);
  };
  const cut = (days: number | undefined): number | undefined => (days && days > 0 ? now - days * DAY : undefined);
  const shifts = cut(r.shiftsDays);
  if (shifts !== undefined) {
    await count('kpi_shifts WHERE end_ms < ?', [shifts]);
    await tx.run('DELETE FROM kpi_shift_products WHERE shift_key IN (SELECT key FROM kpi_shifts WHERE end_ms < ?)', [shifts]);
    await tx.run('DELETE FROM kpi_shifts WHERE end_ms < ?', [shifts]);
  }
  const stops = cut(r.stopsDays);
  if (stops !== undefined) {
    await count('kpi_stops WHERE end_ms < ?', [stops]);
    await tx.run('DELETE FROM kpi_stop_reasons WHERE stop_key IN (SELECT key FROM kpi_stops WHERE end_ms < ?)', [stops]);
    await tx.run('DELETE FROM kpi_stops WHERE end_ms < ?', [stops]);
  }
  const orders = cut(r.ordersDays);
  if (orders !== undefined) {
    await count('kpi_order_runs WHERE end_ms < ?', [orders]);
    await tx.run('DELETE FROM kpi_order_runs WHERE end_ms < ?', [orders]);
  }
  const samples = cut(r.samplesDays);
  if (samples !== undefined) {
    await count('kpi_tag_buckets WHERE last_ms < ?', [samples]);
    await tx.run('DELETE FROM kpi_tag_buckets WHERE last_ms < ?', [samples]);
  }
  return n;
}

/** A promise chain: one transaction at a time on a connection. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
