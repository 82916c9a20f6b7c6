/**
 * Writes on both back ends: every kind of record lands in its table with the figures given; a replay of
 * the same records (after a restart or a reconnect) changes nothing; a stop moves only forward (an old
 * event replayed after a newer one does not undo it); the reason history keeps every change with who
 * made it; retention deletes by kind.
 */
import assert from 'node:assert/strict';
import { recordsOfOee } from '../../nodes/kpi/from-oee';
import type { KpiRecord } from '../../nodes/kpi/records';
import { Sampler } from '../../nodes/kpi/sampler';
import type { KpiStore } from '../../nodes/kpi/store';
import { BERLIN, HOUR, JAM, MIN, MOTOR, count, shiftEnd, stopEvent } from './fixtures';
import { useBackends } from './backends';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 2, 5); // Monday 2026-11-02 06:00 in Berlin
const SHIFT = { id: '2026-11-02/Early', start: T0, end: T0 + 8 * HOUR };
const M = 'acme/packaging/line1/filler';

const rec = (payload: unknown, by: string | null = null): KpiRecord[] => recordsOfOee(payload, BERLIN, by) ?? [];

function aStopsLife(): KpiRecord[] {
  const s = { id: 3, shiftId: SHIFT.id, start: T0 + HOUR };
  return [
    ...rec(stopEvent('stop-start', M, { ...s, end: null, t: T0 + HOUR + 1000 })),
    ...rec(stopEvent('stop-reason', M, { ...s, end: null, t: T0 + HOUR + 2 * MIN, reason: JAM, source: 'operator' }), 'anna'),
    ...rec(stopEvent('stop-end', M, { ...s, end: T0 + HOUR + 20 * MIN, reason: JAM, source: 'operator', assignedAt: T0 + HOUR + 2 * MIN })),
    // A correction after the stop ended: the shift lead names the real reason.
    ...rec(stopEvent('stop-reason', M, { ...s, end: T0 + HOUR + 20 * MIN, t: T0 + 3 * HOUR, reason: MOTOR, source: 'operator' }), 'ben'),
  ];
}

