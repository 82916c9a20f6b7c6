/**
 * Security against a real node-opcua server: an unknown server certificate is refused (and filed as
 * rejected) until it is trusted through the admin endpoint; a wrong password is a clear error; Sign and
 * encrypt with Basic256Sha256 and a user name works end to end (read, subscribe, write), as do the other
 * policies and an X.509 user; and the admin endpoints ask for opcua.read / opcua.write.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import helper from 'node-red-node-test-helper';
import type { TestFlows } from 'node-red-node-test-helper';
import type { NodeAPI } from 'node-red';
import { registerOpcUaAdmin } from '../../nodes/opcua/opcua-admin';
import type { OpcUaEndpointNode } from '../../nodes/opcua/opcua-endpoint';
import { acquireSession } from '../../nodes/opcua/pool';
import { DEFAULT_SESSION_OPTIONS } from '../../nodes/opcua/session';
import { tempDir } from '../support/hub-process';
import { startTestServer } from '../support/opcua-server';
import type { TestServer } from '../support/opcua-server';
import { testPki } from '../support/opcua-pki';
import type { FlowNode } from '../support/opcua-flows';
import { OPCUA_NODES, ROWS, endpoint, exchange, nextMessage, opcuaUserDir, tagMap, useFreshOpcuaUserDir, waitFor } from '../support/opcua-flows';
import { lastStatus, statusMatching } from '../support/node-red';

interface CertificateList {
  own?: { thumbprint: string };
  rejected: { thumbprint: string; subject: string; validTo: string }[];
  trusted: { thumbprint: string }[];
}

function flow(url: string, security: Record<string, unknown>): TestFlows {
  const nodes: FlowNode[] = [
    { id: 'tab', type: 'tab' },
    endpoint('ep', url, security),
    tagMap('map', ROWS),
    { id: 'read', type: 'fh-opcua-read', z: 'tab', endpoint: 'ep', tagMap: 'map', prefix: '', output: 'object', wires: [['out']] },
    { id: 'sub', type: 'fh-opcua-subscribe', z: 'tab', endpoint: 'ep', tagMap: 'map', prefix: '', samplingInterval: 0, publishingInterval: 100, queueSize: 10, deadbandType: 'none', deadband: 0, output: 'each', wires: [['subOut']] },
    { id: 'subOut', type: 'helper', z: 'tab' },
    { id: 'write', type: 'fh-opcua-write', z: 'tab', endpoint: 'ep', tagMap: 'map', prefix: '', wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab' },
  ];
  return nodes;
}

/** Puts the test server's certificate on the hub's trust list by hand (a file in trusted/certs). */
async function trustByFile(userDir: string): Promise<void> {
  const pki = await testPki();
  const dir = path.join(userDir, 'opcua', 'pki', 'trusted', 'certs');
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(pki.serverCertificate, path.join(dir, 'test-server.pem'));
}

