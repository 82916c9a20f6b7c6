/**
 * fh-oee's output messages as KPI records. Pure. Shift-end (output 3) gives a shift record; stop-start,
 * stop-end and stop-reason (output 2) give the stop's row and, when it names or clears a reason, an entry
 * of the reason history. Other events (state, shift-start) are not kept: `null`.
 */
import type { ShiftEndPayload, StopEvent } from '../oee/output';
import type { KpiRecord, ReasonChange, ShiftRecord, StopRecord } from './records';
import { STOP_KINDS, hashKey, placeOf, shiftDay, stopKey } from './records';

export class RecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordError';
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const num = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RecordError(`${what} must be a number, not ${JSON.stringify(v) ?? String(v)}`);
  return v;
};
const numOrNull = (v: unknown, what: string): number | null => (v === null || v === undefined ? null : num(v, what));
const round = (v: number | null): number | null => (v === null ? null : Math.round(v));
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Records of one fh-oee message; `by` is who acted (msg.user), when known. */
export function recordsOfOee(payload: unknown, timeZone: string, by: string | null = null): KpiRecord[] | null {
  if (!isObj(payload)) throw new RecordError(`msg.payload must be an fh-oee event or shift-end object, not ${payload === null ? 'null' : typeof payload}`);
  const event = payload.event;
  if (event === 'shift-end') return [shiftRecord(payload as unknown as ShiftEndPayload, timeZone)];
  if (event === 'stop-start' || event === 'stop-end' || event === 'stop-reason') return stopRecords(payload as unknown as StopEvent, timeZone, by);
  if (event === 'state' || event === 'shift-start') return null;
  throw new RecordError(`msg.payload.event ${JSON.stringify(event) ?? String(event)} is not an fh-oee event (shift-end, stop-start, stop-end, stop-reason)`);
}

function machineOf(p: { machine?: unknown }): string {
  if (typeof p.machine !== 'string' || p.machine === '') throw new RecordError('msg.payload.machine must be the machine name (a non-empty string)');
  return p.machine;
}

export function shiftRecord(p: ShiftEndPayload, timeZone: string): ShiftRecord {
  const machine = machineOf(p);
  const shift = p.shift as unknown;
  if (!isObj(shift) || typeof shift.id !== 'string' || !isTime(shift.start) || !isTime(shift.end)) throw new RecordError(`shift-end of ${machine}: payload.shift must be {id, name, start, end}`);
  if (!isObj(p.times) || !isObj(p.counts) || !isObj(p.losses)) throw new RecordError(`shift-end of ${machine}: payload.times, counts and losses must be objects`);
  const tm = p.times;
  const c = p.counts;
  const l = p.losses;
  const f = (k: keyof typeof tm): number => num(tm[k], `shift-end of ${machine}: times.${k}`);
  const products: readonly Record<string, unknown>[] = Array.isArray(p.products) ? (p.products as unknown[]).filter(isObj) : [];
  return {
    kind: 'shift',
    key: typeof p.key === 'string' && p.key !== '' ? p.key : hashKey('oee', machine, shift.id),
    ...placeOf(machine),
    ...shiftDay(shift.id, shift.start, timeZone),
    shiftId: shift.id,
    shiftName: typeof shift.name === 'string' ? shift.name : shift.id,
    start: shift.start,
    end: shift.end,
    calendarMs: f('calendarMs'),
    plannedStopMs: f('plannedStopMs'),
    plannedProductionMs: f('plannedProductionMs'),
    runMs: f('runMs'),
    runningMs: f('runningMs'),
    downtimeMs: f('downtimeMs'),
    smallStopMs: f('smallStopMs'),
    changeoverMs: f('changeoverMs'),
    noDataMs: f('noDataMs'),
    netRunMs: round(numOrNull(tm.netRunMs, 'times.netRunMs')),
    fullyProductiveMs: round(numOrNull(tm.fullyProductiveMs, 'times.fullyProductiveMs')),
    total: num(c.total, 'counts.total'),
    good: num(c.good, 'counts.good'),
    reject: num(c.reject, 'counts.reject'),
    startupReject: num(c.startupReject, 'counts.startupReject'),
    availability: numOrNull(p.availability, 'availability'),
    performance: numOrNull(p.performance, 'performance'),
    quality: numOrNull(p.quality, 'quality'),
    oee: numOrNull(p.oee, 'oee'),
    teep: numOrNull(p.teep, 'teep'),
    unplannedStops: l.unplannedStops?.stops ?? 0,
    smallStops: l.smallStops?.stops ?? 0,
    changeovers: l.plannedStops?.stops ?? 0,
    slowCyclesMs: round(numOrNull(l.slowCycles?.ms, 'losses.slowCycles.ms')),
    productionRejectMs: round(numOrNull(l.productionRejects?.ms, 'losses.productionRejects.ms')),
    startupRejectMs: round(numOrNull(l.startupRejects?.ms, 'losses.startupRejects.ms')),
    products: products.map((r) => ({
      product: text(r.product),
      order: text(r.order),
      idealCycleTimeMs: numOrNull(r.idealCycleTimeMs, 'products[].idealCycleTimeMs'),
      total: num(r.total, 'products[].total'),
      good: num(r.good, 'products[].good'),
      reject: num(r.reject, 'products[].reject'),
      startupReject: num(r.startupReject ?? 0, 'products[].startupReject'),
    })),
  };
}

export function stopRecords(p: StopEvent, timeZone: string, by: string | null): KpiRecord[] {
  const machine = machineOf(p);
  if (!Number.isSafeInteger(p.stopId) || !isTime(p.start) || !isTime(p.t)) throw new RecordError(`${p.event} of ${machine}: payload.stopId, start and t must be whole numbers`);
  if (p.end !== null && !isTime(p.end)) throw new RecordError(`${p.event} of ${machine}: payload.end must be a time in ms or null`);
  if (!STOP_KINDS.includes(p.kind)) throw new RecordError(`${p.event} of ${machine}: payload.kind ${JSON.stringify(p.kind)} is not one of ${STOP_KINDS.join(', ')}`);
  if (typeof p.shiftId !== 'string') throw new RecordError(`${p.event} of ${machine}: payload.shiftId must be the shift id`);
  const key = stopKey(machine, p.stopId, p.start);
  const reason = { id: p.reason?.id ?? null, category: p.reason?.category ?? null, name: p.reason?.name ?? null };
  const named = p.event === 'stop-reason' ? by : null;
  const stop: StopRecord = {
    kind: 'stop',
    key,
    ...placeOf(machine),
    ...shiftDay(p.shiftId, p.start, timeZone),
    stopId: p.stopId,
    shiftId: p.shiftId,
    start: p.start,
    end: p.end,
    durationMs: num(p.durationMs, 'durationMs'),
    state: String(p.state),
    stopKind: p.kind,
    small: p.small === true,
    reason,
    reasonSource: p.reasonSource ?? null,
    reasonCode: p.reasonCode ?? null,
    assignedAt: isTime(p.assignedAt) ? p.assignedAt : null,
    by: named,
    t: p.t,
  };
  const out: KpiRecord[] = [stop];
  // A reason named (or, by an operator, cleared): one history entry per (time, reason), so a replay adds none.
  if (reason.id !== null || p.event === 'stop-reason') {
    const at = stop.assignedAt ?? p.t;
    const change: ReasonChange = { kind: 'reason-change', key: hashKey('why', key, at, reason.id), stopKey: key, machine, at, reason, source: stop.reasonSource, by: named };
    out.push(change);
  }
  return out;
}
