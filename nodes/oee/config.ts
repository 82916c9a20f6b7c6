/**
 * Engine configuration: what a node's properties become. Every field but the calendar has a
 * default; `validateConfig` reports every problem with its path, `resolveConfig` fills defaults.
 */
import type { CalendarConfig } from './calendar';
import { validateCalendar } from './calendar';
import type { CounterConfig, CounterName } from './counters';
import { DEFAULT_MAX_STEP, modulusOf, validateCounters } from './counters';
import type { ReasonConfig } from './reasons';
import { validateReasons } from './reasons';
import type { StateMap } from './states';
import { validateStateMap } from './states';
import { DAY_MS, HOUR_MS } from './time-zone';

/** Which two counters the machine sends; the third is derived (reject = total - good, ...). */
export type CountBasis = 'total+good' | 'total+reject' | 'good+reject';
export const COUNT_BASES: readonly CountBasis[] = ['total+good', 'total+reject', 'good+reject'];

export interface ProductConfig {
  /** Ideal (fastest sustainable) time per part, ms; may be fractional. */
  readonly idealCycleTimeMs: number;
}

export interface EngineConfig {
  readonly calendar: CalendarConfig;
  /** PLC state value -> state; absent: the state names themselves. */
  readonly stateMap?: StateMap;
  readonly countBasis?: CountBasis;
  readonly counters?: Partial<Record<CounterName, CounterConfig>>;
  readonly products?: Readonly<Record<string, ProductConfig>>;
  /** Product assumed before the first product event (its ideal cycle time comes from `products`). */
  readonly defaultProduct?: string;
  readonly reasons?: readonly ReasonConfig[];
  /** PLC reason codes meaning "no fault" (default [0]). */
  readonly reasonClearCodes?: readonly (number | string)[];
  /** A PLC reason code seen while running names a stop starting at most this much later (default 5 s). */
  readonly reasonLeadMs?: number;
  /** Unplanned stops shorter than this are small stops (performance loss); default 5 min. */
  readonly smallStopMs?: number;
  /** No machine sample for this long: the time after it is "no data" (default 60 s). */
  readonly staleAfterMs?: number;
  /** Rejects in this window after a changeover, planned stop or product change are startup rejects (default 10 min; 0 = none). */
  readonly startupMs?: number;
  /** A sample up to this much older than the engine time is applied at the engine time (default 2 s). */
  readonly reorderToleranceMs?: number;
  /** A sample further than this from the engine time, either way, is rejected (default 35 days). */
  readonly maxJumpMs?: number;
  /** Counts are placed in time to this resolution; must divide one hour (default 5 min). */
  readonly countResolutionMs?: number;
  /** Timeline kept for windows, back from the engine time (default 36 h, at least 25 h). */
  readonly retainMs?: number;
  /** Hard cap on timeline segments kept (default 20,000). */
  readonly maxSegments?: number;
  /** Hard cap on stops kept (default 5,000). */
  readonly maxStops?: number;
}

export interface ResolvedCounter {
  /** 2^bits or 0 (no wrap). */
  readonly modulus: number;
  readonly maxStep: number;
}

export interface ResolvedConfig {
  readonly countBasis: CountBasis;
  readonly counters: Readonly<Record<CounterName, ResolvedCounter>>;
  readonly reasonLeadMs: number;
  readonly smallStopMs: number;
  readonly staleAfterMs: number;
  readonly startupMs: number;
  readonly reorderToleranceMs: number;
  readonly maxJumpMs: number;
  readonly countResolutionMs: number;
  readonly retainMs: number;
  readonly maxSegments: number;
  readonly maxStops: number;
}

export const DEFAULTS = {
  countBasis: 'total+good' as CountBasis,
  reasonLeadMs: 5_000,
  smallStopMs: 300_000,
  staleAfterMs: 60_000,
  startupMs: 600_000,
  reorderToleranceMs: 2_000,
  maxJumpMs: 35 * DAY_MS,
  countResolutionMs: 300_000,
  retainMs: 36 * HOUR_MS,
  maxSegments: 20_000,
  maxStops: 5_000,
} as const;

