import assert from 'node:assert/strict';
import { Engine } from '../../nodes/oee/engine';
import type { Notice } from '../../nodes/oee/events';
import { HOUR, MIN, QUIET, at, config, harness, ok } from './fixtures';

const codeOf = (r: ReturnType<Engine['apply']>): string | null => (r.ok ? null : r.error.code);

describe('oee engine', () => {
  describe('machine state', () => {
    it('a state mapping turns PLC values into states; 3 and "3" are one key', () => {
      const { engine } = harness({ ...QUIET, stateMap: { 1: 'running', 2: 'idle', 3: 'down', 4: 'changeover', 5: 'planned' } });
      ok(engine.state(at('06:00'), 1));
      assert.equal(engine.currentState(), 'running');
      ok(engine.state(at('06:10'), '3'));
      assert.equal(engine.currentState(), 'down');
      // With a mapping, the names themselves are not states (a typo must not slip through).
      assert.equal(codeOf(engine.state(at('06:11'), 'running')), 'unknown-state');
      assert.equal(codeOf(engine.state(at('06:11'), 7)), 'unknown-state');
    });

    it('a boolean run signal: true/1 running, false/0 idle', () => {
      const { engine } = harness({ ...QUIET, smallStopMs: 2 * MIN });
      ok(engine.run(at('06:00'), true));
      ok(engine.run(at('06:10'), false));
      ok(engine.apply({ type: 'run', t: at('06:11'), value: 1 }));
      ok(engine.run(at('06:20'), 0));
      ok(engine.run(at('06:30'), true));
      ok(engine.tick(at('07:00')));
      const f = engine.figures(at('06:00'), at('07:00'));
      assert.deepEqual(f.stops.map((s) => [s.state, s.kind, s.durationMs]), [['idle', 'small-stop', MIN], ['idle', 'downtime', 10 * MIN]]);
      assert.equal(codeOf(engine.run(at('07:00'), 'yes' as unknown as boolean)), 'bad-run-signal');
    });

    it('a repeated state is a duplicate at the same time and no change later', () => {
      const { engine, notices } = harness(QUIET);
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.state(at('06:00'), 'running'), 'duplicate');
      ok(engine.state(at('06:05'), 'running'));
      assert.deepEqual(notices.filter((n) => n.kind === 'state').map((n) => n.kind === 'state' && n.to), ['running']);
    });
  });

  describe('ordering', () => {
    it('a sample older than the last of its signal is rejected as out of order, naming both times', () => {
      const { engine } = harness(QUIET);
      ok(engine.state(at('06:10'), 'running'));
      const r = engine.state(at('06:09:59'), 'down');
      assert.equal(codeOf(r), 'out-of-order');
      assert.match(r.ok ? '' : r.error.message, /state: sample at 2024-04-01T06:09:59.000Z is older than the last state sample at 2024-04-01T06:10:00.000Z/);
    });

    it('an old sample repeating a signal\'s current value (an OPC UA initial value after a reconnect) is a duplicate', () => {
      const { engine } = harness({ ...QUIET, reorderToleranceMs: 2000 });
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.count(at('06:00'), 'total', 0), 'baseline');
      ok(engine.count(at('06:00'), 'good', 0), 'baseline');
      ok(engine.count(at('06:05'), 'total', 300));
      ok(engine.count(at('06:05'), 'good', 300));
      ok(engine.tick(at('06:30')));
      const before = engine.figures(at('06:00'), at('07:00'));
      // The server re-sends what it holds with the source time of the last change: no news, no error.
      ok(engine.state(at('06:00'), 'running'), 'duplicate');
      ok(engine.count(at('06:05'), 'total', 300), 'duplicate');
      ok(engine.count(at('06:04'), 'good', 300), 'duplicate');
      assert.deepEqual(engine.figures(at('06:00'), at('07:00')), before);
      // A counter reading older than the tolerance with another value is still out of order...
      assert.equal(codeOf(engine.count(at('06:05'), 'total', 301)), 'out-of-order');
      // ...and so is a level older than its own last sample.
      assert.equal(codeOf(engine.state(at('05:59'), 'down')), 'out-of-order');
    });

    it('a level newer than its last sample is applied at the engine time however late: it is the current value', () => {
      const { engine, notices } = harness({ ...QUIET, reorderToleranceMs: 2000 });
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.tick(at('06:30')));
      // A server that was restarted sends the machine's state with the time of its last change.
      ok(engine.state(at('06:20'), 'down'), 'late');
      ok(engine.tick(at('06:40')));
      assert.deepEqual(notices.filter((n) => n.kind === 'state').map((n) => n.kind === 'state' && [n.t, n.to]), [[at('06:00'), 'running'], [at('06:30'), 'down']]);
    });

    it('a sample slightly older than the engine time (other signal) is applied at the engine time', () => {
      const { engine } = harness({ ...QUIET, reorderToleranceMs: 2000 });
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.count(at('06:00'), 'total', 0), 'baseline');
      ok(engine.count(at('06:00'), 'good', 0), 'baseline');
      ok(engine.state(at('06:10'), 'down'));
      ok(engine.count(at('06:09:59'), 'total', 100), 'late'); // 1 s late: fine
      ok(engine.count(at('06:09:59'), 'good', 100), 'late');
      assert.equal(codeOf(engine.count(at('06:09:57'), 'total', 120)), 'out-of-order'); // 3 s late
      ok(engine.tick(at('07:00')));
      const f = engine.figures(at('06:00'), at('07:00'));
      assert.equal(f.counts.total, 100);
      assert.equal(engine.diagnostics().late, 2);
      // The absolute counter loses nothing by the rejection: the next reading carries the parts.
      ok(engine.count(at('07:00'), 'total', 130));
      ok(engine.tick(at('07:01')));
      assert.equal(engine.figures(at('06:00'), at('08:00')).counts.total, 130);
    });
  });

  it('after a long outage samples are refused until the adapter\'s clock (tick) moves time on', () => {
    const { engine } = harness({ ...QUIET, maxJumpMs: 35 * 86_400_000 });
    ok(engine.state(at('06:00'), 'running'));
    const back = at('06:00', 60); // the hub was off for 60 days
    assert.equal(codeOf(engine.state(back, 'running')), 'timestamp-out-of-range');
    ok(engine.tick(back)); // trusted: no jump limit
    ok(engine.state(back, 'running'));
    assert.equal(engine.time, back);
  });

  describe('no data', () => {
    it('silence longer than the limit is "no data", not running; the next sample restores the state', () => {
      // Samples every 10 s until 08:00, then nothing until a count at 08:10 (limit 60 s):
      // no data 08:01-08:10 = 9 min, an availability loss and a stop of its own.
      const { engine, notices } = harness({ staleAfterMs: 60_000 });
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.count(at('06:00'), 'total', 0), 'baseline');
      ok(engine.count(at('06:00'), 'good', 0), 'baseline');
      for (let t = at('06:00') + 10_000; t <= at('08:00'); t += 10_000) ok(engine.heartbeat(t));
      ok(engine.tick(at('08:05')));
      assert.equal(engine.currentState(), 'no-data');
      ok(engine.count(at('08:10'), 'total', 7000));
      assert.equal(engine.currentState(), 'running');
      for (let t = at('08:10') + 10_000; t <= at('09:00'); t += 10_000) ok(engine.heartbeat(t));
      const f = engine.figures(at('06:00'), at('09:00'));
      assert.equal(f.times.noDataMs, 9 * MIN);
      assert.equal(f.times.runMs, 3 * HOUR - 9 * MIN);
      assert.deepEqual(f.losses.unplannedStops, { ms: 9 * MIN, stops: 1, noDataMs: 9 * MIN });
      assert.deepEqual(f.stops.map((s) => [s.state, s.kind, s.start, s.end]), [['no-data', 'no-data', at('08:01'), at('08:10')]]);
      assert.deepEqual(notices.filter((n) => n.kind === 'state').map((n) => n.kind === 'state' && `${n.from}>${n.to}`), ['no-data>running', 'running>no-data', 'no-data>running']);
    });

    it('a tick is not a sample: it does not end "no data"', () => {
      const { engine } = harness({ staleAfterMs: 60_000 });
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.tick(at('06:02')));
      ok(engine.tick(at('06:03')));
      assert.equal(engine.currentState(), 'no-data');
      assert.equal(engine.figures(at('06:00'), at('06:03')).times.noDataMs, 2 * MIN);
    });

    it('a fresh engine is in "no data" until its first state', () => {
      const { engine } = harness(QUIET);
      assert.equal(engine.currentState(), 'no-data');
      ok(engine.tick(at('06:05')));
      ok(engine.state(at('06:05'), 'running'));
      assert.equal(engine.figures(at('06:00'), at('06:05')).times.noDataMs, 5 * MIN);
    });
  });

  describe('reasons', () => {
    it('a PLC code names the open stop; the first code wins; clear codes are accepted', () => {
      const { engine } = harness(QUIET);
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.state(at('07:00'), 'down'));
      ok(engine.reasonCode(at('07:00:05'), 102));
      ok(engine.reasonCode(at('07:00:06'), 'LOW')); // a consequence, not the cause
      ok(engine.reasonCode(at('07:10'), 0));
      ok(engine.state(at('07:10'), 'running'));
      const stop = engine.stop(1)!;
      assert.deepEqual([stop.reason, stop.reasonSource, stop.reasonCode], [{ id: 'motor', category: 'Mechanical', name: 'Motor overload' }, 'plc', '102']);
    });

    it('a code shortly before the stop names it; a code long before does not', () => {
      const { engine } = harness({ ...QUIET, reasonLeadMs: 5000 });
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.reasonCode(at('06:59:57'), 101)); // 3 s before
      ok(engine.state(at('07:00'), 'down'));
      ok(engine.state(at('07:10'), 'running'));
      ok(engine.reasonCode(at('07:10'), 0));
      ok(engine.reasonCode(at('07:20'), 103)); // 10 min before the next stop
      ok(engine.state(at('07:30'), 'down'));
      ok(engine.state(at('07:40'), 'running'));
      assert.equal(engine.stop(1)!.reason!.id, 'jam');
      assert.equal(engine.stop(2)!.reason, null);
    });

    it('a code left standing after a stop does not name the next one (only a change is a new code)', () => {
      const { engine } = harness(QUIET);
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.state(at('07:00'), 'down'));
      ok(engine.reasonCode(at('07:00'), 101));
      ok(engine.state(at('07:10'), 'running'));
      ok(engine.reasonCode(at('07:20'), 101)); // the PLC keeps reporting its last code
      ok(engine.state(at('07:20'), 'down'));
      ok(engine.state(at('07:30'), 'running'));
      assert.equal(engine.stop(2)!.reason, null);
    });

    it('an operator assigns a reason to a past stop by id; it overrides the PLC and shows in the figures', () => {
      const { engine, notices } = harness(QUIET);
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.state(at('07:00'), 'down'));
      ok(engine.reasonCode(at('07:00'), 101));
      ok(engine.state(at('07:20'), 'running'));
      ok(engine.state(at('08:00'), 'down'));
      ok(engine.state(at('08:30'), 'running'));
      ok(engine.tick(at('09:00')));
      let f = engine.figures(at('06:00'), at('09:00'));
      assert.deepEqual(f.downtimeByReason.map((r) => [r.kind, r.reason?.id ?? null, r.stops, r.durationMs]), [['downtime', null, 1, 30 * MIN], ['downtime', 'jam', 1, 20 * MIN]]);
      ok(engine.assignReason(at('09:05'), 2, 'material'));
      ok(engine.apply({ type: 'assign', t: at('09:06'), stopId: 1, reason: 'motor' }));
      f = engine.figures(at('06:00'), at('09:00'));
      assert.deepEqual(f.downtimeByReason.map((r) => [r.reason?.category ?? null, r.reason?.name ?? null, r.durationMs]), [['Logistics', 'Low material', 30 * MIN], ['Mechanical', 'Motor overload', 20 * MIN]]);
      assert.deepEqual([f.stops[0].reasonSource, f.stops[0].assignedAt], ['operator', at('09:06')]);
      const last = notices[notices.length - 1];
      assert.equal(last.kind, 'stop-reason');
      // Clearing makes it unassigned again.
      ok(engine.assignReason(at('09:07'), 2, null));
      assert.equal(engine.stop(2)!.reason, null);
    });

    it('an unknown PLC code, reason or stop is an error that changes nothing', () => {
      const { engine } = harness(QUIET);
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.state(at('07:00'), 'down'));
      const r = engine.reasonCode(at('07:00:01'), 999);
      assert.equal(codeOf(r), 'unknown-reason-code');
      assert.match(r.ok ? '' : r.error.message, /reason code 999 is not mapped to any reason/);
      assert.equal(codeOf(engine.assignReason(at('07:01'), 1, 'gremlins')), 'unknown-reason');
      assert.equal(codeOf(engine.assignReason(at('07:01'), 42, 'jam')), 'unknown-stop');
      ok(engine.tick(at('07:05')));
      assert.equal(engine.stop(1)!.reason, null);
    });
  });

  describe('products', () => {
    it('an order may bring its own ideal cycle time; an unknown product without one is an error', () => {
      const { engine } = harness(QUIET);
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.count(at('06:00'), 'total', 0), 'baseline');
      ok(engine.count(at('06:00'), 'good', 0), 'baseline');
      ok(engine.productChange(at('06:00'), 'C', '4711', 1500));
      assert.equal(codeOf(engine.productChange(at('06:30'), 'D')), 'unknown-product');
      ok(engine.count(at('06:59'), 'total', 2000));
      ok(engine.count(at('06:59'), 'good', 2000));
      ok(engine.tick(at('07:00')));
      const f = engine.figures(at('06:00'), at('07:00'));
      assert.deepEqual(f.products.map((p) => [p.product, p.order, p.idealCycleTimeMs, p.total]), [['C', '4711', 1500, 2000]]);
      assert.equal(f.performance, (2000 * 1500) / HOUR);
    });

    it('frequent dashboard figures can leave the stop list out; the totals stay', () => {
      const { engine } = harness(QUIET);
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.state(at('07:00'), 'down'));
      ok(engine.state(at('07:10'), 'running'));
      const full = engine.shiftFigures()!;
      const lean = engine.shiftFigures(undefined, { stops: false })!;
      assert.equal(full.stops.length, 1);
      assert.deepEqual(lean.stops, []);
      assert.deepEqual({ ...lean, stops: [] }, { ...full, stops: [] });
    });

    it('a product change while running opens a startup window; its rejects are startup rejects', () => {
      const { engine } = harness({ ...QUIET, startupMs: 10 * MIN });
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.count(at('06:00'), 'total', 0), 'baseline');
      ok(engine.count(at('06:00'), 'good', 0), 'baseline');
      ok(engine.productChange(at('07:00'), 'B'));
      ok(engine.count(at('07:05'), 'total', 50));
      ok(engine.count(at('07:05'), 'good', 40)); // 10 rejects in the window
      ok(engine.count(at('07:15'), 'total', 100));
      ok(engine.count(at('07:15'), 'good', 88)); // 2 more after it
      ok(engine.tick(at('08:00')));
      const f = engine.figures(at('06:00'), at('08:00'));
      assert.deepEqual([f.counts.startupReject, f.counts.productionReject], [10, 2]);
    });
  });

  describe('shifts and notices', () => {
    it('emits state, stop and shift notices; the shift-end record equals the figures of the shift', () => {
      const { engine, notices } = harness(QUIET);
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.state(at('07:00'), 'down'));
      ok(engine.state(at('07:30'), 'running'));
      ok(engine.state(at('13:50'), 'idle'));
      ok(engine.tick(at('15:00')));
      const kinds = notices.map((n) => `${n.kind}@${(n.t - at('06:00')) / MIN}`);
      assert.deepEqual(kinds, [
        'shift-start@0', 'state@0', // the fresh engine's no-data stop lasted 0 ms: never announced
        'state@60', 'stop-start@60', 'state@90', 'stop-end@90',
        'state@470', 'stop-start@470', 'stop-end@480', 'shift-end@480',
      ]);
      const end = notices.find((n): n is Extract<Notice, { kind: 'shift-end' }> => n.kind === 'shift-end')!;
      assert.equal(end.shift.id, '2024-04-01/Early');
      assert.deepEqual(end.figures, engine.shiftFigures(end.shift));
      assert.equal(end.figures.complete, true);
      // The idle stop was cut by the shift end; between shifts there are no stops.
      assert.deepEqual(end.figures.stops.map((s) => [s.id, s.end]), [[1, at('07:30')], [2, at('14:00')]]);
      assert.equal(engine.currentShift(), null);
    });

    it('a machine stopped across a shift change has one stop per shift', () => {
      const { engine } = harness({
        ...QUIET,
        calendar: { timeZone: 'UTC', shifts: [{ name: 'Early', days: ['mon'], start: '06:00', end: '14:00' }, { name: 'Late', days: ['mon'], start: '14:00', end: '22:00' }] },
      });
      ok(engine.state(at('06:00'), 'running'));
      ok(engine.state(at('13:50'), 'down'));
      ok(engine.state(at('14:20'), 'running'));
      const stops = engine.figures(at('06:00'), at('15:00')).stops;
      assert.deepEqual(stops.map((s) => [s.id, s.shiftId, s.durationMs]), [[1, '2024-04-01/Early', 10 * MIN], [2, '2024-04-01/Late', 20 * MIN]]);
    });

    it('the night shifts over both DST changes in Berlin last 7 h and 9 h in the shift-end records', () => {
      const records: { id: string; ms: number }[] = [];
      const cal = { timeZone: 'Europe/Berlin', shifts: [{ name: 'Night', days: ['sat'] as const, start: '22:00', end: '06:00' }] };
      for (const [y, m, d] of [[2024, 2, 30], [2024, 9, 26]] as const) {
        const engine = new Engine({ ...config(QUIET), calendar: cal }, Date.UTC(y, m, d, 12), {
          onNotice: (n) => {
            if (n.kind === 'shift-end') records.push({ id: n.shift.id, ms: n.figures.times.shiftMs });
          },
        });
        ok(engine.state(Date.UTC(y, m, d, 12), 'running'));
        ok(engine.tick(Date.UTC(y, m, d + 1, 12)));
      }
      assert.deepEqual(records, [{ id: '2024-03-30/Night', ms: 7 * HOUR }, { id: '2024-10-26/Night', ms: 9 * HOUR }]);
    });

    it('holidays have no shift: no planned production time, no stops', () => {
      const { engine } = harness({ ...QUIET, calendar: { timeZone: 'UTC', shifts: [{ name: 'Early', days: ['mon', 'tue'], start: '06:00', end: '14:00' }], holidays: ['2024-04-01'] } }, at('05:00'));
      ok(engine.state(at('05:00'), 'down'));
      ok(engine.tick(at('15:00')));
      const f = engine.figures(at('00:00'), at('00:00', 1));
      assert.equal(f.times.plannedProductionMs, 0);
      assert.equal(f.stops.length, 0);
      assert.equal(engine.currentShift(), null);
      ok(engine.tick(at('07:00', 1)));
      assert.equal(engine.currentShift()!.id, '2024-04-02/Early');
    });
  });

  describe('memory bound', () => {
    it('keeps at most maxSegments / maxStops and says where the kept history starts', () => {
      const { engine } = harness({ staleAfterMs: 60_000, maxSegments: 1000, maxStops: 200, smallStopMs: 60_000 }, at('06:00'));
      // A flapping machine for 3 days: 20 s running, 10 s idle, counts every 5 s.
      let n = 0;
      for (let t = at('06:00'); t < at('13:00', 2); t += 5000) {
        const phase = (t / 1000) % 30;
        if (phase === 0) ok(engine.state(t, 'running'));
        if (phase === 20) ok(engine.state(t, 'idle'));
        const note = t === at('06:00') ? 'baseline' : null;
        ok(engine.count(t, 'total', n), note);
        ok(engine.count(t, 'good', n), note);
        n += phase < 20 ? 4 : 0;
      }
      const kept = engine.retained;
      assert.ok(kept.segments <= 1000, `${kept.segments} segments`);
      assert.ok(kept.stops <= 200, `${kept.stops} stops`);
      assert.ok(engine.retainedFrom > at('06:00', 2));
      const old = engine.figures(at('06:00'), at('14:00'));
      assert.ok(old.notes.some((x) => x.code === 'window-before-history'));
      assert.equal(old.complete, false);
      // Recent windows are whole: the last 30 min hold 60 idle stops of 10 s (small stops).
      ok(engine.tick(at('13:00', 2)));
      const recent = engine.figures(at('12:30', 2), at('13:00', 2));
      assert.equal(recent.complete, true);
      assert.equal(recent.losses.smallStops.stops, 60);
      assert.equal(recent.times.smallStopMs, 10 * MIN);
      assert.ok(JSON.stringify(engine).length < 400_000);
    });

    it('drops history older than retainMs (checked whenever a segment is added)', () => {
      const { engine } = harness({ retainMs: 25 * HOUR, staleAfterMs: 60_000 });
      ok(engine.state(at('06:00'), 'running'));
      for (let t = at('06:00'); t < at('06:00', 4); t += 30_000) ok(engine.heartbeat(t));
      // The last segment was added at Thursday's shift end (14:00, day 3); 25 h before that is
      // Wednesday 13:00, inside the segment 10:30-14:00 that is kept whole.
      assert.equal(engine.retainedFrom, at('10:30', 2));
      // Kept: Wed 10:30-14:00, Wed 14:00-Thu 06:00, Thu 06:00-10:00, 10:00-10:30, 10:30-14:00.
      assert.equal(engine.retained.segments, 5);
    });
  });
});
