/**
 * Simulated KPI history of the demo line: weeks of fh-oee messages (stop-end events of output 2 and
 * shift-end records of output 3) for the four machines of flows/demo-line.json, on its calendar (Early
 * 06-14, Late 14-22, Night 22-06, a 30 min break each, every day) in Europe/Berlin. Pure and
 * deterministic: the same seed, weeks and last day give the same messages, to the last digit.
 *
 * The line gets better week by week (fewer and shorter breakdowns: the story of a downtime cut an analyst
 * wants to see), each machine has its own weak spot, and every shift's times and counts add up as
 * fh-oee's would: downtime = Σ downtime stops, run = planned production - downtime - changeover,
 * net run = total × ideal cycle time.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS, formatDay, fromWall } from '../nodes/oee/time-zone';
import { Random } from './random';

export interface HistoryOptions {
  readonly seed: number;
  readonly weeks: number;
  /** Local day number of the first day not simulated (the history ends the night before it). */
  readonly untilDay: number;
  readonly timeZone?: string;
}

interface SimReason {
  readonly id: string;
  readonly category: string;
  readonly name: string;
  /** PLC fault code (filler and capper name their faults); none: the operator names it. */
  readonly code?: string;
}

const REASONS: readonly SimReason[] = [
  { id: 'jam', category: 'Mechanical', name: 'Jam', code: '101' },
  { id: 'motor', category: 'Electrical', name: 'Motor overload', code: '102' },
  { id: 'material', category: 'Logistics', name: 'Low material', code: '103' },
  { id: 'door', category: 'Safety', name: 'Door open', code: '104' },
  { id: 'cleaning', category: 'Operations', name: 'Unplanned cleaning' },
  { id: 'setup', category: 'Operations', name: 'Adjustment' },
  { id: 'waiting', category: 'Logistics', name: 'Waiting for upstream' },
  { id: 'quality', category: 'Quality', name: 'Quality check' },
];

interface SimMachine {
  readonly name: string;
  /** Ideal cycle time per product, s (as the machine's fh-oee node has it). */
  readonly products: readonly { readonly name: string; readonly ict: number }[];
  /** Weight of each reason (REASONS order): where the machine's downtime comes from. */
  readonly weights: readonly number[];
  readonly plc: boolean;
  /** Breakdowns per shift in the first week. */
  readonly stops: number;
}

export const DEMO_MACHINES: readonly SimMachine[] = [
  { name: 'demo/packaging/line1/filler', products: [{ name: 'WATER 0.5L', ict: 0.55 }, { name: 'JUICE 1.0L', ict: 0.69 }, { name: 'ICE TEA 0.5L', ict: 0.59 }], weights: [6, 2, 3, 1, 1, 1, 1, 1], plc: true, stops: 7 },
  { name: 'demo/packaging/line1/capper', products: [{ name: 'WATER 0.5L', ict: 0.55 }, { name: 'JUICE 1.0L', ict: 0.64 }, { name: 'ICE TEA 0.5L', ict: 0.57 }], weights: [3, 4, 1, 1, 1, 1, 2, 1], plc: true, stops: 5 },
  { name: 'demo/packaging/line1/labeller', products: [{ name: 'WATER 0.5L', ict: 0.6 }, { name: 'JUICE 1.0L', ict: 0.74 }, { name: 'ICE TEA 0.5L', ict: 0.63 }], weights: [2, 1, 2, 0, 1, 4, 2, 3], plc: false, stops: 6 },
  { name: 'demo/packaging/line1/casepacker', products: [{ name: 'CASE WATER 0.5L', ict: 13.2 }, { name: 'CASE JUICE 1.0L', ict: 15.9 }, { name: 'CASE TEA 0.5L', ict: 14.4 }], weights: [3, 1, 4, 1, 2, 1, 3, 0], plc: false, stops: 4 },
];

const SHIFTS = [
  { name: 'Early', start: 6, hours: 8 },
  { name: 'Late', start: 14, hours: 8 },
  { name: 'Night', start: 22, hours: 8 },
] as const;
const BREAK_MS = 30 * MINUTE_MS;

type Kind = 'downtime' | 'small-stop' | 'changeover';
interface Stop {
  readonly start: number;
  readonly end: number;
  readonly kind: Kind;
  readonly reason: SimReason | null;
}

/** Stops of one shift, one after the other from its start, none in its break (4 h after its start). */
function shiftStops(rnd: Random, m: SimMachine, start: number, end: number, week: number, changeover: boolean): Stop[] {
  // Each week 8 % fewer breakdowns, each 5 % shorter: the improvement the demo's trend shows.
  const better = 0.92 ** week;
  const breakdowns = Math.round(m.stops * better * rnd.uniform(0.5, 1.5));
  const smalls = Math.round(rnd.uniform(5, 20));
  const plan: { kind: Kind; ms: number }[] = [];
  if (changeover) plan.push({ kind: 'changeover', ms: Math.round(rnd.uniform(15, 30) * MINUTE_MS) });
  for (let i = 0; i < breakdowns; i++) plan.push({ kind: 'downtime', ms: Math.round(Math.max(1, rnd.exponential(6 * 0.95 ** week)) * MINUTE_MS) });
  for (let i = 0; i < smalls; i++) plan.push({ kind: 'small-stop', ms: Math.round(rnd.uniform(5, 29) * 1000) });
  // Shuffled (changeover first, as a product change opens the shift), then laid out with gaps.
  for (let i = plan.length - 1; i > (changeover ? 1 : 0); i--) {
    const j = (changeover ? 1 : 0) + Math.floor(rnd.next() * (i + 1 - (changeover ? 1 : 0)));
    [plan[i], plan[j]] = [plan[j], plan[i]];
  }
  const busy = plan.reduce((s, p) => s + p.ms, 0);
  const free = Math.max(0, end - start - BREAK_MS - busy);
  const gap = Math.floor(free / (plan.length + 1));
  const pause = { from: start + 4 * HOUR_MS, to: start + 4 * HOUR_MS + BREAK_MS };
  const out: Stop[] = [];
  let t = start + (changeover ? 0 : Math.floor(gap * rnd.next()));
  for (const p of plan) {
    if (t < pause.to && t + p.ms > pause.from) t = pause.to;
    if (t + p.ms > end) break;
    const reason = p.kind === 'downtime' ? REASONS[rnd.weightedIndex(m.weights)] : null;
    out.push({ start: t, end: t + p.ms, kind: p.kind, reason });
    t += p.ms + Math.floor(gap * rnd.uniform(0.5, 1.5));
  }
  return out;
}

