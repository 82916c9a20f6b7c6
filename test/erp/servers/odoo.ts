/**
 * A test Odoo speaking JSON-RPC `/jsonrpc` (common.authenticate returning a uid or false; object.execute_kw
 * with db, uid and password on every call; errors with HTTP 200 and `error.data.name`) and the JSON-2 API
 * (`/json/2/<model>/<method>`, bearer API key, named arguments; 401/422 JSON errors). Models: mrp.workcenter,
 * mrp.workorder (with production_id.name), mrp.workcenter.productivity.loss, mrp.workcenter.productivity
 * ("cannot be started twice"), and a custom x_fh_shift_oee. Session expiry: execute_kw answers
 * odoo.http.SessionExpiredException until the client authenticates again.
 */
import express from 'express';
import type { Request, Response } from 'express';
import type { Fault } from './common';
import { TestServer, applyFaultBefore, sqlLike, str } from './common';

type Row = Record<string, unknown> & { id: number };
type Leaf = [string, string, unknown];
type Domain = (Leaf | '|' | '&' | '!')[];

class OdooError extends Error {
  constructor(
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }
}

export class OdooTestServer extends TestServer {
  readonly models: Record<string, Row[]> = {
    'mrp.workcenter': [
      { id: 3, name: 'Line-1', code: 'L1' },
      { id: 4, name: 'Line-2', code: 'L2' },
    ],
    'mrp.workorder': [],
    'mrp.workcenter.productivity.loss': [
      { id: 1, name: 'Productive', loss_type: 'productive' },
      { id: 5, name: 'Equipment Failure', loss_type: 'availability' },
      { id: 6, name: 'Setup and Adjustments', loss_type: 'availability' },
    ],
    'mrp.workcenter.productivity': [],
    x_fh_shift_oee: [],
  };
  /** uids whose session is valid (cleared by expireSessions). */
  private readonly valid = new Set<number>();
  authentications = 0;
  private nextId = 100;

  constructor(
    readonly database = 'factory',
    readonly login = 'mes-bot',
    readonly password = 'odoo-api-key-1',
    readonly apiKey = 'json2-key-abc',
  ) {
    const app = express();
    super(app);
    for (let i = 1; i <= 30; i++) {
      this.models['mrp.workorder'].push({ id: 1000 + i, production: `WH/MO/${str(i).padStart(5, '0')}`, name: 'Assembly', workcenter_id: [3, 'Line-1'] });
    }
    app.use(express.json({ limit: '1mb' }));
    app.post('/jsonrpc', (req, res) => void this.jsonrpc(req, res));
    app.post('/json/2/:model/:method', (req, res) => void this.json2(req, res));
  }

  expireSessions(): void {
    this.valid.clear();
  }

  /** Records of the productivity log booked with our key token. */
  get productivity(): Row[] {
    return this.models['mrp.workcenter.productivity'];
  }

  private rpcError(res: Response, id: unknown, name: string, message: string): void {
    // Odoo answers errors with HTTP 200 and a JSON-RPC error object.
    res.status(200).json({ jsonrpc: '2.0', id, error: { code: name.includes('SessionExpired') ? 100 : 200, message: name.includes('SessionExpired') ? 'Odoo Session Expired' : 'Odoo Server Error', data: { name, message, arguments: [message], debug: `Traceback (most recent call last):\n  ...\n${name}: ${message}`, context: {} } } });
  }

  private async jsonrpc(req: Request, res: Response): Promise<void> {
    const body = req.body as { id?: unknown; params?: { service?: unknown; method?: unknown; args?: unknown[] } };
    const id = body.id ?? null;
    const { service, method } = body.params ?? {};
    const args = body.params?.args ?? [];
    if (service === 'common' && method === 'authenticate') {
      const [db, login, password] = args;
      if (db !== this.database) return this.rpcError(res, id, 'psycopg2.OperationalError', `FATAL: database "${str(db)}" does not exist`);
      this.authentications++;
      const ok = login === this.login && password === this.password;
      if (ok) this.valid.add(7);
      res.json({ jsonrpc: '2.0', id, result: ok ? 7 : false });
      return;
    }
    if (service !== 'object' || method !== 'execute_kw') return this.rpcError(res, id, 'werkzeug.exceptions.NotFound', `no method ${str(service)}.${str(method)}`);
    const [db, uid, password, model, call, callArgs, kwargs] = args as [unknown, unknown, unknown, string, string, unknown[], Record<string, unknown> | undefined];
    if (db !== this.database || password !== this.password) return this.rpcError(res, id, 'odoo.exceptions.AccessDenied', 'Access Denied');
    if (typeof uid !== 'number' || !this.valid.has(uid)) return this.rpcError(res, id, 'odoo.http.SessionExpiredException', 'Session expired');
    await this.dispatch(req, res, model, call, (kind) => {
      if (kind === 'create') return { vals: (callArgs[0] as Record<string, unknown>[] | Record<string, unknown>) };
      return { domain: callArgs[0] as Domain, fields: kwargs?.fields as string[] | undefined, limit: kwargs?.limit as number | undefined };
    }, (result) => res.json({ jsonrpc: '2.0', id, result }), (name, message) => this.rpcError(res, id, name, message));
  }

