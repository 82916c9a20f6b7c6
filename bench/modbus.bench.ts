/**
 * Modbus benchmark (issue 9): our fh-modbus-read against node-red-contrib-modbus, and against a bare
 * modbus-serial loop reading the same blocks (the library's limit), on one local Modbus TCP server
 * holding the same 500 mixed-type tags over 1,000 holding registers (bench/modbus/layout.ts).
 *
 * Each contender runs in its own child process (bench/modbus/contender.ts), one after the other,
 * at full speed for the same time; the server runs in another child (bench/modbus/server.ts), so its
 * CPU is not charged to a contender. Before timing, every decoded value is checked against the layout.
 *
 *   npm run bench -- modbus
 *
 * Environment: BENCH_SECONDS (per contender, default 10), BENCH_WARMUP_MS (default 1500),
 * BENCH_PEER_RATE_MS (poll rate of each peer Modbus-Read node, default 1: its fastest),
 * BENCH_OURS_TRIGGER (input | interval, default input), BENCH_ONLY (e.g. "ours,bare"),
 * BENCH_PROFILE (e.g. "ours": V8 CPU profile of that contender into bench/results/),
 * BENCH_SERVER (stock | immediate, default stock: see ServerMode in bench/modbus/server.ts).
 *
 * Prints the figures per contender, then one line: BENCH modbus values_per_s=... ratio=... (see end).
 *
 * Choices that keep it fair (details where they are made):
 * - ours runs with interval 0 and is re-triggered by each output message: no idle time between scans
 *   and never two scans at once. A 1 ms interval (BENCH_OURS_TRIGGER=interval) waits for the next
 *   timer tick after each scan, which costs up to 1 ms per scan.
 * - the peer's Modbus-Read nodes poll every 1 ms (its fastest); its queue then refuses most polls, but
 *   slower rates (10..40 ms) give the same values/s, since its client sends one request per two 1 ms
 *   timers. Its client keeps the editor's defaults (queue on, command delay 1 ms, its minimum).
 * - both runtimes are node-red-node-test-helper's, with its sinon spies removed after loading (they
 *   keep every message sent), and our nodes are compiled as tsc compiles them (modbus/compile.ts).
 * - the stock ServerTCP answers each request after a setTimeout(0), so ~1 ms per request bounds the
 *   bare loop and ours alike; BENCH_SERVER=immediate removes that bound, showing the clients' own cost.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ContenderConfig, ContenderKind, ContenderMessage, ContenderResult } from './modbus/contender';
import type { ServerCommand, ServerCpu, ServerMode, ServerReady } from './modbus/server';
import { MACHINES, REGISTERS, TAGS_PER_MACHINE, buildLayout, UNIT_ID } from './modbus/layout';
import { planReads, planStats } from '../nodes/modbus/plan';
import { validateRows } from '../nodes/tags/validate';
import { compileNodes } from './modbus/compile';

const BENCH_DIR = __dirname;
const TSX = ['--import', 'tsx'];

function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name} must be a number >= ${min}, not "${raw}"`);
  return n;
}

interface PeerInfo {
  readonly version: string;
  readonly modbusSerial: string;
  readonly how: string;
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** Which peer is installed in bench/node_modules, and how its modbus-serial dependency was satisfied. */
function peerInfo(): PeerInfo {
  const modules = path.join(BENCH_DIR, 'node_modules');
  const pkgFile = path.join(modules, 'node-red-contrib-modbus', 'package.json');
  if (!fs.existsSync(pkgFile)) {
    throw new Error('node-red-contrib-modbus is not installed in bench/node_modules: run `npm run bench` (it runs `npm ci` in bench/) or `cd bench && npm ci`');
  }
  const pkg = readJson<{ version: string; dependencies?: Record<string, string> }>(pkgFile);
  const forkSpec = pkg.dependencies?.['@openp4nr/modbus-serial'];
  if (forkSpec === undefined) {
    return { version: pkg.version, modbusSerial: 'its own dependency', how: 'as published (npm registry)' };
  }
  const fork = readJson<{ name: string; version: string }>(path.join(modules, '@openp4nr', 'modbus-serial', 'package.json'));
  const overridden = fork.name !== '@openp4nr/modbus-serial';
  return {
    version: pkg.version,
    modbusSerial: `${fork.name}@${fork.version}`,
    how: overridden
      ? `its @openp4nr/modbus-serial (a tarball outside the npm registry) overridden to npm ${fork.name}@${fork.version} (bench/package.json "overrides")`
      : `with the fork ${fork.name}@${fork.version}`,
  };
}

