/**
 * What the fh-oee node's properties (as the editor stores them: strings, seconds, table rows) mean:
 * the engine configuration, the mapping of tag names to roles, and the node's own timings. Pure; the
 * adapter, the editor's validation endpoint and the tests share it, so there is one set of rules.
 */
import type { CalendarConfig } from './calendar';
import type { CountBasis, EngineConfig } from './config';
import { COUNT_BASES, DEFAULTS, validateConfig } from './config';
import type { CounterConfig, CounterName } from './counters';
import type { ReasonConfig } from './reasons';
import type { InputState, StateMap } from './states';
import { INPUT_STATES } from './states';

/** Roles a tag can have for the node. */
export type Role = 'state' | 'run' | 'total' | 'good' | 'reject' | 'reason' | 'product';
export const ROLES: readonly Role[] = ['state', 'run', 'total', 'good', 'reject', 'reason', 'product'];

/** Topics of the messages that are not tag values. */
export const CONTROL_TOPICS = ['assign-reason', 'tick', 'report'] as const;
export type ControlTopic = (typeof CONTROL_TOPICS)[number];

export type CounterMode = 'abs16' | 'abs32' | 'abs' | 'inc';
export const COUNTER_MODES: readonly CounterMode[] = ['abs16', 'abs32', 'abs', 'inc'];

/** A row of the state mapping table. */
export interface StateRow {
  readonly value: string;
  readonly state: string;
}

/** A row of the products table: ideal cycle time in seconds per part. */
export interface ProductRow {
  readonly name: string;
  readonly ict: string | number;
}

/** A row of the reason tree table; codes as "101, 102, LOW". */
export interface ReasonRow {
  readonly id: string;
  readonly category: string;
  readonly name: string;
  readonly codes?: string;
}

/** The fh-oee node's properties, as stored in the flow. */
export interface OeeNodeProps {
  readonly name?: string;
  /** ISA-95 path of the machine, e.g. "plant/line1/filler". */
  readonly machine?: string;
  readonly stateSource?: 'state' | 'run';
  readonly stateTag?: string;
  readonly stateMap?: readonly StateRow[];
  readonly runTag?: string;
  readonly countBasis?: string;
  readonly totalTag?: string;
  readonly goodTag?: string;
  readonly rejectTag?: string;
  readonly counterMode?: string;
  readonly maxStep?: string | number;
  readonly reasonTag?: string;
  readonly reasons?: readonly ReasonRow[];
  readonly clearCodes?: string;
  readonly productTag?: string;
  readonly products?: readonly ProductRow[];
  readonly defaultProduct?: string;
  /** Seconds. */
  readonly smallStop?: string | number;
  readonly staleAfter?: string | number;
  readonly startup?: string | number;
  readonly reorderTolerance?: string | number;
  readonly reportInterval?: string | number;
  readonly tickInterval?: string | number;
  readonly saveInterval?: string | number;
}

export interface InputMapping {
  /** Tag name -> role. */
  readonly roles: ReadonlyMap<string, Role>;
  /** Counters send parts since the last sample instead of absolute readings. */
  readonly increments: boolean;
}

export interface NodeTiming {
  /** Figures go out at most this often (0: after every change). */
  readonly reportIntervalMs: number;
  /** The clock moves engine time this often (0: only samples and tick messages move it). */
  readonly tickIntervalMs: number;
  /** The state file is written at most this often (0: after every change). */
  readonly saveIntervalMs: number;
}

export interface NodeSetup {
  /** The machine's name in outputs: the ISA-95 path, else the node name, else its id. */
  readonly machine: string;
  readonly engine: EngineConfig;
  readonly mapping: InputMapping;
  readonly timing: NodeTiming;
}

export type NodeSetupResult = { readonly ok: true; readonly setup: NodeSetup } | { readonly ok: false; readonly issues: readonly string[] };

export const NODE_DEFAULTS = {
  reportInterval: 10,
  tickInterval: 1,
  /** Counts are exact at any interval (see oee.ts); a save costs about 1 ms of CPU per machine. */
  saveInterval: 10,
} as const;

export const MACHINE_PATH = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');

/** Seconds from a property (empty: the default); undefined when not a number in [min, max]. */
function seconds(v: unknown, fallback: number, min: number, max: number): number | undefined {
  const s = text(v);
  if (s === '') return fallback;
  const n = Number(s);
  return Number.isFinite(n) && n >= min && n <= max ? n : undefined;
}

