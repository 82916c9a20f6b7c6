/**
 * The precision a tag's engineering values are shown with: a raw float32 read as 100.67 arrives as
 * 100.66999816894531, and a gain of 0.1 can leave 12.300000000000001. Values are rounded once, where they
 * are decoded and scaled (Modbus codec, OPC UA value), with the rule below. Pure, no Node-RED.
 *
 * 1. `decimals` declared in the tag map: round to that many decimals.
 * 2. Otherwise, for an integer raw value, derived from the scaling: the decimals of the gain and offset as
 *    written (gain 0.1 -> 1, gain 0.25 offset 0.5 -> 2), when they are short decimals (a range scaling's
 *    gain usually is not). An integer times such a gain has no more decimals than that, so only the float
 *    noise goes; a float raw value (float32 x 0.5) has digits of its own and is not derived from.
 * 3. Otherwise a float32 value keeps float32's precision: 7 significant digits.
 * 4. Otherwise the value is left as it is.
 */
import type { DataType, Scaling } from './tag';

/** The most decimals a tag may declare (beyond this a double holds noise, not digits). */
export const MAX_DECIMALS = 12;
/** Significant decimal digits a float32 holds (FLT_DIG is 6; 7 round-trips every value people type). */
export const FLOAT32_DIGITS = 7;
/** A gain or offset with more decimals than this is not "as written" (e.g. 1/3, a range's gain). */
const MAX_DERIVED_DECIMALS = 6;

export interface PrecisionSource {
  readonly dataType: DataType;
  readonly scaling?: Scaling;
  readonly decimals?: number;
}

/** Decimals of a number as JS writes it (shortest round-trip form): 0.25 -> 2, 1e-7 -> 7, 3 -> 0. */
export function decimalsOf(n: number): number {
  if (!Number.isFinite(n) || Number.isInteger(n)) return 0;
  const [mantissa, exp] = String(n).split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exp ?? 0));
}

/** Decimals implied by a scaling, or undefined when its gain or offset is not a short decimal. */
export function scalingDecimals(s: Scaling): number | undefined {
  const d = Math.max(decimalsOf(s.gain), decimalsOf(s.offset));
  return d <= MAX_DERIVED_DECIMALS ? d : undefined;
}

/** Powers of ten that are exact doubles (10^0 .. 10^22). */
const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => 10 ** i);
/** From this magnitude on a double has no fractional digits left to round. */
const NO_FRACTION = 2 ** 52;

/**
 * Rounds to `decimals` places (0..22), half away from zero. A product a few ulps below .5 counts as .5 (1.005
 * is stored as 1.00499999999999989..., and 1.005 * 100 gives 100.49999999999999): the decimal as written wins.
 * The division by an exact power of ten gives the double nearest the decimal, so 12.300000000000001 -> 12.3.
 * Arithmetic only (no text): this runs for every value of every scan.
 */
export function roundTo(value: number, decimals: number): number {
  const p = POW10[decimals];
  if (p === undefined || !Number.isFinite(value)) return value;
  const scaled = Math.abs(value) * p;
  if (scaled >= NO_FRACTION) return value;
  const back = Math.floor(scaled + 0.5 + scaled * 4 * Number.EPSILON) / p;
  return value < 0 && back !== 0 ? -back : back;
}

/** Rounds to `digits` significant digits (float32: 100.66999816894531 -> 100.67). */
export function roundSignificant(value: number, digits: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const magnitude = Math.abs(value);
  let exponent = Math.floor(Math.log10(magnitude));
  // log10 can land just below an exact power of ten (log10(1000) = 2.9999999999999996).
  if (magnitude >= 10 ** (exponent + 1)) exponent++;
  const decimals = digits - 1 - exponent;
  if (decimals >= 0) return decimals < POW10.length ? roundTo(value, decimals) : Number(value.toPrecision(digits));
  const p = POW10[-decimals];
  if (p === undefined) return Number(value.toPrecision(digits));
  const back = Math.floor(magnitude / p + 0.5) * p;
  return value < 0 ? -back : back;
}

/**
 * The rounding of a tag's engineering values, or undefined when they are left as they are
 * (callers then skip the call entirely on the hot path).
 */
export function valueRounding(tag: PrecisionSource): ((value: number) => number) | undefined {
  if (tag.dataType === 'bool' || tag.dataType === 'string') return undefined;
  const integer = tag.dataType !== 'float32' && tag.dataType !== 'float64';
  const decimals = tag.decimals ?? (integer && tag.scaling !== undefined ? scalingDecimals(tag.scaling) : undefined);
  if (decimals !== undefined) return (v) => roundTo(v, decimals);
  if (tag.dataType === 'float32') return (v) => roundSignificant(v, FLOAT32_DIGITS);
  return undefined;
}
