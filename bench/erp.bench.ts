/**
 * ERP outbox benchmark (`npm run bench -- erp`):
 *  - durable enqueues per second: records committed to disk (WAL, synchronous=FULL, group commit) as fast
 *    as messages arrive (many in flight, as in Node-RED), and for comparison one at a time;
 *  - delivered records per second to a local test REST service answering in 20 ms, against what that
 *    service can take with the same parallelism (a plain client posting directly, no outbox): the
 *    delivery rate should be limited by the ERP, not by the outbox.
 * Ends with one line: BENCH erp enqueues_per_s=... delivered_per_s=... erp_limit_per_s=... ...
 */
import path from 'node:path';
import { createAuthenticator } from '../nodes/erp/auth';
import { ErpClient } from '../nodes/erp/client';
import { RestDialect } from '../nodes/erp/dialects/rest';
import { HttpClient } from '../nodes/erp/http';
import { Outbox } from '../nodes/erp/outbox';
import type { ErpRecord } from '../nodes/erp/record';
import { parseRecord } from '../nodes/erp/record';
import { tempDir } from '../test/support/hub-process';
import { RestTestServer } from '../test/erp/servers/rest';

const ENQUEUES = 20_000;
const IN_FLIGHT = 256;
const DELIVERIES = 2_000;
const CONCURRENCY = 8;
const LATENCY_MS = 20;

const dir = tempDir('erp-bench');
const rec = (i: number, orders: number): ErpRecord => parseRecord({ kind: 'confirmation', key: `b-${i}`, order: `${5000000 + (i % orders)}`, operation: '10', yield: 1 + (i % 9), unit: 'PC', start: 1718431200000, end: 1718431500000 });

async function enqueueRate(inFlight: number, count: number): Promise<{ perS: number; commits: number }> {
  const outbox = new Outbox({ file: path.join(dir, `enqueue-${inFlight}.sqlite`), maxRecords: 1e7, maxBytes: 1e10 });
  const records = Array.from({ length: count }, (_, i) => rec(i, 50));
  const t0 = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) await outbox.enqueue(records[next++]);
    }),
  );
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const commits = (outbox as unknown as { writer: { commits: { durable: number } } }).writer.commits.durable;
  outbox.closeNow();
  return { perS: count / s, commits };
}

const OPTIONS = { method: 'POST' as const, url: '/bookings', body: '{"key": "{{key}}", "order": "{{order}}", "qty": "{{yield}}"}', lookupUrl: '/bookings?key={{key}}', kinds: ['confirmation' as const] };

async function erpLimit(server: RestTestServer): Promise<number> {
  // The naive flow: one HTTP post per message, CONCURRENCY at a time, nothing stored.
  const http = new HttpClient({ connectTimeoutMs: 2000, timeoutMs: 10_000, maxSockets: CONCURRENCY + 2 });
  const client = new ErpClient(server.url, http, createAuthenticator({ type: 'none' }, http));
  const dialect = new RestDialect(OPTIONS);
  server.faults.inject({ type: 'slow', ms: LATENCY_MS }, DELIVERIES);
  let next = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < DELIVERIES) await dialect.post(rec(1_000_000 + next++, 40), client.send);
    }),
  );
  client.close();
  return DELIVERIES / ((Date.now() - t0) / 1000);
}

async function deliveryRate(server: RestTestServer): Promise<{ perS: number; durableCommits: number; commits: number }> {
  const http = new HttpClient({ connectTimeoutMs: 2000, timeoutMs: 10_000, maxSockets: CONCURRENCY + 2 });
  const client = new ErpClient(server.url, http, createAuthenticator({ type: 'none' }, http));
  const outbox = new Outbox({ file: path.join(dir, 'deliver.sqlite'), maxRecords: 1e6, maxBytes: 1e9 });
  await Promise.all(Array.from({ length: DELIVERIES }, (_, i) => outbox.enqueue(rec(i, 40))));
  const writer = (outbox as unknown as { writer: { commits: { durable: number; all: number } } }).writer.commits;
  const before = { ...writer };
  server.faults.inject({ type: 'slow', ms: LATENCY_MS }, DELIVERIES);
  const booked = server.bookings.length;
  const t0 = Date.now();
  outbox.startDelivery(new RestDialect(OPTIONS), client.send, { concurrency: CONCURRENCY, retry: { baseMs: 100, capMs: 1000, maxRetryAfterMs: 10_000 }, settleMs: 1000, maxLimitedAttempts: 5 });
  while (server.bookings.length - booked < DELIVERIES) await new Promise((r) => setTimeout(r, 5));
  const s = (Date.now() - t0) / 1000;
  const result = { perS: DELIVERIES / s, durableCommits: writer.durable - before.durable, commits: writer.all - before.all };
  await outbox.close(1000, () => client.close());
  return result;
}

async function main(): Promise<void> {
  const burst = await enqueueRate(IN_FLIGHT, ENQUEUES);
  console.log(`durable enqueues, ${IN_FLIGHT} in flight: ${burst.perS.toFixed(0)}/s (${ENQUEUES} records in ${burst.commits} fsynced commits)`);
  const serial = await enqueueRate(1, 500);
  console.log(`durable enqueues, one at a time:   ${serial.perS.toFixed(0)}/s (each waits for its own fsync)`);
  const server = await new RestTestServer().start();
  const limit = await erpLimit(server);
  console.log(`ERP limit: ${limit.toFixed(0)}/s (${CONCURRENCY} parallel posts, ${LATENCY_MS} ms each, no outbox)`);
  const delivery = await deliveryRate(server);
  console.log(`delivered through the outbox: ${delivery.perS.toFixed(0)}/s (${DELIVERIES} records, ${CONCURRENCY} lanes, ${delivery.commits} commits of which ${delivery.durableCommits} fsynced)`);
  await server.stop();
  console.log(
    `BENCH erp enqueues_per_s=${burst.perS.toFixed(0)} enqueues_serial_per_s=${serial.perS.toFixed(0)} delivered_per_s=${delivery.perS.toFixed(0)} erp_limit_per_s=${limit.toFixed(0)} delivered_vs_limit=${(delivery.perS / limit).toFixed(2)}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
