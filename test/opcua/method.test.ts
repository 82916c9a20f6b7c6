/**
 * fh-opcua-method in a real Node-RED runtime against a real node-opcua server with methods
 * (support/opcua-methods.ts): typed input and output arguments by position and by name, arrays,
 * a wrong argument type refused with a clear error and nothing called, a method that answers a bad
 * status reported by name, every call in the audit log, and browse listing methods with their arguments.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { Node } from 'node-red';
import type { BrowsePage } from '../../nodes/opcua/browse';
import methodNode from '../../nodes/opcua/opcua-method';
import type { OpcUaEndpointNode } from '../../nodes/opcua/opcua-endpoint';
import { AuditLog } from '../../nodes/shared/audit-log';
import type { MethodCall } from '../support/opcua-methods';
import { addTestMethods } from '../support/opcua-methods';
import { startTestServer } from '../support/opcua-server';
import type { TestServer } from '../support/opcua-server';
import type { FlowNode, Msg } from '../support/opcua-flows';
import { OPCUA_NODES, endpoint, exchange, opcuaUserDir, statusOf, useRuntimeSettings } from '../support/opcua-flows';

describe('fh-opcua-method against a real OPC UA server', function () {
  this.timeout(30000);
  let userDir = '';
  let server: TestServer;
  let calls: MethodCall[];
  let scale: Node;
  let byMsg: Node;
  let out: Node;

  before(async () => {
    userDir = await opcuaUserDir('opcua-method');
    server = await startTestServer();
    calls = addTestMethods(server).calls;
  });
  useRuntimeSettings(() => userDir);
  after(async () => {
    await server.stop();
  });

  beforeEach(async () => {
    const flow: FlowNode[] = [
      { id: 'tab', type: 'tab' },
      endpoint('ep', server.url),
      { id: 'scale', type: 'fh-opcua-method', z: 'tab', name: 'scaler', endpoint: 'ep', objectId: 'ns=1;s=Machine', methodId: 'ns=1;s=Machine.Scale', wires: [['out']] },
      { id: 'byMsg', type: 'fh-opcua-method', z: 'tab', endpoint: 'ep', objectId: 'ns=1;s=Machine', methodId: '', wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab' },
    ];
    await helper.load([...OPCUA_NODES, methodNode], flow);
    scale = helper.getNode('scale');
    byMsg = helper.getNode('byMsg');
    out = helper.getNode('out');
    await (helper.getNode('ep') as unknown as OpcUaEndpointNode).session().whenConnected(10000);
  });

  afterEach(async () => {
    await helper.unload();
  });

  it('calls with input arguments by position, converted to their declared types, and sends the outputs', async () => {
    const r = await exchange(scale, out, { payload: [2.5, 4, 'x'], keep: 'me' });
    assert.equal(r.error, undefined);
    assert.deepEqual(r.msg!.payload, { result: 10, text: 'x=10' });
    assert.deepEqual(r.msg!.outputArguments, [10, 'x=10']);
    assert.equal(r.msg!.statusCode, 'Good');
    assert.deepEqual(r.msg!.method, { objectId: 'ns=1;s=Machine', methodId: 'ns=1;s=Machine.Scale', name: 'Scale' });
    assert.equal(r.msg!.keep, 'me', 'input properties are kept');
    assert.deepEqual(calls.at(-1), { method: 'Scale', args: [2.5, 4, 'x'] });
    assert.match(statusOf(scale).text ?? '', /called Scale: Good/);
  });

  it('calls with input arguments by name, arrays, structures and methods without arguments included', async () => {
    let r = await exchange(scale, out, { payload: { label: 'y', factor: 3, value: 1.5 } });
    assert.equal(r.error, undefined);
    assert.deepEqual(r.msg!.payload, { result: 4.5, text: 'y=4.5' });
    r = await exchange(byMsg, out, { methodId: 'ns=1;s=Machine.LoadRecipe', payload: { recipe: 'COLA', sizes: [330, 500, 1000] } });
    assert.equal(r.error, undefined);
    assert.deepEqual(r.msg!.payload, { accepted: true, count: 3 });
    assert.deepEqual(calls.at(-1), { method: 'LoadRecipe', args: ['COLA', [330, 500, 1000]] });
    r = await exchange(byMsg, out, { methodId: 'ns=1;s=Machine.SetLimits', payload: { limits: { low: 2, high: 9.5 } } });
    assert.equal(r.error, undefined);
    assert.deepEqual(r.msg!.payload, { span: 7.5 });
    assert.deepEqual(calls.at(-1), { method: 'SetLimits', args: [{ low: 2, high: 9.5 }] }, 'a structure argument, built from a plain object');
    r = await exchange(byMsg, out, { methodId: 'ns=1;s=Machine.Reset' });
    assert.equal(r.error, undefined);
    assert.deepEqual(r.msg!.payload, {});
    assert.equal(calls.at(-1)?.method, 'Reset');
  });

  it('refuses arguments that do not fit with a clear error, and calls nothing', async () => {
    const before = calls.length;
    const cases: [Node, Msg, RegExp][] = [
      [scale, { payload: ['fast', 2, 'x'] }, /call of Scale \(ns=1;s=Machine\.Scale\) on opc\.tcp:\/\/127\.0\.0\.1:\d+ refused, nothing sent: input argument "value" of method Scale is a scalar Double: expected a number, got string 'fast'/],
      [scale, { payload: { value: 1, factor: 2.5, label: 'x' } }, /input argument "factor" of method Scale is a scalar Int32: expected a whole number, got 2\.5/],
      [scale, { payload: [1, 2] }, /method Scale takes 3 input arguments \(value, factor, label\), got an array of 2/],
      [scale, { payload: { value: 1, factor: 2 } }, /input argument "label" missing/],
      [scale, { payload: { value: 1, factor: 2, label: 'x', speed: 3 } }, /method Scale has no input argument "speed"/],
      [byMsg, { methodId: 'ns=1;s=Machine.LoadRecipe', payload: { recipe: 'COLA', sizes: [1, 70000] } }, /input argument "sizes" of method LoadRecipe is an array of UInt16: element 1: 70000 is out of range 0\.\.65535/],
      [byMsg, { methodId: 'ns=1;s=Machine.Reset', payload: [1] }, /method Reset takes no input arguments/],
      [byMsg, { methodId: 'ns=1;s=Machine.SetLimits', payload: [{ low: 1 }] }, /input argument "limits" of method SetLimits is a Range \(ExtensionObject\) structure: field "high" missing/],
      [byMsg, { methodId: 'ns=1;s=Machine.NoSuch' }, /BadNodeIdUnknown: ns=1;s=Machine\.NoSuch: the server has no such node/],
      [byMsg, { methodId: 'ns=1;s=Int32' }, /ns=1;s=Int32 is Variable, not a method/],
      [byMsg, { methodId: 'ns=1;s=' }, /malformed NodeId 'ns=1;s='/],
      [byMsg, {}, /no method NodeId/],
    ];
    for (const [node, msg, re] of cases) {
      const r = await exchange(node, out, msg);
      assert.match(r.error ?? '(no error)', re);
    }
    assert.equal(calls.length, before, 'no call reached the server');
    assert.match(statusOf(byMsg).text ?? '', /no method NodeId/);
    assert.equal(statusOf(byMsg).fill, 'red');
  });

  it('reports a method that answers a bad status by the status name, in the error and the status', async () => {
    const r = await exchange(byMsg, out, { methodId: 'ns=1;s=Machine.Jam' });
    assert.match(r.error ?? '', /call of Jam \(ns=1;s=Machine\.Jam\) on opc\.tcp:\/\/127\.0\.0\.1:\d+ failed: the server answered BadInvalidState/);
    assert.equal(calls.at(-1)?.method, 'Jam', 'the call reached the server');
    assert.match(statusOf(byMsg).text ?? '', /BadInvalidState/);
    assert.equal(statusOf(byMsg).fill, 'red');
  });

  it('records every call, done, failed or refused, in the write audit log with the message behind it', async () => {
    await exchange(scale, out, { payload: [1, 2, 'a'], _msgid: 'c-ok', _client: { user: { username: 'op1' } } });
    await exchange(scale, out, { payload: ['x', 2, 'a'], _msgid: 'c-refused' });
    await exchange(byMsg, out, { methodId: 'ns=1;s=Machine.Jam', _msgid: 'c-error' });
    const entries = await new AuditLog(path.join(userDir, 'audit')).read(new Date());
    const [done, refused, failed] = entries.slice(-3);
    assert.deepEqual(
      [done.tag, done.address, done.value, done.result, done.msgId, done.user, done.node, done.nodeName, done.device],
      ['call Scale', 'ns=1;s=Machine ns=1;s=Machine.Scale', [1, 2, 'a'], 'ok', 'c-ok', 'op1', 'scale', 'scaler', server.url],
    );
    assert.deepEqual([refused.result, refused.msgId], ['refused', 'c-refused']);
    assert.match(refused.error ?? '', /expected a number, got string 'x'/);
    assert.deepEqual([failed.tag, failed.result, failed.msgId], ['call Jam', 'error', 'c-error']);
    assert.match(failed.error ?? '', /BadInvalidState/);
  });

  it('browse lists methods with their arguments', async () => {
    const page = (await helper.request().get('/factoryhub/opcua/endpoints/ep/browse?nodeId=ns%3D1%3Bs%3DMachine').expect(200)).body as BrowsePage;
    const by = new Map(page.entries.map((e) => [e.browseName, e]));
    const s = by.get('Scale');
    assert.deepEqual(
      s && { nodeClass: s.nodeClass, expandable: s.expandable, inputArguments: s.inputArguments, outputArguments: s.outputArguments },
      {
        nodeClass: 'Method',
        expandable: false,
        inputArguments: [
          { name: 'value', dataType: 'Double', description: 'what to scale' },
          { name: 'factor', dataType: 'Int32' },
          { name: 'label', dataType: 'String' },
        ],
        outputArguments: [
          { name: 'result', dataType: 'Double' },
          { name: 'text', dataType: 'String' },
        ],
      },
    );
    assert.deepEqual(by.get('LoadRecipe')?.inputArguments?.[1], { name: 'sizes', dataType: 'UInt16[]' });
    assert.match(s?.unsupported ?? '', /a method, Scale\(value: Double, factor: Int32, label: String\) → \(result: Double, text: String\)/);
  });
});
