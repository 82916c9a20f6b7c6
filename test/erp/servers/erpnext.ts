/**
 * A test ERPNext / Frappe: `/api/resource/<DocType>` with `Authorization: token key:secret` (401
 * AuthenticationError otherwise); Job Card (time logs, completed quantity within for_quantity, submit with
 * docstatus 1), Downtime Entry (required fields, stop_reason options), Stock Entry via
 * `make_stock_entry`; GET with `filters` and `or_filters` ("=" and "like" as Frappe on MariaDB runs them:
 * case-insensitive, `%` and `_` wildcards that cannot be escaped), `fields`, `limit_start`; a unique custom field `fh_key` when the test
 * asks for one (409 DuplicateEntryError); errors with the status of the exception class and
 * `_server_messages` as a JSON string of a list of JSON strings.
 */
import express from 'express';
import type { Request, Response } from 'express';
import type { Fault } from './common';
import { TestServer, applyFaultBefore, sqlLike, str } from './common';

const STOP_REASONS = ['Excessive machine set up time', 'Unplanned machine maintenance', 'On-machine press checks', 'Machine operator errors', 'Machine malfunction', 'Electricity down', 'Other'];

/**
 * A Frappe filter condition as MariaDB evaluates it with its usual collation (utf8mb4_unicode_ci):
 * `=` ignores case and trailing spaces; for `like` Frappe doubles every backslash of the value (so a
 * backslash is always literal and `%` and `_` cannot be escaped), then MariaDB's LIKE applies.
 */
export function frappeCondition(actual: string, op: string, value: string): boolean {
  if (op === '=') return actual.replace(/ +$/, '').toLowerCase() === value.replace(/ +$/, '').toLowerCase();
  if (op === 'like') return sqlLike(actual, value.replace(/\\/g, '\\\\'), { caseInsensitive: true });
  return false;
}

class FrappeError extends Error {
  constructor(
    readonly status: number,
    readonly excType: string,
    message: string,
  ) {
    super(message);
  }
}

/** The body Frappe sends for an exception: `_server_messages` encoded twice. */
export function frappeErrorBody(excType: string, message: string): Record<string, unknown> {
  return {
    exception: `frappe.exceptions.${excType}: ${message}`,
    exc_type: excType,
    exc: JSON.stringify([`Traceback (most recent call last):\n  ...\nfrappe.exceptions.${excType}: ${message}`]),
    _server_messages: JSON.stringify([JSON.stringify({ message, title: 'Message', indicator: 'red', raise_exception: 1 })]),
  };
}

export class ErpnextTestServer extends TestServer {
  readonly docs: Record<string, Record<string, unknown>[]> = { 'Job Card': [], 'Downtime Entry': [], 'Stock Entry': [], 'Shift OEE': [] };
  readonly workOrders = new Set(Array.from({ length: 30 }, (_, i) => `MFG-WO-2024-${str(i + 1).padStart(5, '0')}`));
  private counter = 0;

  constructor(
    readonly apiKey = 'a1b2c3d4e5',
    public apiSecret = 'f6e5d4c3b2a1',
    /** Custom unique field holding the key token, as a customer would add it; empty: none. */
    readonly uniqueKeyField = '',
  ) {
    const app = express();
    super(app);
    app.use(express.json({ limit: '1mb' }));
    app.use((req, res, next) => {
      if (req.headers.authorization !== `token ${this.apiKey}:${this.apiSecret}`) {
        res.status(401).json(frappeErrorBody('AuthenticationError', 'Invalid login credentials'));
        return;
      }
      next();
    });
    app.post('/api/method/erpnext.manufacturing.doctype.work_order.work_order.make_stock_entry', (req, res) => this.makeStockEntry(req, res));
    app.post('/api/resource/:doctype', (req, res) => void this.insert(req, res));
    app.get('/api/resource/:doctype', (req, res) => this.list(req, res));
  }

  /** The API secret is regenerated (the integration's token is now invalid). */
  revokeToken(): void {
    this.apiSecret = `${this.apiSecret}-new`;
  }

  private fail(res: Response, err: FrappeError): void {
    res.status(err.status).json(frappeErrorBody(err.excType, err.message));
  }

  private makeStockEntry(req: Request, res: Response): void {
    const { work_order_id, purpose, qty } = req.body as { work_order_id?: string; purpose?: string; qty?: number };
    if (!work_order_id || !this.workOrders.has(work_order_id)) return this.fail(res, new FrappeError(404, 'DoesNotExistError', `Work Order ${str(work_order_id)} not found`));
    res.json({ message: { doctype: 'Stock Entry', stock_entry_type: purpose, purpose, work_order: work_order_id, fg_completed_qty: qty, from_bom: 1, items: [{ item_code: 'FG-1', qty, t_warehouse: 'Finished Goods - F' }] } });
  }

