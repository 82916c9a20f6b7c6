/**
 * The common ERP record: one production confirmation, downtime or shift OEE result, whatever the ERP.
 * Pure (no Node-RED): parsing and validation give precise errors so that a bad record is refused at
 * the node and never queued, where nobody would see why the ERP rejected it days later.
 */
import { randomUUID } from 'node:crypto';

export type RecordKind = 'confirmation' | 'downtime' | 'shift-oee';
export const RECORD_KINDS: readonly RecordKind[] = ['confirmation', 'downtime', 'shift-oee'];

/** Shift OEE figures: ratios from 0 to 1, counts in pieces. */
export interface OeeFigures {
  readonly availability: number;
  readonly performance: number;
  readonly quality: number;
  readonly oee: number;
  readonly goodCount?: number;
  readonly totalCount?: number;
}

export interface ErpRecord {
  readonly kind: RecordKind;
  /**
   * The reconciliation key: unique per record, written into a field the ERP stores, and looked up there
   * after an ambiguous outcome. Given by the producer (so a resent message is recognised) or generated.
   */
  readonly key: string;
  /** Production order number. Records of one order are delivered in the order they were accepted. */
  readonly order?: string;
  readonly operation?: string;
  readonly workCenter?: string;
  readonly plant?: string;
  readonly yield?: number;
  readonly scrap?: number;
  readonly rework?: number;
  /** Unit of the quantities, e.g. `PC`. */
  readonly unit?: string;
  /** Activity times in minutes by activity name (`setup`, `machine`, `labour`, ...). */
  readonly activities?: Readonly<Record<string, number>>;
  /** Start and end of the activity, downtime or shift, in ms since the epoch (UTC). */
  readonly start?: number;
  readonly end?: number;
  /** Posting date `YYYY-MM-DD`; the day of `end` (UTC) when absent. */
  readonly postingDate?: string;
  /** Downtime reason or variance reason. */
  readonly reason?: string;
  /** Final confirmation of the operation. */
  readonly final?: boolean;
  /** Operator / employee id where the ERP wants one. */
  readonly employee?: string;
  /** Shift name, for shift OEE. */
  readonly shift?: string;
  readonly oee?: OeeFigures;
  /** ERP-specific fields merged into the request body as they are (escape hatch, not validated). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** A record that cannot be posted; `problems` lists every reason, `message` says them in one line. */
export class RecordError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`record refused: ${problems.join('; ')}`);
    this.name = 'RecordError';
  }
}

/** A user-given key is also written into SAP's 40-character ConfirmationText with a 3-character prefix. */
export const KEY_PATTERN = /^[A-Za-z0-9._:-]{1,36}$/;

const FIELDS = new Set([
  'kind', 'key', 'order', 'operation', 'workCenter', 'plant', 'yield', 'scrap', 'rework', 'unit', 'activities',
  'start', 'end', 'postingDate', 'reason', 'final', 'employee', 'shift', 'oee', 'extra',
]);
/** Names people reach for first, and the field that holds what they mean. */
const HINTS: Readonly<Record<string, string>> = {
  qty: 'yield', quantity: 'yield', good: 'yield', goodQuantity: 'yield', orderId: 'order', orderNumber: 'order',
  workcenter: 'workCenter', work_center: 'workCenter', machine: 'workCenter', from: 'start', to: 'end',
  startTime: 'start', endTime: 'end', type: 'kind', id: 'key', reconciliationKey: 'key',
};
const KIND_ALIASES: Readonly<Record<string, RecordKind>> = {
  confirmation: 'confirmation', 'production-confirmation': 'confirmation', production: 'confirmation',
  downtime: 'downtime', 'shift-oee': 'shift-oee', oee: 'shift-oee',
};

type Problems = string[];

function text(v: unknown, name: string, max: number, problems: Problems): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) v = String(v);
  if (typeof v !== 'string') {
    problems.push(`${name} must be a string, not ${typeof v}`);
    return undefined;
  }
  const t = v.trim();
  if (t.length > max) problems.push(`${name} "${t.slice(0, 20)}..." is longer than ${max} characters`);
  return t || undefined;
}

function quantity(v: unknown, name: string, problems: Problems): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    problems.push(`${name} must be a number, not ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`);
    return undefined;
  }
  if (n < 0) problems.push(`${name} must not be negative (${n}); book a reversal in the ERP instead`);
  return n;
}

