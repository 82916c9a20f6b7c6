/**
 * Child process of the Modbus benchmark: runs ONE contender against the bench server at full speed,
 * checks its decoded values against the layout first, then measures a window of BENCH_SECONDS.
 *
 *   limit a plain modbus-serial client reading the planner's blocks with the same number of requests in
 *         flight as ours (cfg.inFlight), no decoding: what the library does without a node around it
 *   ours  Node-RED (node-red-node-test-helper) with fh-modbus-client (cfg.inFlight requests in flight)
 *         + fh-tag-map + fh-modbus-read
 *   peer  Node-RED with node-red-contrib-modbus (Modbus-Client + one Modbus-Read per block) and a
 *         Function node per block doing the decoding a user of the peer must add; its client's queue
 *         on (its default) or off (its fastest documented setting), cfg.peerQueue
 *
 * Ours and the peer are checked value by value before timing AND during the timed window: every value
 * of every message is compared with the layout (the same check, so the same cost, for both).
 *
 * One process per contender: its CPU time and memory are its own, and the peer's modules are never
 * loaded next to ours. Talks to the parent over IPC (see ContenderMessage).
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import ModbusRTU from 'modbus-serial';
import helper from 'node-red-node-test-helper';
import type { TestFlows, TestNodeInitializer } from 'node-red-node-test-helper';
import type { EventEmitter } from 'node:events';
import type { Node, NodeInitializer } from 'node-red';
import type { ModbusClientNode } from '../../nodes/modbus/modbus-client';
import type * as PlanModule from '../../nodes/modbus/plan';
import type { ReadBlock } from '../../nodes/modbus/plan';
import type * as ValidateModule from '../../nodes/tags/validate';
import type { Tag } from '../../nodes/tags/tag';
import type { BenchTag } from './layout';
import { UNIT_ID, buildLayout, mismatches, sameValue } from './layout';
import { decoderSource } from './peer-decoder';

export type ContenderKind = 'limit' | 'ours' | 'peer';

export interface ContenderConfig {
  readonly port: number;
  readonly seconds: number;
  readonly warmupMs: number;
  /** Poll rate of each peer Modbus-Read node (ms). */
  readonly peerRateMs: number;
  /** How our read node runs at full speed: re-triggered by each output, or a 1 ms interval. */
  readonly oursTrigger: 'input' | 'interval';
  /** Where node-red-contrib-modbus is installed (bench/node_modules). */
  readonly peerDir: string;
  /** Our nodes compiled to JavaScript as tsc does for dist/ (see compile.ts). */
  readonly nodesDir: string;
  /** Requests in flight: ours (its client's setting, a number or "auto") and the limit (a number). */
  readonly inFlight: number | 'auto';
  /** The peer's client queue ("Queue commands"): on is its default, off its fastest. */
  readonly peerQueue: boolean;
  /**
   * Ours: scan triggers kept outstanding (each output re-triggers one), so scans may overlap; at least as
   * many as keep cfg.inFlight requests in flight (the node runs what fills them, the rest wait their turn).
   */
  readonly oursPipeline: number;
  /** The most a client config takes ("auto" climbs up to it). */
  readonly maxInFlight: number;
}

export interface ContenderResult {
  readonly type: 'result';
  readonly kind: ContenderKind;
  readonly seconds: number;
  /** Complete scans (ours); limit: requests / blocks; for the peer, decoded values / tag count. */
  readonly scans: number;
  /** Decoded tag values delivered (0 for the limit). */
  readonly values: number;
  /** Read requests answered. */
  readonly requests: number;
  /** Peer: Modbus-Read polls issued (answered or not). */
  readonly polls: number;
  /** Messages that reached the counting node. */
  readonly messages: number;
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  readonly rssStartMb: number;
  readonly rssEndMb: number;
  readonly rssMaxMb: number;
  readonly heapUsedMb: number;
  /** Tag values compared with the layout before timing (all of them). */
  readonly verified: number;
  /** Tag values compared with the layout during the timed window, and how many of them were wrong. */
  readonly checkedInWindow: number;
  readonly wrongInWindow: number;
  /**
   * Block answers delivered (decoded values reached the counting node) during the window, per block
   * start address: compared with what the server served, they show whether every delivered value came
   * from a read of its own (no cached or repeated answers). Empty for the limit.
   */
  readonly delivered: Record<number, number>;
  readonly notes: readonly string[];
  /** Ours: the requests in flight its connection allowed at the end (what "auto" settled at). */
  readonly inFlightLimit?: number;
}

