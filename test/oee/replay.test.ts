/**
 * Determinism and persistence on a long, messy event stream: three shifts in Europe/Berlin over the
 * fall-back weekend, 16-bit counters that wrap, a PLC restart, duplicates, late and out-of-order
 * samples, a link gap, PLC reason codes, product changes and operator assignments.
 */
import assert from 'node:assert/strict';
import type { EngineConfig } from '../../nodes/oee/config';
import { Engine } from '../../nodes/oee/engine';
import type { ApplyResult, InputEvent, Notice } from '../../nodes/oee/events';
import { SnapshotError } from '../../nodes/oee/snapshot';
import { REASONS } from './fixtures';

const CONFIG: EngineConfig = {
  calendar: {
    timeZone: 'Europe/Berlin',
    shifts: [
      { name: 'Early', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '06:00', end: '14:00', breaks: [{ name: 'Break', start: '09:30', end: '09:45' }] },
      { name: 'Late', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '14:00', end: '22:00' },
      { name: 'Night', days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '22:00', end: '06:00', breaks: [{ name: 'Meal', start: '02:00', end: '02:30' }] },
    ],
  },
  stateMap: { 1: 'running', 2: 'idle', 3: 'down', 4: 'changeover', 5: 'planned' },
  counters: { total: { bits: 16 }, good: { bits: 16 } },
  products: { A: { idealCycleTimeMs: 800 }, B: { idealCycleTimeMs: 1200 } },
  defaultProduct: 'A',
  reasons: REASONS,
  smallStopMs: 120_000,
  startupMs: 300_000,
};

/** mulberry32: a tiny seeded generator, enough for test streams. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const START = Date.UTC(2024, 9, 25, 20, 0); // Fri 25 Oct 22:00 CEST, through Sun 27 Oct (25 h day)

/** Two days of a machine scanned every 5 s, with every kind of trouble. */
function stream(seed: number): InputEvent[] {
  const rnd = random(seed);
  const events: InputEvent[] = [];
  let state = 1;
  let until = START + 60_000;
  let total = 65_000; // wraps within the first hours
  let good = 64_950;
  let product = 'A';
  let delayed: InputEvent | null = null;
  const end = START + 48 * 3_600_000;
  for (let t = START; t < end; t += 5000) {
    if (t >= until) {
      const r = rnd();
      if (state !== 1) {
        state = 1;
        until = t + 60_000 + Math.floor(rnd() * 900_000);
      } else if (r < 0.55) {
        state = 2;
        until = t + 5000 + Math.floor(rnd() * 200_000);
      } else if (r < 0.8) {
        state = 3;
        until = t + 120_000 + Math.floor(rnd() * 1_500_000);
        events.push({ type: 'reason', t, code: [101, 102, 103, 'LOW'][Math.floor(rnd() * 4)] });
      } else if (r < 0.9) {
        state = 4;
        until = t + 600_000;
        product = product === 'A' ? 'B' : 'A';
        events.push({ type: 'product', t, product });
      } else {
        state = 5;
        until = t + 900_000;
      }
    }
    if (state === 1) {
      const made = 3 + Math.floor(rnd() * 4);
      total = (total + made) % 65_536;
      good = (good + made - (rnd() < 0.05 ? 1 : 0)) % 65_536;
    }
    if (t === START + 20 * 3_600_000) {
      total = 0; // PLC restart
      good = 0;
    }
    if (t > START + 12 * 3_600_000 && t < START + 12 * 3_600_000 + 300_000) continue; // link gap, Sat 10:00
    const scan: InputEvent[] = [
      { type: 'state', t, value: state },
      { type: 'count', t, counter: 'total', value: total },
      // Now and then the good counter's source timestamp lags 1.5 s: late but within tolerance.
      { type: 'count', t: rnd() < 0.01 ? t - 1500 : t, counter: 'good', value: good },
    ];
    if (state === 1) scan.push({ type: 'reason', t, code: 0 });
    for (const e of scan) {
      const r = rnd();
      if (r < 0.01) events.push(e, e); // duplicated
      else if (r < 0.015 && delayed === null) delayed = e; // arrives with the next scan: late
      else events.push(e);
    }
    if (delayed !== null && delayed.t < t) {
      events.push(delayed);
      delayed = null;
    }
    if (t % 60_000 === 0) events.push({ type: 'tick', t: t + 1000 });
    if (t % 3_600_000 === 0 && t > START) events.push({ type: 'assign', t, stopId: Math.floor(rnd() * 40) + 1, reason: ['jam', 'motor', 'material', 'meeting', null][Math.floor(rnd() * 5)]! });
  }
  events.push({ type: 'tick', t: end + 8 * 3_600_000 });
  return events;
}

interface Run {
  readonly engine: Engine;
  readonly results: ApplyResult[];
  readonly notices: Notice[];
}

function replay(events: readonly InputEvent[], engine?: Engine, notices: Notice[] = []): Run {
  const e = engine ?? new Engine(CONFIG, START, { onNotice: (n) => notices.push(n) });
  const results = events.map((ev) => e.apply(ev));
  return { engine: e, results, notices };
}

const summary = (r: ApplyResult): string => (r.ok ? `ok:${r.note ?? ''}` : r.error.code);

