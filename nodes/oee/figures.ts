/**
 * OEE figures of a window [from, to) from the timeline. Pure.
 *
 * Exactness: times are sums of integer ms and counts sums of integers (exact below 2^53); the only
 * floating-point steps are ideal cycle time x count per product, summed in a fixed order, and the
 * final ratios. Replaying the same events therefore gives the same figures to the last digit.
 * The definitions are in DEFINITIONS.md (the node's help).
 */
import type { Shift } from './calendar';
import type { CountBasis } from './config';
import type { ReasonTree, ReasonView } from './reasons';
import { reasonView } from './reasons';
import type { MachineState, StateCode } from './states';
import * as states from './states';
import type { Segment, Stop } from './timeline';
import * as timeline from './timeline';
import { DAY_MS } from './time-zone';

// Module-local bindings of the constants the per-segment loop reads: loaders that turn ES imports
// into CommonJS getters (tsx, used by the tests and benchmarks) would otherwise call a getter per read.
const { CHANGEOVER, DOWN, IDLE, NO_DATA, PLANNED, RUNNING, isUnplanned, stateName } = states;
const { CAL_PLANNED, IN_SHIFT, STARTUP, firstSegmentEndingAtOrAfter, firstStopStartingAtOrAfter } = timeline;

export type StopKind = 'downtime' | 'small-stop' | 'changeover' | 'planned' | 'no-data';
const KIND_ORDER: readonly StopKind[] = ['downtime', 'small-stop', 'changeover', 'planned', 'no-data'];

export interface StopView {
  readonly id: number;
  readonly shiftId: string;
  readonly start: number;
  /** null while the stop is open. */
  readonly end: number | null;
  /** Whole stop (to the engine time while open). */
  readonly durationMs: number;
  readonly state: MachineState;
  readonly kind: StopKind;
  /** An unplanned stop shorter than the small-stop threshold (provisional while open). */
  readonly small: boolean;
  readonly reason: ReasonView | null;
  readonly reasonSource: 'plc' | 'operator' | null;
  readonly reasonCode: string | null;
  readonly assignedAt: number | null;
}

export interface Times {
  /** Known part of the window: min(to, engine time) - from. */
  readonly calendarMs: number;
  /** Outside every shift. */
  readonly unscheduledMs: number;
  /** Inside shifts. */
  readonly shiftMs: number;
  /** Breaks and manual planned stops of the calendar. */
  readonly calendarPlannedMs: number;
  /** Machine state "planned" outside calendar planned stops. */
  readonly machinePlannedMs: number;
  /** calendarPlannedMs + machinePlannedMs. */
  readonly plannedStopMs: number;
  /** shiftMs - plannedStopMs. */
  readonly plannedProductionMs: number;
  /** plannedProductionMs - downtimeMs - changeoverMs - noDataMs (= runningMs + smallStopMs). */
  readonly runMs: number;
  /** State "running" inside production time. */
  readonly runningMs: number;
  /** Unplanned stops at or over the small-stop threshold. */
  readonly downtimeMs: number;
  /** Unplanned stops under the threshold (part of run time: a performance loss). */
  readonly smallStopMs: number;
  readonly changeoverMs: number;
  readonly noDataMs: number;
  /** Ideal time of all parts, sum of ideal cycle time x total count; null when a product lacks one. */
  readonly netRunMs: number | null;
  /** Ideal time of good parts, sum of ideal cycle time x good count. */
  readonly fullyProductiveMs: number | null;
  /** Informational: state running during calendar planned stops (not production time). */
  readonly runningInPlannedStopMs: number;
}

export interface Counts {
  readonly total: number;
  readonly good: number;
  readonly reject: number;
  readonly startupReject: number;
  readonly productionReject: number;
  /** Parts counted outside every shift: not in the figures. */
  readonly unscheduledTotal: number;
  readonly unscheduledGood: number;
}

