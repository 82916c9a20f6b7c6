/**
 * Child process of the OPC UA benchmark: one node-opcua server (the repo's node-opcua-server, not the
 * peer's older copy in bench/node_modules) on 127.0.0.1 and a free port, security None, anonymous,
 * holding N Double variables (layout.ts) that change at a set total rate, spread evenly over time:
 * every TICK_MS the variables due since the last tick change, round robin, so at R changes/s each of
 * the N variables changes R/N times a second.
 *
 * The variables have MinimumSamplingInterval 0 and the server claims MinSupportedSampleRate 0, so an
 * item monitored with sampling interval 0 is exception-based and is told every change (no sampling
 * timer that could alias two changes into one, no coalescing window).
 *
 * IPC with the parent:
 *   -> { type: 'ready', port }
 *   <- { type: 'rate', id, rate }     -> { type: 'ack', id }
 *   <- { type: 'stats', id }          -> ServerStats
 *   <- { type: 'stop' }               shuts down and exits; so does a lost parent.
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as CertificateManagerModule from 'node-opcua-certificate-manager';
import type * as ClientModule from 'node-opcua-client';
import type * as ServerModule from 'node-opcua-server';
import type { ServerSession } from 'node-opcua-server';
import { MAX_VARIABLES, REPO_ROOT, SERVER_URI, WORK_DIR, encode } from './layout';

const repoRequire = createRequire(path.join(REPO_ROOT, 'package.json'));
const { OPCUAServer } = repoRequire('node-opcua-server') as typeof ServerModule;
const { DataType, MessageSecurityMode, SecurityPolicy, StatusCodes, Variant } = repoRequire('node-opcua-client') as typeof ClientModule;
const { OPCUACertificateManager } = repoRequire('node-opcua-certificate-manager') as typeof CertificateManagerModule;

const TICK_MS = 10;

export interface ServerReady {
  readonly type: 'ready';
  readonly port: number;
  readonly variables: number;
  readonly version: string;
}

export interface ServerStats {
  readonly type: 'stats';
  readonly id: number;
  /** performance.now() of the server when sampled. */
  readonly at: number;
  /** Changes made since start (cumulative). */
  readonly produced: number;
  /** Changes the schedule asked for that the server could not make in time (it was too busy). */
  readonly missed: number;
  /** CPU of the server process, µs, cumulative. */
  readonly user: number;
  readonly system: number;
  /** Event loop busy time, ms, cumulative. */
  readonly busyMs: number;
  readonly sessions: number;
  readonly monitoredItems: number;
  /** Data change notifications sent, and monitored item queue overflows, over the live subscriptions. */
  readonly notificationsSent: number;
  /** Publish responses that carried notifications (a client asking few per response needs many). */
  readonly responses: number;
  readonly queueOverflows: number;
}

export type ServerCommand = { readonly type: 'rate'; readonly id: number; readonly rate: number } | { readonly type: 'stats'; readonly id: number } | { readonly type: 'stop' };

