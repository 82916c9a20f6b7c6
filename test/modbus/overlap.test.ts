/**
 * Overlapping scans: a read node starts the next scan while the previous one's answers are still coming
 * back, so requests in flight do not fall to 0 between scans. What must hold whatever the answers' order:
 * scans are delivered in the order they started, each with its own answers only (a slow answer of scan
 * N never lets scan N+1's value be delivered as N's), a failed read keeps the last good value of the
 * scan delivered before, and the scans at once and those waiting stay bounded. Scanner and slots are
 * tested with requests the test settles by hand; the node against a Modbus TCP server that holds answers.
 */
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import type { Node } from 'node-red';
import type { TestFlows } from 'node-red-node-test-helper';
import { Scanner } from '../../nodes/modbus/scanner';
import type { Requester, ScanResult } from '../../nodes/modbus/scanner';
import { MAX_SCANS_AT_ONCE, ScanSlots, scansAtOnce } from '../../nodes/modbus/scan-slots';
import { objectBuilder } from '../../nodes/modbus/object-builder';
import type { ModbusReply, ModbusRequest } from '../../nodes/modbus/transport';
import { validateRows } from '../../nodes/tags/validate';
import type { TagRow } from '../../nodes/tags/tag';
import clientNode from '../../nodes/modbus/modbus-client';
import readNode from '../../nodes/modbus/modbus-read';
import tagMapNode from '../../nodes/tags/tag-map';
import { openConnectionCount } from '../../nodes/modbus/pool';
import type { RawModbusServer, RawRequest } from '../support/raw-modbus-server';
import { frame, startRawModbusServer } from '../support/raw-modbus-server';
import { useTestRuntime } from '../support/node-red';

/** Three tags, each in a block of its own (far apart). */
const ROWS: TagRow[] = [0, 200, 400].map((a) => ({ name: `m1/t${a}`, address: `hr:${a}`, dataType: 'uint16' }));

function scanner(): Scanner {
  const { tags, errors } = validateRows(ROWS);
  assert.deepEqual(errors, []);
  return new Scanner(tags, { defaultUnitId: 1 });
}

/** A request held by the test: it settles it when it likes. */
interface Held {
  readonly req: ModbusRequest;
  readonly scan: number;
  answer(value: number): void;
  fail(message: string): void;
}

/** The scanner's requester, from one that answers with promises (the test's way of settling). */
function fromPromises(request: (req: ModbusRequest) => Promise<ModbusReply>): Requester {
  return (req, _options, listener) =>
    void request(req).then(
      (reply) => listener.reply(null, reply),
      (err: Error) => listener.reply(err, undefined),
    );
}

/** A requester that holds every request, noting which scan it belongs to (`perScan` requests a scan). */
function holdingRequester(perScan: number): { requester: Requester; held: Held[] } {
  const held: Held[] = [];
  let n = 0;
  const requester = fromPromises(
    (req: ModbusRequest): Promise<ModbusReply> =>
      new Promise((resolve, reject) => {
        held.push({ req, scan: Math.floor(n++ / perScan), answer: (v) => resolve([v]), fail: (m) => reject(new Error(m)) });
      }),
  );
  return { requester, held };
}

