/** fh-oee messages built by hand (so that figures can be checked by hand), and small test helpers. */
import type { ShiftEndPayload, StopEvent } from '../../nodes/oee/output';
import { shiftKey } from '../../nodes/oee/output';
import type { KpiStore } from '../../nodes/kpi/store';

export const MIN = 60_000;
export const HOUR = 3_600_000;
export const BERLIN = 'Europe/Berlin';

export interface ShiftFigures {
  /** Planned production time, run time (incl. small stops), net run time, parts. */
  readonly ppt: number;
  readonly run: number;
  readonly net: number | null;
  readonly total: number;
  readonly good: number;
  readonly small?: number;
  readonly changeover?: number;
  readonly noData?: number;
  readonly startupReject?: number;
}

/** A shift-end payload as fh-oee's output 3 sends it (one product, ideal cycle time net / total). */
export function shiftEnd(machine: string, shift: { id: string; name?: string; start: number; end: number }, f: ShiftFigures): ShiftEndPayload {
  const small = f.small ?? 0;
  const changeover = f.changeover ?? 0;
  const noData = f.noData ?? 0;
  const downtime = f.ppt - f.run - changeover - noData;
  const ict = f.net === null || f.total === 0 ? null : f.net / f.total;
  const fp = ict === null ? null : ict * f.good;
  const reject = f.total - f.good;
  const startupReject = f.startupReject ?? 0;
  const calendar = shift.end - shift.start;
  const a = f.ppt > 0 ? f.run / f.ppt : null;
  const p = f.net === null || f.run === 0 ? null : f.net / f.run;
  const q = f.total > 0 ? f.good / f.total : null;
  const oee = a !== null && p !== null && q !== null ? a * p * q : null;
  const payload = {
    event: 'shift-end',
    machine,
    t: shift.end,
    key: shiftKey(machine, shift.id),
    from: shift.start,
    to: shift.end,
    knownUntil: shift.end,
    complete: true,
    shift: { id: shift.id, name: shift.name ?? shift.id.slice(11), start: shift.start, end: shift.end },
    availability: a,
    performance: p,
    quality: q,
    oee,
    oeeFromGoodCount: fp === null || f.ppt === 0 ? null : fp / f.ppt,
    teep: oee === null ? null : (oee * f.ppt) / calendar,
    utilization: f.ppt / calendar,
    times: {
      calendarMs: calendar, unscheduledMs: 0, shiftMs: calendar, calendarPlannedMs: calendar - f.ppt, machinePlannedMs: 0, plannedStopMs: calendar - f.ppt,
      plannedProductionMs: f.ppt, runMs: f.run, runningMs: f.run - small, downtimeMs: downtime, smallStopMs: small, changeoverMs: changeover, noDataMs: noData,
      netRunMs: f.net, fullyProductiveMs: fp, runningInPlannedStopMs: 0,
    },
    counts: { total: f.total, good: f.good, reject, startupReject, productionReject: reject - startupReject, unscheduledTotal: 0, unscheduledGood: 0 },
    products: [{ product: 'A', order: null, idealCycleTimeMs: ict, total: f.total, good: f.good, reject, startupReject, idealMs: f.net }],
    losses: {
      unplannedStops: { ms: downtime + noData, stops: 1, noDataMs: noData },
      plannedStops: { ms: changeover, stops: changeover > 0 ? 1 : 0 },
      smallStops: { ms: small, stops: small > 0 ? 1 : 0 },
      slowCycles: { ms: f.net === null ? null : f.run - small - f.net },
      productionRejects: { count: reject - startupReject, ms: ict === null ? null : ict * (reject - startupReject) },
      startupRejects: { count: startupReject, ms: ict === null ? null : ict * startupReject },
    },
    downtimeByReason: [],
    stops: [],
    notes: [],
  };
  return payload as unknown as ShiftEndPayload;
}

/** A stop event as fh-oee's output 2 sends it. */
export function stopEvent(event: StopEvent['event'], machine: string, s: { id: number; shiftId: string; start: number; end: number | null; t?: number; kind?: StopEvent['kind']; reason?: { id: string; category: string; name: string } | null; source?: 'plc' | 'operator'; assignedAt?: number }): StopEvent {
  const t = s.t ?? s.end ?? s.start;
  const reason = s.reason ?? null;
  return {
    event, machine, t, stopId: s.id, shiftId: s.shiftId, start: s.start, end: s.end, durationMs: (s.end ?? t) - s.start,
    state: 'down', kind: s.kind ?? 'downtime', small: s.kind === 'small-stop', reason, reasonSource: reason === null ? null : (s.source ?? 'plc'),
    reasonCode: null, assignedAt: reason === null && event !== 'stop-reason' ? null : (s.assignedAt ?? t),
  };
}

export const JAM = { id: 'jam', category: 'Mechanical', name: 'Jam' };
export const MOTOR = { id: 'motor', category: 'Mechanical', name: 'Motor overload' };
export const MATERIAL = { id: 'material', category: 'Logistics', name: 'Low material' };

export async function count(store: KpiStore, table: string): Promise<number> {
  const rows = await store.all<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
  return Number(rows[0].n);
}

export function near(actual: unknown, expected: number, digits = 12): void {
  if (typeof actual !== 'number' || Math.abs(actual - expected) > Math.abs(expected) * 10 ** -digits + 1e-15) throw new Error(`${String(actual)} is not ${expected}`);
}