export interface ProductFigures {
  readonly product: string | null;
  readonly order: string | null;
  readonly idealCycleTimeMs: number | null;
  readonly total: number;
  readonly good: number;
  readonly reject: number;
  readonly startupReject: number;
  /** idealCycleTimeMs x total. */
  readonly idealMs: number | null;
}

export interface SixBigLosses {
  /** Availability: downtime (unplanned stops at or over the threshold) and no data. */
  readonly unplannedStops: { readonly ms: number; readonly stops: number; readonly noDataMs: number };
  /** Availability: changeovers (planned stops inside production time, as oee.com counts them). */
  readonly plannedStops: { readonly ms: number; readonly stops: number };
  /** Performance: unplanned stops under the threshold. */
  readonly smallStops: { readonly ms: number; readonly stops: number };
  /** Performance: run time - small stops - net run time (negative when performance > 100 %). */
  readonly slowCycles: { readonly ms: number | null };
  /** Quality: rejects outside startup windows, as count and ideal time. */
  readonly productionRejects: { readonly count: number; readonly ms: number | null };
  /** Quality: rejects inside startup windows. */
  readonly startupRejects: { readonly count: number; readonly ms: number | null };
}

export interface ReasonRow {
  readonly kind: StopKind;
  /** null: unassigned. */
  readonly reason: ReasonView | null;
  readonly stops: number;
  readonly durationMs: number;
}

export type NoteCode =
  | 'no-planned-production-time'
  | 'no-run-time'
  | 'no-parts'
  | 'missing-ideal-cycle-time'
  | 'ideal-cycle-time-probably-wrong'
  | 'good-exceeds-total'
  | 'window-partly-unknown'
  | 'window-before-history';

export interface FigureNote {
  readonly code: NoteCode;
  readonly figure: 'availability' | 'performance' | 'quality' | 'oee' | 'window';
  readonly message: string;
}

export interface Figures {
  readonly from: number;
  readonly to: number;
  /** Figures cover [from, min(to, knownUntil)). */
  readonly knownUntil: number;
  /** The whole window is known and retained. */
  readonly complete: boolean;
  readonly shift: Shift | null;
  readonly availability: number | null;
  readonly performance: number | null;
  readonly quality: number | null;
  /** availability x performance x quality. */
  readonly oee: number | null;
  /** fullyProductiveMs / plannedProductionMs: equal to oee for one product (see DEFINITIONS.md). */
  readonly oeeFromGoodCount: number | null;
  readonly teep: number | null;
  readonly utilization: number | null;
  readonly times: Times;
  readonly counts: Counts;
  readonly products: readonly ProductFigures[];
  readonly losses: SixBigLosses;
  readonly downtimeByReason: readonly ReasonRow[];
  readonly stops: readonly StopView[];
  readonly notes: readonly FigureNote[];
}

/** What computeFigures reads; the engine builds it per query. */
export interface TimelineView {
  readonly segments: readonly Segment[];
  readonly segmentHead: number;
  /** The open segment, ending at `now`. */
  readonly open: Segment;
  readonly stops: readonly Stop[];
  readonly stopHead: number;
  readonly now: number;
  /** Earliest time the retained timeline covers. */
  readonly historyFrom: number;
  readonly smallStopMs: number;
  readonly countBasis: CountBasis;
  readonly reasons: ReasonTree;
}

/** Longest a stop can be: one shift, which is at most a day plus a DST hour. */
const MAX_STOP_MS = DAY_MS + 2 * 3_600_000;

export function stopKind(state: StateCode, small: boolean): StopKind {
  if (isUnplanned(state)) return small ? 'small-stop' : 'downtime';
  if (state === CHANGEOVER) return 'changeover';
  if (state === PLANNED) return 'planned';
  return 'no-data';
}

export function isSmallStop(stop: Stop, now: number, smallStopMs: number): boolean {
  return isUnplanned(stop.state) && (stop.end < 0 ? now : stop.end) - stop.start < smallStopMs;
}

