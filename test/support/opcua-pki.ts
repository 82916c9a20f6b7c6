/**
 * Certificates for the OPC UA tests, made once and reused (key and certificate generation is the slow
 * part of a secured test): `.tmp/opcua-test-pki/` holds the test server's store, a hub client store
 * and an X.509 user. Delete the folder to make new ones. Each test copies what it needs into its own
 * folders, so trust decisions never leak from one test to another.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { CertificateStore } from '../../nodes/opcua/pki';
import { repoRoot } from './hub-process';

export const TEST_PKI = path.join(repoRoot, '.tmp', 'opcua-test-pki');
export const SERVER_URI = 'urn:factoryhub:test-server';

export interface TestPki {
  /** Server store root (own/ holds its certificate and key). */
  readonly server: string;
  readonly serverCertificate: string;
  /** A hub PKI store with its application certificate already made. */
  readonly client: string;
  readonly userCertificate: string;
  readonly userPrivateKey: string;
}

function layout(root: string): TestPki {
  return {
    server: path.join(root, 'server'),
    serverCertificate: path.join(root, 'server', 'own', 'certs', 'certificate.pem'),
    client: path.join(root, 'client'),
    userCertificate: path.join(root, 'user', 'own', 'certs', 'user.pem'),
    userPrivateKey: path.join(root, 'user', 'own', 'private', 'private_key.pem'),
  };
}

async function generate(root: string): Promise<void> {
  const pki = layout(root);
  const server = new OPCUACertificateManager({ rootFolder: pki.server, automaticallyAcceptUnknownCertificate: true, disableFileWatchers: true });
  await server.initialize();
  await server.createSelfSignedCertificate({
    applicationUri: SERVER_URI,
    subject: '/CN=Factory Hub test server',
    dns: [...new Set(['localhost', os.hostname()])],
    ip: ['127.0.0.1'],
    startDate: new Date(Date.now() - 86_400_000),
    validity: 3650,
    outputFile: pki.serverCertificate,
  });
  await server.dispose();

  // The hub's own store, made by the product's code path (first use).
  const client = new CertificateStore(pki.client);
  await client.open();
  await client.dispose();

  const user = new OPCUACertificateManager({ rootFolder: path.join(root, 'user'), automaticallyAcceptUnknownCertificate: true, disableFileWatchers: true });
  await user.initialize();
  await user.createSelfSignedCertificate({
    applicationUri: 'urn:factoryhub:test-user',
    subject: '/CN=line1-operator',
    dns: [],
    startDate: new Date(Date.now() - 86_400_000),
    validity: 3650,
    outputFile: pki.userCertificate,
  });
  await user.dispose();
}

let ready: Promise<TestPki> | undefined;

/** The shared test PKI, generated on first use (in a temporary folder renamed into place atomically). */
export function testPki(): Promise<TestPki> {
  ready ??= (async () => {
    const pki = layout(TEST_PKI);
    if (fs.existsSync(pki.userPrivateKey)) return pki;
    const tmp = `${TEST_PKI}-${process.pid}-${Date.now()}`;
    await generate(tmp);
    try {
      fs.renameSync(tmp, TEST_PKI);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true }); // another run made it first
    }
    return pki;
  })();
  return ready;
}

/** A copy of the hub client store (own certificate and key only) at `<userDir>/opcua/pki`. */
export async function seedClientPki(userDir: string): Promise<string> {
  const pki = await testPki();
  const target = path.join(userDir, 'opcua', 'pki');
  fs.mkdirSync(target, { recursive: true });
  fs.cpSync(path.join(pki.client, 'own'), path.join(target, 'own'), { recursive: true });
  return target;
}

/** Copies the server store's own/ to a fresh folder (its trust lists start empty). */
export async function serverPkiCopy(dir: string): Promise<string> {
  const pki = await testPki();
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(path.join(pki.server, 'own'), path.join(dir, 'own'), { recursive: true });
  return dir;
}
