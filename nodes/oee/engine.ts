/**
 * The OEE engine of one machine: a pure, deterministic function of timestamped events and a shift
 * calendar. No Node-RED, no wall clock, no timers, no I/O: time is the events' `t`.
 *
 * Time model. The engine time (`time`) is the newest applied timestamp. Between two events the
 * machine is in the context of the earlier one; the context also changes by itself at known
 * instants ("boundaries": shift start/end, calendar planned stops, stale input, end of a startup
 * window), which `advance` crosses in order. Each context is one timeline segment (timeline.ts).
 *
 * Sample rules (each sample gets an ApplyResult; a rejected sample changes nothing):
 * - t must be whole ms since 1970 and within `maxJumpMs` of the engine time (else rejected).
 * - Per signal (state/run, each counter, reason, product), t must not go back. An exact repeat
 *   (same t, same value) is a duplicate: accepted, no effect. So is an older sample that would be out
 *   of order but repeats the signal's current value (an absolute counter's last reading): it carries no
 *   news, and servers send such samples routinely (OPC UA's initial value of a monitored item after a
 *   reconnect, with the source time of its last change).
 * - Across signals, a sample up to `reorderToleranceMs` older than the engine time is applied at the
 *   engine time ("late"); older counter samples are rejected as out of order (an absolute counter
 *   loses nothing by that: its next reading carries the parts). An older level (state, run, reason
 *   code, product) that is newer than its signal's last sample is still applied late: it is the
 *   signal's current value, which the engine must not miss (an OPC UA server sends it when a client
 *   subscribes, stamped with the time of its last change, however long ago).
 * - `tick` moves time on (the adapter's clock) and is exempt from maxJumpMs; it is not a sample, so
 *   it does not prove the machine link is alive. `assign` is not on the time line at all.
 *
 * Hot path: a state or counter sample that crosses no boundary does a few comparisons and integer
 * additions on fields of this object; it allocates nothing (results are shared constants).
 */
import type { Calendar, Interval, Shift } from './calendar';
import { compileCalendar, mergeIntervals, nextShift, plannedStopsIn, shiftAt } from './calendar';
import type { EngineConfig, ResolvedConfig } from './config';
import { ConfigError, isIdealCycleTime, resolveConfig, validateConfig } from './config';
import type { CounterName } from './counters';
import { absoluteDelta } from './counters';
import type { Accepted, ApplyResult, ErrorCode, InputEvent, Notice, NoticeSink, Rejected } from './events';
import * as results from './events';
import type { FigureOptions, Figures, StopView, TimelineView } from './figures';
import { computeFigures, stopView } from './figures';
import type { ReasonTree } from './reasons';
import { compileReasons } from './reasons';
import type { EngineSnapshot, ProductJson, SegmentTuple, StopJson } from './snapshot';
import { SNAPSHOT_FORMAT, SNAPSHOT_VERSION, checkSnapshot, fromNullable, toNullable } from './snapshot';
import type { MachineState, StateCode } from './states';
import * as states from './states';
import type { ProductRun, Segment, Stop } from './timeline';
import * as timeline from './timeline';
import { DAY_MS } from './time-zone';

// Module-local bindings of what the per-sample path reads: loaders that turn ES imports into
// CommonJS getters (tsx, used by the tests and benchmarks) would otherwise call a getter per read.
const { ACCEPTED, BASELINE, DUPLICATE, LATE, RESET, WRAP } = results;
const { CHANGEOVER, IDLE, NO_DATA, PLANNED, RUNNING, compileStateMap, stateCode, stateName } = states;
const { CAL_PLANNED, IN_SHIFT, STARTUP, findStop, productRun } = timeline;

export interface EngineOptions {
  /** Receives state changes, stops, shift starts and shift-end records as they happen. */
  readonly onNotice?: NoticeSink;
}

export interface Diagnostics {
  accepted: number;
  duplicates: number;
  late: number;
  wraps: number;
  resets: number;
  rejected: Partial<Record<ErrorCode, number>>;
}

interface CounterTrack {
  /** Last absolute reading and its t (-1 / -Infinity before the first). */
  last: number;
  lastT: number;
  /** Last increment sample and its t. */
  inc: number;
  incT: number;
}

const BASIS_MASK = { 'total+good': 0b011, 'total+reject': 0b101, 'good+reject': 0b110 } as const;
/** A calendar without a next shift is looked at again this often. */
const RESCAN_MS = 300 * DAY_MS;

const isTime = (t: unknown): t is number => typeof t === 'number' && Number.isSafeInteger(t) && t >= 0;
const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined ? String(v) : (JSON.stringify(v) ?? typeof v));
const iso = (t: number): string => (Number.isFinite(t) && Math.abs(t) < 8.64e15 ? new Date(t).toISOString() : String(t));
const span = (ms: number): string => (ms >= DAY_MS ? `${(ms / DAY_MS).toFixed(1)} days` : `${ms} ms`);

export class Engine {
  readonly config: EngineConfig;
  private readonly cfg: ResolvedConfig;
  private readonly calendar: Calendar;
  private readonly reasons: ReasonTree;
  private readonly stateByText: ReadonlyMap<string, StateCode>;
  private readonly stateByNumber: ReadonlyMap<number, StateCode>;
  private readonly basisMask: number;
  private sink: NoticeSink | undefined;