export type ContenderMessage =
  | { readonly type: 'window'; readonly phase: 'start' | 'end' }
  | ContenderResult
  | { readonly type: 'fail'; readonly error: string };

interface Counters {
  scans: number;
  values: number;
  requests: number;
  polls: number;
  messages: number;
  checked: number;
  wrong: number;
  /** Block answers delivered, per block start address. */
  delivered: Record<number, number>;
}

const counters = (): Counters => ({ scans: 0, values: 0, requests: 0, polls: 0, messages: 0, checked: 0, wrong: 0, delivered: {} });

function deliveredSince(now: Record<number, number>, before: Record<number, number>): Record<number, number> {
  const out: Record<number, number> = {};
  for (const k in now) out[k] = now[k] - (before[k] ?? 0);
  return out;
}

/** Checks every value of a payload (tag name -> value) against the layout; counts into c; returns how many it checked. */
function checker(bench: readonly BenchTag[], c: Counters): (payload: Record<string, unknown>) => number {
  const expected = new Map(bench.map((t) => [t.name, t.expected]));
  return (payload) => {
    let n = 0;
    for (const name in payload) {
      n++;
      const want = expected.get(name);
      if (want === undefined || !sameValue(payload[name], want)) c.wrong++;
    }
    c.checked += n;
    return n;
  };
}

const HOST = '127.0.0.1';
const send = (m: ContenderMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(m, undefined, undefined, () => resolve());
  });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number): number => bytes / (1024 * 1024);

async function until(what: string, ok: () => boolean, timeoutMs = 15000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Warm-up, then one measured window; the contender keeps running during it. */
async function measure(kind: ContenderKind, cfg: ContenderConfig, c: Counters, notes: string[], verified: number): Promise<ContenderResult> {
  await sleep(cfg.warmupMs);
  const before = { ...c, delivered: { ...c.delivered } };
  let rssMax = process.memoryUsage().rss;
  const rssStart = rssMax;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 200);
  void send({ type: 'window', phase: 'start' });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(cfg.seconds * 1000);
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  void send({ type: 'window', phase: 'end' });
  clearInterval(sampler);
  const mem = process.memoryUsage();
  rssMax = Math.max(rssMax, mem.rss);
  return {
    type: 'result',
    kind,
    seconds,
    scans: c.scans - before.scans,
    values: c.values - before.values,
    requests: c.requests - before.requests,
    polls: c.polls - before.polls,
    messages: c.messages - before.messages,
    checkedInWindow: c.checked - before.checked,
    wrongInWindow: c.wrong - before.wrong,
    delivered: deliveredSince(c.delivered, before.delivered),
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    rssStartMb: mb(rssStart),
    rssEndMb: mb(mem.rss),
    rssMaxMb: mb(rssMax),
    heapUsedMb: mb(mem.heapUsed),
    verified,
    notes,
  };
}

/** A CommonJS module without types of its own (typed by the caller), or one of our compiled nodes. */
function load<T>(file: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as T;
}

let nodesDir = '';
/** One of our modules as compiled by compile.ts, e.g. node('modbus/plan'). */
function node<T>(name: string): T {
  return load<T>(path.join(nodesDir, name));
}

function layoutTags(): { bench: readonly BenchTag[]; tags: Tag[]; blocks: readonly ReadBlock[]; image: Uint16Array } {
  const { tags: bench, image } = buildLayout();
  const { tags, errors } = node<typeof ValidateModule>('tags/validate').validateRows(bench.map((t) => t.row));
  if (errors.length) throw new Error(`bench layout does not validate: ${JSON.stringify(errors.slice(0, 3))}`);
  const plan = node<typeof PlanModule>('modbus/plan').planReads(tags, { defaultUnitId: UNIT_ID });
  return { bench, tags, blocks: plan.blocks, image };
}

// ---------------------------------------------------------------------------------------------- limit

