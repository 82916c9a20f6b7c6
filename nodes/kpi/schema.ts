/**
 * The KPI schema, versioned. Migrations run in order at start, forward only, each in one transaction with
 * the version row; a database already at a later version than this code knows is refused (an older hub
 * must not write into a newer schema it does not understand). Pure: SQL text per dialect.
 *
 * Column types: whole numbers (ms since 1970, durations in ms, counts) are BIGINT on PostgreSQL and
 * INTEGER on SQLite; ratios and tag values DOUBLE PRECISION / REAL. No column is named after a reserved
 * word (start_ms, end_ms), so analysts can query the tables as they are.
 */
import { CREATE_VIEWS } from './views';

export type Dialect = 'sqlite' | 'postgres';

export interface Migration {
  readonly version: number;
  readonly what: string;
  sql(d: Dialect): readonly string[];
}

const types = (d: Dialect): { big: string; real: string } => (d === 'postgres' ? { big: 'BIGINT', real: 'DOUBLE PRECISION' } : { big: 'INTEGER', real: 'REAL' });

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    what: 'shift-end records and stops',
    sql: (d) => {
      const { big, real } = types(d);
      return [
        `CREATE TABLE kpi_shifts (
          key TEXT PRIMARY KEY, machine TEXT NOT NULL, line TEXT NOT NULL, site TEXT NOT NULL,
          shift_id TEXT NOT NULL, shift_name TEXT NOT NULL, day TEXT NOT NULL, day_num INTEGER NOT NULL, week TEXT NOT NULL, month TEXT NOT NULL,
          start_ms ${big} NOT NULL, end_ms ${big} NOT NULL,
          calendar_ms ${big} NOT NULL, planned_stop_ms ${big} NOT NULL, planned_production_ms ${big} NOT NULL, run_ms ${big} NOT NULL,
          running_ms ${big} NOT NULL, downtime_ms ${big} NOT NULL, small_stop_ms ${big} NOT NULL, changeover_ms ${big} NOT NULL,
          no_data_ms ${big} NOT NULL, net_run_ms ${big}, fully_productive_ms ${big},
          total ${big} NOT NULL, good ${big} NOT NULL, reject ${big} NOT NULL, startup_reject ${big} NOT NULL,
          availability ${real}, performance ${real}, quality ${real}, oee ${real}, teep ${real},
          unplanned_stops INTEGER NOT NULL, small_stops INTEGER NOT NULL, changeovers INTEGER NOT NULL,
          slow_cycles_ms ${big}, production_reject_ms ${big}, startup_reject_ms ${big},
          written_at ${big} NOT NULL
        )`,
        'CREATE INDEX kpi_shifts_day ON kpi_shifts (day_num, machine)',
        `CREATE TABLE kpi_stops (
          key TEXT PRIMARY KEY, machine TEXT NOT NULL, line TEXT NOT NULL, site TEXT NOT NULL,
          stop_id ${big} NOT NULL, shift_id TEXT NOT NULL, day TEXT NOT NULL, day_num INTEGER NOT NULL, week TEXT NOT NULL, month TEXT NOT NULL,
          start_ms ${big} NOT NULL, end_ms ${big}, duration_ms ${big} NOT NULL, state TEXT NOT NULL, stop_kind TEXT NOT NULL, small INTEGER NOT NULL,
          reason_id TEXT, reason_category TEXT, reason_name TEXT, reason_source TEXT, reason_code TEXT, assigned_at ${big},
          event_t ${big} NOT NULL
        )`,
        'CREATE INDEX kpi_stops_day ON kpi_stops (day_num, machine)',
      ];
    },
  },
  {
    version: 2,
    what: 'history of reason changes, who named a reason',
    sql: (d) => {
      const { big } = types(d);
      return [
        'ALTER TABLE kpi_stops ADD COLUMN reason_by TEXT',
        `CREATE TABLE kpi_stop_reasons (
          key TEXT PRIMARY KEY, stop_key TEXT NOT NULL, machine TEXT NOT NULL, changed_at ${big} NOT NULL,
          reason_id TEXT, reason_category TEXT, reason_name TEXT, source TEXT, changed_by TEXT
        )`,
        'CREATE INDEX kpi_stop_reasons_stop ON kpi_stop_reasons (stop_key, changed_at)',
      ];
    },
  },
  {
    version: 3,
    what: 'products per shift, order runs, downsampled tag samples',
    sql: (d) => {
      const { big, real } = types(d);
      return [
        `CREATE TABLE kpi_shift_products (
          shift_key TEXT NOT NULL, seq INTEGER NOT NULL, product TEXT, order_id TEXT, ideal_cycle_time_ms ${real},
          total ${big} NOT NULL, good ${big} NOT NULL, reject ${big} NOT NULL, startup_reject ${big} NOT NULL,
          PRIMARY KEY (shift_key, seq)
        )`,
        `CREATE TABLE kpi_order_runs (
          key TEXT PRIMARY KEY, machine TEXT NOT NULL, line TEXT NOT NULL, site TEXT NOT NULL, order_id TEXT NOT NULL, product TEXT,
          start_ms ${big} NOT NULL, end_ms ${big}, total ${big} NOT NULL, good ${big} NOT NULL, reject ${big} NOT NULL, event_t ${big} NOT NULL
        )`,
        'CREATE INDEX kpi_order_runs_order ON kpi_order_runs (order_id)',
        `CREATE TABLE kpi_tag_buckets (
          key TEXT PRIMARY KEY, tag TEXT NOT NULL, bucket_ms ${big} NOT NULL, interval_ms ${big} NOT NULL, part TEXT NOT NULL,
          min_value ${real} NOT NULL, max_value ${real} NOT NULL, sum_value ${real} NOT NULL, sample_count ${big} NOT NULL,
          first_ms ${big} NOT NULL, last_ms ${big} NOT NULL
        )`,
        'CREATE INDEX kpi_tag_buckets_tag ON kpi_tag_buckets (tag, bucket_ms)',
        'CREATE INDEX kpi_stops_end ON kpi_stops (end_ms)',
        'CREATE INDEX kpi_shifts_end ON kpi_shifts (end_ms)',
      ];
    },
  },
  {
    version: 4,
    what: 'views for BI tools (OEE by machine, line, site, plant per day, week, month; downtime by reason per day)',
    sql: () => CREATE_VIEWS,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export const VERSION_TABLE = `CREATE TABLE IF NOT EXISTS kpi_schema (version INTEGER NOT NULL, what TEXT NOT NULL, applied_at BIGINT NOT NULL)`;

/** Migrations still to run from `current` up to `target`; throws on a database newer than this code. */
export function pending(current: number, target = SCHEMA_VERSION): readonly Migration[] {
  if (current > SCHEMA_VERSION) throw new Error(`the KPI database has schema version ${current}, newer than this hub knows (${SCHEMA_VERSION}): update the hub`);
  return MIGRATIONS.filter((m) => m.version > current && m.version <= target);
}
