/**
 * OPC UA benchmark (issue 3): our fh-opcua-endpoint + fh-opcua-subscribe against node-red-contrib-opcua
 * (its OpcUa-Client node, action subscribe, "multiple" subscription), on one local node-opcua server
 * holding 10,000 Double variables that change at a set total rate, spread evenly over time.
 *
 *   npm run bench -- opcua
 *
 * One run, same conditions: the server runs in its own child process (bench/opcua/server.ts), each
 * contender in its own child process after the other (bench/opcua/contender.ts), in a Node-RED runtime
 * (node-red-node-test-helper, its spies removed), our nodes compiled as tsc compiles them for dist/.
 * Both subscribe to every variable with the same sampling interval (0: the server reports every
 * change) and the same publishing interval (100 ms: the peer publishes at its sampling time, and at
 * 100 ms when that is 0); queue size 1 for both (the peer's "multiple" subscription always asks 1).
 *
 * Per contender:
 *   1. deploy; time until every item delivered its first value ("monitored"), all checked correct;
 *   2. at 10,000 changes/s (each variable once a second): changes/s delivered into the flow, CPU per
 *      1,000 changes, resident memory, latency;
 *   3. raise the rate step by step (each variable changing more often) until changes are lost.
 *
 * Loss. Every value carries its variable's change counter (bench/opcua/layout.ts), so a change that
 * never reached the flow shows as a skipped counter, wherever it happened (server queue overflow,
 * client too slow). A step is LOSSLESS when, from the rate change until 1 s after its window (so that
 * changes still in flight at the window's end are not counted lost, and late ones are), no counter was
 * skipped, and inside the window the flow received at least 98 % of the changes the server made (a
 * client that keeps no pace falls behind before its server queues overflow). A lossy step, or one the
 * server could not produce (< 97 % of the asked rate), is measured once more (BENCH_RETRIES; the
 * machine is shared) and holds if an attempt is lossless. A rate the server cannot produce in any
 * attempt ends the ramp (the client was not the limit there); a lossy step where the server used
 * >= 90 % of a core or fell behind its schedule says so ("server saturated").
 * Changes lost between the deploy and the first second in which the flow keeps pace are reported
 * apart ("start-up"), as are the times to "monitored" and to keeping pace.
 *
 * Environment: BENCH_VARIABLES (10000), BENCH_RATE (the base rate, 10000/s), BENCH_RATES (the ramp,
 * "20000,30000,40000,50000,70000,100000"), BENCH_SECONDS (base window, 8), BENCH_STEP_SECONDS (ramp windows,
 * 4), BENCH_SETTLE_MS (2000), BENCH_DRAIN_MS (1000), BENCH_SAMPLING_MS (0), BENCH_OURS_QUEUE (1),
 * BENCH_STEADY_MAX_S (20), BENCH_RETRIES (1: a lossy ramp step is measured once more), BENCH_OURS_OUTPUT
 * (each | batch), BENCH_ONLY (default "ours,peer"; "bare" adds a plain node-opcua-client subscription
 * without Node-RED: the library's and the server's limit), BENCH_PROFILE (e.g. "ours": V8 CPU profile
 * of that contender into bench/results/), BENCH_MONITOR_TIMEOUT_S (120), BENCH_DEBUG_LEFTOVERS (1: name
 * where each timer left running after a contender's undeploy was made).
 *
 * Prints the figures per contender, then one line: BENCH opcua changes_per_s=<ours at the base rate>
 * peer_changes_per_s=<theirs> ratio=<ours/theirs at the base rate> max_lossless_per_s=<ours>
 * peer_max_lossless_per_s=<theirs> lossless_ratio=<ours/theirs> cpu_ms_per_1000=<ours, at the base rate>
 * peer_cpu_ms_per_1000=<theirs> cpu_ratio=<theirs/ours> rss_mb peer_rss_mb monitor_10k_s peer_monitor_10k_s
 * (deploy to every item's first value), then start-up losses and the conditions of the run.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ContenderCommand, ContenderConfig, ContenderKind, ContenderMessage, Monitored, Snapshot } from './opcua/contender';
import type { ServerCommand, ServerMessage, ServerReady, ServerStats } from './opcua/server';
import { MAX_VARIABLES, REPO_ROOT, WORK_DIR } from './opcua/layout';
import { compileNodes } from './modbus/compile';

const BENCH_DIR = __dirname;
const TSX = ['--import', 'tsx'];

function envNumber(name: string, fallback: number, min: number, max = Infinity): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${name} must be a number from ${min} to ${max}, not "${raw}"`);
  return n;
}

function envList(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (list.some((n) => !Number.isFinite(n) || n <= 0)) throw new Error(`${name} must be a comma-separated list of rates, not "${raw}"`);
  return list;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `work`, or `fallback()` after `ms`; the timer is cleared either way, so the bench exits by itself. */