  private async json2(req: Request, res: Response): Promise<void> {
    if (req.headers.authorization?.replace(/^bearer /i, '') !== this.apiKey) {
      res.status(401).json({ name: 'werkzeug.exceptions.Unauthorized', message: 'Invalid apikey', arguments: ['Invalid apikey', 401], context: {}, debug: '' });
      return;
    }
    const { model, method } = req.params as { model: string; method: string };
    const body = req.body as Record<string, unknown>;
    const allowed = method === 'create' ? ['vals_list', 'context'] : ['domain', 'fields', 'limit', 'offset', 'order', 'context'];
    const bad = Object.keys(body).find((k) => !allowed.includes(k));
    if (bad) {
      res.status(422).json({ name: 'builtins.TypeError', message: `${model}.${method}() got an unexpected keyword argument '${bad}'`, arguments: [], context: {}, debug: '' });
      return;
    }
    await this.dispatch(req, res, model, method, (kind) => (kind === 'create' ? { vals: body.vals_list as Record<string, unknown>[] } : { domain: body.domain as Domain, fields: body.fields as string[] | undefined, limit: body.limit as number | undefined }), (result) => res.json(result), (name, message) => {
      res.status(name.includes('AccessDenied') ? 403 : 422).json({ name, message, arguments: [message], context: {}, debug: '' });
    });
  }

  private async dispatch(
    req: Request,
    res: Response,
    model: string,
    method: string,
    params: (kind: 'create' | 'search') => { vals?: Record<string, unknown>[] | Record<string, unknown>; domain?: Domain; fields?: string[]; limit?: number },
    ok: (result: unknown) => void,
    error: (name: string, message: string) => void,
  ): Promise<void> {
    const rows = this.models[model];
    if (!rows) return error('builtins.KeyError', model);
    try {
      if (method === 'search_read') {
        this.lookupCount++;
        const p = params('search');
        const found = rows.filter((r) => this.domainMatches(r, p.domain ?? []));
        ok(found.slice(0, p.limit || undefined).map((r) => (p.fields?.length ? Object.fromEntries(['id', ...p.fields].map((f) => [f, f === 'workcenter_id' ? r.workcenter_id : r[f]])) : r)));
        return;
      }
      if (method !== 'create') return error('builtins.AttributeError', `type object '${model}' has no attribute '${method}'`);
      this.postCount++;
      const fault: Fault | undefined = this.faults.take();
      const step = await applyFaultBefore(fault, req, res, (status, body, headers = {}) => res.status(status).set(headers).json(body));
      if (step === 'answered') return;
      if (fault?.type === 'validation') throw new OdooError('odoo.exceptions.ValidationError', fault.message ?? 'The work order is already done.');
      if (fault?.type === 'locked') throw new OdooError('psycopg2.errors.SerializationFailure', 'could not serialize access due to concurrent update');
      const p = params('create');
      const list = Array.isArray(p.vals) ? p.vals : [p.vals ?? {}];
      const ids = list.map((vals) => this.create(model, vals));
      if (step === 'drop-after') {
        req.socket.destroy();
        return;
      }
      ok(Array.isArray(p.vals) ? ids : ids[0]);
    } catch (err) {
      if (err instanceof OdooError) error(err.errorName, err.message);
      else throw err;
    }
  }

  /** An Odoo domain in prefix notation: '|' and '&' take the next two terms, '!' one; leaves are ANDed. */
  private domainMatches(row: Row, domain: Domain): boolean {
    let i = 0;
    const term = (): boolean => {
      const t = domain[i++];
      if (t === undefined) throw new OdooError('builtins.ValueError', `Invalid domain ${JSON.stringify(domain)}`);
      if (t === '|') return [term(), term()].some(Boolean);
      if (t === '&') return [term(), term()].every(Boolean);
      if (t === '!') return !term();
      return this.matches(row, t);
    };
    let all = true;
    while (i < domain.length) all = term() && all;
    return all;
  }

  private matches(row: Row, [field, op, value]: Leaf): boolean {
    const actual = field === 'production_id.name' ? row.production : Array.isArray(row[field]) ? (row[field] as unknown[])[0] : row[field];
    if (op === '=') return actual === value;
    // `=like` hands the pattern to PostgreSQL's LIKE as it is: case-sensitive, backslash escapes.
    if (op === '=like') return typeof actual === 'string' && sqlLike(actual, str(value), { caseInsensitive: false });
    throw new OdooError('builtins.ValueError', `Invalid leaf ${JSON.stringify([field, op, value])}`);
  }

  private create(model: string, vals: Record<string, unknown>): number {
    if (model === 'mrp.workcenter.productivity') {
      for (const f of ['workcenter_id', 'loss_id', 'date_start']) if (vals[f] === undefined || vals[f] === false) throw new OdooError('odoo.exceptions.ValidationError', `The field '${f}' is required`);
      for (const f of ['date_start', 'date_end']) {
        if (vals[f] !== undefined && !/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(str(vals[f]))) throw new OdooError('builtins.ValueError', `time data '${str(vals[f])}' does not match format '%Y-%m-%d %H:%M:%S'`);
      }
      if (!this.models['mrp.workcenter.productivity.loss'].some((l) => l.id === vals.loss_id)) throw new OdooError('odoo.exceptions.ValidationError', `Record mrp.workcenter.productivity.loss(${str(vals.loss_id)}) does not exist`);
      if (vals.date_end === undefined && this.productivity.some((p) => p.workorder_id === vals.workorder_id && p.date_end === undefined)) {
        throw new OdooError('odoo.exceptions.UserError', `The Workorder (${str(vals.workorder_id)}) cannot be started twice!`);
      }
    }
    const id = this.nextId++;
    this.models[model].push({ ...vals, id });
    const text = str(vals.x_fh_key ?? vals.x_name ?? vals.description ?? '');
    const wo = this.models['mrp.workorder'].find((w) => w.id === vals.workorder_id);
    this.bookings.push({ token: /^FH-\S+/.exec(text)?.[0] ?? text, order: str(wo?.production ?? vals.workcenter_id ?? ''), at: Date.now(), doc: { ...vals, id } });
    return id;
  }
}
