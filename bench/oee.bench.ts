/**
 * OEE engine benchmark (`npm run bench -- oee`).
 *
 * 1. Throughput: 10 million mixed state/counter samples through one engine (apply(), reused event
 *    objects as an adapter would fill them), 100 ms apart, so the run crosses ~4 days of shifts,
 *    breaks, stops, counter wraps and history trimming.
 * 2. A hub: 500 machines at one scan per second (state + total + good) for one simulated 8 h shift,
 *    plus what the node adds: a clock tick per machine per second, current-shift figures every 5 s
 *    and a JSON snapshot every 60 s per machine, and the shift-end records. CPU time is reported as
 *    % of one core at real time (CPU seconds / simulated seconds), memory as resident set size.
 *
 * There is no peer package computing OEE from raw signals to compare with, so no ratio is printed.
 */
import { Engine } from '../nodes/oee/engine';
import type { EngineConfig } from '../nodes/oee/config';
import type { InputEvent } from '../nodes/oee/events';

const CONFIG: EngineConfig = {
  calendar: {
    timeZone: 'Europe/Berlin',
    shifts: [
      { name: 'Early', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '06:00', end: '14:00', breaks: [{ name: 'Break', start: '09:30', end: '10:00' }] },
      { name: 'Late', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '14:00', end: '22:00', breaks: [{ name: 'Break', start: '18:00', end: '18:30' }] },
      { name: 'Night', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '22:00', end: '06:00', breaks: [{ name: 'Break', start: '02:00', end: '02:30' }] },
    ],
  },
  stateMap: { 1: 'running', 2: 'idle', 3: 'down', 4: 'changeover' },
  counters: { total: { bits: 16 }, good: { bits: 16 } },
  products: { A: { idealCycleTimeMs: 800 }, B: { idealCycleTimeMs: 1000 } },
  defaultProduct: 'A',
  reasons: [
    { id: 'jam', category: 'Mechanical', name: 'Jam', codes: [101] },
    { id: 'material', category: 'Logistics', name: 'Low material', codes: [103] },
  ],
  smallStopMs: 120_000,
};

const START = Date.UTC(2024, 3, 1, 4, 0); // Mon 1 Apr 2024, 06:00 CEST

/** xorshift32: cheap enough not to blur the engine's cost. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** A machine as the PLC sees it, stepped one scan at a time. */
class Machine {
  state = 1;
  until = 0;
  total = 0;
  good = 0;
  product = 'A';
  reason: number | null = null;
  private readonly rnd: () => number;

  constructor(seed: number) {
    this.rnd = rng(seed);
    this.total = Math.floor(this.rnd() * 65_536);
    this.good = this.total;
  }

  /** Advances to t (ms); returns true when the product changed. */
  step(t: number, scanMs: number): boolean {
    let changed = false;
    this.reason = null;
    if (t >= this.until) {
      if (this.state !== 1) {
        this.state = 1;
        this.until = t + 30_000 + Math.floor(this.rnd() * 600_000);
      } else {
        const r = this.rnd();
        if (r < 0.8) {
          this.state = 2;
          this.until = t + 5_000 + Math.floor(this.rnd() * 60_000);
        } else if (r < 0.97) {
          this.state = 3;
          this.until = t + 300_000 + Math.floor(this.rnd() * 1_500_000);
          this.reason = this.rnd() < 0.5 ? 101 : 103;
        } else {
          this.state = 4;
          this.until = t + 900_000;
          this.product = this.product === 'A' ? 'B' : 'A';
          changed = true;
        }
      }
    }
    if (this.state === 1) {
      const made = this.rnd() * (scanMs / 700);
      const n = Math.floor(made) + (this.rnd() < made % 1 ? 1 : 0);
      this.total = (this.total + n) & 0xffff;
      this.good = (this.good + n - (n > 0 && this.rnd() < 0.02 ? 1 : 0)) & 0xffff;
    }
    return changed;
  }
}

interface MutableSample {
  type: 'state' | 'count';
  t: number;
  value: number;
  counter?: 'total' | 'good';
}

