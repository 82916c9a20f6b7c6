/**
 * Every bad sample gets a specific error naming the input, is ignored, and leaves the engine
 * exactly as it was (state and figures); nothing throws.
 */
import assert from 'node:assert/strict';
import type { Engine } from '../../nodes/oee/engine';
import type { ErrorCode, InputEvent } from '../../nodes/oee/events';
import { QUIET, at, harness, ok, stateOf } from './fixtures';


interface Case {
  readonly name: string;
  readonly event: InputEvent;
  readonly code: ErrorCode;
  readonly input: string;
  readonly message: RegExp;
}

const t = at('07:00');
const bad = <T>(v: unknown): T => v as T;

const CASES: readonly Case[] = [
  { name: 'a negative count', event: { type: 'count', t, counter: 'total', value: -5 }, code: 'negative-count', input: 'total', message: /^total counter: value -5 is negative; sample ignored$/ },
  { name: 'NaN as a count', event: { type: 'count', t, counter: 'good', value: NaN }, code: 'not-a-number', input: 'good', message: /good counter: value NaN is not a number/ },
  { name: 'Infinity as a count', event: { type: 'count', t, counter: 'total', value: Infinity }, code: 'not-a-number', input: 'total', message: /value Infinity is not a number/ },
  { name: 'text as a count', event: { type: 'count', t, counter: 'total', value: bad<number>('12') }, code: 'not-a-number', input: 'total', message: /value "12" is not a number/ },
  { name: 'a fractional count', event: { type: 'count', t, counter: 'total', value: 1.5 }, code: 'not-an-integer', input: 'total', message: /value 1.5 is not a whole number of parts/ },
  { name: 'a negative increment', event: { type: 'count', t, counter: 'total', value: -1, increment: true }, code: 'negative-count', input: 'total', message: /is negative/ },
  { name: 'a 16-bit counter above 65,535', event: { type: 'count', t, counter: 'good', value: 70_000 }, code: 'counter-out-of-range', input: 'good', message: /value 70000 does not fit its 16-bit register/ },
  { name: 'a counter outside the count basis', event: { type: 'count', t, counter: 'reject', value: 3 }, code: 'counter-not-in-basis', input: 'reject', message: /not one of the counters of the count basis "total\+good"/ },
  { name: 'an unknown counter', event: { type: 'count', t, counter: bad<'total'>('scrap'), value: 3 }, code: 'unknown-event', input: 'event', message: /counter "scrap" is not total, good or reject/ },
  { name: 'a timestamp 10 years ahead', event: { type: 'count', t: Date.UTC(2034, 3, 1, 7), counter: 'total', value: 200 }, code: 'timestamp-out-of-range', input: 'total', message: /total: timestamp 2034-04-01T07:00:00.000Z is 3652.0 days from the engine time 2024-04-01T07:00:00.000Z \(limit 35.0 days\)/ },
  { name: 'a timestamp 10 years back', event: { type: 'state', t: Date.UTC(2014, 3, 1, 7), value: 3 }, code: 'timestamp-out-of-range', input: 'state', message: /state: timestamp 2014-/ },
  { name: 'a NaN timestamp', event: { type: 'state', t: NaN, value: 3 }, code: 'bad-timestamp', input: 'state', message: /state: timestamp NaN is not whole ms since 1970/ },
  { name: 'a fractional timestamp', event: { type: 'count', t: t + 0.5, counter: 'total', value: 200 }, code: 'bad-timestamp', input: 'total', message: /not whole ms/ },
  { name: 'a negative timestamp', event: { type: 'heartbeat', t: -1 }, code: 'bad-timestamp', input: 'heartbeat', message: /heartbeat: timestamp -1/ },
  { name: 'a timestamp as text', event: { type: 'tick', t: bad<number>('2024-04-01') }, code: 'bad-timestamp', input: 'tick', message: /tick: timestamp "2024-04-01"/ },
  { name: 'an out-of-order state', event: { type: 'state', t: at('06:35'), value: 3 }, code: 'out-of-order', input: 'state', message: /older than the last state sample/ },
  { name: 'a state value not in the mapping', event: { type: 'state', t, value: 9 }, code: 'unknown-state', input: 'state', message: /state value 9 is not in the state mapping \(known: "1", "2", "3"\)/ },
  { name: 'a run signal that is not boolean', event: { type: 'run', t, value: 2 }, code: 'bad-run-signal', input: 'run', message: /run signal 2 is not true\/false or 1\/0/ },
  { name: 'an unknown reason code', event: { type: 'reason', t, code: 4711 }, code: 'unknown-reason-code', input: 'reason', message: /reason code 4711 is not mapped to any reason/ },
  { name: 'an empty reason code', event: { type: 'reason', t, code: ' ' }, code: 'unknown-reason-code', input: 'reason', message: /reason code " " is not a code/ },
  { name: 'an unknown product', event: { type: 'product', t, product: 'Z' }, code: 'unknown-product', input: 'product', message: /product "Z" has no configured ideal cycle time/ },
  { name: 'a bad ideal cycle time', event: { type: 'product', t, product: 'Z', idealCycleTimeMs: -1 }, code: 'bad-ideal-cycle-time', input: 'product', message: /ideal cycle time -1 ms of product "Z" is not > 0/ },
  { name: 'an assignment to an unknown stop', event: { type: 'assign', t, stopId: 99, reason: 'jam' }, code: 'unknown-stop', input: 'assign', message: /stop 99 is not a stop this engine keeps \(ids 1..1\)/ },
  { name: 'an assignment of an unknown reason', event: { type: 'assign', t, stopId: 1, reason: 'gremlins' }, code: 'unknown-reason', input: 'assign', message: /reason "gremlins" for stop 1 is not in the reason tree/ },
  { name: 'an unknown event type', event: bad<InputEvent>({ type: 'temperature', t, value: 21 }), code: 'unknown-event', input: 'event', message: /event type "temperature" is not known/ },
];

