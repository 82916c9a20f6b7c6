/**
 * What the OPC UA nodes say and do after faults a person or the link causes, against real node-opcua
 * servers: a server that does not trust the hub's certificate (with an ERR message, or by closing the
 * socket), a wrong password (retries within the endpoint's longest delay), the status of read and write
 * nodes once a lost session is back, and callbacks that throw.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { TestFlows } from 'node-red-node-test-helper';
import type { Node } from 'node-red';
import type { OpcUaEndpointNode } from '../../nodes/opcua/opcua-endpoint';
import type { SessionState } from '../../nodes/opcua/session';
import { FaultProxy } from '../support/fault-proxy';
import { startTestServer } from '../support/opcua-server';
import type { TestServer } from '../support/opcua-server';
import { testPki } from '../support/opcua-pki';
import type { FlowNode } from '../support/opcua-flows';
import { OPCUA_NODES, ROWS, endpoint, exchange, statusOf, statusShown, tagMap, useFreshOpcuaUserDir, waitFor } from '../support/opcua-flows';

function flow(url: string, ep: Record<string, unknown> = {}): TestFlows {
  const nodes: FlowNode[] = [
    { id: 'tab', type: 'tab' },
    endpoint('ep', url, ep),
    tagMap('map', ROWS),
    // Values read go nowhere: `out` sees only what the write node passes on, so exchange() gets read errors.
    { id: 'read', type: 'fh-opcua-read', z: 'tab', endpoint: 'ep', tagMap: '', prefix: '', output: 'object', wires: [[]] },
    { id: 'sub', type: 'fh-opcua-subscribe', z: 'tab', endpoint: 'ep', tagMap: 'map', prefix: '', samplingInterval: 0, publishingInterval: 100, queueSize: 10, deadbandType: 'none', deadband: 0, output: 'each', wires: [['subOut']] },
    { id: 'subOut', type: 'helper', z: 'tab' },
    { id: 'write', type: 'fh-opcua-write', z: 'tab', endpoint: 'ep', tagMap: '', prefix: '', wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab' },
  ];
  return nodes;
}

function session(): ReturnType<OpcUaEndpointNode['session']> {
  return (helper.getNode('ep') as unknown as OpcUaEndpointNode).session();
}

/** Puts the test server's certificate on the hub's trust list by hand (a file in trusted/certs). */
async function trustServer(userDir: string): Promise<void> {
  const pki = await testPki();
  const dir = path.join(userDir, 'opcua', 'pki', 'trusted', 'certs');
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(pki.serverCertificate, path.join(dir, 'test-server.pem'));
}

/** The hub's own certificate: its file and SHA-1 thumbprint. */
function hubCertificate(userDir: string): { file: string; thumbprint: string } {
  const file = path.join(userDir, 'opcua', 'pki', 'own', 'certs', 'client_certificate.pem');
  const thumbprint = new X509Certificate(fs.readFileSync(file)).fingerprint.replace(/:/g, '').toLowerCase();
  return { file, thumbprint };
}

