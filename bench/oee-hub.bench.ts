/**
 * OEE in a real hub (`npm run bench -- oee-hub`): 500 fh-oee nodes, one per machine, in one Node-RED
 * 4 process started exactly as `npm start` starts it (settings/, the built package in dist/), each fed
 * one scan per second (state, total and good count as one object, as fh-modbus-read sends it) by a
 * function node standing in for 500 PLCs. Every node runs as configured by default: its clock ticks
 * each second, figures at most every 10 s (all collected by one function node, as a dashboard would),
 * its state file written at most every 10 s.
 *
 * The hub's CPU time is read from /proc over a measured window after a warm-up, as % of one core, and
 * its resident memory at the end. The same flow without the fh-oee nodes (the feeder and Node-RED
 * alone) is measured in a second hub, so the OEE nodes' own share is visible. There is no peer node
 * package computing OEE from raw signals, so the summary line has no ratio; it gives the baseline.
 *
 *   npm run bench -- oee-hub                 BENCH_SECONDS=60 (measured window), BENCH_MACHINES=500
 */
import fs from 'node:fs';
import path from 'node:path';
import { HubProcess, tempDir } from '../test/support/hub-process';

const MACHINES = Number(process.env.BENCH_MACHINES ?? 500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const WARMUP_S = 20;
const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux

/** The 500 PLCs: each second one scan per machine; mostly running, now and then a stop, 1 % rejects. */
const FEEDER = `
const n = ${MACHINES};
let plcs = context.get('plcs');
if (!plcs) {
  plcs = [];
  for (let i = 0; i < n; i++) plcs.push({ state: 1, until: 0, total: (i * 977) % 65536, good: (i * 977) % 65536 });
  context.set('plcs', plcs);
}
const t = Date.now();
const out = [];
for (let i = 0; i < n; i++) {
  const p = plcs[i];
  if (t >= p.until) {
    const stop = p.state === 1 && Math.random() < 0.3;
    p.state = stop ? 2 : 1;
    p.until = t + (stop ? 5000 + Math.random() * 60000 : 30000 + Math.random() * 300000);
  }
  if (p.state === 1) {
    const made = 1 + (Math.random() < 0.5 ? 1 : 0);
    p.total = (p.total + made) % 65536;
    p.good = (p.good + made - (Math.random() < 0.01 ? 1 : 0) + 65536) % 65536;
  }
  const m = 'bench/line/m' + i;
  out.push({ payload: { [m + '/state']: p.state, [m + '/total']: p.total, [m + '/good']: p.good }, timestamp: t });
}
return out;
`;

/** Counts the figures messages and keeps the last per machine (for the check at the end). */
const COLLECTOR = `
const last = flow.get('last') || {};
last[msg.payload.machine] = { oee: msg.payload.oee, total: msg.payload.counts ? msg.payload.counts.total : null };
flow.set('last', last);
flow.set('figures', (flow.get('figures') || 0) + 1);
return null;
`;

function flowFor(withOee: boolean): Record<string, unknown>[] {
  const all = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  const id = (kind: string, i = 0): string => `${kind}${i.toString(16).padStart(12, '0')}`;
  const oeeIds = Array.from({ length: MACHINES }, (_, i) => id('b0e0', i));
  const nodes: Record<string, unknown>[] = [
    { id: 'b0e000000001', type: 'tab', label: 'oee hub bench' },
    {
      id: 'b0e000000002',
      type: 'fh-shift-calendar',
      name: 'three shifts',
      timeZone: 'UTC',
      shifts: [
        { name: 'Early', days: all, start: '06:00', end: '14:00', breaks: [] },
        { name: 'Late', days: all, start: '14:00', end: '22:00', breaks: [] },
        { name: 'Night', days: all, start: '22:00', end: '06:00', breaks: [] },
      ],
      holidays: [],
      plannedStops: [],
    },
    { id: 'b0e000000003', type: 'inject', z: 'b0e000000001', repeat: '1', once: true, onceDelay: '0.5', topic: '', props: [], wires: [['b0e000000004']] },
    { id: 'b0e000000004', type: 'function', z: 'b0e000000001', name: 'PLCs', func: FEEDER, outputs: MACHINES, wires: oeeIds.map((o) => (withOee ? [o] : [])) },
    { id: 'b0e000000005', type: 'function', z: 'b0e000000001', name: 'figures', func: COLLECTOR, outputs: 1, wires: [[]] },
    { id: 'b0e000000006', type: 'http in', z: 'b0e000000001', url: '/bench/figures', method: 'get', wires: [['b0e000000007']] },
    { id: 'b0e000000007', type: 'change', z: 'b0e000000001', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"figures": $flowContext("figures"), "last": $flowContext("last")}', tot: 'jsonata' }], wires: [['b0e000000008']] },
    { id: 'b0e000000008', type: 'http response', z: 'b0e000000001', statusCode: '', wires: [] },
  ];
  if (!withOee) return nodes;
  oeeIds.forEach((oid, i) => {
    const m = `bench/line/m${i}`;
    nodes.push({
      id: oid,
      type: 'fh-oee',
      z: 'b0e000000001',
      machine: m,
      calendar: 'b0e000000002',
      stateSource: 'state',
      stateTag: `${m}/state`,
      stateMap: [
        { value: '1', state: 'running' },
        { value: '2', state: 'down' },
      ],
      countBasis: 'total+good',
      totalTag: `${m}/total`,
      goodTag: `${m}/good`,
      counterMode: 'abs16',
      reasons: [],
      products: [{ name: 'A', ict: '0.4' }],
      defaultProduct: 'A',
      wires: [['b0e000000005'], [], []],
    });
  });
  return nodes;
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S; // fields 14 and 15 of stat(5)
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Run {
  cpuPct: number;
  rssMb: number;
  figures: number;
  /** Machines whose last figures had an OEE, and the parts they counted. */
  withOee: number;
  parts: number;
  stateFiles: number;
}

async function run(withOee: boolean): Promise<Run> {
  const userDir = tempDir(`oee-hub-bench-${withOee ? 'oee' : 'baseline'}`);
  const hub = new HubProcess({ userDir, env: { HUB_OPEN_HTTP: '1' } });
  await hub.start(60_000);
  try {
    const token = await hub.login('admin');
    const res = await hub.api(token, 'POST', '/flows', flowFor(withOee), { 'Node-RED-Deployment-Type': 'full' });
    if (res.status !== 204 && res.status !== 200) throw new Error(`deploy failed: HTTP ${res.status} ${await res.text()}`);
    const pid = hub.pid;
    if (pid === undefined) throw new Error('hub has no pid');
    await sleep(WARMUP_S * 1000);
    const cpu0 = cpuSeconds(pid);
    const wall0 = performance.now();
    await sleep(SECONDS * 1000);
    const cpu = cpuSeconds(pid) - cpu0;
    const wall = (performance.now() - wall0) / 1000;
    const rss = rssMb(pid);
    const body = (await (await hub.fetch('/bench/figures')).json()) as { figures?: number; last?: Record<string, { oee: number | null; total: number | null }> };
    const oeeDir = path.join(userDir, 'oee');
    const stateFiles = fs.existsSync(oeeDir) ? fs.readdirSync(oeeDir).filter((f) => f.endsWith('.json')).length : 0;
    const errors = hub.log.split('\n').filter((l) => /\[error\]/.test(l));
    if (errors.length > 0) throw new Error(`the hub logged errors:\n${errors.slice(0, 5).join('\n')}`);
    const last = Object.values(body.last ?? {});
    const withOeeFigure = last.filter((f) => typeof f.oee === 'number').length;
    const parts = last.reduce((sum, f) => sum + (f.total ?? 0), 0);
    return { cpuPct: (cpu / wall) * 100, rssMb: rss, figures: body.figures ?? 0, withOee: withOeeFigure, parts, stateFiles };
  } finally {
    await hub.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(__dirname, '..', 'dist', 'nodes', 'oee', 'oee.js'))) throw new Error('build first: npm run build');
  console.log(`oee-hub: ${MACHINES} fh-oee nodes, 1 scan/s each, ${WARMUP_S} s warm-up, ${SECONDS} s measured (Node ${process.version})`);
  const base = await run(false);
  console.log(`baseline (feeder and Node-RED only): CPU ${base.cpuPct.toFixed(2)} % of one core, RSS ${base.rssMb.toFixed(0)} MB`);
  const oee = await run(true);
  console.log(`with ${MACHINES} fh-oee nodes: CPU ${oee.cpuPct.toFixed(2)} % of one core, RSS ${oee.rssMb.toFixed(0)} MB, ${oee.figures} figures messages, ${oee.stateFiles} state files`);
  if (oee.withOee !== MACHINES || !(oee.parts > 0)) throw new Error(`only ${oee.withOee} of ${MACHINES} machines reported an OEE (${oee.parts} parts)`);
  if (oee.stateFiles !== MACHINES) throw new Error(`expected ${MACHINES} state files, found ${oee.stateFiles}`);
  console.log(`check: every machine reported an OEE, ${oee.parts} parts counted in all, every node saved its state`);
  const net = oee.cpuPct - base.cpuPct;
  console.log(`fh-oee nodes' own share: ${net.toFixed(2)} % of one core (${((net / 100 / MACHINES) * 1000).toFixed(3)} ms CPU per machine-second)`);
  console.log(`target: ${MACHINES} machines under 10 % of one core ${oee.cpuPct < 10 ? 'met' : 'MISSED'} (whole hub, feeder included)`);
  console.log(
    `BENCH oee-hub cpu_pct=${oee.cpuPct.toFixed(2)} machines=${MACHINES} rss_mb=${Math.round(oee.rssMb)} oee_nodes_cpu_pct=${net.toFixed(2)} baseline_cpu_pct=${base.cpuPct.toFixed(2)} baseline_rss_mb=${Math.round(base.rssMb)}`,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