describe('oee replay and persistence', () => {
  const events = stream(42);

  it('the stream exercises what it should', () => {
    const { engine, results, notices } = replay(events);
    const d = engine.diagnostics();
    assert.ok(events.length > 90_000, `${events.length} events`);
    assert.ok(d.duplicates > 100 && d.late > 10 && d.wraps > 0 && d.resets > 0, JSON.stringify(d));
    const assigned = results.filter((r, i) => events[i].type === 'assign' && r.ok).length;
    assert.ok(assigned > 20, `${assigned} assignments`);
    const records = notices.filter((n): n is Extract<Notice, { kind: 'shift-end' }> => n.kind === 'shift-end');
    // Friday night, Saturday's three shifts (Sunday has only its night, after the stream).
    assert.deepEqual(records.map((r) => r.shift.id), ['2024-10-25/Night', '2024-10-26/Early', '2024-10-26/Late', '2024-10-26/Night']);
    const night = records.find((n) => n.shift.id === '2024-10-26/Night')!;
    assert.equal(night.figures.times.shiftMs, 9 * 3_600_000); // the fall-back night
    assert.equal(night.figures.times.noDataMs, 0);
    const withGap = records.filter((n) => n.figures.times.noDataMs > 0);
    assert.deepEqual(withGap.map((n) => [n.shift.id, n.figures.times.noDataMs]), [['2024-10-26/Early', 300_000 - 60_000]]); // last scan at the gap start, stale 60 s later, back 300 s after it
    for (const r of records) {
      const f = r.figures;
      // Identities that hold for every shift.
      assert.equal(f.times.plannedProductionMs, f.times.runMs + f.times.downtimeMs + f.times.changeoverMs + f.times.noDataMs);
      assert.equal(f.times.calendarMs, f.times.shiftMs + f.times.unscheduledMs);
      const stopTime = f.downtimeByReason.reduce((s, row) => s + row.durationMs, 0);
      assert.equal(stopTime, f.times.downtimeMs + f.times.smallStopMs + f.times.changeoverMs + f.times.noDataMs + f.times.machinePlannedMs);
      const l = f.losses;
      const lossSum = l.unplannedStops.ms + l.plannedStops.ms + l.smallStops.ms + l.slowCycles.ms! + l.productionRejects.ms! + l.startupRejects.ms!;
      assert.ok(Math.abs(lossSum - (f.times.plannedProductionMs - f.times.fullyProductiveMs!)) < 1e-6, `${r.shift.id}: six losses ${lossSum}`);
    }
  });

  it('replaying the same events gives identical results, notices and figures, to the last digit', () => {
    const a = replay(events);
    const b = replay(events);
    assert.deepEqual(a.results.map(summary), b.results.map(summary));
    assert.equal(JSON.stringify(a.notices), JSON.stringify(b.notices));
    const w = [START, START + 48 * 3_600_000] as const;
    assert.equal(JSON.stringify(a.engine.figures(...w)), JSON.stringify(b.engine.figures(...w)));
    assert.equal(JSON.stringify(a.engine), JSON.stringify(b.engine));
  });

  for (const fraction of [0.1, 0.5, 0.77]) {
    it(`replay to ${fraction * 100} %, save as JSON, restore, replay the rest == replay all`, () => {
      const cut = Math.floor(events.length * fraction);
      const all = replay(events);
      const first = replay(events.slice(0, cut));
      const saved = JSON.stringify(first.engine);
      const tail: Notice[] = [];
      const restored = Engine.fromJSON(JSON.parse(saved), { onNotice: (n) => tail.push(n) });
      assert.equal(JSON.stringify(restored), saved, 'restoring and saving again gives the same text');
      const rest = replay(events.slice(cut), restored, tail);
      assert.deepEqual([...first.results, ...rest.results].map(summary), all.results.map(summary));
      assert.equal(JSON.stringify(tail), JSON.stringify(all.notices.slice(first.notices.length)));
      assert.equal(JSON.stringify(restored), JSON.stringify(all.engine));
      const w = [START, START + 48 * 3_600_000] as const;
      assert.equal(JSON.stringify(restored.figures(...w)), JSON.stringify(all.engine.figures(...w)));
    });
  }

  it('a restore with a changed configuration applies it from then on', () => {
    const half = replay(events.slice(0, 20_000));
    const json = JSON.parse(JSON.stringify(half.engine)) as unknown;
    const strict = Engine.fromJSON(json, { config: { ...CONFIG, smallStopMs: 1000 } });
    const shift = strict.currentShift()!;
    const before = half.engine.shiftFigures(shift)!;
    const after = strict.shiftFigures(shift)!;
    assert.ok(before.times.smallStopMs > 0);
    assert.ok(after.times.smallStopMs < before.times.smallStopMs);
    assert.equal(after.times.runMs + after.times.downtimeMs, before.times.runMs + before.times.downtimeMs);
  });

  it('a damaged snapshot is refused with the field that is wrong', () => {
    const json = JSON.parse(JSON.stringify(replay(events.slice(0, 5000)).engine)) as Record<string, unknown>;
    const segs = json.segments as unknown[][];
    const broken = structuredClone(json);
    (broken.segments as unknown[][])[3][0] = 'soon';
    assert.throws(() => Engine.fromJSON(broken), (e: unknown) => e instanceof SnapshotError && /state\.segments\[3\]\[0\] should be a whole number, is "soon"/.test(e.message));
    assert.throws(() => Engine.fromJSON({ ...json, format: 'other' }), /state\.format should be one of "factoryhub-oee-engine"/);
    assert.throws(() => Engine.fromJSON({ ...json, state: 'spinning' }), /state\.state should be a state/);
    const dangling = structuredClone(json);
    (dangling.segments as unknown[][])[segs.length - 1][5] = 99_999;
    assert.throws(() => Engine.fromJSON(dangling), /should be the id of a saved stop, is 99999/);
    assert.throws(() => Engine.fromJSON(null), /state should be an object/);
  });
});
