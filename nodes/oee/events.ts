/**
 * What goes into the engine (timestamped input events), what a sample gets back (a result, never
 * an exception), and what comes out as it happens (notices for the timeline, the ERP and the shift
 * record).
 */
import type { Shift } from './calendar';
import type { CounterName } from './counters';
import type { Figures, StopView } from './figures';
import type { MachineState } from './states';

/** Every event carries `t`: source time, whole ms since 1970. */
export type InputEvent =
  /** A state value: through `stateMap`, or a state name when there is none. */
  | { readonly type: 'state'; readonly t: number; readonly value: string | number }
  /** A run signal: true/1 running, false/0 stopped (idle). */
  | { readonly type: 'run'; readonly t: number; readonly value: boolean | number }
  /** A counter reading (absolute), or parts since the last sample with `increment: true`. */
  | { readonly type: 'count'; readonly t: number; readonly counter: CounterName; readonly value: number; readonly increment?: boolean }
  /** A PLC reason code. */
  | { readonly type: 'reason'; readonly t: number; readonly code: string | number }
  /** A product or order change; idealCycleTimeMs overrides the configured one (e.g. from the order). */
  | { readonly type: 'product'; readonly t: number; readonly product: string; readonly order?: string; readonly idealCycleTimeMs?: number }
  /** An operator names (or, with null, clears) the reason of a stop; t is when, for the record. */
  | { readonly type: 'assign'; readonly t: number; readonly stopId: number; readonly reason: string | null }
  /** The machine link is alive though nothing changed (e.g. an OPC UA keep-alive). */
  | { readonly type: 'heartbeat'; readonly t: number }
  /** The adapter's clock: moves engine time on (closing shifts) without saying the machine is alive. */
  | { readonly type: 'tick'; readonly t: number };

export type ErrorCode =
  | 'bad-timestamp'
  | 'timestamp-out-of-range'
  | 'out-of-order'
  | 'not-a-number'
  | 'not-an-integer'
  | 'negative-count'
  | 'counter-out-of-range'
  | 'counter-not-in-basis'
  | 'unknown-state'
  | 'bad-run-signal'
  | 'unknown-reason-code'
  | 'unknown-product'
  | 'bad-ideal-cycle-time'
  | 'unknown-stop'
  | 'unknown-reason'
  | 'unknown-event';

export interface SampleError {
  readonly code: ErrorCode;
  /** The input at fault: "state", "run", "total", "good", "reject", "reason", "product", "assign", "heartbeat", "tick" or "event". */
  readonly input: string;
  /** The sample's timestamp, when it had a usable one. */
  readonly t: number | null;
  /** Names the input, the value and why it was ignored. */
  readonly message: string;
}

/** duplicate: an exact repeat, ignored. late: older than engine time (within tolerance), applied at it.
 * baseline: first reading of an absolute counter. wrap / reset: how a counter decrease was read. */
export type AcceptNote = 'duplicate' | 'late' | 'baseline' | 'wrap' | 'reset';

export interface Accepted {
  readonly ok: true;
  readonly note: AcceptNote | null;
}

export interface Rejected {
  readonly ok: false;
  readonly error: SampleError;
}

export type ApplyResult = Accepted | Rejected;

// Shared results: accepting a sample allocates nothing.
export const ACCEPTED: Accepted = Object.freeze({ ok: true, note: null });
export const DUPLICATE: Accepted = Object.freeze({ ok: true, note: 'duplicate' });
export const LATE: Accepted = Object.freeze({ ok: true, note: 'late' });
export const BASELINE: Accepted = Object.freeze({ ok: true, note: 'baseline' });
export const WRAP: Accepted = Object.freeze({ ok: true, note: 'wrap' });
export const RESET: Accepted = Object.freeze({ ok: true, note: 'reset' });

export type Notice =
  | { readonly kind: 'state'; readonly t: number; readonly from: MachineState; readonly to: MachineState }
  | { readonly kind: 'stop-start' | 'stop-end' | 'stop-reason'; readonly t: number; readonly stop: StopView }
  | { readonly kind: 'shift-start'; readonly t: number; readonly shift: Shift }
  /** The shift's final record: every figure, downtime by reason and the stops. */
  | { readonly kind: 'shift-end'; readonly t: number; readonly shift: Shift; readonly figures: Figures };

export type NoticeSink = (notice: Notice) => void;
