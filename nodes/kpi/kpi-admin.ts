/**
 * The KPI store's HTTP endpoint for BI tools and scripts (Node-RED admin API: a login or an API token,
 * permission kpi.read):
 *
 *   GET /factoryhub/kpi/stores                 [{id, name, backend, timeZone, queue}]
 *   GET /factoryhub/kpi/stores/:id/query?type=oee&by=machine&period=day&from=2026-11-01&to=2026-12-01
 *       -> {type, columns, rows}; with format=csv the CSV (UTF-8 BOM; decimal=, for a decimal comma)
 *
 * Every query parameter but format and decimal is a field of the query (as fh-kpi-query takes it).
 * Errors {error} with 400 (a bad query, naming the field) or 404; the database away is a 503.
 */
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { toCsv } from './csv';
import { QueryError } from './query-types';
import type { KpiService } from './service';
import { messageOf } from '../shared/errors';
import { HttpError, addRoute } from '../shared/http-route';

export const KPI_ROUTE = '/factoryhub/kpi/stores';

export interface RegisteredStore {
  readonly id: string;
  readonly name: string;
  readonly service: KpiService;
}

const stores = new Map<string, RegisteredStore>();

export function registerStore(s: RegisteredStore): void {
  stores.set(s.id, s);
}

export function unregisterStore(id: string, service: KpiService): void {
  if (stores.get(id)?.service === service) stores.delete(id);
}

const registered = new WeakSet<object>();

function describe(s: RegisteredStore): Record<string, unknown> {
  const c = s.service.config;
  return { id: s.id, name: s.name, backend: c.backend.kind, timeZone: c.timeZone, queue: s.service.queue.stats() };
}

export function registerKpiAdmin(RED: NodeAPI): void {
  if (registered.has(RED.httpAdmin)) return;
  registered.add(RED.httpAdmin);
  const red = RED as unknown as Parameters<typeof addRoute>[0];
  addRoute(red, { method: 'get', path: KPI_ROUTE, permission: 'kpi.read' }, (_req: Request, res: Response) => {
    res.json([...stores.values()].map(describe));
  });
  addRoute(red, { method: 'get', path: `${KPI_ROUTE}/:id/query`, permission: 'kpi.read' }, async (req: Request, res: Response) => {
    const store = stores.get(String(req.params.id));
    if (store === undefined) throw new HttpError(404, `no KPI store ${String(req.params.id).slice(0, 40)} in the deployed flows`);
    const { format, decimal, ...rest } = req.query as Record<string, unknown>;
    if (format !== undefined && format !== 'json' && format !== 'csv') throw new HttpError(400, 'format must be json or csv');
    if (decimal !== undefined && decimal !== '.' && decimal !== ',') throw new HttpError(400, 'decimal must be . or ,');
    for (const [k, v] of Object.entries(rest)) if (typeof v !== 'string') throw new HttpError(400, `query parameter ${k.slice(0, 40)} must be given once`);
    let result;
    try {
      result = await store.service.query(rest);
    } catch (err) {
      if (err instanceof QueryError) throw new HttpError(400, err.message);
      throw new HttpError(503, `the KPI database did not answer: ${messageOf(err).slice(0, 300)}`);
    }
    if (format === 'csv') {
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="kpi-${result.type}.csv"`);
      res.send(toCsv(result, { decimal: decimal === ',' ? ',' : '.' }));
    } else res.json(result);
  });
}