function within<T>(work: Promise<T>, ms: number, fallback: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback()), ms)));
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

interface PeerInfo {
  readonly version: string;
  readonly nodeOpcua: string;
  readonly how: string;
}

/** Which peer is installed in bench/node_modules, with which node-opcua. */
function peerInfo(): PeerInfo {
  const modules = path.join(BENCH_DIR, 'node_modules');
  const pkgFile = path.join(modules, 'node-red-contrib-opcua', 'package.json');
  if (!fs.existsSync(pkgFile)) {
    throw new Error('node-red-contrib-opcua is not installed in bench/node_modules: run `npm run bench` (it runs `npm ci` in bench/) or `cd bench && npm ci`');
  }
  const pkg = readJson<{ version: string; dependencies?: Record<string, string> }>(pkgFile);
  const wanted = pkg.dependencies?.['node-opcua'] ?? '?';
  const installed = readJson<{ version: string }>(require.resolve('node-opcua/package.json', { paths: [path.dirname(pkgFile)] })).version;
  const bench = readJson<{ overrides?: Record<string, unknown> }>(path.join(BENCH_DIR, 'package.json'));
  const overridden = bench.overrides !== undefined && 'node-opcua' in bench.overrides;
  return {
    version: pkg.version,
    nodeOpcua: installed,
    how: overridden ? `its node-opcua ${wanted} overridden to ${installed} (bench/package.json "overrides")` : `as published (npm registry), with its own node-opcua ${installed} (it asks ${wanted})`,
  };
}

function exited(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Request/answer over IPC by id; rejects when the child goes away first. */
class Channel<Cmd, Msg extends { type: string; id?: number }> {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (m: Msg) => void; reject: (e: Error) => void }>();
  private gone: Error | undefined;

  constructor(
    readonly child: ChildProcess,
    private readonly name: string,
    onOther: (m: Msg) => void,
  ) {
    child.on('message', (m: Msg) => {
      const w = m.id !== undefined ? this.waiting.get(m.id) : undefined;
      if (w && m.id !== undefined) {
        this.waiting.delete(m.id);
        w.resolve(m);
      } else onOther(m);
    });
    child.once('exit', (code, signal) => {
      this.gone = new Error(`${name} exited (${code ?? signal})`);
      for (const w of this.waiting.values()) w.reject(this.gone);
      this.waiting.clear();
    });
  }

  request(make: (id: number) => Cmd, timeoutMs = 10_000): Promise<Msg> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise<Msg>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${this.name}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send(make(id) as object);
    });
  }

  send(cmd: Cmd): void {
    if (!this.gone && this.child.connected) this.child.send(cmd as object);
  }
}

// ------------------------------------------------------------------------------------- server

interface BenchServer {
  readonly port: number;
  readonly version: string;
  stats(): Promise<ServerStats>;
  setRate(rate: number): Promise<void>;
  stop(): Promise<void>;
}