function stopEnd(m: SimMachine, id: number, shiftId: string, s: Stop): Record<string, unknown> {
  const r = s.reason;
  return {
    event: 'stop-end', machine: m.name, t: s.end, stopId: id, shiftId, start: s.start, end: s.end, durationMs: s.end - s.start,
    state: s.kind === 'changeover' ? 'changeover' : 'down', kind: s.kind, small: s.kind === 'small-stop',
    reason: r === null ? null : { id: r.id, category: r.category, name: r.name },
    reasonSource: r === null ? null : m.plc && r.code !== undefined ? 'plc' : 'operator',
    reasonCode: r !== null && m.plc ? (r.code ?? null) : null,
    assignedAt: r === null ? null : s.end,
  };
}

function shiftEnd(m: SimMachine, rnd: Random, shift: { id: string; name: string; start: number; end: number }, stops: readonly Stop[], product: { name: string; ict: number }): Record<string, unknown> {
  const sum = (k: Kind): number => stops.filter((s) => s.kind === k).reduce((a, s) => a + s.end - s.start, 0);
  const count = (k: Kind): number => stops.filter((s) => s.kind === k).length;
  const calendar = shift.end - shift.start;
  const ppt = calendar - BREAK_MS;
  const downtime = sum('downtime');
  const changeover = sum('changeover');
  const small = sum('small-stop');
  const run = ppt - downtime - changeover;
  const ictMs = product.ict * 1000;
  // Speed losses: the machine runs at 88-97 % of its ideal rate while running.
  const total = Math.floor(((run - small) * rnd.uniform(0.88, 0.97)) / ictMs);
  const startupReject = changeover > 0 ? Math.round(rnd.uniform(5, 40) * (0.55 / product.ict)) : 0;
  const reject = Math.min(total, startupReject + Math.round(total * rnd.uniform(0.003, 0.02)));
  const good = total - reject;
  const net = total * ictMs;
  const fp = good * ictMs;
  const a = ppt > 0 ? run / ppt : null;
  const p = run > 0 ? net / run : null;
  const q = total > 0 ? good / total : null;
  const oee = a !== null && p !== null && q !== null ? a * p * q : null;
  return {
    event: 'shift-end', machine: m.name, t: shift.end, from: shift.start, to: shift.end, knownUntil: shift.end, complete: true,
    shift,
    availability: a, performance: p, quality: q, oee, teep: oee === null ? null : (oee * ppt) / calendar, utilization: ppt / calendar,
    times: {
      calendarMs: calendar, plannedStopMs: BREAK_MS, plannedProductionMs: ppt, runMs: run, runningMs: run - small, downtimeMs: downtime,
      smallStopMs: small, changeoverMs: changeover, noDataMs: 0, netRunMs: net, fullyProductiveMs: fp,
    },
    counts: { total, good, reject, startupReject, productionReject: reject - startupReject },
    products: [{ product: product.name, order: null, idealCycleTimeMs: ictMs, total, good, reject, startupReject }],
    losses: {
      unplannedStops: { ms: downtime, stops: count('downtime') },
      plannedStops: { ms: changeover, stops: count('changeover') },
      smallStops: { ms: small, stops: count('small-stop') },
      slowCycles: { ms: run - small - net },
      productionRejects: { count: reject - startupReject, ms: ictMs * (reject - startupReject) },
      startupRejects: { count: startupReject, ms: ictMs * startupReject },
    },
  };
}

/** The messages of the history, in time order per machine (each shift's stops, then its shift-end). */
export function historyMessages(o: HistoryOptions): Record<string, unknown>[] {
  const zone = o.timeZone ?? 'Europe/Berlin';
  const days = o.weeks * 7;
  const first = o.untilDay - days;
  const out: Record<string, unknown>[] = [];
  for (const m of DEMO_MACHINES) {
    const rnd = new Random(o.seed, `history ${m.name}`);
    // Stop ids above the live node's counter, so that a seeded stop never meets a live one.
    let stopId = 1_000_000_000;
    for (let d = first; d < o.untilDay; d++) {
      const date = formatDay(d);
      // One product a day, changed at the start of the early shift.
      const product = m.products[(d - first) % m.products.length];
      for (const s of SHIFTS) {
        const start = fromWall(zone, d * DAY_MS + s.start * HOUR_MS);
        const end = fromWall(zone, d * DAY_MS + (s.start + s.hours) * HOUR_MS);
        const shift = { id: `${date}/${s.name}`, name: s.name, start, end };
        const stops = shiftStops(rnd, m, start, end, Math.floor((d - first) / 7), s.name === 'Early');
        for (const stop of stops) out.push(stopEnd(m, stopId++, shift.id, stop));
        out.push(shiftEnd(m, rnd, shift, stops, product));
      }
    }
  }
  return out;
}
