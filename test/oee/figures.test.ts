/**
 * Every formula against hand arithmetic. Shift 06:00-14:00 = 480 min, break 10:00-10:30, so
 * planned production time is 450 min = 27,000,000 ms unless a case plans more.
 */
import assert from 'node:assert/strict';
import type { Figures } from '../../nodes/oee/figures';
import { HOUR, MIN, QUIET, at, harness, near, ok } from './fixtures';

/** No number anywhere in the figures is NaN or infinite. */
function assertFinite(v: unknown, path = 'figures'): void {
  if (typeof v === 'number') assert.ok(Number.isFinite(v), `${path} is ${v}`);
  else if (Array.isArray(v)) v.forEach((x, i) => assertFinite(x, `${path}[${i}]`));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) assertFinite(x, `${path}.${k}`);
}

describe('oee figures (hand-computed)', () => {
  describe('case A: one product, a breakdown and a small stop', () => {
    // 06:00 running; 08:00-08:45 down (45 min >= 5 min threshold: downtime); 12:00-12:02 idle
    // (2 min: small stop); ideal cycle time 1000 ms; 20,000 parts, 19,400 good.
    function run(): Figures {
      const { engine } = harness(QUIET);
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.count(at('06:00'), 'total', 0), 'baseline');
      ok(engine.count(at('06:00'), 'good', 0), 'baseline');
      ok(engine.count(at('08:00'), 'total', 7200));
      ok(engine.count(at('08:00'), 'good', 7000));
      ok(engine.state(at('08:00'), 'down'));
      ok(engine.reasonCode(at('08:00'), 101));
      ok(engine.state(at('08:45'), 'running'));
      ok(engine.count(at('12:00'), 'total', 15000));
      ok(engine.count(at('12:00'), 'good', 14500));
      ok(engine.state(at('12:00'), 'idle'));
      ok(engine.state(at('12:02'), 'running'));
      ok(engine.count(at('13:59:59'), 'total', 20000));
      ok(engine.count(at('13:59:59'), 'good', 19400));
      ok(engine.tick(at('14:00')));
      return engine.figures(at('06:00'), at('14:00'));
    }

    it('times: PPT = 480 - 30 = 450 min; Run = 450 - 45 = 405 min (the small stop stays in run time)', () => {
      const f = run();
      assert.equal(f.times.calendarMs, 480 * MIN);
      assert.equal(f.times.shiftMs, 480 * MIN);
      assert.equal(f.times.calendarPlannedMs, 30 * MIN);
      assert.equal(f.times.plannedProductionMs, 450 * MIN);
      assert.equal(f.times.downtimeMs, 45 * MIN);
      assert.equal(f.times.smallStopMs, 2 * MIN);
      assert.equal(f.times.runMs, 405 * MIN);
      assert.equal(f.times.runningMs, 403 * MIN); // 450 - 45 - 2
      assert.equal(f.times.runningInPlannedStopMs, 30 * MIN); // it ran through lunch
      assert.equal(f.times.netRunMs, 20_000_000); // 20,000 x 1000 ms
      assert.equal(f.times.fullyProductiveMs, 19_400_000); // 19,400 x 1000 ms
    });

    it('A = 405/450 = 0.9, P = 20,000,000/24,300,000, Q = 19,400/20,000 = 0.97', () => {
      const f = run();
      assert.equal(f.availability, 405 / 450);
      assert.equal(f.performance, 20_000_000 / 24_300_000); // 0.823045...
      assert.equal(f.quality, 19_400 / 20_000);
      assert.deepEqual(f.counts, { total: 20000, good: 19400, reject: 600, startupReject: 0, productionReject: 600, unscheduledTotal: 0, unscheduledGood: 0 });
    });

    it('OEE = A x P x Q = 0.718518... equals Good x ICT / PPT = 19,400,000 / 27,000,000', () => {
      const f = run();
      assert.equal(f.oee, (405 / 450) * (20_000_000 / 24_300_000) * (19_400 / 20_000));
      assert.equal(f.oeeFromGoodCount, 19_400_000 / 27_000_000);
      near(f.oee, 19_400_000 / 27_000_000);
    });

    it('Utilization = PPT / calendar = 450/480; TEEP = OEE x 450/480', () => {
      const f = run();
      assert.equal(f.utilization, 450 / 480);
      assert.equal(f.teep, f.oee! * (450 / 480));
    });

    it('over the whole day: Utilization = 450/1440 = 0.3125, TEEP = OEE x 0.3125', () => {
      const { engine } = harness(QUIET, at('00:00'));
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.count(at('06:00'), 'total', 0), 'baseline');
      ok(engine.count(at('06:00'), 'good', 0), 'baseline');
      ok(engine.count(at('13:00'), 'total', 20000));
      ok(engine.count(at('13:00'), 'good', 19400));
      ok(engine.tick(at('00:00', 1)));
      const f = engine.figures(at('00:00'), at('00:00', 1));
      assert.equal(f.times.calendarMs, 24 * HOUR);
      assert.equal(f.times.unscheduledMs, 16 * HOUR);
      assert.equal(f.utilization, 0.3125);
      assert.equal(f.availability, 1);
      near(f.teep, (19_400_000 / 27_000_000) * 0.3125);
    });

    it('six big losses: 2,700,000 + 120,000 + 4,180,000 + 600,000 = PPT - fully productive time', () => {
      const f = run();
      assert.deepEqual(f.losses, {
        unplannedStops: { ms: 45 * MIN, stops: 1, noDataMs: 0 },
        plannedStops: { ms: 0, stops: 0 },
        smallStops: { ms: 2 * MIN, stops: 1 },
        slowCycles: { ms: 24_300_000 - 120_000 - 20_000_000 }, // run - small stops - net run = 4,180,000
        productionRejects: { count: 600, ms: 600_000 },
        startupRejects: { count: 0, ms: 0 },
      });
      const sum = 2_700_000 + 0 + 120_000 + 4_180_000 + 600_000 + 0;
      assert.equal(sum, f.times.plannedProductionMs - f.times.fullyProductiveMs!);
    });

    it('downtime by reason and the stop list: the jam from PLC code 101, the small stop unassigned', () => {
      const f = run();
      assert.deepEqual(f.downtimeByReason, [
        { kind: 'downtime', reason: { id: 'jam', category: 'Mechanical', name: 'Jam' }, stops: 1, durationMs: 45 * MIN },
        { kind: 'small-stop', reason: null, stops: 1, durationMs: 2 * MIN },
      ]);
      assert.deepEqual(f.stops.map((s) => [s.start, s.end, s.state, s.kind, s.small, s.reason?.id ?? null, s.reasonSource]), [
        [at('08:00'), at('08:45'), 'down', 'downtime', false, 'jam', 'plc'],
        [at('12:00'), at('12:02'), 'idle', 'small-stop', true, null, null],
      ]);
      assert.deepEqual(f.notes, []);
      assert.equal(f.complete, true);
    });
  });

  describe('case B: changeover and a product change mid-shift, with startup rejects', () => {
    // A (ICT 1000 ms) 06:00-09:00: 10,000 parts, 9,900 good. Changeover 09:00-09:20 to B (ICT
    // 2000 ms); startup window 09:20-09:30. B by 09:25: 200 parts, 140 good (60 startup rejects);
    // B by 13:59: 6,000 more, 5,900 good (100 production rejects).
    function run(): Figures {
      const { engine } = harness(QUIET);
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.count(at('06:00'), 'total', 0), 'baseline');
      ok(engine.count(at('06:00'), 'good', 0), 'baseline');
      ok(engine.count(at('09:00'), 'total', 10000));
      ok(engine.count(at('09:00'), 'good', 9900));
      ok(engine.state(at('09:00'), 'changeover'));
      ok(engine.productChange(at('09:00'), 'B'));
      ok(engine.state(at('09:20'), 'running'));
      ok(engine.count(at('09:25'), 'total', 10200));
      ok(engine.count(at('09:25'), 'good', 10040));
      ok(engine.count(at('13:59'), 'total', 16200));
      ok(engine.count(at('13:59'), 'good', 15940));
      ok(engine.tick(at('14:00')));
      return engine.figures(at('06:00'), at('14:00'));
    }

    it('per product: performance uses each product\'s ideal cycle time', () => {
      const f = run();
      assert.deepEqual(f.products, [
        { product: 'A', order: null, idealCycleTimeMs: 1000, total: 10000, good: 9900, reject: 100, startupReject: 0, idealMs: 10_000_000 },
        { product: 'B', order: null, idealCycleTimeMs: 2000, total: 6200, good: 6040, reject: 160, startupReject: 60, idealMs: 12_400_000 },
      ]);
      // Run = 450 - 20 (changeover) = 430 min; net = 10,000 x 1000 + 6,200 x 2000 = 22,400,000 ms.
      assert.equal(f.times.changeoverMs, 20 * MIN);
      assert.equal(f.times.runMs, 430 * MIN);
      assert.equal(f.times.netRunMs, 22_400_000);
      assert.equal(f.performance, 22_400_000 / 25_800_000);
      assert.equal(f.availability, 430 / 450);
      assert.equal(f.quality, 15_940 / 16_200);
    });

    it('OEE = A x P x Q; with products of different quality it differs from Good x ICT / PPT', () => {
      const f = run();
      // A x P = 22,400,000 / 27,000,000; x Q (15,940/16,200) = 0.816296...
      near(f.oee, (22_400_000 / 27_000_000) * (15_940 / 16_200));
      // Good x ICT = 9,900 x 1000 + 6,040 x 2000 = 21,980,000 ms; / 27,000,000 = 0.814074...
      assert.equal(f.oeeFromGoodCount, 21_980_000 / 27_000_000);
    });

    it('six big losses: changeover 1,200,000 + slow 3,400,000 + rejects 300,000 + startup 120,000 = PPT - FPT', () => {
      const f = run();
      assert.deepEqual(f.losses, {
        unplannedStops: { ms: 0, stops: 0, noDataMs: 0 },
        plannedStops: { ms: 20 * MIN, stops: 1 },
        smallStops: { ms: 0, stops: 0 },
        slowCycles: { ms: 25_800_000 - 22_400_000 },
        productionRejects: { count: 200, ms: 100 * 1000 + 100 * 2000 },
        startupRejects: { count: 60, ms: 60 * 2000 },
      });
      assert.equal(1_200_000 + 3_400_000 + 300_000 + 120_000, 27_000_000 - 21_980_000);
    });
  });

  describe('edge cases', () => {
    it('zero planned production time: null figures with a reason, never NaN', () => {
      const { engine } = harness(QUIET);
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.tick(at('16:00')));
      // 14:00-16:00 is outside every shift; 10:00-10:30 is all break.
      for (const [from, to] of [[at('14:00'), at('16:00')], [at('10:00'), at('10:30')]] as const) {
        const f = engine.figures(from, to);
        assert.equal(f.times.plannedProductionMs, 0);
        assert.equal(f.availability, null);
        assert.equal(f.performance, null);
        assert.equal(f.oee, null);
        assert.equal(f.teep, null);
        assert.equal(f.utilization, 0);
        assert.ok(f.notes.some((n) => n.code === 'no-planned-production-time'));
        assertFinite(f);
      }
      const empty = engine.figures(at('12:00'), at('12:00'));
      assert.equal(empty.utilization, null);
      assertFinite(empty);
    });

    it('zero count: quality null ("no-parts"), performance 0, OEE 0', () => {
      const { engine } = harness(QUIET);
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.tick(at('07:00')));
      const f = engine.figures(at('06:00'), at('07:00'));
      assert.equal(f.availability, 1);
      assert.equal(f.performance, 0);
      assert.equal(f.quality, null);
      assert.equal(f.oee, 0);
      assert.ok(f.notes.some((n) => n.code === 'no-parts' && n.figure === 'quality'));
      assertFinite(f);
    });

    it('no run time: performance null ("no-run-time"), availability 0, OEE 0', () => {
      const { engine } = harness(QUIET);
      ok(engine.state(at('06:00'), 'down'));
      ok(engine.tick(at('07:00')));
      const f = engine.figures(at('06:00'), at('07:00'));
      assert.equal(f.availability, 0);
      assert.equal(f.performance, null);
      assert.equal(f.oee, 0);
      assert.ok(f.notes.some((n) => n.code === 'no-run-time'));
      assertFinite(f);
    });

    it('performance above 100 % is reported and flagged as a probably wrong ideal cycle time', () => {
      // 60 min running, ICT 1000 ms: ideal 3,600 parts; 4,000 made -> P = 4,000,000 / 3,600,000.
      const { engine } = harness(QUIET);
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.count(at('06:00'), 'total', 0), 'baseline');
      ok(engine.count(at('06:00'), 'good', 0), 'baseline');
      ok(engine.count(at('06:59'), 'total', 4000));
      ok(engine.count(at('06:59'), 'good', 4000));
      ok(engine.tick(at('07:00')));
      const f = engine.figures(at('06:00'), at('07:00'));
      assert.equal(f.performance, 4_000_000 / 3_600_000);
      assert.equal(f.oee, 4_000_000 / 3_600_000);
      assert.equal(f.losses.slowCycles.ms, -400_000);
      const n = f.notes.find((x) => x.code === 'ideal-cycle-time-probably-wrong');
      assert.ok(n);
      assert.match(n.message, /111\.1 % is above 100 %/);
    });

    it('parts without an ideal cycle time: performance null ("missing-ideal-cycle-time")', () => {
      const { engine } = harness({ ...QUIET, defaultProduct: undefined });
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.count(at('06:00'), 'total', 0), 'baseline');
      ok(engine.count(at('06:00'), 'good', 0), 'baseline');
      ok(engine.count(at('06:30'), 'total', 100));
      ok(engine.count(at('06:30'), 'good', 100));
      ok(engine.tick(at('07:00')));
      const f = engine.figures(at('06:00'), at('07:00'));
      assert.equal(f.performance, null);
      assert.equal(f.oee, null);
      assert.equal(f.quality, 1);
      assert.ok(f.notes.some((n) => n.code === 'missing-ideal-cycle-time' && n.message.includes('(no product)')));
      assertFinite(f);
    });

    it('a window reaching past the engine time covers the known part and says so', () => {
      const { engine } = harness(QUIET);
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.tick(at('07:00')));
      const f = engine.shiftFigures()!;
      assert.equal(f.knownUntil, at('07:00'));
      assert.equal(f.complete, false);
      assert.equal(f.times.plannedProductionMs, HOUR);
      assert.ok(f.notes.some((n) => n.code === 'window-partly-unknown'));
    });
  });

  describe('small stops and downtime', () => {
    function stopOf(ms: number): Figures {
      const { engine } = harness({ ...QUIET, smallStopMs: 5 * MIN });
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.state(at('07:00'), 'idle'));
      ok(engine.state(at('07:00') + ms, 'running'));
      ok(engine.tick(at('08:00')));
      return engine.figures(at('06:00'), at('08:00'));
    }

    it('a stop 1 ms under the threshold is a small stop: performance loss, inside run time', () => {
      const f = stopOf(5 * MIN - 1);
      assert.equal(f.times.smallStopMs, 5 * MIN - 1);
      assert.equal(f.times.downtimeMs, 0);
      assert.equal(f.times.runMs, 2 * HOUR);
      assert.equal(f.availability, 1);
      assert.equal(f.stops[0].kind, 'small-stop');
    });

    it('a stop of exactly the threshold is downtime: availability loss', () => {
      const f = stopOf(5 * MIN);
      assert.equal(f.times.smallStopMs, 0);
      assert.equal(f.times.downtimeMs, 5 * MIN);
      assert.equal(f.times.runMs, 2 * HOUR - 5 * MIN);
      assert.equal(f.availability, (120 - 5) / 120);
      assert.equal(f.stops[0].kind, 'downtime');
      assert.equal(f.losses.unplannedStops.stops, 1);
    });

    it('an open stop is provisional: small until it reaches the threshold', () => {
      const { engine } = harness({ ...QUIET, smallStopMs: 5 * MIN });
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.state(at('07:00'), 'down'));
      ok(engine.tick(at('07:04')));
      assert.equal(engine.figures(at('06:00'), at('08:00')).stops[0].small, true);
      ok(engine.tick(at('07:05')));
      const f = engine.figures(at('06:00'), at('08:00'));
      assert.equal(f.stops[0].small, false);
      assert.equal(f.stops[0].end, null);
      assert.equal(f.times.downtimeMs, 5 * MIN);
    });
  });

  describe('planned stops', () => {
    it('breaks, manual planned stops and the planned state are excluded from PPT', () => {
      // Calendar: break 10:00-10:30 and a manual stop 11:00-12:00; machine "planned" 12:30-13:00.
      // PPT = 480 - 30 - 60 - 30 = 360 min. The machine is down through the manual stop: no loss.
      const { engine } = harness({
        ...QUIET,
        calendar: {
          timeZone: 'UTC',
          shifts: [{ name: 'Early', days: ['mon'], start: '06:00', end: '14:00', breaks: [{ name: 'Lunch', start: '10:00', end: '10:30' }] }],
          plannedStops: [{ start: '2024-04-01T11:00', end: '2024-04-01T12:00', reason: 'Maintenance' }],
        },
      });
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.state(at('11:00'), 'down'));
      ok(engine.state(at('12:00'), 'running'));
      ok(engine.state(at('12:30'), 'planned'));
      ok(engine.state(at('13:00'), 'running'));
      ok(engine.tick(at('14:00')));
      const f = engine.figures(at('06:00'), at('14:00'));
      assert.equal(f.times.calendarPlannedMs, 90 * MIN);
      assert.equal(f.times.machinePlannedMs, 30 * MIN);
      assert.equal(f.times.plannedStopMs, 120 * MIN);
      assert.equal(f.times.plannedProductionMs, 360 * MIN);
      assert.equal(f.times.downtimeMs, 0);
      assert.equal(f.availability, 1);
      assert.deepEqual(f.stops.map((s) => [s.state, s.kind, s.start, s.end]), [['planned', 'planned', at('12:30'), at('13:00')]]);
    });

    it('a stop across a break is two stops, the break is not a loss', () => {
      // Down 09:50-10:40, break 10:00-10:30: stops 09:50-10:00 and 10:30-10:40 (10 min each).
      const { engine } = harness(QUIET);
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.state(at('09:50'), 'down'));
      ok(engine.state(at('10:40'), 'running'));
      ok(engine.tick(at('11:00')));
      const f = engine.figures(at('06:00'), at('11:00'));
      assert.deepEqual(f.stops.map((s) => [s.id, s.start, s.end, s.kind]), [
        [1, at('09:50'), at('10:00'), 'downtime'],
        [2, at('10:30'), at('10:40'), 'downtime'],
      ]);
      assert.equal(f.times.downtimeMs, 20 * MIN);
      assert.equal(f.times.plannedProductionMs, 270 * MIN); // 300 - 30
    });
  });

  describe('windows', () => {
    it('hourly windows partition the shift: times and counts add up exactly', () => {
      const { engine } = harness(QUIET);
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.count(at('06:00'), 'total', 0), 'baseline');
      ok(engine.count(at('06:00'), 'good', 0), 'baseline');
      for (let s = 1; s < 8 * 3600; s += 7) {
        ok(engine.count(at('06:00') + s * 1000, 'total', s));
        ok(engine.count(at('06:00') + s * 1000, 'good', s - Math.floor(s / 50)));
      }
      ok(engine.tick(at('14:00')));
      const whole = engine.figures(at('06:00'), at('14:00'));
      let total = 0;
      let good = 0;
      let ppt = 0;
      for (let h = 6; h < 14; h++) {
        const f = engine.figures(at(`${h}:00`), at(`${h + 1}:00`));
        total += f.counts.total;
        good += f.counts.good;
        ppt += f.times.plannedProductionMs;
      }
      assert.equal(total, whole.counts.total);
      assert.equal(good, whole.counts.good);
      assert.equal(ppt, whole.times.plannedProductionMs);
      // The hour 06:00-07:00 holds exactly the parts sampled in it: samples are at s = 1 + 7k, the
      // last before 07:00 at s = 1 + 7 x 514 = 3599.
      assert.equal(engine.figures(at('06:00'), at('07:00')).counts.total, 3599);
    });
  });
});
