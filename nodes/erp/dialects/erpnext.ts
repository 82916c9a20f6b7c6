/**
 * ERPNext / Frappe REST: `/api/resource/<DocType>` with `Authorization: token <key>:<secret>`.
 * - Production confirmation: a Job Card with one time log (completed quantity, times, employee) submitted
 *   on insert (`docstatus: 1`); or, when configured, a Stock Entry "Manufacture" built by ERPNext's own
 *   `make_stock_entry` for the work order (a read-only first step) and then inserted submitted.
 * - Downtime: a Downtime Entry (not submittable); a reason outside ERPNext's stop reasons is booked as
 *   "Other" with the text in more_details.
 * - Shift OEE: only to a custom DocType when one is configured.
 * - Reconciliation: the key token goes into a custom field when one is configured (ideally unique, so a
 *   duplicate insert is refused with 409 and read as "already booked"), else into the standard text field
 *   (remarks, more_details); after an ambiguous outcome a look-up by the token
 *   (`=` on the custom field; on the text field `= token` or `like "token %"`), each row compared exactly.
 * - Errors: status from the exception class (417 ValidationError, 409 DuplicateEntryError, ...), the
 *   readable text in `_server_messages`, a JSON string of a list of JSON strings (parsed twice).
 */
import type { Send } from '../auth';
import type { HttpResponse } from '../http';
import type { Booked, Failure } from '../outcome';
import { ErpFailure, excerpt, fail, jsonOf, statusFailure } from '../outcome';
import type { ErpRecord } from '../record';
import { RecordError, durationMinutes, keyToken, startsWithToken } from '../record';
import { naiveDateTime } from '../time-format';
import type { Dialect } from './dialect';

export interface ErpnextOptions {
  /** Custom field holding the key token (e.g. `fh_key`); empty: remarks / more_details. */
  readonly keyField: string;
  readonly confirmAs: 'job-card' | 'stock-entry';
  /** Custom DocType for shift OEE; empty: refused. */
  readonly oeeDocType: string;
  /** The site's time zone (Frappe datetimes carry none). */
  readonly timeZone: string;
}

export const DEFAULT_ERPNEXT_OPTIONS: ErpnextOptions = { keyField: '', confirmAs: 'job-card', oeeDocType: '', timeZone: 'UTC' };

/** Options of Downtime Entry.stop_reason in ERPNext. */
export const STOP_REASONS = [
  'Excessive machine set up time', 'Unplanned machine maintenance', 'On-machine press checks', 'Machine operator errors',
  'Machine malfunction', 'Electricity down', 'Other',
];

const MAKE_STOCK_ENTRY = '/api/method/erpnext.manufacturing.doctype.work_order.work_order.make_stock_entry';

/** The readable text of a Frappe error: `_server_messages` (doubly encoded), else `exception`, `message`. */
export function frappeErrorMessage(body: string): string {
  const json = jsonOf(body) as { _server_messages?: unknown; exception?: unknown; exc_type?: unknown; message?: unknown } | undefined;
  if (json === undefined || typeof json !== 'object') return excerpt(body);
  const texts: string[] = [];
  if (typeof json._server_messages === 'string') {
    const list = jsonOf(json._server_messages);
    if (Array.isArray(list)) {
      for (const item of list) {
        const inner = typeof item === 'string' ? (jsonOf(item) as { message?: unknown } | undefined) : (item as { message?: unknown });
        const t = typeof inner?.message === 'string' ? inner.message : typeof item === 'string' ? item : undefined;
        // Messages may carry HTML (links to documents): keep the text.
        if (t) texts.push(t.replace(/<[^>]*>/g, '').trim());
      }
    }
  }
  if (texts.length === 0 && typeof json.exception === 'string') texts.push(json.exception.replace(/^[\w.]+Error: /, ''));
  if (texts.length === 0 && typeof json.message === 'string') texts.push(json.message);
  const type = typeof json.exc_type === 'string' ? `${json.exc_type}: ` : '';
  return `${type}${texts.join(' / ') || excerpt(body)}`;
}

export function classifyFrappeFailure(res: HttpResponse, now = Date.now()): Failure {
  return statusFailure(res, `ERPNext ${frappeErrorMessage(res.body)}`, now);
}

