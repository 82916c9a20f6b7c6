/**
 * fh-modbus-read in a real Node-RED runtime (node-red-node-test-helper) against a real Modbus TCP
 * server on 127.0.0.1: typed values, report by exception, scan objects, and the faults of a shop floor.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import helper from 'node-red-node-test-helper';
import type { Node } from 'node-red';
import clientNode from '../../nodes/modbus/modbus-client';
import readNode from '../../nodes/modbus/modbus-read';
import tagMapNode from '../../nodes/tags/tag-map';
import { openConnectionCount } from '../../nodes/modbus/pool';
import type { TagRow } from '../../nodes/tags/tag';
import type { ModbusTestServer } from '../support/modbus-server';
import { startModbusServer } from '../support/modbus-server';
import { lastStatus, statusMatching, statusTexts, useTestRuntime } from '../support/node-red';
import type { TestFlows } from 'node-red-node-test-helper';


type Msg = Record<string, unknown> & { topic?: string; payload?: unknown; quality?: string };

const ROWS: TagRow[] = [
  { name: 'plant/line1/filler/state', address: 'hr:0', dataType: 'uint16' },
  { name: 'plant/line1/filler/count', address: 'hr:2', dataType: 'uint32', order: 'CDAB' },
  { name: 'plant/line1/filler/temperature', address: 'hr:4', dataType: 'int16', gain: '0.1', unit: '°C' },
  { name: 'plant/line1/filler/speed', address: 'hr:10', dataType: 'float32', unit: 'ppm' },
  { name: 'plant/line1/filler/running', address: 'co:0', dataType: 'bool' },
  { name: 'plant/line1/filler/door', address: 'hr:1.3', dataType: 'bool' },
  { name: 'plant/line1/filler/product', address: 'hr:20', dataType: 'string', length: '8' },
  { name: 'plant/line1/capper/state', address: '2:hr:0', dataType: 'uint16' },
];

function flow(port: number, read: Record<string, unknown> = {}, rows: TagRow[] = ROWS): TestFlows {
  const nodes: Record<string, unknown>[] = [
    { id: 'tab', type: 'tab' },
    { id: 'dev', type: 'fh-modbus-client', name: 'filler', transport: 'tcp', host: '127.0.0.1', port, unitId: 1, timeout: 300, reconnectMax: 1 },
    { id: 'map', type: 'fh-tag-map', name: 'line1', rows },
    { id: 'read', type: 'fh-modbus-read', z: 'tab', client: 'dev', tagMap: 'map', prefix: '', interval: 100, output: 'changes', staleAfter: 2, wires: [['out']], ...read },
    { id: 'out', type: 'helper', z: 'tab' },
  ];
  return nodes as TestFlows;
}

function fill(server: ModbusTestServer): void {
  server.holding[0] = 1;
  server.holding[1] = 1 << 3;
  // 305419896 = 0x12345678, CDAB: low word first
  server.holding[2] = 0x5678;
  server.holding[3] = 0x1234;
  server.holding[4] = 0xffff & -215; // -21.5 °C
  server.holding[10] = 0x42f6; // 123.456 float32 ABCD
  server.holding[11] = 0xe979;
  const text = 'COLA-1L';
  for (let i = 0; i < 4; i++) server.holding[20 + i] = ((text.charCodeAt(2 * i) || 0) << 8) | (text.charCodeAt(2 * i + 1) || 0);
  server.coils[0] = true;
  server.unit(2).holding[0] = 3;
}

/** Collects messages of the helper node until `until` says stop. */
function collect(node: Node, until: (msgs: Msg[]) => boolean, timeoutMs = 5000): Promise<Msg[]> {
  const msgs: Msg[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out with ${msgs.length} messages: ${JSON.stringify(msgs.slice(-5))}`)), timeoutMs);
    node.on('input', (msg: Msg) => {
      msgs.push(msg);
      if (until(msgs)) {
        clearTimeout(timer);
        resolve(msgs);
      }
    });
  });
}

/** Resolves once the node's status says it is connected. */
async function connected(node: Node): Promise<void> {
  await statusMatching(node, /^connected/);
}

function latest(msgs: Msg[]): Map<string, Msg> {
  return new Map(msgs.map((m) => [m.topic!, m]));
}

describe('fh-modbus-read against a real Modbus TCP server', function () {
  useTestRuntime('modbus-read');
  this.timeout(20000);
  let server: ModbusTestServer;

  beforeEach(async () => {
    server = await startModbusServer();
    fill(server);
    await new Promise<void>((r) => helper.startServer(r));
  });

  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(r));
    await server.stop();
    assert.equal(openConnectionCount(), 0, 'no connection left behind');
  });

  it('reads every data type as a named engineering value with quality and source time', async () => {
    await helper.load([clientNode, tagMapNode, readNode], flow(server.port));
    const msgs = await collect(helper.getNode('out'), (m) => latest(m).size === ROWS.length);
    const v = latest(msgs);
    assert.equal(v.get('plant/line1/filler/state')!.payload, 1);
    assert.equal(v.get('plant/line1/filler/count')!.payload, 305419896);
    assert.equal(v.get('plant/line1/filler/temperature')!.payload, -21.5);
    assert.ok(Math.abs((v.get('plant/line1/filler/speed')!.payload as number) - 123.456) < 1e-4);
    assert.equal(v.get('plant/line1/filler/running')!.payload, true);
    assert.equal(v.get('plant/line1/filler/door')!.payload, true);
    assert.equal(v.get('plant/line1/filler/product')!.payload, 'COLA-1L');
    assert.equal(v.get('plant/line1/capper/state')!.payload, 3, 'unit 2 read from its own unit id');
    const t = v.get('plant/line1/filler/temperature')!;
    assert.equal(t.quality, 'good');
    assert.ok(typeof t.timestamp === 'number' && Math.abs((t.timestamp) - Date.now()) < 5000);
    assert.deepEqual(t.tag, { unit: '°C', address: 'hr:4', dataType: 'int16', description: '' });
  });

  it('reports by exception: only changed values after the first scan', async () => {
    await helper.load([clientNode, tagMapNode, readNode], flow(server.port));
    const out = helper.getNode('out');
    await collect(out, (m) => latest(m).size === ROWS.length);
    out.removeAllListeners('input');
    server.holding[4] = 100;
    const next = await collect(out, (m) => m.length >= 1);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(next.map((m) => [m.topic, m.payload]), [['plant/line1/filler/temperature', 10]]);
  });

  it('sends one object per scan on an input message, keeping the message', async () => {
    await helper.load([clientNode, tagMapNode, readNode], flow(server.port, { interval: 0, output: 'scan' }));
    const out = helper.getNode('out');
    await connected(helper.getNode('read'));
    const got = collect(out, (m) => m.length === 1);
    helper.getNode('read').receive({ payload: 'go', orderId: 'A-17' });
    const [msg] = await got;
    assert.equal(msg.orderId, 'A-17');
    assert.equal(msg.quality, 'good');
    assert.equal((msg.payload as Record<string, unknown>)['plant/line1/filler/count'], 305419896);
  });

  it('marks the tags of a failed request bad with the Modbus exception, the others stay good', async () => {
    // The device's map ends at 1990: the block reading hr:1995 gets exception 2, the other blocks answer.
    await server.stop();
    server = await startModbusServer({ size: 1990 });
    fill(server);
    const rows: TagRow[] = [...ROWS, { name: 'plant/line1/filler/missing', address: 'hr:1995', dataType: 'uint16' }];
    await helper.load([clientNode, tagMapNode, readNode], flow(server.port, { output: 'all' }, rows));
    const msgs = await collect(helper.getNode('out'), (m) => latest(m).size === rows.length);
    const v = latest(msgs);
    assert.equal(v.get('plant/line1/filler/missing')!.quality, 'bad');
    assert.match(String(v.get('plant/line1/filler/missing')!.error), /Modbus exception 2 \(illegal data address\)/);
    assert.equal(v.get('plant/line1/filler/state')!.quality, 'good');
    assert.equal(v.get('plant/line1/filler/state')!.payload, 1);
    const read = helper.getNode('read');
    const texts = statusTexts(read);
    assert.ok(texts.some((t) => /1 of \d+ requests failed: .*exception 2/.test(t)), texts.join(' | '));
  });

  it('answers a device that is busy with bad quality and a Catch-able error, then recovers', async () => {
    await helper.load([clientNode, tagMapNode, readNode], flow(server.port, { interval: 0, output: 'scan' }));
    const read = helper.getNode('read');
    await connected(read);
    server.exception = 6;
    const errored = new Promise<unknown>((resolve) =>
      (read as unknown as EventEmitter).on('call:error', (call: { args: unknown[] }) => resolve(call.args[0])),
    );
    read.receive({ payload: 1 });
    const err = await errored;
    assert.match(String(err), /Modbus exception 6 \(server device busy\)/);
    server.exception = undefined;
    const out = helper.getNode('out');
    // The busy scan's own message may still be on its way: wait for the one of the second input.
    const got = collect(out, (m) => m.some((x) => x.request === 2));
    read.receive({ payload: 2, request: 2 });
    assert.equal((await got).find((x) => x.request === 2)!.quality, 'good');
  });

  it('keeps reading the units that answer when one unit id goes silent', async () => {
    await helper.load([clientNode, tagMapNode, readNode], flow(server.port, { output: 'all' }));
    const out = helper.getNode('out');
    await collect(out, (m) => latest(m).size === ROWS.length);
    out.removeAllListeners('input');
    server.silentUnits.add(2);
    server.holding[0] = 7;
    const msgs = await collect(out, (m) => m.some((x) => x.topic === 'plant/line1/capper/state' && x.quality === 'bad') && m.some((x) => x.payload === 7));
    const capper = msgs.filter((x) => x.topic === 'plant/line1/capper/state' && x.quality === 'bad');
    assert.match(String(capper[0].error), /unit 2/);
    assert.ok(msgs.some((x) => x.topic === 'plant/line1/filler/state' && x.payload === 7 && x.quality === 'good'), 'unit 1 keeps flowing');
  });

  it('reconnects by itself after the device drops the connection and comes back', async () => {
    await helper.load([clientNode, tagMapNode, readNode], flow(server.port, { output: 'all' }));
    const out = helper.getNode('out');
    await collect(out, (m) => m.length >= ROWS.length);
    out.removeAllListeners('input');
    const read = helper.getNode('read');
    const port = server.port;
    await server.stop();
    const down = await collect(out, (m) => m.some((x) => x.topic === 'plant/line1/filler/state' && x.quality === 'bad'), 8000);
    const state = down.find((x) => x.topic === 'plant/line1/filler/state' && x.quality === 'bad')!;
    assert.equal(state.payload, 1, 'a bad reading keeps the last good value');
    assert.match(String(state.error), /link lost|reconnecting in \d+ s/, 'and says why');
    const downFrom = statusTexts(read).length;
    await statusMatching(read, /reconnecting in \d+ s: .*ECONNREFUSED/, 8000);
    server = await startModbusServer({ port });
    fill(server);
    server.holding[0] = 42;
    out.removeAllListeners('input');
    const back = await collect(
      out,
      (m) => m.some((x) => x.topic === 'plant/line1/filler/state' && x.payload === 42 && x.quality === 'good') && m.some((x) => x.topic === 'plant/line1/filler/count' && x.quality === 'good'),
      10000,
    );
    const count = back.find((x) => x.topic === 'plant/line1/filler/count' && x.quality === 'good');
    assert.equal(count?.payload, 305419896, 'the other tags are good again too');
    const spy = (read as unknown as { status: { args: [{ fill?: string; text?: string }][] } }).status.args.map((a) => a[0]);
    const firstGood = spy.findIndex((st, i) => i >= downFrom && st.fill === 'green');
    assert.ok(firstGood > downFrom, `green again only after the outage: ${spy.slice(downFrom).map((st) => `${st.fill} ${st.text}`).join(' | ')}`);
    assert.ok(
      spy.slice(downFrom, firstGood).every((st) => st.fill !== 'green'),
      'never green while the device is away',
    );
  });

  it('starts with the device down and connects when it appears', async () => {
    const port = server.port;
    await server.stop();
    await helper.load([clientNode, tagMapNode, readNode], flow(port, { output: 'all' }));
    const read = helper.getNode('read');
    await statusMatching(read, /reconnecting in \d+ s: .*ECONNREFUSED/);
    server = await startModbusServer({ port });
    fill(server);
    const out = helper.getNode('out');
    await collect(out, (m) => m.some((x) => x.quality === 'good'), 10000);
  });

  it('refuses a tag map with errors, naming the row and column', async () => {
    const rows: TagRow[] = [{ name: 'plant/line1/filler/x', address: 'hr:0.16', dataType: 'bool' }];
    await helper.load([clientNode, tagMapNode, readNode], flow(server.port, {}, rows));
    const read = helper.getNode('read');
    const status = lastStatus(read);
    assert.equal(status.fill, 'red');
    assert.match(status.text ?? '', /row 1, column "address"/);
  });
});
