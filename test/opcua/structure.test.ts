/**
 * Structured values (ExtensionObjects) with fh-opcua-write and fh-opcua-read against a real node-opcua
 * server: a plain object is built into the variable's structure from the server's description of the
 * type, a field that does not fit is refused by name before anything is sent, and reading gives the
 * plain object back. The structure is the standard Range (low, high: Double), scalar and array.
 */
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import { DataType, StatusCodes, Variant, VariantArrayType } from 'node-opcua-client';
import type { OpcUaEndpointNode } from '../../nodes/opcua/opcua-endpoint';
import { startTestServer } from '../support/opcua-server';
import type { TestServer } from '../support/opcua-server';
import type { FlowNode } from '../support/opcua-flows';
import { OPCUA_NODES, endpoint, exchange, opcuaUserDir, useRuntimeSettings } from '../support/opcua-flows';

describe('fh-opcua-write and fh-opcua-read of structures against a real OPC UA server', function () {
  this.timeout(30000);
  let userDir = '';
  let server: TestServer;
  const stored = new Map<string, Variant>();
  let writes = 0;

  before(async () => {
    userDir = await opcuaUserDir('opcua-structure');
    server = await startTestServer();
    const addressSpace = server.server.engine.addressSpace!;
    const plant = addressSpace.findNode('ns=1;s=Plant')!;
    const range = (low: number, high: number): unknown => addressSpace.constructExtensionObject(addressSpace.findDataType('Range')!, { low, high });
    stored.set('Limits', new Variant({ dataType: DataType.ExtensionObject, value: range(0, 100) }));
    stored.set('Bands', new Variant({ dataType: DataType.ExtensionObject, arrayType: VariantArrayType.Array, value: [range(0, 1), range(1, 2)] }));
    for (const [id, rank] of [['Limits', -1], ['Bands', 1]] as const) {
      addressSpace.getOwnNamespace().addVariable({
        organizedBy: plant,
        browseName: id,
        nodeId: `s=${id}`,
        dataType: 'Range',
        valueRank: rank,
        ...(rank === 1 ? { arrayDimensions: [3] } : {}),
        minimumSamplingInterval: 50,
        accessLevel: 'CurrentRead | CurrentWrite',
        userAccessLevel: 'CurrentRead | CurrentWrite',
        value: {
          get: () => stored.get(id)!,
          set: (v: Variant) => {
            stored.set(id, v);
            writes++;
            return StatusCodes.Good;
          },
        },
      });
    }
  });
  useRuntimeSettings(() => userDir);
  after(async () => {
    await server.stop();
  });

  beforeEach(async () => {
    const flow: FlowNode[] = [
      { id: 'tab', type: 'tab' },
      endpoint('ep', server.url),
      { id: 'write', type: 'fh-opcua-write', z: 'tab', endpoint: 'ep', tagMap: '', prefix: '', wires: [['out']] },
      { id: 'read', type: 'fh-opcua-read', z: 'tab', endpoint: 'ep', tagMap: '', prefix: '', output: 'each', wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab' },
    ];
    await helper.load(OPCUA_NODES, flow);
    await (helper.getNode('ep') as unknown as OpcUaEndpointNode).session().whenConnected(10000);
  });
  afterEach(async () => {
    await helper.unload();
  });

  const read = async (nodeId: string): Promise<unknown> => (await exchange(helper.getNode('read'), helper.getNode('out'), { nodeId })).msg?.payload;

  it('reads structures as plain objects and writes plain objects as structures', async () => {
    assert.deepEqual(await read('ns=1;s=Limits'), { low: 0, high: 100 });
    let w = await exchange(helper.getNode('write'), helper.getNode('out'), { nodeId: 'ns=1;s=Limits', payload: { low: -5, high: 42.5 } });
    assert.equal(w.error, undefined);
    const written = stored.get('Limits')!.value as { low: number; high: number; constructor: { name: string } };
    assert.deepEqual([written.constructor.name, written.low, written.high], ['Range', -5, 42.5], 'the server holds a Range');
    assert.deepEqual(await read('ns=1;s=Limits'), { low: -5, high: 42.5 });
    w = await exchange(helper.getNode('write'), helper.getNode('out'), { nodeId: 'ns=1;s=Bands', payload: [{ low: 0, high: 10 }, { low: 10, high: 20 }, { low: 20, high: 30 }] });
    assert.equal(w.error, undefined);
    assert.deepEqual(await read('ns=1;s=Bands'), [{ low: 0, high: 10 }, { low: 10, high: 20 }, { low: 20, high: 30 }]);
  });

  it('refuses a structure that does not fit, naming the field, and writes nothing', async () => {
    const before = writes;
    const cases: [string, unknown, RegExp][] = [
      ['ns=1;s=Limits', { low: 1, high: 'x' }, /ns=1;s=Limits is a Range \(ExtensionObject\) structure: field "high" is a scalar Double: expected a number, got string 'x'/],
      ['ns=1;s=Limits', { low: 1 }, /field "high" missing \(a structure is written whole\)/],
      ['ns=1;s=Limits', { low: 1, high: 2, mid: 1.5 }, /no field "mid" \(its fields: low, high\)/],
      ['ns=1;s=Limits', 5, /expected an object with the fields low, high, got number 5/],
      ['ns=1;s=Limits', [{ low: 1, high: 2 }], /expected an object, got an array of 1/],
      ['ns=1;s=Bands', { low: 1, high: 2 }, /expected an array of objects/],
      ['ns=1;s=Bands', [{ low: 1, high: 2 }, { low: 'a', high: 3 }], /element 1: field "low" is a scalar Double/],
      ['ns=1;s=Bands', [{ low: 0, high: 1 }, { low: 1, high: 2 }, { low: 2, high: 3 }, { low: 3, high: 4 }], /the array has 4 elements, at most 3 fit/],
    ];
    for (const [nodeId, payload, re] of cases) {
      const r = await exchange(helper.getNode('write'), helper.getNode('out'), { nodeId, payload });
      assert.match(r.error ?? '(no error)', re, `${JSON.stringify(payload)}: ${String(r.error)}`);
    }
    assert.equal(writes, before, 'nothing reached the server');
  });
});
