/**
 * One way to register an admin HTTP route of this package, so that every route is bounded the same way:
 *
 * - the permission check first: Node-RED's login check (401 with no login), then the permission by
 *   Node-RED's rule (permissions.ts): a logged-in account without it gets 403 with JSON naming the
 *   permission (refusalBody), and the refusal goes to Node-RED's audit log as Node-RED's own does;
 * - a body limit per route: the admin app has already parsed JSON up to settings `apiMaxLength`
 *   (default 5 MB) before any route runs; a route takes at most `maxBytes` (413), a JSON depth of
 *   `maxDepth` and `maxValues` values (400), and no `__proto__`/`constructor`/`prototype` key (400).
 *   The check walks the body with an explicit stack and stops at the first excess, so its work is
 *   bounded by the limits, not by the input;
 * - one error answer: JSON `{error}` with 400/404/409/413/5xx; a 500 is logged on the server with its
 *   cause and answered with a generic text (no stack trace, no file path);
 * - a body the admin app could not parse (not JSON, over `apiMaxLength`) is answered by the same JSON
 *   error, after the route's permission check, instead of Express's HTML page with the stack trace.
 */
import type { NextFunction, Request, Response } from 'express';
import { messageOf } from './errors';
import { hasPermission, refusalBody, requestScope } from './permissions';

/** An error answered with its status and message (and extra JSON fields). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface BodyLimits {
  /** Largest body in bytes (Content-Length, or the size of the parsed JSON when there is none). */
  readonly maxBytes: number;
  /** Deepest nesting of arrays and objects; the top level is depth 1. */
  readonly maxDepth: number;
  /** Most values (objects, arrays, keys' values, array items) in the body. */
  readonly maxValues: number;
}

/** For routes that take no body (GET, DELETE) or a tiny one. */
export const SMALL_BODY: BodyLimits = { maxBytes: 4 * 1024, maxDepth: 4, maxValues: 64 };

export type Method = 'get' | 'post' | 'put' | 'delete';
type Handler = (req: Request, res: Response, next: NextFunction) => void;
type ErrorHandler = (err: unknown, req: Request, res: Response, next: NextFunction) => void;

/** What of Node-RED's RED a route needs: the admin app, its permission check and the log. */
export interface AdminRed {
  readonly httpAdmin: {
    get(path: string, ...handlers: Handler[]): unknown;
    post(path: string, ...handlers: Handler[]): unknown;
    put?(path: string, ...handlers: Handler[]): unknown;
    delete(path: string, ...handlers: Handler[]): unknown;
    use?(path: string, handler: ErrorHandler): unknown;
  };
  readonly auth: { needsPermission(permission: string): Handler };
  readonly log: { error(message: string): void; audit?(entry: { level: number; event: string; permissions: string }, req?: object): void };
}

export interface RouteSpec {
  readonly method: Method;
  /** Express path, e.g. `/factoryhub/erp/outboxes/:id/retry`. */
  readonly path: string;
  readonly permission: string;
  /** Default SMALL_BODY. */
  readonly body?: BodyLimits;
}

/** The work of a route: answers `res` itself, or throws (an HttpError for a client error). */
export type RouteWork = (req: Request, res: Response) => unknown;

export const INTERNAL_ERROR = 'internal error of the hub; its log has the details';

/** Answers `{error}` with the status; anything but an HttpError is logged and answered as a generic 500. */
export function sendError(res: Response, err: unknown, log: (message: string) => void, where: string): void {
  if (res.headersSent) return;
  if (err instanceof HttpError) {
    res.status(err.status).json({ error: err.message, ...err.extra });
    return;
  }
  log(`${where}: ${messageOf(err)}`);
  res.status(500).json({ error: INTERNAL_ERROR });
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Checks a parsed body against the limits, iteratively; throws an HttpError 400/413 naming the first excess.
 * `declaredBytes` is the request's Content-Length, when it has one.
 */
export function checkBody(body: unknown, limits: BodyLimits, declaredBytes?: number): void {
  const tooLarge = (bytes: string): HttpError => new HttpError(413, `the body is ${bytes} bytes; this route takes at most ${limits.maxBytes}`);
  if (declaredBytes !== undefined && declaredBytes > limits.maxBytes) throw tooLarge(String(declaredBytes));
  // Size of the JSON, roughly (strings and keys by length, 1 byte per other value): a body sent without
  // a Content-Length is bounded the same way.
  let bytes = 0;
  let values = 0;
  const stack: { readonly value: unknown; readonly depth: number }[] = [{ value: body, depth: 1 }];
  const tooMany = (): HttpError => new HttpError(400, `the body has more than ${limits.maxValues} values; this route takes at most ${limits.maxValues}`);
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    values += 1;
    bytes += typeof value === 'string' ? value.length + 2 : 1;
    if (value !== null && typeof value === 'object') {
      if (depth > limits.maxDepth) throw new HttpError(400, `the body is nested deeper than ${limits.maxDepth} levels`);
      const items: readonly unknown[] = Array.isArray(value) ? value : Object.keys(value);
      // Every item is a value still to count: too many of them is known before walking them.
      if (values + stack.length + items.length > limits.maxValues) throw tooMany();
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i] as unknown, depth: depth + 1 });
      } else {
        for (const key of items as string[]) {
          if (FORBIDDEN_KEYS.has(key)) throw new HttpError(400, `the body has a key "${key.slice(0, 20)}", which no route takes`);
          bytes += key.length + 3;
          stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1 });
        }
      }
    }
    if (bytes > limits.maxBytes) throw tooLarge(`more than ${limits.maxBytes}`);
  }
}