  // Clock and context.
  private startT: number;
  private now: number;
  private historyFrom: number;
  private boundary = Infinity;
  private fixedBoundary = Infinity;
  private shift: Shift | null = null;
  private next: Shift | null = null;
  private rescanAt = Infinity;
  private planned: readonly Interval[] = [];
  private plannedIdx = 0;
  private calPlanned = false;
  private machineState: StateCode = NO_DATA;
  /** Last state other than no-data: restored when samples come back after a gap. */
  private lastReal: StateCode = NO_DATA;
  private lastSampleT = -Infinity;
  private staleAt = Infinity;
  private startupUntil = -Infinity;
  private product: ProductRun | null = null;
  private openStop: Stop | null = null;
  /** The open stop is announced (stop-start) only once time moves past its start: a 0 ms stop is none. */
  private unannounced = false;
  private pendingReason: string | null = null;
  private pendingCode: string | null = null;
  private pendingT = -Infinity;
  private nextStopId = 1;

  // Per-signal memory for ordering and duplicates.
  private lastStateT = -Infinity;
  private lastState: StateCode | -1 = -1;
  private readonly tracks: CounterTrack[] = [0, 1, 2].map(() => ({ last: -1, lastT: -Infinity, inc: -1, incT: -Infinity }));
  private lastReasonT = -Infinity;
  private lastReasonKey: string | null = null;
  private lastProductT = -Infinity;
  private lastProductKey: string | null = null;

  // The open segment, kept in fields so that samples do not allocate.
  private segStart: number;
  private segState: StateCode = NO_DATA;
  private segFlags = 0;
  private segProduct: ProductRun | null = null;
  private segStop: Stop | null = null;
  private segFirstCountT = -1;
  private segBucketEnd = -1;
  private segTotal = 0;
  private segGood = 0;
  private segReject = 0;

  // Retained timeline: [head, length) are live; the dead prefix is dropped in batches.
  private segments: Segment[] = [];
  private segHead = 0;
  private stops: Stop[] = [];
  private stopHead = 0;

  private diag: Diagnostics = { accepted: 0, duplicates: 0, late: 0, wraps: 0, resets: 0, rejected: {} };

  /** Throws ConfigError (every problem listed) or RangeError for a bad start time. */
  constructor(config: EngineConfig, startT: number, options: EngineOptions = {}) {
    const issues = validateConfig(config);
    if (issues.length > 0) throw new ConfigError(issues);
    if (!isTime(startT)) throw new RangeError(`start time ${show(startT)} is not whole ms since 1970`);
    this.config = config;
    this.cfg = resolveConfig(config);
    this.calendar = compileCalendar(config.calendar);
    this.reasons = compileReasons(config.reasons ?? [], config.reasonClearCodes ?? [0]);
    this.stateByText = compileStateMap(config.stateMap);
    const byNumber = new Map<number, StateCode>();
    for (const [k, v] of this.stateByText) if (k.trim() !== '' && String(Number(k)) === k) byNumber.set(Number(k), v);
    this.stateByNumber = byNumber;
    this.basisMask = BASIS_MASK[this.cfg.countBasis];
    this.sink = options.onNotice;
    this.startT = startT;
    this.now = startT;
    this.historyFrom = startT;
    this.segStart = startT;
    if (config.defaultProduct !== undefined) {
      const ict = config.products?.[config.defaultProduct]?.idealCycleTimeMs ?? 0;
      this.product = productRun(config.defaultProduct, null, ict, startT);
    }
    this.locate(startT);
    this.recontext(startT);
    this.refreshBoundary();
  }

  /** Engine time: the newest applied timestamp (or tick). */
  get time(): number {
    return this.now;
  }

  currentShift(): Shift | null {
    return this.shift;
  }

  currentState(): MachineState {
    return stateName(this.machineState);
  }

  diagnostics(): Diagnostics {
    return { ...this.diag, rejected: { ...this.diag.rejected } };
  }

  // ---- input ---------------------------------------------------------------------------------

  /** Applies one event; never throws on bad input. */
  apply(e: InputEvent): ApplyResult {
    if (typeof e !== 'object' || e === null) return this.fail('unknown-event', 'event', null, `event ${show(e)} is not an object; ignored`);
    switch (e.type) {
      case 'count':
        return this.counterSample(e.t, e.counter, e.value, e.increment === true);
      case 'state':
        return this.stateSample(e.t, 'state', this.lookupState(e.value), e.value);
      case 'run':
        return this.run(e.t, e.value);
      case 'reason':
        return this.reasonCode(e.t, e.code);
      case 'product':
        return this.productChange(e.t, e.product, e.order, e.idealCycleTimeMs);
      case 'assign':
        return this.assignReason(e.t, e.stopId, e.reason);
      case 'heartbeat':
        return this.heartbeat(e.t);
      case 'tick':
        return this.tick(e.t);
      default:
        return this.fail('unknown-event', 'event', null, `event type ${show((e as { type?: unknown }).type)} is not known; ignored`);
    }
  }

  state(t: number, value: string | number): ApplyResult {
    return this.stateSample(t, 'state', this.lookupState(value), value);
  }

