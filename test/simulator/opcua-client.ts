/**
 * A plain node-opcua client for the simulator tests (SecurityMode None, anonymous), with the shared test
 * client certificate so that no key is generated per test, and the shared simulator server store.
 */
import path from 'node:path';
import { MessageSecurityMode, OPCUAClient, SecurityPolicy } from 'node-opcua-client';
import type { ClientSession } from 'node-opcua-client';
import { CertificateStore } from '../../nodes/opcua/pki';
import { repoRoot, tempDir } from '../support/hub-process';
import { seedClientPki } from '../support/opcua-pki';

/** The simulator server's certificate store in tests: made on the first run, reused after; one per parallel
 * test job (scripts/test.js), as two jobs making the same server certificate at once would race. */
export const SIMULATOR_TEST_PKI = path.join(repoRoot, '.tmp', `simulator-opcua-pki${process.env.TEST_JOB ? `-${process.env.TEST_JOB}` : ''}`);

export interface TestClient {
  readonly client: OPCUAClient;
  readonly session: ClientSession;
  close(): Promise<void>;
}

export async function connectClient(url: string): Promise<TestClient> {
  const store = new CertificateStore(await seedClientPki(tempDir('simulator-opcua-client')));
  await store.open();
  const client = OPCUAClient.create({
    applicationName: 'simulator-test',
    applicationUri: store.applicationUri(),
    clientCertificateManager: store.manager,
    certificateFile: store.certificateFile,
    privateKeyFile: store.privateKeyFile,
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
  });
  await client.connect(url);
  const session = await client.createSession();
  return {
    client,
    session,
    close: async () => {
      await session.close().catch(() => undefined);
      await client.disconnect();
      await store.manager.dispose();
    },
  };
}
