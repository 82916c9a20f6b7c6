/**
 * fh-opcua-subscribe in a real Node-RED runtime against a real node-opcua server: changes with source
 * timestamps and scaling, dead bands (a percent dead band needs an EURange), NodeIds added and removed
 * by messages, batch output; and twenty nodes on one endpoint sharing one session and one subscription
 * on a server that allows two sessions.
 */
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import type { TestFlows } from 'node-red-node-test-helper';
import type { Node } from 'node-red';
import type { OpcUaEndpointNode } from '../../nodes/opcua/opcua-endpoint';
import { startTestServer } from '../support/opcua-server';
import type { TestServer } from '../support/opcua-server';
import type { FlowNode } from '../support/opcua-flows';
import { OPCUA_NODES, ROWS, collect, endpoint, nextMessage, opcuaUserDir, tagMap, useRuntimeSettings, waitFor } from '../support/opcua-flows';
import { lastStatus, statusMatching } from '../support/node-red';

function subscribe(id: string, extra: Record<string, unknown> = {}): FlowNode {
  return {
    id,
    type: 'fh-opcua-subscribe',
    z: 'tab',
    endpoint: 'ep',
    tagMap: '',
    prefix: '',
    samplingInterval: 50,
    publishingInterval: 100,
    queueSize: 10,
    deadbandType: 'none',
    deadband: 0,
    output: 'each',
    wires: [['out']],
    ...extra,
  };
}

function errorsOf(node: Node): string[] {
  const spy = (node as unknown as { error: { args: unknown[][] } }).error;
  return spy.args.map((a) => String(a[0]));
}

