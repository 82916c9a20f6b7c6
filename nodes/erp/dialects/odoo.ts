/**
 * Odoo 16-19 manufacturing: production confirmations and downtime as `mrp.workcenter.productivity` time
 * logs (productive loss for a confirmation, the reason's loss for a downtime) on the order's work order.
 * Two transports: JSON-RPC `/jsonrpc` (common.authenticate, then object.execute_kw; errors arrive with
 * HTTP 200) and the JSON-2 API `/json/2/<model>/<method>` (Odoo 19+, bearer API key, named arguments).
 *
 * - Reconciliation: the key token `FH-<key>` starts the log's `description` (standard field), or goes into
 *   a custom field (e.g. `x_fh_key`, ideally unique); after an ambiguous outcome a `search_read` on it
 *   (`=` on a custom field; `=` or `=like 'token %'` with wildcards escaped on the description), each row
 *   compared exactly.
 * - Quantities: the productivity log has no quantity field, so yield/scrap/rework are written into the
 *   description text (and into any custom fields given under `extra`); booking them onto the work order is
 *   a customer module's job, since Odoo has no keyed, atomic "record production" call in the community API.
 * - Shift OEE: only to a custom model (e.g. `x_fh_shift_oee`) when one is configured.
 * - Work centers and work orders are named in the record; their ids are looked up once and cached.
 */
import type { OdooCredentials, Send } from '../auth';
import { OdooSession } from '../auth';
import type { Booked, Failure } from '../outcome';
import { ErpFailure, excerpt, fail, jsonOf, statusFailure } from '../outcome';
import type { ErpRecord } from '../record';
import { RecordError, keyToken, startsWithToken } from '../record';
import { naiveDateTime } from '../time-format';
import type { Dialect } from './dialect';
import { classifyOdooError } from './odoo-rpc';

export interface OdooOptions {
  readonly api: 'jsonrpc' | 'json2';
  readonly database: string;
  /** Field that carries the key token; empty: the standard `description` (token first, then text). */
  readonly keyField: string;
  /** Custom model for shift OEE (fields x_workcenter, x_shift, x_date_start, ...); empty: refused. */
  readonly oeeModel: string;
}

export const DEFAULT_ODOO_OPTIONS: OdooOptions = { api: 'jsonrpc', database: '', keyField: '', oeeModel: '' };

const PRODUCTIVITY = 'mrp.workcenter.productivity';
/** An Odoo domain: leaves and prefix operators ('|' takes the next two). */
type Domain = ([string, string, unknown] | '|' | '&' | '!')[];

/** Calls a model method by transport; both give the same results for create and search_read. */
interface OdooCalls {
  create(send: Send, model: string, vals: Record<string, unknown>): Promise<number>;
  searchRead(send: Send, model: string, domain: Domain, fields: string[], limit: number): Promise<Record<string, unknown>[]>;
}

function idOf(result: unknown): number {
  const id = Array.isArray(result) ? (result[0] as unknown) : result;
  if (typeof id !== 'number') fail({ kind: 'retry', scope: 'server', message: `Odoo create returned ${JSON.stringify(result)}, not an id`, limited: true });
  return id;
}

function rowsOf(result: unknown): Record<string, unknown>[] {
  if (!Array.isArray(result)) fail({ kind: 'retry', scope: 'server', message: `Odoo search_read returned ${JSON.stringify(result).slice(0, 100)}, not a list`, limited: true });
  return result as Record<string, unknown>[];
}

class JsonRpcCalls implements OdooCalls {
  readonly session: OdooSession;
  constructor(credentials: OdooCredentials) {
    this.session = new OdooSession(credentials);
  }
  async create(send: Send, model: string, vals: Record<string, unknown>): Promise<number> {
    return idOf(await this.session.executeKw(send, model, 'create', [[vals]], { context: { tz: 'UTC' } }));
  }
  async searchRead(send: Send, model: string, domain: Domain, fields: string[], limit: number): Promise<Record<string, unknown>[]> {
    return rowsOf(await this.session.executeKw(send, model, 'search_read', [domain], { fields, limit }));
  }
}

/** JSON-2 errors: 4xx/5xx with {name, message, ...}; 401 is the API key, 422 bad arguments. */
export function classifyJson2Failure(status: number, body: string, retryAfter: string | undefined): Failure {
  const json = jsonOf(body) as { name?: unknown; message?: unknown } | undefined;
  const name = typeof json?.name === 'string' ? json.name : '';
  const message = typeof json?.message === 'string' ? json.message : excerpt(body);
  const generic = statusFailure({ status, headers: retryAfter !== undefined ? { 'retry-after': retryAfter } : {}, setCookies: [], body }, `Odoo ${name ? `${name}: ` : ''}${message}`);
  if (status >= 400 && status < 500 && generic.kind === 'permanent' && name) return classifyOdooError(name, message);
  return generic;
}

