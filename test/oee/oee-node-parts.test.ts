/**
 * The pure parts of the fh-oee adapter: node properties into engine config and tag roles, messages
 * into engine events, the clock's rule, and the state file (atomic, debounced, closed in order).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { CalendarConfig } from '../../nodes/oee/calendar';
import { SourceClock } from '../../nodes/oee/clock';
import { describeValue, parseMessage, sourceTime } from '../../nodes/oee/input';
import type { InputMapping, OeeNodeProps } from '../../nodes/oee/node-config';
import { readNodeProps } from '../../nodes/oee/node-config';
import { StateFile, StateFileError, StateSaver } from '../../nodes/oee/state-file';
import { tempDir } from '../support/hub-process';

const CAL: CalendarConfig = { timeZone: 'UTC', shifts: [{ name: 'Early', days: ['mon'], start: '06:00', end: '14:00' }] };
const PROPS: OeeNodeProps = {
  machine: 'plant/line1/filler',
  stateTag: 'm/state',
  stateMap: [
    { value: '1', state: 'running' },
    { value: '2', state: 'down' },
  ],
  countBasis: 'total+reject',
  totalTag: 'm/count',
  rejectTag: 'm/reject',
  counterMode: 'abs16',
  maxStep: '50',
  reasonTag: 'm/fault',
  reasons: [{ id: 'jam', category: 'Mechanical', name: 'Jam', codes: '101; 102, JAM' }],
  clearCodes: '0, OK',
  productTag: 'm/product',
  products: [{ name: 'A', ict: '1.5' }],
  defaultProduct: 'A',
  smallStop: '120',
  staleAfter: '',
  reportInterval: 0,
};

describe('oee/node parts: properties, messages, clock, state file', () => {
  describe('readNodeProps', () => {
    it('turns the dialog properties into the engine configuration and the tag roles', () => {
      const r = readNodeProps(PROPS, CAL, 'n1');
      assert.ok(r.ok, r.ok ? '' : r.issues.join('; '));
      const { engine, mapping, timing, machine } = r.setup;
      assert.equal(machine, 'plant/line1/filler');
      assert.deepEqual(engine.stateMap, { 1: 'running', 2: 'down' });
      assert.equal(engine.countBasis, 'total+reject');
      assert.deepEqual(engine.counters?.total, { bits: 16, maxStep: 50 });
      assert.deepEqual(engine.reasons, [{ id: 'jam', category: 'Mechanical', name: 'Jam', codes: ['101', '102', 'JAM'] }]);
      assert.deepEqual(engine.reasonClearCodes, ['0', 'OK']);
      assert.deepEqual(engine.products, { A: { idealCycleTimeMs: 1500 } });
      assert.equal(engine.smallStopMs, 120_000);
      assert.equal(engine.staleAfterMs, 60_000, 'empty: the default');
      assert.deepEqual([...mapping.roles], [['m/state', 'state'], ['m/count', 'total'], ['m/reject', 'reject'], ['m/fault', 'reason'], ['m/product', 'product']]);
      assert.equal(mapping.increments, false);
      assert.deepEqual(timing, { reportIntervalMs: 0, tickIntervalMs: 1000, saveIntervalMs: 10_000 });
    });

    it('reads a run signal, increments, and names the node by its name or id without a machine path', () => {
      const r = readNodeProps({ name: 'press 4', stateSource: 'run', runTag: 'p4/run', totalTag: 'p4/n', goodTag: 'p4/ok', counterMode: 'inc' }, CAL, 'n2');
      assert.ok(r.ok);
      assert.equal(r.setup.machine, 'press 4');
      assert.deepEqual([...r.setup.mapping.roles.values()], ['run', 'total', 'good']);
      assert.equal(r.setup.mapping.increments, true);
      assert.equal(r.setup.engine.stateMap, undefined);
      const byId = readNodeProps({ stateTag: 's', totalTag: 't', goodTag: 'g' }, CAL, 'n3');
      assert.ok(byId.ok && byId.setup.machine === 'n3');
    });

    it('lists every problem in the words of the dialog', () => {
      const r = readNodeProps(
        {
          machine: 'plant//x',
          stateTag: 'report',
          stateMap: [{ value: '1', state: 'sprinting' }, { value: '', state: 'down' }],
          totalTag: 'm/a',
          goodTag: 'm/a',
          counterMode: 'abs64',
          products: [{ name: 'A', ict: 'fast' }],
          smallStop: '-1',
          tickInterval: '0.05',
        },
        CAL,
      );
      assert.ok(!r.ok);
      assert.deepEqual(r.issues, [
        'machine: "plant//x" is not a path like plant/line1/filler (letters, digits, _ . - between slashes)',
        'state tag: "report" is the topic of a control message; choose another tag name',
        'state mapping row 1: "sprinting" is not one of running, idle, down, changeover, planned',
        'state mapping row 2: the PLC value is missing',
        'good count tag: tag "m/a" is already the total tag',
        'counter type: "abs64" is not one of abs16, abs32, abs, inc',
        'products row 1: ideal cycle time "fast" is not a number of seconds > 0 and <= 86400',
        'small-stop threshold: "-1" is not a number of seconds from 0 to 86400',
        'clock tick every: at least 0.1 s (or 0 for no clock)',
      ]);
      const engineRules = readNodeProps({ stateTag: 's', totalTag: 't', goodTag: 'g', defaultProduct: 'Z', reasons: [{ id: 'a', category: 'C', name: 'N', codes: '1' }, { id: 'a', category: 'C', name: 'M', codes: '1' }] }, CAL);
      assert.ok(!engineRules.ok);
      assert.deepEqual(engineRules.issues, [
        'reasons row 2 id "a" is also the id of reasons row 1',
        'reasons row 2 codes: "1" is also mapped by reasons row 1',
        'default product "Z" is not one of the configured products',
      ]);
    });
  });

  describe('parseMessage', () => {
    const mapping: InputMapping = { roles: new Map([['m/state', 'state'], ['m/count', 'total'], ['m/good', 'good'], ['m/product', 'product']] as const), increments: false };
    const NOW = Date.UTC(2025, 0, 6, 7);

    it('reads a tag value with its source time; stamps one without; skips bad quality and unmapped tags', () => {
      assert.deepEqual(parseMessage({ topic: 'm/count', payload: 12, timestamp: NOW - 5, quality: 'good' }, mapping, NOW), {
        kind: 'samples',
        samples: [{ tag: 'm/count', role: 'total', event: { type: 'count', t: NOW - 5, counter: 'total', value: 12 } }],
        badQuality: [],
        refused: [],
      });
      const stamped = parseMessage({ topic: 'm/state', payload: true }, mapping, NOW);
      assert.deepEqual(stamped.kind === 'samples' && stamped.samples[0].event, { type: 'state', t: NOW, value: 'true' });
      assert.deepEqual(parseMessage({ topic: 'm/count', payload: 13, quality: 'bad' }, mapping, NOW), { kind: 'samples', samples: [], badQuality: ['m/count'], refused: [] });
      assert.deepEqual(parseMessage({ topic: 'm/temperature', payload: 21 }, mapping, NOW), { kind: 'unknown-topic', topic: 'm/temperature' });
      assert.deepEqual(parseMessage({ payload: 21 }, mapping, NOW), { kind: 'samples', samples: [], badQuality: [], refused: [] }, 'no topic, no scan: nothing');
      const big = parseMessage({ topic: 'm/count', payload: 70000n }, { ...mapping, increments: true }, NOW);
      assert.deepEqual(big.kind === 'samples' && big.samples[0].event, { type: 'count', t: NOW, counter: 'total', value: 70000, increment: true });
    });

    it('reads a scan object with per-tag quality and time, in time order', () => {
      const r = parseMessage(
        {
          payload: { 'm/count': 20, 'm/good': 19, 'm/state': 1, other: 5 },
          readings: { 'm/state': { quality: 'good', timestamp: NOW - 100 }, 'm/good': { quality: 'bad' } },
          timestamp: NOW,
          quality: 'uncertain',
        },
        mapping,
        NOW + 50,
      );
      assert.deepEqual(r, {
        kind: 'samples',
        samples: [
          { tag: 'm/state', role: 'state', event: { type: 'state', t: NOW - 100, value: 1 } },
          { tag: 'm/count', role: 'total', event: { type: 'count', t: NOW, counter: 'total', value: 20 } },
        ],
        badQuality: ['m/good'],
        refused: [],
      });
      const modbus = parseMessage({ payload: { 'm/count': 20, 'm/good': 19 }, errors: { 'm/good': 'timeout' }, timestamp: NOW }, mapping, NOW);
      assert.deepEqual(modbus.kind === 'samples' && modbus.badQuality, ['m/good']);
    });

    it('reads products as names or {product, order, idealCycleTimeMs}', () => {
      const r = parseMessage({ topic: 'm/product', payload: { product: 'B', order: 4711, idealCycleTimeMs: 900 }, timestamp: NOW }, mapping, NOW);
      assert.deepEqual(r.kind === 'samples' && r.samples[0].event, { type: 'product', t: NOW, product: 'B', order: '4711', idealCycleTimeMs: 900 });
    });

    it('reads the control messages', () => {
      assert.deepEqual(parseMessage({ topic: 'assign-reason', payload: { stopId: 3, reason: 'jam' } }, mapping, NOW), { kind: 'assign', t: NOW, stopId: 3, reason: 'jam' });
      assert.deepEqual(parseMessage({ topic: 'assign-reason', payload: { stopId: 3, reason: null } }, mapping, NOW), { kind: 'assign', t: NOW, stopId: 3, reason: null });
      assert.equal(parseMessage({ topic: 'assign-reason', payload: 'jam' }, mapping, NOW).kind, 'invalid');
      assert.deepEqual(parseMessage({ topic: 'tick', timestamp: NOW }, mapping, NOW), { kind: 'tick', t: NOW });
      assert.deepEqual(parseMessage({ topic: 'report' }, mapping, NOW), { kind: 'report' });
    });

    it('takes source times as ms, Date or ISO text; passes anything else on for the engine to name', () => {
      assert.equal(sourceTime(undefined, NOW), NOW);
      assert.equal(sourceTime(NOW + 0.7, 0), NOW);
      assert.equal(sourceTime(new Date(NOW), 0), NOW);
      assert.equal(sourceTime('2025-01-06T07:00:00Z', 0), NOW);
      assert.equal(sourceTime('soon', 0), 'soon' as unknown as number);
      assert.ok(Number.isNaN(sourceTime(NaN, 0)));
    });

    it('refuses values that are no value at all (10 MB text, Buffer, array, object), naming the tag, in a few words', () => {
      const big = 'x'.repeat(10 * 1024 * 1024);
      const refused = (msg: Record<string, unknown>): string[] => {
        const r = parseMessage(msg, mapping, NOW);
        assert.equal(r.kind, 'samples');
        return r.kind === 'samples' ? r.refused.map((x) => `${x.tag}: ${x.problem}`) : [];
      };
      assert.deepEqual(refused({ topic: 'm/count', payload: big }), [`m/count: "${'x'.repeat(40)}"… (a text of 10485760 characters) is longer than 200 characters`]);
      assert.deepEqual(refused({ topic: 'm/state', payload: Buffer.alloc(1000) }), ['m/state: a Buffer of 1000 bytes is not a number, text or true/false']);
      assert.deepEqual(refused({ topic: 'm/good', payload: [1, 2] }), ['m/good: an array of 2 items is not a number, text or true/false']);
      assert.deepEqual(refused({ topic: 'm/count', payload: 5, timestamp: { at: 1 } }), ['m/count: timestamp an object with key "at" is not a number, text or true/false']);
      assert.deepEqual(refused({ topic: 'm/product', payload: { product: ['A'] } }), ['m/product: product.product: an array of 1 item is not a number, text or true/false']);
      let deep: unknown = {};
      for (let i = 0; i < 10_000; i++) deep = { a: deep };
      assert.deepEqual(refused({ payload: { 'm/count': deep, 'm/good': 3 }, timestamp: NOW }), ['m/count: an object with key "a" is not a number, text or true/false']);
    });

    it('makes a message whose getters throw (or a Proxy) invalid, naming the property; never throws', () => {
      const getter = (o: Record<string, unknown>, key: string): Record<string, unknown> =>
        Object.defineProperty(o, key, {
          enumerable: true,
          get() {
            throw new Error('no access');
          },
        });
      const hostile = new Proxy({}, { get: () => { throw new Error('trap'); }, ownKeys: () => { throw new Error('trap'); }, getPrototypeOf: () => { throw new Error('trap'); } });
      assert.deepEqual(parseMessage(getter({ topic: 'm/count' }, 'payload'), mapping, NOW), { kind: 'invalid', input: 'msg.payload', message: 'msg.payload cannot be read (no access); message ignored' });
      assert.deepEqual(parseMessage(getter({}, 'topic'), mapping, NOW), { kind: 'invalid', input: 'msg.topic', message: 'msg.topic cannot be read (no access); message ignored' });
      assert.deepEqual(parseMessage({ payload: getter({}, 'm/good') }, mapping, NOW), { kind: 'invalid', input: 'msg.payload["m/good"]', message: 'msg.payload["m/good"] cannot be read (no access); message ignored' });
      assert.equal(parseMessage({ payload: hostile }, mapping, NOW).kind, 'invalid');
      assert.equal(parseMessage(hostile as Record<string, unknown>, mapping, NOW).kind, 'invalid');
      // Unmapped properties of a scan are never read: a getter on them is no concern of this node.
      assert.equal(parseMessage({ payload: getter({ 'm/count': 4 }, 'other') }, mapping, NOW).kind, 'samples');
      assert.equal(describeValue(hostile), 'a value that cannot be read');
    });

    it('reads only own keys: an inherited constructor or toString is no error, reading or tag', () => {
      const roles = new Map([...mapping.roles, ['constructor', 'reject'], ['toString', 'reject']] as const);
      const payload = JSON.parse('{"__proto__": {"m/count": 5}, "constructor": 1, "m/good": 2}') as Record<string, unknown>;
      const r = parseMessage({ payload, errors: {}, readings: {}, timestamp: NOW }, { ...mapping, roles }, NOW);
      assert.ok(r.kind === 'samples');
      // "m/count" under an own __proto__ key is not a tag of the scan; constructor is, with good quality.
      assert.deepEqual(r.samples.map((x) => x.tag), ['constructor', 'm/good']);
      assert.deepEqual(r.badQuality, []);
    });
  });

  describe('SourceClock', () => {
    it('ticks on the sources clock, a margin behind, and not before the first sample', () => {
      const c = new SourceClock(1000);
      assert.equal(c.tickTime(5_000_000, 0), null, 'no sample, no tick');
      c.observe(1_000_000, 1_300_000); // sources 300 s behind the hub
      assert.equal(c.lagMs, 300_000);
      assert.equal(c.tickTime(1_300_500, 1_000_000), null, 'within the margin: no tick');
      assert.equal(c.tickTime(1_310_000, 1_000_000), 1_009_000);
      assert.equal(c.tickTime(1_310_000, 1_009_500), null, 'never back');
      const restored = new SourceClock();
      restored.restore(c.lagMs);
      assert.equal(restored.tickTime(1_320_000, 1_000_000), 1_019_000);
    });
  });

  describe('StateFile and StateSaver', () => {
    let dir: string;
    beforeEach(() => (dir = path.join(tempDir('oee-state'), 'oee')));
    afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

    const state = (n: number): string => JSON.stringify({ format: 'factoryhub-oee-node', version: 1, node: 'n', machine: 'm', savedAt: n, lagMs: null, engine: { n } });

    it('writes atomically, reads back, refuses damaged or foreign files', async () => {
      const f = new StateFile(dir, 'a1/../b');
      assert.equal(path.basename(f.file), 'a1_.._b.json', 'the id cannot leave the directory');
      assert.equal(f.load(), undefined);
      await f.write(state(1));
      f.writeSync(state(2));
      assert.equal(f.load()?.savedAt, 2);
      assert.deepEqual(fs.readdirSync(dir), ['a1_.._b.json'], 'no temporary file left');
      fs.writeFileSync(f.file, '{"format": "factoryhub-oee-node", "vers');
      assert.throws(() => f.load(), StateFileError);
      const moved = f.quarantine();
      assert.ok(fs.existsSync(moved) && !fs.existsSync(f.file));
      fs.writeFileSync(f.file, JSON.stringify({ format: 'something-else' }));
      assert.throws(() => f.load(), /is not an OEE node state file/);
      fs.writeFileSync(f.file, JSON.stringify({ format: 'factoryhub-oee-node', version: 9 }));
      assert.throws(() => f.load(), /has version 9, this node reads version 1/);
    });

    it('writes once per interval after changes, the newest state, and the last one synchronously on close', async () => {
      const f = new StateFile(dir, 'n');
      let n = 0;
      const writes: number[] = [];
      const original = f.write.bind(f);
      f.write = async (text: string): Promise<void> => {
        writes.push((JSON.parse(text) as { savedAt: number }).savedAt);
        await original(text);
      };
      const saver = new StateSaver(f, () => state(++n), 200, (err) => assert.fail(String(err)));
      saver.changed();
      await new Promise((r) => setTimeout(r, 50));
      for (let i = 0; i < 10; i++) saver.changed();
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(writes, [1], 'the first change is written at once, the next ones wait for the interval');
      await new Promise((r) => setTimeout(r, 250));
      assert.deepEqual(writes, [1, 2], 'ten changes, one write');
      saver.changed();
      await saver.close('save');
      assert.equal(f.load()?.savedAt, 3, 'close writes the newest state');
      const again = new StateSaver(f, () => state(99), 10, () => undefined);
      again.changed();
      await again.close('remove');
      assert.equal(f.load(), undefined, 'removed');
    });

    it('saveNow resolves once the state is on disk', async () => {
      const f = new StateFile(dir, 'n');
      let n = 0;
      const saver = new StateSaver(f, () => state(++n), 60_000, (err) => assert.fail(String(err)));
      saver.changed();
      saver.changed();
      await saver.saveNow();
      assert.equal(f.load()?.savedAt, 1, 'written at once, not after the 60 s interval');
      saver.changed();
      await saver.saveNow();
      assert.equal(f.load()?.savedAt, 2);
      await saver.close('save');
      assert.equal(f.load()?.savedAt, 3);
    });
  });
});
