/**
 * fh-modbus-write in a real Node-RED runtime against a real Modbus TCP server: typed writes with scaling
 * reversed, read-back, refusals that write nothing, and the audit log.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { TestFlows } from 'node-red-node-test-helper';
import type { Node } from 'node-red';
import clientNode from '../../nodes/modbus/modbus-client';
import type { ModbusClientNode } from '../../nodes/modbus/modbus-client';
import writeNode from '../../nodes/modbus/modbus-write';
import tagMapNode from '../../nodes/tags/tag-map';
import { AuditLog } from '../../nodes/shared/audit-log';
import type { TagRow } from '../../nodes/tags/tag';
import type { ModbusTestServer } from '../support/modbus-server';
import { startModbusServer } from '../support/modbus-server';
import { useTestRuntime, outputOrError } from '../support/node-red';


const ROWS: TagRow[] = [
  { name: 'plant/line1/filler/speedSetpoint', address: 'hr:100', dataType: 'float32', access: 'read-write', unit: 'ppm' },
  { name: 'plant/line1/filler/temperatureSetpoint', address: 'hr:102', dataType: 'int16', gain: '0.1', access: 'read-write' },
  { name: 'plant/line1/filler/batch', address: 'hr:104', dataType: 'uint32', order: 'CDAB', access: 'read-write' },
  { name: 'plant/line1/filler/recipe', address: 'hr:110', dataType: 'string', length: '6', access: 'read-write' },
  { name: 'plant/line1/filler/resetCounters', address: 'co:10', dataType: 'bool', access: 'read-write' },
  { name: 'plant/line1/filler/lampTest', address: 'hr:120.2', dataType: 'bool', access: 'read-write' },
  { name: 'plant/line1/filler/count', address: 'hr:2', dataType: 'uint32' },
];

type Msg = Record<string, unknown>;

function flow(port: number, readBack = true): TestFlows {
  const nodes: Record<string, unknown>[] = [
    { id: 'tab', type: 'tab' },
    { id: 'dev', type: 'fh-modbus-client', name: 'filler', transport: 'tcp', host: '127.0.0.1', port, unitId: 1, timeout: 300, reconnectMax: 1 },
    { id: 'map', type: 'fh-tag-map', name: 'line1', rows: ROWS },
    { id: 'write', type: 'fh-modbus-write', z: 'tab', name: 'setpoints', client: 'dev', tagMap: 'map', prefix: '', readBack, wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab' },
  ];
  return nodes as TestFlows;
}

const write = (node: Node, out: Node, msg: Msg): Promise<{ msg?: Msg; error?: string }> => outputOrError(node, out, msg);

describe('fh-modbus-write against a real Modbus TCP server', function () {
  const userDir = useTestRuntime('modbus-write');
  this.timeout(20000);
  let server: ModbusTestServer;
  let node: Node;
  let out: Node;

  beforeEach(async () => {
    server = await startModbusServer();
    await new Promise<void>((r) => helper.startServer(r));
    await helper.load([clientNode, tagMapNode, writeNode], flow(server.port));
    node = helper.getNode('write');
    out = helper.getNode('out');
    // The client connects at deploy; wait until it has (the write node does not wait for a link).
    const client = helper.getNode('dev') as unknown as ModbusClientNode;
    while (client.connection().state.kind !== 'connected') await new Promise((r) => setTimeout(r, 20));
  });

  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(r));
    await server.stop();
  });

  it('writes engineering values with type, order and scaling reversed, confirmed by read-back', async () => {
    let r = await write(node, out, { topic: 'plant/line1/filler/speedSetpoint', payload: 123.456 });
    assert.equal(r.error, undefined);
    assert.deepEqual([server.holding[100], server.holding[101]], [0x42f6, 0xe979]);
    r = await write(node, out, { topic: 'plant/line1/filler/temperatureSetpoint', payload: -21.5 });
    assert.equal(server.holding[102], 0xffff & -215);
    r = await write(node, out, { topic: 'plant/line1/filler/batch', payload: 305419896 });
    assert.deepEqual([server.holding[104], server.holding[105]], [0x5678, 0x1234], 'CDAB: low word first');
    r = await write(node, out, { topic: 'plant/line1/filler/recipe', payload: 'COLA' });
    assert.deepEqual(Array.from(server.holding.subarray(110, 113)), [0x434f, 0x4c41, 0]);
    r = await write(node, out, { topic: 'plant/line1/filler/resetCounters', payload: true });
    assert.equal(server.coils[10], true);
    server.holding[120] = 0b1000_0001;
    r = await write(node, out, { topic: 'plant/line1/filler/lampTest', payload: true });
    assert.equal(server.holding[120], 0b1000_0101, 'only bit 2 changed');
    const report = (r.msg!.write as Msg[])[0];
    assert.equal(report.result, 'ok');
    assert.equal(report.readBack, true);
  });

  it('writes several tags from one object, all checked before the first is sent', async () => {
    const r = await write(node, out, { payload: { 'plant/line1/filler/speedSetpoint': 10, 'plant/line1/filler/batch': 7 } });
    assert.equal(r.error, undefined);
    assert.equal((r.msg!.write as Msg[]).length, 2);
    const before = server.writes.length;
    const bad = await write(node, out, { payload: { 'plant/line1/filler/speedSetpoint': 11, 'plant/line1/filler/batch': 'seven' } });
    assert.match(bad.error!, /tag plant\/line1\/filler\/batch is uint32: expected a number, got string/);
    assert.equal(server.writes.length, before, 'nothing written');
  });

  it('refuses unknown tags, read-only tags and bad values with a specific error, writing nothing', async () => {
    const cases: [Msg, RegExp][] = [
      [{ topic: 'plant/line1/filler/nope', payload: 1 }, /unknown tag "plant\/line1\/filler\/nope"/],
      [{ topic: 'plant/line1/filler/count', payload: 1 }, /read-only in the tag map/],
      [{ topic: 'plant/line1/filler/temperatureSetpoint', payload: 4000 }, /out of range -32768\.\.32767/],
      [{ topic: 'plant/line1/filler/speedSetpoint', payload: 'fast' }, /expected a number, got string/],
      [{ topic: 'plant/line1/filler/recipe', payload: 'TOO-LONG-NAME' }, /at most 6 fit/],
      [{ topic: 'plant/line1/filler/resetCounters', payload: 'yes' }, /expected true, false, 0 or 1/],
      [{ payload: 5 }, /nothing to write/],
    ];
    for (const [msg, re] of cases) {
      const r = await write(node, out, msg);
      assert.match(r.error ?? '(no error)', re);
    }
    assert.equal(server.writes.length, 0, 'no request reached the device');
  });

  it('reports a Modbus exception from the device and keeps running', async () => {
    server.exception = 2;
    const r = await write(node, out, { topic: 'plant/line1/filler/speedSetpoint', payload: 1 });
    assert.match(r.error!, /write of plant\/line1\/filler\/speedSetpoint \(hr:100\) to filler 127\.0\.0\.1:\d+ failed: .*exception 2/);
    server.exception = undefined;
    const ok = await write(node, out, { topic: 'plant/line1/filler/speedSetpoint', payload: 2 });
    assert.equal(ok.error, undefined);
  });

  it('answers an empty write request ({payload: {}}, no topic) with a clear error and keeps running', async () => {
    const r = await write(node, out, { payload: {} });
    assert.match(r.error ?? '(no error)', /nothing to write: msg\.payload is an empty object/);
    const ok = await write(node, out, { topic: 'plant/line1/filler/speedSetpoint', payload: 3 });
    assert.equal(ok.error, undefined, 'the runtime and the node still work');
    assert.equal(server.writes.length, 2, 'only the good write reached the device (two registers of a float32)');
  });

  it('audits refused writes as refused, with the user and message behind them', async () => {
    const log = new AuditLog(path.join(userDir, 'audit'));
    const before = (await log.read(new Date())).length;
    const user = { _client: { user: { username: 'operator1' } } };
    const cases: Msg[] = [
      { topic: 'plant/line1/filler/nope', payload: 1, _msgid: 'm-unknown', ...user },
      { topic: 'plant/line1/filler/count', payload: 1, _msgid: 'm-readonly', ...user },
      { topic: 'plant/line1/filler/temperatureSetpoint', payload: 4000, _msgid: 'm-range', ...user },
      { payload: {}, _msgid: 'm-empty', ...user },
    ];
    for (const msg of cases) await write(node, out, msg);
    const entries = (await log.read(new Date())).slice(before);
    assert.deepEqual(
      entries.map((e) => [e.msgId, e.tag, e.result, e.user]),
      [
        ['m-unknown', 'plant/line1/filler/nope', 'refused', 'operator1'],
        ['m-readonly', 'plant/line1/filler/count', 'refused', 'operator1'],
        ['m-range', 'plant/line1/filler/temperatureSetpoint', 'refused', 'operator1'],
        ['m-empty', '', 'refused', 'operator1'],
      ],
    );
    assert.match(entries[0].error ?? '', /unknown tag/);
    assert.match(entries[1].error ?? '', /read-only/);
    assert.equal(entries[1].address, 'hr:2');
    assert.match(entries[2].error ?? '', /out of range/);
    assert.equal(server.writes.length, 0, 'nothing reached the device');
    // Link down: refused before anything is sent, and audited so.
    await server.stop();
    const client = helper.getNode('dev') as unknown as ModbusClientNode;
    while (client.connection().state.kind === 'connected') await new Promise((r) => setTimeout(r, 20));
    const down = await write(node, out, { topic: 'plant/line1/filler/batch', payload: 1, _msgid: 'm-down' });
    assert.match(down.error ?? '', /write to filler 127\.0\.0\.1:\d+ refused: the link is down \(reconnecting in \d+ s/);
    const last = (await log.read(new Date())).at(-1)!;
    assert.deepEqual([last.msgId, last.result, last.tag], ['m-down', 'refused', 'plant/line1/filler/batch']);
    server = await startModbusServer();
  });

  it('records every write, good or bad, in the audit log', async () => {
    await write(node, out, { topic: 'plant/line1/filler/speedSetpoint', payload: 42 });
    server.exception = 6;
    await write(node, out, { topic: 'plant/line1/filler/batch', payload: 9 });
    server.exception = undefined;
    const entries = await new AuditLog(path.join(userDir, 'audit')).read(new Date());
    const last = entries.slice(-2);
    assert.equal(last[0].tag, 'plant/line1/filler/speedSetpoint');
    assert.equal(last[0].value, 42);
    assert.equal(last[0].result, 'ok');
    assert.equal(last[0].readBack, 42);
    assert.equal(last[0].node, 'write');
    assert.equal(last[0].nodeName, 'setpoints');
    assert.equal(last[0].flow, 'tab');
    assert.equal(last[0].address, 'hr:100');
    assert.match(last[0].device, /127\.0\.0\.1/);
    assert.equal(last[1].result, 'error');
    assert.match(last[1].error ?? '', /exception 6/);
  });
});
