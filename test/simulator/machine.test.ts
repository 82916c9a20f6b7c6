import assert from 'node:assert/strict';
import { Machine } from '../../simulator/machine';
import type { MachineConfig, MachineSnapshot } from '../../simulator/machine';
import { Line, LINE_MACHINES, lineMachineConfigs } from '../../simulator/line';
import { Random } from '../../simulator/random';

const NAME = 'test/packaging/line1/filler';

/** A machine without any randomness: 600 ms per part, no stops, no rejects, no noise. */
function steady(extra: Partial<MachineConfig> = {}): Machine {
  return new Machine({ name: NAME, idealCycleMs: 600, mtbfMs: 0, mttrMs: 60_000, speedNoise: 0, seed: 1, ...extra });
}

/** A busy machine: every kind of event happens often, to make sequence tests meaningful. */
function busy(seed: number | string): Machine {
  return new Machine({
    name: NAME,
    idealCycleMs: 600,
    products: [
      { id: 1, name: 'A', idealCycleMs: 600 },
      { id: 2, name: 'B', idealCycleMs: 900 },
    ],
    changeover: { everyParts: 200, everyMs: 150_000, durationMs: 20_000 },
    mtbfMs: 60_000,
    mttrMs: 15_000,
    smallStopProbability: 0.02,
    smallStopMs: 3000,
    rejectRate: 0.05,
    seed,
  });
}

/** Snapshots every `sampleMs` over `durationMs`, advancing in steps of `stepMs` in between. */
function trace(m: Machine, durationMs: number, sampleMs: number, steps: () => number = () => sampleMs): MachineSnapshot[] {
  const out: MachineSnapshot[] = [];
  let t = m.time;
  for (let sample = sampleMs; sample <= durationMs; sample += sampleMs) {
    while (t < sample) {
      t = Math.min(sample, t + steps());
      m.advanceTo(t);
    }
    out.push(m.snapshot());
  }
  return out;
}