/** Rows of a table property; anything but an array is no rows. Fields may be missing in a hand-edited flow. */
function rowsOf<T>(v: readonly T[] | undefined): readonly (Partial<T> | null | undefined)[] {
  return Array.isArray(v) ? (v as readonly T[]) : [];
}

/** "101, 102; LOW" -> ["101", "102", "LOW"]. */
export function splitCodes(v: unknown): string[] {
  return text(v)
    .split(/[,;]/)
    .map((c) => c.trim())
    .filter((c) => c !== '');
}

/**
 * Reads the node's properties with its calendar. Every problem is listed, each naming the property
 * as the edit dialog labels it; the engine's own validation of the result follows.
 */
export function readNodeProps(props: OeeNodeProps, calendar: CalendarConfig, nodeId = ''): NodeSetupResult {
  const issues: string[] = [];
  const roles = new Map<string, Role>();
  const tag = (role: Role, label: string, v: unknown, required: boolean): void => {
    const name = text(v);
    if (name === '') {
      if (required) issues.push(`${label}: the tag name is missing`);
      return;
    }
    if ((CONTROL_TOPICS as readonly string[]).includes(name)) {
      issues.push(`${label}: "${name}" is the topic of a control message; choose another tag name`);
      return;
    }
    const other = roles.get(name);
    if (other !== undefined) issues.push(`${label}: tag "${name}" is already the ${other} tag`);
    else roles.set(name, role);
  };

  const machinePath = text(props.machine);
  if (machinePath !== '' && !MACHINE_PATH.test(machinePath)) issues.push(`machine: "${machinePath}" is not a path like plant/line1/filler (letters, digits, _ . - between slashes)`);

  // State or run signal.
  const source = props.stateSource ?? 'state';
  let stateMap: StateMap | undefined;
  if (source === 'state') {
    tag('state', 'state tag', props.stateTag, true);
    const rows = rowsOf(props.stateMap);
    if (rows.length > 0) {
      const map: Record<string, InputState> = {};
      rows.forEach((r, i) => {
        const value = text(r?.value);
        const state = text(r?.state);
        const at = `state mapping row ${i + 1}`;
        if (value === '') issues.push(`${at}: the PLC value is missing`);
        else if (Object.hasOwn(map, value)) issues.push(`${at}: value "${value}" is mapped twice`);
        if (!INPUT_STATES.includes(state as InputState)) issues.push(`${at}: "${state}" is not one of ${INPUT_STATES.join(', ')}`);
        if (value !== '' && INPUT_STATES.includes(state as InputState)) map[value] = state as InputState;
      });
      stateMap = map;
    }
  } else if (source === 'run') {
    tag('run', 'run signal tag', props.runTag, true);
  } else issues.push(`machine state from: "${String(source)}" is not "state" or "run"`);

  // Counters.
  const basis = (text(props.countBasis) || DEFAULTS.countBasis) as CountBasis;
  if (!COUNT_BASES.includes(basis)) issues.push(`counters: "${basis}" is not one of ${COUNT_BASES.join(', ')}`);
  else {
    const names = basis.split('+') as CounterName[];
    const tags: Record<CounterName, unknown> = { total: props.totalTag, good: props.goodTag, reject: props.rejectTag };
    for (const c of names) tag(c, `${c} count tag`, tags[c], true);
  }
  const mode = (text(props.counterMode) || 'abs32') as CounterMode;
  if (!COUNTER_MODES.includes(mode)) issues.push(`counter type: "${mode}" is not one of ${COUNTER_MODES.join(', ')}`);
  const maxStepText = text(props.maxStep);
  const maxStep = maxStepText === '' ? undefined : Number(maxStepText);
  if (maxStep !== undefined && !(Number.isSafeInteger(maxStep) && maxStep >= 1)) issues.push(`most parts per sample: "${maxStepText}" is not a whole number >= 1`);
  const bits = mode === 'abs16' ? 16 : mode === 'abs32' ? 32 : null;
  const counter: CounterConfig = maxStep === undefined ? { bits } : { bits, maxStep };
  const counters: Partial<Record<CounterName, CounterConfig>> = { total: counter, good: counter, reject: counter };

  // Reasons.
  tag('reason', 'reason code tag', props.reasonTag, false);
  const reasons: ReasonConfig[] = [];
  rowsOf(props.reasons).forEach((r) => {
    reasons.push({ id: text(r?.id), category: text(r?.category), name: text(r?.name), codes: splitCodes(r?.codes) });
  });
  const clearCodes = props.clearCodes === undefined ? ['0'] : splitCodes(props.clearCodes);

  // Products.
  tag('product', 'product tag', props.productTag, false);
  const products: Record<string, { idealCycleTimeMs: number }> = {};
  rowsOf(props.products).forEach((p, i) => {
    const name = text(p?.name);
    const at = `products row ${i + 1}`;
    const s = Number(text(p?.ict));
    if (name === '') issues.push(`${at}: the product name is missing`);
    else if (Object.hasOwn(products, name)) issues.push(`${at}: product "${name}" is listed twice`);
    if (text(p?.ict) === '' || !Number.isFinite(s) || s <= 0 || s > 86_400) issues.push(`${at}: ideal cycle time "${text(p?.ict)}" is not a number of seconds > 0 and <= 86400`);
    else if (name !== '') products[name] = { idealCycleTimeMs: s * 1000 };
  });
  const defaultProduct = text(props.defaultProduct) || undefined;

  // Times, in seconds in the dialog, in ms for the engine.
  const time = (label: string, v: unknown, fallbackMs: number, min: number, max: number): number => {
    const s = seconds(v, fallbackMs / 1000, min, max);
    if (s === undefined) {
      issues.push(`${label}: "${text(v)}" is not a number of seconds from ${min} to ${max}`);
      return fallbackMs;
    }
    return Math.round(s * 1000);
  };
  const smallStopMs = time('small-stop threshold', props.smallStop, DEFAULTS.smallStopMs, 0, 86_400);
  const staleAfterMs = time('no-data after', props.staleAfter, DEFAULTS.staleAfterMs, 1, 86_400);
  const startupMs = time('startup window', props.startup, DEFAULTS.startupMs, 0, 86_400);
  const reorderToleranceMs = time('late samples up to', props.reorderTolerance, DEFAULTS.reorderToleranceMs, 0, 3_600);
  const reportIntervalMs = time('figures at most every', props.reportInterval, NODE_DEFAULTS.reportInterval * 1000, 0, 86_400);
  const tickIntervalMs = time('clock tick every', props.tickInterval, NODE_DEFAULTS.tickInterval * 1000, 0, 3_600);
  const saveIntervalMs = time('save state at most every', props.saveInterval, NODE_DEFAULTS.saveInterval * 1000, 0, 3_600);
  if (tickIntervalMs > 0 && tickIntervalMs < 100) issues.push('clock tick every: at least 0.1 s (or 0 for no clock)');

  const engine: EngineConfig = {
    calendar,
    ...(stateMap !== undefined ? { stateMap } : {}),
    countBasis: basis,
    counters,
    products,
    ...(defaultProduct !== undefined ? { defaultProduct } : {}),
    reasons,
    reasonClearCodes: clearCodes,
    smallStopMs,
    staleAfterMs,
    startupMs,
    reorderToleranceMs,
  };
  if (issues.length === 0) issues.push(...validateConfig(engine).map(engineIssue));
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    setup: {
      machine: machinePath || text(props.name) || nodeId,
      engine,
      mapping: { roles, increments: mode === 'inc' },
      timing: { reportIntervalMs, tickIntervalMs, saveIntervalMs },
    },
  };
}

/** The engine's issue paths in the words of the edit dialog. */
function engineIssue(issue: string): string {
  return issue
    .replace(/^reasons\[(\d+)\]\.?/, (_m, i: string) => `reasons row ${Number(i) + 1} `)
    .replace(/is also the id of reasons\[(\d+)\]/, (_m, i: string) => `is also the id of reasons row ${Number(i) + 1}`)
    .replace(/is also mapped by reasons\[(\d+)\]/, (_m, i: string) => `is also mapped by reasons row ${Number(i) + 1}`)
    .replace(/^reasonClearCodes/, 'no-fault codes')
    .replace(/^defaultProduct/, 'default product')
    .replace(/^stateMap/, 'state mapping');
}