describe('OPC UA faults: what the nodes say and do', function () {
  this.timeout(60000);
  const dir = useFreshOpcuaUserDir('opcua-faults');

  describe('a server that does not trust the hub', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ trustClients: false });
    });
    after(async () => {
      await server.stop();
    });

    it('names BadSecurityChecksFailed, the hub certificate thumbprint and its file', async () => {
      await trustServer(dir());
      await helper.load(OPCUA_NODES, flow(server.url, { securityMode: 'Sign', securityPolicy: 'Basic256Sha256' }));
      const own = hubCertificate(dir());
      const sub = helper.getNode('sub');
      const status = await statusShown(sub, /^error: BadSecurityChecksFailed/, 10000);
      assert.ok(status.includes(`the server's admin must trust the hub's certificate (${own.thumbprint.slice(0, 8)}…)`), status);
      assert.equal(statusOf(sub).fill, 'red');
      const r = await exchange(helper.getNode('read'), helper.getNode('out'), { nodeId: 'ns=1;s=Boolean' });
      assert.ok(r.error?.includes(own.file), `the error says which file to trust: ${String(r.error)}`);
      assert.ok(r.error?.includes(`thumbprint ${own.thumbprint}`), String(r.error));
      assert.equal(server.sessionCount(), 0);
    });

    it('says the same when the server just closes the socket on the secured channel', async () => {
      await trustServer(dir());
      const proxy = await FaultProxy.start({ port: server.port });
      try {
        // Many embedded servers send no ERR: they close the connection once they saw the certificate.
        // The secured OpenSecureChannel answer is the large one (it carries the server's certificate).
        proxy.rewriteReply = (chunk) => {
          if (chunk.subarray(0, 4).toString() !== 'OPNF' || chunk.length < 500) return chunk;
          setImmediate(() => proxy.drop('fin'));
          return Buffer.alloc(0);
        };
        await helper.load(OPCUA_NODES, flow(`opc.tcp://127.0.0.1:${proxy.port}`, { securityMode: 'Sign', securityPolicy: 'Basic256Sha256' }));
        const own = hubCertificate(dir());
        const status = await statusShown(helper.getNode('sub'), /^error: BadSecurityChecksFailed/, 10000);
        assert.ok(status.includes(own.thumbprint.slice(0, 8)), status);
      } finally {
        await helper.unload();
        await proxy.close();
      }
    });
  });

  describe('against one trusting server', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ users: { operator: 'correct horse' } });
    });
    after(async () => {
      await server.stop();
    });

    it('a wrong password is retried, never later than the longest reconnect delay of the endpoint', async () => {
      await helper.load(OPCUA_NODES, flow(server.url, { authentication: 'username', reconnectMax: 1 }), { ep: { user: 'operator', password: 'wrong' } });
      const waits: number[] = [];
      session().on('state', (s: SessionState) => {
        if (s.kind === 'error') waits.push(s.retryAt - Date.now());
      });
      await waitFor(() => waits.length >= 4, 30000, 'four failed attempts');
      assert.ok(
        waits.every((w) => w <= 1000),
        `each retry within the configured 1 s: ${waits.join(', ')} ms`,
      );
      assert.match(statusOf(helper.getNode('sub')).text ?? '', /^error: BadUserAccessDenied/);
    });

    it('read and write nodes say connected once the session is back, not the error of an earlier message', async () => {
      const proxy = await FaultProxy.start({ port: server.port });
      try {
        await helper.load(OPCUA_NODES, flow(`opc.tcp://127.0.0.1:${proxy.port}`, { reconnectMax: 1 }));
        await session().whenConnected(10000);
        const read = helper.getNode('read');
        const write = helper.getNode('write');
        const out = helper.getNode('out');
        assert.match((await exchange(read, out, { nodeId: 'ns=1;s=NoSuchNode' })).error ?? '', /BadNodeIdUnknown/);
        assert.match((await exchange(write, out, { nodeId: 'ns=1;s=ReadOnly', payload: 1 })).error ?? '', /BadNotWritable/);
        assert.equal(statusOf(read).fill, 'red');
        assert.equal(statusOf(write).fill, 'red');
        proxy.drop('rst');
        await waitFor(() => session().state.kind !== 'connected', 10000, 'the session noticed');
        await session().whenConnected(15000);
        for (const node of [read, write]) {
          await waitFor(() => statusOf(node).text === 'connected: by NodeId', 5000, `${node.id} says connected`);
          assert.equal(statusOf(node).fill, 'green');
        }
        // And a later problem shows again, on this connection.
        assert.match((await exchange(read, out, { nodeId: 'ns=1;s=NoSuchNode' })).error ?? '', /BadNodeIdUnknown/);
        assert.equal(statusOf(read).fill, 'red');
      } finally {
        await helper.unload();
        await proxy.close();
      }
    });

    it('a throw in a node callback (status, events) ends as an error of the node, never out of the runtime', async () => {
      const escaped: unknown[] = [];
      const onEscape = (err: unknown): void => {
        escaped.push(err);
      };
      process.on('unhandledRejection', onEscape);
      process.on('uncaughtException', onEscape);
      const proxy = await FaultProxy.start({ port: server.port });
      try {
        await helper.load(OPCUA_NODES, flow(`opc.tcp://127.0.0.1:${proxy.port}`, { reconnectMax: 1 }));
        await session().whenConnected(10000);
        const nodes = ['read', 'write', 'sub'].map((id) => helper.getNode(id));
        const broken = new Error('status display broken');
        for (const node of nodes) {
          (node as unknown as { status: () => void }).status = () => {
            throw broken;
          };
        }
        const errors = (node: Node): unknown[] => (node as unknown as { error: { args: unknown[][] } }).error.args.map((a) => a[0]);
        const read = await exchange(nodes[0], helper.getNode('out'), { nodeId: 'ns=1;s=NoSuchNode' });
        assert.match(read.error ?? '', /status display broken/, 'done(err) with what was thrown');
        const write = await exchange(nodes[1], helper.getNode('out'), { nodeId: 'ns=1;s=ReadOnly', payload: 1 });
        assert.match(write.error ?? '', /status display broken/);
        proxy.drop('rst'); // session events reach every node's status
        await waitFor(() => errors(nodes[2]).some((e) => e === broken), 10000, 'the subscribe node reported the throw');
        await session().whenConnected(15000);
        assert.deepEqual(escaped, [], 'nothing reached the process');
      } finally {
        await helper.unload();
        await proxy.close();
        process.off('unhandledRejection', onEscape);
        process.off('uncaughtException', onEscape);
      }
    });
  });
});