class Json2Calls implements OdooCalls {
  constructor(private readonly database: string) {}
  private async call(send: Send, model: string, method: string, params: Record<string, unknown>): Promise<unknown> {
    const res = await send({
      method: 'POST',
      path: `/json/2/${model}/${method}`,
      headers: { 'content-type': 'application/json; charset=utf-8', accept: 'application/json', ...(this.database ? { 'x-odoo-database': this.database } : {}) },
      body: JSON.stringify({ ...params, context: { tz: 'UTC' } }),
    });
    if (res.status !== 200) throw new ErpFailure(classifyJson2Failure(res.status, res.body, res.headers['retry-after']));
    const json = jsonOf(res.body);
    if (json === undefined) fail({ kind: 'retry', scope: 'server', message: `Odoo answered 200 without JSON: ${excerpt(res.body)}`, limited: true });
    return json;
  }
  async create(send: Send, model: string, vals: Record<string, unknown>): Promise<number> {
    return idOf(await this.call(send, model, 'create', { vals_list: [vals] }));
  }
  async searchRead(send: Send, model: string, domain: Domain, fields: string[], limit: number): Promise<Record<string, unknown>[]> {
    return rowsOf(await this.call(send, model, 'search_read', { domain, fields, limit }));
  }
}

/** `text` as a PostgreSQL LIKE pattern that matches only itself (backslash is LIKE's default escape). */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** many2one values come back as [id, "name"]. */
function many2oneId(v: unknown): number | undefined {
  if (Array.isArray(v) && typeof v[0] === 'number') return v[0];
  return typeof v === 'number' ? v : undefined;
}

export function odooProblems(record: ErpRecord, options: OdooOptions): string[] {
  const problems: string[] = [];
  if (record.kind === 'shift-oee' && !options.oeeModel) problems.push('Odoo has no standard model for shift OEE: set a custom model (e.g. x_fh_shift_oee) on the connection');
  if (record.kind !== 'shift-oee' && record.start === undefined) problems.push('start is missing: an Odoo time log (mrp.workcenter.productivity) needs date_start');
  if (record.kind === 'confirmation' && record.end === undefined) problems.push('end is missing: a confirmation is booked as a closed Odoo time log, which needs date_end');
  if (record.workCenter === undefined && record.order === undefined) problems.push('workCenter is missing: an Odoo time log needs a work center (or an order whose work order names one)');
  return problems;
}

/** The description of a time log: the key token first (it is looked up by prefix), then what happened. */
export function odooDescription(record: ErpRecord): string {
  const token = keyToken(record.key);
  if (record.kind === 'downtime') return `${token} ${record.reason ?? ''}`.trim();
  const unit = record.unit ? ` ${record.unit}` : '';
  const parts = [`yield ${record.yield ?? 0}${unit}`];
  if (record.scrap !== undefined) parts.push(`scrap ${record.scrap}${unit}`);
  if (record.rework !== undefined) parts.push(`rework ${record.rework}${unit}`);
  if (record.final) parts.push('final');
  return `${token} ${parts.join(', ')}`;
}

/** Values of the productivity log (ids resolved by the caller). */
export function odooProductivityValues(record: ErpRecord, ids: { workcenter: number; workorder?: number; loss: number }, options: OdooOptions): Record<string, unknown> {
  const vals: Record<string, unknown> = {
    workcenter_id: ids.workcenter,
    loss_id: ids.loss,
    date_start: naiveDateTime(record.start ?? 0, 'UTC'),
    description: odooDescription(record),
  };
  if (ids.workorder !== undefined) vals.workorder_id = ids.workorder;
  if (record.end !== undefined) vals.date_end = naiveDateTime(record.end, 'UTC');
  if (options.keyField) vals[options.keyField] = keyToken(record.key);
  return { ...vals, ...record.extra };
}

export function odooOeeValues(record: ErpRecord, workcenter: number): Record<string, unknown> {
  const o = record.oee;
  return {
    x_name: keyToken(record.key),
    x_workcenter_id: workcenter,
    x_shift: record.shift,
    x_date_start: naiveDateTime(record.start ?? 0, 'UTC'),
    x_date_end: naiveDateTime(record.end ?? 0, 'UTC'),
    x_availability: o?.availability,
    x_performance: o?.performance,
    x_quality: o?.quality,
    x_oee: o?.oee,
    ...(o?.goodCount !== undefined ? { x_good_count: o.goodCount } : {}),
    ...(o?.totalCount !== undefined ? { x_total_count: o.totalCount } : {}),
    ...record.extra,
  };
}

export class OdooDialect implements Dialect {
  readonly name = 'odoo' as const;
  readonly calls: OdooCalls;
  private readonly workcenters = new Map<string, number>();
  private readonly losses = new Map<string, number>();