  private list(req: Request, res: Response): void {
    this.lookupCount++;
    const doctype = str(req.params.doctype);
    const docs = this.docs[doctype];
    if (!docs) return this.fail(res, new FrappeError(404, 'DoesNotExistError', `DocType ${doctype} not found`));
    let filters: [string, string, string][] = [];
    let orFilters: [string, string, string][] = [];
    let fields: string[] = ['name'];
    try {
      filters = JSON.parse(str(req.query.filters ?? '[]')) as [string, string, string][];
      orFilters = JSON.parse(str(req.query.or_filters ?? '[]')) as [string, string, string][];
      fields = JSON.parse(str(req.query.fields ?? '["name"]')) as string[];
    } catch {
      return this.fail(res, new FrappeError(417, 'ValidationError', 'filters, or_filters or fields is not JSON'));
    }
    const test = ([f, op, v]: [string, string, string], d: Record<string, unknown>): boolean => frappeCondition(str(d[f] ?? ''), op, v);
    const found = docs.filter((d) => filters.every((c) => test(c, d)) && (orFilters.length === 0 || orFilters.some((c) => test(c, d))));
    const start = Number(req.query.limit_start ?? 0);
    const page = found.slice(start, start + Number(req.query.limit_page_length ?? 20));
    res.json({ data: page.map((d) => Object.fromEntries(fields.map((f) => [f, d[f] ?? null]))) });
  }

  private validate(doctype: string, doc: Record<string, unknown>): void {
    const required = (fields: string[]): void => {
      for (const f of fields) if (doc[f] === undefined || doc[f] === '' || doc[f] === null) throw new FrappeError(417, 'MandatoryError', `[${doctype}, New ${doctype} 1]: ${f}`);
    };
    if (doctype === 'Job Card') {
      required(['work_order', 'operation', 'for_quantity']);
      if (!this.workOrders.has(str(doc.work_order))) throw new FrappeError(417, 'LinkValidationError', `Could not find Work Order: ${str(doc.work_order)}`);
      const logs = (doc.time_logs as Record<string, unknown>[] | undefined) ?? [];
      let total = 0;
      for (const log of logs) {
        if (!/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(str(log.from_time)) || !/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(str(log.to_time))) throw new FrappeError(417, 'ValidationError', 'Row #1: From Time and To Time must be datetimes');
        if (Number(log.completed_qty) < 0) throw new FrappeError(417, 'ValidationError', 'Row #1: Completed Qty cannot be negative');
        total += Number(log.completed_qty);
      }
      if (total > Number(doc.for_quantity)) throw new FrappeError(417, 'ValidationError', `Row #1: Completed Qty (${total}) cannot be greater than Qty To Manufacture (${str(doc.for_quantity)})`);
    } else if (doctype === 'Downtime Entry') {
      required(['workstation', 'operator', 'from_time', 'to_time', 'stop_reason']);
      if (!STOP_REASONS.includes(str(doc.stop_reason))) throw new FrappeError(417, 'ValidationError', `Stop Reason cannot be "${str(doc.stop_reason)}". It should be one of "${STOP_REASONS.join('", "')}"`);
    } else if (doctype === 'Stock Entry') {
      required(['purpose', 'work_order', 'items']);
    }
  }

  private async insert(req: Request, res: Response): Promise<void> {
    this.postCount++;
    const doctype = str(req.params.doctype);
    const docs = this.docs[doctype];
    if (!docs) return this.fail(res, new FrappeError(404, 'DoesNotExistError', `DocType ${doctype} not found`));
    const fault: Fault | undefined = this.faults.take();
    const step = await applyFaultBefore(fault, req, res, (status, body, headers = {}) => {
      if (status === 503) res.status(503).set(headers).json(frappeErrorBody('SessionStopped', 'Session Stopped'));
      else res.status(status).set(headers).json(body);
    });
    if (step === 'answered') return;
    const doc = req.body as Record<string, unknown>;
    try {
      if (fault?.type === 'validation') throw new FrappeError(417, 'ValidationError', fault.message ?? 'Operation Assembly is not in the Work Order');
      this.validate(doctype, doc);
      if (this.uniqueKeyField && docs.some((d) => d[this.uniqueKeyField] === doc[this.uniqueKeyField])) {
        throw new FrappeError(409, 'DuplicateEntryError', `Duplicate entry '${str(doc[this.uniqueKeyField])}' for key '${this.uniqueKeyField}'`);
      }
    } catch (err) {
      if (err instanceof FrappeError) return this.fail(res, err);
      throw err;
    }
    const prefix = doctype === 'Job Card' ? 'PO-JOB' : doctype === 'Downtime Entry' ? 'DT-' : doctype === 'Stock Entry' ? 'MAT-STE-' : 'OEE-';
    const name = `${prefix}${str(++this.counter).padStart(5, '0')}`;
    const stored = { ...doc, name, doctype, docstatus: doc.docstatus ?? 0 };
    docs.push(stored);
    const text = str((this.uniqueKeyField ? doc[this.uniqueKeyField] : undefined) ?? doc.remarks ?? doc.more_details ?? '');
    this.bookings.push({ token: /FH-\S+/.exec(text)?.[0] ?? text, order: str(doc.work_order ?? doc.workstation ?? ''), at: Date.now(), doc: stored });
    if (step === 'drop-after') {
      req.socket.destroy();
      return;
    }
    res.json({ data: stored });
  }
}