async function runLimit(cfg: ContenderConfig): Promise<ContenderResult> {
  const { blocks, image } = layoutTags();
  const client = new ModbusRTU();
  await client.connectTCP(HOST, { port: cfg.port });
  client.setID(UNIT_ID);
  client.setTimeout(1000);
  const c = counters();
  // The server answers what it holds: check one scan's registers against the image.
  let verified = 0;
  for (const b of blocks) {
    const { data } = await client.readHoldingRegisters(b.start, b.count);
    for (let i = 0; i < b.count; i++) {
      if (data[i] !== image[b.start + i]) throw new Error(`limit: register ${b.start + i} is ${data[i]}, want ${image[b.start + i]}`);
    }
    verified += b.items.length;
  }
  let running = true;
  let next = 0;
  // cfg.inFlight workers, each sending the next block of the scan as soon as its last one is answered.
  const worker = async (): Promise<void> => {
    while (running) {
      const b = blocks[next];
      next = (next + 1) % blocks.length;
      await client.readHoldingRegisters(b.start, b.count);
      if (++c.requests % blocks.length === 0) c.scans++;
    }
  };
  const workers = Array.from({ length: Number(cfg.inFlight) }, worker);
  const result = await measure('limit', cfg, c, [], verified);
  running = false;
  await Promise.all(workers);
  await new Promise<void>((r) => client.close(() => r()));
  return result;
}

// ------------------------------------------------------------------------------------- Node-RED

helper.init(require.resolve('node-red'));

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
    const send = (n as { send?: { args?: unknown } } | null)?.send;
    if (send?.args !== undefined) throw new Error(`node ${String(def.id)}: send is still a test spy`);
  }
}

async function startRuntime(nodes: TestNodeInitializer, flow: Record<string, unknown>[]): Promise<void> {
  await new Promise<void>((r) => helper.startServer(r));
  await helper.load(nodes, flow as TestFlows);
  removeTestSpies(flow);
}

async function stopRuntime(): Promise<void> {
  await helper.unload();
  await new Promise<void>((r) => helper.stopServer(r));
}

function onInput(node: Node, listener: (msg: { payload?: unknown; quality?: unknown }) => void): void {
  node.on('input', listener);
}

// ---------------------------------------------------------------------------------------------- ours

