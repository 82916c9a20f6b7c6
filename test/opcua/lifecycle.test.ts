/**
 * Lifecycle of the OPC UA nodes in a real Node-RED runtime: a flow redeployed 100 times leaves no
 * session on the server, no session, certificate store, socket or timer in the runtime, and no memory
 * growth.
 */
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import helper from 'node-red-node-test-helper';
import type { TestFlows } from 'node-red-node-test-helper';
import { openSessionCount } from '../../nodes/opcua/pool';
import { openStoreCount } from '../../nodes/opcua/pki';
import { startTestServer } from '../support/opcua-server';
import type { TestServer } from '../support/opcua-server';
import type { FlowNode } from '../support/opcua-flows';
import { OPCUA_NODES, ROWS, endpoint, nextMessage, opcuaUserDir, tagMap, useRuntimeSettings, waitFor } from '../support/opcua-flows';

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Sockets, servers and timers alive in this process (Node 20 has no public API for this). */
function handles(): number {
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
}

function flow(url: string, i: number): TestFlows {
  const nodes: FlowNode[] = [
    { id: 'tab', type: 'tab' },
    endpoint('ep', url, { reconnectMax: 2 + (i % 2) }),
    tagMap('map', ROWS),
    { id: 'sub', type: 'fh-opcua-subscribe', z: 'tab', endpoint: 'ep', tagMap: 'map', prefix: '', samplingInterval: 0, publishingInterval: 100 + (i % 2), queueSize: 10, deadbandType: 'none', deadband: 0, output: 'each', wires: [['out']] },
    { id: 'read', type: 'fh-opcua-read', z: 'tab', endpoint: 'ep', tagMap: 'map', prefix: '', output: 'each', wires: [['out']] },
    { id: 'write', type: 'fh-opcua-write', z: 'tab', endpoint: 'ep', tagMap: 'map', prefix: '', wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab' },
  ];
  return nodes;
}

describe('OPC UA nodes: lifecycle', function () {
  this.timeout(90000);
  let userDir = '';
  let server: TestServer;
  before(async () => {
    userDir = await opcuaUserDir('opcua-lifecycle');
    server = await startTestServer();
  });
  useRuntimeSettings(() => userDir);
  after(async () => {
    await server.stop();
  });

  it('a flow redeployed 100 times leaves no session, timer or memory behind', async () => {
    const baseline = handles();
    await helper.load(OPCUA_NODES, flow(server.url, 0));
    await nextMessage(helper.getNode('out'), () => true, 10000);
    const sessionsBefore = server.server.engine.cumulatedSessionCount;
    let heapAt20 = 0;
    for (let i = 1; i <= 100; i++) {
      // Every deploy replaces every node: the session closes with its last user and a new one opens.
      // Every 4th waits for data (a full connect, subscribe, close); the others close a session still connecting.
      await helper.setFlows(flow(server.url, i), 'full');
      if (i % 4 === 0) await nextMessage(helper.getNode('out'), (m) => m.topic === 'plant/line1/filler/count', 10000);
      if (i === 20) {
        gc();
        heapAt20 = process.memoryUsage().heapUsed;
      }
    }
    const last = await nextMessage(helper.getNode('out'), (m) => m.topic === 'plant/line1/filler/count', 10000);
    assert.equal(last.quality, 'good', 'still subscribed after 100 deploys');
    assert.ok(server.sessionCount() <= 1, `sessions on the server while running: ${server.sessionCount()}`);
    await helper.unload();
    await waitFor(() => server.sessionCount() === 0, 5000, 'the server sees no session left');
    assert.equal(openSessionCount(), 0, 'every session closed');
    assert.equal(openStoreCount(), 0, 'every certificate store released');
    const opened = server.server.engine.cumulatedSessionCount - sessionsBefore;
    assert.ok(opened >= 25, `deploys replaced the session (${opened} sessions opened)`);
    await waitFor(() => handles() <= baseline, 5000, `handles back to ${baseline} (now ${handles()})`);
    gc();
    const growth = process.memoryUsage().heapUsed - heapAt20;
    assert.ok(growth < 8 * 1024 * 1024, `heap grew ${(growth / 1048576).toFixed(1)} MB over 80 deploys`);
  });
});
