/**
 * The engine's persisted state: plain JSON (no Infinity, no Maps), checked field by field on the
 * way back in, because it comes from a file that may be damaged or from an older version.
 * Infinite times are stored as null.
 */
import type { Interval, Shift } from './calendar';
import type { EngineConfig } from './config';
import type { ErrorCode } from './events';
import type { MachineState } from './states';
import { STATE_NAMES } from './states';

export const SNAPSHOT_FORMAT = 'factoryhub-oee-engine';
export const SNAPSHOT_VERSION = 1;

/** [start, end, state, flags, product index, stop id, firstCountT, total, good, reject] */
export type SegmentTuple = [number, number, number, number, number | null, number | null, number, number, number, number];

export interface ProductJson {
  readonly product: string;
  readonly order: string | null;
  readonly idealCycleTimeMs: number;
  readonly since: number;
}

export interface StopJson {
  readonly id: number;
  readonly shiftId: string;
  readonly start: number;
  readonly end: number;
  readonly state: MachineState;
  readonly reason: string | null;
  readonly reasonSource: 'plc' | 'operator' | null;
  readonly reasonCode: string | null;
  readonly assignedAt: number | null;
}

export interface CounterJson {
  readonly last: number;
  readonly lastT: number | null;
  readonly inc: number;
  readonly incT: number | null;
}

export interface EngineSnapshot {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly version: typeof SNAPSHOT_VERSION;
  readonly config: EngineConfig;
  readonly startT: number;
  readonly now: number;
  readonly historyFrom: number;
  readonly shift: Shift | null;
  readonly next: Shift | null;
  readonly rescanAt: number | null;
  readonly planned: readonly Interval[];
  readonly plannedIdx: number;
  readonly calPlanned: boolean;
  readonly state: MachineState;
  readonly lastReal: MachineState;
  readonly lastSampleT: number | null;
  readonly staleAt: number | null;
  readonly startupUntil: number | null;
  readonly product: number | null;
  readonly openStop: number | null;
  readonly unannounced: boolean;
  readonly pendingReason: { readonly reason: string; readonly code: string | null; readonly t: number } | null;
  readonly nextStopId: number;
  readonly signals: {
    readonly stateT: number | null;
    readonly state: MachineState | null;
    readonly counters: readonly CounterJson[];
    readonly reasonT: number | null;
    readonly reasonKey: string | null;
    readonly productT: number | null;
    readonly productKey: string | null;
  };
  readonly open: {
    readonly start: number;
    readonly state: MachineState;
    readonly flags: number;
    readonly product: number | null;
    readonly stop: number | null;
    readonly firstCountT: number;
    readonly bucketEnd: number;
    readonly total: number;
    readonly good: number;
    readonly reject: number;
  };
  readonly products: readonly ProductJson[];
  readonly segments: readonly SegmentTuple[];
  readonly stops: readonly StopJson[];
  readonly diagnostics: {
    readonly accepted: number;
    readonly duplicates: number;
    readonly late: number;
    readonly wraps: number;
    readonly resets: number;
    readonly rejected: Partial<Record<ErrorCode, number>>;
  };
}

export class SnapshotError extends Error {
  constructor(message: string) {
    super(`OEE engine state cannot be restored: ${message}`);
    this.name = 'SnapshotError';
  }
}

export const toNullable = (t: number): number | null => (Number.isFinite(t) ? t : null);
export const fromNullable = (t: number | null, missing: number): number => (t === null ? missing : t);

type Check = (v: unknown, path: string) => void;

