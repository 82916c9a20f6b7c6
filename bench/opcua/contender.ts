/**
 * Child process of the OPC UA benchmark: ONE contender subscribed to every variable of the bench
 * server, in a real Node-RED runtime (node-red-node-test-helper), counting the value changes that
 * reach a node wired to its output:
 *
 *   ours  fh-opcua-endpoint + fh-opcua-subscribe driven by a tag map of one row per variable
 *   peer  node-red-contrib-opcua: OpcUa-Endpoint + OpcUa-Client (action subscribe), given the list
 *         of NodeIds in one message (topic "multiple", payload [{nodeId, datatype}]) as its help says
 *   bare  no Node-RED: one node-opcua-client subscription with the same items, counting in its
 *         'changed' callback (what the library and the server can do on this machine)
 *
 * Every value names its variable and counts its changes (layout.ts): the counting node checks that
 * each message carries the value of the tag it is about and counts the changes it never saw.
 *
 * IPC: parent -> { type: 'mark', id } | { type: 'stop' };
 *      child  -> 'monitored' once every item has delivered its first value, 'snapshot' per mark,
 *                'done' after stopping (with what was left open), or 'fail'.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as CertificateManagerModule from 'node-opcua-certificate-manager';
import type * as ClientModule from 'node-opcua-client';
import helper from 'node-red-node-test-helper';
import type { TestFlows, TestNodeInitializer } from 'node-red-node-test-helper';
import type { Node, NodeInitializer } from 'node-red';
import type * as PkiModule from '../../nodes/opcua/pki';
import { REPO_ROOT, decode, nodeIdOf, tagNameOf } from './layout';

export type ContenderKind = 'ours' | 'peer' | 'bare';

export interface ContenderConfig {
  readonly url: string;
  readonly variables: number;
  /** Sampling interval asked of the server (ms; 0 = every change, exception-based). */
  readonly samplingMs: number;
  /** Publishing interval: the peer derives it from its one time setting; ours is set to the same. */
  readonly publishingMs: number;
  /** Queue size of our items (the peer's "multiple" subscription always asks for 1). */
  readonly oursQueue: number;
  readonly oursOutput: 'each' | 'batch';
  /** bench/ (node-red-contrib-opcua is in its node_modules). */
  readonly peerDir: string;
  /** Our nodes compiled as tsc compiles them (see ../modbus/compile.ts). */
  readonly nodesDir: string;
  /** Where user directories and certificates are kept between runs. */
  readonly workDir: string;
  readonly monitorTimeoutMs: number;
}

/** Cumulative counters at one instant; the parent subtracts two of them. */
export interface Snapshot {
  readonly type: 'snapshot';
  readonly id: number;
  readonly at: number;
  /** Values delivered into the flow (a batch message counts each value). */
  readonly delivered: number;
  readonly messages: number;
  /** Changes never delivered: skipped counters. */
  readonly lost: number;
  /** Values older than one already delivered for the same item (out of order or repeated). */
  readonly stale: number;
  /** Values whose index does not match the tag/NodeId of the message. */
  readonly misrouted: number;
  /** Values whose status was not good. */
  readonly notGood: number;
  readonly cpuUser: number;
  readonly cpuSystem: number;
  /** Event loop busy time (ms, cumulative). */
  readonly busyMs: number;
  readonly rssMb: number;
  readonly heapUsedMb: number;
  /** Latency (delivery time - source timestamp) of the values since the previous mark. */
  readonly latency: { readonly p50: number; readonly p99: number; readonly max: number; readonly n: number };
}

export interface Monitored {
  readonly type: 'monitored';
  /** From the deploy (flow handed to the running runtime) until every item delivered its first value. */
  readonly ms: number;
  /** Until the deploy returned (nodes constructed) and, for the peer, its subscribe message was sent. */
  readonly deployMs: number;
  readonly verified: number;
  readonly version: string;
}

export type ContenderMessage =
  | Monitored
  | Snapshot
  | { readonly type: 'done'; readonly notes: readonly string[] }
  | { readonly type: 'fail'; readonly error: string };

export type ContenderCommand = { readonly type: 'mark'; readonly id: number } | { readonly type: 'stop' };

const send = (m: ContenderMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(m, undefined, undefined, () => resolve());
  });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `work`, or `fallback()` after `ms` (the timer is cleared either way: it must not count as left open). */
function within<T>(work: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback()), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
const mb = (bytes: number): number => bytes / (1024 * 1024);

/** A CommonJS module without types of its own (typed by the caller), or one of our compiled nodes. */
function load<T>(file: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as T;
}