// ------------------------------------------------------------------------------------- server

interface BenchServer {
  readonly port: number;
  cpu(): Promise<ServerCpu>;
  stop(): Promise<void>;
}

function exited(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function startServer(mode: ServerMode): Promise<BenchServer> {
  const child = fork(path.join(BENCH_DIR, 'modbus', 'server.ts'), [mode], { execArgv: TSX, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let nextId = 1;
  const waiting = new Map<number, (cpu: ServerCpu) => void>();
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited (${code}) before it listened`)));
    child.on('message', (m: ServerReady | ServerCpu) => {
      if (m.type === 'ready') resolve(m.port);
      else waiting.get(m.id)?.(m);
    });
  });
  const command = (c: ServerCommand): void => void child.send(c);
  return {
    port,
    cpu: () =>
      new Promise<ServerCpu>((resolve) => {
        const id = nextId++;
        waiting.set(id, (cpu) => {
          waiting.delete(id);
          resolve(cpu);
        });
        command({ type: 'cpu', id });
      }),
    stop: async () => {
      if (child.connected) command({ type: 'stop' });
      await exited(child, 5000);
    },
  };
}

// ------------------------------------------------------------------------------------- contenders

interface Run {
  readonly result: ContenderResult;
  /** Server CPU (ms) and requests it served during the contender's window. */
  readonly serverCpuMs: number;
  readonly serverRequests: number;
}

async function runContender(kind: ContenderKind, cfg: ContenderConfig, server: BenchServer, profile: boolean): Promise<Run> {
  const execArgv = [...TSX];
  if (profile) {
    const dir = path.join(BENCH_DIR, 'results');
    fs.mkdirSync(dir, { recursive: true });
    execArgv.push('--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `modbus-${kind}-${Date.now()}.cpuprofile`);
  }
  const child = fork(path.join(BENCH_DIR, 'modbus', 'contender.ts'), [kind, JSON.stringify(cfg)], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let windowStart: Promise<ServerCpu> | undefined;
  let windowEnd: Promise<ServerCpu> | undefined;
  const limitMs = cfg.warmupMs + cfg.seconds * 1000 + 90_000;
  const result = await new Promise<ContenderResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${kind}: no result within ${limitMs / 1000} s`));
    }, limitMs);
    child.on('message', (m: ContenderMessage) => {
      if (m.type === 'window') {
        if (m.phase === 'start') windowStart = server.cpu();
        else windowEnd = server.cpu();
      } else if (m.type === 'result') {
        clearTimeout(timer);
        resolve(m);
      } else if (m.type === 'fail') {
        clearTimeout(timer);
        reject(new Error(m.error));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind}: contender exited (${code}) without a result`));
    });
  });
  await exited(child, 10_000);
  const a = await windowStart;
  const b = await windowEnd;
  return {
    result,
    serverCpuMs: a && b ? (b.user + b.system - a.user - a.system) / 1000 : NaN,
    serverRequests: a && b ? b.requests - a.requests : NaN,
  };
}

// ------------------------------------------------------------------------------------- figures

interface Figures {
  readonly scansPerS: number;
  readonly valuesPerS: number;
  readonly requestsPerS: number;
  readonly cpuMs: number;
  readonly cpuPercent: number;
  readonly cpuMsPer1000: number;
  readonly cpuMsPerScan: number;
  readonly serverCpuPercent: number;
}

function figures(run: Run, tagCount: number): Figures {
  const r = run.result;
  const cpuMs = r.cpuUserMs + r.cpuSystemMs;
  // The bare loop decodes nothing: its "values" are the tag values its scans carried, for comparison only.
  const values = r.kind === 'bare' ? r.scans * tagCount : r.values;
  return {
    scansPerS: r.scans / r.seconds,
    valuesPerS: r.values / r.seconds,
    requestsPerS: r.requests / r.seconds,
    cpuMs,
    cpuPercent: (100 * cpuMs) / (r.seconds * 1000),
    cpuMsPer1000: values > 0 ? (1000 * cpuMs) / values : NaN,
    cpuMsPerScan: r.scans > 0 ? cpuMs / r.scans : NaN,
    serverCpuPercent: (100 * run.serverCpuMs) / (r.seconds * 1000),
  };
}

const f0 = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '-');
const f3 = (n: number): string => (Number.isFinite(n) ? n.toFixed(3) : '-');
const k = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : 'nan');

const LABEL: Record<ContenderKind, string> = {
  bare: 'bare modbus-serial loop (no decoding)',
  ours: 'ours: fh-modbus-read, output scan',
  peer: 'peer: node-red-contrib-modbus + Function decoders',
};

function printRun(run: Run, f: Figures): void {
  const r = run.result;
  console.log(`\n${LABEL[r.kind]}  (${r.seconds.toFixed(1)} s, ${r.verified} values checked)`);
  console.log(`  scans/s          ${f2(f.scansPerS)}${r.kind === 'peer' ? '  (decoded values / 500: the peer has no scan)' : ''}`);
  if (r.kind !== 'bare') console.log(`  values/s         ${f0(f.valuesPerS)}`);
  console.log(`  requests/s       ${f0(f.requestsPerS)}  (server served ${f0(run.serverRequests / r.seconds)}/s)`);
  if (r.kind === 'peer') console.log(`  polls/s          ${f0(r.polls / r.seconds)}  (Modbus-Read polls issued)`);
  console.log(`  messages/s       ${r.kind === 'bare' ? '-' : f0(r.messages / r.seconds)}`);
  const per = r.kind === 'bare' ? ' (per 1,000 tag values read, undecoded)' : '';
  console.log(`  CPU              ${f0(f.cpuMs)} ms (user ${f0(r.cpuUserMs)}, system ${f0(r.cpuSystemMs)}) = ${f0(f.cpuPercent)} % of one core`);
  console.log(`                   ${f3(f.cpuMsPer1000)} ms per 1,000 values${per}; ${f3(f.cpuMsPerScan)} ms per scan`);
  console.log(`  server CPU       ${f0(f.serverCpuPercent)} % of one core`);
  console.log(`  memory           rss ${f0(r.rssStartMb)} -> ${f0(r.rssEndMb)} MB (max ${f0(r.rssMaxMb)}), heap used ${f0(r.heapUsedMb)} MB`);
  for (const n of r.notes) console.log(`  note: ${n}`);
}

async function main(): Promise<void> {
  const seconds = envNumber('BENCH_SECONDS', 10, 0.5);
  const warmupMs = envNumber('BENCH_WARMUP_MS', 1500, 0);
  const peerRateMs = envNumber('BENCH_PEER_RATE_MS', 1, 1);
  const oursTrigger = process.env.BENCH_OURS_TRIGGER === 'interval' ? 'interval' : 'input';
  const serverMode: ServerMode = process.env.BENCH_SERVER === 'immediate' ? 'immediate' : 'stock';
  const all: ContenderKind[] = ['bare', 'ours', 'peer'];
  const only = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const kinds = only.length ? all.filter((x) => only.includes(x)) : all;
  const profiled = (process.env.BENCH_PROFILE ?? '').split(',').map((s) => s.trim());
  const peer = kinds.includes('peer') ? peerInfo() : undefined;

  const { tags: benchTags } = buildLayout();
  const { tags } = validateRows(benchTags.map((t) => t.row));
  const plan = planReads(tags, { defaultUnitId: UNIT_ID });
  const stats = planStats(plan);
  const counts = new Map<string, number>();
  for (const t of benchTags) counts.set(t.dataType, (counts.get(t.dataType) ?? 0) + 1);
  console.log(`layout: ${tags.length} tags (${MACHINES} machines x ${TAGS_PER_MACHINE}) over ${REGISTERS} holding registers: ${[...counts].map(([t, n]) => `${n} ${t}`).join(', ')}`);
  console.log(`plan: ${stats.requests} FC3 requests per scan (${plan.blocks.map((b) => `${b.start}+${b.count}`).join(', ')}), ${stats.registersRead} registers read, ${stats.registersWasted} of them in gaps`);
  if (peer) console.log(`peer: node-red-contrib-modbus@${peer.version}, ${peer.how}`);
  console.log(
    `each contender: own process, ${warmupMs} ms warm-up, then ${seconds} s measured; server: modbus-serial ServerTCP in its own process` +
      `${serverMode === 'immediate' ? ' answering from setImmediate (BENCH_SERVER=immediate)' : ' (stock: answers each request after a setTimeout 0, >= 1 ms)'}; ` +
      `ours: ${oursTrigger === 'input' ? 'interval 0, re-triggered by each output' : 'interval 1 ms'}; peer: Modbus-Read rate ${peerRateMs} ms, client queue on, command delay 1 ms`,
  );

  // Under bench/node_modules: git- and lint-ignored, and modbus-serial resolves to the repo's from there.
  const nodesDir = compileNodes(path.resolve(BENCH_DIR, '..'), path.join(BENCH_DIR, 'node_modules', '.cache', 'factoryhub-nodes-js'));
  const loadBefore = os.loadavg()[0];
  const server = await startServer(serverMode);
  const runs = new Map<ContenderKind, { run: Run; f: Figures }>();
  let failed = false;
  try {
    const cfg: ContenderConfig = { port: server.port, seconds, warmupMs, peerRateMs, oursTrigger, peerDir: BENCH_DIR, nodesDir };
    for (const kind of kinds) {
      try {
        const run = await runContender(kind, cfg, server, profiled.includes(kind));
        const f = figures(run, tags.length);
        runs.set(kind, { run, f });
        printRun(run, f);
      } catch (err) {
        failed = true;
        console.error(`\n${LABEL[kind]}: FAILED\n${err instanceof Error ? err.message : String(err)}`);
      }
    }
  } finally {
    await server.stop();
  }

  // Contenders run one after the other: other work on the machine in between skews the comparison.
  const cores = os.availableParallelism();
  const loadAfter = os.loadavg()[0];
  console.log(`\nmachine: ${cores} cores, load average (1 min) ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`);
  if (Math.max(loadBefore, loadAfter) > cores) console.log(`warning: the machine was busy with other work (load > ${cores}): the figures are noisy, run again when it is idle`);

  const ours = runs.get('ours');
  const theirs = runs.get('peer');
  const bare = runs.get('bare');
  if (ours && theirs && bare) {
    const ratio = ours.f.valuesPerS / theirs.f.valuesPerS;
    const bareFraction = ours.f.scansPerS / bare.f.scansPerS;
    const ceiling = bare.f.scansPerS / theirs.f.scansPerS;
    console.log(`ceiling: the bare loop reads ${k(ceiling, 2)} x the peer's values/s: a client that waits for each answer (ours, the bare loop) cannot beat the peer by more on this server`);
    console.log(`targets: ratio ${k(ratio, 2)} (>= 3: ${ratio >= 3 ? 'met' : 'NOT met'}), bare_fraction ${k(bareFraction, 3)} (>= 0.8: ${bareFraction >= 0.8 ? 'met' : 'NOT met'})`);
    console.log(
      [
        'BENCH modbus',
        `values_per_s=${k(ours.f.valuesPerS, 0)}`,
        `peer_values_per_s=${k(theirs.f.valuesPerS, 0)}`,
        `ratio=${k(ratio, 2)}`,
        `bare_fraction=${k(bareFraction, 3)}`,
        `cpu_ms_per_1000=${k(ours.f.cpuMsPer1000, 3)}`,
        `peer_cpu_ms_per_1000=${k(theirs.f.cpuMsPer1000, 3)}`,
        `scans_per_s=${k(ours.f.scansPerS, 1)}`,
        `peer_scans_per_s=${k(theirs.f.scansPerS, 1)}`,
        `bare_scans_per_s=${k(bare.f.scansPerS, 1)}`,
        `bare_over_peer=${k(ceiling, 2)}`,
        `rss_mb=${k(ours.run.result.rssEndMb, 0)}`,
        `peer_rss_mb=${k(theirs.run.result.rssEndMb, 0)}`,
        `seconds=${seconds}`,
        `server=${serverMode}`,
        `load=${Math.max(loadBefore, loadAfter).toFixed(1)}`,
        `peer=node-red-contrib-modbus@${peer?.version ?? '?'}+${peer?.modbusSerial ?? '?'}`,
      ].join(' '),
    );
  } else if (!failed) {
    console.log('\n(no BENCH line: it needs all three contenders; BENCH_ONLY left some out)');
  }
  if (failed) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
