/**
 * Fills the generic REST dialect's URL and JSON body templates from a record. A JSON string that is only
 * `"{{path}}"` becomes the typed value (a number stays a number); `{{path}}` inside longer text is
 * interpolated. A missing value is an error (the record is refused at the node) unless the placeholder is
 * optional, `{{path?}}`, which gives null (or empty text inside a string).
 */
import type { ErpRecord } from './record';
import { RecordError, durationMinutes, keyToken, postingDay } from './record';

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.]+)(\?)?\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z0-9_.]+)(\?)?\s*\}\}$/;

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** The values a template can name: the record's fields plus derived ones. */
export function templateValues(record: ErpRecord, now: number): Record<string, unknown> {
  const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    ...record,
    token: keyToken(record.key),
    start: iso(record.start),
    end: iso(record.end),
    startMs: record.start,
    endMs: record.end,
    postingDate: postingDay(record, now),
    durationMinutes: record.start !== undefined && record.end !== undefined ? durationMinutes(record) : undefined,
  };
}

function lookup(values: Record<string, unknown>, path: string): unknown {
  let v: unknown = values;
  for (const part of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function missing(path: string): never {
  throw new RecordError([`the template needs {{${path}}}, which the record does not have (write {{${path}?}} if it is optional)`]);
}

function interpolate(text: string, values: Record<string, unknown>, encode: (s: string) => string): string {
  return text.replace(PLACEHOLDER, (_m, path: string, optional: string | undefined) => {
    const v = lookup(values, path);
    if (v === undefined || v === null) return optional ? '' : missing(path);
    return encode(typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));
  });
}

function fillValue(node: unknown, values: Record<string, unknown>): unknown {
  if (typeof node === 'string') {
    const whole = WHOLE.exec(node);
    if (whole) {
      const v = lookup(values, whole[1]);
      if (v === undefined || v === null) return whole[2] ? null : missing(whole[1]);
      return v;
    }
    return interpolate(node, values, (s) => s);
  }
  if (Array.isArray(node)) return node.map((n) => fillValue(n, values));
  if (typeof node === 'object' && node !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = fillValue(v, values);
    return out;
  }
  return node;
}

/** A parsed body template; throws TemplateError when it is not JSON. */
export function parseBodyTemplate(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new TemplateError(`the body template is not JSON: ${(err as Error).message}`);
  }
}

export function fillBody(template: unknown, record: ErpRecord, now: number): unknown {
  return fillValue(template, templateValues(record, now));
}

/** A URL (or path) template, each value URL-encoded. */
export function fillUrl(template: string, record: ErpRecord, now: number): string {
  return interpolate(template, templateValues(record, now), encodeURIComponent);
}

/** True when the template text names the reconciliation key ({{key}} or {{token}}). */
export function carriesKey(text: string): boolean {
  return /\{\{\s*(key|token)\s*\}\}/.test(text);
}