describe('OPC UA security against a real server', function () {
  this.timeout(30000);
  let server: TestServer;
  const dir = useFreshOpcuaUserDir('opcua-security');

  before(async () => {
    server = await startTestServer({ users: { operator: 'correct horse' }, allowAnonymous: true });
  });
  after(async () => {
    await server.stop();
  });

  it('refuses an unknown server certificate until it is trusted through the admin endpoint', async () => {
    await helper.load(OPCUA_NODES, flow(server.url, { securityMode: 'Sign', securityPolicy: 'Basic256Sha256' }));
    const sub = helper.getNode('sub');
    const status = await statusMatching(sub, /^error: certificate not trusted: [0-9a-f]{40} \(retry in \d+ s\)$/, 8000);
    const thumbprint = /[0-9a-f]{40}/.exec(status)![0];
    assert.equal(server.sessionCount(), 0, 'nothing but discovery reached the server');
    const rejectedFiles = fs.readdirSync(path.join(dir(), 'opcua', 'pki', 'rejected'));
    assert.ok(rejectedFiles.some((f) => f.includes(thumbprint)), `filed as rejected: ${rejectedFiles.join(', ')}`);

    const list = (await helper.request().get('/factoryhub/opcua/certificates').expect(200)).body as CertificateList;
    assert.deepEqual(list.rejected.map((c) => c.thumbprint), [thumbprint]);
    assert.match(list.rejected[0].subject, /CN=Factory Hub test server/);
    assert.ok(list.own?.thumbprint, "the hub's own certificate is listed for the server side");
    assert.deepEqual(list.trusted, []);
    const state = (await helper.request().get('/factoryhub/opcua/endpoints/ep/state').expect(200)).body as { state: string; thumbprint?: string };
    assert.equal(state.state, 'error');
    assert.equal(state.thumbprint, thumbprint);

    await helper.request().post('/factoryhub/opcua/certificates/trusted').send({ thumbprint: 'nope' }).expect(400);
    await helper.request().post('/factoryhub/opcua/certificates/trusted').send({ thumbprint: 'f'.repeat(40) }).expect(404);
    const trusted = (await helper.request().post('/factoryhub/opcua/certificates/trusted').send({ thumbprint }).expect(200)).body as { retried: number };
    assert.equal(trusted.retried, 1, 'the waiting session was told to try again at once');
    const value = await nextMessage(helper.getNode('subOut'), (m) => m.topic === 'plant/line1/filler/count', 5000);
    assert.equal(value.quality, 'good');
    const after = (await helper.request().get('/factoryhub/opcua/certificates').expect(200)).body as CertificateList;
    assert.deepEqual(after.trusted.map((c) => c.thumbprint), [thumbprint]);
    assert.deepEqual(after.rejected, []);
    await waitFor(() => lastStatus(sub).text === 'connected: 7 items', 5000, 'connected');
  });

  it('a wrong password is a clear error (BadUserAccessDenied), and nothing is read', async () => {
    await helper.load(OPCUA_NODES, flow(server.url, { authentication: 'username' }), { ep: { user: 'operator', password: 'wrong' } });
    await statusMatching(helper.getNode('sub'), /^error: BadUserAccessDenied: user name or password refused \(retry in \d+ s\)$/, 8000);
    const r = await exchange(helper.getNode('read'), helper.getNode('out'), {});
    assert.match(r.error!, /not connected \(error: BadUserAccessDenied/);
    assert.equal(server.sessionCount(), 0);
  });

  it('SignAndEncrypt with Basic256Sha256 and a user name: read, subscribe and write end to end', async () => {
    await trustByFile(dir());
    await helper.load(OPCUA_NODES, flow(server.url, { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', authentication: 'username' }), {
      ep: { user: 'operator', password: 'correct horse' },
    });
    const out = helper.getNode('out');
    await nextMessage(helper.getNode('subOut'), (m) => m.topic === 'plant/line1/filler/count', 8000);
    const read = await exchange(helper.getNode('read'), out, { topic: 'plant/line1/filler/fixed' });
    assert.deepEqual(read.msg!.payload, { 'plant/line1/filler/fixed': 12.5 });
    const write = await exchange(helper.getNode('write'), out, { topic: 'plant/line1/filler/target', payload: 1234 });
    assert.equal(write.error, undefined);
    assert.equal(server.values.get('Int32'), 1234);
    assert.deepEqual(server.sessionDetails(), ['SignAndEncrypt/Basic256Sha256 operator'], 'the server saw one encrypted session of that user');
  });

  it('connects with Aes128_Sha256_RsaOaep and Aes256_Sha256_RsaPss, and with an X.509 user', async () => {
    await trustByFile(dir());
    const pki = await testPki();
    for (const [security, credentials] of [
      [{ securityMode: 'SignAndEncrypt', securityPolicy: 'Aes128_Sha256_RsaOaep' }, {}],
      [{ securityMode: 'SignAndEncrypt', securityPolicy: 'Aes256_Sha256_RsaPss', authentication: 'certificate' }, { userCertificate: pki.userCertificate, userPrivateKey: fs.readFileSync(pki.userPrivateKey, 'utf8') }],
    ] as const) {
      await helper.load(OPCUA_NODES, flow(server.url, security), { ep: credentials });
      await (helper.getNode('ep') as unknown as OpcUaEndpointNode).session().whenConnected(8000);
      const r = await exchange(helper.getNode('read'), helper.getNode('out'), { nodeId: 'ns=1;s=Boolean' });
      assert.equal(r.error, undefined, `${security.securityPolicy}: ${String(r.error)}`);
      assert.match(server.sessionDetails()[0], new RegExp(`^SignAndEncrypt/${security.securityPolicy} (AnonymousIdentityToken|X509IdentityToken)$`));
      await helper.unload();
    }
  });
});

describe("the hub's own application certificate", () => {
  it('is made on first use in <userDir>/opcua/pki and kept', async () => {
    const userDir = tempDir('opcua-first-use');
    const pkiDir = path.join(userDir, 'opcua', 'pki');
    const server = await startTestServer();
    const settings = { url: server.url, securityMode: 'None', securityPolicy: 'None', identity: { kind: 'anonymous' } } as const;
    // node-opcua-crypto leaves OPENSSL_CONF="undefined" behind after reading a key (the test server
    // just did); the hub must not: Node-RED's child processes (exec, git) would fail on it.
    delete process.env.OPENSSL_CONF;
    try {
      const first = acquireSession({ ...DEFAULT_SESSION_OPTIONS, settings, pkiDir });
      await first.resource.whenConnected(15000);
      assert.equal(process.env.OPENSSL_CONF, undefined, 'making the certificate and connecting leave OPENSSL_CONF as it was');
      await first.release();
      const file = path.join(pkiDir, 'own', 'certs', 'client_certificate.pem');
      const made = new X509Certificate(fs.readFileSync(file));
      assert.match(made.subjectAltName ?? '', /URI:urn:[^:]+:FactoryHub/);
      assert.ok(fs.existsSync(path.join(pkiDir, 'own', 'private', 'private_key.pem')));
      const second = acquireSession({ ...DEFAULT_SESSION_OPTIONS, settings, pkiDir });
      await second.resource.whenConnected(15000);
      await second.release();
      assert.equal(new X509Certificate(fs.readFileSync(file)).fingerprint, made.fingerprint, 'the same certificate, not a new one');
    } finally {
      await server.stop();
    }
  });
});

describe('OPC UA admin endpoints ask for the right permission', () => {
  it('browse and the lists need opcua.read; trusting and removing need opcua.write', async () => {
    const userDir = await opcuaUserDir('opcua-permissions');
    const app = express();
    app.use(express.json());
    const asked: string[] = [];
    // An auth that logs the caller in with the permissions its x-permissions header lists; the routes'
    // own check (http-route.ts) then decides, and the refusal's body names what each route asked for.
    const auth = {
      needsPermission: () => (req: Request, _res: Response, next: NextFunction) => {
        const permissions = String(req.headers['x-permissions'] ?? '').split(',').filter(Boolean);
        Object.assign(req, { user: { username: 'tester', permissions } });
        next();
      },
    };
    app.use((req, res, next) => {
      res.on('finish', () => {
        const refused = (res as Response & { fhRefused?: string }).fhRefused;
        if (refused) asked.push(`${req.method} ${req.path} ${refused}`);
      });
      const json = res.json.bind(res);
      res.json = (body: { permission?: string }) => {
        if (res.statusCode === 403 && typeof body?.permission === 'string') (res as Response & { fhRefused?: string }).fhRefused = body.permission;
        return json(body);
      };
      next();
    });
    const red = { httpAdmin: app, auth, nodes: { getNode: () => null }, settings: { userDir }, log: { info: () => undefined, warn: () => undefined } };
    registerOpcUaAdmin(red as unknown as NodeAPI);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/factoryhub/opcua`;
    const call = async (method: string, route: string, permissions: string, body?: unknown): Promise<number> =>
      (
        await fetch(`${base}${route}`, {
          method,
          headers: { 'x-permissions': permissions, 'content-type': 'application/json' },
          ...(body ? { body: JSON.stringify(body) } : {}),
        })
      ).status;
    try {
      const thumb = 'a'.repeat(40);
      assert.equal(await call('GET', '/endpoints/ep/browse', ''), 403);
      assert.equal(await call('GET', '/endpoints/ep/browse', 'opcua.read'), 404, 'allowed, but no such endpoint');
      assert.equal(await call('GET', '/endpoints/ep/state', 'opcua.read'), 404);
      assert.equal(await call('GET', '/certificates', 'opcua.read'), 200);
      assert.equal(await call('POST', '/certificates/trusted', 'opcua.read', { thumbprint: thumb }), 403, 'a viewer cannot trust');
      assert.equal(await call('POST', '/certificates/trusted', 'opcua.write', { thumbprint: thumb }), 404, 'allowed, but nothing to trust');
      assert.equal(await call('DELETE', `/certificates/trusted/${thumb}`, 'opcua.read'), 403);
      assert.equal(await call('DELETE', `/certificates/trusted/${thumb}`, 'opcua.write'), 404);
      assert.equal(asked.length, 3, asked.join('\n'));
      assert.ok(asked.every((a) => (a.startsWith('GET') ? a.endsWith('opcua.read') : a.endsWith('opcua.write'))), asked.join('\n'));
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