export class ConfigError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`invalid OEE configuration: ${issues.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Validates an ideal cycle time given anywhere (config, product event). */
export function isIdealCycleTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= DAY_MS;
}

type Limit = readonly [key: keyof typeof DEFAULTS, min: number, max: number];
const LIMITS: readonly Limit[] = [
  ['reasonLeadMs', 0, HOUR_MS],
  ['smallStopMs', 0, DAY_MS],
  ['staleAfterMs', 1_000, DAY_MS],
  ['startupMs', 0, DAY_MS],
  ['reorderToleranceMs', 0, HOUR_MS],
  ['maxJumpMs', DAY_MS, 3660 * DAY_MS],
  ['countResolutionMs', 1_000, HOUR_MS],
  ['retainMs', 25 * HOUR_MS, 400 * DAY_MS],
  ['maxSegments', 1_000, 10_000_000],
  ['maxStops', 100, 1_000_000],
];

export function validateConfig(input: unknown): string[] {
  if (typeof input !== 'object' || input === null) return ['configuration must be an object'];
  const c = input as Record<string, unknown>;
  const issues: string[] = [];
  issues.push(...validateCalendar(c.calendar).map((i) => `calendar: ${i}`));
  issues.push(...validateStateMap(c.stateMap));
  if (c.countBasis !== undefined && !COUNT_BASES.includes(c.countBasis as CountBasis)) {
    issues.push(`countBasis ${JSON.stringify(c.countBasis)} is not one of ${COUNT_BASES.join(', ')}`);
  }
  issues.push(...validateCounters(c.counters));
  issues.push(...validateReasons(c.reasons, c.reasonClearCodes));
  if (c.products !== undefined) {
    if (typeof c.products !== 'object' || c.products === null || Array.isArray(c.products)) issues.push('products must be an object {"product": {idealCycleTimeMs}}');
    else {
      for (const [name, p] of Object.entries(c.products as Record<string, unknown>)) {
        const ict = typeof p === 'object' && p !== null ? (p as Record<string, unknown>).idealCycleTimeMs : undefined;
        if (!isIdealCycleTime(ict)) issues.push(`products[${JSON.stringify(name)}].idealCycleTimeMs: ${JSON.stringify(ict)} is not a time > 0 ms and <= 1 day`);
      }
    }
  }
  if (c.defaultProduct !== undefined) {
    const products = (typeof c.products === 'object' && c.products !== null ? c.products : {}) as Record<string, unknown>;
    if (typeof c.defaultProduct !== 'string' || !Object.hasOwn(products, c.defaultProduct)) {
      issues.push(`defaultProduct ${JSON.stringify(c.defaultProduct)} is not one of the configured products`);
    }
  }
  for (const [key, min, max] of LIMITS) {
    const v = c[key];
    if (v !== undefined && !(typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max)) {
      issues.push(`${key}: ${JSON.stringify(v)} is not a whole number from ${min} to ${max}`);
    }
  }
  const res = c.countResolutionMs;
  if (typeof res === 'number' && Number.isSafeInteger(res) && res >= 1_000 && HOUR_MS % res !== 0) {
    issues.push(`countResolutionMs: ${res} does not divide one hour (3,600,000 ms), so hourly windows would not be exact`);
  }
  return issues;
}

export function resolveConfig(config: EngineConfig): ResolvedConfig {
  const counter = (name: CounterName): ResolvedCounter => {
    const c = config.counters?.[name];
    return { modulus: modulusOf(c?.bits), maxStep: c?.maxStep ?? DEFAULT_MAX_STEP };
  };
  return {
    countBasis: config.countBasis ?? DEFAULTS.countBasis,
    counters: { total: counter('total'), good: counter('good'), reject: counter('reject') },
    reasonLeadMs: config.reasonLeadMs ?? DEFAULTS.reasonLeadMs,
    smallStopMs: config.smallStopMs ?? DEFAULTS.smallStopMs,
    staleAfterMs: config.staleAfterMs ?? DEFAULTS.staleAfterMs,
    startupMs: config.startupMs ?? DEFAULTS.startupMs,
    reorderToleranceMs: config.reorderToleranceMs ?? DEFAULTS.reorderToleranceMs,
    maxJumpMs: config.maxJumpMs ?? DEFAULTS.maxJumpMs,
    countResolutionMs: config.countResolutionMs ?? DEFAULTS.countResolutionMs,
    retainMs: config.retainMs ?? DEFAULTS.retainMs,
    maxSegments: config.maxSegments ?? DEFAULTS.maxSegments,
    maxStops: config.maxStops ?? DEFAULTS.maxStops,
  };
}