/** A machine in the middle of a shift, with a stop behind it and counters running. */
function prepared(): Engine {
  const { engine } = harness({ ...QUIET, stateMap: { 1: 'running', 2: 'idle', 3: 'down' }, counters: { good: { bits: 16 } } });
  ok(engine.state(at('06:00'), 1));
  ok(engine.count(at('06:00'), 'total', 0), 'baseline');
  ok(engine.count(at('06:00'), 'good', 0), 'baseline');
  ok(engine.state(at('06:30'), 3));
  ok(engine.state(at('06:40'), 1));
  ok(engine.count(at('07:00'), 'total', 100));
  ok(engine.count(at('07:00'), 'good', 90));
  return engine;
}

describe('oee bad input', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.code}, ignored, figures unchanged`, () => {
      const engine = prepared();
      const before = stateOf(engine);
      const figures = JSON.stringify(engine.figures(at('06:00'), at('14:00')));
      const r = engine.apply(c.event);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.equal(r.error.code, c.code);
      assert.equal(r.error.input, c.input);
      assert.match(r.error.message, c.message);
      assert.deepEqual(stateOf(engine), before);
      assert.equal(JSON.stringify(engine.figures(at('06:00'), at('14:00'))), figures);
      assert.deepEqual(engine.diagnostics().rejected, { [c.code]: 1 });
    });
  }

  it('events that are not objects at all are errors too, not exceptions', () => {
    const engine = prepared();
    for (const e of [null, undefined, 42, 'state', {}]) {
      const r = engine.apply(bad<InputEvent>(e));
      assert.equal(r.ok ? null : r.error.code, 'unknown-event');
    }
  });

  it('the engine goes on normally after bad samples', () => {
    const engine = prepared();
    for (const c of CASES) engine.apply(c.event);
    ok(engine.count(at('08:00'), 'total', 300));
    ok(engine.count(at('08:00'), 'good', 280));
    ok(engine.tick(at('08:01')));
    const f = engine.figures(at('06:00'), at('08:01'));
    assert.deepEqual([f.counts.total, f.counts.good], [300, 280]);
    assert.equal(Object.values(engine.diagnostics().rejected).reduce((a, b) => a + b, 0), CASES.length);
  });

  it('a bad configuration is refused with every problem listed', () => {
    assert.throws(
      () => harness({ smallStopMs: -1, countBasis: bad<'total+good'>('all'), products: { A: { idealCycleTimeMs: 0 } }, countResolutionMs: 7000, stateMap: { 1: bad<'running'>('spinning') } }),
      (e: unknown) => {
        const issues = (e as { issues: string[] }).issues;
        assert.deepEqual(issues, [
          'stateMap["1"]: "spinning" is not one of running, idle, down, changeover, planned',
          'countBasis "all" is not one of total+good, total+reject, good+reject',
          'products["A"].idealCycleTimeMs: 0 is not a time > 0 ms and <= 1 day',
          'smallStopMs: -1 is not a whole number from 0 to 86400000',
          'countResolutionMs: 7000 does not divide one hour (3,600,000 ms), so hourly windows would not be exact',
        ]);
        return true;
      },
    );
    assert.throws(() => harness({ reasons: [{ id: 'a', category: 'c', name: 'n', codes: [1] }, { id: 'a', category: 'c', name: 'm', codes: [1, 0] }] }), /reasons\[1\]\.id "a" is also the id of reasons\[0\]; reasons\[1\]\.codes: 1 is also mapped by reasons\[0\]; reasons\[1\]\.codes: 0 is a clear code/);
    assert.throws(() => harness({}, -5), /start time -5 is not whole ms/);
  });
});