/** Express path pattern -> a regular expression over the request path (`:name` is one segment). */
function pathPattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}

interface Registered {
  readonly method: string;
  readonly pattern: RegExp;
  readonly permission: Handler;
}

/** The routes of each admin app, for its one error handler. */
const routesByApp = new WeakMap<object, Registered[]>();

/** Why the admin app refused a body before any route ran (body-parser's errors carry `status` and `type`). */
function bodyErrorOf(err: unknown): HttpError {
  const e = err as { status?: unknown; type?: unknown; limit?: unknown } | null;
  if (e?.type === 'entity.too.large' || e?.status === 413) {
    return new HttpError(413, `the body is larger than the hub takes (${typeof e.limit === 'number' ? `${e.limit} bytes, ` : ''}settings apiMaxLength)`);
  }
  if (e?.type === 'entity.parse.failed') return new HttpError(400, 'the body is not valid JSON (or not a JSON object or array)');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return new HttpError(e.status, 'the request could not be read');
  return new HttpError(500, INTERNAL_ERROR);
}

function errorHandlerFor(routes: readonly Registered[], log: (message: string) => void): ErrorHandler {
  return (err, req, res, next) => {
    // Mounted at /factoryhub (under httpAdminRoot): req.path is the rest of the path.
    const path = `/factoryhub${req.path}`;
    const route = routes.find((r) => r.method === req.method && r.pattern.test(path));
    if (route === undefined || res.headersSent) {
      next(err);
      return;
    }
    const answer = bodyErrorOf(err);
    if (answer.status >= 500) log(`${req.method} ${path}: ${messageOf(err)}`);
    // The permission first: without a login the answer is 401, whatever the body.
    route.permission(req, res, () => sendError(res, answer, log, `${req.method} ${path}`));
  };
}

/**
 * Node-RED's login check, then `permission` by Node-RED's rule: 403 with the refusal body for a
 * logged-in account without it (401 for Node-RED's anonymous user: a login may help). Without
 * adminAuth Node-RED lets every request through, and so does this.
 */
/** Node-RED's log level of audit entries (its log.audit sets it too). */
const AUDIT_LEVEL = 98;

export function permissionCheck(RED: Pick<AdminRed, 'auth' | 'log'>, permission: string): Handler & { readonly permission: string } {
  const authenticate = RED.auth.needsPermission('');
  // `permission` on the handler says what the route asks, for a look at the routes without running them.
  return Object.assign((req: Request, res: Response, next: NextFunction): void => {
    authenticate(req, res, () => {
      const scope = requestScope(req);
      if (scope === undefined || hasPermission(scope, permission)) {
        next();
        return;
      }
      const anonymous = (req as Request & { user?: { anonymous?: unknown } }).user?.anonymous === true;
      res.status(anonymous ? 401 : 403).json(refusalBody(permission, requestUser(req)));
      // After the answer, so that a log handler that answers refusals itself finds this one answered.
      RED.log.audit?.({ level: AUDIT_LEVEL, event: 'permission.fail', permissions: permission }, req);
    });
  }, { permission });
}

/** Registers one route on the admin app with its permission, its body limits and the shared error answers. */
export function addRoute(RED: AdminRed, spec: RouteSpec, work: RouteWork): void {
  const app = RED.httpAdmin;
  const log = (message: string): void => RED.log.error(message);
  const permission = permissionCheck(RED, spec.permission);
  const limits = spec.body ?? SMALL_BODY;
  const where = `${spec.method.toUpperCase()} ${spec.path}`;
  let routes = routesByApp.get(app);
  if (routes === undefined) {
    routes = [];
    routesByApp.set(app, routes);
    // One error handler for every route of the package, mounted once; it finds the route by method and path.
    // Node-RED parses bodies in the editor API's app, which mounts RED.httpAdmin: an error there never
    // enters the mounted app, so the handler goes on the app that mounts it (Express sets `parent`).
    const outer = (app as { parent?: AdminRed['httpAdmin'] }).parent ?? app;
    outer.use?.('/factoryhub', errorHandlerFor(routes, log));
  }
  routes.push({ method: spec.method.toUpperCase(), pattern: pathPattern(spec.path), permission });
  const bounded: Handler = (req, res, next) => {
    try {
      const declared = Number(req.headers['content-length']);
      checkBody(req.body, limits, Number.isFinite(declared) ? declared : undefined);
    } catch (err) {
      sendError(res, err, log, where);
      return;
    }
    next();
  };
  const run: Handler = (req, res) => {
    let result: unknown;
    try {
      result = work(req, res);
    } catch (err) {
      sendError(res, err, log, where);
      return;
    }
    void Promise.resolve(result).catch((err: unknown) => sendError(res, err, log, where));
  };
  const register = app[spec.method]?.bind(app);
  if (register === undefined) throw new Error(`the admin app has no ${spec.method} method`);
  register(spec.path, permission, bounded, run);
}

/** The account behind an admin request, for logs and the audit. */
export function requestUser(req: Request): string | undefined {
  const user = (req as Request & { user?: { username?: unknown } }).user;
  return typeof user?.username === 'string' ? user.username.slice(0, 100) : undefined;
}
