/**
 * fh-opcua-read and fh-opcua-write in a real Node-RED runtime against a real node-opcua server:
 * reads by tag map and by NodeId with source timestamps and scaling; writes converted to the
 * variable's own type; bad input (unknown NodeId, malformed NodeId, a string for an Int32, an array for
 * a scalar, read-only tags) refused with a precise error, nothing written, the runtime still running;
 * every write in the audit log.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { Node } from 'node-red';
import { AuditLog } from '../../nodes/shared/audit-log';
import type { OpcUaEndpointNode } from '../../nodes/opcua/opcua-endpoint';
import { FIXED_SOURCE_TIME, startTestServer } from '../support/opcua-server';
import type { TestServer } from '../support/opcua-server';
import type { FlowNode, Msg } from '../support/opcua-flows';
import { OPCUA_NODES, ROWS, endpoint, exchange, nextMessage, opcuaUserDir, tagMap, useRuntimeSettings } from '../support/opcua-flows';

describe('fh-opcua-read and fh-opcua-write against a real OPC UA server', function () {
  this.timeout(30000);
  let userDir = '';
  let server: TestServer;
  let read: Node;
  let readOut: Node;
  let write: Node;
  let writeOut: Node;
  let writeById: Node;

  before(async () => {
    userDir = await opcuaUserDir('opcua-read-write');
    server = await startTestServer();
  });
  useRuntimeSettings(() => userDir);
  after(async () => {
    await server.stop();
  });

  beforeEach(async () => {
    const flow: FlowNode[] = [
      { id: 'tab', type: 'tab' },
      endpoint('ep', server.url),
      tagMap('map', ROWS),
      { id: 'read', type: 'fh-opcua-read', z: 'tab', endpoint: 'ep', tagMap: 'map', prefix: '', output: 'each', wires: [['readOut']] },
      { id: 'readById', type: 'fh-opcua-read', z: 'tab', endpoint: 'ep', tagMap: '', prefix: '', output: 'object', wires: [['readOut']] },
      { id: 'write', type: 'fh-opcua-write', z: 'tab', name: 'setpoints', endpoint: 'ep', tagMap: 'map', prefix: '', wires: [['writeOut']] },
      { id: 'writeById', type: 'fh-opcua-write', z: 'tab', endpoint: 'ep', tagMap: '', prefix: '', wires: [['writeOut']] },
      { id: 'readOut', type: 'helper', z: 'tab' },
      { id: 'writeOut', type: 'helper', z: 'tab' },
    ];
    await helper.load(OPCUA_NODES, flow);
    read = helper.getNode('read');
    readOut = helper.getNode('readOut');
    write = helper.getNode('write');
    writeOut = helper.getNode('writeOut');
    writeById = helper.getNode('writeById');
    await (helper.getNode('ep') as unknown as OpcUaEndpointNode).session().whenConnected(10000);
  });

  afterEach(async () => {
    await helper.unload();
  });

  it('reads every tag of the map with source timestamps, quality and scaling', async () => {
    const msgs: Msg[] = [];
    readOut.on('input', (m: Msg) => msgs.push(m));
    read.receive({ payload: 'go', keep: 'me' });
    while (msgs.length < ROWS.length) await new Promise((r) => setTimeout(r, 10));
    const by = new Map(msgs.map((m) => [m.topic, m]));
    const fixed = by.get('plant/line1/filler/fixed')!;
    assert.equal(fixed.payload, 12.5);
    assert.equal(fixed.timestamp, FIXED_SOURCE_TIME, 'the server source timestamp, not the time of reading');
    assert.equal(fixed.quality, 'good');
    assert.equal(fixed.statusCode, 'Good');
    assert.equal(fixed.keep, 'me', 'input properties are kept');
    assert.equal(by.get('plant/line1/filler/temperature')!.payload, 1.25 * 0.5 + 10, 'scaled');
    assert.deepEqual(by.get('plant/line1/filler/speed')!.tag, { address: 'ns=1;s=Double', unit: 'ppm', dataType: 'float64', description: '' });
    assert.equal(by.get('plant/line1/filler/recipe')!.payload, 'hello', 'nsu= NodeId resolved through the namespace table');
  });

  it('reads NodeIds from the message, arrays and 64-bit included', async () => {
    const r = await exchange(helper.getNode('readById'), readOut, { nodeId: ['ns=1;s=Int32Array', 'ns=1;s=Int64', 'ns=1;s=Duration'] });
    assert.equal(r.error, undefined);
    assert.deepEqual(r.msg!.payload, { 'ns=1;s=Int32Array': [1, 2, 3], 'ns=1;s=Int64': 5, 'ns=1;s=Duration': 1500 });
    assert.equal(r.msg!.quality, 'good');
  });

  it('reports an unknown and a malformed NodeId precisely, and keeps running', async () => {
    const sent = nextMessage(readOut);
    const unknown = await exchange(helper.getNode('readById'), readOut, { nodeId: 'ns=1;s=NoSuchNode' });
    assert.match(unknown.error!, /read of ns=1;s=NoSuchNode from opc\.tcp:\/\/127\.0\.0\.1:\d+: BadNodeIdUnknown/);
    const value = await sent;
    assert.equal(value.quality, 'bad', 'the value is sent too, with its bad quality');
    assert.equal((value.readings as Record<string, Msg>)['ns=1;s=NoSuchNode'].statusCode, 'BadNodeIdUnknown');
    const malformed = await exchange(helper.getNode('readById'), readOut, { nodeId: 'ns=one;s=X' });
    assert.match(malformed.error!, /malformed NodeId 'ns=one;s=X': namespace must be a number/);
    const ok = await exchange(helper.getNode('readById'), readOut, { topic: 'ns=1;s=Boolean' });
    assert.equal(ok.error, undefined);
    assert.deepEqual(ok.msg!.payload, { 'ns=1;s=Boolean': true });
  });

  it('writes converted to the variable type, scaling reversed, several in one message', async () => {
    let r = await exchange(write, writeOut, { topic: 'plant/line1/filler/target', payload: 77 });
    assert.equal(r.error, undefined);
    assert.equal(server.values.get('Int32'), 77);
    r = await exchange(write, writeOut, { payload: { 'plant/line1/filler/temperature': 30, 'plant/line1/filler/recipe': 'COLA' } });
    assert.equal(r.error, undefined);
    assert.equal(server.values.get('Float'), 40, '(30 - 10) / 0.5');
    assert.equal(server.values.get('String'), 'COLA');
    assert.deepEqual((r.msg!.write as Msg[]).map((w) => w.result), ['ok', 'ok']);
    r = await exchange(writeById, writeOut, { nodeId: 'ns=1;s=Int32Array', payload: [7, 8] });
    assert.equal(r.error, undefined);
    assert.deepEqual(server.values.get('Int32Array'), [7, 8]);
    r = await exchange(writeById, writeOut, { topic: 'ns=1;s=Int64', payload: '9007199254740993' });
    assert.equal(r.error, undefined);
    assert.deepEqual(server.values.get('Int64'), [0x200000, 1]);
  });

  it('refuses bad input with a specific error, writes nothing, and keeps running', async () => {
    const before = server.writes.length;
    const cases: [Node, Msg, RegExp][] = [
      [writeById, { nodeId: 'ns=1;s=NoSuchNode', payload: 1 }, /refused, nothing written: BadNodeIdUnknown: ns=1;s=NoSuchNode: the server has no such node/],
      [writeById, { nodeId: 'ns=1;s=', payload: 1 }, /refused, nothing written: malformed NodeId 'ns=1;s=': string identifier is empty/],
      [writeById, { nodeId: 'ns=1;s=Int32', payload: 'twelve' }, /ns=1;s=Int32 is a scalar Int32: expected a number, got string 'twelve'/],
      [writeById, { nodeId: 'ns=1;s=Int32', payload: [1, 2] }, /ns=1;s=Int32 is a scalar Int32: expected a single value, got an array of 2/],
      [writeById, { nodeId: 'ns=1;s=Int32Array', payload: 3 }, /is an array of Int32: expected an array, got number 3/],
      [writeById, { nodeId: 'ns=1;s=UInt16', payload: 70000 }, /70000 is out of range 0\.\.65535/],
      [writeById, { nodeId: 'ns=1;s=Double', payload: NaN }, /NaN is not a value that can be written/],
      [write, { topic: 'plant/line1/filler/limit', payload: 1 }, /tag plant\/line1\/filler\/limit is read-only in the tag map/],
      [write, { topic: 'plant/line1/filler/nope', payload: 1 }, /unknown tag "plant\/line1\/filler\/nope"/],
      [write, { payload: { 'plant/line1/filler/target': 5, 'plant/line1/filler/speed': 'fast' } }, /plant\/line1\/filler\/speed is a scalar Double: expected a number, got string 'fast'/],
      [write, { payload: 3 }, /nothing to write/],
    ];
    for (const [node, msg, re] of cases) {
      const r = await exchange(node, writeOut, msg);
      assert.match(r.error ?? '(no error)', re);
    }
    assert.equal(server.writes.length, before, 'no write reached the server');
    assert.equal(server.values.get('Int32'), 77, 'the half-good message wrote nothing');
    const ok = await exchange(writeById, writeOut, { nodeId: 'ns=1;s=Int32', payload: 5 });
    assert.equal(ok.error, undefined, 'the runtime and the session are fine');
  });

  it('reports a write the server refuses with its status code', async () => {
    const r = await exchange(writeById, writeOut, { nodeId: 'ns=1;s=ReadOnly', payload: 1 });
    assert.match(r.error!, /write of ns=1;s=ReadOnly to opc\.tcp:\/\/127\.0\.0\.1:\d+ failed: the server refused the write: BadNotWritable/);
  });

  it('records every write, done, failed or refused, in the shared audit log with the message behind it', async () => {
    await exchange(write, writeOut, { topic: 'plant/line1/filler/speed', payload: 42, _msgid: 'm-ok', _client: { user: { username: 'op1' } } });
    await exchange(writeById, writeOut, { nodeId: 'ns=1;s=Int32', payload: 'x', _msgid: 'm-bad-value' });
    await exchange(write, writeOut, { topic: 'plant/line1/filler/limit', payload: 1, _msgid: 'm-read-only' });
    await exchange(write, writeOut, { topic: 'plant/line1/filler/nope', payload: 1, _msgid: 'm-unknown' });
    await exchange(writeById, writeOut, { nodeId: 'ns=1;s=ReadOnly', payload: 1, _msgid: 'm-server-refused' });
    const entries = await new AuditLog(path.join(userDir, 'audit')).read(new Date());
    const [done, refused, readOnly, unknown, failed] = entries.slice(-5);
    assert.equal(done.tag, 'plant/line1/filler/speed');
    assert.equal(done.address, 'ns=1;s=Double');
    assert.equal(done.value, 42);
    assert.equal(done.result, 'ok');
    assert.equal(done.node, 'write');
    assert.equal(done.nodeName, 'setpoints');
    assert.equal(done.flow, 'tab');
    assert.equal(done.device, server.url);
    assert.equal(done.msgId, 'm-ok');
    assert.equal(done.user, 'op1');
    // Never sent: refused. Sent and refused by the server: error.
    assert.equal(refused.result, 'refused');
    assert.equal(refused.address, 'ns=1;s=Int32');
    assert.equal(refused.msgId, 'm-bad-value');
    assert.match(refused.error ?? '', /expected a number, got string 'x'/);
    assert.deepEqual([readOnly.result, readOnly.msgId, readOnly.tag], ['refused', 'm-read-only', 'plant/line1/filler/limit']);
    assert.deepEqual([unknown.result, unknown.msgId], ['refused', 'm-unknown']);
    assert.deepEqual([failed.result, failed.msgId, failed.address], ['error', 'm-server-refused', 'ns=1;s=ReadOnly']);
    assert.match(failed.error ?? '', /BadNotWritable/);
  });

  it('rounds a scaled value for an integer variable half away from zero, negative halves too', async () => {
    await helper.unload();
    const rows = [{ name: 'plant/line1/filler/halfTarget', address: 'ns=1;s=Int32', dataType: 'int32', gain: '0.5', offset: '0', access: 'read-write' as const }];
    await helper.load(OPCUA_NODES, [
      { id: 'tab', type: 'tab' },
      endpoint('ep', server.url),
      tagMap('halves', rows),
      { id: 'w', type: 'fh-opcua-write', z: 'tab', endpoint: 'ep', tagMap: 'halves', prefix: '', wires: [['o']] },
      { id: 'o', type: 'helper', z: 'tab' },
    ]);
    await (helper.getNode('ep') as unknown as OpcUaEndpointNode).session().whenConnected(10000);
    const cases: [number, number][] = [
      [-1.25, -3], // raw -2.5
      [-0.75, -2], // raw -1.5
      [-0.25, -1], // raw -0.5
      [-0.2, 0], // raw -0.4: zero, not -0
      [1.25, 3],
    ];
    for (const [engineering, raw] of cases) {
      const r = await exchange(helper.getNode('w'), helper.getNode('o'), { topic: 'plant/line1/filler/halfTarget', payload: engineering });
      assert.equal(r.error, undefined, String(r.error));
      assert.ok(Object.is(server.values.get('Int32'), raw), `${engineering} / 0.5 wrote ${String(server.values.get('Int32'))}, expected ${raw}`);
    }
  });
});
