/**
 * One simulated packaging machine: a pure, deterministic model stepped in simulated time.
 * No wall clock and no timers: the caller says what time it is (`advanceTo`), so a test can run a
 * day in a millisecond and the demo can drive it from a real-time timer. Protocol-agnostic: Modbus
 * (registers.ts) and, later, OPC UA read `snapshot()` and call the controls.
 *
 * Time model (all durations are whole milliseconds, so sums are exact):
 * - The machine is event driven. Every random draw happens at an event (a part finished, a stop
 *   began or ended), never at a step boundary, so `advanceTo(t)` in one call or in many calls that
 *   reach t at the same instants gives the same state: same counts, same state, same RNG position.
 *   Only the times of control calls matter, because a control acts "now".
 * - A part is counted when its cycle ends. A cycle lasts ideal / speedFactor * (1 +- speedNoise),
 *   drawn when the previous part ends. Running time is what a cycle consumes: a stop in the middle
 *   of a cycle pauses it, and the part is finished after the stop (a bottle stays in the starwheel).
 * - The natural process (running, small stops, breakdowns, changeovers) runs on "natural time",
 *   which stands still while an override holds the machine: a forced stop (`forceStop`) or a planned
 *   stop (`setPlannedStop`). Nothing is produced and nothing breaks while it is held; when it is
 *   released every pending duration continues where it was.
 * - Time to the next breakdown counts running time only (mean `mtbfMs`); its duration is exponential
 *   with mean `mttrMs` (at least 1 s). A small stop may follow any part (probability per part).
 * - A changeover starts when a part finishes and either `everyParts` parts of the current product
 *   are done or `everyMs` of natural time have passed since the last one; the next product in the
 *   list runs after it.
 */
import { Random } from './random';

export type MachineState = 'running' | 'idle' | 'down' | 'planned' | 'changeover';

export interface Product {
  readonly id: number;
  readonly name: string;
  /** Ideal cycle time of this product at speed factor 1, ms per part. */
  readonly idealCycleMs: number;
}

export interface FaultCode {
  /** PLC fault code, 1..65535 (0 means "no fault" in the registers). */
  readonly code: number;
  readonly name: string;
  /** Relative frequency among breakdowns. */
  readonly weight: number;
}

export const DEFAULT_FAULTS: readonly FaultCode[] = [
  { code: 101, name: 'jam', weight: 5 },
  { code: 102, name: 'motor overload', weight: 1 },
  { code: 103, name: 'low material', weight: 3 },
  { code: 104, name: 'door open', weight: 2 },
];

export interface ChangeoverConfig {
  /** Change product after this many parts of the current one. */
  readonly everyParts?: number;
  /** ...or after this much natural time since the last changeover (whichever comes first). */
  readonly everyMs?: number;
  readonly durationMs: number;
}

export interface MachineConfig {
  /** ISA-95 path, e.g. `demo/packaging/line1/filler`. */
  readonly name: string;
  /** Ideal cycle time (ms per part) of products that give none. */
  readonly idealCycleMs: number;
  /** Products in changeover order; default one product `{ id: 1, name: 'PRODUCT 1' }`. */
  readonly products?: readonly (Omit<Product, 'idealCycleMs'> & { readonly idealCycleMs?: number })[];
  /** No changeovers when absent. */
  readonly changeover?: ChangeoverConfig;
  /** Mean running time between unplanned stops; 0 or Infinity = never. */
  readonly mtbfMs: number;
  /** Mean duration of an unplanned stop. */
  readonly mttrMs: number;
  readonly faults?: readonly FaultCode[];
  /** Probability that a small stop (state idle) follows a part; default 0. */
  readonly smallStopProbability?: number;
  /** Mean small stop; each lasts uniformly 0.5x..1.5x this. Default 3000. */
  readonly smallStopMs?: number;
  /** Fraction of parts rejected, 0..1; default 0. */
  readonly rejectRate?: number;
  /** Cycle time jitter, a fraction (0.03 = +-3 %); default 0.03. */
  readonly speedNoise?: number;
  /** Units in one counted part (a case packer counts cases of 24); informational. Default 1. */
  readonly unitsPerPart?: number;
  /** Any number or string; the same seed and the same calls give the same machine. */
  readonly seed: number | string;
  /** Simulated time at creation (ms); default 0. */
  readonly startMs?: number;
  /** Counter values at creation (e.g. near a wrap, for a demo). */
  readonly initialCounts?: { readonly total?: number; readonly good?: number; readonly reject?: number };
}