// ------------------------------------------------------------------------------------ counting

/** Latency histogram in 1 ms buckets up to 60 s (the last bucket holds anything slower). */
class Latency {
  private readonly buckets = new Uint32Array(60_001);
  private n = 0;
  private max = 0;

  add(ms: number): void {
    const b = ms <= 0 ? 0 : ms >= 60_000 ? 60_000 : Math.round(ms);
    this.buckets[b]++;
    this.n++;
    if (ms > this.max) this.max = ms;
  }

  /** Percentiles since the last call, then starts again. */
  take(): Snapshot['latency'] {
    const at = (q: number): number => {
      const want = Math.ceil(this.n * q);
      let acc = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        acc += this.buckets[i];
        if (acc >= want) return i;
      }
      return NaN;
    };
    const out = { p50: this.n ? at(0.5) : NaN, p99: this.n ? at(0.99) : NaN, max: this.n ? this.max : NaN, n: this.n };
    this.buckets.fill(0);
    this.n = 0;
    this.max = 0;
    return out;
  }
}

class Counter {
  delivered = 0;
  messages = 0;
  lost = 0;
  stale = 0;
  misrouted = 0;
  notGood = 0;
  seen = 0;
  readonly latency = new Latency();
  private readonly last: Float64Array;
  private allSeen: (() => void) | undefined;
  readonly allMonitored: Promise<void>;

  constructor(private readonly names: readonly string[]) {
    this.last = new Float64Array(names.length).fill(-1);
    this.allMonitored = new Promise((resolve) => (this.allSeen = resolve));
  }

  /** One value of the item named `name` (tag name or NodeId), its source time (ms) and whether it is good. */
  value(name: unknown, value: unknown, sourceMs: number, good: boolean, now: number): void {
    this.delivered++;
    const { seq, index } = decode(value);
    if (index < 0 || index >= this.names.length || this.names[index] !== name) {
      this.misrouted++;
      return;
    }
    if (!good) this.notGood++;
    const prev = this.last[index];
    if (prev < 0) {
      this.last[index] = seq;
      if (++this.seen === this.names.length) this.allSeen?.();
    } else if (seq > prev) {
      this.lost += seq - prev - 1;
      this.last[index] = seq;
    } else this.stale++;
    this.latency.add(now - sourceMs);
  }
}

// ------------------------------------------------------------------------------------- Node-RED

/**
 * node-red-node-test-helper wraps Node.prototype.send/status/log... in sinon spies that record every
 * call (and keep every message alive) for assertions. A benchmark must not pay for that: put the
 * runtime's own methods back once the flow is loaded (same for both contenders). A node copies
 * `send` from the prototype when its wires are set, so re-set the wires of each node too.
 */
function removeTestSpies(flow: readonly Record<string, unknown>[]): void {
  const h = helper as unknown as { _sandbox: { restore(): void }; _logSpy?: unknown };
  h._sandbox.restore();
  h._logSpy = undefined;
  for (const def of flow) {
    const n = helper.getNode(String(def.id)) as (Node & { wires?: unknown[][]; updateWires?: (wires: unknown[][]) => void }) | null;
    if (n?.updateWires && n.wires) n.updateWires(n.wires);
    const s = (n as { send?: { args?: unknown } } | null)?.send;
    if (s?.args !== undefined) throw new Error(`node ${String(def.id)}: send is still a test spy`);
  }
}

/** performance.now() when the flow was handed to the runtime: the deploy. */
let deployedAt = NaN;

async function deploy(nodes: TestNodeInitializer, flow: Record<string, unknown>[]): Promise<void> {
  await new Promise<void>((r) => helper.startServer(r));
  deployedAt = performance.now();
  await helper.load(nodes, flow as TestFlows);
  removeTestSpies(flow);
}

async function undeploy(): Promise<void> {
  await helper.unload();
  await new Promise<void>((r) => helper.stopServer(r));
}

interface InMsg {
  topic?: unknown;
  payload?: unknown;
  timestamp?: unknown;
  quality?: unknown;
  readings?: unknown;
}

function onInput(node: Node, listener: (msg: InMsg) => void): void {
  node.on('input', listener);
}

interface Setup {
  readonly names: string[];
  readonly version: string;
  /** Deploys the flow and wires the counter; resolves once deployed. */
  start(counter: Counter): Promise<void>;
  /** Ends it (default: undeploy the flow and stop the runtime). */
  stop?(): Promise<void>;
}

// ---------------------------------------------------------------------------------------- ours