describe('fh-opcua-subscribe against a real OPC UA server', function () {
  this.timeout(30000);
  let userDir = '';
  let server: TestServer;

  before(async () => {
    userDir = await opcuaUserDir('opcua-subscribe');
    server = await startTestServer({ maxSessions: 2 });
  });
  useRuntimeSettings(() => userDir);
  after(async () => {
    await server.stop();
  });
  afterEach(async () => {
    await helper.unload();
  });

  async function load(nodes: FlowNode[]): Promise<Node> {
    await helper.load(OPCUA_NODES, [{ id: 'tab', type: 'tab' }, endpoint('ep', server.url), tagMap('map', ROWS), ...nodes, { id: 'out', type: 'helper', z: 'tab' }] as TestFlows);
    return helper.getNode('out');
  }

  it('with Keep-alive, sends alive messages while the server answers though no value changes, at most every 5 s', async () => {
    const fixed = ROWS.filter((r) => r.name === 'plant/line1/filler/fixed');
    const out = await load([
      tagMap('fixedMap', fixed),
      subscribe('sub', { tagMap: 'fixedMap', keepAlive: true }),
      subscribe('quiet', { tagMap: 'fixedMap', wires: [['out2']] }),
      { id: 'out2', type: 'helper', z: 'tab' },
    ]);
    const msgs = collect(out);
    const quiet = collect(helper.getNode('out2'));
    const start = Date.now();
    await waitFor(() => msgs.filter((m) => m.topic === 'alive').length >= 2, 15000, 'two alive messages');
    const alive = msgs.filter((m) => m.topic === 'alive');
    assert.deepEqual(alive[0].payload, { endpoint: server.url });
    assert.ok(typeof alive[0].timestamp === 'number' && alive[0].timestamp >= start);
    assert.ok((alive[1].timestamp as number) - alive[0].timestamp >= 5000, 'at most one every 5 s');
    // The fixed value came once; the keep-alives are what proves the link since.
    assert.equal(msgs.filter((m) => m.topic === 'plant/line1/filler/fixed').length, 1);
    assert.ok(quiet.length >= 1 && quiet.every((m) => m.topic !== 'alive'), 'none without the option');
  });

  it('sends every change of the tag map with the source timestamp, scaled', async () => {
    const out = await load([subscribe('sub', { tagMap: 'map', prefix: 'plant/line1/filler' })]);
    const msgs = collect(out);
    await waitFor(() => msgs.filter((m) => m.topic === 'plant/line1/filler/count').length >= 5, 5000, 'counter changes');
    const counts = msgs.filter((m) => m.topic === 'plant/line1/filler/count').map((m) => m.payload as number);
    for (let i = 1; i < counts.length; i++) assert.equal(counts[i], counts[i - 1] + 1, 'no change lost (queue size 10)');
    const count = msgs.find((m) => m.topic === 'plant/line1/filler/count')!;
    assert.equal(count.quality, 'good');
    assert.ok(Math.abs((count.timestamp as number) - Date.now()) < 5000);
    const temp = msgs.find((m) => m.topic === 'plant/line1/filler/temperature');
    assert.equal(temp?.payload, 1.25 * 0.5 + 10);
    server.set('Double', 99.5);
    const speed = await nextMessage(out, (m) => m.topic === 'plant/line1/filler/speed' && m.payload === 99.5);
    assert.deepEqual(speed.tag, { address: 'ns=1;s=Double', unit: 'ppm', dataType: 'float64', description: '' });
    await statusMatching(helper.getNode('sub'), /^connected: 7 items$/);
  });

  it('applies an absolute dead band on the server', async () => {
    server.set('Level', 50);
    const out = await load([subscribe('sub', { deadbandType: 'absolute', deadband: 5 })]);
    const msgs = collect(out);
    helper.getNode('sub').receive({ nodeId: 'ns=1;s=Level' });
    await waitFor(() => msgs.length === 1, 3000, 'initial value');
    server.set('Level', 52);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(msgs.length, 1, 'a change of 2 is inside the dead band of 5');
    server.set('Level', 58);
    await waitFor(() => msgs.length === 2, 3000, 'change beyond the dead band');
    assert.equal(msgs[1].payload, 58);
  });

  it('refuses a percent dead band on a variable without EURange, item by item', async () => {
    await load([subscribe('sub', { deadbandType: 'percent', deadband: 10 })]);
    const sub = helper.getNode('sub');
    sub.receive({ nodeId: ['ns=1;s=Level', 'ns=1;s=Double'] });
    await waitFor(() => errorsOf(sub).length > 0, 3000, 'an item error');
    assert.match(errorsOf(sub)[0], /ns=1;s=Double on opc\.tcp:\/\/127\.0\.0\.1:\d+ cannot be monitored: Bad\w+: a percent dead band needs an EURange/);
    await statusMatching(sub, /connected: 2 items, 1 failed/);
    assert.equal(lastStatus(sub).fill, 'yellow');
  });

  it('monitors NodeIds sent to it, reports unknown ones, and unsubscribes', async () => {
    const out = await load([subscribe('sub')]);
    const sub = helper.getNode('sub');
    const msgs = collect(out);
    sub.receive({ nodeId: ['ns=1;s=Counter', 'ns=1;s=NoSuchNode'] });
    await waitFor(() => msgs.length >= 3, 3000, 'counter values');
    assert.equal(msgs[0].topic, 'ns=1;s=Counter');
    await waitFor(() => errorsOf(sub).length > 0, 3000, 'unknown node error');
    assert.match(errorsOf(sub)[0], /ns=1;s=NoSuchNode on .* cannot be monitored: BadNodeIdUnknown/);
    sub.receive({ topic: 'ns=1;s=', nodeId: undefined });
    sub.receive({ action: 'unsubscribe', nodeId: 'ns=1;s=Counter' });
    await new Promise((r) => setTimeout(r, 300));
    const n = msgs.length;
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(msgs.length, n, 'no more values after unsubscribe');
    const session = (helper.getNode('ep') as unknown as OpcUaEndpointNode).session();
    await waitFor(() => session.subscriptionCounts().items === 0, 3000, 'items deleted on the server');
    assert.match(errorsOf(sub).join('\n'), /malformed NodeId 'ns=1;s=': string identifier is empty/);
  });

  it('sends one message per publish in batch mode', async () => {
    const out = await load([subscribe('sub', { tagMap: 'map', output: 'batch', publishingInterval: 200 })]);
    const first = await nextMessage(out);
    const payload = first.payload as Record<string, unknown>;
    assert.ok(Object.keys(payload).length >= 6, `initial values together: ${Object.keys(payload).join(', ')}`);
    assert.equal(first.quality, 'good');
    const next = await nextMessage(out);
    assert.deepEqual(Object.keys(next.payload as object), ['plant/line1/filler/count']);
  });

  it('twenty nodes on one endpoint share one session and one subscription (server allows 2 sessions)', async () => {
    const subs = Array.from({ length: 20 }, (_, i) => subscribe(`sub${i}`, { tagMap: 'map', prefix: 'plant/line1/filler' }));
    const reads = Array.from({ length: 5 }, (_, i): FlowNode => ({ id: `read${i}`, type: 'fh-opcua-read', z: 'tab', endpoint: 'ep2', tagMap: 'map', prefix: '', output: 'each', wires: [['out']] }));
    // A second endpoint node with the same settings shares the session too.
    const out = await load([endpoint('ep2', server.url), ...subs, ...reads]);
    await Promise.all(subs.map((s) => statusMatching(helper.getNode(s.id), /^connected: 7 items$/, 10000)));
    helper.getNode('read0').receive({});
    await nextMessage(out, (m) => m.topic === 'plant/line1/filler/limit');
    const session = (helper.getNode('ep') as unknown as OpcUaEndpointNode).session();
    await waitFor(() => session.subscriptionCounts().items === 140, 10000, 'all items created');
    assert.equal(server.sessionCount(), 1, 'one session for 25 nodes on two endpoint nodes');
    assert.equal(server.subscriptionCount(), 1, 'one subscription for twenty nodes with the same publishing interval');
    assert.equal(session, (helper.getNode('ep2') as unknown as OpcUaEndpointNode).session());
    assert.deepEqual(session.subscriptionCounts(), { subscriptions: 1, items: 140 });
    for (const s of subs) assert.equal(errorsOf(helper.getNode(s.id)).length, 0);
  });
});