describe('KPI store writes', function () {
  this.timeout(60_000);
  for (const backend of useBackends()) {
    describe(backend.name, () => {
      let store: KpiStore;
      beforeEach(async () => {
        store = await backend.fresh();
        await store.migrate();
      });

      it('keeps a shift-end record with its times, counts, figures, losses and products', async () => {
        await store.write(rec(shiftEnd(M, SHIFT, { ppt: 7.5 * HOUR, run: 6 * HOUR, net: 5 * HOUR, total: 18_000, good: 17_100, small: 10 * MIN, startupReject: 100 })));
        const [row] = await store.all('SELECT * FROM kpi_shifts');
        assert.equal(row.machine, M);
        assert.equal(row.line, 'acme/packaging/line1');
        assert.equal(row.site, 'acme');
        assert.equal(row.day, '2026-11-02');
        assert.equal(row.week, '2026-W45');
        assert.equal(row.month, '2026-11');
        assert.equal(Number(row.planned_production_ms), 7.5 * HOUR);
        assert.equal(Number(row.run_ms), 6 * HOUR);
        assert.equal(Number(row.downtime_ms), 1.5 * HOUR);
        assert.equal(Number(row.net_run_ms), 5 * HOUR);
        assert.equal(Number(row.good), 17_100);
        assert.equal(Number(row.slow_cycles_ms), HOUR - 10 * MIN);
        assert.equal(Number(row.startup_reject_ms), 100 * 1000);
        assert.equal(row.availability, 0.8);
        const [p] = await store.all('SELECT * FROM kpi_shift_products');
        assert.deepEqual([p.product, Number(p.total), Number(p.good), Number(p.ideal_cycle_time_ms)], ['A', 18_000, 17_100, 1000]);
      });

      it('writes a replayed record once, however often it comes', async () => {
        const records = [...rec(shiftEnd(M, SHIFT, { ppt: 7 * HOUR, run: 6 * HOUR, net: 5 * HOUR, total: 100, good: 90 })), ...aStopsLife()];
        await store.write(records);
        const before = await store.all('SELECT * FROM kpi_stops');
        await store.write(records);
        await store.write([...records].reverse()); // even out of order
        assert.equal(await count(store, 'kpi_shifts'), 1);
        assert.equal(await count(store, 'kpi_shift_products'), 1);
        assert.equal(await count(store, 'kpi_stops'), 1);
        assert.equal(await count(store, 'kpi_stop_reasons'), 2);
        assert.deepEqual(await store.all('SELECT * FROM kpi_stops'), before);
      });

      it('keeps the stop as its last event says, with the history of its reason and who named it', async () => {
        const life = aStopsLife();
        // The stop-start arrives again after the stop ended (fh-oee replaying after a restart).
        await store.write([...life, life[0]]);
        const [stop] = await store.all('SELECT * FROM kpi_stops');
        assert.equal(Number(stop.end_ms), T0 + HOUR + 20 * MIN);
        assert.equal(Number(stop.duration_ms), 20 * MIN);
        assert.equal(stop.reason_id, 'motor');
        assert.equal(stop.reason_by, 'ben');
        const history = await store.all('SELECT reason_id, changed_by, source, changed_at FROM kpi_stop_reasons ORDER BY changed_at');
        assert.deepEqual(
          history.map((h) => [h.reason_id, h.changed_by, Number(h.changed_at)]),
          [
            ['jam', 'anna', T0 + HOUR + 2 * MIN],
            ['motor', 'ben', T0 + 3 * HOUR],
          ],
        );
      });

      it('keeps downsampled tag samples: min, max, sum and count per interval and writer', async () => {
        const a = new Sampler(60_000, 'run-a');
        const out: KpiRecord[] = [];
        for (let i = 0; i < 180; i++) {
          const b = a.add(`${M}/speed`, T0 + i * 1000, i % 60);
          if (b) out.push(b);
        }
        out.push(...a.flush());
        // A restart in the middle of the third minute: the new writer's part of that minute is its own row.
        const b2 = new Sampler(60_000, 'run-b');
        b2.add(`${M}/speed`, T0 + 150_000, 1000);
        out.push(...b2.flush());
        await store.write(out);
        await store.write(out);
        const rows = await store.all('SELECT bucket_ms, part, min_value, max_value, sum_value, sample_count FROM kpi_tag_buckets ORDER BY bucket_ms, part');
        assert.deepEqual(
          rows.map((r) => [Number(r.bucket_ms) - T0, r.part, r.min_value, r.max_value, r.sum_value, Number(r.sample_count)]),
          [
            [0, 'run-a', 0, 59, 1770, 60],
            [60_000, 'run-a', 0, 59, 1770, 60],
            [120_000, 'run-a', 0, 59, 1770, 60],
            [120_000, 'run-b', 1000, 1000, 1000, 1],
          ],
        );
      });

      it('deletes by kind what is older than its retention', async () => {
        const old = { id: '2026-09-01/Early', start: T0 - 62 * DAY, end: T0 - 62 * DAY + 8 * HOUR };
        await store.write([
          ...rec(shiftEnd(M, old, { ppt: 7 * HOUR, run: 6 * HOUR, net: 5 * HOUR, total: 100, good: 90 })),
          ...rec(shiftEnd(M, SHIFT, { ppt: 7 * HOUR, run: 6 * HOUR, net: 5 * HOUR, total: 100, good: 90 })),
          ...rec(stopEvent('stop-end', M, { id: 1, shiftId: old.id, start: old.start + HOUR, end: old.start + 2 * HOUR, reason: JAM })),
          ...aStopsLife(),
        ]);
        const deleted = await store.prune({ shiftsDays: 30, stopsDays: 90 }, T0 + 8 * HOUR);
        assert.equal(deleted, 1);
        assert.equal(await count(store, 'kpi_shifts'), 1);
        assert.equal(await count(store, 'kpi_shift_products'), 1);
        assert.equal(await count(store, 'kpi_stops'), 2);
        await store.prune({ stopsDays: 30 }, T0 + 8 * HOUR);
        assert.equal(await count(store, 'kpi_stops'), 1);
        assert.equal(await count(store, 'kpi_stop_reasons'), 2);
      });
    });
  }
});
