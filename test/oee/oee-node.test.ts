/**
 * fh-oee and fh-shift-calendar in a real Node-RED runtime (node-red-node-test-helper): a machine fed
 * through a whole shift gives the hand-computed figures, stop events and a shift-end record; an
 * operator names a past stop; bad inputs are refused with specific errors and change nothing; scan
 * objects and tag messages from the hub's read nodes go straight in; the clock turns silence into
 * "no data"; the state survives a stop and start of the flows; the dialogs' validation endpoints.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { TestFlows } from 'node-red-node-test-helper';
import oeeNode from '../../nodes/oee/oee';
import calendarNode from '../../nodes/oee/shift-calendar';
import type { FiguresPayload, ShiftEndPayload, StopEvent } from '../../nodes/oee/output';
import { shiftKey } from '../../nodes/oee/output';
import type { NodeState } from '../../nodes/oee/state-file';
import { lastStatus, statusMatching } from '../support/node-red';
import { tempDir } from '../support/hub-process';

// Node-RED's own Catch node, to see errors as a flow sees them.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js') as (RED: unknown) => void;

type Msg = Record<string, unknown> & { topic?: string; payload?: unknown };

const MIN = 60_000;
const DAY = 86_400_000;
/** Yesterday 00:00 UTC: recent (within the engine's 35-day limit of the hub's clock) and in the past. */
const BASE = Math.floor(Date.now() / DAY) * DAY - DAY;
const at = (clock: string): number => {
  const [h, m, s] = clock.split(':').map(Number);
  return BASE + (h * 60 + m) * MIN + (s ?? 0) * 1000;
};

const M = 'plant/line1/filler';
const TAG = { state: `${M}/state`, total: `${M}/count`, good: `${M}/good`, fault: `${M}/fault`, product: `${M}/product` };

const CALENDAR = {
  id: 'cal',
  type: 'fh-shift-calendar',
  name: 'two shifts',
  timeZone: 'UTC',
  shifts: [{ name: 'Early', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '06:00', end: '14:00', breaks: [{ name: 'Lunch', start: '10:00', end: '10:30' }] }],
  holidays: [],
  plannedStops: [],
};

function oee(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'oee',
    type: 'fh-oee',
    z: 'tab',
    name: 'filler OEE',
    machine: M,
    calendar: 'cal',
    stateSource: 'state',
    stateTag: TAG.state,
    stateMap: [
      { value: '0', state: 'idle' },
      { value: '1', state: 'running' },
      { value: '2', state: 'down' },
      { value: '3', state: 'planned' },
      { value: '4', state: 'changeover' },
    ],
    countBasis: 'total+good',
    totalTag: TAG.total,
    goodTag: TAG.good,
    counterMode: 'abs32',
    reasonTag: TAG.fault,
    reasons: [
      { category: 'Mechanical', name: 'Jam', id: 'jam', codes: '101' },
      { category: 'Mechanical', name: 'Motor overload', id: 'motor', codes: '102' },
    ],
    clearCodes: '0',
    productTag: TAG.product,
    products: [{ name: 'A', ict: '1' }, { name: 'B', ict: '2' }],
    defaultProduct: 'A',
    smallStop: 300,
    staleAfter: 86400,
    startup: 0,
    reorderTolerance: 2,
    reportInterval: 0,
    tickInterval: 0,
    saveInterval: 0.05,
    wires: [['figures'], ['events'], ['ends']],
    ...extra,
  };
}

