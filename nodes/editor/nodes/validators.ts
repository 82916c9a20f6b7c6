/**
 * The validators our edit dialogs share: pure functions of the value (no editor needed, unit-tested in
 * test/editor/validators.test.ts). Node-RED calls them with the node as `this`; `pattern` is Node-RED's
 * own RED.validators.regex, so that its messages stay the editor's.
 */
import type { EditorNode, Validator } from './definition';

/** A validator that needs neither the node nor the editor. */
export type Check = (value: unknown) => boolean;

/**
 * What an empty value ('' or undefined) means to a number check: 'valid' (the runtime takes its
 * default), 'invalid', or the default itself, checked like a typed value. Without it the value is read
 * as JavaScript's Number() reads it ('' is 0, undefined is NaN), as the dialogs always have.
 */
interface Range {
  readonly blank?: 'valid' | 'invalid' | number;
}

function isBlank(v: unknown): boolean {
  return v === '' || v === undefined;
}

function numberCheck(min: number, max: number, range: Range, whole: boolean): Check {
  return (v) => {
    if (isBlank(v) && range.blank !== undefined) {
      if (range.blank === 'valid' || range.blank === 'invalid') return range.blank === 'valid';
      v = range.blank;
    }
    const n = Number(v);
    return (whole ? Number.isInteger(n) : Number.isFinite(n)) && n >= min && n <= max;
  };
}

/** A whole number from min to max (given as a number or as the text of one). */
export function wholeIn(min: number, max: number, range: Range = {}): Check {
  return numberCheck(min, max, range, true);
}

/** A finite number from min to max. */
export function numberIn(min: number, max: number, range: Range = {}): Check {
  return numberCheck(min, max, range, false);
}

/** One of the given words. */
export function oneOf(...words: readonly string[]): Validator {
  return pattern(new RegExp(`^(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`));
}

/** Node-RED's own regex validator when the editor is loaded (its messages), the same test without it. */
export function pattern(re: RegExp): Validator {
  const red = (globalThis as { RED?: { validators?: { regex?(re: RegExp): Validator } } }).RED;
  return red?.validators?.regex?.(re) ?? ((v) => re.test(String(v)));
}

/** A tag path prefix of the ISA-95 hierarchy, `site/area/line/machine`, or nothing; a trailing / is allowed. */
export const PREFIX = /^([A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*\/?)?$/;

/** A check that needs the node (another property of it). */
export function withNode(check: (value: unknown, node: EditorNode) => boolean): Validator {
  return function (this: EditorNode, v) {
    return check(v, this);
  };
}

/** Applies `check` only when `applies` holds for the node (a field that another one switches on). */
export function when(applies: (node: EditorNode) => boolean, check: (value: unknown, node: EditorNode) => boolean): Validator {
  return function (this: EditorNode, v) {
    return !applies(this) || check(v, this);
  };
}

/** Passes what any of the checks passes. */
export function anyOf(...checks: readonly Check[]): Check {
  return (v) => checks.some((check) => check(v));
}

/** Node-RED's own number validator (numbers, their text, env variables) when the editor is loaded. */
export function editorNumber(): Validator {
  const red = (globalThis as { RED?: { validators?: { number?(): Validator } } }).RED;
  return red?.validators?.number?.() ?? ((v) => v !== '' && !Number.isNaN(Number(v)));
}

/** A non-empty text (after trimming). */
export function filled(v: unknown): boolean {
  return typeof v === 'string' && v.trim() !== '';
}