  constructor(
    readonly options: OdooOptions,
    /** Login and password or API key, for JSON-RPC (JSON-2 uses the connection's bearer key). */
    credentials: OdooCredentials,
  ) {
    this.calls = options.api === 'json2' ? new Json2Calls(options.database) : new JsonRpcCalls(credentials);
  }

  check(record: ErpRecord): void {
    const problems = odooProblems(record, this.options);
    if (problems.length) throw new RecordError(problems);
  }

  private async workcenterId(send: Send, name: string): Promise<number> {
    if (/^\d+$/.test(name)) return Number(name);
    const cached = this.workcenters.get(name);
    if (cached !== undefined) return cached;
    const rows = await this.calls.searchRead(send, 'mrp.workcenter', [['name', '=', name]], ['id'], 1);
    const id = rows[0]?.id;
    if (typeof id !== 'number') fail({ kind: 'permanent', message: `Odoo has no work center named "${name}"` });
    this.workcenters.set(name, id);
    return id;
  }

  private async lossId(send: Send, record: ErpRecord): Promise<number> {
    const want = record.kind === 'confirmation' ? 'type:productive' : `name:${record.reason ?? ''}`;
    const cached = this.losses.get(want);
    if (cached !== undefined) return cached;
    let rows = record.kind === 'confirmation'
      ? await this.calls.searchRead(send, 'mrp.workcenter.productivity.loss', [['loss_type', '=', 'productive']], ['id'], 1)
      : await this.calls.searchRead(send, 'mrp.workcenter.productivity.loss', [['name', '=', record.reason ?? '']], ['id'], 1);
    // A downtime reason Odoo does not know is booked as an availability loss; the reason stays in the text.
    if (rows.length === 0 && record.kind === 'downtime') rows = await this.calls.searchRead(send, 'mrp.workcenter.productivity.loss', [['loss_type', '=', 'availability']], ['id'], 1);
    const id = rows[0]?.id;
    if (typeof id !== 'number') fail({ kind: 'permanent', message: `Odoo has no productivity loss for ${want.replace(':', ' ')}` });
    this.losses.set(want, id);
    return id;
  }

  /** The work order of the record's order (and operation or work center), with its work center. */
  private async workorder(send: Send, record: ErpRecord, workcenter: number | undefined): Promise<{ id: number; workcenter: number | undefined } | undefined> {
    if (record.order === undefined) return undefined;
    const domain: Domain = [['production_id.name', '=', record.order]];
    if (record.operation !== undefined) domain.push(['name', '=', record.operation]);
    else if (workcenter !== undefined) domain.push(['workcenter_id', '=', workcenter]);
    const rows = await this.calls.searchRead(send, 'mrp.workorder', domain, ['id', 'workcenter_id'], 1);
    const row = rows[0];
    if (typeof row?.id !== 'number') {
      fail({ kind: 'permanent', message: `Odoo has no work order for manufacturing order "${record.order}"${record.operation !== undefined ? ` operation "${record.operation}"` : ''}` });
    }
    return { id: row.id, workcenter: many2oneId(row.workcenter_id) };
  }

  async post(record: ErpRecord, send: Send): Promise<Booked> {
    const named = record.workCenter !== undefined ? await this.workcenterId(send, record.workCenter) : undefined;
    if (record.kind === 'shift-oee') {
      const id = await this.calls.create(send, this.options.oeeModel, odooOeeValues(record, named ?? 0));
      return { ref: `${this.options.oeeModel}/${id}` };
    }
    const wo = await this.workorder(send, record, named);
    const workcenter = named ?? wo?.workcenter;
    if (workcenter === undefined) fail({ kind: 'permanent', message: `Odoo work order of "${record.order ?? ''}" has no work center` });
    const loss = await this.lossId(send, record);
    const id = await this.calls.create(send, PRODUCTIVITY, odooProductivityValues(record, { workcenter, loss, ...(wo ? { workorder: wo.id } : {}) }, this.options));
    return { ref: `${PRODUCTIVITY}/${id}` };
  }

  async find(record: ErpRecord, send: Send): Promise<Booked | undefined> {
    const token = keyToken(record.key);
    const model = record.kind === 'shift-oee' ? this.options.oeeModel : PRODUCTIVITY;
    const field = record.kind === 'shift-oee' ? 'x_name' : this.options.keyField || 'description';
    // The description starts with the token, alone or followed by a space: `=like` with the token's
    // wildcards escaped, so FH-PK-1 does not find FH-PK-10 (nor FH-PK_1 find FH-PKX1).
    const domain: Domain = field === 'description' ? ['|', [field, '=', token], [field, '=like', `${likeLiteral(token)} %`]] : [[field, '=', token]];
    const rows = await this.calls.searchRead(send, model, domain, ['id', field], 10);
    const hit = rows.find((row) => (field === 'description' ? startsWithToken(row[field], token) : row[field] === token));
    return typeof hit?.id === 'number' ? { ref: `${model}/${hit.id}` } : undefined;
  }
}