export function stopView(stop: Stop, now: number, smallStopMs: number, reasons: ReasonTree): StopView {
  const small = isSmallStop(stop, now, smallStopMs);
  return {
    id: stop.id,
    shiftId: stop.shiftId,
    start: stop.start,
    end: stop.end < 0 ? null : stop.end,
    durationMs: (stop.end < 0 ? now : stop.end) - stop.start,
    state: stateName(stop.state),
    kind: stopKind(stop.state, small),
    small,
    reason: stop.reason === null ? null : reasonView(reasons, stop.reason),
    reasonSource: stop.reasonSource,
    reasonCode: stop.reasonCode,
    assignedAt: stop.assignedAt,
  };
}

interface ProductAcc {
  readonly product: string | null;
  readonly order: string | null;
  readonly ict: number | null;
  total: number;
  good: number;
  reject: number;
  sTotal: number;
  sGood: number;
  sReject: number;
}

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);

export interface FigureOptions {
  /** List the stops (default true); false leaves `stops` empty, e.g. for frequent dashboard updates. */
  readonly stops?: boolean;
}

/** Sums of one window: time per class and parts per product run (a class, so no closure per call). */
class WindowSums {
  unscheduled = 0;
  shift = 0;
  calPlanned = 0;
  machinePlanned = 0;
  running = 0;
  downtime = 0;
  small = 0;
  changeover = 0;
  noData = 0;
  runInPlanned = 0;
  unschedTotal = 0;
  unschedGood = 0;
  readonly products = new Map<string, ProductAcc>();

  constructor(
    private readonly v: TimelineView,
    private readonly from: number,
    private readonly to: number,
    private readonly known: number,
  ) {}

  add(seg: Segment): void {
    const s = seg.start > this.from ? seg.start : this.from;
    const e = seg.end < this.known ? seg.end : this.known;
    if (e > s) {
      const d = e - s;
      if ((seg.flags & IN_SHIFT) === 0) this.unscheduled += d;
      else {
        this.shift += d;
        if ((seg.flags & CAL_PLANNED) !== 0) {
          this.calPlanned += d;
          if (seg.state === RUNNING) this.runInPlanned += d;
        } else if (seg.state === RUNNING) this.running += d;
        else if (seg.state === IDLE || seg.state === DOWN) {
          if (seg.stop !== null && isSmallStop(seg.stop, this.v.now, this.v.smallStopMs)) this.small += d;
          else this.downtime += d;
        } else if (seg.state === CHANGEOVER) this.changeover += d;
        else if (seg.state === PLANNED) this.machinePlanned += d;
        else if (seg.state === NO_DATA) this.noData += d;
      }
    }
    if (seg.firstCountT < this.from || seg.firstCountT >= this.to) return;
    // The third counter from the two of the basis.
    const basis = this.v.countBasis;
    const total = basis === 'good+reject' ? seg.good + seg.reject : seg.total;
    const good = basis === 'total+reject' ? seg.total - seg.reject : seg.good;
    const reject = total - good;
    if ((seg.flags & IN_SHIFT) === 0) {
      this.unschedTotal += total;
      this.unschedGood += good;
      return;
    }
    const p = seg.product;
    const key = p === null ? '' : p.key;
    let acc = this.products.get(key);
    if (acc === undefined) {
      acc = { product: p?.product ?? null, order: p?.order ?? null, ict: p?.idealCycleTimeMs ?? null, total: 0, good: 0, reject: 0, sTotal: 0, sGood: 0, sReject: 0 };
      this.products.set(key, acc);
    }
    acc.total += total;
    acc.good += good;
    acc.reject += reject;
    if ((seg.flags & STARTUP) !== 0) {
      acc.sTotal += total;
      acc.sGood += good;
      acc.sReject += reject;
    }
  }
}

function pushNote(notes: FigureNote[], code: NoteCode, figure: FigureNote['figure'], message: string): void {
  notes.push({ code, figure, message });
}

