/**
 * Modbus benchmark (issue 16): our fh-modbus-read against node-red-contrib-modbus at its defaults and at
 * its fastest documented setting ("Queue commands" off), and against the limit (a bare modbus-serial
 * client with the same number of requests in flight, no decoding), on devices that answer at once, in
 * 2 ms and in 10 ms. The device is a Modbus TCP server of our own (bench/modbus/server.ts) holding the
 * same 500 mixed-type tags over 1,000 holding registers (bench/modbus/layout.ts), on a free loopback
 * port (never 502).
 *
 * Per latency, one after the other, each in its own child process (bench/modbus/contender.ts), at full
 * speed for the same time: limit x1, x8, x128, ours x1, x8, x128 (requests in flight), ours "auto",
 * peer (queue on), peer (queue off). 128 is the most a client config takes, and what matches the peer
 * with its queue off: that is bounded only by its polls outstanding (the server's "in flight" figure
 * shows how many it keeps: about 50 on average, up to 100, at 10 ms); "auto" shows what ours finds by
 * itself. The server runs in another child, so its CPU is not charged to a contender. Ours and the peer
 * are checked value by value before timing and during the timed window.
 *
 *   npm run bench -- modbus
 *
 * Environment: BENCH_SECONDS (per contender, default 5), BENCH_WARMUP_MS (default 1500),
 * BENCH_LATENCIES (ms, default "0,2,10"), BENCH_IN_FLIGHT (ours' and the limit's "many", default 8),
 * BENCH_IN_FLIGHT_MAX (their most, and where "auto" stops, default 128), BENCH_OURS_PIPELINE (scan triggers
 * ours keeps outstanding, default 8, more when that many do not fill its requests in flight),
 * BENCH_PEER_RATE_MS (poll rate of each peer Modbus-Read node, default 1: its fastest),
 * BENCH_OURS_TRIGGER (input | interval, default input), BENCH_ONLY (e.g. "ours8,limit8,oursauto"),
 * BENCH_PROFILE (e.g. "ours8": V8 CPU profile of that contender into bench/results/).
 *
 * Prints the figures per contender, then one line per latency:
 *   BENCH modbus latency_ms=... values_per_s=... peer_values_per_s=... ratio=... (see the end)
 *
 * Choices that keep it fair (details where they are made):
 * - ours runs with interval 0; BENCH_OURS_PIPELINE triggers are outstanding and each output message
 *   re-triggers one, as a flow that asks faster than the device answers. The node runs as many scans at
 *   once as keep its requests in flight busy (nodes/modbus/scan-slots.ts), the rest wait in its queue.
 * - the peer's Modbus-Read nodes poll every 1 ms (its fastest). Queue on: its client sends one command
 *   per command delay (1 ms, its minimum). Queue off: every poll goes out at once, as many in flight as
 *   the polls make.
 * - both runtimes are node-red-node-test-helper's, with its sinon spies removed after loading (they
 *   keep every message sent), and our nodes are compiled as tsc compiles them (modbus/compile.ts).
 * - every value ours and the peer deliver in the window is compared with the layout, by the same code,
 *   and the block answers they deliver are compared with the requests the server served for each block
 *   ("fresh reads"): more delivered than served would be answers repeated or taken from a cache.
 * - the server measures the requests it holds (received, not yet answered): the mean and most each
 *   contender had in flight, whatever its settings say.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ContenderConfig, ContenderKind, ContenderMessage, ContenderResult } from './modbus/contender';
import type { ServerCommand, ServerCpu, ServerReady } from './modbus/server';
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

async function startServer(latencyMs: number): Promise<BenchServer> {
  const child = fork(path.join(BENCH_DIR, 'modbus', 'server.ts'), [String(latencyMs)], { execArgv: TSX, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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
  /** FC3 requests the server answered during the window, per start address. */
  readonly served: Record<number, number>;
  /** Requests the device held during the window: the mean (Little's law) and the most at once. */
  readonly heldMean: number;
  readonly heldMax: number;
}

