/**
 * One misbehaving register must not make healthy tags bad: fh-modbus-read in a real Node-RED runtime
 * against a Modbus TCP device whose register 100 answers slowly (after the answer timeout), with
 * several requests in flight. Its tags fail with their own timeout; the other tags stay good every scan;
 * the unit is never suspended. Moved to the slow poll class with a longer timeout, it reads good too.
 */
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import type { Node } from 'node-red';
import type { TestFlows } from 'node-red-node-test-helper';
import clientNode from '../../nodes/modbus/modbus-client';
import readNode, { slowClass } from '../../nodes/modbus/modbus-read';
import tagMapNode from '../../nodes/tags/tag-map';
import { openConnectionCount } from '../../nodes/modbus/pool';
import type { TagRow } from '../../nodes/tags/tag';
import type { RawModbusServer } from '../support/raw-modbus-server';
import { frame, registersFor, startRawModbusServer } from '../support/raw-modbus-server';
import { useTestRuntime } from '../support/node-red';

type Msg = Record<string, unknown> & { payload?: Record<string, unknown>; errors?: Record<string, string>; quality?: string };

/** Eight healthy tags, each in a request of its own (far apart), and the slow one at 100. */
const HEALTHY = [0, 200, 400, 600, 800, 1000, 1200, 1400];
const ROWS: TagRow[] = [
  ...HEALTHY.map((a) => ({ name: `m1/ok${a}`, address: `hr:${a}`, dataType: 'uint16' })),
  { name: 'm1/slow', address: 'hr:100', dataType: 'uint16' },
];

function flow(port: number, read: Record<string, unknown> = {}): TestFlows {
  return [
    { id: 'tab', type: 'tab' },
    { id: 'dev', type: 'fh-modbus-client', transport: 'tcp', host: '127.0.0.1', port, unitId: 1, timeout: 150, reconnectMax: 1, maxInFlight: 4 },
    { id: 'map', type: 'fh-tag-map', name: 'm1', rows: ROWS },
    { id: 'read', type: 'fh-modbus-read', z: 'tab', client: 'dev', tagMap: 'map', prefix: '', interval: 0, output: 'scan', staleAfter: 60, wires: [['out']], ...read },
    { id: 'out', type: 'helper', z: 'tab' },
  ] as TestFlows;
}

/** Triggers `n` scans one after the other and returns their messages. */
async function scans(n: number): Promise<Msg[]> {
  const read = helper.getNode('read');
  const out: Node = helper.getNode('out');
  const msgs: Msg[] = [];
  for (let i = 0; i < n; i++) {
    const got = new Promise<Msg>((resolve) => out.once('input', resolve));
    read.receive({ payload: i });
    msgs.push(await got);
  }
  return msgs;
}

describe('one misbehaving register does not make healthy tags bad', function () {
  useTestRuntime('modbus-isolation');
  this.timeout(30000);
  let server: RawModbusServer;

  beforeEach(async () => {
    server = await startRawModbusServer();
    // Register 100 answers after 400 ms: past the device's 150 ms timeout, a late answer each time.
    server.reply = (req) => {
      if (req.address !== 100) return frame(req, registersFor(req));
      setTimeout(() => server.write(frame(req, registersFor(req))), 400);
      return null;
    };
    await new Promise<void>((r) => helper.startServer(r));
  });

  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(r));
    await server.stop();
    assert.equal(openConnectionCount(), 0, 'no connection left behind');
  });

  it('fails only the slow register, with its own timeout, and keeps the unit and the other tags good every scan', async () => {
    await helper.load([clientNode, tagMapNode, readNode], flow(server.port));
    await new Promise((r) => setTimeout(r, 200));
    const msgs = await scans(8);
    for (const m of msgs) {
      for (const a of HEALTHY) assert.equal(m.payload![`m1/ok${a}`], a, `healthy tag good in every scan: ${JSON.stringify(m.errors)}`);
      assert.deepEqual(Object.keys(m.errors ?? {}), ['m1/slow']);
      assert.match(m.errors!['m1/slow'], /FC3 at 100: no answer within 150 ms/);
      assert.equal(m.quality, 'uncertain');
    }
  });

  it('reads the slow register in its own poll class with a longer timeout, every Nth scan', async () => {
    await helper.load([clientNode, tagMapNode, readNode], flow(server.port, { slowTags: 'm1/slow', slowEvery: 3, slowTimeout: 1000 }));
    await new Promise((r) => setTimeout(r, 200));
    const msgs = await scans(7);
    msgs.forEach((m, i) => {
      assert.equal(m.errors, undefined, `scan ${i}: ${JSON.stringify(m.errors)}`);
      for (const a of HEALTHY) assert.equal(m.payload![`m1/ok${a}`], a);
      assert.equal(m.payload!['m1/slow'], 100, 'the last good value of the slow class');
    });
  });

  it('parses the slow class: names and prefixes, its rate and timeout, and refuses what is not one', () => {
    const slow = slowClass({ slowTags: 'm1/slow, m2/* ', slowEvery: '5', slowTimeout: '2000' })!;
    assert.deepEqual(slow.cls, { name: 'slow', every: 5, timeoutMs: 2000 });
    assert.ok(slow.matches('m1/slow') && slow.matches('m2/x') && !slow.matches('m1/slower'));
    assert.equal(slowClass({ slowTags: '' }), undefined);
    assert.deepEqual(slowClass({ slowTags: 'a' })!.cls, { name: 'slow', every: 10 });
    assert.throws(() => slowClass({ slowTags: 'a', slowEvery: '0' }), /read every.*1 to 10000/);
    assert.throws(() => slowClass({ slowTags: 'a', slowTimeout: '5' }), /timeout.*10 to 60000/);
  });
});
