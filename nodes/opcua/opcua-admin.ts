/**
 * Admin endpoints of the OPC UA nodes, for the editor:
 *
 *   GET    /factoryhub/opcua/endpoints/:id/browse?nodeId=&limit=&timeout=   opcua.read
 *          one level under nodeId (default the Objects folder), at most `limit` entries (default 200,
 *          at most 1000), answered within `timeout` ms (default 10000, at most 30000):
 *          200 {nodeId, entries, more}  400 bad input  404 no such deployed endpoint
 *          503 {error, state, thumbprint?} not connected  504 the server did not answer in time
 *   GET    /factoryhub/opcua/endpoints/:id/state                             opcua.read
 *          200 {state, text, thumbprint?}; state `idle` when no session is open, `config` when misconfigured
 *   GET    /factoryhub/opcua/certificates                                    opcua.read
 *          200 {own, trusted, rejected}: the hub's certificate and the server certificates it knows
 *   POST   /factoryhub/opcua/certificates/trusted  body {thumbprint}         opcua.write
 *          moves a rejected server certificate to the trust list; sessions waiting on it retry at once
 *   DELETE /factoryhub/opcua/certificates/trusted/:thumbprint                opcua.write
 *   GET    /factoryhub/opcua/certificates/own                                opcua.read
 *          200 {thumbprint, subject, applicationUri, validFrom, validTo, daysLeft, warning?, serverAdminAction}:
 *          the hub's own certificate (made now if not yet), what a server's admin must do to trust it
 *   GET    /factoryhub/opcua/certificates/own.der | own.pem                  opcua.read
 *          the hub's certificate as a file to import on a server (many want DER)
 *
 * `opcua.read` is held by admins, integrators and technicians (settings/roles.js), `opcua.write` by
 * integrators and admins; operators hold neither, so they never see the address space. Browsing
 * is a read: it only reads the server's address space, one bounded level per request (it opens the
 * endpoint's session when none is open, as any read node would). Bodies: at most 1 kB (http-route.ts).
 * Errors: {error} with 400/404/413/502/503/504; a 500 names no cause (the hub log has it).
 */
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import type * as AdminHandlersModule from './admin-handlers';
import { lazy } from './lazy';
import { addRoute } from '../shared/http-route';
import type { Method } from '../shared/http-route';

export const OPCUA_ROUTE = '/factoryhub/opcua';

const registered = new WeakSet<object>();

/**
 * The routes exist from start-up with their permissions; their work (admin-handlers.ts, with node-opcua)
 * is loaded by the first request (lazy.ts says why).
 */
export function registerOpcUaAdmin(RED: NodeAPI): void {
  const app = RED.httpAdmin;
  if (registered.has(app)) return;
  registered.add(app);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- on first use, not at start-up (lazy.ts)
  const handlers = lazy(() => (require('./admin-handlers') as typeof AdminHandlersModule).adminHandlers(RED));
  const route = (method: Method, path: string, permission: string, name: keyof AdminHandlersModule.AdminHandlers): void => {
    addRoute(RED, { method, path: `${OPCUA_ROUTE}${path}`, permission }, (req: Request, res: Response) => handlers()[name](req, res));
  };
  route('get', '/endpoints/:id/browse', 'opcua.read', 'browse');
  route('get', '/endpoints/:id/state', 'opcua.read', 'state');
  route('get', '/certificates', 'opcua.read', 'certificates');
  route('post', '/certificates/trusted', 'opcua.write', 'trust');
  route('delete', '/certificates/trusted/:thumbprint', 'opcua.write', 'untrust');
  route('get', '/certificates/own', 'opcua.read', 'own');
  route('get', '/certificates/own.der', 'opcua.read', 'ownDer');
  route('get', '/certificates/own.pem', 'opcua.read', 'ownPem');
}
