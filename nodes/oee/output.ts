/**
 * The fh-oee node's three outputs as plain message bodies. Pure (node:crypto for the record key).
 *
 * 1. figures: the current shift's figures (no stop list), with the machine state and the open stop.
 * 2. events: state changes, stop-start / stop-end / stop-reason and shift-start, for the dashboard
 *    timeline and the ERP.
 * 3. shift end: the shift's final record (every figure, downtime by reason, the stops), plus an ERP
 *    `shift-oee` record under msg.record for fh-erp-post.
 */
import { createHash } from 'node:crypto';
import type { Shift } from './calendar';
import type { Notice } from './events';
import type { Figures, StopView } from './figures';
import type { ReasonView } from './reasons';
import type { MachineState } from './states';

export interface OutMessage {
  topic: string;
  payload: unknown;
  [key: string]: unknown;
}

export interface StopEvent {
  readonly event: 'stop-start' | 'stop-end' | 'stop-reason';
  readonly machine: string;
  readonly t: number;
  readonly stopId: number;
  readonly shiftId: string;
  readonly start: number;
  readonly end: number | null;
  readonly durationMs: number;
  readonly state: MachineState;
  readonly kind: StopView['kind'];
  readonly small: boolean;
  readonly reason: ReasonView | null;
  readonly reasonSource: 'plc' | 'operator' | null;
  readonly reasonCode: string | null;
  readonly assignedAt: number | null;
}

export type EventPayload =
  | { readonly event: 'state'; readonly machine: string; readonly t: number; readonly from: MachineState; readonly to: MachineState }
  | StopEvent
  | { readonly event: 'shift-start'; readonly machine: string; readonly t: number; readonly shift: Shift };

/** A stop as the figures output shows the open one. */
export type OpenStop = Omit<StopEvent, 'event' | 'machine' | 't'>;

export type FiguresPayload = Omit<Figures, 'stops'> & {
  readonly machine: string;
  readonly t: number;
  readonly state: MachineState;
  readonly currentStop: OpenStop | null;
};

/** Between shifts (or before the first sample): no figures, only the state. */
export interface IdlePayload {
  readonly machine: string;
  readonly t: number | null;
  readonly state: MachineState;
  readonly currentStop: null;
  readonly shift: null;
  readonly availability: null;
  readonly performance: null;
  readonly quality: null;
  readonly oee: null;
}

export interface ShiftOeeRecord {
  readonly kind: 'shift-oee';
  readonly key: string;
  readonly workCenter: string;
  readonly shift: string;
  readonly start: number;
  readonly end: number;
  readonly oee: { readonly availability: number; readonly performance: number; readonly quality: number; readonly oee: number; readonly goodCount: number; readonly totalCount: number };
}

export type ShiftEndPayload = Figures & { readonly event: 'shift-end'; readonly machine: string; readonly t: number; readonly key: string };

export function openStop(s: StopView): OpenStop {
  return {
    stopId: s.id,
    shiftId: s.shiftId,
    start: s.start,
    end: s.end,
    durationMs: s.durationMs,
    state: s.state,
    kind: s.kind,
    small: s.small,
    reason: s.reason,
    reasonSource: s.reasonSource,
    reasonCode: s.reasonCode,
    assignedAt: s.assignedAt,
  };
}

/** The reconciliation key of a machine's shift: the same on every resend, 36 characters of [a-z0-9-]. */
export function shiftKey(machine: string, shiftId: string): string {
  return `oee-${createHash('sha256').update(`${machine}\n${shiftId}`).digest('hex').slice(0, 32)}`;
}

export function figuresMessage(machine: string, state: MachineState, figures: Figures, t: number, current: StopView | null): OutMessage {
  const { stops: _stops, ...rest } = figures;
  const payload: FiguresPayload = { machine, t, state, currentStop: current === null ? null : openStop(current), ...rest };
  return { topic: `${machine}/oee`, payload };
}

export function idleMessage(machine: string, state: MachineState, t: number | null): OutMessage {
  const payload: IdlePayload = { machine, t, state, currentStop: null, shift: null, availability: null, performance: null, quality: null, oee: null };
  return { topic: `${machine}/oee`, payload };
}

/** Output 2 (events) or 3 (shift end) message of a notice. */
export function noticeMessage(machine: string, n: Notice): { output: 2 | 3; msg: OutMessage } {
  switch (n.kind) {
    case 'state':
      return { output: 2, msg: { topic: `${machine}/state`, payload: { event: 'state', machine, t: n.t, from: n.from, to: n.to } satisfies EventPayload } };
    case 'shift-start':
      return { output: 2, msg: { topic: `${machine}/shift-start`, payload: { event: 'shift-start', machine, t: n.t, shift: n.shift } satisfies EventPayload } };
    case 'shift-end': {
      const key = shiftKey(machine, n.shift.id);
      const payload: ShiftEndPayload = { event: 'shift-end', machine, t: n.t, key, ...n.figures };
      const msg: OutMessage = { topic: `${machine}/shift-end`, payload };
      const f = n.figures;
      if (f.availability !== null && f.performance !== null && f.quality !== null && f.oee !== null) {
        const record: ShiftOeeRecord = {
          kind: 'shift-oee',
          key,
          workCenter: machine,
          shift: n.shift.name,
          start: n.shift.start,
          end: n.shift.end,
          oee: { availability: f.availability, performance: f.performance, quality: f.quality, oee: f.oee, goodCount: f.counts.good, totalCount: f.counts.total },
        };
        msg.record = record;
      }
      return { output: 3, msg };
    }
    default: {
      const payload: StopEvent = { event: n.kind, machine, t: n.t, ...openStop(n.stop) };
      return { output: 2, msg: { topic: `${machine}/${n.kind}`, payload } };
    }
  }
}

/** "72.4 %" or "–". */
export function percent(v: number | null): string {
  return v === null ? '–' : `${(v * 100).toFixed(1)} %`;
}
