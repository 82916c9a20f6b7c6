/**
 * Queries on both back ends, with figures computed by hand: OEE and its factors by machine, line and
 * plant per shift, day, week and month, from times and counts (not averaged percentages); DST days in
 * Europe/Berlin (23 h on the last Sunday of March, 25 h on the last Sunday of October); downtime Pareto
 * by reason and category; the six big losses; MTBF and MTTR; a tag trend. Both back ends give the same
 * results, and a real fh-oee engine's shift-end record reads back with the engine's own figures.
 */
import assert from 'node:assert/strict';
import { recordsOfOee } from '../../nodes/kpi/from-oee';
import { runQuery } from '../../nodes/kpi/queries';
import type { QueryResult } from '../../nodes/kpi/queries';
import { parseQuery } from '../../nodes/kpi/query-types';
import type { KpiRecord } from '../../nodes/kpi/records';
import { shiftDay } from '../../nodes/kpi/records';
import { Sampler } from '../../nodes/kpi/sampler';
import type { KpiStore } from '../../nodes/kpi/store';
import { noticeMessage } from '../../nodes/oee/output';
import { QUIET, at, harness } from '../oee/fixtures';
import { BERLIN, HOUR, JAM, MATERIAL, MIN, MOTOR, near, shiftEnd, stopEvent } from './fixtures';
import { useBackends } from './backends';

const M1 = 'acme/pack/line1/filler';
const M2 = 'acme/pack/line1/capper';
const M3 = 'acme/pack/line2/labeller';
const MON = Date.UTC(2026, 10, 2, 5); // 2026-11-02 06:00 Berlin (CET)
const TUE = MON + 24 * HOUR;
const early = (t0: number, day: string) => ({ id: `${day}/Early`, name: 'Early', start: t0, end: t0 + 8 * HOUR });
const late = (t0: number, day: string) => ({ id: `${day}/Late`, name: 'Late', start: t0 + 8 * HOUR, end: t0 + 16 * HOUR });

const rec = (payload: unknown, by: string | null = null): KpiRecord[] => recordsOfOee(payload, BERLIN, by) ?? [];

function november(): KpiRecord[] {
  const monEarly = early(MON, '2026-11-02');
  const stop = (id: number, startMin: number, mins: number, reason: typeof JAM | null, kind: 'downtime' | 'planned' = 'downtime') =>
    rec(stopEvent('stop-end', M1, { id, shiftId: monEarly.id, start: MON + startMin * MIN, end: MON + (startMin + mins) * MIN, reason, kind }));
  return [
    ...rec(shiftEnd(M1, monEarly, { ppt: 7 * HOUR, run: 6 * HOUR, net: 5 * HOUR, total: 1000, good: 900, small: 10 * MIN })),
    ...rec(shiftEnd(M1, late(MON, '2026-11-02'), { ppt: 7 * HOUR, run: 3.5 * HOUR, net: 3 * HOUR, total: 500, good: 500, changeover: 30 * MIN })),
    ...rec(shiftEnd(M2, monEarly, { ppt: 7 * HOUR, run: 7 * HOUR, net: 7 * HOUR, total: 200, good: 100 })),
    ...rec(shiftEnd(M3, monEarly, { ppt: 7 * HOUR, run: 5 * HOUR, net: 4 * HOUR, total: 400, good: 380 })),
    ...rec(shiftEnd(M1, early(TUE, '2026-11-03'), { ppt: 7 * HOUR, run: 7 * HOUR, net: 6.3 * HOUR, total: 800, good: 800 })),
    ...stop(1, 30, 20, JAM),
    ...stop(2, 60, 10, JAM),
    ...stop(3, 90, 15, MOTOR),
    ...stop(4, 120, 30, MATERIAL),
    ...stop(5, 180, 5, null),
    ...stop(6, 240, 60, null, 'planned'),
  ];
}

async function query(store: KpiStore, q: Record<string, unknown>, zone = BERLIN): Promise<QueryResult> {
  return runQuery(store, parseQuery(q, zone), zone);
}