describe('simulator machine', () => {
  describe('determinism', () => {
    it('gives identical state and count sequences for the same seed', () => {
      const a = trace(busy(7), 3_600_000, 500);
      const b = trace(busy(7), 3_600_000, 500);
      assert.deepEqual(a, b);
      // The trace must actually exercise the model.
      const states = new Set(a.map((s) => s.state));
      for (const s of ['running', 'idle', 'down', 'changeover'] as const) assert.ok(states.has(s), `state ${s} seen`);
      assert.ok(a[a.length - 1].rejectCount > 0);
    });

    it('gives a different sequence for a different seed', () => {
      const a = trace(busy(7), 600_000, 1000);
      const b = trace(busy(8), 600_000, 1000);
      assert.notDeepEqual(
        a.map((s) => [s.state, s.totalCount, s.rejectCount]),
        b.map((s) => [s.state, s.totalCount, s.rejectCount]),
      );
    });

    it('one big step equals many small steps and irregular steps', () => {
      const big = busy(11);
      big.advanceTo(7_200_000);
      const small = busy(11);
      for (let t = 100; t <= 7_200_000; t += 100) small.advanceTo(t);
      const jitter = new Random(99);
      const irregular = busy(11);
      trace(irregular, 7_200_000, 7_200_000, () => 1 + Math.floor(jitter.next() * 5000));
      assert.deepEqual(small.snapshot(), big.snapshot());
      assert.deepEqual(irregular.snapshot(), big.snapshot());
      assert.ok(big.snapshot().partsMade > 5000);
    });

    it('samples taken along the way agree whatever the step size', () => {
      const coarse = trace(busy(12), 1_800_000, 10_000);
      const jitter = new Random(5);
      const fine = trace(busy(12), 1_800_000, 10_000, () => 1 + Math.floor(jitter.next() * 300));
      assert.deepEqual(fine, coarse);
    });

    it('replays the same control calls at the same times identically', () => {
      const run = (): MachineSnapshot[] => {
        const m = busy(3);
        const out: MachineSnapshot[] = [];
        for (let t = 0; t <= 600_000; t += 1000) {
          m.advanceTo(t);
          if (t === 100_000) m.forceStop(104, 30_000);
          if (t === 200_000) m.setSpeedFactor(0.8);
          if (t === 300_000) m.setPlannedStop(true);
          if (t === 360_000) m.setPlannedStop(false);
          if (t === 400_000) m.setRejectRate(0.5);
          out.push(m.snapshot());
        }
        return out;
      };
      assert.deepEqual(run(), run());
    });
  });

  describe('parts and counters', () => {
    it('counts a part when its cycle ends', () => {
      const m = steady();
      m.advanceTo(599);
      assert.equal(m.snapshot().totalCount, 0);
      m.advanceTo(600);
      assert.equal(m.snapshot().totalCount, 1);
      m.advanceTo(6000);
      const s = m.snapshot();
      assert.equal(s.totalCount, 10);
      assert.equal(s.goodCount, 10);
      assert.equal(s.rejectCount, 0);
      assert.equal(s.state, 'running');
      assert.equal(s.speed, 100);
    });

    it('wraps the total count at 65536 and keeps counting', () => {
      const m = steady();
      m.advanceTo(600 * 65_540);
      const s = m.snapshot();
      assert.equal(s.partsMade, 65_540);
      assert.equal(s.totalCount, 4);
      assert.equal(s.goodCount, 65_540, 'the uint32 good count does not wrap there');
    });

    it('wraps from an initial count near the limit (uint16 total, uint32 good)', () => {
      const m = steady({ initialCounts: { total: 65_534, good: 0xffff_fffe } });
      m.advanceTo(600 * 3);
      const s = m.snapshot();
      assert.equal(s.totalCount, 1);
      assert.equal(s.goodCount, 1);
    });

    it('resetCounters zeroes the counters but not the lifetime count', () => {
      const m = steady({ rejectRate: 0.5 });
      m.advanceTo(60_000);
      m.resetCounters();
      const s = m.snapshot();
      assert.deepEqual([s.totalCount, s.goodCount, s.rejectCount], [0, 0, 0]);
      assert.equal(s.partsMade, 100);
    });

    it('rejects about the configured fraction, and setRejectRate changes it', () => {
      const m = steady({ rejectRate: 0.1, seed: 'q' });
      m.advanceTo(600 * 20_000);
      const s = m.snapshot();
      assert.equal(s.goodCount + s.rejectCount, 20_000);
      assert.ok(Math.abs(s.rejectCount / 20_000 - 0.1) < 0.01, `reject fraction ${s.rejectCount / 20_000}`);
      m.setRejectRate(0);
      m.advanceTo(600 * 21_000);
      assert.equal(m.snapshot().rejectCount, s.rejectCount);
      m.setRejectRate(1);
      m.advanceTo(600 * 21_010);
      assert.equal(m.snapshot().rejectCount, s.rejectCount + 10);
      assert.throws(() => m.setRejectRate(1.5), RangeError);
    });

    it('the speed factor scales the cycle, the rest of the cycle in progress included', () => {
      const m = steady();
      m.advanceTo(300); // half way through the first part
      m.setSpeedFactor(0.5);
      assert.equal(m.snapshot().speed, 50);
      m.advanceTo(899);
      assert.equal(m.snapshot().totalCount, 0);
      m.advanceTo(900); // 300 ms left became 600 ms
      assert.equal(m.snapshot().totalCount, 1);
      m.advanceTo(900 + 1200 * 5);
      assert.equal(m.snapshot().totalCount, 6);
      assert.throws(() => m.setSpeedFactor(0), RangeError);
      assert.throws(() => m.setSpeedFactor(1.6), RangeError);
    });

    it('speed carries noise but stays around the ideal rate', () => {
      const m = steady({ speedNoise: 0.05, seed: 'noise' });
      const speeds = new Set<number>();
      for (let t = 1000; t <= 60_000; t += 1000) {
        m.advanceTo(t);
        const v = m.snapshot().speed;
        assert.ok(v > 95 && v < 106, `speed ${v}`);
        speeds.add(v);
      }
      assert.ok(speeds.size > 10);
    });
  });

  describe('stops', () => {
    it('forceStop holds the machine down with the fault code until clearStop', () => {
      const m = steady();
      m.advanceTo(300);
      m.forceStop(104);
      m.advanceTo(10_300);
      let s = m.snapshot();
      assert.equal(s.state, 'down');
      assert.equal(s.faultCode, 104);
      assert.equal(s.speed, 0);
      assert.equal(s.totalCount, 0);
      m.clearStop();
      s = m.snapshot();
      assert.equal(s.state, 'running');
      assert.equal(s.faultCode, 0);
      m.advanceTo(10_599);
      assert.equal(m.snapshot().totalCount, 0, 'the interrupted cycle still has 300 ms to go');
      m.advanceTo(10_600);
      assert.equal(m.snapshot().totalCount, 1);
    });

    it('a forced stop with a duration ends by itself', () => {
      const m = steady();
      m.forceStop(101, 5000);
      m.advanceTo(4999);
      assert.equal(m.snapshot().state, 'down');
      m.advanceTo(5000);
      assert.equal(m.snapshot().state, 'running');
      m.advanceTo(5600);
      assert.equal(m.snapshot().totalCount, 1);
      assert.throws(() => m.forceStop(0), RangeError);
      assert.throws(() => m.forceStop(70_000), RangeError);
    });

    it('breaks down on its own with a configured fault code, at least one second each time', () => {
      const faults = [
        { code: 101, name: 'jam', weight: 3 },
        { code: 103, name: 'low material', weight: 1 },
      ];
      const m = steady({ mtbfMs: 30_000, mttrMs: 10_000, faults, seed: 'bd' });
      const seen = new Map<number, number>();
      let downSince: number | undefined;
      let shortest = Infinity;
      for (let t = 100; t <= 6 * 3_600_000; t += 100) {
        m.advanceTo(t);
        const s = m.snapshot();
        if (s.state === 'down') {
          seen.set(s.faultCode, (seen.get(s.faultCode) ?? 0) + 1);
          downSince ??= t;
        } else if (downSince !== undefined) {
          shortest = Math.min(shortest, t - downSince);
          downSince = undefined;
        }
      }
      assert.deepEqual([...seen.keys()].sort(), [101, 103]);
      assert.ok((seen.get(101) ?? 0) > (seen.get(103) ?? 0));
      assert.ok(shortest >= 1000, `shortest stop ${shortest}`);
    });

    it('clearStop also ends a breakdown in progress', () => {
      const m = steady({ mtbfMs: 10_000, mttrMs: 600_000, seed: 'c' });
      let t = 0;
      while (m.snapshot().state !== 'down') m.advanceTo((t += 100));
      m.clearStop();
      assert.equal(m.snapshot().state, 'running');
    });

    it('small stops put the machine in idle for a few seconds', () => {
      const m = steady({ smallStopProbability: 1, smallStopMs: 2000 });
      m.advanceTo(600);
      const s = m.snapshot();
      assert.equal(s.state, 'idle');
      assert.equal(s.faultCode, 0);
      assert.equal(s.speed, 0);
      let t = 600;
      while (m.snapshot().state === 'idle') m.advanceTo(++t);
      assert.ok(t - 600 >= 1000 && t - 600 <= 3000, `small stop of ${t - 600} ms (0.5..1.5 x 2000)`);
      assert.equal(m.snapshot().state, 'running');
    });

    it('a planned stop holds the machine: no parts, no breakdowns, and it resumes where it was', () => {
      const m = steady({ mtbfMs: 1000, mttrMs: 5000, seed: 'p' });
      const free = steady({ mtbfMs: 1000, mttrMs: 5000, seed: 'p' });
      m.advanceTo(300);
      m.setPlannedStop(true);
      m.advanceTo(3_600_300);
      const s = m.snapshot();
      assert.equal(s.state, 'planned');
      assert.equal(s.plannedStop, true);
      assert.equal(s.totalCount, 0);
      m.setPlannedStop(false);
      // Shifted by exactly the planned hour, it behaves like a machine that was never stopped.
      for (let t = 300; t <= 120_000; t += 700) {
        free.advanceTo(t);
        m.advanceTo(t + 3_600_000);
        const a = free.snapshot();
        const b = m.snapshot();
        assert.deepEqual([b.state, b.totalCount, b.faultCode], [a.state, a.totalCount, a.faultCode], `at ${t}`);
      }
    });

    it('a forced stop outranks a planned stop and leaves it in place', () => {
      const m = steady();
      m.setPlannedStop(true);
      m.forceStop(102, 1000);
      assert.equal(m.snapshot().state, 'down');
      m.advanceTo(1000);
      assert.equal(m.snapshot().state, 'planned');
      m.setPlannedStop(false);
      m.advanceTo(1600);
      assert.equal(m.snapshot().totalCount, 1);
    });
  });

  describe('changeover', () => {
    const products = [
      { id: 1, name: 'A', idealCycleMs: 600 },
      { id: 2, name: 'B', idealCycleMs: 750 },
    ];

    it('changes product after N parts, through a changeover of the configured duration', () => {
      const m = steady({ products, changeover: { everyParts: 10, durationMs: 5000 } });
      m.advanceTo(6000);
      let s = m.snapshot();
      assert.equal(s.totalCount, 10);
      assert.equal(s.state, 'changeover');
      assert.equal(s.speed, 0);
      m.advanceTo(10_999);
      assert.equal(m.snapshot().state, 'changeover');
      m.advanceTo(11_000);
      s = m.snapshot();
      assert.equal(s.state, 'running');
      assert.equal(s.product.id, 2);
      assert.equal(s.idealCycleMs, 750);
      m.advanceTo(11_000 + 750 * 10);
      s = m.snapshot();
      assert.equal(s.totalCount, 20);
      assert.equal(s.state, 'changeover');
      m.advanceTo(11_000 + 750 * 10 + 5000);
      assert.equal(m.snapshot().product.id, 1, 'back to the first product');
    });

    it('changes product after N minutes, at the end of the part in progress', () => {
      const m = steady({ products, changeover: { everyMs: 10_000, durationMs: 2000 } });
      m.advanceTo(10_199);
      assert.equal(m.snapshot().state, 'running');
      m.advanceTo(10_200); // part 17 ends at 10200, the first part end after 10 s
      assert.equal(m.snapshot().state, 'changeover');
      assert.equal(m.snapshot().totalCount, 17);
    });
  });

  describe('line', () => {
    it('has four machines with their own cycle times, seeded from one line seed', () => {
      const line = new Line({ seed: 5 });
      assert.deepEqual(
        line.machines.map((m) => m.name),
        LINE_MACHINES.map((n) => `demo/packaging/line1/${n}`),
      );
      assert.deepEqual(
        line.snapshot().map((s) => s.idealCycleMs),
        [600, 600, 650, 14_400],
      );
      assert.equal(line.machine('casepacker').snapshot().unitsPerPart, 24);
      const seeds = new Set(lineMachineConfigs({ seed: 5 }).map((c) => c.seed));
      assert.equal(seeds.size, 4, 'each machine has its own stream');
    });

    it('is deterministic per line seed', () => {
      const run = (seed: number): unknown[] => {
        const line = new Line({ seed });
        const out: unknown[] = [];
        for (let t = 60_000; t <= 4 * 3_600_000; t += 60_000) {
          line.advanceTo(t);
          out.push(line.snapshot().map((s) => [s.state, s.totalCount, s.goodCount, s.faultCode, s.product.id]));
        }
        return out;
      };
      assert.deepEqual(run(1), run(1));
      assert.notDeepEqual(run(1), run(2));
    });

    it('produces plausible OEE figures over a shift', () => {
      const line = new Line({ seed: 1 });
      const running = new Array<number>(4).fill(0);
      const shift = 8 * 3_600_000;
      for (let t = 1000; t <= shift; t += 1000) {
        line.advanceTo(t);
        line.snapshot().forEach((s, i) => {
          if (s.state === 'running') running[i]++;
        });
      }
      for (const [i, r] of running.entries()) {
        const availability = r / (shift / 1000);
        assert.ok(availability > 0.6 && availability < 0.97, `${LINE_MACHINES[i]} availability ${availability}`);
      }
    });
  });
});
