/**
 * Recovery without a redeploy, against real node-opcua servers: a server down at deploy; a server
 * process killed and started again while subscribed; a server that drops every session but keeps the
 * connection; a server that stops publishing (its subscription deleted without a word) - the watchdog
 * rebuilds it. In every case values flow again by themselves within seconds.
 */
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import type { TestFlows } from 'node-red-node-test-helper';
import type { OpcUaEndpointNode } from '../../nodes/opcua/opcua-endpoint';
import { freePort, startTestServer } from '../support/opcua-server';
import type { TestServer } from '../support/opcua-server';
import { OpcUaServerProcess } from '../support/opcua-server-process';
import type { FlowNode } from '../support/opcua-flows';
import { OPCUA_NODES, endpoint, goodValues, opcuaUserDir, statusOf, statusShown, statusesOf, tagMap, useRuntimeSettings, waitFor } from '../support/opcua-flows';

const COUNTER = [{ name: 'plant/line1/filler/count', address: 'ns=1;s=Counter', dataType: 'int32' }];

function flow(url: string, publishingInterval = 200): TestFlows {
  const nodes: FlowNode[] = [
    { id: 'tab', type: 'tab' },
    endpoint('ep', url, { reconnectMax: 1 }),
    tagMap('map', COUNTER),
    {
      id: 'sub',
      type: 'fh-opcua-subscribe',
      z: 'tab',
      endpoint: 'ep',
      tagMap: 'map',
      prefix: '',
      samplingInterval: 0,
      publishingInterval,
      queueSize: 10,
      deadbandType: 'none',
      deadband: 0,
      output: 'each',
      wires: [['out']],
    },
    { id: 'out', type: 'helper', z: 'tab' },
  ];
  return nodes;
}

describe('OPC UA recovery: values flow again by themselves', function () {
  this.timeout(60000);
  let userDir = '';
  before(async () => {
    userDir = await opcuaUserDir('opcua-recovery');
  });
  useRuntimeSettings(() => userDir);
  afterEach(async () => {
    await helper.unload();
  });

  it('a server down at deploy: the nodes say so, and connect when it appears', async () => {
    const port = await freePort();
    await helper.load(OPCUA_NODES, flow(`opc.tcp://127.0.0.1:${port}`));
    const sub = helper.getNode('sub');
    await statusShown(sub, /^reconnecting in \d+ s \(ECONNREFUSED\)$/, 5000);
    const server = await startTestServer({ port });
    try {
      const got = await goodValues(helper.getNode('out'), 3, 15000, 'values after the server appeared');
      const counts = got.map((m) => m.payload as number);
      assert.ok(counts.every((c, i) => i === 0 || c > counts[i - 1]), `live values, each newer: ${counts.join(', ')}`);
      assert.equal(server.sessionCount(), 1, 'one session, not one per failed attempt');
      await waitFor(() => statusOf(sub).text === 'connected: 1 items', 5000, 'status connected again');
    } finally {
      await helper.unload();
      await server.stop();
    }
  });

  it('a server process killed and started again: subscriptions and items come back', async () => {
    const proc = new OpcUaServerProcess(await freePort());
    await proc.start();
    try {
      await helper.load(OPCUA_NODES, flow(proc.url));
      const out = helper.getNode('out');
      await goodValues(out, 3, 10000, 'values before the crash');
      await proc.kill();
      const sub = helper.getNode('sub');
      await statusShown(sub, /reconnecting in \d+ s \((connection lost|ECONNREFUSED|connection closed.*)\)/, 5000);
      await proc.start();
      const after = await goodValues(out, 3, 20000, 'values after the restart');
      // The restarted server counts from 0 again: these are new values, not a replay.
      assert.ok((after[0].payload as number) < 100, `fresh counter ${String(after[0].payload)}`);
      assert.ok((after[2].payload as number) > (after[0].payload as number), 'and it keeps counting');
      await waitFor(() => statusOf(sub).text === 'connected: 1 items', 5000, 'status connected again');
    } finally {
      await helper.unload();
      await proc.kill();
    }
  });

  describe('against one in-process server', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer();
    });
    after(async () => {
      await server.stop();
    });

    it('a server that drops every session (connection kept): a new session, items again', async () => {
      await helper.load(OPCUA_NODES, flow(server.url));
      const out = helper.getNode('out');
      await goodValues(out, 3, 5000, 'values before');
      server.dropSessions();
      assert.equal(server.sessionCount(), 0);
      await goodValues(out, 5, 15000, 'values after the sessions were dropped');
      assert.equal(server.sessionCount(), 1, 'one session again, not one per attempt');
    });

    it('a server that stops publishing: the watchdog says stale and rebuilds the subscription', async () => {
      await helper.load(OPCUA_NODES, flow(server.url, 100));
      const out = helper.getNode('out');
      const sub = helper.getNode('sub');
      await goodValues(out, 3, 5000, 'values before');
      const session = (helper.getNode('ep') as unknown as OpcUaEndpointNode).session();
      const last = (await goodValues(out, 1, 5000, 'a value before'))[0].payload as number;
      assert.equal(server.dropSubscriptions(), 1, 'the server deleted our subscription without telling us');
      await statusShown(sub, /^stale: no data or keep-alive for [\d.]+ s; rebuilding the subscription$/, 15000);
      const after = await goodValues(out, 3, 15000, 'values after the rebuild');
      assert.ok((after[2].payload as number) > last, `the counter moves on after the rebuild: ${last} then ${after.map((m) => String(m.payload)).join(', ')}`);
      assert.equal(session.state.kind, 'connected', 'the session itself was kept');
      assert.equal(server.subscriptionCount(), 1);
      await waitFor(() => statusOf(sub).text === 'connected: 1 items', 5000, 'status connected again');
      assert.ok(statusesOf(sub).map((st) => st.text ?? '').some((t) => t.startsWith('stale')), 'stale was shown');
    });
  });
});
