/**
 * The versioned schema on both back ends: a database made by every earlier version migrates to the
 * current one with its rows kept and ends with the same tables and columns as a fresh one; a re-run
 * migrates nothing; a database newer than the code is refused.
 */
import assert from 'node:assert/strict';
import { MIGRATIONS, SCHEMA_VERSION } from '../../nodes/kpi/schema';
import type { KpiStore } from '../../nodes/kpi/store';
import { recordsOfOee } from '../../nodes/kpi/from-oee';
import { BERLIN, HOUR, JAM, count, shiftEnd, stopEvent } from './fixtures';
import { useBackends } from './backends';

async function columns(store: KpiStore): Promise<string[]> {
  const rows =
    store.dialect === 'sqlite'
      ? await store.all<{ t: string; c: string }>("SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name LIKE 'kpi%'")
      : await store.all<{ t: string; c: string }>("SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public' AND table_name LIKE 'kpi%'");
  return rows.map((r) => `${r.t}.${r.c}`).sort();
}

const START = Date.UTC(2026, 10, 2, 5);

/** Rows as a database of `version` holds them, written with that version's columns. */
async function rowsOf(store: KpiStore, version: number): Promise<void> {
  if (version >= 1) {
    await store.run(
      `INSERT INTO kpi_shifts (key, machine, line, site, shift_id, shift_name, day, day_num, week, month, start_ms, end_ms, calendar_ms, planned_stop_ms, planned_production_ms, run_ms, running_ms, downtime_ms, small_stop_ms, changeover_ms, no_data_ms, net_run_ms, fully_productive_ms, total, good, reject, startup_reject, availability, performance, quality, oee, teep, unplanned_stops, small_stops, changeovers, slow_cycles_ms, production_reject_ms, startup_reject_ms, written_at)
       VALUES ('old-shift', 'p/l1/m1', 'p/l1', 'p', '2026-11-02/Early', 'Early', '2026-11-02', 20394, '2026-W45', '2026-11', ?, ?, 28800000, 1800000, 27000000, 24000000, 24000000, 3000000, 0, 0, 0, 20000000, 19000000, 1000, 950, 50, 0, 0.88, 0.83, 0.95, 0.7, 0.6, 1, 0, 0, 4000000, 1000000, 0, 1)`,
      [START, START + 8 * HOUR],
    );
    await store.run(
      `INSERT INTO kpi_stops (key, machine, line, site, stop_id, shift_id, day, day_num, week, month, start_ms, end_ms, duration_ms, state, stop_kind, small, reason_id, reason_category, reason_name, reason_source, reason_code, assigned_at, event_t)
       VALUES ('old-stop', 'p/l1/m1', 'p/l1', 'p', 1, '2026-11-02/Early', '2026-11-02', 20394, '2026-W45', '2026-11', ?, ?, 3000000, 'down', 'downtime', 0, 'jam', 'Mechanical', 'Jam', 'plc', '101', ?, ?)`,
      [START + HOUR, START + HOUR + 3_000_000, START + HOUR, START + HOUR + 3_000_000],
    );
  }
  if (version >= 2) {
    await store.run("INSERT INTO kpi_stop_reasons (key, stop_key, machine, changed_at, reason_id, reason_category, reason_name, source, changed_by) VALUES ('old-why', 'old-stop', 'p/l1/m1', ?, 'jam', 'Mechanical', 'Jam', 'plc', NULL)", [START + HOUR]);
  }
}

describe('KPI schema migrations', function () {
  this.timeout(60_000);
  const backends = useBackends();

  it('has versions 1, 2, 3 ... in order', () => {
    assert.deepEqual(
      MIGRATIONS.map((m) => m.version),
      MIGRATIONS.map((_m, i) => i + 1),
    );
  });

  for (const backend of backends) {
    describe(backend.name, () => {
      let current: string[];
      before(async () => {
        const fresh = await backend.fresh();
        assert.equal(await fresh.migrate(), SCHEMA_VERSION);
        current = await columns(fresh);
        assert.ok(current.includes('kpi_stops.reason_by') && current.includes('kpi_tag_buckets.sum_value'));
      });

      for (let from = 0; from < SCHEMA_VERSION; from++) {
        it(`migrates a version-${from} database to version ${SCHEMA_VERSION}, keeping its rows`, async () => {
          const store = await backend.fresh();
          assert.equal(await store.migrate(from), from);
          assert.equal(await store.version(), from);
          await rowsOf(store, from);
          assert.equal(await store.migrate(), SCHEMA_VERSION);
          assert.deepEqual(await columns(store), current);
          if (from >= 1) {
            assert.equal(await count(store, 'kpi_shifts'), 1);
            const [stop] = await store.all<{ reason_id: string; reason_by: string | null; duration_ms: number }>("SELECT reason_id, reason_by, duration_ms FROM kpi_stops WHERE key = 'old-stop'");
            assert.deepEqual({ ...stop }, { reason_id: 'jam', reason_by: null, duration_ms: 3_000_000 });
          }
          assert.equal(await count(store, 'kpi_stop_reasons'), from >= 2 ? 1 : 0);
          // The migrated database takes every kind of record of the current version.
          const records = [
            ...(recordsOfOee(shiftEnd('p/l1/m2', { id: '2026-11-02/Early', start: START, end: START + 8 * HOUR }, { ppt: 7 * HOUR, run: 6 * HOUR, net: 5 * HOUR, total: 100, good: 90 }), BERLIN) ?? []),
            ...(recordsOfOee(stopEvent('stop-reason', 'p/l1/m2', { id: 7, shiftId: '2026-11-02/Early', start: START + HOUR, end: START + 2 * HOUR, reason: JAM, source: 'operator' }), BERLIN, 'anna') ?? []),
          ];
          await store.write(records);
          assert.equal(await count(store, 'kpi_shift_products'), 1);
          assert.equal(await count(store, 'kpi_stop_reasons'), from >= 2 ? 2 : 1);
          // A second start migrates nothing.
          assert.equal(await store.migrate(), SCHEMA_VERSION);
          const versions = await store.all<{ version: number }>('SELECT version FROM kpi_schema ORDER BY version');
          assert.deepEqual(versions.map((v) => Number(v.version)), MIGRATIONS.map((m) => m.version));
        });
      }

      it('refuses a database of a newer schema than this hub knows', async () => {
        const store = await backend.fresh();
        await store.migrate();
        await store.run("INSERT INTO kpi_schema (version, what, applied_at) VALUES (?, 'from the future', 0)", [SCHEMA_VERSION + 1]);
        await assert.rejects(store.migrate(), new RegExp(`schema version ${SCHEMA_VERSION + 1}, newer than this hub knows \\(${SCHEMA_VERSION}\\): update the hub`));
      });
    });
  }
});