export interface MachineSnapshot {
  readonly name: string;
  /** Simulated time of the snapshot (ms). */
  readonly time: number;
  readonly state: MachineState;
  /** The PLC fault code while `down`, else 0. */
  readonly faultCode: number;
  /** Parts made, 16-bit: wraps from 65535 to 0. */
  readonly totalCount: number;
  /** Good parts, uint32 (wraps at 2^32). */
  readonly goodCount: number;
  /** Rejected parts, uint32. */
  readonly rejectCount: number;
  /** Parts made since creation: never wraps, never reset (for tests and diagnostics). */
  readonly partsMade: number;
  /** Actual rate in parts per minute (from the current cycle time, so it carries the noise); 0 unless running. */
  readonly speed: number;
  readonly speedFactor: number;
  readonly product: Product;
  /** Ideal cycle time of the current product at speed factor 1 (ms per part). */
  readonly idealCycleMs: number;
  readonly rejectRate: number;
  readonly plannedStop: boolean;
  /** A forced stop (forceStop) holds the machine. */
  readonly forcedStop: boolean;
  readonly unitsPerPart: number;
}

/** Limits of setSpeedFactor: a drive runs between 10 % and 150 % of nominal speed. */
export const MIN_SPEED_FACTOR = 0.1;
export const MAX_SPEED_FACTOR = 1.5;
/** The shortest unplanned stop the model draws (a breakdown shorter than this is a small stop). */
const MIN_DOWN_MS = 1000;

type Activity = 'running' | 'idle' | 'down' | 'changeover';

function positive(name: string, v: number): number {
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`${name} must be a positive number, got ${v}`);
  return v;
}

function fraction(name: string, v: number): number {
  if (!(v >= 0 && v <= 1)) throw new RangeError(`${name} must be in 0..1, got ${v}`);
  return v;
}

function faultCode(v: number): number {
  if (!(Number.isInteger(v) && v >= 1 && v <= 0xffff)) throw new RangeError(`fault code must be an integer 1..65535, got ${v}`);
  return v;
}

/** Whole milliseconds, at least 1: keeps every event time an integer, so sums are exact. */
const ms = (x: number): number => Math.max(1, Math.round(x));

export class Machine {
  readonly name: string;
  readonly products: readonly Product[];
  readonly faults: readonly FaultCode[];
  private readonly config: MachineConfig;
  private readonly faultWeights: number[];

  // Independent streams: e.g. changing the reject rate does not move any breakdown.
  private readonly cycleRng: Random;
  private readonly qualityRng: Random;
  private readonly stopRng: Random;
  private readonly smallStopRng: Random;

  private now: number;
  private revision_ = 0;

  // Overrides. Natural time = now - pausedTotal, frozen at pauseStart while held.
  private forced: { code: number; until: number } | undefined;
  private planned = false;
  private pausedTotal = 0;
  private pauseStart = 0;

  // Natural process; times are natural time.
  private activity: Activity = 'running';
  private activityEnd = 0;
  private naturalFault = 0;
  private cycleEnd = 0;
  private failAt = 0;
  /** Running time left of the current cycle / to the next breakdown while not running; undefined = draw anew. */
  private cycleLeft: number | undefined;
  private failLeft: number | undefined;
  private cycleMs = 0;
  private productIndex = 0;
  private runParts = 0;
  private changeoverDue = Infinity;

  private total: number;
  private good: number;
  private reject: number;
  private made = 0;
  private speedFactor = 1;
  private rejectRate: number;