const fail = (path: string, what: string, v: unknown): never => {
  throw new SnapshotError(`${path} should be ${what}, is ${JSON.stringify(v) ?? typeof v}`);
};
const int: Check = (v, p) => {
  if (!(typeof v === 'number' && Number.isSafeInteger(v))) fail(p, 'a whole number', v);
};
const num: Check = (v, p) => {
  if (!(typeof v === 'number' && Number.isFinite(v))) fail(p, 'a number', v);
};
const str: Check = (v, p) => {
  if (typeof v !== 'string') fail(p, 'text', v);
};
const bool: Check = (v, p) => {
  if (typeof v !== 'boolean') fail(p, 'true or false', v);
};
const state: Check = (v, p) => {
  if (!STATE_NAMES.includes(v as MachineState)) fail(p, `a state (${STATE_NAMES.join(', ')})`, v);
};
const nullable = (c: Check): Check => (v, p) => {
  if (v !== null) c(v, p);
};
const obj = (shape: Record<string, Check>): Check => (v, p) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(p, 'an object', v);
  const o = v as Record<string, unknown>;
  for (const [k, c] of Object.entries(shape)) c(o[k], `${p}.${k}`);
};
const arr = (c: Check): Check => (v, p) => {
  if (!Array.isArray(v)) fail(p, 'an array', v);
  (v as unknown[]).forEach((x, i) => c(x, `${p}[${i}]`));
};
const tuple = (cs: readonly Check[]): Check => (v, p) => {
  if (!Array.isArray(v) || v.length !== cs.length) fail(p, `an array of ${cs.length}`, v);
  cs.forEach((c, i) => c((v as unknown[])[i], `${p}[${i}]`));
};
const oneOf = (values: readonly unknown[]): Check => (v, p) => {
  if (!values.includes(v)) fail(p, `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, v);
};
const any: Check = () => undefined;

const shiftShape = obj({ id: str, name: str, start: int, end: int });
const counts = obj({ accepted: int, duplicates: int, late: int, wraps: int, resets: int, rejected: obj({}) });

const SNAPSHOT: Check = obj({
  format: oneOf([SNAPSHOT_FORMAT]),
  version: oneOf([SNAPSHOT_VERSION]),
  config: obj({ calendar: any }),
  startT: int,
  now: int,
  historyFrom: int,
  shift: nullable(shiftShape),
  next: nullable(shiftShape),
  rescanAt: nullable(int),
  planned: arr(obj({ start: int, end: int })),
  plannedIdx: int,
  calPlanned: bool,
  state,
  lastReal: state,
  lastSampleT: nullable(int),
  staleAt: nullable(int),
  startupUntil: nullable(int),
  product: nullable(int),
  openStop: nullable(int),
  unannounced: bool,
  pendingReason: nullable(obj({ reason: str, code: nullable(str), t: int })),
  nextStopId: int,
  signals: obj({
    stateT: nullable(int),
    state: nullable(state),
    counters: tuple([0, 1, 2].map(() => obj({ last: int, lastT: nullable(int), inc: int, incT: nullable(int) }))),
    reasonT: nullable(int),
    reasonKey: nullable(str),
    productT: nullable(int),
    productKey: nullable(str),
  }),
  open: obj({ start: int, state, flags: int, product: nullable(int), stop: nullable(int), firstCountT: int, bucketEnd: int, total: int, good: int, reject: int }),
  products: arr(obj({ product: str, order: nullable(str), idealCycleTimeMs: num, since: int })),
  segments: arr(tuple([int, int, oneOf([0, 1, 2, 3, 4, 5]), int, nullable(int), nullable(int), int, int, int, int])),
  stops: arr(obj({
    id: int,
    shiftId: str,
    start: int,
    end: int,
    state,
    reason: nullable(str),
    reasonSource: oneOf(['plc', 'operator', null]),
    reasonCode: nullable(str),
    assignedAt: nullable(int),
  })),
  diagnostics: counts,
});

/** Shape and cross-references of a snapshot; throws SnapshotError naming the first bad field. */
export function checkSnapshot(json: unknown): EngineSnapshot {
  SNAPSHOT(json, 'state');
  const s = json as EngineSnapshot;
  const ids = new Set(s.stops.map((x) => x.id));
  const product = (i: number | null, p: string): void => {
    if (i !== null && (i < 0 || i >= s.products.length)) fail(p, `a product index below ${s.products.length}`, i);
  };
  const stop = (id: number | null, p: string): void => {
    if (id !== null && !ids.has(id)) fail(p, 'the id of a saved stop', id);
  };
  product(s.product, 'state.product');
  product(s.open.product, 'state.open.product');
  stop(s.openStop, 'state.openStop');
  stop(s.open.stop, 'state.open.stop');
  s.segments.forEach((seg, i) => {
    product(seg[4], `state.segments[${i}][4]`);
    stop(seg[5], `state.segments[${i}][5]`);
  });
  for (const [k, v] of Object.entries(s.diagnostics.rejected)) int(v, `state.diagnostics.rejected.${k}`);
  return s;
}