export function erpnextProblems(record: ErpRecord, options: ErpnextOptions): string[] {
  const problems: string[] = [];
  if (record.kind === 'shift-oee' && !options.oeeDocType) problems.push('ERPNext has no standard DocType for shift OEE: set a custom DocType on the connection');
  if (record.kind === 'downtime') {
    if (record.workCenter === undefined) problems.push('workCenter is missing: an ERPNext Downtime Entry needs the workstation');
    if (record.employee === undefined) problems.push('employee is missing: an ERPNext Downtime Entry needs the operator (Employee id)');
  }
  if (record.kind === 'confirmation' && options.confirmAs === 'job-card') {
    if (record.operation === undefined) problems.push('operation is missing: an ERPNext Job Card is per operation');
    if (record.start === undefined || record.end === undefined) problems.push('start and end are needed for the Job Card time log');
  }
  return problems;
}

function keyed(doc: Record<string, unknown>, record: ErpRecord, options: ErpnextOptions, standardField: string, text = ''): Record<string, unknown> {
  const token = keyToken(record.key);
  if (options.keyField) return { ...doc, [standardField]: text || undefined, [options.keyField]: token, ...record.extra };
  return { ...doc, [standardField]: `${token}${text ? ` ${text}` : ''}`, ...record.extra };
}

export function jobCardDoc(record: ErpRecord, options: ErpnextOptions): Record<string, unknown> {
  const tz = options.timeZone;
  const log: Record<string, unknown> = {
    from_time: naiveDateTime(record.start ?? 0, tz),
    to_time: naiveDateTime(record.end ?? 0, tz),
    time_in_mins: durationMinutes(record),
    completed_qty: record.yield ?? 0,
  };
  if (record.employee !== undefined) log.employee = record.employee;
  const doc: Record<string, unknown> = {
    work_order: record.order,
    operation: record.operation,
    for_quantity: (record.yield ?? 0) + (record.scrap ?? 0) + (record.rework ?? 0),
    time_logs: [log],
    docstatus: 1,
  };
  if (record.workCenter !== undefined) doc.workstation = record.workCenter;
  return keyed(doc, record, options, 'remarks');
}

export function downtimeDoc(record: ErpRecord, options: ErpnextOptions): Record<string, unknown> {
  const reason = record.reason ?? 'Other';
  const known = STOP_REASONS.includes(reason);
  const doc = {
    workstation: record.workCenter,
    operator: record.employee,
    from_time: naiveDateTime(record.start ?? 0, options.timeZone),
    to_time: naiveDateTime(record.end ?? 0, options.timeZone),
    stop_reason: known ? reason : 'Other',
  };
  return keyed(doc, record, options, 'more_details', known ? '' : reason);
}

export function oeeDoc(record: ErpRecord, options: ErpnextOptions): Record<string, unknown> {
  const o = record.oee;
  const doc = {
    workstation: record.workCenter,
    shift: record.shift,
    from_time: naiveDateTime(record.start ?? 0, options.timeZone),
    to_time: naiveDateTime(record.end ?? 0, options.timeZone),
    availability: o?.availability,
    performance: o?.performance,
    quality: o?.quality,
    oee: o?.oee,
    good_qty: o?.goodCount,
    total_qty: o?.totalCount,
  };
  return keyed(doc, record, options, 'remarks');
}

/** DocType and key field of a record. */
function target(record: ErpRecord, options: ErpnextOptions): { doctype: string; field: string } {
  const doctype = record.kind === 'downtime' ? 'Downtime Entry' : record.kind === 'shift-oee' ? options.oeeDocType : options.confirmAs === 'stock-entry' ? 'Stock Entry' : 'Job Card';
  return { doctype, field: options.keyField || (record.kind === 'downtime' ? 'more_details' : 'remarks') };
}

/** Rows per look-up page (more pages only when many texts share the pattern, e.g. case variants). */
const LOOKUP_PAGE = 100;

/**
 * Text for a Frappe `like` filter that matches at least `text`: `%` becomes the one-character wildcard
 * `_` (no escape survives Frappe, which doubles backslashes before MariaDB sees them), `_` stays a
 * wildcard that also matches itself. Over-matches; the caller compares the rows exactly.
 */
export function frappeLikeLiteral(text: string): string {
  return text.replace(/%/g, '_');
}

const resource = (doctype: string): string => `/api/resource/${encodeURIComponent(doctype)}`;
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

export class ErpnextDialect implements Dialect {
  readonly name = 'erpnext' as const;