const row = (r: QueryResult, group: string, period?: string): Record<string, unknown> => {
  const hit = r.rows.find((x) => x.group === group && (period === undefined || x.period === period));
  assert.ok(hit, `no row ${group} ${period ?? ''} in ${JSON.stringify(r.rows.map((x) => [x.group, x.period]))}`);
  return hit;
};

describe('KPI queries', function () {
  this.timeout(60_000);
  const backends = useBackends();
  const results: Record<string, Record<string, QueryResult>> = {};

  it('attributes a shift to the date it starts on, else to the local date of its start', () => {
    assert.equal(shiftDay('2026-03-28/Night', Date.UTC(2026, 2, 28, 21), BERLIN).day, '2026-03-28');
    assert.equal(shiftDay('night', Date.UTC(2026, 2, 28, 23, 30), BERLIN).day, '2026-03-29');
    assert.equal(shiftDay('x', Date.UTC(2026, 0, 1, 10), BERLIN).week, '2026-W01');
    assert.equal(shiftDay('x', Date.UTC(2027, 0, 1, 10), BERLIN).week, '2026-W53');
  });

  for (const backend of backends) {
    describe(backend.name, () => {
      let store: KpiStore;
      const keep = (name: string, r: QueryResult): QueryResult => {
        (results[name] ??= {})[backend.name] = r;
        return r;
      };
      before(async () => {
        store = await backend.fresh();
        await store.migrate();
        await store.write(november());
      });

      it('OEE by machine per day from times and counts, not the mean of the shifts', async () => {
        const r = keep('oee-day', await query(store, { type: 'oee', by: 'machine', period: 'day', from: '2026-11-02', to: '2026-11-04' }));
        const m1 = row(r, M1, '2026-11-02');
        near(m1.availability, 9.5 / 14);
        near(m1.performance, 8 / 9.5);
        near(m1.quality, 1400 / 1500);
        near(m1.oee, (8 / 14) * (1400 / 1500));
        // The mean of the two shifts' OEE (0.6429 and 0.4286) would be 0.5357, not 0.5333.
        assert.notEqual(Number(m1.oee).toFixed(4), (((6 / 7) * (5 / 6) * 0.9 + (3.5 / 7) * (3 / 3.5)) / 2).toFixed(4));
        near(m1.teep, (8 / 14) * (1400 / 1500) * (14 / 24));
        assert.equal(m1.calendarMs, 24 * HOUR);
        assert.equal(m1.from, '2026-11-01T23:00:00.000Z');
        assert.equal(m1.shifts, 2);
        near(row(r, M1, '2026-11-03').oee, 6.3 / 7);
        near(row(r, M2, '2026-11-02').oee, 0.5);
        assert.equal(r.rows.length, 4);
      });

      it('OEE by line and plant, per week and month, per shift', async () => {
        const lines = keep('oee-line', await query(store, { type: 'oee', by: 'line', period: 'day', from: '2026-11-02' }));
        const l1 = row(lines, 'acme/pack/line1');
        near(l1.oee, (16.5 / 21) * (15 / 16.5) * (1500 / 1700));
        near(l1.availability, 16.5 / 21);
        near(l1.performance, 15 / 16.5);
        near(l1.quality, 1500 / 1700);
        near(l1.teep, Number(l1.oee) * (21 / 48));
        const plant = keep('oee-plant', await query(store, { type: 'oee', by: 'plant', period: 'week', from: '2026-11-02', to: '2026-11-09' }));
        assert.equal(plant.rows.length, 1);
        const w = row(plant, 'plant', '2026-W45');
        near(w.availability, (16.5 + 5 + 7) / 35);
        near(w.performance, (15 + 4 + 6.3) / 28.5);
        near(w.quality, (1500 + 380 + 800) / 2900);
        assert.equal(w.calendarMs, 3 * 7 * 24 * HOUR);
        assert.equal(w.from, '2026-11-01T23:00:00.000Z');
        const month = keep('oee-month', await query(store, { type: 'oee', by: 'site', period: 'month', from: '2026-11-01', to: '2026-12-01' }));
        assert.equal(row(month, 'acme', '2026-11').calendarMs, 3 * 30 * 24 * HOUR);
        const shifts = keep('oee-shift', await query(store, { type: 'oee', by: 'machine', period: 'shift', machine: M1, from: '2026-11-02' }));
        assert.deepEqual(shifts.rows.map((x) => x.period), ['2026-11-02/Early', '2026-11-02/Late']);
        near(row(shifts, M1, '2026-11-02/Late').teep, (3 / 7) * (7 / 8));
      });

      it('downtime Pareto by reason and by category, largest first, with cumulative shares', async () => {
        const r = keep('pareto', await query(store, { type: 'pareto', by: 'reason', from: '2026-11-02', machine: M1 }));
        assert.deepEqual(
          r.rows.map((x) => [x.reason, x.stops, x.durationMs]),
          [
            ['jam', 2, 30 * MIN],
            ['material', 1, 30 * MIN],
            ['motor', 1, 15 * MIN],
            [null, 1, 5 * MIN],
          ],
        );
        near(r.rows[1].cumulativeShare, 60 / 80);
        const c = keep('pareto-cat', await query(store, { type: 'pareto', by: 'category', from: '2026-11-02', to: '2026-11-30' }));
        assert.deepEqual(
          c.rows.map((x) => [x.category, x.stops, x.durationMs]),
          [
            ['Mechanical', 3, 45 * MIN],
            ['Logistics', 1, 30 * MIN],
            [null, 1, 5 * MIN],
          ],
        );
        const planned = await query(store, { type: 'pareto', from: '2026-11-02', kinds: 'planned' });
        assert.deepEqual(planned.rows.map((x) => x.durationMs), [60 * MIN]);
      });

      it('the six big losses, largest first', async () => {
        const r = keep('losses', await query(store, { type: 'losses', by: 'machine', from: '2026-11-02', machine: M1 }));
        const ms: Record<string, unknown> = Object.fromEntries(r.rows.map((x) => [String(x.loss), x.ms]));
        // Monday Early: 1 h down, 10 min small stops, 1 h - 10 min slow, 100 rejects of 18 s; Late: 3 h down, 30 min changeover.
        assert.equal(ms['unplanned-stops'], HOUR + 3 * HOUR);
        assert.equal(ms['planned-stops'], 30 * MIN);
        assert.equal(ms['small-stops'], 10 * MIN);
        assert.equal(ms['slow-cycles'], HOUR - 10 * MIN + 0.5 * HOUR);
        assert.equal(ms['production-rejects'], 100 * 18_000);
        assert.deepEqual(r.rows.slice(0, 2).map((x) => x.loss), ['unplanned-stops', 'slow-cycles']);
        const top = await query(store, { type: 'losses', by: 'machine', from: '2026-11-02', to: '2026-11-04', limit: 1 });
        assert.deepEqual(top.rows.map((x) => [x.group, x.loss]), [[M1, 'unplanned-stops']]);
      });

      it('MTBF and MTTR per machine from run time and ended downtime stops', async () => {
        const r = keep('reliability', await query(store, { type: 'reliability', from: '2026-11-02' }));
        const m1 = r.rows.find((x) => x.machine === M1);
        assert.deepEqual(m1, { machine: M1, runMs: 9.5 * HOUR, failures: 5, repairMs: 80 * MIN, mtbfMs: (9.5 * HOUR) / 5, mttrMs: 16 * MIN });
        assert.deepEqual(r.rows.find((x) => x.machine === M2), { machine: M2, runMs: 7 * HOUR, failures: 0, repairMs: 0, mtbfMs: null, mttrMs: null });
      });

      it('a tag trend: min, max and exact average per interval', async () => {
        const s = new Sampler(60_000, 'p1');
        const out: KpiRecord[] = [];
        for (let i = 0; i < 240; i++) {
          const b = s.add('acme/pack/line1/filler/speed', MON + i * 1000, i);
          if (b) out.push(b);
        }
        out.push(...s.flush());
        await store.write(out);
        const r = keep('trend', await query(store, { type: 'trend', tag: 'acme/pack/line1/filler/speed', from: MON, to: '2026-11-03', intervalMs: 120_000 }));
        assert.deepEqual(
          r.rows.map((x) => [x.t, x.min, x.max, x.avg, x.count]),
          [
            [MON, 0, 119, 59.5, 120],
            [MON + 120_000, 120, 239, 179.5, 120],
          ],
        );
      });

      it('days of 23 h and 25 h when Berlin changes its clocks', async () => {
        const dst = await backend.fresh();
        await dst.migrate();
        const shifts = (day: string, t0: number) => [
          shiftEnd('acme/pack/line9/m', { id: `${day}/Early`, start: t0, end: t0 + 8 * HOUR }, { ppt: 8 * HOUR, run: 8 * HOUR, net: 8 * HOUR, total: 100, good: 100 }),
        ];
        // 2026-03-29 06:00 CEST = 04:00Z; 2026-10-25 06:00 CET = 05:00Z.
        await dst.write([...shifts('2026-03-29', Date.UTC(2026, 2, 29, 4)), ...shifts('2026-10-25', Date.UTC(2026, 9, 25, 5))].flatMap((p) => rec(p)));
        const r = keep('dst', await query(dst, { type: 'oee', by: 'machine', period: 'day', from: '2026-03-28', to: '2026-10-26' }));
        const spring = row(r, 'acme/pack/line9/m', '2026-03-29');
        assert.deepEqual([spring.from, spring.to, spring.calendarMs], ['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z', 23 * HOUR]);
        near(spring.teep, 8 / 23);
        const autumn = row(r, 'acme/pack/line9/m', '2026-10-25');
        assert.deepEqual([autumn.from, autumn.to, autumn.calendarMs], ['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z', 25 * HOUR]);
        near(autumn.teep, 8 / 25);
        const months = await query(dst, { type: 'oee', by: 'machine', period: 'month', from: '2026-03-01', to: '2026-11-01' });
        assert.equal(row(months, 'acme/pack/line9/m', '2026-03').calendarMs, 31 * 24 * HOUR - HOUR);
        assert.equal(row(months, 'acme/pack/line9/m', '2026-10').calendarMs, 31 * 24 * HOUR + HOUR);
      });

      it("reads a real fh-oee engine's shift-end record back with the engine's figures", async () => {
        const { engine, notices } = harness({ ...QUIET, reasons: [{ id: 'jam', category: 'Mechanical', name: 'Jam', codes: [101] }] });
        engine.state(at('06:00'), 'running');
        engine.count(at('06:00'), 'total', 0);
        engine.count(at('06:00'), 'good', 0);
        engine.state(at('08:00'), 'down');
        engine.reasonCode(at('08:00'), 101);
        engine.state(at('08:20'), 'running');
        engine.reasonCode(at('08:20'), 0);
        engine.count(at('13:00'), 'total', 20_000);
        engine.count(at('13:00'), 'good', 19_000);
        engine.tick(at('14:00:01'));
        const messages = notices.map((n) => noticeMessage('acme/pack/line3/real', n).msg);
        const records = messages.flatMap((m) => recordsOfOee(m.payload, 'UTC') ?? []);
        const end = notices.find((n) => n.kind === 'shift-end');
        assert.ok(end && end.kind === 'shift-end');
        const real = await backend.fresh();
        await real.migrate();
        await real.write(records);
        await real.write(records);
        const r = await runQuery(real, parseQuery({ type: 'oee', by: 'machine', period: 'shift', from: '2024-04-01' }, 'UTC'), 'UTC');
        assert.equal(r.rows.length, 1);
        for (const k of ['availability', 'performance', 'quality', 'oee'] as const) near(r.rows[0][k], end.figures[k] as number);
        const p = await runQuery(real, parseQuery({ type: 'pareto', from: '2024-04-01' }, 'UTC'), 'UTC');
        assert.deepEqual(p.rows.map((x) => [x.reason, x.durationMs]), [['jam', 20 * MIN]]);
      });
    });
  }

  describe('both back ends', () => {
    it('gives the same results on SQLite and PostgreSQL', () => {
      const names = Object.keys(results);
      assert.ok(names.length >= 10, names.join());
      for (const name of names) assert.deepEqual(results[name].postgres, results[name].sqlite, name);
    });
  });
});