  constructor(config: MachineConfig) {
    this.config = config;
    this.name = config.name;
    positive('idealCycleMs', config.idealCycleMs);
    positive('mttrMs', config.mttrMs);
    if (!(config.mtbfMs >= 0)) throw new RangeError(`mtbfMs must be >= 0, got ${config.mtbfMs}`);
    this.rejectRate = fraction('rejectRate', config.rejectRate ?? 0);
    fraction('smallStopProbability', config.smallStopProbability ?? 0);
    positive('smallStopMs', config.smallStopMs ?? 3000);
    fraction('speedNoise', config.speedNoise ?? 0.03);
    const products = config.products ?? [{ id: 1, name: 'PRODUCT 1' }];
    if (products.length === 0) throw new RangeError(`${config.name}: products must not be empty`);
    this.products = products.map((p) => ({
      id: p.id,
      name: p.name,
      idealCycleMs: positive(`product ${p.id} idealCycleMs`, p.idealCycleMs ?? config.idealCycleMs),
    }));
    this.faults = config.faults ?? DEFAULT_FAULTS;
    this.faults.forEach((f) => faultCode(f.code));
    if (config.mtbfMs > 0 && config.mtbfMs !== Infinity && !this.faults.some((f) => f.weight > 0)) {
      throw new RangeError(`${config.name}: breakdowns need at least one fault code with a positive weight`);
    }
    this.faultWeights = this.faults.map((f) => f.weight);
    const co = config.changeover;
    if (co !== undefined) {
      positive('changeover.durationMs', co.durationMs);
      if (co.everyParts !== undefined) positive('changeover.everyParts', co.everyParts);
      if (co.everyMs !== undefined) positive('changeover.everyMs', co.everyMs);
    }

    this.cycleRng = new Random(config.seed, `${config.name}#cycle`);
    this.qualityRng = new Random(config.seed, `${config.name}#quality`);
    this.stopRng = new Random(config.seed, `${config.name}#stop`);
    this.smallStopRng = new Random(config.seed, `${config.name}#small`);

    this.now = config.startMs ?? 0;
    this.total = (config.initialCounts?.total ?? 0) & 0xffff;
    this.good = (config.initialCounts?.good ?? 0) >>> 0;
    this.reject = (config.initialCounts?.reject ?? 0) >>> 0;
    this.changeoverDue = co?.everyMs !== undefined ? this.now + co.everyMs : Infinity;
    this.enterRunning(this.now);
  }

  /** Simulated time the machine has reached (ms). */
  get time(): number {
    return this.now;
  }

  /** Changes whenever anything observable may have changed: a cheap "is my copy stale" check. */
  get revision(): number {
    return this.revision_;
  }

  /** Runs the model up to simulated time `t`. A time not after the current one does nothing. */
  advanceTo(t: number): void {
    if (Number.isNaN(t)) throw new RangeError('advanceTo: time is NaN');
    if (!(t > this.now)) return;
    for (;;) {
      if (this.held()) {
        const until = this.forced?.until ?? Infinity;
        if (until > t) break;
        this.now = until;
        this.forced = undefined;
        if (!this.held()) this.release();
        continue;
      }
      const next = this.nextEvent() + this.pausedTotal;
      if (next > t) break;
      this.now = next;
      this.handleEvent(next - this.pausedTotal);
    }
    this.now = t;
    this.revision_++;
  }

  advance(dtMs: number): void {
    this.advanceTo(this.now + dtMs);
  }

  snapshot(): MachineSnapshot {
    const product = this.products[this.productIndex];
    const state = this.state();
    let fault = 0;
    if (this.forced !== undefined) fault = this.forced.code;
    else if (state === 'down') fault = this.naturalFault;
    return {
      name: this.name,
      time: this.now,
      state,
      faultCode: fault,
      totalCount: this.total,
      goodCount: this.good,
      rejectCount: this.reject,
      partsMade: this.made,
      speed: state === 'running' ? Math.round(6_000_000 / this.cycleMs) / 100 : 0,
      speedFactor: this.speedFactor,
      product,
      idealCycleMs: product.idealCycleMs,
      rejectRate: this.rejectRate,
      plannedStop: this.planned,
      forcedStop: this.forced !== undefined,
      unitsPerPart: this.config.unitsPerPart ?? 1,
    };
  }

  // ------------------------------------------------------------------------------- controls

  /** Stops the machine now with a PLC fault code, until clearStop() or, if given, for durationMs. */
  forceStop(code: number, durationMs?: number): void {
    faultCode(code);
    const until = durationMs === undefined ? Infinity : this.now + ms(positive('durationMs', durationMs));
    const wasHeld = this.held();
    this.forced = { code, until };
    if (!wasHeld) this.hold();
    this.revision_++;
  }

  /** Ends a forced stop and any breakdown or small stop in progress: the machine runs on now. */
  clearStop(): void {
    if (this.forced !== undefined) {
      this.forced = undefined;
      if (!this.held()) this.release();
    }
    if (this.activity === 'down' || this.activity === 'idle') this.enterRunning(this.natural());
    this.revision_++;
  }

  setPlannedStop(on: boolean): void {
    if (on === this.planned) return;
    const wasHeld = this.held();
    this.planned = on;
    if (!wasHeld && this.held()) this.hold();
    else if (wasHeld && !this.held()) this.release();
    this.revision_++;
  }

  setRejectRate(rate: number): void {
    this.rejectRate = fraction('rejectRate', rate);
    this.revision_++;
  }