  constructor(
    readonly options: ErpnextOptions = DEFAULT_ERPNEXT_OPTIONS,
    private readonly now: () => number = Date.now,
  ) {}

  check(record: ErpRecord): void {
    const problems = erpnextProblems(record, this.options);
    if (problems.length) throw new RecordError(problems);
  }

  private async insert(send: Send, record: ErpRecord, doctype: string, doc: Record<string, unknown>): Promise<Booked> {
    const res = await send({ method: 'POST', path: resource(doctype), headers: JSON_HEADERS, body: JSON.stringify(doc) });
    if (res.status === 200 || res.status === 201) {
      const name = (jsonOf(res.body) as { data?: { name?: unknown } } | undefined)?.data?.name;
      return { ref: `${doctype}/${typeof name === 'string' ? name : '?'}` };
    }
    // Our unique key field refused a second copy: the first one is booked. Return its name.
    if (res.status === 409 && this.options.keyField && /DuplicateEntry|Duplicate/i.test(res.body)) {
      const found = await this.find(record, send);
      if (found) return found;
    }
    throw new ErpFailure(classifyFrappeFailure(res, this.now()));
  }

  async post(record: ErpRecord, send: Send): Promise<Booked> {
    const { doctype } = target(record, this.options);
    if (record.kind === 'downtime') return this.insert(send, record, doctype, downtimeDoc(record, this.options));
    if (record.kind === 'shift-oee') return this.insert(send, record, doctype, oeeDoc(record, this.options));
    if (this.options.confirmAs === 'job-card') return this.insert(send, record, doctype, jobCardDoc(record, this.options));
    // Stock Entry "Manufacture": ERPNext builds the entry (items, warehouses, BOM) without saving it.
    const made = await send({ method: 'POST', path: MAKE_STOCK_ENTRY, headers: JSON_HEADERS, body: JSON.stringify({ work_order_id: record.order, purpose: 'Manufacture', qty: record.yield ?? 0 }) });
    if (made.status !== 200) throw new ErpFailure(classifyFrappeFailure(made, this.now()));
    const doc = (jsonOf(made.body) as { message?: unknown } | undefined)?.message;
    if (typeof doc !== 'object' || doc === null) fail({ kind: 'retry', scope: 'server', message: `ERPNext make_stock_entry returned no document: ${excerpt(made.body)}`, limited: true });
    return this.insert(send, record, doctype, keyed({ ...(doc as Record<string, unknown>), docstatus: 1 }, record, this.options, 'remarks'));
  }

  async find(record: ErpRecord, send: Send): Promise<Booked | undefined> {
    const { doctype, field } = target(record, this.options);
    const token = keyToken(record.key);
    // The token starts the text: alone, or followed by a space. MariaDB compares case-insensitively, and
    // Frappe's LIKE keeps `_` a wildcard (it doubles backslashes, so no escape works): the query only
    // narrows the rows, each returned row is then compared exactly here.
    const query: Record<string, string> = { fields: JSON.stringify(['name', field]), limit_page_length: String(LOOKUP_PAGE) };
    if (this.options.keyField) query.filters = JSON.stringify([[field, '=', token]]);
    else query.or_filters = JSON.stringify([[field, '=', token], [field, 'like', `${frappeLikeLiteral(token)} %`]]);
    for (let start = 0; ; start += LOOKUP_PAGE) {
      const q = new URLSearchParams({ ...query, limit_start: String(start) });
      const res = await send({ method: 'GET', path: `${resource(doctype)}?${q.toString()}`, headers: { accept: 'application/json' } });
      if (res.status !== 200) throw new ErpFailure(classifyFrappeFailure(res, this.now()));
      const data = (jsonOf(res.body) as { data?: unknown } | undefined)?.data;
      if (!Array.isArray(data)) fail({ kind: 'retry', scope: 'server', message: `ERPNext look-up answer has no data list: ${excerpt(res.body)}`, limited: true });
      const rows = data as { name?: unknown; [field: string]: unknown }[];
      const hit = rows.find((row) => (this.options.keyField ? row[field] === token : startsWithToken(row[field], token)));
      if (hit) return typeof hit.name === 'string' ? { ref: `${doctype}/${hit.name}` } : { ref: `${doctype}/?` };
      if (rows.length < LOOKUP_PAGE) return undefined;
    }
  }
}
