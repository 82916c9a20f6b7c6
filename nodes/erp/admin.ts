/**
 * Admin endpoints of the ERP outboxes, for the dashboard and IT (Node-RED admin API, login required):
 *
 *   GET  /factoryhub/erp/outboxes                        erp.read   [{id, name, dialect, baseUrl, stats}]
 *   GET  /factoryhub/erp/outboxes/:id                    erp.read   {id, name, dialect, baseUrl, stats}
 *   GET  /factoryhub/erp/outboxes/:id/dead-letters       erp.read   {deadLetters: [...]}  (?limit=100&offset=0)
 *   POST /factoryhub/erp/outboxes/:id/retry              erp.write  body {keys?: [...]} (none: all)  -> {requeued}
 *   POST /factoryhub/erp/outboxes/:id/purge              erp.write  body {keys: [...]} or {all: true} -> {purged}
 *
 * Retry and purge are logged with the user's name. Purge deletes dead letters only: records waiting for
 * delivery cannot be deleted here (nothing accepted is dropped behind the ERP's back).
 */
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import type { RegisteredConnection } from './registry';
import { getConnection, listConnections } from './registry';
import { messageOf } from '../shared/errors';

export const ERP_ROUTE = '/factoryhub/erp/outboxes';

const registered = new WeakSet<object>();

function describe(c: RegisteredConnection): Record<string, unknown> {
  return { id: c.id, name: c.name, dialect: c.dialect, baseUrl: c.baseUrl, stats: c.outbox.stats() };
}

function keysOf(body: unknown): string[] | undefined | Error {
  const keys = (body as { keys?: unknown } | undefined)?.keys;
  if (keys === undefined) return undefined;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) return new Error('keys must be a list of record keys');
  return keys;
}

function userName(req: Request): string {
  const user = (req as Request & { user?: { username?: unknown } }).user;
  return typeof user?.username === 'string' ? user.username : 'an anonymous user';
}

export function registerErpAdmin(RED: NodeAPI): void {
  const app = RED.httpAdmin;
  if (registered.has(app)) return;
  registered.add(app);
  const canRead = RED.auth.needsPermission('erp.read');
  const canWrite = RED.auth.needsPermission('erp.write');
  const withConnection = (work: (c: RegisteredConnection, req: Request, res: Response) => Promise<void> | void) => (req: Request, res: Response): void => {
    const c = getConnection(String(req.params.id));
    if (!c || c.outbox.isClosed) {
      res.status(404).json({ error: `there is no ERP connection ${String(req.params.id)} deployed` });
      return;
    }
    Promise.resolve(work(c, req, res)).catch((err: unknown) => {
      RED.log.error(`ERP admin: ${req.method} ${req.originalUrl}: ${messageOf(err)}`);
      if (!res.headersSent) res.status(500).json({ error: messageOf(err) });
    });
  };

  app.get(ERP_ROUTE, canRead, (_req: Request, res: Response) => {
    res.json(listConnections().filter((c) => !c.outbox.isClosed).map(describe));
  });
  app.get(`${ERP_ROUTE}/:id`, canRead, withConnection((c, _req, res) => {
    res.json(describe(c));
  }));
  app.get(`${ERP_ROUTE}/:id/dead-letters`, canRead, withConnection((c, req, res) => {
    const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 100) || 100));
    const offset = Math.max(0, Number(req.query.offset ?? 0) || 0);
    res.json({ deadLetters: c.outbox.deadLetters(limit, offset), total: c.outbox.stats().deadLetters });
  }));
  app.post(`${ERP_ROUTE}/:id/retry`, canWrite, withConnection(async (c, req, res) => {
    const keys = keysOf(req.body);
    if (keys instanceof Error) {
      res.status(400).json({ error: keys.message });
      return;
    }
    const requeued = await c.outbox.retry(keys);
    RED.log.info(`ERP outbox "${c.name}": ${userName(req)} requeued ${requeued} dead letter(s)${keys ? `: ${keys.join(', ')}` : ''}`);
    res.json({ requeued });
  }));
  app.post(`${ERP_ROUTE}/:id/purge`, canWrite, withConnection(async (c, req, res) => {
    const keys = keysOf(req.body);
    if (keys instanceof Error || (keys === undefined && (req.body as { all?: unknown } | undefined)?.all !== true)) {
      res.status(400).json({ error: keys instanceof Error ? keys.message : 'name the dead letters to purge ({"keys": [...]}) or purge all with {"all": true}' });
      return;
    }
    const purged = await c.outbox.purge(keys);
    RED.log.warn(`ERP outbox "${c.name}": ${userName(req)} purged ${purged} dead letter(s)${keys ? `: ${keys.join(', ')}` : ''}`);
    res.json({ purged });
  }));
}
