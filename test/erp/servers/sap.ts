/**
 * A test SAP S/4HANA speaking API_PROD_ORDER_CONFIRMATION_2_SRV as the reference describes it (section 1):
 * basic auth; the CSRF handshake (GET/HEAD with `X-CSRF-Token: Fetch` on the service root, $metadata or
 * the entity set, with or without the trailing slash) setting SAP_SESSIONID_S4H_100 and
 * sap-XSRF_S4H_100; writes without a valid token for the session cookie get `403 X-CSRF-Token: Required`;
 * formats checked (decimals as strings, /Date(ms)/, PThhHmmMss, ConfirmationText <= 40); order-level
 * and operation-level confirmations not mixed on one order; 201 with the `d` entity; $filter on
 * ConfirmationText and OrderID; errors in the OData V2 envelope.
 */
import { randomBytes } from 'node:crypto';
import express from 'express';
import type { Request, Response } from 'express';
import type { Fault } from './common';
import { TestServer, applyFaultBefore, str } from './common';

export const SAP_SERVICE = '/sap/opu/odata/sap/API_PROD_ORDER_CONFIRMATION_2_SRV';

interface Session {
  token: string;
}

function odataError(code: string, message: string): Record<string, unknown> {
  return {
    error: {
      code,
      message: { lang: 'en', value: message },
      innererror: {
        application: { component_id: 'PP-SFC', service_namespace: '/SAP/', service_id: 'API_PROD_ORDER_CONFIRMATION_2_SRV', service_version: '0001' },
        transactionid: randomBytes(16).toString('hex').toUpperCase(),
        timestamp: '20240615060001.1234567',
        Error_Resolution: { SAP_Transaction: 'Run transaction /IWFND/ERROR_LOG on SAP Gateway hub system', SAP_Note: 'See SAP Note 1797736' },
        errordetails: [{ code, message, propertyref: '', severity: 'error', target: '' }],
      },
    },
  };
}

export class SapTestServer extends TestServer {
  private readonly sessions = new Map<string, Session>();
  csrfFetches = 0;
  /** Order -> whether it got operation-level confirmations (true) or order-level ones (false). */
  private readonly orderLevel = new Map<string, boolean>();
  private readonly groups = new Map<string, { group: string; count: number }>();
  private nextGroup = 200;

  constructor(readonly user = 'COMM_USER', readonly password = 'Secret-123') {
    const app = express();
    super(app);
    app.use((req, res, next) => {
      const expected = `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}`;
      if (req.headers.authorization !== expected) {
        res.status(401).set('WWW-Authenticate', 'Basic realm="SAP NetWeaver Application Server [S4H/100]"').type('text/html').send('<html><body>Logon failed</body></html>');
        return;
      }
      next();
    });
    app.use(express.json({ limit: '1mb' }));
    const fetchable = [SAP_SERVICE, `${SAP_SERVICE}/`, `${SAP_SERVICE}/$metadata`, `${SAP_SERVICE}/ProdnOrdConf2`];
    app.head(fetchable, (req, res) => this.csrfFetch(req, res, true));
    app.get(fetchable.slice(0, 3), (req, res) => this.csrfFetch(req, res, false));
    app.get(`${SAP_SERVICE}/ProdnOrdConf2`, (req, res) => this.query(req, res));
    app.post(`${SAP_SERVICE}/ProdnOrdConf2`, (req, res) => void this.create(req, res));
  }

  /** Forgets every session (timeout): the next write gets 403 X-CSRF-Token: Required. */
  expireSessions(): void {
    this.sessions.clear();
  }

  private sessionOf(req: Request): Session | undefined {
    const m = /SAP_SESSIONID_S4H_100=([^;]+)/.exec(req.headers.cookie ?? '');
    return m ? this.sessions.get(m[1]) : undefined;
  }

  private csrfFetch(req: Request, res: Response, head: boolean): void {
    if (str(req.headers['x-csrf-token'] ?? '').toLowerCase() === 'fetch') {
      const sid = randomBytes(12).toString('hex');
      const token = randomBytes(16).toString('base64');
      this.sessions.set(sid, { token });
      this.csrfFetches++;
      res.set('X-CSRF-Token', token);
      res.append('Set-Cookie', `SAP_SESSIONID_S4H_100=${sid}; path=/; HttpOnly`);
      res.append('Set-Cookie', `sap-XSRF_S4H_100=${randomBytes(8).toString('hex')}; path=/sap/opu/odata/sap/; secure; HttpOnly`);
    }
    if (head) {
      res.status(200).end();
      return;
    }
    res.json({ d: { EntitySets: ['ProdnOrdConf2', 'ProdnOrdConfMatlDocItm'] } });
  }

