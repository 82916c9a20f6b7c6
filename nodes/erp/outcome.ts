/**
 * What came of one delivery attempt, in terms the outbox acts on. Each dialect turns the ERP's answer into
 * one of these; the HTTP status rules shared by all of them live here.
 */
import type { HttpResponse } from './http';
import { TransportError } from './http';

/** The ERP booked the record; `ref` is its document or confirmation number. */
export interface Booked {
  readonly ref: string;
}

export type Failure =
  /** Try again later. `server`: the ERP as a whole is unwell (pause every lane); `record`: only this one. */
  | { readonly kind: 'retry'; readonly scope: 'server' | 'record'; readonly message: string; readonly retryAfterMs?: number; readonly limited?: boolean; readonly status?: number }
  /** The request left and no answer came: the ERP may have booked it. Look the key up before any resend. */
  | { readonly kind: 'ambiguous'; readonly message: string }
  /** The ERP refused the record itself (validation): dead letter, with the ERP's own message. */
  | { readonly kind: 'permanent'; readonly message: string; readonly status?: number }
  /** Credentials or permissions refused after one refresh: keep the records, pause, raise an alarm. */
  | { readonly kind: 'auth'; readonly message: string; readonly retryAfterMs?: number };

export class ErpFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
    this.name = 'ErpFailure';
  }
}

export function fail(failure: Failure): never {
  throw new ErpFailure(failure);
}

/** Retry-After as delta-seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** A transport failure: safe to retry when nothing was sent, ambiguous otherwise. */
export function transportFailure(err: TransportError): Failure {
  return err.sent
    ? { kind: 'ambiguous', message: `no answer after the request was sent (${err.message})` }
    : { kind: 'retry', scope: 'server', message: `ERP not reachable (${err.message})` };
}

/**
 * The class of a non-success HTTP status, from the reference's rules (section 6.3), before a dialect adds
 * its own: 408/425/429/503 retry (honouring Retry-After), 500 retries a limited number of times (some ERPs
 * answer 500 for bad input), 502/504 are ambiguous (a gateway gave up; the ERP may still finish the work),
 * 401/403 are credential problems, other 4xx refuse the record.
 */
export function statusFailure(res: HttpResponse, message: string, now = Date.now()): Failure {
  const s = res.status;
  const retryAfterMs = parseRetryAfter(res.headers['retry-after'], now);
  const after = retryAfterMs !== undefined ? { retryAfterMs } : {};
  if (s === 408 || s === 425 || s === 429 || s === 503) return { kind: 'retry', scope: 'server', message: `HTTP ${s}: ${message}`, status: s, ...after };
  if (s === 502 || s === 504) return { kind: 'ambiguous', message: `HTTP ${s} from a gateway: ${message}` };
  if (s >= 500) return { kind: 'retry', scope: 'server', message: `HTTP ${s}: ${message}`, limited: true, status: s, ...after };
  if (s === 401 || s === 403) return { kind: 'auth', message: `HTTP ${s}: ${message}` };
  return { kind: 'permanent', message: `HTTP ${s}: ${message}`, status: s };
}

/** The body as JSON, or undefined when it is not JSON (an HTML error page from a proxy, say). */
export function jsonOf(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

/** A short, single-line excerpt of a non-JSON body for error messages. */
export function excerpt(body: string, max = 200): string {
  const t = body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}...` : t || '(empty body)';
}

export function isFailure(err: unknown): err is ErpFailure {
  return err instanceof ErpFailure;
}

export { TransportError };
