/**
 * Browse for the editor through the admin endpoint, against a real node-opcua server: one level at a
 * time, with DataType, value rank, write access and the tag data type of each variable; a limit that
 * says when there is more; precise 4xx/5xx answers; never a hang (a server that does not answer, or
 * is not there, gets a timely answer); and the shared session, not a new one.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import helper from 'node-red-node-test-helper';
import type { BrowsePage } from '../../nodes/opcua/browse';
import { nameSegment } from '../../nodes/opcua/browse';
import { startTestServer } from '../support/opcua-server';
import type { TestServer } from '../support/opcua-server';
import type { FlowNode } from '../support/opcua-flows';
import { OPCUA_NODES, ROWS, endpoint, opcuaUserDir, tagMap, useRuntimeSettings } from '../support/opcua-flows';

describe('OPC UA browse admin endpoint against a real server', function () {
  this.timeout(30000);
  let userDir = '';
  let server: TestServer;
  let silent: net.Server;
  let silentPort = 0;
  const sockets = new Set<net.Socket>();

  before(async () => {
    userDir = await opcuaUserDir('opcua-browse');
    server = await startTestServer();
    // Accepts TCP and never says a word: what a hung gateway looks like.
    silent = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    silentPort = (silent.address() as net.AddressInfo).port;
  });
  useRuntimeSettings(() => userDir);
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
    await server.stop();
  });

  beforeEach(async () => {
    const nodes: FlowNode[] = [
      { id: 'tab', type: 'tab' },
      endpoint('ep', server.url),
      endpoint('hung', `opc.tcp://127.0.0.1:${silentPort}`),
      tagMap('map', ROWS),
      { id: 'sub', type: 'fh-opcua-subscribe', z: 'tab', endpoint: 'ep', tagMap: 'map', prefix: '', samplingInterval: 500, publishingInterval: 1000, queueSize: 1, deadbandType: 'none', deadband: 0, output: 'each', wires: [[]] },
    ];
    await helper.load(OPCUA_NODES, nodes);
  });
  afterEach(async () => {
    await helper.unload();
  });

  const browse = async (query: string, status = 200): Promise<BrowsePage & { error?: string; state?: string }> =>
    (await helper.request().get(`/factoryhub/opcua/endpoints/ep/browse${query}`).expect(status)).body as BrowsePage & { error?: string };

  it('lists one level with what a tag needs, on the shared session', async () => {
    const root = await browse('');
    assert.equal(root.nodeId, 'i=85');
    const plantRef = root.entries.find((e) => e.browseName === 'Plant');
    assert.deepEqual(plantRef && { nodeId: plantRef.nodeId, nodeClass: plantRef.nodeClass, expandable: plantRef.expandable }, { nodeId: 'ns=1;s=Plant', nodeClass: 'Object', expandable: true });
    const plant = await browse('?nodeId=ns%3D1%3Bs%3DPlant');
    const by = new Map(plant.entries.map((e) => [e.browseName, e]));
    assert.deepEqual(
      { ...by.get('Int32') },
      { nodeId: 'ns=1;s=Int32', browseName: 'Int32', displayName: 'Int32', nodeClass: 'Variable', expandable: false, suggestedName: 'Int32', dataType: 'Int32', valueRank: -1, writable: true, tagDataType: 'int32' },
    );
    assert.equal(by.get('Duration')?.dataType, 'Duration (Double)');
    assert.equal(by.get('Duration')?.tagDataType, 'float64');
    assert.equal(by.get('ReadOnly')?.writable, false);
    assert.equal(by.get('Int32Array')?.valueRank, 1);
    assert.equal(by.get('Line1')?.expandable, true);
    assert.equal(by.get('Level')?.tagDataType, 'float64');
    assert.equal(plant.more, false);
    assert.equal(server.sessionCount(), 1, 'browsing used the session of the subscribe node');
  });

  it('stops at the limit and says there is more', async () => {
    const page = await browse('?nodeId=ns%3D1%3Bs%3DMany&limit=100');
    assert.equal(page.entries.length, 100);
    assert.equal(page.more, true);
    const all = await browse('?nodeId=ns%3D1%3Bs%3DMany&limit=1000');
    assert.equal(all.entries.length, 150);
    assert.equal(all.more, false);
    await browse('?limit=0', 400);
    await browse('?limit=5000', 400);
  });

  it('answers bad requests precisely', async () => {
    assert.match((await browse('?nodeId=Plant', 400)).error ?? '', /malformed NodeId 'Plant'/);
    assert.match((await browse('?nodeId=ns%3D1%3Bs%3DNoSuchNode', 502)).error ?? '', /BadNodeIdUnknown/);
    const missing = (await helper.request().get('/factoryhub/opcua/endpoints/nope/browse').expect(404)).body as { error: string };
    assert.match(missing.error, /no deployed OPC UA endpoint nope: deploy it first/);
  });

  it('never hangs: a silent server and an unanswered browse get a timely answer', async () => {
    let started = Date.now();
    const hung = (await helper.request().get('/factoryhub/opcua/endpoints/hung/browse?timeout=800').expect(503)).body as { error: string; state: string };
    assert.ok(Date.now() - started < 3000, `answered in ${Date.now() - started} ms`);
    assert.equal(hung.state, 'connecting');
    assert.match(hung.error, /not connected|connecting/);

    // The server takes the BrowseRequest and never answers it.
    const engine = server.server.engine as unknown as Record<string, unknown>;
    const original = { browse: engine.browse, browseWithAutomaticExpansion: engine.browseWithAutomaticExpansion };
    engine.browse = engine.browseWithAutomaticExpansion = () => new Promise(() => undefined);
    try {
      started = Date.now();
      const body = await browse('?nodeId=ns%3D1%3Bs%3DPlant&timeout=700', 504);
      assert.match(body.error ?? '', /did not answer within \d+ ms/);
      assert.ok(Date.now() - started < 3000);
    } finally {
      Object.assign(engine, original);
    }
    assert.equal((await browse('?nodeId=ns%3D1%3Bs%3DPlant')).entries.length > 5, true, 'the session still works');
  });

  it('makes tag-name segments out of browse names', () => {
    assert.equal(nameSegment('Motor Speed (rpm)'), 'Motor_Speed_rpm');
    assert.equal(nameSegment('Öl-Temperatur'), 'Öl-Temperatur');
    assert.equal(nameSegment('..'), 'tag');
  });
});
