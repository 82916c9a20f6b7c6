/**
 * Authentication for ERP calls: HTTP basic, bearer token, API key header, Frappe token, OAuth2 client
 * credentials (fetched, cached until shortly before expiry, refreshed single-flight, refetched once on a
 * 401), SAP's X-CSRF-Token handshake with its session cookies, and Odoo's authenticate + uid session.
 */
import type { HttpClient, HttpResponse } from './http';
import { TransportError } from './http';
import { ErpFailure, excerpt, fail, jsonOf, parseRetryAfter } from './outcome';
import type { Failure } from './outcome';
import type { RpcReply } from './dialects/odoo-rpc';
import { parseRpcReply, rpcBody } from './dialects/odoo-rpc';

export type AuthConfig =
  | { readonly type: 'none' }
  | { readonly type: 'basic'; readonly username: string; readonly password: string }
  | { readonly type: 'bearer'; readonly token: string }
  | { readonly type: 'api-key'; readonly header: string; readonly value: string }
  | { readonly type: 'frappe-token'; readonly apiKey: string; readonly apiSecret: string }
  | {
      readonly type: 'oauth2';
      readonly tokenUrl: string;
      readonly clientId: string;
      readonly clientSecret: string;
      readonly scope?: string;
      /** How the client authenticates at the token endpoint: Authorization: Basic, or in the form body. */
      readonly clientAuth: 'basic' | 'body';
    };

export const AUTH_TYPES: readonly AuthConfig['type'][] = ['none', 'basic', 'bearer', 'api-key', 'frappe-token', 'oauth2'];

/** Headers for each request, and a way to renew them once when the ERP says 401. */
export interface Authenticator {
  headers(): Promise<Record<string, string>>;
  /** Drops cached credentials; true when fetching new ones may help (worth one more try). */
  invalidate(): boolean;
}