async function runOurs(cfg: ContenderConfig): Promise<ContenderResult> {
  const { bench, blocks } = layoutTags();
  const clientNode = node<{ default: NodeInitializer }>('modbus/modbus-client').default;
  const readNode = node<{ default: NodeInitializer }>('modbus/modbus-read').default;
  const tagMapNode = node<{ default: NodeInitializer }>('tags/tag-map').default;
  const interval = cfg.oursTrigger === 'interval' ? 1 : 0;
  const flow: Record<string, unknown>[] = [
    { id: 'tab', type: 'tab' },
    { id: 'dev', type: 'fh-modbus-client', name: 'bench', transport: 'tcp', host: HOST, port: cfg.port, unitId: UNIT_ID, timeout: 1000, reconnectMax: 30, maxInFlight: cfg.inFlight },
    { id: 'map', type: 'fh-tag-map', name: 'bench', rows: bench.map((t) => t.row) },
    { id: 'read', type: 'fh-modbus-read', z: 'tab', client: 'dev', tagMap: 'map', prefix: '', interval, output: 'scan', staleAfter: 10, maxGap: 10, wires: [['count']] },
    { id: 'count', type: 'helper', z: 'tab' },
  ];
  await startRuntime([clientNode, tagMapNode, readNode], flow);
  const client = helper.getNode('dev') as ModbusClientNode;
  const read = helper.getNode('read');
  await until('fh-modbus-client to connect', () => client.connection().state.kind === 'connected');
  const steps: number[] = [];
  client.connection().on('pacing', (p: { limit: number }) => steps.push(p.limit));

  const c = counters();
  const check = checker(bench, c);
  const notes: string[] = [];
  let first: Record<string, unknown> | undefined;
  let bad = 0;
  let running = true;
  onInput(helper.getNode('count'), (msg) => {
    c.messages++;
    if (msg.quality === 'good') {
      c.scans++;
      c.requests += blocks.length;
      // Counted as they are checked: one walk over the values, the same for ours and the peer.
      c.values += check(msg.payload as Record<string, unknown>);
      for (const b of blocks) c.delivered[b.start] = (c.delivered[b.start] ?? 0) + 1;
      first ??= msg.payload as Record<string, unknown>;
    } else bad++;
    if (running && interval === 0) read.receive({ payload: 'scan' });
  });
  // Several triggers outstanding, as a flow that asks faster than the device answers: the node runs
  // as many scans at once as keep its device's requests in flight busy, the rest wait their turn.
  const most = cfg.inFlight === 'auto' ? cfg.maxInFlight : cfg.inFlight;
  const pipeline = Math.max(cfg.oursPipeline, Math.ceil(most / blocks.length) + 2);
  if (interval === 0) for (let i = 0; i < pipeline; i++) read.receive({ payload: 'scan' });
  await until('the first scan', () => first !== undefined);
  const got = new Map(Object.entries(first ?? {}));
  const wrong = mismatches(bench, got);
  if (got.size !== bench.length) wrong.push(`scan object has ${got.size} values, want ${bench.length}`);
  if (wrong.length) throw new Error(`ours: ${wrong.length} wrong values:\n  ${wrong.slice(0, 10).join('\n  ')}`);

  // "auto" measured where it settled (its climb is a start-up transient), or after 15 s of climbing.
  if (cfg.inFlight === 'auto') {
    const t0 = Date.now();
    await until('auto to settle', () => !/^auto: trying/.test(client.connection().pacing.reason ?? 'auto: trying') || Date.now() - t0 > 15000, 20000);
    notes.push(`auto settled ${((Date.now() - t0) / 1000).toFixed(1)} s after the first scan`);
  }
  const result = await measure('ours', cfg, c, notes, got.size);
  running = false;
  const pacing = client.connection().pacing;
  if (steps.length) notes.push(`in flight allowed, step by step: 1 -> ${steps.join(' -> ')}`);
  notes.push(`${pipeline} triggers outstanding; in flight at the end: ${pacing.limit} of ${pacing.max}${pacing.auto ? ' (auto)' : ''}${pacing.reason ? `: ${pacing.reason}` : ''}`);
  if (bad) notes.push(`${bad} scans were not good`);
  await sleep(50); // let the last scan finish
  await stopRuntime();
  return { ...result, inFlightLimit: pacing.limit };
}

// ---------------------------------------------------------------------------------------------- peer

