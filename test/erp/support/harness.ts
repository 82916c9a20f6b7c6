/** An outbox wired to a dialect and a test server, as fh-erp-connection wires it, for core tests. */
import path from 'node:path';
import type { AuthConfig } from '../../../nodes/erp/auth';
import { createAuthenticator } from '../../../nodes/erp/auth';
import { ErpClient } from '../../../nodes/erp/client';
import type { DeliveryOptions } from '../../../nodes/erp/delivery';
import type { Dialect } from '../../../nodes/erp/dialects/dialect';
import { HttpClient } from '../../../nodes/erp/http';
import type { OutboxEvent } from '../../../nodes/erp/outbox';
import { Outbox } from '../../../nodes/erp/outbox';
import { tempDir } from '../../support/hub-process';

export const FAST: DeliveryOptions = { concurrency: 4, retry: { baseMs: 20, capMs: 200 }, settleMs: 50, maxLimitedAttempts: 3 };

export interface Rig {
  readonly outbox: Outbox;
  readonly client: ErpClient;
  readonly dialect: Dialect;
  readonly events: OutboxEvent[];
  readonly file: string;
  close(): Promise<void>;
}

let n = 0;

export function rig(baseUrl: string, dialect: Dialect, auth: AuthConfig, options: { delivery?: Partial<DeliveryOptions>; timeoutMs?: number; maxRecords?: number; maxBytes?: number; file?: string; start?: boolean } = {}): Rig {
  const file = options.file ?? path.join(tempDir('erp-outbox'), `outbox-${n++}.sqlite`);
  const http = new HttpClient({ connectTimeoutMs: 1000, timeoutMs: options.timeoutMs ?? 2000, maxSockets: 8 });
  const client = new ErpClient(baseUrl, http, createAuthenticator(auth, http));
  const outbox = new Outbox({ file, maxRecords: options.maxRecords ?? 100_000, maxBytes: options.maxBytes ?? 64 * 1024 * 1024 });
  const events: OutboxEvent[] = [];
  outbox.on('event', (e) => events.push(e));
  if (options.start !== false) outbox.startDelivery(dialect, client.send, { ...FAST, ...options.delivery });
  return { outbox, client, dialect, events, file, close: () => outbox.close(500, () => client.close()) };
}

/** Resolves when `check` holds, polling; rejects with `what` after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until the outbox has nothing left to deliver. */
export function drained(outbox: Outbox, timeoutMs = 10_000): Promise<void> {
  return until(() => outbox.stats().depth === 0, `the outbox to drain (depth ${outbox.stats().depth}, last error ${outbox.stats().lastError?.message ?? '-'})`, timeoutMs);
}