export function basicHeader(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

class StaticAuth implements Authenticator {
  constructor(private readonly value: Record<string, string>) {}
  headers(): Promise<Record<string, string>> {
    return Promise.resolve(this.value);
  }
  invalidate(): boolean {
    return false;
  }
}

interface Token {
  readonly value: string;
  /** Time (ms) after which it is refreshed before use. */
  readonly refreshAt: number;
}

/**
 * OAuth2 client credentials (RFC 6749 4.4): one token per connection, refreshed at
 * `obtained + expires_in - margin` (margin max(60 s, 10 %), at most half the lifetime for short tokens),
 * concurrent callers share one fetch, and a 401 from the ERP drops the token so the next call fetches anew.
 */
export class OAuth2Auth implements Authenticator {
  private token: Token | undefined;
  private pending: Promise<Token> | undefined;
  /** Tokens fetched so far (for status and tests). */
  fetches = 0;

  constructor(
    private readonly config: Extract<AuthConfig, { type: 'oauth2' }>,
    private readonly http: HttpClient,
    private readonly now: () => number = Date.now,
  ) {}

  async headers(): Promise<Record<string, string>> {
    const token = this.token && this.now() < this.token.refreshAt ? this.token : await this.fetchToken();
    return { authorization: `Bearer ${token.value}` };
  }

  invalidate(): boolean {
    this.token = undefined;
    return true;
  }

  private fetchToken(): Promise<Token> {
    this.pending ??= this.requestToken().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async requestToken(): Promise<Token> {
    const c = this.config;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (c.scope) form.set('scope', c.scope);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (c.clientAuth === 'basic') {
      // RFC 6749 2.3.1: client id and secret are form-urlencoded before base64.
      headers.authorization = basicHeader(encodeURIComponent(c.clientId), encodeURIComponent(c.clientSecret));
    } else {
      form.set('client_id', c.clientId);
      form.set('client_secret', c.clientSecret);
    }
    let res: HttpResponse;
    try {
      res = await this.http.request({ method: 'POST', url: c.tokenUrl, headers, body: form.toString() });
    } catch (err) {
      // Nothing is booked by a token request: any transport failure is a plain retry.
      if (err instanceof TransportError) fail({ kind: 'retry', scope: 'server', message: `token endpoint ${c.tokenUrl}: ${err.message}` });
      throw err;
    }
    const body = jsonOf(res.body) as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } | undefined;
    if (res.status !== 200 || typeof body?.access_token !== 'string') {
      const why = typeof body?.error === 'string' ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}` : excerpt(res.body);
      const message = `token endpoint ${c.tokenUrl} answered HTTP ${res.status}: ${why}`;
      // invalid_client / unauthorized_client and other 4xx: wrong credentials; keep the records, alarm, don't spin.
      if (res.status >= 400 && res.status < 500 && res.status !== 429) fail({ kind: 'auth', message });
      const retryAfterMs = parseRetryAfter(res.headers['retry-after'], this.now());
      fail({ kind: 'retry', scope: 'server', message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
    }
    this.fetches++;
    const lifetimeMs = (typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600) * 1000;
    const margin = Math.min(Math.max(60_000, lifetimeMs / 10), lifetimeMs / 2);
    this.token = { value: body.access_token, refreshAt: this.now() + lifetimeMs - margin };
    return this.token;
  }
}

export function createAuthenticator(config: AuthConfig, http: HttpClient): Authenticator {
  switch (config.type) {
    case 'none':
      return new StaticAuth({});
    case 'basic':
      return new StaticAuth({ authorization: basicHeader(config.username, config.password) });
    case 'bearer':
      return new StaticAuth({ authorization: `Bearer ${config.token}` });
    case 'api-key':
      return new StaticAuth({ [config.header.toLowerCase()]: config.value });
    case 'frappe-token':
      return new StaticAuth({ authorization: `token ${config.apiKey}:${config.apiSecret}` });
    case 'oauth2':
      return new OAuth2Auth(config, http);
  }
}

/** The cookies of one ERP session: name -> value from Set-Cookie (one base URL, so path/domain are moot). */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  take(setCookies: readonly string[]): void {
    for (const line of setCookies) {
      const first = line.split(';')[0] ?? '';
      const eq = first.indexOf('=');
      if (eq <= 0) continue;
      const name = first.slice(0, eq).trim();
      const value = first.slice(eq + 1).trim();
      const expired = /;\s*max-age=0/i.test(line) || /;\s*expires=Thu, 01 Jan 1970/i.test(line);
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string | undefined {
    if (this.cookies.size === 0) return undefined;
    return [...this.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }

  clear(): void {
    this.cookies.clear();
  }
}

/**
 * A call through the connection's HTTP client with its authentication (see client.ts). Resolves with any
 * HTTP answer; a transport failure is thrown as an ErpFailure (retry when nothing was sent, else ambiguous).
 */
export type Send = (req: { method: string; path: string; headers?: Record<string, string>; body?: string }) => Promise<HttpResponse>;

/**
 * SAP Gateway CSRF protection: a GET with `X-CSRF-Token: Fetch` returns the token and the session cookies
 * (SAP_SESSIONID_*, sap-XSRF_*) that it is bound to; every modifying request carries both. A
 * `403` with `X-CSRF-Token: Required` means the token or session expired: fetch again and retry once.
 */
export class CsrfSession {
  private token: string | undefined;
  readonly cookies = new CookieJar();
  /** Tokens fetched so far (for tests). */
  fetches = 0;

  constructor(
    /** Path whose GET returns the token, e.g. the service root with a trailing slash. */
    private readonly fetchPath: string,
  ) {}

  /** Any call of the session: cookies are sent and kept. */
  async call(send: Send, req: Parameters<Send>[0]): Promise<HttpResponse> {
    const cookie = this.cookies.header();
    const res = await send({ ...req, headers: { ...req.headers, ...(cookie ? { cookie } : {}) } });
    this.cookies.take(res.setCookies);
    return res;
  }

  /** A modifying call with the token, refetched once when SAP says it is required. */
  async write(send: Send, req: Parameters<Send>[0]): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const token = this.token ?? (await this.fetch(send));
      const res = await this.call(send, { ...req, headers: { ...req.headers, 'x-csrf-token': token } });
      if (!(res.status === 403 && (res.headers['x-csrf-token'] ?? '').toLowerCase() === 'required')) return res;
      this.token = undefined;
      if (attempt >= 1) fail({ kind: 'retry', scope: 'server', message: 'SAP refused the CSRF token twice in a row (403 X-CSRF-Token: Required); the session is not kept (load balancer without affinity?)' });
    }
  }

  private async fetch(send: Send): Promise<string> {
    // A new handshake starts a new session: stale cookies would bind the new token to the old one.
    this.cookies.clear();
    const res = await this.call(send, { method: 'GET', path: this.fetchPath, headers: { 'x-csrf-token': 'Fetch', accept: 'application/json' } });
    const token = res.headers['x-csrf-token'];
    if (res.status >= 400 || !token || token.toLowerCase() === 'required') {
      const failure: Failure =
        res.status === 401 || res.status === 403
          ? { kind: 'auth', message: `SAP CSRF token fetch refused: HTTP ${res.status} ${excerpt(res.body)}` }
          : { kind: 'retry', scope: 'server', message: `SAP CSRF token fetch gave HTTP ${res.status} without a token: ${excerpt(res.body)}` };
      fail(failure);
    }
    this.fetches++;
    this.token = token;
    return token;
  }
}

export interface OdooCredentials {
  readonly database: string;
  readonly login: string;
  /** Password or API key. */
  readonly password: string;
}

/**
 * Odoo JSON-RPC: `common.authenticate` gives the uid that every `object.execute_kw` carries with the
 * password or API key. When Odoo says the session expired (or access is denied after a password change),
 * authenticate again once and repeat the call.
 */
export class OdooSession {
  private uid: number | undefined;
  private id = 0;
  /** Authentications so far (for tests). */
  authentications = 0;

  constructor(private readonly credentials: OdooCredentials) {}

  async executeKw(send: Send, model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const uid = this.uid ?? (await this.authenticate(send));
      const c = this.credentials;
      const reply = await this.rpc(send, 'object', 'execute_kw', [c.database, uid, c.password, model, method, args, kwargs]);
      if (reply.ok) return reply.result;
      const expired = /SessionExpired|AccessDenied/.test(reply.error.name);
      if (!expired || attempt >= 1) throw new ErpFailure(reply.failure);
      this.uid = undefined;
    }
  }

  private async authenticate(send: Send): Promise<number> {
    const c = this.credentials;
    const reply = await this.rpc(send, 'common', 'authenticate', [c.database, c.login, c.password, {}]);
    if (!reply.ok) throw new ErpFailure(reply.failure.kind === 'permanent' ? { kind: 'auth', message: reply.failure.message } : reply.failure);
    // Bad credentials give result false, not an error.
    if (typeof reply.result !== 'number') fail({ kind: 'auth', message: `Odoo refused the login "${c.login}" on database "${c.database}" (authenticate returned ${JSON.stringify(reply.result)})` });
    this.authentications++;
    this.uid = reply.result;
    return reply.result;
  }

  private async rpc(send: Send, service: string, method: string, args: unknown[]): Promise<RpcReply> {
    const res = await send({ method: 'POST', path: '/jsonrpc', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: rpcBody(++this.id, service, method, args) });
    return parseRpcReply(res);
  }
}
