/**
 * Chaos soak of the demo line (`npm run bench -- soak`; not part of `npm test`):
 *
 *   SOAK_MINUTES=30 (default)  SOAK_SEED=<n> (default: drawn, printed)  SOAK_RECOVERY_LIMIT_S=120
 *
 * The demo flow in a real hub (Node-RED child, settings/ as `npm start`), on the simulated line and
 * the demo ERP, with a FaultProxy in front of the filler and the capper (Modbus TCP), the OPC UA server
 * (labeller, case packer) and the ERP. Until the time is up: pick a proxy and a fault at random (FIN,
 * RST, drop on the next request, black hole, refuse, delay, byte split, garbage reply), hold it, heal,
 * and time the recovery: from the heal until data flows again without a redeploy (see recoveryMs). A
 * machine is stopped every minute or so through the simulator (a downtime the flow books in the ERP),
 * so records keep flowing. At the end, with every fault healed and the machines held still, the
 * hub's part counts are compared with the simulator's, and the ERP's bookings with the records the
 * hub's outbox accepted.
 *
 * There is no peer for a soak (no other node package runs this line), so the summary line has no ratio.
 * It exits 1 when anything failed: an unrecovered fault, a part or record lost or doubled, an uncaught
 * exception, a dead hub.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Random } from '../simulator/random';
import type { Booking } from '../simulator/erp-server';
import type { Machine } from '../simulator/machine';
import type { FaultProxy } from '../test/support/fault-proxy';
import { allProxies, readDemoFlow, startDemo } from '../test/support/demo-line';
import type { RunningDemo } from '../test/support/demo-line';
import { freshArrival, partsCounted, recordBalance, uncaughtLines, valueBalance } from './soak/accounting';
import { drawFault } from './soak/faults';
import type { Fault } from './soak/faults';
import { HubObserver, MACHINES, soakFlow } from './soak/observer-flow';
import type { MachineName, Observed } from './soak/observer-flow';

function positiveEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!(Number.isFinite(n) && n > 0)) throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

const MINUTES = positiveEnv('SOAK_MINUTES', 30);
const LIMIT_MS = positiveEnv('SOAK_RECOVERY_LIMIT_S', 120) * 1000;
const SEED = process.env.SOAK_SEED || String(Date.now() % 1_000_000_000);
/** Longest final settle: the ERP connection's default longest retry delay (300 s) and a margin. */
const SETTLE_MS = Math.max(LIMIT_MS, 360_000);
/** Fault code of the soak's own holds (start and end): no demo reason has it, so these stops book nothing. */
const HOLD_CODE = 901;
/** Downtime reasons of the demo (PLC codes) the soak's stops use: each ended stop is an ERP record. */
const DOWNTIME_CODES = [101, 102, 103, 104];

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
const secs = (ms: number): string => (ms / 1000).toFixed(1);

function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** A place faults go: one proxy and what shows that data flows through it again. */
interface Target {
  readonly name: string;
  readonly proxy: FaultProxy;
  /** The machines read through it; none for the ERP. */
  readonly machines: readonly MachineName[];
  /** Set while a fault on it has not recovered within the limit: it gets no new fault until it does. */
  down?: { readonly healAt: number; readonly waiting: ReadonlySet<string>; readonly fault: string };
}

interface FaultResult {
  readonly target: string;
  readonly fault: Fault;
  /** undefined: not recovered within the limit. */
  readonly recoveryMs: number | undefined;
}

class Soak {
  private readonly rng = new Random(SEED, 'soak');
  private readonly observer: HubObserver;
  private readonly targets: Target[];
  private readonly results: FaultResult[] = [];
  private readonly baseRejectRate = new Map<MachineName, number>();
  /** When the faults began (minutes in the log count from here). */
  private started = Date.now();
  private token: string | undefined;
  private probes = 0;
  private stopsForced = 0;
  /** Downtimes forced per machine (each should become one booking unless its device was cut off). */
  readonly stopsByMachine = new Map<string, number>();
  private observeErrors = 0;
  lateRecoveries = 0;

  constructor(private readonly demo: RunningDemo) {
    const p = demo.proxies;
    if (!p?.opcua) throw new Error('soak: the demo needs fault proxies and an OPC UA server');
    this.observer = new HubObserver(demo.hub);
    this.targets = [
      { name: 'filler', proxy: p.modbus.filler, machines: ['filler'] },
      { name: 'capper', proxy: p.modbus.capper, machines: ['capper'] },
      { name: 'opcua', proxy: p.opcua, machines: ['labeller', 'casepacker'] },
      { name: 'erp', proxy: p.erp, machines: [] },
    ];
    for (const m of MACHINES) this.baseRejectRate.set(m, this.machine(m).snapshot().rejectRate);
  }