  run(t: number, value: boolean | number): ApplyResult {
    const code = value === true || value === 1 ? RUNNING : value === false || value === 0 ? IDLE : -2;
    return this.stateSample(t, 'run', code, value);
  }

  /** An absolute counter reading. */
  count(t: number, counter: CounterName, value: number): ApplyResult {
    return this.counterSample(t, counter, value, false);
  }

  /** Parts counted since the previous increment sample of this counter. */
  increment(t: number, counter: CounterName, value: number): ApplyResult {
    return this.counterSample(t, counter, value, true);
  }

  heartbeat(t: number): ApplyResult {
    if (!isTime(t)) return this.badTime('heartbeat', t);
    const order = this.checkOrder(t, -Infinity, 'heartbeat');
    if (order !== null) return order;
    const te = t < this.now ? this.now : t;
    this.advance(te);
    this.alive(te);
    this.restore(te);
    return this.accept(t < this.now ? LATE : ACCEPTED);
  }

  /** The adapter's clock: closes shifts and marks silence as no data; trusted, so no jump limit. */
  tick(t: number): ApplyResult {
    if (!isTime(t)) return this.badTime('tick', t);
    this.advance(t);
    return ACCEPTED;
  }

  reasonCode(t: number, code: string | number): ApplyResult {
    if (!isTime(t)) return this.badTime('reason', t);
    const valid = (typeof code === 'number' && Number.isFinite(code)) || (typeof code === 'string' && code.trim() !== '');
    if (!valid) return this.fail('unknown-reason-code', 'reason', t, `reason code ${show(code)} is not a code; sample ignored`);
    const key = String(code);
    const clear = this.reasons.clearCodes.has(key);
    const reason = clear ? null : this.reasons.byCode.get(key);
    if (reason === undefined) return this.fail('unknown-reason-code', 'reason', t, `reason code ${show(code)} is not mapped to any reason; sample ignored`);
    if (t === this.lastReasonT && key === this.lastReasonKey) return this.duplicate();
    const order = this.checkOrder(t, this.lastReasonT, 'reason', key === this.lastReasonKey, true);
    if (order !== null) return order;
    const late = t < this.now;
    const te = late ? this.now : t;
    this.advance(te);
    this.alive(te);
    this.restore(te);
    const changed = key !== this.lastReasonKey;
    this.lastReasonT = t;
    this.lastReasonKey = key;
    // The code is a level: only a change names a stop, so a code left standing is not reused.
    if (changed) {
      this.pendingReason = null;
      if (reason !== null) {
        const stop = this.openStop;
        if (stop === null) {
          this.pendingReason = reason;
          this.pendingCode = key;
          this.pendingT = te;
        } else if (stop.reasonSource === null) {
          stop.reason = reason;
          stop.reasonSource = 'plc';
          stop.reasonCode = key;
          this.emitStop('stop-reason', te, stop);
        }
      }
    }
    return this.accept(late ? LATE : ACCEPTED);
  }

  productChange(t: number, product: string, order?: string, idealCycleTimeMs?: number): ApplyResult {
    if (!isTime(t)) return this.badTime('product', t);
    if (typeof product !== 'string' || product.trim() === '') return this.fail('unknown-product', 'product', t, `product ${show(product)} is not a product name; sample ignored`);
    if (order !== undefined && typeof order !== 'string') return this.fail('unknown-product', 'product', t, `order ${show(order)} of product ${show(product)} is not text; sample ignored`);
    let ict = idealCycleTimeMs;
    if (ict !== undefined) {
      if (!isIdealCycleTime(ict)) return this.fail('bad-ideal-cycle-time', 'product', t, `ideal cycle time ${show(ict)} ms of product ${show(product)} is not > 0 and <= 1 day; sample ignored`);
    } else {
      ict = this.config.products !== undefined && Object.hasOwn(this.config.products, product) ? this.config.products[product].idealCycleTimeMs : undefined;
      if (ict === undefined) return this.fail('unknown-product', 'product', t, `product ${show(product)} has no configured ideal cycle time and the event gives none; sample ignored`);
    }
    const key = `${product}\u0000${order ?? ''}\u0000${ict}`;
    if (t === this.lastProductT && key === this.lastProductKey) return this.duplicate();
    const bad = this.checkOrder(t, this.lastProductT, 'product', key === this.lastProductKey, true);
    if (bad !== null) return bad;
    const late = t < this.now;
    const te = late ? this.now : t;
    this.advance(te);
    this.lastProductT = t;
    this.lastProductKey = key;
    const cur = this.product;
    if (cur === null || cur.product !== product || cur.order !== (order ?? null) || cur.idealCycleTimeMs !== ict) {
      this.product = productRun(product, order ?? null, ict, te);
      if (this.cfg.startupMs > 0) this.startupUntil = te + this.cfg.startupMs;
      this.recontext(te);
      this.refreshBoundary();
    }
    return this.accept(late ? LATE : ACCEPTED);
  }

