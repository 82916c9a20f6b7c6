/**
 * The generic REST dialect against the test REST service, and what the outbox does for any ERP: order per
 * production order with different orders in parallel, Retry-After honoured, the Idempotency-Key header.
 */
import assert from 'node:assert/strict';
import { RestDialect } from '../../nodes/erp/dialects/rest';
import type { RestOptions } from '../../nodes/erp/dialects/rest';
import { RestTestServer } from './servers/rest';
import type { Rig } from './support/harness';
import { drained, rig, until } from './support/harness';
import { confirmation } from './support/records';

const OPTIONS: RestOptions = {
  method: 'POST',
  url: '/bookings',
  body: '{"key": "{{key}}", "order": "{{order}}", "qty": "{{yield}}", "text": "order {{order}} op {{operation?}}", "reason": "{{reason?}}"}',
  lookupUrl: '/bookings?key={{key}}',
  kinds: ['confirmation', 'downtime'],
};

describe('REST delivery and outbox ordering', function () {
  this.timeout(20000);
  let server: RestTestServer;
  let r: Rig;

  beforeEach(async () => {
    server = await new RestTestServer().start();
  });
  afterEach(async () => {
    await r.close();
    await server.stop();
  });

  it('fills the body template with typed values and sends the key as Idempotency-Key', async () => {
    r = rig(server.url, new RestDialect(OPTIONS), { type: 'none' });
    await r.outbox.enqueue(confirmation('r-1'));
    await drained(r.outbox);
    const { id, ...doc } = server.bookings[0].doc;
    assert.deepEqual(doc, { key: 'r-1', order: '1000036971', qty: 95, text: 'order 1000036971 op 10', reason: null });
    assert.equal(id, 'B-1');
  });

  it('delivers in acceptance order per production order, different orders in parallel', async () => {
    r = rig(server.url, new RestDialect(OPTIONS), { type: 'none' }, { delivery: { concurrency: 4 } });
    // Some posts fail on the way (retried), which must not reorder an order's records.
    server.faults.inject({ type: '503' }, 3);
    server.faults.inject({ type: 'slow', ms: 30 }, 5);
    const orders = ['A1', 'B2', 'C3', 'D4', 'E5'];
    const all: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) for (const o of orders) all.push(r.outbox.enqueue(confirmation(`${o}-${i}`, o)));
    await Promise.all(all);
    await drained(r.outbox, 20_000);
    assert.equal(server.bookings.length, 100);
    for (const o of orders) {
      const seq = server.bookings.filter((b) => b.order === o).map((b) => Number(b.token.split('-')[1]));
      assert.deepEqual(seq, [...Array(20).keys()], `order ${o} out of order: ${seq.join(',')}`);
    }
    // Interleaved: the first bookings are not all of one order.
    assert.ok(new Set(server.bookings.slice(0, 10).map((b) => b.order)).size > 1);
  });

  it('honours Retry-After on 429 (waits at least that long, longer than its own backoff)', async () => {
    r = rig(server.url, new RestDialect(OPTIONS), { type: 'none' }, { delivery: { retry: { baseMs: 20, capMs: 10_000 } } });
    server.faults.inject({ type: '429', retryAfterS: 1 });
    const t0 = Date.now();
    await r.outbox.enqueue(confirmation('r-429'));
    await until(() => server.bookings.length === 1, 'the booking', 10_000);
    const waited = Date.now() - t0;
    assert.ok(waited >= 1000, `retried after ${waited} ms, before Retry-After: 1`);
  });

  it('cuts a huge Retry-After to the longest retry delay and says the ERP asks to wait', async () => {
    r = rig(server.url, new RestDialect(OPTIONS), { type: 'none' }, { delivery: { retry: { baseMs: 20, capMs: 1500 } } });
    server.faults.inject({ type: '429', retryAfterS: 3600 });
    await r.outbox.enqueue(confirmation('r-hour'));
    await until(() => r.outbox.stats().erpAsksToWait !== undefined, 'the wait the ERP asked for');
    const wait = r.outbox.stats().erpAsksToWait!;
    assert.equal(wait.status, 429);
    // The plan, not a measured time: the next attempt is due within the cap, not in an hour.
    assert.ok(wait.until - Date.now() <= 1500, `next attempt planned ${wait.until - Date.now()} ms ahead`);
    await until(() => server.bookings.length === 1, 'the booking after the capped wait', 20_000);
    assert.equal(r.outbox.stats().erpAsksToWait, undefined);
  });

  it('a 422 is a dead letter with the service\'s message; retry requeues it and purge removes it', async () => {
    r = rig(server.url, new RestDialect(OPTIONS), { type: 'none' });
    server.faults.inject({ type: 'validation', message: 'order 1000036971 is closed' });
    await r.outbox.enqueue(confirmation('r-bad'));
    await r.outbox.enqueue(confirmation('r-next'));
    await until(() => r.outbox.stats().deadLetters === 1 && server.bookings.length === 1, 'a dead letter and the next record delivered');
    assert.equal(r.outbox.deadLetters()[0].error, 'HTTP 422: order 1000036971 is closed');
    assert.equal(await r.outbox.retry(['r-bad']), 1);
    await drained(r.outbox);
    assert.equal(server.booked('r-bad').length, 1);
    server.faults.inject({ type: 'validation' });
    await r.outbox.enqueue(confirmation('r-gone'));
    await until(() => r.outbox.stats().deadLetters === 1, 'a dead letter');
    assert.equal(await r.outbox.purge(['r-gone']), 1);
    assert.equal(r.outbox.stats().deadLetters, 0);
  });

  it('commit-then-drop and a slow answer: settled by the look-up URL, never booked twice', async () => {
    r = rig(server.url, new RestDialect(OPTIONS), { type: 'none' }, { timeoutMs: 300, delivery: { settleMs: 400 } });
    server.faults.inject({ type: 'commit-then-drop' });
    server.faults.inject({ type: 'slow', ms: 500 });
    await r.outbox.enqueue(confirmation('r-a', 'A'));
    await r.outbox.enqueue(confirmation('r-b', 'B'));
    await drained(r.outbox);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(server.booked('r-a').length, 1);
    assert.equal(server.booked('r-b').length, 1);
  });

  it('a listener that throws on an event is reported, and neither undoes the delivery nor delivers again', async () => {
    r = rig(server.url, new RestDialect(OPTIONS), { type: 'none' });
    r.outbox.on('event', (e) => {
      if (e.type === 'delivered') throw new Error('a bug in a listener');
    });
    await r.outbox.enqueue(confirmation('r-throw'));
    await until(() => /internal error: a bug in a listener/.test(r.outbox.stats().lastError?.message ?? ''), 'the reported error');
    // Time for a wrong second round (a look-up, another delivered event) to show, if there were one.
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(r.events.filter((e) => e.type === 'delivered').length, 1);
    assert.equal(r.outbox.store.byKey('r-throw')?.state, 'delivered');
    assert.equal(server.booked('r-throw').length, 1);
  });
});