async function startServer(variables: number, rate: number): Promise<BenchServer> {
  const child = fork(path.join(BENCH_DIR, 'opcua', 'server.ts'), [String(variables), String(rate)], { execArgv: TSX, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let ready: (m: ServerReady) => void = () => undefined;
  const readyP = new Promise<ServerReady>((resolve, reject) => {
    ready = resolve;
    child.once('exit', (code) => reject(new Error(`bench server exited (${code}) before it listened`)));
  });
  const channel = new Channel<ServerCommand, ServerMessage & { id?: number }>(child, 'bench server', (m) => {
    if (m.type === 'ready') ready(m);
  });
  const r = await within<ServerReady | undefined>(readyP, 120_000, () => undefined).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  if (!r) {
    child.kill('SIGKILL');
    throw new Error('bench server did not start within 120 s');
  }
  return {
    port: r.port,
    version: r.version,
    stats: async () => (await channel.request((id) => ({ type: 'stats', id }))) as ServerStats,
    setRate: async (rate) => void (await channel.request((id) => ({ type: 'rate', id, rate }))),
    stop: async () => {
      channel.send({ type: 'stop' });
      await exited(child, 8000);
    },
  };
}

// ------------------------------------------------------------------------------------- contenders

interface Mark {
  readonly c: Snapshot;
  readonly s: ServerStats;
}

interface Step {
  readonly target: number;
  readonly seconds: number;
  readonly producedPerS: number;
  readonly deliveredPerS: number;
  /** delivered / produced inside the window. */
  readonly fraction: number;
  /** Changes skipped from the rate change until the drain after the window. */
  readonly lost: number;
  /** Of those: skipped while settling, inside the window, and in the drain after it. */
  readonly lostPhases: readonly [number, number, number];
  readonly stale: number;
  readonly misrouted: number;
  readonly notGood: number;
  readonly cpuMs: number;
  readonly cpuPercent: number;
  readonly cpuMsPer1000: number;
  readonly busyPercent: number;
  readonly serverCpuPercent: number;
  readonly serverBusyPercent: number;
  readonly serverMissed: number;
  readonly serverOverflows: number;
  readonly serverSent: number;
  readonly serverResponses: number;
  readonly sessions: number;
  readonly monitoredItems: number;
  readonly latency: Snapshot['latency'];
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly serverBound: boolean;
  /** The server used >= 90 % of a core or skipped > 1 % of its schedule: it, not the client, may be the limit. */
  readonly serverSaturated: boolean;
  readonly lossless: boolean;
}

/** From "monitored" until the flow keeps pace with the server. */
interface Startup {
  readonly steady: boolean;
  readonly ms: number;
  /** Changes skipped from the deploy until steady. */
  readonly lost: number;
}

interface Run {
  readonly kind: ContenderKind;
  readonly monitored: Monitored;
  readonly startup: Startup;
  readonly base: Step;
  readonly ramp: Step[];
  readonly maxLossless: number;
  readonly maxRssMb: number;
  readonly notes: string[];
}

interface Plan {
  readonly base: number;
  readonly rates: number[];
  readonly seconds: number;
  readonly stepSeconds: number;
  readonly settleMs: number;
  readonly drainMs: number;
  readonly steadyMaxMs: number;
  /** A lossy ramp step is measured again this many times (the machine is shared); it holds if one attempt is lossless. */
  readonly retries: number;
  /** A second counts as steady when no change was lost, 97..103 % arrived, and p99 latency is below this. */
  readonly steadyLatencyMs: number;
}

function step(target: number, start: Mark, a: Mark, b: Mark, end: Mark): Step {
  const seconds = (b.c.at - a.c.at) / 1000;
  const produced = b.s.produced - a.s.produced;
  const delivered = b.c.delivered - a.c.delivered;
  const cpuMs = (b.c.cpuUser + b.c.cpuSystem - a.c.cpuUser - a.c.cpuSystem) / 1000;
  const serverSeconds = (b.s.at - a.s.at) / 1000;
  const producedPerS = produced / serverSeconds;
  const lost = end.c.lost - start.c.lost;
  const fraction = produced > 0 ? delivered / produced : NaN;
  const misrouted = end.c.misrouted - start.c.misrouted;
  const serverBound = producedPerS < 0.97 * target;
  return {
    target,
    seconds,
    producedPerS,
    deliveredPerS: delivered / seconds,
    fraction,
    lost,
    lostPhases: [a.c.lost - start.c.lost, b.c.lost - a.c.lost, end.c.lost - b.c.lost],
    stale: end.c.stale - start.c.stale,
    misrouted,
    notGood: end.c.notGood - start.c.notGood,
    cpuMs,
    cpuPercent: (100 * cpuMs) / (seconds * 1000),
    cpuMsPer1000: delivered > 0 ? (1000 * cpuMs) / delivered : NaN,
    busyPercent: (100 * (b.c.busyMs - a.c.busyMs)) / (seconds * 1000),
    serverCpuPercent: (100 * (b.s.user + b.s.system - a.s.user - a.s.system)) / 1000 / (serverSeconds * 1000),
    serverBusyPercent: (100 * (b.s.busyMs - a.s.busyMs)) / (serverSeconds * 1000),
    serverMissed: end.s.missed - start.s.missed,
    // Diagnostics live with the subscription: deltas are only meaningful while the same one lives.
    serverOverflows: Math.max(0, end.s.queueOverflows - start.s.queueOverflows),
    serverSent: Math.max(0, b.s.notificationsSent - a.s.notificationsSent) / serverSeconds,
    serverResponses: Math.max(0, b.s.responses - a.s.responses) / serverSeconds,
    sessions: b.s.sessions,
    monitoredItems: b.s.monitoredItems,
    latency: b.c.latency,
    rssMb: b.c.rssMb,
    heapUsedMb: b.c.heapUsedMb,
    serverBound,
    serverSaturated: serverBound || (100 * (b.s.user + b.s.system - a.s.user - a.s.system)) / 1000 / (serverSeconds * 1000) >= 90 || end.s.missed - start.s.missed > 0.01 * produced,
    lossless: lost === 0 && misrouted === 0 && fraction >= 0.98,
  };
}

async function runContender(kind: ContenderKind, cfg: ContenderConfig, server: BenchServer, plan: Plan, profile: boolean): Promise<Run> {
  const execArgv = [...TSX];
  if (profile) {
    // One folder per profiled run: node writes a profile per thread (tsx's loader has its own), named
    // by pid and thread id; the main thread's is the large one.
    const dir = path.join(BENCH_DIR, 'results', `opcua-${kind}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    fs.mkdirSync(dir, { recursive: true });
    execArgv.push('--cpu-prof', '--cpu-prof-dir', dir);
    console.log(`${kind}: CPU profile into ${path.relative(REPO_ROOT, dir)}/`);
  }
  const child = fork(path.join(BENCH_DIR, 'opcua', 'contender.ts'), [kind, JSON.stringify(cfg)], {
    execArgv,
    // The peer keeps its client certificate under env-paths' config folder: keep it in the work folder.
    env: { ...process.env, XDG_CONFIG_HOME: path.join(WORK_DIR, 'peer-config') },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let onMonitored: (m: Monitored) => void = () => undefined;
  let onDone: (notes: readonly string[]) => void = () => undefined;
  let onFail: (e: Error) => void = () => undefined;
  const monitored = new Promise<Monitored>((resolve, reject) => {
    onMonitored = resolve;
    onFail = reject;
  });
  const done = new Promise<readonly string[]>((resolve) => (onDone = resolve));
  const channel = new Channel<ContenderCommand, ContenderMessage & { id?: number }>(child, kind, (m) => {
    if (m.type === 'monitored') onMonitored(m);
    else if (m.type === 'done') onDone(m.notes);
    else if (m.type === 'fail') onFail(new Error(m.error));
  });
  child.once('exit', (code) => {
    onFail(new Error(`${kind}: contender exited (${code}) early`));
    onDone(['exited without a report']);
  });
  const mark = async (): Promise<Mark> => {
    const [c, s] = await Promise.all([channel.request((id) => ({ type: 'mark', id })), server.stats()]);
    return { c: c as Snapshot, s };
  };
  try {
    const m = await monitored;
    let maxRss = 0;
    const marks: Mark[] = [];
    const track = async (): Promise<Mark> => {
      const x = await mark();
      marks.push(x);
      maxRss = Math.max(maxRss, x.c.rssMb);
      return x;
    };
    const measure = async (target: number, seconds: number): Promise<Step> => {
      const start = await track();
      await sleep(plan.settleMs);
      const a = await track();
      await sleep(seconds * 1000);
      const b = await track();
      await sleep(plan.drainMs);
      const end = await track();
      return step(target, start, a, b, end);
    };
    // After subscribing, a client may need a while to catch up (initial values, then the changes made
    // meanwhile): wait, at most steadyMaxMs, for a second in which it keeps pace, before measuring.
    const first = await track();
    let prev = first;
    let steady = false;
    while (!steady && prev.c.at - first.c.at < plan.steadyMaxMs) {
      await sleep(1000);
      const x = await track();
      const f = (x.c.delivered - prev.c.delivered) / (x.s.produced - prev.s.produced);
      steady = x.c.lost === prev.c.lost && f >= 0.97 && f <= 1.03 && x.c.latency.p99 < plan.steadyLatencyMs;
      prev = x;
    }
    const startup: Startup = { steady, ms: prev.c.at - first.c.at, lost: prev.c.lost };
    const base = await measure(plan.base, plan.seconds);
    const ramp: Step[] = [];
    let maxLossless = base.lossless ? Math.min(plan.base, Math.round(base.producedPerS)) : 0;
    if (base.lossless) {
      for (const rate of plan.rates) {
        if (rate <= plan.base) continue;
        let s: Step | undefined;
        // Again when it lost changes, or when the server could not make the rate (a busy machine).
        for (let attempt = 0; attempt <= plan.retries && (!s?.lossless || s.serverBound); attempt++) {
          // Back to the base rate between attempts, so that the next one starts from a client that keeps pace.
          if (attempt > 0) {
            await server.setRate(plan.base);
            await sleep(plan.settleMs);
          }
          await server.setRate(rate);
          s = await measure(rate, plan.stepSeconds);
          ramp.push(s);
        }
        // The best attempt counts: a lossless one at the full rate, else a lossless one the server fell short in.
        const tried = ramp.filter((x) => x.target === rate);
        const best = tried.find((x) => x.lossless && !x.serverBound) ?? tried.find((x) => x.lossless);
        if (!best) break;
        maxLossless = Math.max(maxLossless, best.serverBound ? Math.round(best.producedPerS) : rate);
        if (best.serverBound) break;
      }
      await server.setRate(plan.base);
    }
    channel.send({ type: 'stop' });
    const notes = [...(await within(done, 40_000, () => ['no report within 40 s of stop']))];
    return { kind, monitored: m, startup, base, ramp, maxLossless, maxRssMb: maxRss, notes };
  } finally {
    await server.setRate(plan.base).catch(() => undefined);
    channel.send({ type: 'stop' });
    await exited(child, 45_000);
  }
}

// ------------------------------------------------------------------------------------- figures

const f0 = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '-');
const f3 = (n: number): string => (Number.isFinite(n) ? n.toFixed(3) : '-');
const k = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'nan');

function describeStep(s: Step): string {
  const phases = `settling ${f0(s.lostPhases[0])}, window ${f0(s.lostPhases[1])}, drain ${f0(s.lostPhases[2])}`;
  const saturated = s.serverSaturated ? `, server saturated (${f0(s.serverCpuPercent)} % CPU, ${f0(s.serverMissed)} changes skipped)` : '';
  const verdict = s.lossless
    ? `lossless${s.serverBound ? ', server-bound' : ''}`
    : `LOSS${s.lost ? ` (${f0(s.lost)} skipped: ${phases})` : ''}${s.fraction < 0.98 ? ' (falling behind)' : ''}${saturated}`;
  return (
    `  ${f0(s.target).padStart(7)}/s  made ${f0(s.producedPerS).padStart(7)}/s  delivered ${f0(s.deliveredPerS).padStart(7)}/s (${f1(100 * s.fraction)} %)  ` +
    `lost ${f0(s.lost)}  CPU ${f0(s.cpuPercent)} % (${f3(s.cpuMsPer1000)} ms/1000)  loop busy ${f0(s.busyPercent)} %  ` +
    `latency p99 ${f0(s.latency.p99)} ms max ${f0(s.latency.max)} ms  server CPU ${f0(s.serverCpuPercent)} %  ${verdict}`
  );
}

const LABEL: Record<ContenderKind, string> = {
  bare: 'bare: node-opcua-client subscription, no Node-RED (the library\'s limit on this server)',
  ours: 'ours: fh-opcua-endpoint + fh-opcua-subscribe (tag map)',
  peer: 'peer: node-red-contrib-opcua OpcUa-Client, subscribe "multiple"',
};

function printRun(r: Run, variables: number): void {
  const b = r.base;
  console.log(`\n${LABEL[r.kind]}  (${r.monitored.version})`);
  console.log(`  monitored        all ${f0(r.monitored.verified)} items delivered a first value ${f1(r.monitored.ms / 1000)} s after deploy (deploy itself ${f1(r.monitored.deployMs / 1000)} s); every value under its own tag`);
  const st = r.startup;
  console.log(
    `  start-up         ${st.steady ? `keeping pace ${f1(st.ms / 1000)} s after that` : `NOT keeping pace after ${f1(st.ms / 1000)} s (measured anyway)`}; ${f0(st.lost)} changes lost from the deploy until then`,
  );
  console.log(`  on the server    ${b.sessions} session(s), ${f0(b.monitoredItems)} monitored items (of ${f0(variables)})`);
  console.log(`  at ${f0(b.target)}/s   (${f1(b.seconds)} s window)`);
  console.log(`    delivered      ${f0(b.deliveredPerS)} changes/s of ${f0(b.producedPerS)}/s made (${f1(100 * b.fraction)} %), ${f0(b.lost)} lost, ${f0(b.stale)} stale, ${f0(b.misrouted)} misrouted, ${f0(b.notGood)} not good`);
  console.log(`    CPU            ${f0(b.cpuMs)} ms = ${f0(b.cpuPercent)} % of one core; ${f3(b.cpuMsPer1000)} ms per 1,000 changes; event loop busy ${f0(b.busyPercent)} %`);
  console.log(`    memory         rss ${f0(b.rssMb)} MB (max ${f0(r.maxRssMb)} over the run), heap used ${f0(b.heapUsedMb)} MB`);
  console.log(`    latency        source time -> flow: p50 ${f0(b.latency.p50)} ms, p99 ${f0(b.latency.p99)} ms, max ${f0(b.latency.max)} ms`);
  console.log(
    `    server         CPU ${f0(b.serverCpuPercent)} % of one core, sent ${f0(b.serverSent)} notifications/s in ${f0(b.serverResponses)} publish responses/s ` +
      `(${f0(b.serverSent / b.serverResponses)} per response), ${f0(b.serverOverflows)} queue overflows`,
  );
  console.log('  ramp (each variable changing more often):');
  console.log(describeStep(b));
  for (const s of r.ramp) console.log(describeStep(s));
  const last = r.ramp[r.ramp.length - 1];
  const why = !b.lossless
    ? 'lost changes at the base rate'
    : !last
      ? 'no ramp rates above the base'
      : !last.lossless
        ? `lost at ${f0(last.target)}/s${last.serverSaturated ? ', where the server itself was saturated' : ''}`
        : last.serverBound
          ? `the server could not make ${f0(last.target)}/s`
          : 'every ramp rate held';
  const retried = r.ramp.filter((s, i) => i > 0 && r.ramp[i - 1].target === s.target).length;
  console.log(`  highest lossless ${f0(r.maxLossless)} changes/s (${why})${retried ? `; ${retried} step(s) measured again` : ''}`);
  for (const s of [b, ...r.ramp]) if (s.serverMissed > 0) console.log(`  note: at ${f0(s.target)}/s the server skipped ${f0(s.serverMissed)} scheduled changes (busy)`);
  for (const n of r.notes) console.log(`  note: ${n}`);
}

async function main(): Promise<void> {
  const began = performance.now();
  const variables = envNumber('BENCH_VARIABLES', 10_000, 1, MAX_VARIABLES);
  const samplingMs = envNumber('BENCH_SAMPLING_MS', 0, 0);
  // The peer publishes at its sampling time, and at 100 ms when that is 0: ours does the same.
  const publishingMs = samplingMs || 100;
  const plan: Plan = {
    base: envNumber('BENCH_RATE', 10_000, 1),
    rates: envList('BENCH_RATES', [20_000, 30_000, 40_000, 50_000, 70_000, 100_000]),
    retries: envNumber('BENCH_RETRIES', 1, 0, 5),
    seconds: envNumber('BENCH_SECONDS', 8, 1),
    stepSeconds: envNumber('BENCH_STEP_SECONDS', 4, 1),
    settleMs: envNumber('BENCH_SETTLE_MS', 2000, 0),
    drainMs: envNumber('BENCH_DRAIN_MS', 1000, 0),
    steadyMaxMs: envNumber('BENCH_STEADY_MAX_S', 20, 0) * 1000,
    steadyLatencyMs: Math.max(500, 5 * publishingMs),
  };
  const oursQueue = envNumber('BENCH_OURS_QUEUE', 1, 1, 100_000);
  const oursOutput = process.env.BENCH_OURS_OUTPUT === 'batch' ? 'batch' : 'each';
  const all: ContenderKind[] = ['ours', 'peer', 'bare'];
  const only = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const kinds: ContenderKind[] = only.length ? all.filter((x) => only.includes(x)) : ['ours', 'peer'];
  const profiled = (process.env.BENCH_PROFILE ?? '').split(',').map((s) => s.trim());
  const peer = kinds.includes('peer') ? peerInfo() : undefined;

  const cores = os.availableParallelism();
  const loadBefore = os.loadavg();
  console.log(`machine: ${cores} cores, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} (1, 5, 15 min)`);
  if (peer) console.log(`peer: node-red-contrib-opcua@${peer.version}, ${peer.how}`);
  console.log(
    `server: ${f0(variables)} Double variables, ${f0(plan.base)} changes/s (each variable every ${f0((1000 * variables) / plan.base)} ms), changed round robin every 10 ms; ` +
      `ramp ${plan.rates.map(f0).join(', ')}/s until a step loses changes`,
  );
  console.log(
    `both: sampling ${samplingMs} ms${samplingMs === 0 ? ' (every change)' : ''}, publishing ${publishingMs} ms, queue size ${oursQueue} (peer: always 1); ours output "${oursOutput}"; ` +
      `windows: ${plan.seconds} s at the base rate, ${plan.stepSeconds} s per ramp step, each after ${plan.settleMs} ms settling, losses counted until ${plan.drainMs} ms after`,
  );

  // Compiled outside bench/node_modules, so that they resolve the repo's node-opcua-client (bench/
  // node_modules holds the peer's copies), in the git-ignored .tmp/.
  fs.mkdirSync(WORK_DIR, { recursive: true });
  const nodesDir = compileNodes(REPO_ROOT, path.join(WORK_DIR, 'compiled'));
  const server = await startServer(variables, plan.base);
  console.log(`server: node-opcua-server ${server.version} on opc.tcp://127.0.0.1:${server.port}, its own process`);
  const runs = new Map<ContenderKind, Run>();
  let failed = false;
  try {
    const cfg: ContenderConfig = {
      url: `opc.tcp://127.0.0.1:${server.port}`,
      variables,
      samplingMs,
      publishingMs,
      oursQueue,
      oursOutput,
      peerDir: BENCH_DIR,
      nodesDir,
      workDir: WORK_DIR,
      monitorTimeoutMs: envNumber('BENCH_MONITOR_TIMEOUT_S', 120, 1) * 1000,
    };
    for (const kind of kinds) {
      try {
        const run = await runContender(kind, cfg, server, plan, profiled.includes(kind));
        runs.set(kind, run);
        printRun(run, variables);
      } catch (err) {
        failed = true;
        console.error(`\n${LABEL[kind]}: FAILED\n${err instanceof Error ? err.message : String(err)}`);
      }
      await sleep(1000); // let the server drop the session
    }
  } finally {
    await server.stop();
  }

  const loadAfter = os.loadavg();
  console.log(`\nmachine: load average ${loadAfter.map((l) => l.toFixed(2)).join(' ')} (1, 5, 15 min) after; run took ${f0((performance.now() - began) / 1000)} s`);
  const load = Math.max(loadBefore[0], loadAfter[0]);
  if (load > cores - 0.5) console.log(`warning: the machine was busy with other work (load ${load.toFixed(1)} on ${cores} cores): the figures are noisy, run again when it is idle`);

  const ours = runs.get('ours');
  const theirs = runs.get('peer');
  if (ours && theirs) {
    const ratio = ours.base.deliveredPerS / theirs.base.deliveredPerS;
    const losslessRatio = ours.maxLossless / theirs.maxLossless;
    const cpuRatio = theirs.base.cpuMsPer1000 / ours.base.cpuMsPer1000;
    const t1 = ours.base.lossless && ours.startup.lost === 0 && ours.base.target >= 10_000;
    const t2 = losslessRatio >= 2 || cpuRatio >= 2;
    const t3 = ours.monitored.ms < 10_000;
    console.log(
      `targets: nothing lost at 10,000/s (start-up and window): ${t1 ? 'met' : 'NOT met'}; >= 2 x the peer's highest lossless rate (${k(losslessRatio, 2)} x) or half its CPU per change (${k(cpuRatio, 2)} x less): ${t2 ? 'met' : 'NOT met'}; ` +
        `10,000 items monitored in < 10 s (${k(ours.monitored.ms / 1000, 1)} s): ${t3 ? 'met' : 'NOT met'}`,
    );
    console.log(
      [
        'BENCH opcua',
        `changes_per_s=${k(ours.base.deliveredPerS, 0)}`,
        `peer_changes_per_s=${k(theirs.base.deliveredPerS, 0)}`,
        `ratio=${k(ratio, 2)}`,
        `max_lossless_per_s=${ours.maxLossless}`,
        `peer_max_lossless_per_s=${theirs.maxLossless}`,
        `lossless_ratio=${k(losslessRatio, 2)}`,
        `cpu_ms_per_1000=${k(ours.base.cpuMsPer1000, 3)}`,
        `peer_cpu_ms_per_1000=${k(theirs.base.cpuMsPer1000, 3)}`,
        `cpu_ratio=${k(cpuRatio, 2)}`,
        `rss_mb=${k(ours.base.rssMb, 0)}`,
        `peer_rss_mb=${k(theirs.base.rssMb, 0)}`,
        `monitor_10k_s=${k(ours.monitored.ms / 1000, 2)}`,
        `peer_monitor_10k_s=${k(theirs.monitored.ms / 1000, 2)}`,
        `lost_at_base=${ours.base.lost}`,
        `peer_lost_at_base=${theirs.base.lost}`,
        `startup_lost=${ours.startup.lost}`,
        `peer_startup_lost=${theirs.startup.lost}`,
        `steady_s=${k(ours.startup.ms / 1000, 1)}`,
        `peer_steady_s=${k(theirs.startup.ms / 1000, 1)}`,
        `variables=${variables}`,
        `base_rate=${plan.base}`,
        `sampling_ms=${samplingMs}`,
        `publishing_ms=${publishingMs}`,
        `queue=${oursQueue}`,
        `load=${load.toFixed(1)}`,
        `peer=node-red-contrib-opcua@${peer?.version ?? '?'}+node-opcua@${peer?.nodeOpcua ?? '?'}`,
      ].join(' '),
    );
  } else if (!failed) {
    console.log('\n(no BENCH line: it needs both contenders; BENCH_ONLY left one out)');
  }
  if (failed) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
