/**
 * OPC UA through the fault proxy: a real node-opcua server behind test/support/fault-proxy.ts, the
 * endpoint URL pointing at the proxy. FIN, RST, a device closing in answer to a request, a black hole
 * mid-session, delay, byte split and refused connections: the read and subscribe nodes recover by
 * themselves, the status is never green while no data arrives, and nothing is left open after close.
 *
 * The server's own endpoint URL (its real port) is never used: the hub keeps the URL it was given
 * (endpointMustExist false, its own reconnects from that URL), which the black hole test proves (no value
 * gets around the proxy).
 */
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import type { TestFlows } from 'node-red-node-test-helper';
import type { Node } from 'node-red';
import { openSessionCount } from '../../nodes/opcua/pool';
import { FaultProxy } from '../support/fault-proxy';
import { startTestServer } from '../support/opcua-server';
import type { TestServer } from '../support/opcua-server';
import type { FlowNode, Msg } from '../support/opcua-flows';
import { OPCUA_NODES, endpoint, exchange, goodValues, opcuaUserDir, statusOf, statusesOf, tagMap, useRuntimeSettings, waitFor } from '../support/opcua-flows';

const COUNTER = [{ name: 'plant/line1/filler/count', address: 'ns=1;s=Counter', dataType: 'int32' }];

