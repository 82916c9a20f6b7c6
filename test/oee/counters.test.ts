import assert from 'node:assert/strict';
import { absoluteDelta, classifyStep } from '../../nodes/oee/counters';
import { MIN, QUIET, at, harness, ok } from './fixtures';

const M16 = 65_536;
const M32 = 4_294_967_296;

/** Early 06:00-14:00 and Late 14:00-22:00, every day, UTC. */
const TWO_SHIFTS = {
  timeZone: 'UTC',
  shifts: [
    { name: 'Early', days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const, start: '06:00', end: '14:00' },
    { name: 'Late', days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const, start: '14:00', end: '22:00' },
  ],
};

describe('oee counters', () => {
  describe('the wrap / reset rule', () => {
    it('up: the difference', () => {
      assert.equal(classifyStep(100, 130, M16, 1000), 'up');
      assert.equal(absoluteDelta(100, 130, M16, 1000), 30);
    });

    it('16-bit wrap: 65,530 -> 3 is 6 + 3 = 9 parts', () => {
      assert.equal(classifyStep(65_530, 3, M16, 1000), 'wrap');
      assert.equal(absoluteDelta(65_530, 3, M16, 1000), 9);
    });

    it('32-bit wrap: 4,294,967,290 -> 5 is 6 + 5 = 11 parts', () => {
      assert.equal(absoluteDelta(4_294_967_290, 5, M32, 1000), 11);
    });

    it('a decrease whose wrapped step exceeds maxStep is a reset: raw parts since 0', () => {
      // 60,000 -> 7 as a wrap would be 5,543 parts > 1,000: a reset, 7 parts.
      assert.equal(classifyStep(60_000, 7, M16, 1000), 'reset');
      assert.equal(absoluteDelta(60_000, 7, M16, 1000), 7);
    });

    it('without a width every decrease is a reset', () => {
      assert.equal(absoluteDelta(65_530, 3, 0, 1000), 3);
    });

    it('the ambiguity is bounded by maxStep: a reset just below the top reads as a wrap', () => {
      // 65,000 -> 5: truly a reset (5 parts) or a wrap (541 parts); read as a wrap, error 536 < 1000.
      assert.equal(absoluteDelta(65_000, 5, M16, 1000), 541);
    });
  });

  describe('in the engine', () => {
    it('wraps at 16 bit (total and good each)', () => {
      const { engine } = harness({ ...QUIET, counters: { total: { bits: 16 }, good: { bits: 16 } } });
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.count(at('06:00'), 'total', 65_000), 'baseline');
      ok(engine.count(at('06:00'), 'good', 65_100), 'baseline');
      ok(engine.count(at('06:10'), 'total', 65_530)); // +530
      ok(engine.count(at('06:10'), 'good', 65_530)); // +430
      ok(engine.count(at('06:11'), 'total', 3), 'wrap'); // +6 +3 = 9
      ok(engine.count(at('06:11'), 'good', 2), 'wrap'); // +6 +2 = 8
      ok(engine.tick(at('07:00')));
      const f = engine.figures(at('06:00'), at('07:00'));
      assert.equal(f.counts.total, 539);
      assert.equal(f.counts.good, 438);
      assert.equal(engine.diagnostics().wraps, 2);
    });

    it('wraps at 32 bit', () => {
      const { engine } = harness({ ...QUIET, counters: { total: { bits: 32 }, good: { bits: 32 } } });
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.count(at('06:00'), 'total', 4_294_967_000), 'baseline');
      ok(engine.count(at('06:00'), 'good', 4_294_967_100), 'baseline');
      ok(engine.count(at('06:10'), 'total', 4_294_967_290)); // +290
      ok(engine.count(at('06:10'), 'good', 4_294_967_290)); // +190
      ok(engine.count(at('06:11'), 'total', 5), 'wrap'); // +6 +5 = 11
      ok(engine.count(at('06:11'), 'good', 2), 'wrap'); // +6 +2 = 8
      ok(engine.tick(at('07:00')));
      const f = engine.figures(at('06:00'), at('07:00'));
      assert.equal(f.counts.total, 301);
      assert.equal(f.counts.good, 198);
    });

    it('maxStep decides wrap against reset', () => {
      const { engine } = harness({ ...QUIET, counters: { total: { bits: 16, maxStep: 10 } }, countBasis: 'total+reject' });
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.count(at('06:00'), 'total', 65_530), 'baseline');
      ok(engine.count(at('06:01'), 'total', 3), 'wrap'); // 6 + 3 = 9 <= 10
      ok(engine.count(at('06:02'), 'total', 65_520)); // +65,517 (a rise is always taken as parts)
      ok(engine.count(at('06:03'), 'total', 3), 'reset'); // as a wrap 16 + 3 = 19 > 10: reset, 3
      ok(engine.tick(at('07:00')));
      assert.equal(engine.figures(at('06:00'), at('07:00')).counts.total, 9 + 65_517 + 3);
    });

    it('a reset to 0 at shift change: the parts after it belong to the new shift', () => {
      const { engine } = harness({ ...QUIET, calendar: TWO_SHIFTS });
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.count(at('06:00'), 'total', 0), 'baseline');
      ok(engine.count(at('06:00'), 'good', 0), 'baseline');
      ok(engine.count(at('13:59:50'), 'total', 5000));
      ok(engine.count(at('13:59:50'), 'good', 4900));
      // The PLC zeroes its counters at 14:00; the next reading shows 12 parts since.
      ok(engine.count(at('14:00:10'), 'total', 12), 'reset');
      ok(engine.count(at('14:00:10'), 'good', 12), 'reset');
      ok(engine.tick(at('15:00')));
      assert.deepEqual([engine.figures(at('06:00'), at('14:00')).counts.total, engine.figures(at('06:00'), at('14:00')).counts.good], [5000, 4900]);
      assert.deepEqual([engine.figures(at('14:00'), at('22:00')).counts.total, engine.figures(at('14:00'), at('22:00')).counts.good], [12, 12]);
    });

    it('a PLC restart mid-shift: counting carries on from 0 without losing the earlier parts', () => {
      const { engine } = harness(QUIET);
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.count(at('06:00'), 'total', 0), 'baseline');
      ok(engine.count(at('06:00'), 'good', 0), 'baseline');
      ok(engine.count(at('10:00'), 'total', 8000));
      ok(engine.count(at('10:00'), 'good', 7900));
      ok(engine.count(at('10:01'), 'total', 0), 'reset'); // restarted: 0 parts since
      ok(engine.count(at('10:01'), 'good', 0), 'reset');
      ok(engine.count(at('10:02'), 'total', 30));
      ok(engine.count(at('10:02'), 'good', 30));
      ok(engine.tick(at('14:00')));
      const f = engine.figures(at('06:00'), at('14:00'));
      assert.equal(f.counts.total, 8030);
      assert.equal(f.counts.good, 7930);
      assert.equal(engine.diagnostics().resets, 2);
    });

    it('increments add up; an exact repeat is a duplicate; same time with another value is new', () => {
      const { engine } = harness({ ...QUIET, countBasis: 'good+reject' });
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.increment(at('06:01'), 'good', 5));
      ok(engine.increment(at('06:02'), 'good', 3));
      ok(engine.increment(at('06:02'), 'good', 3), 'duplicate');
      ok(engine.increment(at('06:02'), 'good', 4));
      ok(engine.increment(at('06:02'), 'reject', 1));
      ok(engine.apply({ type: 'count', t: at('06:03'), counter: 'reject', value: 2, increment: true }));
      const older = engine.increment(at('06:01'), 'good', 1);
      assert.equal(older.ok ? null : older.error.code, 'out-of-order');
      ok(engine.tick(at('07:00')));
      const f = engine.figures(at('06:00'), at('07:00'));
      assert.deepEqual([f.counts.total, f.counts.good, f.counts.reject], [15, 12, 3]); // good 5+3+4, reject 1+2
      assert.equal(engine.diagnostics().duplicates, 1);
    });

    it('an absolute reading repeated at the same time is a duplicate, at a later time it adds nothing', () => {
      const { engine } = harness(QUIET);
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.count(at('06:00'), 'total', 10), 'baseline');
      ok(engine.count(at('06:01'), 'total', 20));
      ok(engine.count(at('06:01'), 'total', 20), 'duplicate');
      ok(engine.count(at('06:02'), 'total', 20));
      ok(engine.tick(at('07:00')));
      assert.equal(engine.figures(at('06:00'), at('07:00')).counts.total, 10);
    });

    it('parts counted outside every shift are reported apart and not in the figures', () => {
      const { engine } = harness(QUIET, at('05:00'));
      ok(engine.state(at('05:00'), 'running'));
      ok(engine.count(at('05:00'), 'total', 0), 'baseline');
      ok(engine.count(at('05:00'), 'good', 0), 'baseline');
      ok(engine.count(at('05:30'), 'total', 100));
      ok(engine.count(at('05:30'), 'good', 100));
      ok(engine.count(at('06:30'), 'total', 160));
      ok(engine.count(at('06:30'), 'good', 150));
      ok(engine.tick(at('07:00')));
      const f = engine.figures(at('05:00'), at('07:00'));
      assert.deepEqual([f.counts.total, f.counts.good, f.counts.unscheduledTotal, f.counts.unscheduledGood], [60, 50, 100, 100]);
      assert.equal(f.times.unscheduledMs, 60 * MIN);
    });
  });
});