export function computeFigures(v: TimelineView, from: number, to: number, shift: Shift | null = null, options: FigureOptions = {}): Figures {
  const known = Math.max(from, Math.min(to, v.now));
  const w = new WindowSums(v, from, to, known);
  // Segments ending at `from` may still hold counts placed at `from` (a zero-length segment).
  for (let i = firstSegmentEndingAtOrAfter(v.segments, v.segmentHead, from); i < v.segments.length; i++) {
    const seg = v.segments[i];
    if (seg.start >= to) break;
    w.add(seg);
  }
  if (v.open.start < to) w.add(v.open);
  const { unscheduled, shift: shiftMs, calPlanned, machinePlanned, running, downtime, small, changeover, noData, runInPlanned, unschedTotal, unschedGood, products } = w;

  // Stops touching the window, clipped to it; rows per kind, then reason (null: unassigned).
  const stops: StopView[] = [];
  const rows = KIND_ORDER.map(() => new Map<string | null, { stops: number; durationMs: number }>());
  const stopCount = [0, 0, 0, 0, 0];
  for (let i = firstStopStartingAtOrAfter(v.stops, v.stopHead, from - MAX_STOP_MS); i < v.stops.length; i++) {
    const stop = v.stops[i];
    if (stop.start >= to) break;
    if (stop.end < 0 && stop.start === v.now) continue; // opened this very ms: not a stop yet
    const end = stop.end < 0 ? v.now : stop.end;
    const s = Math.max(stop.start, from);
    const e = Math.min(end, known);
    const instant = stop.start === end && stop.start >= from;
    if (!(e > s || instant)) continue;
    if (options.stops !== false) stops.push(stopView(stop, v.now, v.smallStopMs, v.reasons));
    const kind = KIND_ORDER.indexOf(stopKind(stop.state, isSmallStop(stop, v.now, v.smallStopMs)));
    stopCount[kind]++;
    const byReason = rows[kind];
    let row = byReason.get(stop.reason);
    if (row === undefined) {
      row = { stops: 0, durationMs: 0 };
      byReason.set(stop.reason, row);
    }
    row.stops++;
    row.durationMs += Math.max(0, e - s);
  }
  const downtimeByReason: ReasonRow[] = [];
  rows.forEach((byReason, k) => {
    for (const [reason, r] of byReason) downtimeByReason.push({ kind: KIND_ORDER[k], reason: reason === null ? null : reasonView(v.reasons, reason), stops: r.stops, durationMs: r.durationMs });
  });
  downtimeByReason.sort((a, b) => b.durationMs - a.durationMs || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || compareReason(a.reason?.id ?? null, b.reason?.id ?? null));

  // Counts and ideal times, summed in first-seen product order (fixed, so deterministic).
  let total = 0;
  let good = 0;
  let reject = 0;
  let startupReject = 0;
  let netRun: number | null = 0;
  let fullyProductive: number | null = 0;
  let startupRejectMs: number | null = 0;
  let productionRejectMs: number | null = 0;
  const missingIct: string[] = [];
  const productRows: ProductFigures[] = [];
  for (const a of products.values()) {
    total += a.total;
    good += a.good;
    reject += a.reject;
    startupReject += a.sReject;
    if (a.ict === null) {
      if (a.total !== 0) missingIct.push(a.product ?? '(no product)');
    } else if (netRun !== null && fullyProductive !== null && startupRejectMs !== null && productionRejectMs !== null) {
      netRun += a.ict * a.total;
      fullyProductive += a.ict * a.good;
      startupRejectMs += a.ict * a.sReject;
      productionRejectMs += a.ict * (a.reject - a.sReject);
    }
    productRows.push({
      product: a.product,
      order: a.order,
      idealCycleTimeMs: a.ict,
      total: a.total,
      good: a.good,
      reject: a.reject,
      startupReject: a.sReject,
      idealMs: a.ict === null ? null : a.ict * a.total,
    });
  }
  if (missingIct.length > 0) {
    netRun = null;
    fullyProductive = null;
    startupRejectMs = null;
    productionRejectMs = null;
  }

  const planned = calPlanned + machinePlanned;
  const ppt = shiftMs - planned;
  const run = running + small;
  const calendarMs = known - from;
  const notes: FigureNote[] = [];

  const availability = ratio(run, ppt);
  if (availability === null) pushNote(notes, 'no-planned-production-time', 'availability', 'no planned production time in the window: availability, performance and OEE are undefined');
  let performance: number | null = null;
  if (run <= 0) {
    if (ppt > 0) pushNote(notes, 'no-run-time', 'performance', 'the machine did not run in planned production time: performance is undefined');
  } else if (netRun === null) {
    pushNote(notes, 'missing-ideal-cycle-time', 'performance', `no ideal cycle time for ${missingIct.join(', ')}: performance is undefined`);
  } else {
    performance = netRun / run;
    if (performance > 1) {
      pushNote(notes, 'ideal-cycle-time-probably-wrong', 'performance', `performance ${(performance * 100).toFixed(1)} % is above 100 %: the ideal cycle time is probably too long`);
    }
  }
  const quality = ratio(good, total);
  if (quality === null) pushNote(notes, 'no-parts', 'quality', 'no parts counted: quality is undefined');
  else if (good > total || good < 0) pushNote(notes, 'good-exceeds-total', 'quality', `good count ${good} and total ${total} disagree: check the counter signals`);

  let oee: number | null = null;
  if (availability !== null && performance !== null && quality !== null) oee = availability * performance * quality;
  else if (ppt > 0 && total === 0) oee = 0; // production time with nothing made: nothing was effective
  const oeeFromGoodCount = ppt > 0 && fullyProductive !== null ? fullyProductive / ppt : null;
  const utilization = ratio(ppt, calendarMs);
  const teep = oee !== null && utilization !== null ? oee * utilization : null;

  if (known < to) pushNote(notes, 'window-partly-unknown', 'window', `figures cover the window up to the engine time ${new Date(known).toISOString()}`);
  if (from < v.historyFrom) pushNote(notes, 'window-before-history', 'window', `the timeline is kept from ${new Date(v.historyFrom).toISOString()}; earlier time is counted as unscheduled`);

  return {
    from,
    to,
    knownUntil: known,
    complete: known >= to && from >= v.historyFrom,
    shift,
    availability,
    performance,
    quality,
    oee,
    oeeFromGoodCount,
    teep,
    utilization,
    times: {
      calendarMs,
      unscheduledMs: unscheduled + Math.max(0, Math.min(known, v.historyFrom) - from),
      shiftMs,
      calendarPlannedMs: calPlanned,
      machinePlannedMs: machinePlanned,
      plannedStopMs: planned,
      plannedProductionMs: ppt,
      runMs: run,
      runningMs: running,
      downtimeMs: downtime,
      smallStopMs: small,
      changeoverMs: changeover,
      noDataMs: noData,
      netRunMs: netRun,
      fullyProductiveMs: fullyProductive,
      runningInPlannedStopMs: runInPlanned,
    },
    counts: {
      total,
      good,
      reject,
      startupReject,
      productionReject: reject - startupReject,
      unscheduledTotal: unschedTotal,
      unscheduledGood: unschedGood,
    },
    products: productRows,
    losses: {
      unplannedStops: { ms: downtime + noData, stops: stopCount[0] + stopCount[4], noDataMs: noData },
      plannedStops: { ms: changeover, stops: stopCount[2] },
      smallStops: { ms: small, stops: stopCount[1] },
      slowCycles: { ms: netRun === null ? null : run - small - netRun },
      productionRejects: { count: reject - startupReject, ms: productionRejectMs },
      startupRejects: { count: startupReject, ms: startupRejectMs },
    },
    downtimeByReason,
    stops,
    notes,
  };
}

function compareReason(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