function ours(cfg: ContenderConfig): Setup {
  const node = <T>(name: string): T => load<T>(path.join(cfg.nodesDir, name));
  const names = Array.from({ length: cfg.variables }, (_, i) => tagNameOf(i));
  const userDir = path.join(cfg.workDir, 'ours-user');
  return {
    names,
    version: load<{ version: string }>(path.resolve(__dirname, '..', '..', 'package.json')).version,
    start: async (counter) => {
      helper.init(require.resolve('node-red'), { userDir, uiPort: 0, uiHost: '127.0.0.1' });
      // The hub's application certificate is made on first use and kept: make it before timing.
      const { CertificateStore, pkiFolder } = node<typeof PkiModule>('opcua/pki');
      const store = new CertificateStore(pkiFolder(userDir));
      await store.open();
      await store.dispose();
      const initializers = ['opcua/opcua-endpoint', 'tags/tag-map', 'opcua/opcua-subscribe'].map((n) => node<{ default: NodeInitializer }>(n).default);
      const rows = names.map((name, i) => ({ name, address: nodeIdOf(i), dataType: 'float64' }));
      const flow: Record<string, unknown>[] = [
        { id: 'tab', type: 'tab' },
        { id: 'ep', type: 'fh-opcua-endpoint', name: 'bench', endpointUrl: cfg.url, securityMode: 'None', securityPolicy: 'None', authentication: 'anonymous', reconnectMax: 30 },
        { id: 'map', type: 'fh-tag-map', name: 'bench tags', rows },
        {
          id: 'sub',
          type: 'fh-opcua-subscribe',
          z: 'tab',
          endpoint: 'ep',
          tagMap: 'map',
          prefix: '',
          samplingInterval: cfg.samplingMs,
          publishingInterval: cfg.publishingMs,
          queueSize: cfg.oursQueue,
          deadbandType: 'none',
          deadband: 0,
          output: cfg.oursOutput,
          wires: [['count']],
        },
        { id: 'count', type: 'helper', z: 'tab' },
      ];
      await deploy(initializers, flow);
      onInput(helper.getNode('count'), (msg) => {
        counter.messages++;
        const now = Date.now();
        if (cfg.oursOutput === 'each') {
          counter.value(msg.topic, msg.payload, msg.timestamp as number, msg.quality === 'good', now);
          return;
        }
        const readings = msg.readings as Record<string, { value: unknown; quality: string; timestamp: number }>;
        for (const name in readings) {
          const r = readings[name];
          counter.value(name, r.value, r.timestamp, r.quality === 'good', now);
        }
      });
    },
  };
}

// ---------------------------------------------------------------------------------------- peer

/** The bits of node-opcua (the peer's own copy) used here. */
interface PeerOpcua {
  OPCUAClient: { create(options: Record<string, unknown>): { createDefaultCertificate(): Promise<void> } };
}
interface PeerDataValue {
  value: { value: unknown };
  sourceTimestamp: Date | null;
  statusCode: { isGood(): boolean };
}

function peer(cfg: ContenderConfig): Setup {
  const pkgDir = path.join(cfg.peerDir, 'node_modules', 'node-red-contrib-opcua');
  const names = Array.from({ length: cfg.variables }, (_, i) => nodeIdOf(i));
  const userDir = path.join(cfg.workDir, 'peer-user');
  return {
    names,
    version: load<{ version: string }>(path.join(pkgDir, 'package.json')).version,
    start: async (counter) => {
      helper.init(require.resolve('node-red'), { userDir, uiPort: 0, uiHost: '127.0.0.1' });
      // Its client certificate is made on first use under env-paths' config folder (XDG_CONFIG_HOME,
      // set by the parent to the bench's work folder): make it before timing, with its own node-opcua.
      const utils = load<{ createClientCertificateManager: () => { initialize(): Promise<void> } }>(path.join(pkgDir, 'opcua', 'utils.js'));
      const manager = utils.createClientCertificateManager();
      await manager.initialize();
      const opcua = load<PeerOpcua>(require.resolve('node-opcua', { paths: [pkgDir] }));
      await opcua.OPCUAClient.create({ clientCertificateManager: manager }).createDefaultCertificate();

      const initializers = ['105-opcuaendpoint.js', '102-opcuaclient.js'].map((f) => load<NodeInitializer>(path.join(pkgDir, 'opcua', f)));
      const flow: Record<string, unknown>[] = [
        { id: 'tab', type: 'tab' },
        { id: 'pep', type: 'OpcUa-Endpoint', name: 'bench', endpoint: cfg.url, secpol: 'None', secmode: 'None', none: true, login: false, usercert: false },
        {
          id: 'pc',
          type: 'OpcUa-Client',
          z: 'tab',
          name: 'bench',
          endpoint: 'pep',
          action: 'subscribe',
          // Its "multiple" subscription samples at this time and publishes at it too (0 -> 100 ms).
          time: cfg.samplingMs,
          timeUnit: 'ms',
          deadbandtype: 'a',
          deadbandvalue: 1,
          certificate: 'n',
          localfile: '',
          localkeyfile: '',
          useTransport: false,
          maxChunkCount: 1,
          maxMessageSize: 8192,
          receiveBufferSize: 8192,
          sendBufferSize: 8192,
          setstatusandtime: false,
          keepsessionalive: false,
          wires: [['count'], [], []],
        },
        { id: 'count', type: 'helper', z: 'tab' },
      ];
      await deploy(initializers, flow);
      onInput(helper.getNode('count'), (msg) => {
        counter.messages++;
        const dv = msg.payload as PeerDataValue;
        const source = dv.sourceTimestamp ? dv.sourceTimestamp.getTime() : NaN;
        counter.value(msg.topic, dv.value.value, source, dv.statusCode.isGood(), Date.now());
      });
      // What an inject node "once at start" would send: every NodeId in one message.
      helper.getNode('pc').receive({ topic: 'multiple', payload: names.map((nodeId) => ({ nodeId, datatype: 'Double' })) });
    },
  };
}

