/**
 * A real node-opcua server for the OPC UA tests, on 127.0.0.1 and a free port, with a small plant in
 * namespace 1 (`urn:factoryhub:test-server`): typed variables the test can read, write and watch, a
 * counter changing every 100 ms, arrays, an analog item with an EURange, a derived DataType, a folder of
 * 150 variables for browse limits, and faults to switch on (drop every session, drop every
 * subscription without telling the client).
 */
import net from 'node:net';
import path from 'node:path';
import { OPCUAServer } from 'node-opcua-server';
import type { ServerSession } from 'node-opcua-server';
import { DataType, DataValue, MessageSecurityMode, SecurityPolicy, StatusCodes, Variant, VariantArrayType } from 'node-opcua-client';
import type { StatusCode } from 'node-opcua-client';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { SERVER_URI, serverPkiCopy, testPki } from './opcua-pki';
import { tempDir } from './hub-process';

/** Namespace 1 of the test server (its application URI). */
export const TEST_NAMESPACE = SERVER_URI;
/** The source timestamp of ns=1;s=Fixed: tests check it arrives unchanged. */
export const FIXED_SOURCE_TIME = Date.UTC(2020, 0, 2, 3, 4, 5, 678);

export interface TestServerOptions {
  readonly port?: number;
  readonly maxSessions?: number;
  /** Users and passwords; empty = no user name logins. */
  readonly users?: Readonly<Record<string, string>>;
  readonly allowAnonymous?: boolean;
  /** Security offered (default: everything we support). */
  readonly security?: readonly { mode: 'None' | 'Sign' | 'SignAndEncrypt'; policy: 'None' | 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep' | 'Aes256_Sha256_RsaPss' }[];
  /** False: a server that does not trust unknown client certificates (the hub's included). Default true. */
  readonly trustClients?: boolean;
}

export interface TestServer {
  readonly port: number;
  readonly url: string;
  readonly server: OPCUAServer;
  /** Every accepted write, oldest first. */
  readonly writes: { nodeId: string; value: unknown }[];
  /** Current values of the writable variables by identifier (`Int32`, `Double`, ...). */
  readonly values: Map<string, unknown>;
  sessionCount(): number;
  subscriptionCount(): number;
  /** Per session: `<mode>/<policy> <user>` as the server sees it, e.g. `SignAndEncrypt/Basic256Sha256 operator`. */
  sessionDetails(): string[];
  /** Sets a value as the device would (source side); monitored items see the change. */
  set(id: string, value: unknown): void;
  /** Closes every session server-side (a server that lost its session table), keeping TCP up. */
  dropSessions(): void;
  /** Deletes every subscription server-side without telling the client (a server that stopped publishing). */
  dropSubscriptions(): number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

interface Scalar {
  readonly id: string;
  readonly dataType: DataType;
  readonly initial: unknown;
  readonly typeName?: string;
  readonly array?: boolean;
  readonly readOnly?: boolean;
}

const VARIABLES: readonly Scalar[] = [
  { id: 'Int32', dataType: DataType.Int32, initial: 42 },
  { id: 'UInt16', dataType: DataType.UInt16, initial: 7 },
  { id: 'Int64', dataType: DataType.Int64, initial: [0, 5] },
  { id: 'Float', dataType: DataType.Float, initial: 1.25 },
  { id: 'Double', dataType: DataType.Double, initial: 3.5 },
  { id: 'Boolean', dataType: DataType.Boolean, initial: true },
  { id: 'String', dataType: DataType.String, initial: 'hello' },
  { id: 'Duration', dataType: DataType.Double, typeName: 'Duration', initial: 1500 },
  { id: 'Int32Array', dataType: DataType.Int32, initial: [1, 2, 3], array: true },
  { id: 'DoubleArray', dataType: DataType.Double, initial: [0.5, 1.5], array: true },
  { id: 'ReadOnly', dataType: DataType.Double, initial: 9.75, readOnly: true },
];

const MODES: Record<string, MessageSecurityMode> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
};

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const pki = await testPki();
  const port = options.port ?? (await freePort());
  const storeDir = await serverPkiCopy(path.join(tempDir('opcua-server'), 'pki'));
  // The test server trusts any client unless told not to: mostly what is under test is the hub's side of trust.
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: storeDir,
    automaticallyAcceptUnknownCertificate: options.trustClients ?? true,
    disableFileWatchers: true,
  });
  const userCertificateManager = new OPCUACertificateManager({ rootFolder: path.join(storeDir, 'users'), automaticallyAcceptUnknownCertificate: true, disableFileWatchers: true });
  await serverCertificateManager.initialize();
  await userCertificateManager.initialize();
  const security = options.security ?? [
    { mode: 'None', policy: 'None' },
    { mode: 'Sign', policy: 'Basic256Sha256' },
    { mode: 'SignAndEncrypt', policy: 'Basic256Sha256' },
    { mode: 'SignAndEncrypt', policy: 'Aes128_Sha256_RsaOaep' },
    { mode: 'SignAndEncrypt', policy: 'Aes256_Sha256_RsaPss' },
  ];
  const users = options.users ?? {};
  const server = new OPCUAServer({
    port,
    hostname: '127.0.0.1',
    serverCertificateManager,
    userCertificateManager,
    certificateFile: pki.serverCertificate,
    privateKeyFile: path.join(storeDir, 'own', 'private', 'private_key.pem'),
    serverInfo: { applicationUri: SERVER_URI, productUri: 'factoryhub-test-server', applicationName: { text: 'Factory Hub test server' } },
    securityModes: [...new Set(security.map((s) => MODES[s.mode]))],
    securityPolicies: [...new Set(security.map((s) => SecurityPolicy[s.policy]))],
    allowAnonymous: options.allowAnonymous ?? true,
    userManager: { isValidUser: (user: string, password: string) => users[user] !== undefined && users[user] === password },
    serverCapabilities: { maxSessions: options.maxSessions ?? 50 },
    disableDiscovery: true,
  });
  await server.initialize();

  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('no address space');
  const ns = addressSpace.getOwnNamespace();
  const objects = addressSpace.rootFolder.objects;
  const plant = ns.addFolder(objects, { browseName: 'Plant', nodeId: 's=Plant' });
  const writes: TestServer['writes'] = [];
  const values = new Map<string, unknown>();

  const variant = (v: Scalar, value: unknown): Variant =>
    new Variant({ dataType: v.dataType, arrayType: v.array ? VariantArrayType.Array : VariantArrayType.Scalar, value });
  for (const v of VARIABLES) {
    values.set(v.id, v.initial);
    ns.addVariable({
      organizedBy: plant,
      browseName: v.id,
      nodeId: `s=${v.id}`,
      dataType: v.typeName ?? DataType[v.dataType],
      valueRank: v.array ? 1 : -1,
      ...(v.array ? { arrayDimensions: [0] } : {}),
      accessLevel: v.readOnly ? 'CurrentRead' : 'CurrentRead | CurrentWrite',
      userAccessLevel: v.readOnly ? 'CurrentRead' : 'CurrentRead | CurrentWrite',
      minimumSamplingInterval: 50,
      value: {
        get: () => variant(v, values.get(v.id)),
        set: (value: Variant): StatusCode => {
          const js: unknown = ArrayBuffer.isView(value.value) ? Array.from(value.value as unknown as ArrayLike<number>) : value.value;
          values.set(v.id, js);
          writes.push({ nodeId: `ns=1;s=${v.id}`, value: js });
          return StatusCodes.Good;
        },
      },
    });
  }

  // Exception-based: every change is pushed to the monitored items at once.
  const counter = ns.addVariable({ organizedBy: plant, browseName: 'Counter', nodeId: 's=Counter', dataType: 'Int32', minimumSamplingInterval: 0 });
  let count = 0;
  counter.setValueFromSource(new Variant({ dataType: DataType.Int32, value: count }));
  const ticker = setInterval(() => counter.setValueFromSource(new Variant({ dataType: DataType.Int32, value: ++count })), 100);

  ns.addVariable({
    organizedBy: plant,
    browseName: 'Fixed',
    nodeId: 's=Fixed',
    dataType: 'Double',
    minimumSamplingInterval: 50,
    value: {
      timestamped_get: () =>
        new DataValue({ value: new Variant({ dataType: DataType.Double, value: 12.5 }), sourceTimestamp: new Date(FIXED_SOURCE_TIME), statusCode: StatusCodes.Good }),
    },
  });

  values.set('Level', 50);
  ns.addAnalogDataItem({
    organizedBy: plant,
    browseName: 'Level',
    nodeId: 's=Level',
    dataType: 'Double',
    engineeringUnitsRange: { low: 0, high: 200 },
    minimumSamplingInterval: 50,
    accessLevel: 'CurrentRead | CurrentWrite',
    userAccessLevel: 'CurrentRead | CurrentWrite',
    value: {
      get: () => new Variant({ dataType: DataType.Double, value: values.get('Level') }),
      set: (value: Variant): StatusCode => {
        values.set('Level', value.value);
        writes.push({ nodeId: 'ns=1;s=Level', value: value.value });
        return StatusCodes.Good;
      },
    },
  });

  const line = ns.addFolder(plant, { browseName: 'Line1', nodeId: 's=Line1' });
  const filler = ns.addObject({ organizedBy: line, browseName: 'Filler', nodeId: 's=Line1.Filler' });
  ns.addVariable({ componentOf: filler, browseName: 'Speed', nodeId: 's=Line1.Filler.Speed', dataType: 'Double', value: { dataType: DataType.Double, value: 120 } });
  ns.addVariable({ componentOf: filler, browseName: 'State', nodeId: 's=Line1.Filler.State', dataType: 'UInt32', value: { dataType: DataType.UInt32, value: 3 } });
  const many = ns.addFolder(plant, { browseName: 'Many', nodeId: 's=Many' });
  for (let i = 0; i < 150; i++) {
    const id = `Item${String(i).padStart(3, '0')}`;
    ns.addVariable({ organizedBy: many, browseName: id, nodeId: `s=Many.${id}`, dataType: 'Double', value: { dataType: DataType.Double, value: i } });
  }

  await server.start();
  const sessions = (): ServerSession[] => Object.values((server.engine as unknown as { _sessions: Record<string, ServerSession> })._sessions);
  let stopped = false;
  return {
    port,
    url: `opc.tcp://127.0.0.1:${port}`,
    server,
    writes,
    values,
    sessionCount: () => server.currentSessionCount,
    subscriptionCount: () => server.currentSubscriptionCount,
    sessionDetails: () =>
      sessions().map((s) => {
        const mode = s.channel ? MessageSecurityMode[s.channel.securityMode] : '?';
        const policy = s.channel ? String(s.channel.securityPolicy).split('#')[1] : '?';
        const token = s.userIdentityToken as { userName?: string; constructor: { name: string } } | undefined;
        return `${mode}/${policy} ${token?.userName ?? token?.constructor.name ?? 'none'}`;
      }),
    set: (id, value) => {
      values.set(id, value);
    },
    dropSessions: () => {
      for (const s of sessions()) server.engine.closeSession(s.authenticationToken, true, 'Forcing');
    },
    dropSubscriptions: () => {
      let n = 0;
      for (const s of sessions()) {
        for (const sub of [...s.publishEngine.subscriptions]) {
          s.deleteSubscription(sub.id);
          n++;
        }
      }
      return n;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      clearInterval(ticker);
      await server.shutdown(0);
      await serverCertificateManager.dispose();
      await userCertificateManager.dispose();
    },
  };
}