function flow(extra: Record<string, unknown> = {}): TestFlows {
  return [
    { id: 'tab', type: 'tab' },
    CALENDAR,
    oee(extra),
    { id: 'figures', type: 'helper', z: 'tab' },
    { id: 'events', type: 'helper', z: 'tab' },
    { id: 'ends', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: ['oee'], wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ] as TestFlows;
}

interface Outputs {
  figures: Msg[];
  events: Msg[];
  ends: Msg[];
  caught: Msg[];
}

function listen(): Outputs {
  const out: Outputs = { figures: [], events: [], ends: [], caught: [] };
  for (const k of Object.keys(out) as (keyof Outputs)[]) helper.getNode(k).on('input', (m: Msg) => out[k].push(m));
  return out;
}

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A tag value message as fh-modbus-read / fh-opcua-subscribe send it. */
function tag(topic: string, payload: unknown, clock: string | number, quality = 'good'): Msg {
  return { topic, payload, timestamp: typeof clock === 'number' ? clock : at(clock), quality };
}

function send(...msgs: Msg[]): void {
  const n = helper.getNode('oee');
  for (const m of msgs) n.receive(m);
}

/** The figures now, through a report request (also the way a dashboard or an http-in asks). */
async function report(out: Outputs): Promise<FiguresPayload & { stops?: unknown[] }> {
  const marker = `r${Math.random()}`;
  send({ topic: 'report', marker });
  await until('the report', () => out.figures.some((m) => m.marker === marker));
  return out.figures.find((m) => m.marker === marker)!.payload as FiguresPayload & { stops?: unknown[] };
}

const near = (a: number | null, b: number): void => {
  assert.notEqual(a, null);
  assert.ok(Math.abs(a! - b) < 1e-12, `${a} is not ${b}`);
};

describe('oee/fh-oee node in a Node-RED runtime', function () {
  this.timeout(20000);
  let userDir: string;

  beforeEach(async () => {
    userDir = tempDir('oee-node');
    helper.settings({ userDir });
    await new Promise<void>((r) => helper.startServer(r));
  });

  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(r));
    helper.settings({});
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('computes a shift from timestamped samples: hand-computed figures, stop events, the shift-end record', async () => {
    await helper.load([calendarNode, oeeNode, catchNode], flow());
    const out = listen();
    // 06:00-14:00, break 10:00-10:30; the machine runs through the break, is down 07:00-07:20 (jam,
    // from the PLC), idle 08:00-08:02 (a small stop), on a planned stop 12:00-13:00.
    send(
      tag(TAG.state, 1, '06:00'),
      tag(TAG.total, 1000, '06:00'),
      tag(TAG.good, 1000, '06:00'),
      tag(TAG.total, 4600, '07:00'),
      tag(TAG.good, 4550, '07:00'),
      tag(TAG.state, 2, '07:00'),
      tag(TAG.fault, 101, '07:00'),
      tag(TAG.state, 1, '07:20'),
      tag(TAG.fault, 0, '07:20'),
      tag(TAG.state, 0, '08:00'),
      tag(TAG.state, 1, '08:02'),
      tag(TAG.total, 11000, '09:00'),
      tag(TAG.good, 10800, '09:00'),
      tag(TAG.total, 18000, '12:00'),
      tag(TAG.good, 17700, '12:00'),
      tag(TAG.state, 3, '12:00'),
      tag(TAG.state, 1, '13:00'),
      tag(TAG.total, 21000, '13:59'),
      tag(TAG.good, 20600, '13:59'),
    );
    await until('the 13:59 figures', () => (out.figures.at(-1)?.payload as FiguresPayload | undefined)?.t === at('13:59'));
    const before = out.figures.at(-1)!.payload as FiguresPayload;
    assert.equal(before.machine, M);
    assert.equal(before.state, 'running');
    assert.equal(before.counts.total, 20000);
    assert.equal(out.figures.at(-1)!.topic, `${M}/oee`);

    // The operator names the small stop; then the shift ends (a tick message: the source clock of a replay).
    // As from the dashboard: node-red-dashboard puts the logged-in operator in msg._client.user.
    send({ topic: 'assign-reason', payload: { stopId: 2, reason: 'motor' }, _client: { user: { username: 'operator1' } } });
    send({ topic: 'tick', timestamp: at('14:00') });
    await until('the shift-end record', () => out.ends.length === 1);
    assert.deepEqual(out.caught, []);

    const end = out.ends[0];
    const f = end.payload as ShiftEndPayload;
    assert.equal(end.topic, `${M}/shift-end`);
    assert.equal(f.event, 'shift-end');
    assert.equal(f.machine, M);
    assert.equal(f.key, shiftKey(M, f.shift!.id));
    assert.deepEqual(f.shift, { id: `${new Date(BASE).toISOString().slice(0, 10)}/Early`, name: 'Early', start: at('06:00'), end: at('14:00') });
    assert.equal(f.complete, true);
    // Hand computation: shift 480 min; planned stops: break 30 + planned state 60 = 90; PPT 390;
    // down 20 (>= 5 min: downtime), idle 2 (< 5 min: small stop, inside run time); run 370 min.
    const { times, counts, losses } = f;
    assert.equal(times.shiftMs, 480 * MIN);
    assert.equal(times.calendarPlannedMs, 30 * MIN);
    assert.equal(times.machinePlannedMs, 60 * MIN);
    assert.equal(times.plannedProductionMs, 390 * MIN);
    assert.equal(times.downtimeMs, 20 * MIN);
    assert.equal(times.smallStopMs, 2 * MIN);
    assert.equal(times.runMs, 370 * MIN);
    assert.equal(times.runningMs, 368 * MIN);
    assert.equal(times.runningInPlannedStopMs, 30 * MIN);
    assert.equal(times.netRunMs, 20_000_000);
    // Counts: 20,000 parts (the 06:00 reading is the baseline), 19,600 good, ideal 1 s each.
    assert.deepEqual([counts.total, counts.good, counts.reject], [20000, 19600, 400]);
    near(f.availability, 370 / 390);
    near(f.performance, 20000 / 22200);
    near(f.quality, 0.98);
    near(f.oee, 19600 / 23400);
    near(f.oeeFromGoodCount, 19600 / 23400);
    near(f.utilization, 390 / 480);
    assert.equal(losses.unplannedStops.ms, 20 * MIN);
    assert.equal(losses.smallStops.ms, 2 * MIN);
    assert.equal(losses.slowCycles.ms, 370 * MIN - 2 * MIN - 20_000_000);
    assert.deepEqual(losses.productionRejects, { count: 400, ms: 400_000 });
    assert.deepEqual(
      f.downtimeByReason.map((r) => [r.kind, r.reason?.id ?? null, r.stops, r.durationMs]),
      [
        ['planned', null, 1, 60 * MIN],
        ['downtime', 'jam', 1, 20 * MIN],
        ['small-stop', 'motor', 1, 2 * MIN],
      ],
    );
    assert.deepEqual(
      f.stops.map((s) => [s.id, s.state, s.kind, s.start, s.end, s.reason?.id ?? null, s.reasonSource]),
      [
        [1, 'down', 'downtime', at('07:00'), at('07:20'), 'jam', 'plc'],
        [2, 'idle', 'small-stop', at('08:00'), at('08:02'), 'motor', 'operator'],
        [3, 'planned', 'planned', at('12:00'), at('13:00'), null, null],
      ],
    );
    // The ERP record rides along.
    assert.deepEqual(end.record, {
      kind: 'shift-oee',
      key: f.key,
      workCenter: M,
      shift: 'Early',
      start: at('06:00'),
      end: at('14:00'),
      oee: { availability: f.availability, performance: f.performance, quality: f.quality, oee: f.oee, goodCount: 19600, totalCount: 20000 },
    });

    // Events, in order, for the timeline and the ERP.
    const ev = out.events.map((m) => m.payload as { event: string; t: number; stopId?: number; state?: string; reason?: { id: string } | null; end?: number | null; from?: string; to?: string });
    assert.equal(out.events[0].topic, `${M}/shift-start`);
    const stopEvents = ev.filter((e) => e.event.startsWith('stop-')).map((e) => [e.event, e.stopId, e.t, e.state, e.reason?.id ?? null, e.end ?? null]);
    assert.deepEqual(stopEvents, [
      ['stop-start', 1, at('07:00'), 'down', 'jam', null],
      ['stop-end', 1, at('07:20'), 'down', 'jam', at('07:20')],
      ['stop-start', 2, at('08:00'), 'idle', null, null],
      ['stop-end', 2, at('08:02'), 'idle', null, at('08:02')],
      ['stop-start', 3, at('12:00'), 'planned', null, null],
      ['stop-end', 3, at('13:00'), 'planned', null, at('13:00')],
      ['stop-reason', 2, ev.find((e) => e.event === 'stop-reason')!.t, 'idle', 'motor', at('08:02')],
    ]);
    const states = ev.filter((e) => e.event === 'state').map((e) => `${e.from}>${e.to}`);
    assert.deepEqual(states, ['no-data>running', 'running>down', 'down>running', 'running>idle', 'idle>running', 'running>planned', 'planned>running']);
    const reasonEvent = out.events.find((m) => (m.payload as { event: string }).event === 'stop-reason')!;
    assert.equal(reasonEvent.topic, `${M}/stop-reason`);
    assert.equal((reasonEvent.payload as StopEvent).reasonSource, 'operator');
    assert.equal(reasonEvent.user, 'operator1', 'who named the stop goes with the event (the KPI store keeps it)');

    // Between shifts: the figures output says so once; the status shows the state.
    await until('the no-shift figures', () => (out.figures.at(-1)?.payload as { shift: unknown }).shift === null);
    await statusMatching(helper.getNode('oee'), /running · no shift/);
  });

  it('refuses bad input with a specific error naming the tag, leaves the figures unchanged, and keeps running', async () => {
    await helper.load([calendarNode, oeeNode, catchNode], flow());
    const out = listen();
    send(tag(TAG.state, 1, '06:00'), tag(TAG.total, 0, '06:00'), tag(TAG.good, 0, '06:00'), tag(TAG.total, 100, '06:30'), tag(TAG.good, 99, '06:30'), tag(TAG.state, 2, '06:40'), tag(TAG.state, 1, '06:50'));
    await until('the samples', () => (out.figures.at(-1)?.payload as FiguresPayload | undefined)?.t === at('06:50'));
    const before = await report(out);
    assert.equal(before.counts.total, 100);

    const cases: [string, Msg, RegExp][] = [
      ['a negative count', tag(TAG.total, -5, '06:55'), /^OeeInputError: plant\/line1\/filler: tag "plant\/line1\/filler\/count": total counter: value -5 is negative; sample ignored \(negative-count\)$/],
      ['NaN as a count', tag(TAG.good, NaN, '06:55'), /tag "plant\/line1\/filler\/good": good counter: value NaN is not a number; sample ignored \(not-a-number\)/],
      ['text as a count', tag(TAG.total, 'lots', '06:55'), /tag "plant\/line1\/filler\/count": total counter: value "lots" is not a number.*\(not-a-number\)/],
      ['a timestamp 10 years away', tag(TAG.total, 200, at('06:55') + 3652 * DAY), /tag "plant\/line1\/filler\/count": total: timestamp \d{4}-.* is 3652.0 days from the engine time .*\(limit 35.0 days\); sample ignored \(timestamp-out-of-range\)/],
      ['a timestamp that is not a time', { topic: TAG.state, payload: 1, timestamp: 'yesterday' }, /tag "plant\/line1\/filler\/state": state: timestamp "yesterday" is not whole ms since 1970; sample ignored \(bad-timestamp\)/],
      ['an unknown reason code', tag(TAG.fault, 4711, '06:55'), /tag "plant\/line1\/filler\/fault": reason code 4711 is not mapped to any reason; sample ignored \(unknown-reason-code\)/],
      ['a state value not in the mapping', tag(TAG.state, 9, '06:55'), /tag "plant\/line1\/filler\/state": state value 9 is not in the state mapping \(known: "0", "1", "2", "3", "4"\); sample ignored \(unknown-state\)/],
      ['an unknown product', tag(TAG.product, 'Z', '06:55'), /tag "plant\/line1\/filler\/product": product "Z" has no configured ideal cycle time.*\(unknown-product\)/],
      ['an out-of-order sample', tag(TAG.state, 2, '06:45'), /state: sample at .* is older than the last state sample .*\(out-of-order\)/],
      ['a reason not in the reason tree', { topic: 'assign-reason', payload: { stopId: 1, reason: 'gremlins' } }, /assign-reason: reason "gremlins" for stop 1 is not in the reason tree; assignment ignored \(unknown-reason\)/],
      ['a stop that does not exist', { topic: 'assign-reason', payload: { stopId: 42, reason: 'jam' } }, /assign-reason: stop 42 is not a stop this engine keeps \(ids 1..1\); assignment ignored \(unknown-stop\)/],
      ['an assignment without a reason', { topic: 'assign-reason', payload: { stopId: 1 } }, /assign-reason: msg.payload has no reason/],
      ['a tick 10 years away', { topic: 'tick', timestamp: at('06:55') + 3652 * DAY }, /tick: timestamp .* is 3652.0 days from the engine time .*\(timestamp-out-of-range\)/],
    ];
    for (const [name, msg, re] of cases) {
      const n = out.caught.length;
      send(msg);
      await until(`the error of ${name}`, () => out.caught.length === n + 1);
      const err = out.caught[n].error as { message: string; source: { id: string } };
      assert.match(err.message, re, `${name}: ${err.message}`);
      assert.equal(err.source.id, 'oee');
      assert.equal(lastStatus(helper.getNode('oee')).fill, 'red', `${name}: the status shows the error`);
    }
    // Nothing changed: not a count, not a stop, not the time.
    assert.deepEqual(await report(out), before);

    // A scan with one bad value: the good values apply, the bad one is named.
    const n = out.caught.length;
    send({ payload: { [TAG.total]: 130, [TAG.good]: -1 }, timestamp: at('06:56') });
    await until('the scan error', () => out.caught.length === n + 1);
    assert.match((out.caught[n].error as { message: string }).message, /tag "plant\/line1\/filler\/good": good counter: value -1 is negative/);
    // Bad quality is not applied and is no error: it proves nothing, so silence turns into no data.
    send(tag(TAG.total, 999_999, '06:57', 'bad'));
    const after = await report(out);
    assert.equal(out.caught.length, n + 1);
    assert.deepEqual([after.counts.total, after.counts.good], [130, 99], 'only the good scan value counted');
    assert.equal(after.t, at('06:56'), 'a bad-quality sample does not move time');

    // Still running: the next good samples count.
    send(tag(TAG.total, 150, '07:00'), tag(TAG.good, 149, '07:00'));
    const later = await report(out);
    assert.deepEqual([later.counts.total, later.counts.good], [150, 149]);
  });

  it('refuses what is no value at all (10 MB text, Buffer, array, deep object, getters that throw) with a short error naming the tag or property, and keeps running', async () => {
    // No Catch node here: Node-RED's Catch clones the message, and the clone would read the getters.
    await helper.load([calendarNode, oeeNode], flow().filter((n) => n.type !== 'catch'));
    const out = listen();
    const node = helper.getNode('oee');
    const errors = (): string[] => (node as unknown as { error: { args: unknown[][] } }).error.args.map((a) => (a[0] instanceof Error ? a[0].message : String(a[0])));
    send(tag(TAG.state, 1, '06:00'), tag(TAG.total, 0, '06:00'), tag(TAG.good, 0, '06:00'));
    await until('the samples', () => (out.figures.at(-1)?.payload as FiguresPayload | undefined)?.t === at('06:00'));
    const before = await report(out);

    const big = 'x'.repeat(10 * 1024 * 1024);
    let deep: unknown = {};
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    const throwing = (msg: Msg, key: string): Msg =>
      Object.defineProperty(msg, key, {
        enumerable: true,
        get() {
          throw new Error('no access');
        },
      });
    const cases: [string, Msg, RegExp][] = [
      ['a 10 MB text as a count', tag(TAG.total, big, '06:05'), /^plant\/line1\/filler: tag "plant\/line1\/filler\/count": total: "x{40}"… \(a text of 10485760 characters\) is longer than 200 characters; sample ignored \(bad-value\)$/],
      ['a Buffer as the state', tag(TAG.state, Buffer.alloc(1_000_000), '06:05'), /tag "plant\/line1\/filler\/state": state: a Buffer of 1000000 bytes is not a number, text or true\/false; sample ignored \(bad-value\)$/],
      ['an array as the good count', tag(TAG.good, [1, 2], '06:05'), /tag "plant\/line1\/filler\/good": good: an array of 2 items is not a number/],
      ['10,000 levels of nesting in a scan', { payload: { [TAG.total]: deep }, timestamp: at('06:05') }, /tag "plant\/line1\/filler\/count": total: an object with key "a" is not a number/],
      ['a Buffer as the timestamp', { topic: TAG.total, payload: 5, timestamp: Buffer.from('x') }, /tag "plant\/line1\/filler\/count": total: timestamp a Buffer of 1 byte is not/],
      ['a getter that throws on msg.payload', throwing({ topic: TAG.total, timestamp: at('06:05') }, 'payload'), /^plant\/line1\/filler: msg.payload cannot be read \(no access\); message ignored$/],
      ['a scan whose tag value throws', { payload: throwing({}, TAG.good), timestamp: at('06:05') }, /msg.payload\["plant\/line1\/filler\/good"\] cannot be read \(no access\)/],
      ['an assign-reason with a 10 MB stop id', { topic: 'assign-reason', payload: { stopId: big, reason: 'jam' } }, /assign-reason: stopId "x{40}"… \(a text of 10485760 characters\) is longer than 200 characters/],
      ['a tick with an object for a time', { topic: 'tick', timestamp: { when: 'now' } }, /tick: timestamp an object with key "when" is not whole ms since 1970/],
    ];
    for (const [name, msg, re] of cases) {
      const n = errors().length;
      send(msg);
      await until(`the error of ${name}`, () => errors().length > n);
      const e = errors()[n];
      assert.match(e, re, `${name}: ${e.slice(0, 300)}`);
      assert.ok(e.length < 300, `${name}: an error of ${e.length} characters`);
      assert.equal(lastStatus(node).fill, 'red', `${name}: the status shows the error`);
    }
    assert.deepEqual(await report(out), before, 'nothing changed');
    // Still counting.
    send(tag(TAG.total, 50, '06:10'), tag(TAG.good, 49, '06:10'));
    await until('the good samples', () => (out.figures.at(-1)?.payload as FiguresPayload | undefined)?.t === at('06:10'));
    const after = await report(out);
    assert.deepEqual([after.counts.total, after.counts.good], [50, 49]);
  });

  it('takes one object per scan (OPC UA readings, Modbus errors) and ignores tags it does not map', async () => {
    await helper.load([calendarNode, oeeNode, catchNode], flow());
    const out = listen();
    // fh-opcua-subscribe style: per-tag quality and source time under msg.readings.
    send({
      payload: { [TAG.state]: 1, [TAG.total]: 10, [TAG.good]: 10, [`${M}/temperature`]: 21.5 },
      readings: { [TAG.state]: { quality: 'good', timestamp: at('06:00') }, [TAG.total]: { quality: 'good', timestamp: at('06:00') }, [TAG.good]: { quality: 'good', timestamp: at('06:00') } },
      timestamp: at('06:00'),
      quality: 'good',
    });
    // fh-modbus-read scan: a failed tag carries its last value with an error: not applied.
    send({ payload: { [TAG.state]: 1, [TAG.total]: 70, [TAG.good]: 999 }, errors: { [TAG.good]: 'timeout' }, quality: 'uncertain', timestamp: at('06:01') });
    send({ payload: { [TAG.state]: 1, [TAG.total]: 130, [TAG.good]: 125 }, quality: 'good', timestamp: at('06:02') });
    // A product change by object: product and order, with the order's own ideal cycle time.
    send(tag(TAG.product, { product: 'B', order: '4711', idealCycleTimeMs: 1500 }, '06:02'));
    send({ payload: { [TAG.total]: 230, [TAG.good]: 225 }, timestamp: at('06:05') });
    const f = await report(out);
    assert.deepEqual(out.caught, []);
    assert.deepEqual([f.counts.total, f.counts.good], [220, 215]);
    assert.deepEqual(
      f.products.map((p) => [p.product, p.order, p.idealCycleTimeMs, p.total, p.good]),
      [
        ['A', null, 1000, 120, 115],
        ['B', '4711', 1500, 100, 100],
      ],
    );
    assert.equal(f.state, 'running');
  });

  it('warns about a topic it does not know: a yellow status each time, one log line per topic naming the accepted ones', async () => {
    await helper.load([calendarNode, oeeNode, catchNode], flow());
    const out = listen();
    const node = helper.getNode('oee');
    const warnings = (): string[] =>
      (helper.log().args as unknown[][]).map((a) => a[0] as { level?: number; id?: string; msg?: unknown }).filter((e) => e.level === 30 && e.id === 'oee').map((e) => String(e.msg));
    send(tag(TAG.state, 1, '06:00'));
    const typo = `${M}/stat`;
    for (let i = 0; i < 5; i++) send(tag(typo, 2, '06:01'));
    send(tag(`${M}/conut`, 7, '06:01'));
    await until('the warnings', () => warnings().length >= 2);
    await statusMatching(node, /unknown topic ".*\/conut" ignored/);
    assert.equal(lastStatus(node).fill, 'yellow');
    const logged = warnings();
    assert.equal(logged.length, 2, `once per topic:\n${logged.join('\n')}`);
    assert.match(logged[0], /topic "plant\/line1\/filler\/stat" is not a tag this node maps nor a control topic; message ignored/);
    assert.match(logged[0], /Accepted: plant\/line1\/filler\/state \(state\), plant\/line1\/filler\/count \(total\), .*; control topics assign-reason, tick, report, alive/);
    assert.match(logged[1], /topic "plant\/line1\/filler\/conut"/);
    assert.deepEqual(out.caught, [], 'a warning, not an error');
    assert.equal((await report(out)).state, 'running', 'the mistyped state was not applied');
  });

  it('keeps its state across a stop and start of the flows: no part lost or counted twice', async () => {
    await helper.load([calendarNode, oeeNode, catchNode], flow({ saveInterval: 60 }));
    let out = listen();
    send(tag(TAG.state, 1, '06:00'), tag(TAG.total, 500, '06:00'), tag(TAG.good, 500, '06:00'), tag(TAG.total, 600, '06:10'), tag(TAG.good, 590, '06:10'), tag(TAG.state, 2, '06:20'), tag(TAG.state, 1, '06:30'));
    const first = await report(out);
    assert.equal(first.counts.total, 100);
    const file = path.join(userDir, 'oee', 'oee.json');
    // The save interval (60 s) has not passed: closing the node writes the state before it is done.
    await helper.unload();
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as NodeState;
    assert.equal(saved.format, 'factoryhub-oee-node');
    assert.equal(saved.machine, M);

    // The PLC went on counting meanwhile (600 -> 650); the next reading after the restart carries those parts.
    await helper.load([calendarNode, oeeNode, catchNode], flow({ saveInterval: 60 }));
    out = listen();
    await statusMatching(helper.getNode('oee'), /running · OEE/);
    send(tag(TAG.total, 650, '06:40'), tag(TAG.good, 638, '06:40'), tag(TAG.state, 2, '06:45'), tag(TAG.state, 1, '06:50'));
    const second = await report(out);
    assert.deepEqual([second.counts.total, second.counts.good], [150, 138]);
    assert.deepEqual((second.stops as { id: number }[]).map((s) => s.id), [1, 2], 'stop ids go on');
    assert.equal(second.times.downtimeMs, 15 * MIN);
  });

  it('moves time on with a clock that follows the sources: silence becomes no data', async () => {
    await helper.load([calendarNode, oeeNode, catchNode], flow({ staleAfter: 1, tickInterval: 0.1, reportInterval: 0.2 }));
    const out = listen();
    // The sources' clock is 5 minutes behind the hub's: ticks follow the sources, not the hub.
    const lag = 5 * MIN;
    const now = Date.now() - lag;
    send(tag(TAG.state, 1, now), tag(TAG.total, 1, now), tag(TAG.good, 1, now));
    await until('the no-data state', () => out.events.some((m) => (m.payload as { to?: string }).to === 'no-data'), 6000);
    const e = out.events.find((m) => (m.payload as { to?: string }).to === 'no-data')!.payload as { t: number };
    assert.equal(e.t, now + 1000, 'no data from the stale limit after the last sample, on the sources clock');
    const f = await report(out);
    assert.ok(f.t < Date.now() - lag, 'engine time stays behind the sources clock');
    assert.ok(f.t >= now + 1000);
    // A sample that arrives a little late is still applied, not refused as out of order.
    send(tag(TAG.total, 5, Date.now() - lag - 1500), tag(TAG.state, 1, Date.now() - lag - 1500));
    await until('running again', () => out.events.some((m) => (m.payload as { from?: string; to?: string }).from === 'no-data' && (m.payload as { to?: string }).to === 'running'));
    assert.deepEqual(out.caught, []);
  });

  it('alive messages (an OPC UA keep-alive) keep a quiet machine from no data; when they stop, no data', async () => {
    await helper.load([calendarNode, oeeNode, catchNode], flow({ staleAfter: 1, tickInterval: 0.1, reportInterval: 0.2 }));
    const out = listen();
    const now = Date.now();
    send(tag(TAG.state, 1, now), tag(TAG.total, 1, now), tag(TAG.good, 1, now));
    const noData = (): boolean => out.events.some((m) => (m.payload as { to?: string }).to === 'no-data');
    // Three times the stale limit with no new value, only keep-alives.
    while (Date.now() < now + 3000) {
      helper.getNode('oee').receive({ topic: 'alive', payload: { endpoint: 'test' } });
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(noData(), false, 'no data while the link is alive');
    assert.equal((await report(out)).state, 'running');
    await until('the no-data state once the keep-alives stop', noData, 6000);
    assert.deepEqual(out.caught, []);
  });

  it('reports a configuration problem in the status and refuses to start', async () => {
    const bad = flow({ stateMap: [{ value: '1', state: 'sprinting' }], totalTag: TAG.state, products: [{ name: 'A', ict: '-1' }] });
    await helper.load([calendarNode, oeeNode, catchNode], bad);
    const text = lastStatus(helper.getNode('oee')).text ?? '';
    assert.match(text, /^config: /);
    const logged = (helper.log().args as unknown[][]).map((a) => JSON.stringify(a[0])).join('\n');
    assert.match(logged, /state mapping row 1: \\"sprinting\\" is not one of running, idle, down, changeover, planned/);
    assert.match(logged, /total count tag: tag \\"plant\/line1\/filler\/state\\" is already the state tag/);
    assert.match(logged, /products row 1: ideal cycle time \\"-1\\" is not a number of seconds/);
  });

  it('the dialogs check calendars and node settings through the admin endpoints, with the runtime rules', async () => {
    await helper.load([calendarNode, oeeNode, catchNode], flow());
    const good = await helper.request().post('/factoryhub/oee/calendar/validate').send({ timeZone: 'Europe/Berlin', shifts: [{ name: 'Night', days: ['mon'], start: '22:00', end: '06:00', breaks: [{ start: '02:00', end: '02:30' }] }] });
    assert.equal(good.status, 200);
    assert.deepEqual(good.body, { issues: [] });
    const bad = await helper
      .request()
      .post('/factoryhub/oee/calendar/validate')
      .send({
        timeZone: 'Mars/Olympus',
        shifts: [
          { name: 'Early', days: ['mon'], start: '06:00', end: '14:00', breaks: [{ start: '15:00', end: '15:30' }] },
          { name: 'Late', days: ['mon'], start: '13:00', end: '22:00' },
        ],
        holidays: ['2025-13-01'],
        plannedStops: [{ start: '2025-03-30T12:00', end: '2025-03-30T10:00', reason: 'Maintenance' }],
      });
    const issues = (bad.body as { issues: string[] }).issues;
    assert.ok(issues.some((i) => /timeZone "Mars\/Olympus" is not an IANA time zone/.test(i)), issues.join('\n'));
    assert.ok(issues.some((i) => /break\[0\] 15:00-15:30 is outside its shift 06:00-14:00/.test(i)), issues.join('\n'));
    assert.ok(issues.some((i) => /"Early" \(mon 06:00-14:00\) overlaps .*"Late"/.test(i)), issues.join('\n'));
    assert.ok(issues.some((i) => /holidays\[0\] "2025-13-01" is not a date/.test(i)), issues.join('\n'));

    const node = await helper.request().post('/factoryhub/oee/node/validate').send({ props: { ...oee(), reasons: [{ category: 'Mechanical', name: 'Jam', id: 'jam', codes: '0, 101' }] } });
    assert.deepEqual((node.body as { issues: string[] }).issues, ['reasons row 1 codes: "0" is a clear code ("no fault")']);
    const fine = await helper.request().post('/factoryhub/oee/node/validate').send({ props: oee(), calendar: CALENDAR });
    assert.deepEqual(fine.body, { issues: [] });
  });
});