  private machine(name: MachineName): Machine {
    return this.demo.line.line.machine(name);
  }

  get hubAlive(): boolean {
    return this.demo.hub.exit === undefined;
  }

  private minutes(): string {
    return ((Date.now() - this.started) / 60_000).toFixed(1);
  }

  /** The observer's state, or undefined when the hub does not answer (counted, never thrown). */
  private async observe(): Promise<Observed | undefined> {
    try {
      return await this.observer.state();
    } catch {
      this.observeErrors++;
      return undefined;
    }
  }

  async probe(key: string): Promise<void> {
    this.probes++;
    try {
      await this.observer.probe(key);
    } catch (err) {
      console.log(`  probe ${key} not handed to the hub: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Records waiting in the hub's outboxes (admin API), undefined when it does not answer. */
  async outboxDepth(): Promise<{ depth: number; dead: number } | undefined> {
    const hub = this.demo.hub;
    try {
      this.token ??= await hub.login('admin');
      let res = await hub.api(this.token, 'GET', '/factoryhub/erp/outboxes');
      if (res.status === 401) {
        this.token = await hub.login('admin');
        res = await hub.api(this.token, 'GET', '/factoryhub/erp/outboxes');
      }
      if (res.status !== 200) return undefined;
      const list = (await res.json()) as { stats: { depth: number; deadLetters: number } }[];
      return { depth: list.reduce((a, o) => a + o.stats.depth, 0), dead: list.reduce((a, o) => a + o.stats.deadLetters, 0) };
    } catch {
      return undefined;
    }
  }

  /** First booking time of each key the demo ERP holds. */
  private bookedAt(): Map<string, number> {
    const at = new Map<string, number>();
    for (const b of this.demo.erp.bookings()) if (!at.has(b.key)) at.set(b.key, b.receivedAt);
    return at;
  }

  /**
   * Recovery of a target healed at `healAt`, in ms, or undefined while data does not flow yet:
   * - a device: every machine behind it has delivered a good value read (Modbus) or changed (OPC UA)
   *   after the heal to the hub's flow (the soak nudges an OPC UA machine's reject rate while it waits,
   *   so a quiet machine changes a value too);
   * - the ERP: every record that was waiting at the heal, and a probe handed to the hub at the heal,
   *   is booked: the outbox drained.
   */
  private recoveryMs(target: Target, healAt: number, waiting: ReadonlySet<string>, observed: Observed | undefined): number | undefined {
    if (target.machines.length === 0) {
      const booked = this.bookedAt();
      let last = healAt;
      for (const key of waiting) {
        const t = booked.get(key);
        if (t === undefined) return undefined;
        last = Math.max(last, t);
      }
      return last - healAt;
    }
    if (observed === undefined) return undefined;
    let last = healAt;
    for (const m of target.machines) {
      const t = freshArrival(observed.values[m], healAt);
      if (t === undefined) return undefined;
      last = Math.max(last, t);
    }
    return last - healAt;
  }

  /** A value of each OPC UA machine behind `target` changes now (a reject rate a billionth off), so data is due. */
  private nudge(target: Target, flip: boolean): void {
    if (target.name !== 'opcua') return;
    for (const m of target.machines) this.machine(m).setRejectRate((this.baseRejectRate.get(m) ?? 0) + (flip ? 1e-9 : 0));
  }

  private async injectOne(target: Target, fault: Fault, n: number): Promise<FaultResult> {
    fault.apply(target.proxy);
    // A record while the ERP is faulty: it waits in the outbox (or meets the one-shot fault).
    if (target.machines.length === 0) await this.probe(`soak-fault-${n}`);
    await sleep(fault.holdMs);
    target.proxy.heal();
    const healAt = Date.now();
    const waiting = new Set<string>();
    if (target.machines.length === 0) {
      const observed = await this.observe();
      const booked = this.bookedAt();
      for (const key of Object.keys(observed?.accepted ?? {})) if (!booked.has(key)) waiting.add(key);
      const key = `soak-heal-${n}`;
      waiting.add(key);
      await this.probe(key);
    }
    let flip = false;
    let lastNudge = 0;
    try {
      for (;;) {
        if (Date.now() - lastNudge >= 2000) {
          this.nudge(target, (flip = !flip));
          lastNudge = Date.now();
        }
        const recovery = this.recoveryMs(target, healAt, waiting, target.machines.length ? await this.observe() : undefined);
        if (recovery !== undefined) return { target: target.name, fault, recoveryMs: recovery };
        if (Date.now() - healAt > LIMIT_MS || !this.hubAlive) break;
        await sleep(500);
      }
    } finally {
      this.nudge(target, false);
    }
    target.down = { healAt, waiting, fault: fault.label };
    return { target: target.name, fault, recoveryMs: undefined };
  }

  /** Targets that did not recover in time and have since: reported, and given faults again. */
  private async checkLateRecoveries(): Promise<void> {
    const down = this.targets.filter((t) => t.down);
    if (down.length === 0) return;
    const observed = await this.observe();
    for (const t of down) {
      const d = t.down!;
      const ms = this.recoveryMs(t, d.healAt, d.waiting, observed);
      if (ms === undefined) continue;
      this.lateRecoveries++;
      console.log(`  [${this.minutes()} min] ${t.name}: recovered late, ${secs(ms)} s after the heal of "${d.fault}"`);
      t.down = undefined;
    }
  }

  /** The chaos: faults one after another for `ms`, a forced downtime now and then meanwhile. */
  async chaos(ms: number): Promise<void> {
    this.started = Date.now();
    const until = this.started + ms;
    const stopStops = new AbortController();
    const stops = this.forceStops(stopStops.signal);
    try {
      let n = 0;
      while (Date.now() < until && this.hubAlive) {
        await this.checkLateRecoveries();
        const healthy = this.targets.filter((t) => !t.down);
        if (healthy.length === 0) {
          await sleep(5000);
          continue;
        }
        const target = healthy[Math.floor(this.rng.next() * healthy.length)];
        const fault = drawFault(this.rng);
        const at = this.minutes();
        const r = await this.injectOne(target, fault, ++n);
        this.results.push(r);
        const outcome = r.recoveryMs === undefined ? `NOT RECOVERED within ${secs(LIMIT_MS)} s` : `recovered in ${secs(r.recoveryMs)} s`;
        console.log(`  [${at} min] ${target.name}: ${fault.label} -> ${outcome}`);
        await sleep(Math.round(this.rng.uniform(2000, 10_000)));
      }
    } finally {
      stopStops.abort();
      await stops;
    }
  }

  /** Every 45-90 s a machine stops for 31-50 s with a PLC fault code: a downtime record for the ERP. */
  private async forceStops(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(Math.round(this.rng.uniform(45_000, 90_000)), signal);
      if (signal.aborted) return;
      const name = MACHINES[Math.floor(this.rng.next() * MACHINES.length)];
      const m = this.machine(name);
      if (m.snapshot().forcedStop) continue;
      const code = DOWNTIME_CODES[Math.floor(this.rng.next() * DOWNTIME_CODES.length)];
      const ms = Math.round(this.rng.uniform(31_000, 50_000));
      m.forceStop(code, ms);
      this.stopsForced++;
      this.stopsByMachine.set(name, (this.stopsByMachine.get(name) ?? 0) + 1);
      console.log(`  [${this.minutes()} min] ${name} stopped with code ${code} for ${secs(ms)} s (a downtime for the ERP)`);
    }
  }

  /**
   * Holds every machine still and waits until the hub has its final counts: for each machine the last
   * totalCount the hub read equals the machine's, and a figures message of its fh-oee came after that
   * (more than a second later, so it includes the reading). Also waits, when `records`, until every
   * accepted record is booked and the outboxes are empty. Returns per machine the parts made (simulator)
   * and counted (hub) at that point, and what had not settled when it stopped waiting (at `deadline`;
   * for the counts of a machine behind a target that never recovered, after the recovery limit).
   */
  async settle(deadline: number, records: boolean): Promise<{ made: Map<MachineName, number>; counted: Map<MachineName, number | undefined>; unsettled: string[] }> {
    for (const m of MACHINES) this.machine(m).forceStop(HOLD_CODE);
    const broken = new Set(this.targets.filter((t) => t.down).flatMap((t) => t.machines));
    const brokenUntil = Date.now() + LIMIT_MS;
    const matchedAt = new Map<MachineName, number>();
    let observed: Observed | undefined;
    let unsettled: string[] = [];
    for (;;) {
      observed = (await this.observe()) ?? observed;
      unsettled = [];
      let awaitCounts = false;
      let awaitRecords = false;
      for (const m of MACHINES) {
        const read = observed?.values[m]?.total;
        if (read !== undefined && read === this.machine(m).snapshot().totalCount) matchedAt.set(m, matchedAt.get(m) ?? Date.now());
        else matchedAt.delete(m);
        const since = matchedAt.get(m);
        if (since === undefined || !((observed?.oee[m]?.at ?? 0) > since + 1000)) {
          unsettled.push(`${m} counts`);
          if (!broken.has(m) || Date.now() < brokenUntil) awaitCounts = true;
        }
      }
      if (records) {
        const booked = this.bookedAt();
        const notBooked = Object.keys(observed?.accepted ?? {}).filter((k) => !booked.has(k)).length;
        const outbox = await this.outboxDepth();
        if (notBooked > 0) unsettled.push(`${notBooked} records not booked`);
        if (outbox === undefined || outbox.depth > 0) unsettled.push(`outbox ${outbox ? `${outbox.depth} waiting` : 'not answering'}`);
        awaitRecords = notBooked > 0 || outbox === undefined || outbox.depth > 0;
      }
      if ((!awaitCounts && !awaitRecords) || Date.now() > deadline || !this.hubAlive) break;
      await sleep(1000);
    }
    const made = new Map<MachineName, number>();
    const counted = new Map<MachineName, number | undefined>();
    for (const m of MACHINES) {
      made.set(m, this.machine(m).snapshot().partsMade);
      counted.set(m, partsCounted(observed?.oee[m]));
    }
    return { made, counted, unsettled };
  }

  release(): void {
    for (const m of MACHINES) this.machine(m).clearStop();
  }

  async acceptedKeys(): Promise<string[] | undefined> {
    const observed = await this.observe();
    return observed ? Object.keys(observed.accepted) : undefined;
  }

  summary(): { faults: number; recoveries: number; unrecovered: number; longestMs: number } {
    const recovered = this.results.filter((r) => r.recoveryMs !== undefined);
    return {
      faults: this.results.length,
      recoveries: recovered.length,
      unrecovered: this.results.length - recovered.length,
      longestMs: Math.max(0, ...recovered.map((r) => r.recoveryMs!)),
    };
  }

  progress(rss: number): string {
    const s = this.summary();
    const booked = this.demo.erp.bookings().length;
    return `soak ${this.minutes()}/${MINUTES} min: faults=${s.faults} recoveries=${s.recoveries} unrecovered=${s.unrecovered} longest_recovery_s=${secs(s.longestMs)} rss_mb=${rss.toFixed(1)} stops_forced=${this.stopsForced} bookings=${booked}`;
  }

  /** Per target and fault kind: how many, how many recovered, the longest recovery. */
  table(): string[] {
    const rows = new Map<string, { n: number; ok: number; longest: number }>();
    for (const r of this.results) {
      const key = `${r.target} ${r.fault.kind}`;
      const row = rows.get(key) ?? { n: 0, ok: 0, longest: 0 };
      row.n++;
      if (r.recoveryMs !== undefined) {
        row.ok++;
        row.longest = Math.max(row.longest, r.recoveryMs);
      }
      rows.set(key, row);
    }
    return [...rows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, r]) => `  ${k.padEnd(24)} ${r.ok}/${r.n} recovered, longest ${secs(r.longest)} s`);
  }

  get counters(): { probes: number; stopsForced: number; observeErrors: number } {
    return { probes: this.probes, stopsForced: this.stopsForced, observeErrors: this.observeErrors };
  }
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(__dirname, '..', 'dist', 'nodes', 'oee', 'oee.js'))) throw new Error('build first: npm run build');
  console.log(`soak: ${MINUTES} min of faults on the demo line, seed ${SEED}, recovery limit ${secs(LIMIT_MS)} s (Node ${process.version})`);
  const demo = await startDemo({ name: 'soak', flow: soakFlow(readDemoFlow()), calendarAroundNow: false, faultProxies: true, startTimeoutMs: 120_000 });
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    console.log('soak: interrupted, stopping the hub and the line');
    void demo.stop().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let progress: NodeJS.Timeout | undefined;
  try {
    const soak = new Soak(demo);
    const proxies = allProxies(demo.proxies!);
    // Warm-up: every device read through its proxy, the machines' counts settled in the hub, and a
    // first record booked through the ERP's proxy.
    await soak.probe('soak-warm-up');
    const first = await soak.settle(Date.now() + 120_000, true);
    if (first.unsettled.length > 0) throw new Error(`soak: the hub did not settle at the start (${first.unsettled.join(', ')}):\n${demo.hub.log.slice(-3000)}`);
    if (proxies.some((p) => p.stats.accepted === 0)) throw new Error('soak: a client does not connect through its proxy');
    soak.release();
    // Half a minute of plain running first: the start's garbage is collected, RSS is the hub's own.
    await sleep(30_000);
    const rssStart = rssMb(demo.hub.pid);
    console.log(`soak: warmed up; hub RSS ${rssStart.toFixed(1)} MB; faults begin`);
    progress = setInterval(() => console.log(soak.progress(rssMb(demo.hub.pid))), 60_000);

    await soak.chaos(MINUTES * 60_000);
    clearInterval(progress);
    for (const p of proxies) p.heal();

    console.log(`soak: faults over; settling (machines held, up to ${secs(SETTLE_MS)} s for the outbox to drain)`);
    const last = await soak.settle(Date.now() + SETTLE_MS, true);
    const rssEnd = rssMb(demo.hub.pid);

    let valuesLost = 0;
    let valuesExtra = 0;
    for (const m of MACHINES) {
      const made = last.made.get(m)! - first.made.get(m)!;
      const counted = (last.counted.get(m) ?? 0) - (first.counted.get(m) ?? 0);
      const b = valueBalance(made, counted);
      valuesLost += b.lost;
      valuesExtra += b.extra;
      console.log(`  ${m.padEnd(10)} made ${made} parts, the hub counted ${counted}${b.lost ? `: ${b.lost} lost` : ''}${b.extra ? `: ${b.extra} too many` : ''}`);
    }
    const bookings: readonly Booking[] = demo.erp.bookings();
    const accepted = (await soak.acceptedKeys()) ?? [];
    const records = recordBalance(accepted, bookings.map((b) => b.key));
    const outbox = await soak.outboxDepth();
    console.log(
      `  records: ${records.accepted} accepted by the outbox, ${bookings.length} bookings, ${records.lost.length} lost${records.lost.length ? ` (${records.lost.slice(0, 5).join(', ')})` : ''}, ${records.duplicated} duplicated, ${records.unknown.length} booked but never accepted; outbox ${outbox ? `${outbox.depth} waiting, ${outbox.dead} dead letters` : 'not answering'}`,
    );
    const downtimes = new Map<string, number>();
    for (const b of bookings) {
      if (b.kind !== 'downtime') continue;
      const where = String(b.doc.workCenter).split('/').pop() ?? '';
      downtimes.set(where, (downtimes.get(where) ?? 0) + 1);
    }
    const perMachine = MACHINES.map((m) => `${m} ${downtimes.get(m) ?? 0} of ${soak.stopsByMachine.get(m) ?? 0} forced`);
    console.log(`  downtime bookings: ${perMachine.join(', ')}, soak probes ${downtimes.get('soak-probe') ?? 0}`);
    const c = soak.counters;
    console.log(`  forced stops ${c.stopsForced}, ERP probes ${c.probes}, late recoveries ${soak.lateRecoveries}, observer requests failed ${c.observeErrors}`);
    if (last.unsettled.length > 0) console.log(`  not settled at the end: ${last.unsettled.join(', ')}`);
    for (const line of soak.table()) console.log(line);

    const logFile = path.join(demo.dir, 'hub.log');
    fs.writeFileSync(logFile, demo.hub.log);
    console.log(`  the hub's log: ${path.relative(process.cwd(), logFile)}`);
    const uncaught = uncaughtLines(demo.hub.log);
    const exit = demo.hub.exit;
    for (const l of uncaught.slice(0, 5)) console.log(`  hub: ${l}`);
    if (exit) console.log(`  the hub exited (code ${exit.code}, signal ${exit.signal})`);
    const uncaughtCount = uncaught.length + (exit ? 1 : 0);
    const s = soak.summary();
    const failed = s.unrecovered + valuesLost + valuesExtra + records.lost.length + records.duplicated + uncaughtCount > 0;
    console.log(failed ? 'soak: FAILED (see above)' : 'soak: passed: every fault recovered, nothing lost, nothing doubled');
    console.log(
      `BENCH soak faults=${s.faults} recoveries=${s.recoveries} longest_recovery_s=${secs(s.longestMs)} values_lost=${valuesLost} records_lost=${records.lost.length} records_duplicated=${records.duplicated} rss_start_mb=${rssStart.toFixed(1)} rss_end_mb=${rssEnd.toFixed(1)} uncaught=${uncaughtCount} minutes=${MINUTES} unrecovered=${s.unrecovered} values_extra=${valuesExtra}`,
    );
    process.exitCode = failed ? 1 : 0;
  } finally {
    clearInterval(progress);
    if (!interrupted) await demo.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