// ---------------------------------------------------------------------------------------- bare

function bare(cfg: ContenderConfig): Setup {
  // The repo's copy, as our nodes use it (bench/node_modules holds the peer's).
  const repoRequire = createRequire(path.join(REPO_ROOT, 'package.json'));
  const opcua = repoRequire('node-opcua-client') as typeof ClientModule;
  const names = Array.from({ length: cfg.variables }, (_, i) => nodeIdOf(i));
  let stop: (() => Promise<void>) | undefined;
  return {
    names,
    version: `node-opcua-client ${(repoRequire('node-opcua-client/package.json') as { version: string }).version}`,
    start: async (counter) => {
      const { OPCUACertificateManager } = repoRequire('node-opcua-certificate-manager') as typeof CertificateManagerModule;
      const pkiOptions = { rootFolder: path.join(cfg.workDir, 'bare-pki'), automaticallyAcceptUnknownCertificate: true, disableFileWatchers: true };
      const manager = new OPCUACertificateManager(pkiOptions);
      await manager.initialize();
      const client = opcua.OPCUAClient.create({
        applicationName: 'FactoryHub bench',
        clientCertificateManager: manager,
        endpointMustExist: false,
        connectionStrategy: { maxRetry: 0 },
      });
      await client.createDefaultCertificate();
      deployedAt = performance.now();
      await client.connect(cfg.url);
      const session = await client.createSession();
      const sub = await session.createSubscription2({
        requestedPublishingInterval: cfg.publishingMs,
        requestedMaxKeepAliveCount: 20,
        requestedLifetimeCount: 200,
        maxNotificationsPerPublish: 0,
        publishingEnabled: true,
        priority: 1,
      });
      const params = { samplingInterval: cfg.samplingMs, queueSize: cfg.oursQueue, discardOldest: true };
      for (let start = 0; start < names.length; start += 1000) {
        const chunk = names.slice(start, start + 1000);
        const group = opcua.ClientMonitoredItemGroup.create(
          sub,
          chunk.map((nodeId) => ({ nodeId, attributeId: opcua.AttributeIds.Value })),
          params,
          opcua.TimestampsToReturn.Both,
        );
        group.on('changed', (_item: unknown, dv: ClientModule.DataValue, k: number) => {
          counter.messages++;
          counter.value(chunk[k], dv.value.value, dv.sourceTimestamp ? dv.sourceTimestamp.getTime() : NaN, dv.statusCode.isGood(), Date.now());
        });
        await new Promise<void>((resolve, reject) => {
          group.once('initialized', () => resolve());
          group.once('terminated', (err?: Error) => reject(err ?? new Error('CreateMonitoredItems failed')));
        });
      }
      stop = async () => {
        await sub.terminate();
        await session.close();
        await client.disconnect();
        await manager.dispose();
      };
    },
    stop: () => stop?.() ?? Promise.resolve(),
  };
}

// ---------------------------------------------------------------------------------------- main

