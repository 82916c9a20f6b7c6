/**
 * Trust in the other direction, against a real node-opcua server whose trust list does not hold the
 * hub's certificate: the refusal is reported by its status name (BadSecurityChecksFailed, or
 * BadCertificateUntrusted as other servers send it) with what the server's administrator must do, in
 * the status and the error; the hub's own certificate is offered through the admin routes (what it
 * says, DER and PEM); a certificate that runs out within 30 days turns the connected status yellow.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { TestFlows } from 'node-red-node-test-helper';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { ServiceFault, StatusCodes } from 'node-opcua-client';
import { SERVER_ADMIN_ACTION } from '../../nodes/opcua/faults';
import type { OpcUaEndpointNode } from '../../nodes/opcua/opcua-endpoint';
import { startTestServer } from '../support/opcua-server';
import type { TestServer } from '../support/opcua-server';
import { testPki } from '../support/opcua-pki';
import type { FlowNode } from '../support/opcua-flows';
import { OPCUA_NODES, endpoint, exchange, statusOf, statusShown, useFreshOpcuaUserDir } from '../support/opcua-flows';

function flow(url: string, ep: Record<string, unknown> = {}): TestFlows {
  const nodes: FlowNode[] = [
    { id: 'tab', type: 'tab' },
    endpoint('ep', url, ep),
    { id: 'write', type: 'fh-opcua-write', z: 'tab', endpoint: 'ep', tagMap: '', prefix: '', wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab' },
  ];
  return nodes;
}

const SIGNED = { securityMode: 'Sign', securityPolicy: 'Basic256Sha256' };

/** The test server's certificate on the hub's trust list, so that only the other direction fails. */
async function trustServer(userDir: string): Promise<void> {
  const pki = await testPki();
  const dir = path.join(userDir, 'opcua', 'pki', 'trusted', 'certs');
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(pki.serverCertificate, path.join(dir, 'test-server.pem'));
}

function hubCertificateFile(userDir: string): string {
  return path.join(userDir, 'opcua', 'pki', 'own', 'certs', 'client_certificate.pem');
}

function thumbprintOf(file: string): string {
  return new X509Certificate(fs.readFileSync(file)).fingerprint.replace(/:/g, '').toLowerCase();
}

