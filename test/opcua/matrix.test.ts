/**
 * Writing ValueRank 2 matrices with fh-opcua-write against a real node-opcua server: nested arrays (rows
 * of columns) become a Matrix with its dimensions, checked before anything is sent (rectangular, the
 * variable's number of dimensions, none longer than its ArrayDimensions, every element of its type);
 * fh-opcua-read gives the same nested arrays back.
 */
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import { DataType, StatusCodes, Variant, VariantArrayType } from 'node-opcua-client';
import type { OpcUaEndpointNode } from '../../nodes/opcua/opcua-endpoint';
import { startTestServer } from '../support/opcua-server';
import type { TestServer } from '../support/opcua-server';
import type { FlowNode } from '../support/opcua-flows';
import { OPCUA_NODES, endpoint, exchange, opcuaUserDir, useRuntimeSettings } from '../support/opcua-flows';

describe('fh-opcua-write of matrices (ValueRank 2) against a real OPC UA server', function () {
  this.timeout(30000);
  let userDir = '';
  let server: TestServer;
  /** What the server holds: the last Variant written (Matrix, dimensions and flat values). */
  let stored = new Variant({ dataType: DataType.Double, arrayType: VariantArrayType.Matrix, dimensions: [2, 3], value: new Float64Array(6) });
  let writes = 0;

  before(async () => {
    userDir = await opcuaUserDir('opcua-matrix');
    server = await startTestServer();
    const addressSpace = server.server.engine.addressSpace!;
    const plant = addressSpace.findNode('ns=1;s=Plant')!;
    addressSpace.getOwnNamespace().addVariable({
      organizedBy: plant,
      browseName: 'Matrix',
      nodeId: 's=Matrix',
      dataType: 'Double',
      valueRank: 2,
      arrayDimensions: [2, 3],
      minimumSamplingInterval: 50,
      accessLevel: 'CurrentRead | CurrentWrite',
      userAccessLevel: 'CurrentRead | CurrentWrite',
      value: {
        get: () => stored,
        set: (v: Variant) => {
          stored = v;
          writes++;
          return StatusCodes.Good;
        },
      },
    });
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

  it('writes rows of columns as a matrix with its dimensions, and reads it back the same', async () => {
    const w = await exchange(helper.getNode('write'), helper.getNode('out'), { nodeId: 'ns=1;s=Matrix', payload: [[1, 2, 3], [4, 5, 6.5]] });
    assert.equal(w.error, undefined);
    assert.equal(stored.arrayType, VariantArrayType.Matrix);
    assert.deepEqual(stored.dimensions, [2, 3]);
    assert.deepEqual(Array.from(stored.value as Float64Array), [1, 2, 3, 4, 5, 6.5], 'row after row');
    const r = await exchange(helper.getNode('read'), helper.getNode('out'), { nodeId: 'ns=1;s=Matrix' });
    assert.deepEqual(r.msg!.payload, [[1, 2, 3], [4, 5, 6.5]]);
    const smaller = await exchange(helper.getNode('write'), helper.getNode('out'), { nodeId: 'ns=1;s=Matrix', payload: [[7, 8]] });
    assert.equal(smaller.error, undefined, 'ArrayDimensions are maximum lengths');
    assert.deepEqual(stored.dimensions, [1, 2]);
  });

  it('checks the dimensions and every element before anything is sent', async () => {
    const before = writes;
    const cases: [unknown, RegExp][] = [
      [[1, 2, 3], /ns=1;s=Matrix is a 2-dimensional array of Double: expected 2 levels of nested arrays \(an array of rows\), got an array of 3 values/],
      [[[1, 2, 3], [4, 5]], /the array is not rectangular: \[1\] has 2 elements where 3 are expected \(dimensions 2 x 3\)/],
      [[[1, 2, 3], 4], /element \[1\] must be an array of 3, got number 4/],
      [[[1], [2], [3]], /dimension 1 has 3 elements, at most 2 fit \(ArrayDimensions 2 x 3\)/],
      [[[1, 2, 3, 4]], /dimension 2 has 4 elements, at most 3 fit/],
      [[[1, 'x', 3]], /element \[0\]\[1\]: expected a number, got string 'x'/],
      [[[[1]]], /expected 2 levels of nested arrays \(an array of rows\), got 3 levels/],
      [5, /expected 2 levels of nested arrays/],
    ];
    for (const [payload, re] of cases) {
      const r = await exchange(helper.getNode('write'), helper.getNode('out'), { nodeId: 'ns=1;s=Matrix', payload });
      assert.match(r.error ?? '(no error)', re, JSON.stringify(payload));
    }
    assert.equal(writes, before, 'nothing reached the server');
  });
});
