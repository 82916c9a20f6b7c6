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
 * Bounded (http-route.ts): bodies of at most 64 kB, at most 1,000 keys of at most 200 characters;
 * limit 1..1000, offset a whole number. Errors {error} with 400/404/413; a 500 names no cause.
 */
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import type { RegisteredConnection } from './registry';
import { getConnection, listConnections } from './registry';
import { HttpError, addRoute } from '../shared/http-route';
import type { BodyLimits } from '../shared/http-route';

export const ERP_ROUTE = '/factoryhub/erp/outboxes';

const registered = new WeakSet<object>();

function describe(c: RegisteredConnection): Record<string, unknown> {
  return { id: c.id, name: c.name, dialect: c.dialect, baseUrl: c.baseUrl, stats: c.outbox.stats() };
}

const MAX_KEYS = 1000;
const MAX_KEY_LENGTH = 200;
const KEYS_BODY: BodyLimits = { maxBytes: 64 * 1024, maxDepth: 3, maxValues: MAX_KEYS + 4 };

/** The body: an object with optional `keys` (a list of record keys) and, for purge, `all`. */
function bodyOf(body: unknown): { keys?: string[]; all?: unknown } {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the body must be a JSON object, e.g. {"keys": ["..."]}');
  const { keys, all } = body as { keys?: unknown; all?: unknown };
  if (keys === undefined) return { all };
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string' && k !== '' && k.length <= MAX_KEY_LENGTH)) {
    throw new HttpError(400, `keys must be a list of record keys (text of 1 to ${MAX_KEY_LENGTH} characters)`);
  }
  if (keys.length > MAX_KEYS) throw new HttpError(400, `keys: ${keys.length} given, at most ${MAX_KEYS} a request`);
  return { keys: keys as string[], all };
}

/** A whole number query parameter, or the fallback when absent. */
function intParam(value: unknown, fallback: number, min: number, max: number, what: string): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new HttpError(400, `${what} must be a whole number from ${min} to ${max}`);
  return n;
}

function userName(req: Request): string {
  const user = (req as Request & { user?: { username?: unknown } }).user;
  return typeof user?.username === 'string' ? user.username : 'an anonymous user';
}

/** `: a, b` of a log line, the first 20 keys and how many more. */
function listed(keys: readonly string[] | undefined): string {
  if (keys === undefined) return '';
  return `: ${keys.slice(0, 20).join(', ')}${keys.length > 20 ? ` and ${keys.length - 20} more` : ''}`;
}

export function registerErpAdmin(RED: NodeAPI): void {
  const app = RED.httpAdmin;
  if (registered.has(app)) return;
  registered.add(app);
    const connection = (req: Request): RegisteredConnection => {
    const id = String(req.params.id);
    const c = getConnection(id);
    if (!c || c.outbox.isClosed) throw new HttpError(404, `there is no ERP connection ${id.slice(0, 100)} deployed`);
    return c;
  };

  addRoute(RED, { method: 'get', path: ERP_ROUTE, permission: 'erp.read' }, (_req: Request, res: Response) => {
    res.json(listConnections().filter((c) => !c.outbox.isClosed).map(describe));
  });
  addRoute(RED, { method: 'get', path: `${ERP_ROUTE}/:id`, permission: 'erp.read' }, (req: Request, res: Response) => {
    res.json(describe(connection(req)));
  });
  addRoute(RED, { method: 'get', path: `${ERP_ROUTE}/:id/dead-letters`, permission: 'erp.read' }, (req: Request, res: Response) => {
    const c = connection(req);
    const limit = intParam(req.query.limit, 100, 1, 1000, 'limit');
    const offset = intParam(req.query.offset, 0, 0, Number.MAX_SAFE_INTEGER, 'offset');
    res.json({ deadLetters: c.outbox.deadLetters(limit, offset), total: c.outbox.stats().deadLetters });
  });
  addRoute(RED, { method: 'post', path: `${ERP_ROUTE}/:id/retry`, permission: 'erp.write', body: KEYS_BODY }, async (req: Request, res: Response) => {
    const c = connection(req);
    const { keys } = bodyOf(req.body);
    const requeued = await c.outbox.retry(keys);
    RED.log.info(`ERP outbox "${c.name}": ${userName(req)} requeued ${requeued} dead letter(s)${listed(keys)}`);
    res.json({ requeued });
  });
  addRoute(RED, { method: 'post', path: `${ERP_ROUTE}/:id/purge`, permission: 'erp.write', body: KEYS_BODY }, async (req: Request, res: Response) => {
    const c = connection(req);
    const { keys, all } = bodyOf(req.body);
    if (keys === undefined && all !== true) throw new HttpError(400, 'name the dead letters to purge ({"keys": [...]}) or purge all with {"all": true}');
    const purged = await c.outbox.purge(keys);
    RED.log.warn(`ERP outbox "${c.name}": ${userName(req)} purged ${purged} dead letter(s)${listed(keys)}`);
    res.json({ purged });
  });
}