/** One contender of a latency's round: its kind and the settings that make it this variant. */
interface Variant {
  readonly id: string;
  readonly kind: ContenderKind;
  readonly inFlight: number | 'auto';
  readonly peerQueue: boolean;
  readonly label: string;
}

function variants(many: number, most: number): Variant[] {
  const limit = (n: number): Variant => ({ id: `limit${n}`, kind: 'limit', inFlight: n, peerQueue: true, label: `limit: bare modbus-serial, ${n} in flight, no decoding` });
  const ours = (n: number): Variant => ({ id: `ours${n}`, kind: 'ours', inFlight: n, peerQueue: true, label: `ours: fh-modbus-read, output scan, ${n} in flight` });
  const counts = [...new Set([1, many, most])];
  return [
    ...counts.map(limit),
    ...counts.map(ours),
    { id: 'oursauto', kind: 'ours', inFlight: 'auto', peerQueue: true, label: `ours: fh-modbus-read, output scan, "auto" in flight (climbs from 1 up to ${most})` },
    { id: 'peer', kind: 'peer', inFlight: 1, peerQueue: true, label: 'peer: node-red-contrib-modbus, queue on (its default) + Function decoders' },
    { id: 'peerfast', kind: 'peer', inFlight: 1, peerQueue: false, label: 'peer: node-red-contrib-modbus, queue off (its fastest) + Function decoders' },
  ];
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
    heldMean: a && b ? (b.heldMs - a.heldMs) / (b.at - a.at) : NaN,
    heldMax: b ? b.heldMax : NaN,
    served: a && b ? Object.fromEntries(Object.entries(b.served).map(([k, v]) => [k, v - (a.served[Number(k)] ?? 0)])) : {},
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
  // The limit decodes nothing: its "values" are the tag values its scans carried, for comparison only.
  const values = r.kind === 'limit' ? r.scans * tagCount : r.values;
  return {
    scansPerS: r.scans / r.seconds,
    valuesPerS: values / r.seconds,
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

function printRun(v: Variant, run: Run, f: Figures): void {
  const r = run.result;
  const checked = r.kind === 'limit' ? '' : `, ${f0(r.checkedInWindow)} checked in the window, ${f0(r.wrongInWindow)} wrong`;
  console.log(`\n${v.label}  (${r.seconds.toFixed(1)} s, ${r.verified} values checked before${checked})`);
  console.log(`  scans/s          ${f2(f.scansPerS)}${r.kind === 'peer' ? '  (decoded values / 500: the peer has no scan)' : ''}`);
  console.log(`  values/s         ${f0(f.valuesPerS)}${r.kind === 'limit' ? '  (tag values the scans carried, undecoded)' : ''}`);
  console.log(`  requests/s       ${f0(f.requestsPerS)}  (server served ${f0(run.serverRequests / r.seconds)}/s)`);
  if (r.kind === 'peer') console.log(`  polls/s          ${f0(r.polls / r.seconds)}  (Modbus-Read polls issued)`);
  console.log(`  messages/s       ${r.kind === 'limit' ? '-' : f0(r.messages / r.seconds)}`);
  console.log(`  CPU              ${f0(f.cpuMs)} ms (user ${f0(r.cpuUserMs)}, system ${f0(r.cpuSystemMs)}) = ${f0(f.cpuPercent)} % of one core`);
  console.log(`                   ${f3(f.cpuMsPer1000)} ms per 1,000 values; ${f3(f.cpuMsPerScan)} ms per scan`);
  console.log(`  server CPU       ${f0(f.serverCpuPercent)} % of one core`);
  if (Number.isFinite(run.heldMean) && run.heldMax > 0) console.log(`  in flight        ${f2(run.heldMean)} on average at the device, ${f0(run.heldMax)} at most`);
  console.log(`  memory           rss ${f0(r.rssStartMb)} -> ${f0(r.rssEndMb)} MB (max ${f0(r.rssMaxMb)}), heap used ${f0(r.heapUsedMb)} MB`);
  if (r.kind !== 'limit') {
    const fr = freshness(run);
    console.log(`  fresh reads      ${f0(fr.delivered)} block answers delivered, ${f0(fr.served)} requests for those blocks served: ${f3(fr.servedPerDelivered)} served per delivered, ${f0(fr.beyond)} delivered beyond served`);
  }
  for (const n of r.notes) console.log(`  note: ${n}`);
}

async function main(): Promise<void> {
  const seconds = envNumber('BENCH_SECONDS', 5, 0.5);
  const warmupMs = envNumber('BENCH_WARMUP_MS', 1500, 0);
  const peerRateMs = envNumber('BENCH_PEER_RATE_MS', 1, 1);
  const many = envNumber('BENCH_IN_FLIGHT', 8, 2);
  // The peer with its queue off has as many requests in flight as its polls make (unbounded): ours and
  // the limit are also run at the most a client config takes.
  const most = envNumber('BENCH_IN_FLIGHT_MAX', 128, 2);
  const oursPipeline = envNumber('BENCH_OURS_PIPELINE', 8, 1);
  const oursTrigger = process.env.BENCH_OURS_TRIGGER === 'interval' ? 'interval' : 'input';
  const latencies = (process.env.BENCH_LATENCIES ?? '0,2,10').split(',').map((x) => Number(x.trim()));
  if (latencies.some((x) => !Number.isFinite(x) || x < 0)) throw new Error(`BENCH_LATENCIES must be ms >= 0, not "${process.env.BENCH_LATENCIES}"`);
  const only = (process.env.BENCH_ONLY ?? '').split(',').map((x) => x.trim()).filter(Boolean);
  const chosen = variants(many, most).filter((v) => !only.length || only.includes(v.id));
  const profiled = (process.env.BENCH_PROFILE ?? '').split(',').map((x) => x.trim());
  const peer = chosen.some((v) => v.kind === 'peer') ? peerInfo() : undefined;

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
    `each contender: own process, ${warmupMs} ms warm-up, then ${seconds} s measured; server: our own Modbus TCP server in its own process on a free loopback port, ` +
      `answering each request ${latencies.join(' / ')} ms after it arrived; ours: ${oursTrigger === 'input' ? `interval 0, ${oursPipeline} triggers outstanding, each output re-triggers one` : 'interval 1 ms'}; ` +
      `peer: Modbus-Read rate ${peerRateMs} ms, command delay 1 ms, queue on and off`,
  );

  // Under bench/node_modules: git- and lint-ignored, and modbus-serial resolves to the repo's from there.
  const nodesDir = compileNodes(path.resolve(BENCH_DIR, '..'), path.join(BENCH_DIR, 'node_modules', '.cache', 'factoryhub-nodes-js'));
  const loadBefore = os.loadavg()[0];
  const lines: string[] = [];
  let failed = false;
  for (const latencyMs of latencies) {
    console.log(`\n=== device answering ${latencyMs === 0 ? 'at once' : `in ${latencyMs} ms`}`);
    const server = await startServer(latencyMs);
    const runs = new Map<string, { run: Run; f: Figures }>();
    try {
      for (const v of chosen) {
        const cfg: ContenderConfig = { port: server.port, seconds, warmupMs, peerRateMs, oursTrigger, peerDir: BENCH_DIR, nodesDir, inFlight: v.inFlight, peerQueue: v.peerQueue, oursPipeline, maxInFlight: most };
        try {
          const run = await runContender(v.kind, cfg, server, profiled.includes(v.id));
          if (run.result.wrongInWindow > 0) throw new Error(`${run.result.wrongInWindow} of ${run.result.checkedInWindow} values in the window were wrong`);
          const f = figures(run, tags.length);
          runs.set(v.id, { run, f });
          printRun(v, run, f);
        } catch (err) {
          failed = true;
          console.error(`\n${v.label}: FAILED\n${err instanceof Error ? err.message : String(err)}`);
        }
      }
    } finally {
      await server.stop();
    }
    const line = benchLine(latencyMs, many, most, runs, seconds);
    if (line) {
      console.log(line.targets);
      console.log(line.bench);
      lines.push(line.bench);
    } else if (!failed) console.log('\n(no BENCH line: it needs every contender; BENCH_ONLY left some out)');
  }

  // Contenders run one after the other: other work on the machine in between skews the comparison.
  const cores = os.availableParallelism();
  const loadAfter = os.loadavg()[0];
  console.log(`\nmachine: ${cores} cores, load average (1 min) ${loadBefore.toFixed(1)} before, ${loadAfter.toFixed(1)} after`);
  if (Math.max(loadBefore, loadAfter) > cores) console.log(`warning: the machine was busy with other work (load > ${cores}): the figures are noisy, run again when it is idle`);
  if (lines.length) console.log(`\n${lines.join('\n')}`);
  if (failed) process.exitCode = 1;

  function benchLine(latencyMs: number, n: number, m: number, runs: Map<string, { run: Run; f: Figures }>, secs: number): { targets: string; bench: string } | undefined {
    const [ours1, oursN, oursM, oursAuto, limitN, limitM, peerDefault, peerFast] = ['ours1', `ours${n}`, `ours${m}`, 'oursauto', `limit${n}`, `limit${m}`, 'peer', 'peerfast'].map((id) => runs.get(id));
    if (!ours1 || !oursN || !oursM || !oursAuto || !limitN || !limitM || !peerDefault || !peerFast) return undefined;
    const ratio = oursN.f.valuesPerS / peerFast.f.valuesPerS;
    const ratioM = oursM.f.valuesPerS / peerFast.f.valuesPerS;
    const ratioAuto = oursAuto.f.valuesPerS / peerFast.f.valuesPerS;
    const limitFraction = oursN.f.valuesPerS / limitN.f.valuesPerS;
    const limitFractionM = oursM.f.valuesPerS / limitM.f.valuesPerS;
    const speedup = oursN.f.valuesPerS / ours1.f.valuesPerS;
    const cpuRatio = oursN.f.cpuMsPer1000 / peerFast.f.cpuMsPer1000;
    const cpuRatioM = oursM.f.cpuMsPer1000 / peerFast.f.cpuMsPer1000;
    const cpuRatioAuto = oursAuto.f.cpuMsPer1000 / peerFast.f.cpuMsPer1000;
    const autoAt = oursAuto.run.result.inFlightLimit ?? NaN;
    const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
    const targets =
      `targets at ${latencyMs} ms, ${n} in flight: ratio ${k(ratio, 2)} (>= 1: ${met(ratio >= 1)}), limit_fraction ${k(limitFraction, 3)} (>= 0.8: ${met(limitFraction >= 0.8)}), ` +
      `CPU per value ${k(cpuRatio, 2)} x the peer's fastest (<= 0.5: ${met(cpuRatio <= 0.5)})` +
      (latencyMs >= 10 ? `, ${n} in flight ${k(speedup, 2)} x 1 in flight (>= 5: ${met(speedup >= 5)})` : '') +
      `\ntargets at ${latencyMs} ms, ${m} in flight (the cap; the peer's queue off has none: ${k(peerFast.run.heldMean, 1)} on average, ${k(peerFast.run.heldMax, 0)} at most): ratio ${k(ratioM, 2)} (>= 1: ${met(ratioM >= 1)}), limit_fraction ${k(limitFractionM, 3)} (>= 0.8: ${met(limitFractionM >= 0.8)}), ` +
      `CPU per value ${k(cpuRatioM, 2)} x the peer's fastest (<= 0.5: ${met(cpuRatioM <= 0.5)})` +
      `\ntargets at ${latencyMs} ms, "auto" (settled at ${k(autoAt, 0)} in flight): ratio ${k(ratioAuto, 2)} (>= 1: ${met(ratioAuto >= 1)}), CPU per value ${k(cpuRatioAuto, 2)} x the peer's fastest (<= 0.5: ${met(cpuRatioAuto <= 0.5)})`;
    const peerFresh = freshness(peerFast.run);
    const bench = [
      'BENCH modbus',
      `latency_ms=${latencyMs}`,
      `values_per_s=${k(oursN.f.valuesPerS, 0)}`,
      `peer_values_per_s=${k(peerFast.f.valuesPerS, 0)}`,
      `peer_default_values_per_s=${k(peerDefault.f.valuesPerS, 0)}`,
      `ratio=${k(ratio, 2)}`,
      `limit_fraction=${k(limitFraction, 3)}`,
      `in_flight=${n}`,
      `ours1_values_per_s=${k(ours1.f.valuesPerS, 0)}`,
      `speedup_over_1=${k(speedup, 2)}`,
      `limit_values_per_s=${k(limitN.f.valuesPerS, 0)}`,
      `cpu_ms_per_1000=${k(oursN.f.cpuMsPer1000, 3)}`,
      `peer_cpu_ms_per_1000=${k(peerFast.f.cpuMsPer1000, 3)}`,
      `peer_default_cpu_ms_per_1000=${k(peerDefault.f.cpuMsPer1000, 3)}`,
      `cpu_ratio=${k(cpuRatio, 2)}`,
      `limit_cpu_ms_per_1000=${k(limitN.f.cpuMsPer1000, 3)}`,
      `in_flight_max=${m}`,
      `ours${m}_values_per_s=${k(oursM.f.valuesPerS, 0)}`,
      `ratio_${m}=${k(ratioM, 2)}`,
      `limit${m}_values_per_s=${k(limitM.f.valuesPerS, 0)}`,
      `limit_fraction_${m}=${k(limitFractionM, 3)}`,
      `cpu_ms_per_1000_${m}=${k(oursM.f.cpuMsPer1000, 3)}`,
      `cpu_ratio_${m}=${k(cpuRatioM, 2)}`,
      `auto_values_per_s=${k(oursAuto.f.valuesPerS, 0)}`,
      `ratio_auto=${k(ratioAuto, 2)}`,
      `auto_in_flight=${k(autoAt, 0)}`,
      `cpu_ms_per_1000_auto=${k(oursAuto.f.cpuMsPer1000, 3)}`,
      `cpu_ratio_auto=${k(cpuRatioAuto, 2)}`,
      `peer_polls_per_s=${k(peerFast.run.result.polls / peerFast.run.result.seconds, 0)}`,
      `peer_in_flight_mean=${k(peerFast.run.heldMean, 1)}`,
      `peer_in_flight_max=${k(peerFast.run.heldMax, 0)}`,
      `in_flight_mean=${k(oursN.run.heldMean, 1)}`,
      `in_flight_mean_${m}=${k(oursM.run.heldMean, 1)}`,
      `peer_answers_per_poll=${k(peerFast.run.result.messages / peerFast.run.result.polls, 3)}`,
      `peer_served_per_delivered=${k(peerFresh.servedPerDelivered, 3)}`,
      `checked_in_window=${k(oursN.run.result.checkedInWindow, 0)}`,
      `peer_checked_in_window=${k(peerFast.run.result.checkedInWindow, 0)}`,
      `rss_mb=${k(oursN.run.result.rssEndMb, 0)}`,
      `peer_rss_mb=${k(peerFast.run.result.rssEndMb, 0)}`,
      `seconds=${secs}`,
      `load=${os.loadavg()[0].toFixed(1)}`,
      `peer=node-red-contrib-modbus@${peer?.version ?? '?'}+${peer?.modbusSerial ?? '?'}`,
    ].join(' ');
    return { targets, bench };
  }
}

/**
 * Whether every block answer a contender delivered in its window came from a read of its own: per
 * block, answers delivered against requests the server served. More delivered than served would be
 * answers repeated or served from a cache; the window's two ends are taken a few ms apart in the two
 * processes, so a difference of about the requests in flight is edge skew, not a cache.
 */
function freshness(run: Run): { delivered: number; served: number; beyond: number; servedPerDelivered: number } {
  let delivered = 0;
  let served = 0;
  let beyond = 0;
  for (const [start, d] of Object.entries(run.result.delivered)) {
    const s = run.served[Number(start)] ?? 0;
    delivered += d;
    served += s;
    beyond += Math.max(0, d - s);
  }
  return { delivered, served, beyond, servedPerDelivered: delivered > 0 ? served / delivered : NaN };
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