  /** Speed as a fraction of nominal (MIN_SPEED_FACTOR..MAX_SPEED_FACTOR); the current cycle is rescaled. */
  setSpeedFactor(factor: number): void {
    if (!(factor >= MIN_SPEED_FACTOR && factor <= MAX_SPEED_FACTOR)) {
      throw new RangeError(`speed factor must be in ${MIN_SPEED_FACTOR}..${MAX_SPEED_FACTOR}, got ${factor}`);
    }
    const ratio = this.speedFactor / factor;
    this.speedFactor = factor;
    this.cycleMs = ms(this.cycleMs * ratio);
    if (this.activity === 'running') {
      const n = this.natural();
      this.cycleEnd = n + ms((this.cycleEnd - n) * ratio);
    } else if (this.cycleLeft !== undefined) {
      this.cycleLeft = ms(this.cycleLeft * ratio);
    }
    this.revision_++;
  }

  /** Zeroes the total, good and reject counters (what the PLC's reset button does). */
  resetCounters(): void {
    this.total = 0;
    this.good = 0;
    this.reject = 0;
    this.revision_++;
  }

  // ------------------------------------------------------------------------------- internals

  private state(): MachineState {
    if (this.forced !== undefined) return 'down';
    if (this.planned) return 'planned';
    return this.activity;
  }

  private held(): boolean {
    return this.forced !== undefined || this.planned;
  }

  private hold(): void {
    this.pauseStart = this.now;
  }

  private release(): void {
    this.pausedTotal += this.now - this.pauseStart;
  }

  private natural(): number {
    return (this.held() ? this.pauseStart : this.now) - this.pausedTotal;
  }

  private nextEvent(): number {
    return this.activity === 'running' ? Math.min(this.cycleEnd, this.failAt) : this.activityEnd;
  }

  private handleEvent(n: number): void {
    if (this.activity !== 'running') this.endActivity(n);
    else if (this.cycleEnd <= this.failAt) this.completePart(n);
    else this.breakDown(n);
  }

  private drawCycle(): number {
    const noise = this.config.speedNoise ?? 0.03;
    const ideal = this.products[this.productIndex].idealCycleMs / this.speedFactor;
    this.cycleMs = ms(ideal * (1 + this.cycleRng.uniform(-noise, noise)));
    return this.cycleMs;
  }

  private drawTimeToFailure(): number {
    const mtbf = this.config.mtbfMs;
    return mtbf === 0 || mtbf === Infinity ? Infinity : ms(this.stopRng.exponential(mtbf));
  }

  private enterRunning(n: number): void {
    this.activity = 'running';
    this.cycleEnd = n + (this.cycleLeft ?? this.drawCycle());
    this.failAt = n + (this.failLeft ?? this.drawTimeToFailure());
    this.cycleLeft = undefined;
    this.failLeft = undefined;
  }

  private leaveRunning(n: number, activity: Activity, durationMs: number, cycleLeft: number | undefined): void {
    this.cycleLeft = cycleLeft;
    this.failLeft = this.failAt - n;
    this.activity = activity;
    this.activityEnd = n + durationMs;
  }

  private completePart(n: number): void {
    this.made++;
    this.total = (this.total + 1) & 0xffff;
    if (this.qualityRng.chance(this.rejectRate)) this.reject = (this.reject + 1) >>> 0;
    else this.good = (this.good + 1) >>> 0;
    this.runParts++;

    const co = this.config.changeover;
    if (co !== undefined && (this.runParts >= (co.everyParts ?? Infinity) || n >= this.changeoverDue)) {
      this.leaveRunning(n, 'changeover', ms(co.durationMs), undefined);
      return;
    }
    if (this.smallStopRng.chance(this.config.smallStopProbability ?? 0)) {
      const duration = ms((this.config.smallStopMs ?? 3000) * this.smallStopRng.uniform(0.5, 1.5));
      this.leaveRunning(n, 'idle', duration, this.drawCycle());
      return;
    }
    this.cycleEnd = n + this.drawCycle();
  }

  private breakDown(n: number): void {
    this.naturalFault = this.faults[this.stopRng.weightedIndex(this.faultWeights)].code;
    const duration = Math.max(MIN_DOWN_MS, ms(this.stopRng.exponential(this.config.mttrMs)));
    this.cycleLeft = this.cycleEnd - n;
    // failLeft stays undefined: the next time to failure is drawn when the machine runs again.
    this.activity = 'down';
    this.activityEnd = n + duration;
  }

  private endActivity(n: number): void {
    if (this.activity === 'changeover') {
      this.productIndex = (this.productIndex + 1) % this.products.length;
      this.runParts = 0;
      const every = this.config.changeover?.everyMs;
      this.changeoverDue = every !== undefined ? n + every : Infinity;
      this.cycleLeft = undefined;
    }
    this.enterRunning(n);
  }
}