function throughput(events: number): { perSecond: number; ms: number } {
  const engine = new Engine(CONFIG, START);
  const m = new Machine(7);
  const state: MutableSample = { type: 'state', t: 0, value: 1 };
  const total: MutableSample = { type: 'count', t: 0, counter: 'total', value: 0 };
  const good: MutableSample = { type: 'count', t: 0, counter: 'good', value: 0 };
  let rejected = 0;
  const scans = Math.ceil(events / 3);
  const begin = process.hrtime.bigint();
  for (let i = 0, t = START; i < scans; i++, t += 100) {
    m.step(t, 100);
    state.t = t;
    state.value = m.state;
    total.t = t;
    total.value = m.total;
    good.t = t;
    good.value = m.good;
    if (!engine.apply(state as InputEvent).ok) rejected++;
    if (!engine.apply(total as InputEvent).ok) rejected++;
    if (!engine.apply(good as InputEvent).ok) rejected++;
  }
  const ms = Number(process.hrtime.bigint() - begin) / 1e6;
  if (rejected > 0) throw new Error(`${rejected} samples rejected in the throughput run`);
  return { perSecond: (scans * 3) / (ms / 1000), ms };
}

function hub(machines: number, seconds: number): { cpuMs: number; wallMs: number; rssMb: number; heapMb: number; events: number; records: number; snapshotKb: number } {
  let records = 0;
  const engines: Engine[] = [];
  const sims: Machine[] = [];
  for (let i = 0; i < machines; i++) {
    engines.push(new Engine(CONFIG, START, { onNotice: (n) => { if (n.kind === 'shift-end') records++; } }));
    sims.push(new Machine(1000 + i));
  }
  let events = 0;
  let snapshotBytes = 0;
  let checksum = 0;
  const cpu0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  for (let s = 0; s <= seconds; s++) {
    const t = START + s * 1000;
    for (let i = 0; i < machines; i++) {
      const e = engines[i];
      const m = sims[i];
      if (m.step(t, 1000)) e.productChange(t, m.product);
      if (m.reason !== null) e.reasonCode(t, m.reason);
      e.state(t, m.state);
      e.count(t, 'total', m.total);
      e.count(t, 'good', m.good);
      e.tick(t);
      events += 4;
      // The node: current-shift figures at most every 5 s, a snapshot every 60 s (staggered).
      if ((s + i) % 5 === 0) checksum += e.shiftFigures()?.counts.total ?? 0;
      if ((s + i) % 60 === 0) snapshotBytes = JSON.stringify(e).length;
    }
  }
  const cpu = process.cpuUsage(cpu0);
  const wallMs = Number(process.hrtime.bigint() - wall0) / 1e6;
  if (checksum <= 0) throw new Error('no parts counted');
  const mem = process.memoryUsage();
  return { cpuMs: (cpu.user + cpu.system) / 1000, wallMs, rssMb: mem.rss / 1048576, heapMb: mem.heapUsed / 1048576, events, records, snapshotKb: snapshotBytes / 1024 };
}

function main(): void {
  throughput(1_000_000); // warm-up: let the JIT settle
  const runs = [throughput(10_000_000), throughput(10_000_000), throughput(10_000_000)];
  const best = runs.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  for (const r of runs) console.log(`throughput: 10,000,000 events in ${r.ms.toFixed(0)} ms = ${Math.round(r.perSecond).toLocaleString('en-US')} events/s`);

  const machines = 500;
  const seconds = 8 * 3600 + 60; // one shift and its shift-end record
  const h = hub(machines, seconds);
  const pct = (h.cpuMs / 1000 / seconds) * 100;
  console.log(`hub: ${machines} machines x ${seconds} simulated s (${h.events.toLocaleString('en-US')} engine calls, ${h.records} shift-end records) in ${h.wallMs.toFixed(0)} ms wall`);
  console.log(`hub: CPU ${h.cpuMs.toFixed(0)} ms = ${(h.cpuMs / seconds).toFixed(3)} ms per simulated second = ${pct.toFixed(3)} % of one core at real time`);
  console.log(`hub: RSS ${h.rssMb.toFixed(0)} MB, heap ${h.heapMb.toFixed(0)} MB, one engine snapshot at the shift end ${h.snapshotKb.toFixed(0)} kB`);
  console.log(`targets: >= 1,000,000 events/s ${best.perSecond >= 1e6 ? 'met' : 'MISSED'}; 500 machines < 10 % of one core ${pct < 10 ? 'met' : 'MISSED'}`);
  console.log(`BENCH oee events_per_s=${Math.round(best.perSecond)} machines=${machines} cpu_pct_500_machines=${pct.toFixed(3)} rss_mb=${Math.round(h.rssMb)}`);
}

main();
