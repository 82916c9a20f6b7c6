/**
 * The admin routes that read the audit log (audit-log.ts) page by page: the writes to machines and the
 * tag-map changes.
 */
import type { AuditKind, AuditLog } from './audit-log';
import { MAX_PAGE_ENTRIES } from './audit-log';
import { HttpError, addRoute } from './http-route';
import type { AdminRed } from './http-route';

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** `?date=&offset=&limit=` of an audit route, or an HttpError 400. */
function pageQuery(query: Record<string, unknown>): { date: string; offset: number; limit: number } {
  const text = (name: string): string | undefined => {
    const v = query[name];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') throw new HttpError(400, `${name} must be given once, as text`);
    return v;
  };
  const date = text('date') ?? new Date().toISOString().slice(0, 10);
  if (!DATE_RE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) throw new HttpError(400, `date must be a date YYYY-MM-DD, not "${date.slice(0, 40)}"`);
  const whole = (name: string, fallback: number, max: number): number => {
    const v = text(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n > max) throw new HttpError(400, `${name} must be a whole number from 0 to ${max}`);
    return n;
  };
  return { date, offset: whole('offset', 0, Number.MAX_SAFE_INTEGER), limit: Math.max(1, whole('limit', MAX_PAGE_ENTRIES, MAX_PAGE_ENTRIES)) };
}

/**
 * GET `route`?date=YYYY-MM-DD&offset=&limit=: one page of a day's audit entries (UTC day, default
 * today), oldest first, from byte `offset` (default 0), at most `limit` entries (default and at most
 * 1000) and 2 MB. 200 {date, entries, skipped, offset, nextOffset, more}: ask again with
 * offset=nextOffset while `more`. Permission `audit.read`: admins only (settings/roles.js), since the
 * entries name users, values written and every tag-map change. Registered once per runtime.
 */
function registerAuditRoute(RED: AdminRed, log: AuditLog, route: string, kind: AuditKind): void {
  let routes = registered.get(RED.httpAdmin);
  if (routes === undefined) registered.set(RED.httpAdmin, (routes = new Set()));
  if (routes.has(route)) return;
  routes.add(route);
  addRoute(RED, { method: 'get', path: route, permission: 'audit.read' }, async (req, res) => {
    const { date, offset, limit } = pageQuery(req.query);
    const page = await log.readPage(new Date(`${date}T00:00:00Z`), { offset, limit }, kind);
    res.json({ date, ...page });
  });
}

const registered = new WeakMap<object, Set<string>>();

export const AUDIT_WRITES_ROUTE = '/factoryhub/audit/writes';
export const AUDIT_TAG_MAPS_ROUTE = '/factoryhub/audit/tag-maps';
export const AUDIT_AUTH_ROUTE = '/factoryhub/audit/auth';

/** Minimal shape of Node-RED's RED that the write nodes pass (they cast to it); at run time it is RED itself. */
interface AdminApi {
  httpAdmin: {
    get(path: string, ...handlers: ((req: AuditRequest, res: AuditResponse, next: () => void) => void)[]): unknown;
  };
  auth: { needsPermission(permission: string): (req: AuditRequest, res: AuditResponse, next: () => void) => void };
}
interface AuditRequest {
  query: Record<string, unknown>;
}
interface AuditResponse {
  status(code: number): AuditResponse;
  json(body: unknown): void;
}

/** GET /factoryhub/audit/writes: the write audit (see registerAuditRoute). */
export function registerAuditEndpoint(RED: AdminApi, log: AuditLog): void {
  registerAuditRoute(RED as unknown as AdminRed, log, AUDIT_WRITES_ROUTE, 'writes');
  // The logins, logouts, token uses and refusals that settings/auth-audit.js writes in the same directory.
  registerAuditRoute(RED as unknown as AdminRed, log, AUDIT_AUTH_ROUTE, 'auth');
}

/** GET /factoryhub/audit/tag-maps: the tag-map changes (see registerAuditRoute). */
export function registerTagMapAuditEndpoint(RED: AdminRed, log: AuditLog): void {
  registerAuditRoute(RED, log, AUDIT_TAG_MAPS_ROUTE, 'tagmaps');
}