  private query(req: Request, res: Response): void {
    this.lookupCount++;
    const filter = typeof req.query.$filter === 'string' ? req.query.$filter : '';
    const conds = [...filter.matchAll(/(\w+) eq '((?:[^']|'')*)'/g)].map((m) => [m[1], m[2].replace(/''/g, "'")] as const);
    const results = this.bookings
      .filter((b) => conds.every(([field, value]) => str(b.doc[field] ?? '') === value))
      .map((b) => ({ __metadata: { type: 'API_PROD_ORDER_CONFIRMATION_2_SRV.ProdnOrdConf2Type' }, ConfirmationGroup: b.doc.ConfirmationGroup, ConfirmationCount: b.doc.ConfirmationCount, ConfirmationText: b.doc.ConfirmationText, OrderID: b.doc.OrderID }));
    res.json({ d: { results } });
  }

  /** Problems SAP would report for a create body. */
  private validate(body: Record<string, unknown>): string | undefined {
    if (typeof body.OrderID !== 'string' || !body.OrderID) return 'Enter an order number';
    for (const f of ['ConfirmationYieldQuantity', 'ConfirmationScrapQuantity', 'ConfirmationReworkQuantity', 'ConfirmedBreakDuration']) {
      if (body[f] !== undefined && (typeof body[f] !== 'string' || !/^-?\d+(\.\d+)?$/.test(body[f]))) return `Property '${f}' has invalid value: Edm.Decimal expects a string`;
      if (typeof body[f] === 'string' && (body[f]).startsWith('-')) return `Quantity ${f} must not be negative`;
    }
    for (const [f, v] of Object.entries(body)) {
      if (/Date$/.test(f) && v !== undefined && !/^\/Date\(\d+\)\/$/.test(str(v))) return `Property '${f}' has invalid value '${str(v)}'`;
      if (/Time$/.test(f) && f !== 'TimeRecording' && v !== undefined && !/^PT\d\dH\d\dM\d\dS$/.test(str(v))) return `Property '${f}' has invalid value '${str(v)}'`;
    }
    if (typeof body.ConfirmationText === 'string' && body.ConfirmationText.length > 40) return 'ConfirmationText is longer than 40 characters';
    const opLevel = body.OrderOperation !== undefined;
    const known = this.orderLevel.get(body.OrderID);
    if (known !== undefined && known !== opLevel) return `Order ${body.OrderID}: order and operation confirmations cannot be mixed`;
    return undefined;
  }

  private async create(req: Request, res: Response): Promise<void> {
    this.postCount++;
    const session = this.sessionOf(req);
    if (!session || req.headers['x-csrf-token'] !== session.token) {
      res.status(403).set('X-CSRF-Token', 'Required').type('text/plain').send('CSRF token validation failed');
      return;
    }
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.status(status).set(headers).json(status >= 400 ? odataError('/IWFND/CM_BEC/026', `HTTP ${status}`) : body);
    };
    const fault: Fault | undefined = this.faults.take();
    const step = await applyFaultBefore(fault, req, res, answer);
    if (step === 'answered') return;
    if (fault?.type === 'validation') {
      res.status(400).json(odataError('RU/505', fault.message ?? 'Confirmation quantity exceeds the planned quantity of the operation'));
      return;
    }
    if (fault?.type === 'locked') {
      res.status(400).json(odataError('CO/071', `Order ${str((req.body as { OrderID?: unknown }).OrderID)} is locked by user PLANNER01`));
      return;
    }
    const body = req.body as Record<string, unknown>;
    const problem = this.validate(body);
    if (problem) {
      res.status(400).json(odataError('RU/000', problem));
      return;
    }
    const order = body.OrderID as string;
    this.orderLevel.set(order, body.OrderOperation !== undefined);
    const g = this.groups.get(order) ?? { group: str(this.nextGroup++), count: 0 };
    g.count++;
    this.groups.set(order, g);
    const entity = { ...body, ConfirmationGroup: g.group, ConfirmationCount: str(g.count) };
    this.bookings.push({ token: str(body.ConfirmationText ?? ''), order, at: Date.now(), doc: entity });
    if (step === 'drop-after') {
      req.socket.destroy();
      return;
    }
    const uri = `${this.url}${SAP_SERVICE}/ProdnOrdConf2(ConfirmationGroup='${g.group}',ConfirmationCount='${g.count}')`;
    res.status(201).json({ d: { __metadata: { id: uri, uri, type: 'API_PROD_ORDER_CONFIRMATION_2_SRV.ProdnOrdConf2Type' }, ...entity } });
  }
}
