/**
 * The BI views (schema migration 4) on both back ends: they exist after migrating, and on two weeks of
 * the demo line's simulated history they give the figures of the queries module, computed from times
 * and counts: OEE and its factors by machine, line, site and plant per day, week and month, and the
 * downtime Pareto by reason over a range summed from the per-day view.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { runQuery } from '../../nodes/kpi/queries';
import { parseQuery } from '../../nodes/kpi/query-types';
import type { KpiStore, Row } from '../../nodes/kpi/store';
import { DOWNTIME_VIEW, VIEW_NAMES, oeeView } from '../../nodes/kpi/views';
import type { ViewLevel, ViewPeriod } from '../../nodes/kpi/views';
import { formatDay, parseDay } from '../../nodes/oee/time-zone';
import { seedHistory } from '../../simulator/seed-history';
import { repoRoot } from '../support/hub-process';
import { BERLIN, near } from './fixtures';
import { useBackends } from './backends';

const UNTIL = parseDay('2026-11-04') ?? 0; // two weeks across the end of summer time (2026-10-25)
const FROM = formatDay(UNTIL - 14);
const TO = formatDay(UNTIL);

interface GrafanaDashboard {
  readonly templating: { readonly list: readonly { readonly query: string }[] };
  readonly panels: readonly { readonly title: string; readonly targets: readonly { readonly rawSql: string }[] }[];
}

/** Grafana's macros and the machine variable as Grafana expands them for a PostgreSQL data source. */
function expand(sql: string, from: number, to: number, machines: readonly string[]): string {
  return sql
    .replace(/\$__timeFrom\(\)/g, `'${new Date(from).toISOString()}'`)
    .replace(/\$__timeTo\(\)/g, `'${new Date(to).toISOString()}'`)
    .replace(/\$__unixEpochFrom\(\)/g, String(Math.floor(from / 1000)))
    .replace(/\$__unixEpochTo\(\)/g, String(Math.floor(to / 1000)))
    .replace(/\$machine/g, machines.map((m) => `'${m}'`).join(','));
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const FIGURES = ['availability', 'performance', 'quality', 'oee'] as const;
const SUMS: readonly [string, string][] = [
  ['plannedProductionMs', 'planned_production_ms'], ['runMs', 'run_ms'], ['netRunMs', 'net_run_ms'], ['downtimeMs', 'downtime_ms'],
  ['smallStopMs', 'small_stop_ms'], ['changeoverMs', 'changeover_ms'], ['total', 'total'], ['good', 'good'], ['reject', 'reject'],
];

describe('KPI views for BI tools', function () {
  this.timeout(120_000);
  for (const backend of useBackends()) {
    describe(backend.name, () => {
      let store: KpiStore;
      before(async () => {
        store = await backend.fresh();
        await seedHistory(store, { seed: 3, weeks: 2, untilDay: UNTIL });
      });

      it('creates every view', async () => {
        for (const v of VIEW_NAMES) {
          const rows = await store.all(`SELECT COUNT(*) AS n FROM ${v}`);
          assert.ok(Number(rows[0].n) > 0, `${v} is empty`);
        }
      });

      const levels: readonly [ViewLevel, string][] = [['machine', 'machine'], ['line', 'line'], ['site', 'site'], ['plant', 'plant']];
      const periods: readonly ViewPeriod[] = ['day', 'week', 'month'];
      for (const [level, by] of levels) {
        for (const period of periods) {
          it(`${oeeView(level, period)} gives the OEE query's figures by ${by} per ${period}`, async () => {
            const q = await runQuery(store, parseQuery({ type: 'oee', by, period, from: FROM, to: TO }, BERLIN), BERLIN);
            // The query covers whole periods of the range; the view all of them: compare the query's rows.
            const view = await store.all(`SELECT * FROM ${oeeView(level, period)}`);
            const key = (r: Row): string => `${level === 'plant' ? 'plant' : String(r[level])}|${String(r[period])}`;
            const byKey = new Map(view.map((r) => [key(r), r]));
            assert.ok(q.rows.length >= (period === 'day' ? 14 : 2));
            for (const r of q.rows) {
              const v = byKey.get(`${String(r.group)}|${String(r.period)}`);
              assert.ok(v, `no view row for ${String(r.group)} ${String(r.period)}`);
              assert.equal(Number(v.shifts), r.shifts);
              assert.equal(Number(v.machines), r.machines);
              for (const [a, b] of SUMS) assert.equal(num(v[b]), r[a], `${a} of ${String(r.group)} ${String(r.period)}`);
              for (const f of FIGURES) {
                assert.equal(typeof r[f], 'number');
                near(num(v[f]), r[f] as number);
              }
            }
          });
        }
      }

      it(`${DOWNTIME_VIEW} sums to the Pareto by reason of a range`, async () => {
        const from = formatDay(UNTIL - 10);
        const q = await runQuery(store, parseQuery({ type: 'pareto', by: 'reason', from, to: TO, line: 'demo/packaging/line1' }, BERLIN), BERLIN);
        const view = await store.all(
          `SELECT reason_id, SUM(stops) AS stops, SUM(duration_ms) AS ms FROM ${DOWNTIME_VIEW}
           WHERE day >= ? AND day < ? AND line = ? AND stop_kind IN ('downtime', 'small-stop', 'changeover', 'no-data') GROUP BY reason_id`,
          [from, TO, 'demo/packaging/line1'],
        );
        const byReason = new Map(view.map((r) => [(r.reason_id as string | null) ?? '', r]));
        assert.ok(q.rows.length >= 5);
        assert.equal(view.length, q.rows.length);
        for (const r of q.rows) {
          const v = byReason.get((r.reason as string | null) ?? '');
          assert.ok(v, `no view row for ${String(r.reason)}`);
          assert.equal(Number(v.stops), r.stops);
          assert.equal(Number(v.ms), r.durationMs);
        }
      });

      if (backend.name === 'postgres') {
        it('answers every query of the example Grafana dashboard (docs/grafana-kpi-dashboard.json)', async () => {
          const dash = JSON.parse(fs.readFileSync(path.join(repoRoot, 'docs', 'grafana-kpi-dashboard.json'), 'utf8')) as GrafanaDashboard;
          const machines = (await store.all(dash.templating.list[0].query)).map((r) => String(r.machine));
          assert.equal(machines.length, 4);
          const from = Date.parse(`${formatDay(UNTIL - 10)}T00:00:00Z`);
          const to = Date.parse(`${TO}T00:00:00Z`);
          for (const p of dash.panels) {
            const rows = await store.all(expand(p.targets[0].rawSql, from, to, machines));
            assert.ok(rows.length > 0, `panel ${p.title} has no rows`);
          }
        });
      }
    });
  }
});