export type ServerMessage = ServerReady | ServerStats | { readonly type: 'ack'; readonly id: number };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function main(): Promise<void> {
  const count = Number(process.argv[2]);
  const initialRate = Number(process.argv[3]);
  if (!Number.isInteger(count) || count < 1 || count > MAX_VARIABLES) throw new Error(`variables must be 1..${MAX_VARIABLES}, not ${process.argv[2]}`);

  // (Not a literal: the types may come from the peer's older copy in bench/node_modules.)
  const pkiOptions = { rootFolder: path.join(WORK_DIR, 'server-pki'), automaticallyAcceptUnknownCertificate: true, disableFileWatchers: true };
  const certificateManager = new OPCUACertificateManager(pkiOptions);
  await certificateManager.initialize();
  const port = await freePort();
  const server = new OPCUAServer({
    port,
    hostname: '127.0.0.1',
    serverCertificateManager: certificateManager,
    serverInfo: { applicationUri: SERVER_URI, productUri: 'factoryhub-bench-opcua', applicationName: { text: 'Factory Hub OPC UA bench server' } },
    securityModes: [MessageSecurityMode.None],
    securityPolicies: [SecurityPolicy.None],
    allowAnonymous: true,
    // 0: items sampled at 0 on variables with MinimumSamplingInterval 0 get every change.
    serverCapabilities: { maxSessions: 10, minSupportedSampleRate: 0 },
    disableDiscovery: true,
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('no address space');
  const ns = addressSpace.getOwnNamespace();
  const folder = ns.addFolder(addressSpace.rootFolder.objects, { browseName: 'Bench', nodeId: 's=Bench' });
  const variables: ReturnType<typeof ns.addVariable>[] = [];
  const seq = new Float64Array(count);
  const start = new Date();
  for (let i = 0; i < count; i++) {
    const v = ns.addVariable({
      organizedBy: folder,
      browseName: `V${String(i).padStart(5, '0')}`,
      nodeId: `s=Bench.V${String(i).padStart(5, '0')}`,
      dataType: 'Double',
      minimumSamplingInterval: 0,
    });
    v.setValueFromSource(new Variant({ dataType: DataType.Double, value: encode(0, i) }), StatusCodes.Good, start);
    variables.push(v);
  }
  await server.start();

  // ------------------------------------------------------------------------- the change schedule
  let rate = initialRate;
  let produced = 0;
  let missed = 0;
  let cursor = 0;
  /** Changes due = base + rate * (now - since) / 1000. */
  let base = 0;
  let since = performance.now();
  const tick = (): void => {
    if (rate <= 0) return;
    const now = performance.now();
    let due = base + Math.floor((rate * (now - since)) / 1000) - produced;
    // More than 100 ms behind: the server cannot keep this rate; count what it skips, do not burst.
    const cap = Math.ceil(rate / 10);
    if (due > cap) {
      missed += due - cap;
      base -= due - cap;
      due = cap;
    }
    if (due <= 0) return;
    const when = new Date();
    for (let k = 0; k < due; k++) {
      const i = cursor;
      cursor = cursor + 1 === count ? 0 : cursor + 1;
      seq[i]++;
      variables[i].setValueFromSource(new Variant({ dataType: DataType.Double, value: encode(seq[i], i) }), StatusCodes.Good, when);
    }
    produced += due;
  };
  const timer = setInterval(tick, TICK_MS);
  const setRate = (r: number): void => {
    tick();
    rate = r;
    base = produced;
    since = performance.now();
  };

  const sessions = (): ServerSession[] => Object.values((server.engine as unknown as { _sessions: Record<string, ServerSession> })._sessions);
  const elu0 = performance.eventLoopUtilization();
  const stats = (id: number): ServerStats => {
    let monitoredItems = 0;
    let notificationsSent = 0;
    let queueOverflows = 0;
    let responses = 0;
    const list = sessions();
    for (const s of list) {
      for (const sub of s.publishEngine.subscriptions) {
        monitoredItems += sub.monitoredItemCount;
        notificationsSent += sub.subscriptionDiagnostics.dataChangeNotificationsCount;
        queueOverflows += sub.subscriptionDiagnostics.monitoringQueueOverflowCount;
        responses += sub.subscriptionDiagnostics.publishRequestCount;
      }
    }
    const cpu = process.cpuUsage();
    const elu = performance.eventLoopUtilization(elu0);
    return {
      type: 'stats',
      id,
      at: performance.now(),
      produced,
      missed,
      user: cpu.user,
      system: cpu.system,
      busyMs: elu.active,
      sessions: list.length,
      monitoredItems,
      notificationsSent,
      responses,
      queueOverflows,
    };
  };

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    const force = setTimeout(() => process.exit(0), 5000);
    void server
      .shutdown(0)
      .then(() => certificateManager.dispose())
      .finally(() => {
        clearTimeout(force);
        process.exit(0);
      });
  };
  const send = (m: ServerMessage): void => void process.send?.(m);
  process.on('message', (m: ServerCommand) => {
    if (m.type === 'stop') stop();
    else if (m.type === 'rate') {
      setRate(m.rate);
      send({ type: 'ack', id: m.id });
    } else if (m.type === 'stats') send(stats(m.id));
  });
  process.on('disconnect', stop);
  const version = (repoRequire('node-opcua-server/package.json') as { version: string }).version;
  send({ type: 'ready', port, variables: count, version });
}

main().catch((err: unknown) => {
  console.error('bench server:', err);
  process.exit(1);
});
