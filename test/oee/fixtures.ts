/**
 * Shared fixtures of the OEE tests: a UTC calendar with one 06:00-14:00 shift on weekdays and a
 * 10:00-10:30 break (so hand arithmetic needs no time-zone thinking), times on Monday 2024-04-01,
 * and an engine factory that collects notices.
 */
import assert from 'node:assert/strict';
import type { CalendarConfig } from '../../nodes/oee/calendar';
import type { EngineConfig } from '../../nodes/oee/config';
import { Engine } from '../../nodes/oee/engine';
import type { ApplyResult, Notice } from '../../nodes/oee/events';

export const MIN = 60_000;
export const HOUR = 3_600_000;

/** Monday 2024-04-01 at "HH:MM[:SS]" UTC (dayOffset days later). */
export function at(clock: string, dayOffset = 0): number {
  const [h, m, s] = clock.split(':').map(Number);
  return Date.UTC(2024, 3, 1 + dayOffset, h, m, s ?? 0);
}

export const DAY_SHIFT: CalendarConfig = {
  timeZone: 'UTC',
  shifts: [{ name: 'Early', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '06:00', end: '14:00', breaks: [{ name: 'Lunch', start: '10:00', end: '10:30' }] }],
};

export const REASONS: EngineConfig['reasons'] = [
  { id: 'jam', category: 'Mechanical', name: 'Jam', codes: [101] },
  { id: 'motor', category: 'Mechanical', name: 'Motor overload', codes: [102] },
  { id: 'material', category: 'Logistics', name: 'Low material', codes: [103, 'LOW'] },
  { id: 'meeting', category: 'Organisation', name: 'Team meeting' },
];

/** Figures tests send only meaningful events, so silence must not turn into "no data". */
export const QUIET: Partial<EngineConfig> = { staleAfterMs: 86_400_000 };

export function config(extra: Partial<EngineConfig> = {}): EngineConfig {
  return {
    calendar: DAY_SHIFT,
    products: { A: { idealCycleTimeMs: 1000 }, B: { idealCycleTimeMs: 2000 } },
    defaultProduct: 'A',
    reasons: REASONS,
    ...extra,
  };
}

export interface Harness {
  readonly engine: Engine;
  readonly notices: Notice[];
}

export function harness(extra: Partial<EngineConfig> = {}, startT = at('06:00')): Harness {
  const notices: Notice[] = [];
  const engine = new Engine(config(extra), startT, { onNotice: (n) => notices.push(n) });
  return { engine, notices };
}

/** Asserts a sample was accepted (optionally with a note) and returns nothing, for terse tests. */
export function ok(result: ApplyResult, note: string | null = null): void {
  assert.equal(result.ok, true, result.ok ? '' : result.error.message);
  if (result.ok) assert.equal(result.note, note);
}

/** Relative closeness for results of different float operation orders. */
export function near(actual: number | null, expected: number, digits = 12): void {
  assert.notEqual(actual, null);
  assert.ok(Math.abs(actual! - expected) <= Math.abs(expected) * 10 ** -digits + 1e-15, `${actual} is not ${expected}`);
}

/** The state without diagnostics, to show a rejected sample changed nothing else. */
export function stateOf(engine: Engine): unknown {
  const { diagnostics: _ignored, ...rest } = engine.toJSON();
  return rest;
}