describe('OPC UA trust both ways against a real server', function () {
  this.timeout(60000);
  const dir = useFreshOpcuaUserDir('opcua-trust');

  describe('a server whose trust list does not hold the hub certificate', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ trustClients: false });
    });
    after(async () => {
      await server.stop();
    });

    it('names BadSecurityChecksFailed and says what the server admin must do, in the status and the error', async () => {
      await trustServer(dir());
      await helper.load(OPCUA_NODES, flow(server.url, SIGNED));
      const thumbprint = thumbprintOf(hubCertificateFile(dir()));
      const status = await statusShown(helper.getNode('write'), /^error: BadSecurityChecksFailed/, 10000);
      assert.match(status, /^error: BadSecurityChecksFailed: the server's admin must trust the hub's certificate \([0-9a-f]{8}…\)/);
      assert.equal(statusOf(helper.getNode('write')).fill, 'red');
      const r = await exchange(helper.getNode('write'), helper.getNode('out'), { nodeId: 'ns=1;s=Int32', payload: 1 });
      assert.ok(r.error?.includes(SERVER_ADMIN_ACTION), `the error says what to do: ${String(r.error)}`);
      assert.ok(r.error?.includes(`thumbprint ${thumbprint}`), String(r.error));
      assert.equal(server.sessionCount(), 0);
    });

    it('names BadCertificateUntrusted when a server answers with that status', async () => {
      // node-opcua refuses in its (encrypted) OpenSecureChannel answer with BadSecurityChecksFailed; other
      // servers check the client certificate in CreateSession and answer BadCertificateUntrusted, as here.
      const engine = server.server as unknown as Record<string, unknown>;
      engine._on_CreateSessionRequest = (message: unknown, channel: { send_response(type: string, response: unknown, message: unknown): void }): void => {
        channel.send_response('MSG', new ServiceFault({ responseHeader: { serviceResult: StatusCodes.BadCertificateUntrusted } }), message);
      };
      try {
        await helper.load(OPCUA_NODES, flow(server.url));
        const status = await statusShown(helper.getNode('write'), /^error: BadCertificateUntrusted/, 10000);
        assert.match(status, /^error: BadCertificateUntrusted: the server's admin must trust the hub's certificate \([0-9a-f]{8}…\)/);
        const r = await exchange(helper.getNode('write'), helper.getNode('out'), { nodeId: 'ns=1;s=Int32', payload: 1 });
        assert.match(r.error ?? '', /BadCertificateUntrusted: the server's admin must trust the hub's certificate/);
        assert.ok(r.error?.includes(SERVER_ADMIN_ACTION), String(r.error));
      } finally {
        delete engine._on_CreateSessionRequest;
      }
    });
  });

  describe("the hub's own certificate", () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer();
    });
    after(async () => {
      await server.stop();
    });

    it('is offered with what it says and as DER and PEM files', async () => {
      await helper.load(OPCUA_NODES, flow(server.url));
      const file = hubCertificateFile(dir());
      const cert = new X509Certificate(fs.readFileSync(file));
      const info = (await helper.request().get('/factoryhub/opcua/certificates/own').expect(200)).body as Record<string, unknown>;
      assert.equal(info.thumbprint, thumbprintOf(file));
      assert.equal(info.subject, cert.subject.replace(/\n/g, ', '));
      assert.match(String(info.applicationUri), /^urn:.+:FactoryHub$/);
      assert.equal(info.validTo, new Date(cert.validTo).toISOString());
      assert.ok(Number(info.daysLeft) > 30, String(info.daysLeft));
      assert.equal(info.warning, undefined);
      assert.equal(info.serverAdminAction, SERVER_ADMIN_ACTION);
      assert.equal(info.pem, undefined, 'the JSON carries no file');
      const der = await helper.request().get('/factoryhub/opcua/certificates/own.der').buffer(true).responseType('blob').expect(200).expect('Content-Type', /application\/pkix-cert/);
      assert.deepEqual(Buffer.from(der.body as Buffer), cert.raw, 'the DER is the certificate');
      assert.match(String(der.headers['content-disposition']), /attachment; filename="factory-hub-[0-9a-f]{8}\.der"/);
      const pem = await helper.request().get('/factoryhub/opcua/certificates/own.pem').buffer(true).responseType('blob').expect(200);
      assert.deepEqual(new X509Certificate(Buffer.from(pem.body as Buffer)).raw, cert.raw, 'the PEM is the certificate');
    });

    it('warns in the status of connected nodes once it runs out within 30 days', async () => {
      // A hub certificate valid for 10 more days, made with the hub's key as the product makes its own.
      const pki = path.join(dir(), 'opcua', 'pki');
      const file = hubCertificateFile(dir());
      const uri = /URI:([^,\s]+)/.exec(new X509Certificate(fs.readFileSync(file)).subjectAltName ?? '')?.[1] ?? 'urn:test:FactoryHub';
      fs.rmSync(file);
      const manager = new OPCUACertificateManager({ rootFolder: pki, automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true });
      await manager.initialize();
      await manager.createSelfSignedCertificate({ applicationUri: uri, subject: '/CN=Factory Hub@test/O=Factory Hub', dns: ['localhost'], startDate: new Date(Date.now() - 86_400_000), validity: 11, outputFile: file });
      await manager.dispose();

      await helper.load(OPCUA_NODES, flow(server.url));
      await (helper.getNode('ep') as unknown as OpcUaEndpointNode).session().whenConnected(10000);
      const status = await statusShown(helper.getNode('write'), /certificate expires/, 10000);
      assert.match(status, /^connected: by NodeId; the hub's certificate expires in 9 days: renew it$/);
      assert.equal(statusOf(helper.getNode('write')).fill, 'yellow');
      const info = (await helper.request().get('/factoryhub/opcua/certificates/own').expect(200)).body as Record<string, unknown>;
      assert.equal(info.daysLeft, 9);
      assert.equal(info.warning, "the hub's certificate expires in 9 days: renew it");
    });
  });
});
