/**
 * The Idempotency-Key header (draft-ietf-httpapi-idempotency-key-header) as a REST service honours it,
 * shared by the demo ERP and the REST dialect's test server: the first request with a key is processed;
 * a replay with the same payload gets the stored answer; the same key with another payload is 422; the
 * same key while the first request is still being processed is 409 (the client retries later).
 */
import type { Request, Response } from 'express';

export type Admission =
  /** Process the request, then settle() the key with the answer, or forget() it if nothing was done. */
  | { readonly kind: 'new' }
  | { readonly kind: 'replay'; readonly status: number; readonly answer: unknown }
  | { readonly kind: 'refused'; readonly status: 409 | 422; readonly title: string };

/** The key of an `Idempotency-Key: "<key>"` header (a structured-field string); undefined if none or empty. */
export function idempotencyKeyOf(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const key = /^"(.*)"$/.exec(header)?.[1];
  return key ? key : undefined;
}

interface Entry {
  readonly body: string;
  status?: number;
  answer?: unknown;
}

export class IdempotencyKeys {
  private readonly entries = new Map<string, Entry>();

  /** At most this many keys are remembered; the oldest are forgotten first. */
  constructor(private readonly maxKeys = Infinity) {}

  /** What to do with a request carrying `key` and this payload (its JSON text). */
  admit(key: string, body: string): Admission {
    const seen = this.entries.get(key);
    if (seen === undefined) {
      this.entries.set(key, { body });
      this.trim();
      return { kind: 'new' };
    }
    if (seen.body !== body) return { kind: 'refused', status: 422, title: 'Idempotency-Key reused with a different payload' };
    if (seen.status === undefined) return { kind: 'refused', status: 409, title: 'A request with this Idempotency-Key is being processed' };
    return { kind: 'replay', status: seen.status, answer: seen.answer };
  }

  /** The answer a replay of `key` gets from now on. */
  settle(key: string, body: string, status: number, answer: unknown): void {
    this.entries.set(key, { body, status, answer });
    this.trim();
  }

  /** The request was not processed: the next one with this key is new. */
  forget(key: string): void {
    this.entries.delete(key);
  }

  private trim(): void {
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.maxKeys) break;
      this.entries.delete(key);
    }
  }
}

/**
 * Admits a request under its Idempotency-Key header: a replay or a refusal is answered here and gives
 * 'answered'; otherwise the request is to be processed, and `key` (absent without the header) is what
 * to settle() with the answer or forget() when nothing was done.
 */
export function admitRequest(keys: IdempotencyKeys, req: Request, res: Response, body: string): { readonly key?: string } | 'answered' {
  const key = idempotencyKeyOf(req.headers['idempotency-key']);
  if (key === undefined) return {};
  const admission = keys.admit(key, body);
  if (admission.kind === 'refused') {
    res.status(admission.status).type('application/problem+json').json({ title: admission.title });
    return 'answered';
  }
  if (admission.kind === 'replay') {
    res.status(admission.status).json(admission.answer);
    return 'answered';
  }
  return { key };
}