function flow(url: string): TestFlows {
  const nodes: FlowNode[] = [
    { id: 'tab', type: 'tab' },
    endpoint('ep', url, { reconnectMax: 1 }),
    tagMap('map', COUNTER),
    { id: 'sub', type: 'fh-opcua-subscribe', z: 'tab', endpoint: 'ep', tagMap: 'map', prefix: '', samplingInterval: 0, publishingInterval: 200, queueSize: 10, deadbandType: 'none', deadband: 0, output: 'each', wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab' },
    { id: 'read', type: 'fh-opcua-read', z: 'tab', endpoint: 'ep', tagMap: '', prefix: '', output: 'object', wires: [['readOut']] },
    { id: 'readOut', type: 'helper', z: 'tab' },
  ];
  return nodes;
}

/** Green is said only with every item created: never while the link is down or the items are not back yet. */
function greenOnlyWhenLive(node: Node, from: number, what: string): void {
  const shown = statusesOf(node).slice(from);
  const wrong = shown.filter((st) => st.fill === 'green' && st.text !== 'connected: 1 items');
  assert.deepEqual(wrong, [], `green while no data could arrive after ${what}: ${shown.map((st) => `${st.fill}:${st.text}`).join(' | ')}`);
}

describe('OPC UA through the fault proxy', function () {
  this.timeout(120000);
  let userDir = '';
  let server: TestServer;
  let proxy: FaultProxy;
  let sub: Node;
  let out: Node;

  before(async () => {
    userDir = await opcuaUserDir('opcua-proxy');
    server = await startTestServer();
  });
  useRuntimeSettings(() => userDir);
  after(async () => {
    await server.stop();
  });

  beforeEach(async () => {
    proxy = await FaultProxy.start({ port: server.port });
    await helper.load(OPCUA_NODES, flow(`opc.tcp://127.0.0.1:${proxy.port}`));
    sub = helper.getNode('sub');
    out = helper.getNode('out');
    await goodValues(out, 3, 15000, 'values before the fault');
    await waitFor(() => statusOf(sub).text === 'connected: 1 items', 10000, 'connected before the fault');
  });

  afterEach(async () => {
    await helper.unload();
    // Nothing left behind: no session in the pool, no connection through the proxy.
    await waitFor(() => openSessionCount() === 0, 10000, 'no session left in the pool');
    await waitFor(() => proxy.stats.open === 0, 10000, `no connection left open (${proxy.stats.open})`);
    await proxy.close();
  });

  /** The subscribe node shows connected again, values flow, and the read node reads. */
  async function recovered(what: string, from: number): Promise<void> {
    const got = await goodValues(out, 3, 60000, `values again after ${what}`);
    const counts = got.map((m) => m.payload as number);
    assert.ok(counts[2] > counts[0], `live values after ${what}: ${counts.join(', ')}`);
    await waitFor(() => statusOf(sub).text === 'connected: 1 items', 15000, `status connected after ${what}`);
    greenOnlyWhenLive(sub, from, what);
    const r = await exchange(helper.getNode('read'), helper.getNode('readOut'), { nodeId: 'ns=1;s=Boolean' });
    assert.equal(r.error, undefined, `read after ${what}: ${String(r.error)}`);
    assert.deepEqual((r.msg as Msg).payload, { 'ns=1;s=Boolean': true });
  }

  /** Waits for a status that is not green (the node says the link is down or the data stale). */
  async function notGreen(what: string, timeoutMs = 30000): Promise<string> {
    await waitFor(() => statusOf(sub).fill !== 'green', timeoutMs, `status not green after ${what}`);
    return statusOf(sub).text ?? '';
  }

  for (const how of ['fin', 'rst'] as const) {
    it(`the connection closed with ${how.toUpperCase()}: reconnects, items come back`, async () => {
      const accepted = proxy.stats.accepted;
      const from = statusesOf(sub).length;
      assert.equal(proxy.drop(how), 1, 'one connection through the proxy for the whole endpoint');
      const text = await notGreen(how);
      assert.match(text, /^(reconnecting in \d+ s \(.+\)|connecting)$/);
      await recovered(how, from);
      assert.ok(proxy.stats.accepted > accepted, 'reconnected through the proxy, to the URL it was given');
    });
  }

  it('the device closes in answer to a request: the read fails, the session comes back', async () => {
    const from = statusesOf(sub).length;
    proxy.dropOnNextRequest('rst');
    const r = await exchange(helper.getNode('read'), helper.getNode('readOut'), { nodeId: 'ns=1;s=Boolean' });
    assert.match(r.error ?? '', /read from opc\.tcp:\/\/127\.0\.0\.1:\d+: /);
    await notGreen('a reset in answer to a request');
    await recovered('a reset in answer to a request', from);
  });

  it('a black hole mid-session: stale or reconnecting while silent, never green; recovers once healed', async () => {
    const from = statusesOf(sub).length;
    proxy.setMode({ kind: 'blackhole' });
    const during: Msg[] = [];
    const onValue = (m: Msg): void => {
      if (m.quality === 'good') during.push(m);
    };
    // Values already on their way may still arrive; after that, silence (nothing gets around the proxy).
    await new Promise((r) => setTimeout(r, 1000));
    out.on('input', onValue);
    const text = await notGreen('a black hole', 60000);
    assert.match(text, /^(stale: |reconnecting in |connecting)/);
    out.removeListener('input', onValue);
    assert.deepEqual(during, [], 'no value got around the proxy (the real port was never used)');
    const since = statusesOf(sub).map((st) => st.text ?? '').length;
    // Still not green a little later: the status stays honest for as long as nothing arrives.
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok(
      statusesOf(sub).map((st) => st.text ?? '')
        .slice(since - 1)
        .every((t) => !t.startsWith('connected')),
      `no connected status while black-holed: ${statusesOf(sub).map((st) => st.text ?? '').slice(since - 1).join(' | ')}`,
    );
    proxy.heal();
    await recovered('a black hole', from);
  });

  it('a slow link (300 ms each way): values and reads go on, no reconnect', async () => {
    const accepted = proxy.stats.accepted;
    proxy.setMode({ kind: 'delay', ms: 300 });
    await goodValues(out, 5, 20000, 'values through the delay');
    const r = await exchange(helper.getNode('read'), helper.getNode('readOut'), { nodeId: 'ns=1;s=Boolean' });
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(statusOf(sub).text, 'connected: 1 items');
    assert.equal(proxy.stats.accepted, accepted, 'the same connection throughout');
    proxy.heal();
  });

  it('replies split into single bytes: values and reads go on, no reconnect', async () => {
    const accepted = proxy.stats.accepted;
    proxy.setMode({ kind: 'split', gapMs: 1 });
    await goodValues(out, 5, 20000, 'values through the split');
    const r = await exchange(helper.getNode('read'), helper.getNode('readOut'), { nodeId: 'ns=1;s=Boolean' });
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(statusOf(sub).text, 'connected: 1 items');
    assert.equal(proxy.stats.accepted, accepted, 'the same connection throughout');
    proxy.heal();
  });

  it('connections refused after a drop: reconnecting (never green), connects once accepted again', async () => {
    const from = statusesOf(sub).length;
    proxy.setMode({ kind: 'refuse' });
    proxy.drop('rst');
    await notGreen('refused connections');
    const refusedBefore = proxy.stats.faults;
    await waitFor(() => proxy.stats.faults >= refusedBefore + 2, 20000, 'two more attempts, refused');
    assert.match(statusOf(sub).text ?? '', /^(reconnecting in \d+ s \(.+\)|connecting)$/);
    proxy.heal();
    await recovered('refused connections', from);
  });
});