/** A time as ms since the epoch from a number (ms), an ISO 8601 string or a Date. */
function time(v: unknown, name: string, problems: Problems): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) {
    problems.push(`${name} must be a time (ms since 1970 or ISO 8601 with a zone), not ${JSON.stringify(v)}`);
    return undefined;
  }
  // A bare local ISO string ("2024-06-15T06:00") would depend on the hub's time zone: refuse it.
  if (typeof v === 'string' && /T\d\d:\d\d/.test(v) && !/(Z|[+-]\d\d:?\d\d)$/.test(v.trim())) {
    problems.push(`${name} "${v}" has no time zone: add Z or an offset such as +02:00`);
  }
  return ms;
}

function ratio(v: unknown, name: string, problems: Problems): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 1) {
    problems.push(`${name} must be a ratio from 0 to 1, not ${JSON.stringify(v)}`);
    return 0;
  }
  return n;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function activitiesOf(v: unknown, problems: Problems): Record<string, number> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) {
    problems.push('activities must be an object of activity name to minutes, e.g. {"setup": 30, "machine": 420}');
    return undefined;
  }
  const out: Record<string, number> = {};
  for (const [name, minutes] of Object.entries(v)) {
    const m = quantity(minutes, `activities.${name}`, problems);
    if (m !== undefined) out[name] = m;
  }
  return out;
}

function oeeOf(v: unknown, problems: Problems): OeeFigures | undefined {
  if (v === undefined || v === null) {
    problems.push('oee is missing: shift OEE needs {availability, performance, quality, oee} as ratios 0-1');
    return undefined;
  }
  if (!isObject(v)) {
    problems.push('oee must be an object {availability, performance, quality, oee}');
    return undefined;
  }
  const figures: { -readonly [K in keyof OeeFigures]: OeeFigures[K] } = {
    availability: ratio(v.availability, 'oee.availability', problems),
    performance: ratio(v.performance, 'oee.performance', problems),
    quality: ratio(v.quality, 'oee.quality', problems),
    oee: ratio(v.oee, 'oee.oee', problems),
  };
  const good = quantity(v.goodCount, 'oee.goodCount', problems);
  const total = quantity(v.totalCount, 'oee.totalCount', problems);
  if (good !== undefined) figures.goodCount = good;
  if (total !== undefined) figures.totalCount = total;
  if (good !== undefined && total !== undefined && good > total) problems.push(`oee.goodCount (${good}) is more than oee.totalCount (${total})`);
  return figures;
}

export interface ParseOptions {
  /** Kind used when the input names none (the node's setting). */
  readonly defaultKind?: RecordKind;
  /** Makes a key when the input has none (tests pass a deterministic one). */
  readonly newKey?: () => string;
}

/**
 * Validates `input` (an object such as msg.payload) and returns the record, or throws a RecordError that
 * names every problem: a missing order or quantity, a negative quantity, an end before the start, ...
 */