  /** An operator names (reason id) or clears (null) the reason of a retained stop. */
  assignReason(t: number, stopId: number, reason: string | null): ApplyResult {
    if (!isTime(t)) return this.badTime('assign', t);
    const i = typeof stopId === 'number' && Number.isSafeInteger(stopId) ? findStop(this.stops, this.stopHead, stopId) : -1;
    if (i < 0) return this.fail('unknown-stop', 'assign', t, `stop ${show(stopId)} is not a stop this engine keeps (ids ${this.stopIdRange()}); assignment ignored`);
    if (reason !== null && (typeof reason !== 'string' || !this.reasons.byId.has(reason))) {
      return this.fail('unknown-reason', 'assign', t, `reason ${show(reason)} for stop ${stopId} is not in the reason tree; assignment ignored`);
    }
    const stop = this.stops[i];
    stop.reason = reason;
    stop.reasonSource = reason === null ? null : 'operator';
    stop.reasonCode = null;
    stop.assignedAt = reason === null ? null : t;
    this.emitStop('stop-reason', t, stop);
    return this.accept(ACCEPTED);
  }

  // ---- output --------------------------------------------------------------------------------

  /** Figures of [from, to), known up to the engine time. */
  figures(from: number, to: number, options?: FigureOptions): Figures {
    return computeFigures(this.view(), from, to, null, options);
  }

  /** Figures of a shift (default: the current one), or null between shifts. */
  shiftFigures(shift: Shift | null = this.shift, options?: FigureOptions): Figures | null {
    return shift === null ? null : computeFigures(this.view(), shift.start, shift.end, shift, options);
  }

  /** A retained stop by id. */
  stop(id: number): StopView | undefined {
    const i = findStop(this.stops, this.stopHead, id);
    return i < 0 ? undefined : stopView(this.stops[i], this.now, this.cfg.smallStopMs, this.reasons);
  }

  /** Earliest time the retained timeline covers. */
  get retainedFrom(): number {
    return this.historyFrom;
  }

  /** Live segments and stops held (the memory bound is maxSegments / maxStops). */
  get retained(): { readonly segments: number; readonly stops: number } {
    return { segments: this.segments.length - this.segHead, stops: this.stops.length - this.stopHead };
  }

  // ---- samples -------------------------------------------------------------------------------

  private lookupState(value: unknown): StateCode | -1 {
    const code = typeof value === 'number' ? this.stateByNumber.get(value) : typeof value === 'string' ? this.stateByText.get(value) : undefined;
    return code ?? -1;
  }

  private stateSample(t: number, input: 'state' | 'run', code: StateCode | -1 | -2, raw: unknown): ApplyResult {
    if (!isTime(t)) return this.badTime(input, t);
    if (code === -2) return this.fail('bad-run-signal', 'run', t, `run signal ${show(raw)} is not true/false or 1/0; sample ignored`);
    if (code === -1) {
      const known = [...this.stateByText.keys()].slice(0, 12).map((k) => JSON.stringify(k)).join(', ');
      return this.fail('unknown-state', input, t, `state value ${show(raw)} is not in the state mapping (known: ${known}); sample ignored`);
    }
    if (t === this.lastStateT && code === this.lastState) return this.duplicate();
    const order = this.checkOrder(t, this.lastStateT, input, code === this.lastState, true);
    if (order !== null) return order;
    const late = t < this.now;
    const te = late ? this.now : t;
    this.advance(te);
    this.alive(te);
    this.lastStateT = t;
    this.lastState = code;
    this.setState(te, code);
    return this.accept(late ? LATE : ACCEPTED);
  }