async function runPeer(cfg: ContenderConfig): Promise<ContenderResult> {
  const { bench, blocks } = layoutTags();
  const modbusDir = path.join(cfg.peerDir, 'node_modules', 'node-red-contrib-modbus', 'modbus');
  const functionPath = path.join(path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [path.dirname(require.resolve('node-red'))] })), 'core', 'function', '10-function.js');
  const peerClient = load<NodeInitializer>(path.join(modbusDir, 'modbus-client.js'));
  const peerRead = load<NodeInitializer>(path.join(modbusDir, 'modbus-read.js'));
  const functionNode = load<NodeInitializer>(functionPath);

  const flow: Record<string, unknown>[] = [
    { id: 'tab', type: 'tab' },
    // The editor's defaults (queue on, command delay 1 ms: its minimum), logging off.
    {
      id: 'pc',
      type: 'modbus-client',
      name: 'bench',
      clienttype: 'tcp',
      bufferCommands: cfg.peerQueue,
      stateLogEnabled: false,
      queueLogEnabled: false,
      failureLogEnabled: false,
      tcpHost: HOST,
      tcpPort: String(cfg.port),
      tcpType: 'DEFAULT',
      unit_id: UNIT_ID,
      commandDelay: 1,
      clientTimeout: 1000,
      reconnectOnTimeout: true,
      reconnectTimeout: 2000,
      parallelUnitIdsAllowed: true,
      showErrors: false,
      showWarnings: false,
      showLogs: false,
    },
    { id: 'count', type: 'helper', z: 'tab' },
  ];
  blocks.forEach((b, i) => {
    flow.push(
      {
        id: `r${i}`,
        type: 'modbus-read',
        z: 'tab',
        name: `hr:${b.start} +${b.count}`,
        topic: `hr:${b.start}`,
        showStatusActivities: false,
        logIOActivities: false,
        showErrors: false,
        showWarnings: false,
        unitid: String(UNIT_ID),
        dataType: 'HoldingRegister',
        adr: String(b.start),
        quantity: String(b.count),
        rate: String(cfg.peerRateMs),
        rateUnit: 'ms',
        delayOnStart: false,
        startDelayTime: '',
        server: 'pc',
        useIOFile: false,
        ioFile: '',
        useIOForPayload: false,
        emptyMsgOnFail: false,
        enableDeformedMessages: false,
        wires: [[`d${i}`], []],
      },
      {
        id: `d${i}`,
        type: 'function',
        z: 'tab',
        name: `decode hr:${b.start}`,
        func: decoderSource(b, bench),
        outputs: 1,
        timeout: 0,
        noerr: 0,
        initialize: '',
        finalize: '',
        libs: [],
        wires: [['count']],
      },
    );
  });
  if (process.env.BENCH_SHOW_DECODER) console.log(decoderSource(blocks[0], bench));

  await startRuntime([peerClient, peerRead, functionNode], flow);
  const c = counters();
  const check = checker(bench, c);
  const notes: string[] = [];
  (helper.getNode('pc') as unknown as EventEmitter).on('readModbus', () => c.polls++);
  const seen = new Map<string, unknown>();
  // Which block a decoded message is the answer of: its first tag's.
  const blockOf = new Map<string, number>();
  for (const b of blocks) for (const it of b.items) blockOf.set(bench[it.tagIndex].name, b.start);
  let verifying = true;
  onInput(helper.getNode('count'), (msg) => {
    c.messages++;
    c.requests++;
    const n = check(msg.payload as Record<string, unknown>);
    c.values += n;
    c.scans += n / bench.length;
    for (const name in msg.payload as Record<string, unknown>) {
      const start = blockOf.get(name);
      if (start !== undefined) c.delivered[start] = (c.delivered[start] ?? 0) + 1;
      break;
    }
    if (verifying) for (const [k, v] of Object.entries(msg.payload as Record<string, unknown>)) seen.set(k, v);
  });
  await until('the peer to decode every tag once', () => seen.size >= bench.length, 20000);
  verifying = false;
  const wrong = mismatches(bench, seen);
  if (seen.size !== bench.length) wrong.push(`decoded ${seen.size} names, want ${bench.length}`);
  if (wrong.length) throw new Error(`peer: ${wrong.length} wrong values:\n  ${wrong.slice(0, 10).join('\n  ')}`);

  const result = await measure('peer', cfg, c, notes, seen.size);
  const unanswered = result.polls - result.requests;
  if (unanswered > result.polls * 0.01) notes.push(`${unanswered} of ${result.polls} polls got no answer (queue full or dropped)`);
  await stopRuntime();
  return result;
}

// ---------------------------------------------------------------------------------------------- main

/** Timers, sockets and servers still open after the contender stopped (should be none). */
function leftovers(): string[] {
  const info = (process as unknown as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo?.() ?? [];
  // The IPC channel to the parent is expected.
  return info.filter((r) => r !== 'PipeWrap' && r !== 'TTYWrap');
}

async function main(): Promise<void> {
  const kind = process.argv[2] as ContenderKind;
  const cfg = JSON.parse(process.argv[3] ?? '{}') as ContenderConfig;
  nodesDir = cfg.nodesDir;
  // Our compiled nodes must find the same modbus-serial as the sources (the repo's), not one of bench/.
  const repo = path.resolve(__dirname, '..', '..');
  const ours = require.resolve('modbus-serial', { paths: [nodesDir] });
  if (ours !== require.resolve('modbus-serial', { paths: [repo] })) throw new Error(`compiled nodes resolve modbus-serial to ${ours}`);
  const run = kind === 'limit' ? runLimit : kind === 'ours' ? runOurs : kind === 'peer' ? runPeer : undefined;
  if (!run) throw new Error(`unknown contender ${kind}`);
  const result = await run(cfg);
  await sleep(100);
  const left = leftovers();
  await send(left.length ? { ...result, notes: [...result.notes, `left open after stop: ${left.join(', ')}`] } : result);
}

main()
  .catch((err: unknown) => send({ type: 'fail', error: err instanceof Error ? (err.stack ?? err.message) : String(err) }))
  .finally(() => {
    // Results are sent; leave even if a library keeps a handle open (reported in the notes above).
    process.disconnect?.();
    setTimeout(() => process.exit(0), 200).unref();
  });