export function parseRecord(input: unknown, options: ParseOptions = {}): ErpRecord {
  if (!isObject(input)) throw new RecordError([`a record must be an object, not ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}`]);
  const problems: Problems = [];
  for (const name of Object.keys(input)) {
    if (FIELDS.has(name)) continue;
    const hint = HINTS[name];
    problems.push(`unknown field "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; ERP-specific fields go under "extra"`);
  }

  const kindText = input.kind ?? options.defaultKind;
  const kind = typeof kindText === 'string' ? KIND_ALIASES[kindText.trim()] : undefined;
  if (kind === undefined) {
    problems.push(kindText === undefined ? 'kind is missing: confirmation, downtime or shift-oee' : `kind must be confirmation, downtime or shift-oee, not ${JSON.stringify(kindText)}`);
  }

  let key = text(input.key, 'key', 36, problems);
  if (key !== undefined && !KEY_PATTERN.test(key)) problems.push(`key "${key}" may hold only letters, digits and . _ : - (at most 36)`);
  key ??= (options.newKey ?? randomUUID)();

  const order = text(input.order, 'order', 40, problems);
  const workCenter = text(input.workCenter, 'workCenter', 40, problems);
  const start = time(input.start, 'start', problems);
  const end = time(input.end, 'end', problems);
  if (start !== undefined && end !== undefined && end < start) {
    problems.push(`end (${new Date(end).toISOString()}) is before start (${new Date(start).toISOString()})`);
  }
  const postingDate = text(input.postingDate, 'postingDate', 10, problems);
  if (postingDate !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(postingDate) || Number.isNaN(Date.parse(`${postingDate}T00:00:00Z`)))) {
    problems.push(`postingDate must be YYYY-MM-DD, not "${postingDate}"`);
  }
  const yieldQty = quantity(input.yield, 'yield', problems);
  const scrap = quantity(input.scrap, 'scrap', problems);
  const rework = quantity(input.rework, 'rework', problems);
  const reason = text(input.reason, 'reason', 140, problems);
  const shift = text(input.shift, 'shift', 40, problems);
  if (input.final !== undefined && typeof input.final !== 'boolean') problems.push(`final must be true or false, not ${JSON.stringify(input.final)}`);
  if (input.extra !== undefined && !isObject(input.extra)) problems.push('extra must be an object of ERP field name to value');

  let oee: OeeFigures | undefined;
  if (kind === 'confirmation') {
    if (order === undefined) problems.push('order is missing: a production confirmation needs the production order number');
    if (input.yield === undefined) problems.push('yield is missing: a production confirmation needs the good quantity (0 if only scrap or rework)');
    // null or "" would reach the ERP as 0 (SAP books it): a required quantity must be a number.
    else if (yieldQty === undefined && (input.yield === null || input.yield === '')) problems.push(`yield must be a finite number, not ${JSON.stringify(input.yield)}`);
  } else if (kind === 'downtime') {
    if (order === undefined && workCenter === undefined) problems.push('order and workCenter are both missing: a downtime needs at least the work center');
    if (start === undefined && input.start === undefined) problems.push('start is missing: a downtime needs its start time');
    if (end === undefined && input.end === undefined) problems.push('end is missing: a downtime needs its end time (post it when it is over)');
    if (reason === undefined) problems.push('reason is missing: a downtime needs a reason');
  } else if (kind === 'shift-oee') {
    if (workCenter === undefined) problems.push('workCenter is missing: shift OEE is per work center');
    if (shift === undefined) problems.push('shift is missing: shift OEE needs the shift name');
    if (start === undefined && input.start === undefined) problems.push('start is missing: shift OEE needs the shift start');
    if (end === undefined && input.end === undefined) problems.push('end is missing: shift OEE needs the shift end');
    oee = oeeOf(input.oee, problems);
  }
  const activities = activitiesOf(input.activities, problems);
  const operation = text(input.operation, 'operation', 10, problems);
  const plant = text(input.plant, 'plant', 10, problems);
  const unit = text(input.unit, 'unit', 6, problems);
  const employee = text(input.employee, 'employee', 40, problems);
  if (problems.length) throw new RecordError(problems);

  const record: { -readonly [K in keyof ErpRecord]: ErpRecord[K] } = { kind: kind as RecordKind, key };
  const set = <K extends keyof ErpRecord>(k: K, v: ErpRecord[K] | undefined): void => {
    if (v !== undefined) record[k] = v;
  };
  set('order', order);
  set('operation', operation);
  set('workCenter', workCenter);
  set('plant', plant);
  set('yield', yieldQty);
  set('scrap', scrap);
  set('rework', rework);
  set('unit', unit);
  set('activities', activities);
  set('start', start);
  set('end', end);
  set('postingDate', postingDate);
  set('reason', reason);
  set('final', input.final as boolean | undefined);
  set('employee', employee);
  set('shift', shift);
  set('oee', oee);
  set('extra', input.extra as Record<string, unknown> | undefined);
  return record;
}

/**
 * The delivery lane: records of one production order go out one at a time in acceptance order (the ERP
 * books partial then final confirmations of an order in sequence); without an order, per work center.
 */
export function laneOf(record: ErpRecord): string {
  return record.order !== undefined ? `order:${record.order}` : `wc:${record.workCenter ?? ''}`;
}

/** The posting day (UTC) of a record: its postingDate, else the day of its end, start, or `now`. */
export function postingDay(record: ErpRecord, now: number): string {
  return record.postingDate ?? new Date(record.end ?? record.start ?? now).toISOString().slice(0, 10);
}

/** Minutes between start and end, rounded to 0.01 (0 when either is missing). */
export function durationMinutes(record: ErpRecord): number {
  if (record.start === undefined || record.end === undefined) return 0;
  return Math.round((record.end - record.start) / 600) / 100;
}

/** The short token written into the ERP's field: prefixed so it is easy to find and recognise there. */
export function keyToken(key: string): string {
  return `FH-${key}`;
}

/**
 * Whether a text field written with `token` first (alone, or followed by a space and more text) holds
 * exactly that token: `FH-PK-1 yield 5` does, `FH-PK-10 yield 5` and `fh-pk-1` do not. The ERP's
 * pattern look-up only narrows the rows; this decides.
 */
export function startsWithToken(text: unknown, token: string): boolean {
  return typeof text === 'string' && (text === token || text.startsWith(`${token} `));
}