/** The values and errors of a result by tag name, copied (the arrays are valid only during `use`). */
function snapshot(s: Scanner, r: ScanResult): { values: Record<string, unknown>; errors: Record<string, string | undefined> } {
  const values: Record<string, unknown> = {};
  const errors: Record<string, string | undefined> = {};
  s.tags.forEach((t, i) => {
    values[t.name] = r.values[i];
    errors[t.name] = r.errors[i];
  });
  return { values, errors };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('overlapping scans', () => {
  describe('the scanner', () => {
    it('delivers overlapping scans in the order they started, each with its own answers, whatever order the answers come in', async () => {
      const s = scanner();
      const { requester, held } = holdingRequester(3);
      const delivered: { scan: number; values: Record<string, unknown> }[] = [];
      const scans = [0, 1, 2].map((k) => s.scan(requester, (r) => delivered.push({ scan: k, values: snapshot(s, r).values })));
      assert.equal(held.length, 9, 'all three scans sent their requests before any answer');
      // Answers last scan first, and within a scan last block first; value = 100 * scan + address / 100.
      for (const h of [...held].reverse()) {
        h.answer(100 * h.scan + (h.req as { address: number }).address / 100);
        await tick();
      }
      await Promise.all(scans);
      assert.deepEqual(
        delivered.map((d) => d.scan),
        [0, 1, 2],
      );
      delivered.forEach((d) => assert.deepEqual(d.values, { 'm1/t0': 100 * d.scan, 'm1/t200': 100 * d.scan + 2, 'm1/t400': 100 * d.scan + 4 }));
    });

    it('never delivers a later scan before a slow answer of an earlier one, nor that later answer as the earlier scan\'s value', async () => {
      const s = scanner();
      const { requester, held } = holdingRequester(3);
      const delivered: number[] = [];
      const first = s.scan(requester, (r) => {
        delivered.push(0);
        return snapshot(s, r).values;
      });
      const second = s.scan(requester, (r) => {
        delivered.push(1);
        return snapshot(s, r).values;
      });
      // Scan 1 is answered in full, and scan 0 except its block at 400 (the slow one).
      for (const h of held) if (h.scan === 1) h.answer(1000 + (h.req as { address: number }).address);
      for (const h of held) if (h.scan === 0 && (h.req as { address: number }).address !== 400) h.answer((h.req as { address: number }).address);
      for (let i = 0; i < 5; i++) await tick();
      assert.deepEqual(delivered, [], 'scan 1 waits for scan 0, although all its answers are in');
      held.find((h) => h.scan === 0 && (h.req as { address: number }).address === 400)!.answer(400);
      assert.deepEqual(await first, { 'm1/t0': 0, 'm1/t200': 200, 'm1/t400': 400 }, 'scan 0 carries its own slow answer, not scan 1\'s');
      assert.deepEqual(await second, { 'm1/t0': 1000, 'm1/t200': 1200, 'm1/t400': 1400 });
      assert.deepEqual(delivered, [0, 1]);
    });

    it('keeps the last good value of the scan delivered before when a later scan\'s read fails first', async () => {
      const s = scanner();
      const { requester, held } = holdingRequester(3);
      const got: ReturnType<typeof snapshot>[] = [];
      const scans = [0, 1].map(() => s.scan(requester, (r) => got.push(snapshot(s, r))));
      // Scan 1's block at 200 fails before scan 0 is answered at all.
      held.find((h) => h.scan === 1 && (h.req as { address: number }).address === 200)!.fail('FC3 at 200: no answer within 150 ms');
      for (const h of held) if (h.scan === 1 && (h.req as { address: number }).address !== 200) h.answer(7);
      await tick();
      for (const h of held) if (h.scan === 0) h.answer(5);
      await Promise.all(scans);
      assert.deepEqual(got[0].values, { 'm1/t0': 5, 'm1/t200': 5, 'm1/t400': 5 });
      assert.deepEqual(got[0].errors, { 'm1/t0': undefined, 'm1/t200': undefined, 'm1/t400': undefined });
      assert.deepEqual(got[1].values, { 'm1/t0': 7, 'm1/t200': 5, 'm1/t400': 7 }, 'the failed tag keeps scan 0\'s value');
      assert.match(got[1].errors['m1/t200']!, /no answer within 150 ms/);
    });
  });

  describe('the scanner, with poll classes', () => {
    it('keeps counting a failed tag of a class that is not read in this scan, so its error stays in the scan message', async () => {
      const { tags } = validateRows(ROWS);
      const s = new Scanner(tags, { defaultUnitId: 1, classes: [{ name: 'normal', every: 1 }, { name: 'slow', every: 2 }], classOf: (t) => (t.name === 'm1/t400' ? 1 : 0) });
      const request = fromPromises((req: ModbusRequest): Promise<ModbusReply> =>
        (req as { address: number }).address === 400 ? Promise.reject(new Error('FC3 at 400: no answer within 150 ms')) : Promise.resolve([1]));
      const failing = await Promise.all([0, 1, 2].map(() => s.scan(request, (r) => [r.failingTags, r.blocksFailed, r.readNow[2]])));
      assert.deepEqual(failing, [
        [1, 1, true],
        [1, 0, false],
        [1, 1, true],
      ]);
    });
  });

  describe('scan slots', () => {
    it('runs as many scans at once as keep the requests in flight busy, plus one queued behind them', () => {
      assert.equal(scansAtOnce(1, 8), 2, '1 in flight: the next scan waits in the queue for the last answer');
      assert.equal(scansAtOnce(8, 8), 2);
      assert.equal(scansAtOnce(32, 8), 5);
      assert.equal(scansAtOnce(9, 8), 3);
      assert.equal(scansAtOnce(32, 1), MAX_SCANS_AT_ONCE);
      assert.equal(scansAtOnce(0, 0), 2);
    });

    it('starts at most `depth` jobs, lets a bounded line wait in order, refuses beyond it, and follows a depth that changes', async () => {
      let depth = 2;
      const slots = new ScanSlots(() => depth, 2);
      const started: number[] = [];
      const finish: (() => void)[] = [];
      const job = (k: number) => () =>
        new Promise<number>((resolve) => {
          started.push(k);
          finish[k] = () => resolve(k);
        });
      const runs = [0, 1, 2, 3].map((k) => slots.run(job(k)));
      assert.deepEqual(started, [0, 1]);
      assert.equal(slots.queued, 2);
      assert.equal(slots.free, false);
      assert.equal(slots.run(job(4)), undefined, 'a third waiting job is refused');
      finish[1]();
      await runs[1];
      await tick();
      assert.deepEqual(started, [0, 1, 2], 'a finished job lets the first waiting one start');
      depth = 1; // paced down: no new start until fewer run
      finish[2]();
      await runs[2];
      await tick();
      assert.deepEqual(started, [0, 1, 2]);
      finish[0]();
      assert.equal(await runs[0], 0);
      await tick();
      assert.deepEqual(started, [0, 1, 2, 3]);
      finish[3]();
      assert.equal(await runs[3], 3);
      assert.equal(slots.running, 0);
      assert.equal(slots.free, true);
    });

    it('settles a job that throws at once, and keeps its slot free', async () => {
      const slots = new ScanSlots(() => 1, 0);
      await assert.rejects(
        slots.run(() => {
          throw new Error('boom');
        })!,
        /boom/,
      );
      assert.equal(slots.running, 0);
      assert.equal(await slots.run(() => Promise.resolve(1)), 1);
    });
  });

  describe('the scan payload', () => {
    it('builds the same object as a loop, for names with quotes, backslashes and braces, and for __proto__', () => {
      const names = ['a/b/c', 'x/"y"/z', 'p/q\\r/s', 'e/}; throw 1; ({/f', 'u/\u2028/v'];
      const values = [1, 'two', null, true, 2.5];
      const built = objectBuilder(names)(values);
      assert.deepEqual(Object.entries(built), names.map((n, i) => [n, values[i]]));
      const proto = objectBuilder(['a/b/c', '__proto__'])([1, 2]);
      assert.equal(Object.getPrototypeOf(proto), Object.prototype, 'a tag named __proto__ does not set the prototype');
      assert.equal(Object.prototype.hasOwnProperty.call(proto, '__proto__'), true);
      assert.equal(proto.__proto__, 2);
    });
  });

  describe('fh-modbus-read with 9 requests in flight', function () {
    useTestRuntime('modbus-overlap');
    this.timeout(30000);
    let server: RawModbusServer;

    beforeEach(async () => {
      server = await startRawModbusServer();
      await new Promise<void>((r) => helper.startServer(r));
    });

    afterEach(async () => {
      await helper.unload();
      await new Promise<void>((r) => helper.stopServer(r));
      await server.stop();
      assert.equal(openConnectionCount(), 0, 'no connection left behind');
    });

    it('opens no connection again for scans still waiting their turn when the node is closed', async () => {
      const flow = [
        { id: 'tab', type: 'tab' },
        { id: 'dev', type: 'fh-modbus-client', transport: 'tcp', host: '127.0.0.1', port: server.port, unitId: 1, timeout: 5000, reconnectMax: 1, maxInFlight: 1 },
        { id: 'map', type: 'fh-tag-map', name: 'm1', rows: ROWS },
        { id: 'read', type: 'fh-modbus-read', z: 'tab', client: 'dev', tagMap: 'map', prefix: '', interval: 0, output: 'scan', staleAfter: 60, wires: [['out']] },
        { id: 'out', type: 'helper', z: 'tab' },
      ] as TestFlows;
      await helper.load([clientNode, tagMapNode, readNode], flow);
      let received = 0;
      server.reply = () => {
        received++;
        return null; // held: the scans never finish by themselves
      };
      await new Promise((r) => setTimeout(r, 200));
      const read = helper.getNode('read');
      // With 1 in flight, 2 scans run at once; the other 4 wait in the node.
      for (let k = 0; k < 6; k++) read.receive({ payload: k });
      const deadline = Date.now() + 5000;
      while (received < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      await helper.unload();
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(openConnectionCount(), 0, 'the waiting scans ended without reopening the device');
    });

    it('overlaps triggered scans and delivers them in order, each with its own answers, when the device answers a later scan first', async () => {
      const flow = [
        { id: 'tab', type: 'tab' },
        { id: 'dev', type: 'fh-modbus-client', transport: 'tcp', host: '127.0.0.1', port: server.port, unitId: 1, timeout: 5000, reconnectMax: 1, maxInFlight: 9 },
        { id: 'map', type: 'fh-tag-map', name: 'm1', rows: ROWS },
        { id: 'read', type: 'fh-modbus-read', z: 'tab', client: 'dev', tagMap: 'map', prefix: '', interval: 0, output: 'scan', staleAfter: 60, wires: [['out']] },
        { id: 'out', type: 'helper', z: 'tab' },
      ] as TestFlows;
      await helper.load([clientNode, tagMapNode, readNode], flow);
      // The device holds every request; the test answers them. Register value = 10 * (nth request for
      // that address) + address / 200: which scan an answer belongs to is in its value.
      const held: RawRequest[] = [];
      server.reply = (req) => {
        held.push(req);
        return null;
      };
      const answer = (req: RawRequest): void => {
        const nth = held.filter((h) => h.address === req.address).indexOf(req);
        server.write(frame(req, [10 * nth + req.address / 200]));
      };
      await new Promise((r) => setTimeout(r, 200));
      const out: Node = helper.getNode('out');
      type Msg = Record<string, unknown> & { scan?: unknown; payload?: unknown; quality?: string };
      const msgs: Msg[] = [];
      out.on('input', (m: Msg) => {
        msgs.push(m);
      });
      const read = helper.getNode('read');
      // Three triggers at once: with 9 in flight and 3 requests a scan, all three scans are on the wire together.
      for (let k = 0; k < 3; k++) read.receive({ payload: 'go', scan: k });
      const deadline = Date.now() + 5000;
      while (held.length < 9 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      assert.equal(held.length, 9, 'the three scans were in flight together');
      // Scan 2 answered first, then scan 1, then scan 0 (whose block at 400 comes last of all).
      for (const req of held.slice(6)) answer(req);
      for (const req of held.slice(3, 6)) answer(req);
      for (const req of held.slice(0, 3).filter((r) => r.address !== 400)) answer(req);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(msgs.length, 0, `no scan is delivered before scan 0 is complete: ${JSON.stringify({ held, msgs })}`);
      answer(held.find((r) => r.address === 400)!);
      while (msgs.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(
        msgs.map((m) => m.scan),
        [0, 1, 2],
        'delivered in the order the scans started, each keeping its own trigger message',
      );
      msgs.forEach((m, k) => {
        assert.equal(m.quality, 'good');
        assert.deepEqual(m.payload, { 'm1/t0': 10 * k, 'm1/t200': 10 * k + 1, 'm1/t400': 10 * k + 2 }, `scan ${k} carries its own answers`);
      });
    });
  });
});