/** BENCH_DEBUG_LEFTOVERS=1: where each timer still pending after the undeploy was made. */
const debugTimers = new Map<unknown, string>();
if (process.env.BENCH_DEBUG_LEFTOVERS) {
  for (const name of ['setTimeout', 'setInterval'] as const) {
    const original = globalThis[name] as (...args: unknown[]) => unknown;
    (globalThis as Record<string, unknown>)[name] = (...args: unknown[]): unknown => {
      const t = original(...args);
      debugTimers.set(t, (new Error().stack ?? '').split('\n').slice(2, 7).join(' <- '));
      return t;
    };
  }
}

/** Timers, sockets and servers still open after the contender stopped (should be none). */
function leftovers(): string[] {
  const info = (process as unknown as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo?.() ?? [];
  const counts = new Map<string, number>();
  // The IPC channel to the parent is expected.
  for (const r of info) if (r !== 'PipeWrap' && r !== 'TTYWrap') counts.set(r, (counts.get(r) ?? 0) + 1);
  const out = [...counts].map(([r, n]) => (n > 1 ? `${n} ${r}` : r));
  for (const [t, stack] of debugTimers) if ((t as { hasRef?: () => boolean }).hasRef?.() && !(t as { _destroyed?: boolean })._destroyed) out.push(`timer from ${stack}`);
  return out;
}

async function main(): Promise<void> {
  const kind = process.argv[2] as ContenderKind;
  const cfg = JSON.parse(process.argv[3] ?? '{}') as ContenderConfig;
  const setup = kind === 'ours' ? ours(cfg) : kind === 'peer' ? peer(cfg) : kind === 'bare' ? bare(cfg) : undefined;
  if (!setup) throw new Error(`unknown contender ${kind}`);
  if (kind === 'ours') {
    // Our compiled nodes must use the repo's node-opcua-client, not the peer's copy in bench/node_modules.
    const repo = path.resolve(__dirname, '..', '..');
    const used = require.resolve('node-opcua-client', { paths: [cfg.nodesDir] });
    if (used !== require.resolve('node-opcua-client', { paths: [repo] })) throw new Error(`compiled nodes resolve node-opcua-client to ${used}`);
  }
  const counter = new Counter(setup.names);
  const elu0 = performance.eventLoopUtilization();

  let stopRequested: (() => void) | undefined;
  const stopped = new Promise<void>((r) => (stopRequested = r));
  process.on('message', (m: ContenderCommand) => {
    if (m.type === 'stop') {
      stopRequested?.();
      return;
    }
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    void send({
      type: 'snapshot',
      id: m.id,
      at: performance.now(),
      delivered: counter.delivered,
      messages: counter.messages,
      lost: counter.lost,
      stale: counter.stale,
      misrouted: counter.misrouted,
      notGood: counter.notGood,
      cpuUser: cpu.user,
      cpuSystem: cpu.system,
      busyMs: performance.eventLoopUtilization(elu0).active,
      rssMb: mb(mem.rss),
      heapUsedMb: mb(mem.heapUsed),
      latency: counter.latency.take(),
    });
  });
  process.on('disconnect', () => stopRequested?.());

  await setup.start(counter);
  const t0 = deployedAt;
  const deployMs = performance.now() - t0;
  const all = await within(counter.allMonitored.then(() => true), cfg.monitorTimeoutMs, () => false);
  if (!all) throw new Error(`${kind}: only ${counter.seen} of ${setup.names.length} items delivered a first value within ${cfg.monitorTimeoutMs / 1000} s`);
  const ms = performance.now() - t0;
  // Correct before fast: every value so far was the value of the tag it was sent for, and good.
  if (counter.misrouted || counter.notGood) throw new Error(`${kind}: ${counter.misrouted} values under the wrong tag, ${counter.notGood} not good`);
  await send({ type: 'monitored', ms, deployMs, verified: counter.seen, version: setup.version });

  await stopped;
  const notes: string[] = [];
  const closing = performance.now();
  await within(setup.stop ? setup.stop() : undeploy(), 20_000, () => void notes.push('undeploy took more than 20 s'));
  notes.push(`undeploy took ${Math.round(performance.now() - closing)} ms`);
  await sleep(500);
  const left = leftovers();
  if (left.length) notes.push(`left open after undeploy: ${left.join(', ')}`);
  await send({ type: 'done', notes });
}

main()
  .catch((err: unknown) => send({ type: 'fail', error: err instanceof Error ? (err.stack ?? err.message) : String(err) }))
  .finally(() => {
    // Results are sent; leave even if a library keeps a handle open (reported in the notes above).
    process.disconnect?.();
    setTimeout(() => process.exit(0), 200).unref();
  });