  private counterSample(t: number, counter: CounterName, value: number, inc: boolean): ApplyResult {
    if (!isTime(t)) return this.badTime(String(counter), t);
    const idx = counter === 'total' ? 0 : counter === 'good' ? 1 : counter === 'reject' ? 2 : -1;
    if (idx < 0) {
      return this.fail('unknown-event', 'event', t, `counter ${show(counter)} is not total, good or reject; sample ignored`);
    }
    if ((this.basisMask & (1 << idx)) === 0) {
      return this.fail('counter-not-in-basis', counter, t, `${counter} counter: not one of the counters of the count basis "${this.cfg.countBasis}"; sample ignored`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) return this.fail('not-a-number', counter, t, `${counter} counter: value ${show(value)} is not a number; sample ignored`);
    if (value < 0) return this.fail('negative-count', counter, t, `${counter} counter: value ${value} is negative; sample ignored`);
    if (!Number.isSafeInteger(value)) return this.fail('not-an-integer', counter, t, `${counter} counter: value ${value} is not a whole number of parts; sample ignored`);
    const c = this.cfg.counters[counter];
    if (!inc && c.modulus > 0 && value >= c.modulus) {
      return this.fail('counter-out-of-range', counter, t, `${counter} counter: value ${value} does not fit its ${c.modulus === 65_536 ? 16 : 32}-bit register; sample ignored`);
    }
    const tr = this.tracks[idx];
    if (inc ? t === tr.incT && value === tr.inc : t === tr.lastT && value === tr.last) return this.duplicate();
    const order = this.checkOrder(t, inc ? tr.incT : tr.lastT, counter, !inc && value === tr.last);
    if (order !== null) return order;
    const late = t < this.now;
    const te = late ? this.now : t;
    this.advance(te);
    this.alive(te);
    this.restore(te);
    let result: Accepted = late ? LATE : ACCEPTED;
    let delta: number;
    if (inc) {
      delta = value;
      tr.inc = value;
      tr.incT = t;
    } else {
      const last = tr.last;
      if (last < 0) {
        delta = 0;
        result = BASELINE;
      } else if (value >= last) delta = value - last;
      else {
        delta = absoluteDelta(last, value, c.modulus, c.maxStep);
        if (delta === value) {
          result = RESET;
          this.diag.resets++;
        } else {
          result = WRAP;
          this.diag.wraps++;
        }
      }
      tr.last = value;
      tr.lastT = t;
    }
    if (delta > 0) this.addCount(te, idx, delta);
    return this.accept(result);
  }

  private addCount(te: number, idx: number, delta: number): void {
    if (this.segFirstCountT < 0) {
      this.segFirstCountT = te;
      this.segBucketEnd = te - (te % this.cfg.countResolutionMs) + this.cfg.countResolutionMs;
    } else if (te >= this.segBucketEnd) {
      // Keep a segment's parts inside one resolution bucket: split at the bucket of this count.
      const bucket = te - (te % this.cfg.countResolutionMs);
      this.closeSegment(bucket);
      this.segFirstCountT = te;
      this.segBucketEnd = bucket + this.cfg.countResolutionMs;
    }
    if (idx === 0) this.segTotal += delta;
    else if (idx === 1) this.segGood += delta;
    else this.segReject += delta;
  }

  private accept(result: Accepted): Accepted {
    this.diag.accepted++;
    if (result === LATE) this.diag.late++;
    return result;
  }

  private duplicate(): Accepted {
    this.diag.duplicates++;
    return DUPLICATE;
  }

  private fail(code: ErrorCode, input: string, t: number | null, message: string): Rejected {
    this.diag.rejected[code] = (this.diag.rejected[code] ?? 0) + 1;
    return { ok: false, error: { code, input, t, message } };
  }

  private badTime(input: string, t: unknown): Rejected {
    return this.fail('bad-timestamp', input, null, `${input}: timestamp ${show(t)} is not whole ms since 1970; sample ignored`);
  }

  /**
   * Range and ordering of a valid timestamp against the engine time and the signal's last t. A sample
   * out of order that repeats the signal's current value (`repeatsLast`) is a duplicate, not an error;
   * a `level` newer than its signal's last sample is applied late however old (see the module comment).
   */
  private checkOrder(t: number, lastT: number, input: string, repeatsLast = false, level = false): ApplyResult | null {
    const jump = this.cfg.maxJumpMs;
    if (t > this.now + jump || t < this.now - jump) {
      return this.fail('timestamp-out-of-range', input, t, `${input}: timestamp ${iso(t)} is ${span(Math.abs(t - this.now))} from the engine time ${iso(this.now)} (limit ${span(jump)}); sample ignored`);
    }
    if (t < lastT) {
      if (repeatsLast) return this.duplicate();
      return this.fail('out-of-order', input, t, `${input}: sample at ${iso(t)} is older than the last ${input} sample at ${iso(lastT)}; ignored`);
    }
    if (t < this.now - this.cfg.reorderToleranceMs) {
      if (repeatsLast) return this.duplicate();
      if (level) return null;
      return this.fail('out-of-order', input, t, `${input}: sample at ${iso(t)} is ${this.now - t} ms older than the engine time ${iso(this.now)} (tolerance ${this.cfg.reorderToleranceMs} ms); ignored`);
    }
    return null;
  }

  // ---- time and context ----------------------------------------------------------------------

  private advance(t: number): void {
    while (t >= this.boundary) this.crossBoundary();
    if (t > this.now) {
      if (this.unannounced) this.announce();
      this.now = t;
    }
  }

  private crossBoundary(): void {
    const b = this.boundary;
    if (this.unannounced) this.announce();
    this.now = b;
    if (b >= this.staleAt) {
      this.staleAt = Infinity;
      this.setState(b, NO_DATA);
    }
    if (this.shift !== null) {
      if (b >= this.shift.end) this.endShift(b);
      else this.updatePlanned(b);
    } else if (this.next !== null ? b >= this.next.start : b >= this.rescanAt) this.locate(b);
    this.recontext(b); // also ends an expired startup window
    this.refreshBoundary();
  }

  private refreshBoundary(): void {
    let m: number;
    if (this.shift !== null) {
      m = this.shift.end;
      const iv = this.planned[this.plannedIdx];
      if (iv !== undefined) {
        const p = this.calPlanned ? iv.end : iv.start;
        if (p < m) m = p;
      }
    } else m = this.next !== null ? this.next.start : this.rescanAt;
    if (this.startupUntil > this.now && this.startupUntil < m) m = this.startupUntil;
    this.fixedBoundary = m;
    this.boundary = this.staleAt < m ? this.staleAt : m;
  }

  /** A machine sample arrived: the link is alive until te + staleAfterMs. */
  private alive(te: number): void {
    this.lastSampleT = te;
    this.staleAt = te + this.cfg.staleAfterMs;
    this.boundary = this.staleAt < this.fixedBoundary ? this.staleAt : this.fixedBoundary;
  }

  /** After a gap, a sample that is not a state restores the last known state. */
  private restore(te: number): void {
    if (this.machineState === NO_DATA && this.lastReal !== NO_DATA) this.setState(te, this.lastReal);
  }

  private setState(t: number, code: StateCode): void {
    const from = this.machineState;
    if (from === code) return;
    const prev = from === NO_DATA ? this.lastReal : from;
    this.machineState = code;
    if (code !== NO_DATA) this.lastReal = code;
    this.emit({ kind: 'state', t, from: stateName(from), to: stateName(code) });
    if (code === RUNNING && (prev === CHANGEOVER || prev === PLANNED) && this.cfg.startupMs > 0) {
      this.startupUntil = t + this.cfg.startupMs;
      this.refreshBoundary();
    }
    this.recontext(t);
  }

  /** Enters the shift running at t, or remembers the next one. */
  private locate(t: number): void {
    const cur = shiftAt(this.calendar, t);
    if (cur !== undefined) {
      this.next = null;
      this.shift = cur;
      this.planned = mergeIntervals(plannedStopsIn(this.calendar, cur));
      this.plannedIdx = 0;
      this.updatePlanned(t);
      this.emit({ kind: 'shift-start', t, shift: cur });
      this.recontext(t);
      return;
    }
    this.next = nextShift(this.calendar, t) ?? null;
    this.rescanAt = this.next === null ? t + RESCAN_MS : Infinity;
  }

  private updatePlanned(b: number): void {
    while (this.plannedIdx < this.planned.length && this.planned[this.plannedIdx].end <= b) this.plannedIdx++;
    const iv = this.planned[this.plannedIdx];
    this.calPlanned = iv !== undefined && iv.start <= b;
  }

  private endShift(b: number): void {
    const shift = this.shift!;
    this.shift = null;
    this.calPlanned = false;
    this.planned = [];
    this.plannedIdx = 0;
    this.recontext(b);
    if (this.sink !== undefined) this.emit({ kind: 'shift-end', t: b, shift, figures: computeFigures(this.view(), shift.start, shift.end, shift) });
    this.locate(b);
  }

  /** Brings the stop and the open segment in line with the current context at t. */
  private recontext(t: number): void {
    this.syncStop(t);
    const flags = (this.shift !== null ? IN_SHIFT : 0) | (this.calPlanned ? CAL_PLANNED : 0) | (t < this.startupUntil ? STARTUP : 0);
    if (flags !== this.segFlags || this.machineState !== this.segState || this.product !== this.segProduct || this.openStop !== this.segStop) {
      this.closeSegment(t);
      this.segFlags = flags;
      this.segState = this.machineState;
      this.segProduct = this.product;
      this.segStop = this.openStop;
    }
  }

  private syncStop(t: number): void {
    const want = this.shift !== null && !this.calPlanned && this.machineState !== RUNNING ? this.machineState : -1;
    const open = this.openStop;
    if (open !== null) {
      if (open.state === want) return;
      open.end = t;
      this.openStop = null;
      if (this.unannounced) {
        // A 0 ms stop (two changes in one ms, or the no-data of a fresh engine): nobody saw it, so
        // drop it (it is the newest), give its id back and keep a PLC reason for the next stop.
        this.unannounced = false;
        this.stops.pop();
        this.nextStopId--;
        if (open.reasonSource === 'plc') {
          this.pendingReason = open.reason;
          this.pendingCode = open.reasonCode;
          this.pendingT = t;
        }
      } else this.emitStop('stop-end', t, open);
    }
    if (want < 0) return;
    const stop: Stop = { id: this.nextStopId++, shiftId: this.shift!.id, start: t, end: -1, state: want as StateCode, reason: null, reasonSource: null, reasonCode: null, assignedAt: null };
    if (this.pendingReason !== null && t - this.pendingT <= this.cfg.reasonLeadMs) {
      stop.reason = this.pendingReason;
      stop.reasonSource = 'plc';
      stop.reasonCode = this.pendingCode;
    }
    this.pendingReason = null;
    this.pendingCode = null;
    this.stops.push(stop);
    this.openStop = stop;
    this.unannounced = true;
    this.trim();
  }

  private announce(): void {
    this.unannounced = false;
    const stop = this.openStop!;
    this.emitStop('stop-start', stop.start, stop);
  }

  /** Ends the open segment at t (kept if it has time or parts) and opens one at t in the same context. */
  private closeSegment(t: number): void {
    if (t > this.segStart || this.segFirstCountT >= 0) {
      this.segments.push({
        start: this.segStart,
        end: t,
        state: this.segState,
        flags: this.segFlags,
        product: this.segProduct,
        // Parts counted in the very ms of a dropped 0 ms stop stay, without the stop.
        stop: this.segStop !== null && this.segStop.end === this.segStop.start ? null : this.segStop,
        firstCountT: this.segFirstCountT,
        total: this.segTotal,
        good: this.segGood,
        reject: this.segReject,
      });
      this.segStart = t;
      this.trim();
    }
    this.segStart = t;
    this.segFirstCountT = -1;
    this.segBucketEnd = -1;
    this.segTotal = 0;
    this.segGood = 0;
    this.segReject = 0;
  }

  /**
   * The memory bound: drops history older than retainMs, or beyond maxSegments / maxStops, at one
   * cut for both lists (a segment never outlives its stop, so figures stay consistent).
   */
  private trim(): void {
    const segs = this.segments;
    const stops = this.stops;
    let cut = this.now - this.cfg.retainMs;
    const extraSegs = segs.length - this.segHead - this.cfg.maxSegments;
    if (extraSegs > 0) cut = Math.max(cut, segs[this.segHead + extraSegs - 1].end);
    const extraStops = stops.length - this.stopHead - this.cfg.maxStops;
    if (extraStops > 0) {
      const s = stops[this.stopHead + extraStops - 1];
      if (s.end >= 0) cut = Math.max(cut, s.end);
    }
    if (cut <= this.historyFrom) return;
    while (this.segHead < segs.length && segs[this.segHead].end <= cut) this.segHead++;
    while (this.stopHead < stops.length && stops[this.stopHead].end >= 0 && stops[this.stopHead].end <= cut) this.stopHead++;
    this.historyFrom = this.segHead < segs.length ? segs[this.segHead].start : this.segStart;
    if (this.segHead > 1024 && this.segHead * 2 > segs.length) {
      segs.splice(0, this.segHead);
      this.segHead = 0;
    }
    if (this.stopHead > 256 && this.stopHead * 2 > stops.length) {
      stops.splice(0, this.stopHead);
      this.stopHead = 0;
    }
  }

  private view(): TimelineView {
    return {
      segments: this.segments,
      segmentHead: this.segHead,
      open: {
        start: this.segStart,
        end: this.now,
        state: this.segState,
        flags: this.segFlags,
        product: this.segProduct,
        stop: this.segStop,
        firstCountT: this.segFirstCountT,
        total: this.segTotal,
        good: this.segGood,
        reject: this.segReject,
      },
      stops: this.stops,
      stopHead: this.stopHead,
      now: this.now,
      historyFrom: this.historyFrom,
      smallStopMs: this.cfg.smallStopMs,
      countBasis: this.cfg.countBasis,
      reasons: this.reasons,
    };
  }

  private stopIdRange(): string {
    const n = this.stops.length - this.stopHead;
    return n === 0 ? 'none yet' : `${this.stops[this.stopHead].id}..${this.stops[this.stops.length - 1].id}`;
  }

  private emit(n: Notice): void {
    if (this.sink !== undefined) this.sink(n);
  }

  private emitStop(kind: 'stop-start' | 'stop-end' | 'stop-reason', t: number, stop: Stop): void {
    // A reason given before the stop is announced travels with its stop-start.
    if (this.sink !== undefined && !(this.unannounced && stop === this.openStop)) this.sink({ kind, t, stop: stopView(stop, this.now, this.cfg.smallStopMs, this.reasons) });
  }

  // ---- persistence ---------------------------------------------------------------------------

  /** Everything needed to continue exactly where this engine is; plain JSON. */
  toJSON(): EngineSnapshot {
    const products: ProductJson[] = [];
    const index = new Map<ProductRun, number>();
    const ref = (p: ProductRun | null): number | null => {
      if (p === null) return null;
      let i = index.get(p);
      if (i === undefined) {
        i = products.length;
        index.set(p, i);
        products.push({ product: p.product, order: p.order, idealCycleTimeMs: p.idealCycleTimeMs, since: p.since });
      }
      return i;
    };
    const product = ref(this.product);
    const segments: SegmentTuple[] = [];
    for (let i = this.segHead; i < this.segments.length; i++) {
      const s = this.segments[i];
      segments.push([s.start, s.end, s.state, s.flags, ref(s.product), s.stop === null ? null : s.stop.id, s.firstCountT, s.total, s.good, s.reject]);
    }
    const stops: StopJson[] = [];
    for (let i = this.stopHead; i < this.stops.length; i++) {
      const s = this.stops[i];
      stops.push({ id: s.id, shiftId: s.shiftId, start: s.start, end: s.end, state: stateName(s.state), reason: s.reason, reasonSource: s.reasonSource, reasonCode: s.reasonCode, assignedAt: s.assignedAt });
    }
    return {
      format: SNAPSHOT_FORMAT,
      version: SNAPSHOT_VERSION,
      config: JSON.parse(JSON.stringify(this.config)) as EngineConfig,
      startT: this.startT,
      now: this.now,
      historyFrom: this.historyFrom,
      shift: this.shift,
      next: this.next,
      rescanAt: toNullable(this.rescanAt),
      planned: this.planned.map((i) => ({ start: i.start, end: i.end })),
      plannedIdx: this.plannedIdx,
      calPlanned: this.calPlanned,
      state: stateName(this.machineState),
      lastReal: stateName(this.lastReal),
      lastSampleT: toNullable(this.lastSampleT),
      staleAt: toNullable(this.staleAt),
      startupUntil: toNullable(this.startupUntil),
      product,
      openStop: this.openStop === null ? null : this.openStop.id,
      unannounced: this.unannounced,
      pendingReason: this.pendingReason === null ? null : { reason: this.pendingReason, code: this.pendingCode, t: this.pendingT },
      nextStopId: this.nextStopId,
      signals: {
        stateT: toNullable(this.lastStateT),
        state: this.lastState < 0 ? null : stateName(this.lastState as StateCode),
        counters: this.tracks.map((c) => ({ last: c.last, lastT: toNullable(c.lastT), inc: c.inc, incT: toNullable(c.incT) })),
        reasonT: toNullable(this.lastReasonT),
        reasonKey: this.lastReasonKey,
        productT: toNullable(this.lastProductT),
        productKey: this.lastProductKey,
      },
      open: {
        start: this.segStart,
        state: stateName(this.segState),
        flags: this.segFlags,
        product: ref(this.segProduct),
        stop: this.segStop === null ? null : this.segStop.id,
        firstCountT: this.segFirstCountT,
        bucketEnd: this.segBucketEnd,
        total: this.segTotal,
        good: this.segGood,
        reject: this.segReject,
      },
      products,
      segments,
      stops,
      diagnostics: this.diagnostics(),
    };
  }

  /**
   * Restores an engine from toJSON() output (parsed JSON). With `config`, that configuration is used
   * instead of the saved one: new thresholds and mappings apply from now on, and the current shift
   * keeps its times but re-reads its planned stops from the new calendar. Throws SnapshotError for
   * a damaged state, ConfigError for an invalid configuration.
   */
  static fromJSON(json: unknown, options: EngineOptions & { readonly config?: EngineConfig } = {}): Engine {
    const snap = checkSnapshot(json);
    const e = new Engine(options.config ?? snap.config, snap.startT);
    e.restoreFrom(snap);
    if (options.config !== undefined) e.rereadCalendar();
    e.sink = options.onNotice;
    return e;
  }

  private restoreFrom(s: EngineSnapshot): void {
    const products = s.products.map((p) => productRun(p.product, p.order, p.idealCycleTimeMs, p.since));
    const productAt = (i: number | null): ProductRun | null => (i === null ? null : products[i]);
    const stops = s.stops.map((j): Stop => ({ ...j, state: stateCode(j.state) }));
    const byId = new Map(stops.map((x) => [x.id, x]));
    const stopOf = (id: number | null): Stop | null => (id === null ? null : byId.get(id)!);
    this.now = s.now;
    this.historyFrom = s.historyFrom;
    this.shift = s.shift;
    this.next = s.next;
    this.rescanAt = fromNullable(s.rescanAt, Infinity);
    this.planned = s.planned;
    this.plannedIdx = s.plannedIdx;
    this.calPlanned = s.calPlanned;
    this.machineState = stateCode(s.state);
    this.lastReal = stateCode(s.lastReal);
    this.lastSampleT = fromNullable(s.lastSampleT, -Infinity);
    this.staleAt = fromNullable(s.staleAt, Infinity);
    this.startupUntil = fromNullable(s.startupUntil, -Infinity);
    this.product = productAt(s.product);
    this.openStop = stopOf(s.openStop);
    this.unannounced = s.unannounced;
    this.pendingReason = s.pendingReason?.reason ?? null;
    this.pendingCode = s.pendingReason?.code ?? null;
    this.pendingT = s.pendingReason?.t ?? -Infinity;
    this.nextStopId = s.nextStopId;
    this.lastStateT = fromNullable(s.signals.stateT, -Infinity);
    this.lastState = s.signals.state === null ? -1 : stateCode(s.signals.state);
    s.signals.counters.forEach((c, i) => {
      const tr = this.tracks[i];
      tr.last = c.last;
      tr.lastT = fromNullable(c.lastT, -Infinity);
      tr.inc = c.inc;
      tr.incT = fromNullable(c.incT, -Infinity);
    });
    this.lastReasonT = fromNullable(s.signals.reasonT, -Infinity);
    this.lastReasonKey = s.signals.reasonKey;
    this.lastProductT = fromNullable(s.signals.productT, -Infinity);
    this.lastProductKey = s.signals.productKey;
    this.segStart = s.open.start;
    this.segState = stateCode(s.open.state);
    this.segFlags = s.open.flags;
    this.segProduct = productAt(s.open.product);
    this.segStop = stopOf(s.open.stop);
    this.segFirstCountT = s.open.firstCountT;
    this.segBucketEnd = s.open.bucketEnd;
    this.segTotal = s.open.total;
    this.segGood = s.open.good;
    this.segReject = s.open.reject;
    this.segments = s.segments.map(([start, end, state, flags, product, stop, firstCountT, total, good, reject]): Segment => ({
      start, end, state: state as StateCode, flags, product: productAt(product), stop: stopOf(stop), firstCountT, total, good, reject,
    }));
    this.segHead = 0;
    this.stops = stops;
    this.stopHead = 0;
    this.diag = { ...s.diagnostics, rejected: { ...s.diagnostics.rejected } };
    this.refreshBoundary();
  }

  /** After a configuration change: the current shift's planned stops from the new calendar. */
  private rereadCalendar(): void {
    if (this.shift !== null) {
      this.planned = mergeIntervals(plannedStopsIn(this.calendar, this.shift));
      this.plannedIdx = 0;
      this.updatePlanned(this.now);
    } else {
      this.locate(this.now);
    }
    this.recontext(this.now);
    this.refreshBoundary();
  }
}
