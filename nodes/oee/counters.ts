/**
 * Part counters as PLCs send them: absolute values that wrap at 16 or 32 bit and are reset to 0
 * (at shift change, by a PLC restart), or increments.
 *
 * Rule for an absolute counter, from the previous reading `last` to the new reading `raw`:
 * - first reading ever: it only sets the baseline (parts before it are not ours to count);
 * - raw >= last: raw - last parts;
 * - raw < last and the counter has a width (16/32 bit) and the wrapped step raw + 2^bits - last is at
 *   most `maxStep`: a wrap, that many parts;
 * - raw < last otherwise: a reset to 0 followed by raw parts.
 * `maxStep` is the most parts the machine can make between two readings. Whichever way an ambiguous
 * decrease is read (a reset just below the top looks like a wrap, a wrap with a huge step looks like
 * a reset), the error is at most `maxStep` parts, so keep it near the real maximum (default 1000).
 */

export type CounterName = 'total' | 'good' | 'reject';
export const COUNTER_NAMES: readonly CounterName[] = ['total', 'good', 'reject'];

export interface CounterConfig {
  /** Width of the PLC register: 16 or 32 wraps there; null (default) never wraps. */
  readonly bits?: 16 | 32 | null;
  /** Most parts between two readings (default 1000). */
  readonly maxStep?: number;
}

export const DEFAULT_MAX_STEP = 1000;

export type CounterStep = 'up' | 'wrap' | 'reset';

/** 2^bits, or 0 for a counter that does not wrap. */
export function modulusOf(bits: 16 | 32 | null | undefined): number {
  return bits === 16 ? 65_536 : bits === 32 ? 4_294_967_296 : 0;
}

/** How a reading follows the previous one (see the module rule). */
export function classifyStep(last: number, raw: number, modulus: number, maxStep: number): CounterStep {
  if (raw >= last) return 'up';
  return modulus > 0 && raw + modulus - last <= maxStep ? 'wrap' : 'reset';
}

/** Parts between two absolute readings (see the module rule). */
export function absoluteDelta(last: number, raw: number, modulus: number, maxStep: number): number {
  if (raw >= last) return raw - last;
  const wrapped = raw + modulus - last;
  return modulus > 0 && wrapped <= maxStep ? wrapped : raw;
}

export function validateCounters(counters: unknown): string[] {
  if (counters === undefined) return [];
  if (typeof counters !== 'object' || counters === null || Array.isArray(counters)) return ['counters must be an object {total?, good?, reject?}'];
  const issues: string[] = [];
  for (const [name, c] of Object.entries(counters as Record<string, unknown>)) {
    if (!COUNTER_NAMES.includes(name as CounterName)) {
      issues.push(`counters.${name}: not a counter (use ${COUNTER_NAMES.join(', ')})`);
      continue;
    }
    if (typeof c !== 'object' || c === null) {
      issues.push(`counters.${name} must be an object {bits, maxStep}`);
      continue;
    }
    const { bits, maxStep } = c as Record<string, unknown>;
    if (bits !== undefined && bits !== null && bits !== 16 && bits !== 32) issues.push(`counters.${name}.bits: ${JSON.stringify(bits)} is not 16, 32 or null`);
    if (maxStep !== undefined && !(typeof maxStep === 'number' && Number.isSafeInteger(maxStep) && maxStep >= 1)) {
      issues.push(`counters.${name}.maxStep: ${JSON.stringify(maxStep)} is not a whole number >= 1`);
    }
  }
  return issues;
}
