/**
 * Odoo's JSON-RPC envelope. Errors come back with HTTP 200 and an `error` member whose `data.name` is the
 * Python exception class: that name, not the HTTP status, says what kind of failure it is.
 */
import type { HttpResponse } from '../http';
import type { Failure } from '../outcome';
import { excerpt, jsonOf, statusFailure } from '../outcome';

export interface RpcError {
  readonly code: number;
  readonly name: string;
  readonly message: string;
}

export type RpcReply = { readonly ok: true; readonly result: unknown } | { readonly ok: false; readonly error: RpcError; readonly failure: Failure };

export function rpcBody(id: number, service: string, method: string, args: unknown[]): string {
  return JSON.stringify({ jsonrpc: '2.0', method: 'call', params: { service, method, args }, id });
}

/** The class of an Odoo exception by its name (odoo.exceptions.*, psycopg2.*, odoo.http.*). */
export function classifyOdooError(name: string, message: string): Failure {
  const text = `${name}: ${message}`;
  if (/SessionExpired|AccessDenied/.test(name)) return { kind: 'auth', message: `Odoo ${text}` };
  // Concurrent-update conflicts in PostgreSQL: the same call succeeds a moment later.
  if (/psycopg2|SerializationFailure|LockNotAvailable|OperationalError/.test(name) || /could not serialize|concurrent update/i.test(message)) {
    return { kind: 'retry', scope: 'record', message: `Odoo ${text}` };
  }
  return { kind: 'permanent', message: `Odoo ${text}` };
}

export function parseRpcReply(res: HttpResponse): RpcReply {
  const body = jsonOf(res.body) as { result?: unknown; error?: { code?: unknown; message?: unknown; data?: { name?: unknown; message?: unknown } } } | undefined;
  if (res.status !== 200 || body === undefined || typeof body !== 'object') {
    const failure = res.status === 200 ? ({ kind: 'retry', scope: 'server', message: `Odoo answered HTTP 200 without JSON-RPC: ${excerpt(res.body)}`, limited: true } as const) : statusFailure(res, excerpt(res.body));
    return { ok: false, error: { code: res.status, name: `HTTP ${res.status}`, message: excerpt(res.body) }, failure };
  }
  if (body.error !== undefined) {
    const e = body.error;
    const name = typeof e.data?.name === 'string' ? e.data.name : typeof e.message === 'string' ? e.message : 'Odoo error';
    const message = typeof e.data?.message === 'string' ? e.data.message : typeof e.message === 'string' ? e.message : JSON.stringify(e);
    const error = { code: typeof e.code === 'number' ? e.code : 0, name, message };
    return { ok: false, error, failure: classifyOdooError(name, message) };
  }
  return { ok: true, result: body.result };
}
