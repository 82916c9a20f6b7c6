/**
 * Delivery to the test SAP S/4HANA through the outbox: the CSRF handshake and its refetch, every fault of
 * the server, ambiguous outcomes settled by a ConfirmationText look-up, dead letters with SAP's message.
 */
import assert from 'node:assert/strict';
import { SapOdataDialect, DEFAULT_SAP_OPTIONS } from '../../nodes/erp/dialects/sap-odata';
import { SapTestServer } from './servers/sap';
import type { Rig } from './support/harness';
import { drained, rig, until } from './support/harness';
import { confirmation, downtime } from './support/records';

describe('SAP S/4HANA delivery (OData V2 API_PROD_ORDER_CONFIRMATION_2_SRV)', function () {
  this.timeout(20000);
  let server: SapTestServer;
  let r: Rig;
  const auth = { type: 'basic', username: 'COMM_USER', password: 'Secret-123' } as const;

  beforeEach(async () => {
    server = await new SapTestServer().start();
    r = rig(server.url, new SapOdataDialect({ ...DEFAULT_SAP_OPTIONS, sapClient: '100' }), auth, { timeoutMs: 500 });
  });
  afterEach(async () => {
    await r.close();
    await server.stop();
  });

  it('books a confirmation with the CSRF token and the session cookies, in SAP formats', async () => {
    await r.outbox.enqueue(confirmation('k-1'));
    await drained(r.outbox);
    assert.equal(server.bookings.length, 1);
    const doc = server.bookings[0].doc;
    assert.equal(doc.ConfirmationText, 'FH-k-1');
    assert.equal(doc.ConfirmationYieldQuantity, '95');
    assert.equal(doc.OrderOperation, '0010');
    assert.equal(doc.PostingDate, `/Date(${Date.parse('2024-06-15T00:00:00Z')})/`);
    assert.equal(doc.ConfirmedExecutionEndTime, 'PT14H00M00S');
    assert.equal(doc.OpConfirmedWorkQuantity2, '420.000');
    assert.match(String(doc.ExternalSystemConfirmation), /^[0-9a-f-]{36}$/);
    const delivered = r.events.find((e) => e.type === 'delivered');
    assert.ok(delivered && delivered.type === 'delivered' && delivered.ref === '200/1');
    assert.equal(server.csrfFetches, 1);
  });

  it('refetches the CSRF token once when SAP answers 403 X-CSRF-Token: Required (session expired)', async () => {
    await r.outbox.enqueue(confirmation('k-1'));
    await drained(r.outbox);
    server.expireSessions();
    await r.outbox.enqueue(confirmation('k-2'));
    await drained(r.outbox);
    assert.equal(server.bookings.length, 2);
    assert.equal(server.csrfFetches, 2);
  });

  it('commit-then-drop: SAP booked it and the answer never came; the look-up settles it without a duplicate', async () => {
    server.faults.inject({ type: 'commit-then-drop' });
    await r.outbox.enqueue(confirmation('k-drop'));
    await drained(r.outbox);
    assert.equal(server.booked('FH-k-drop').length, 1);
    const delivered = r.events.find((e) => e.type === 'delivered');
    assert.ok(delivered && delivered.type === 'delivered' && delivered.foundByLookup);
    assert.ok(server.lookupCount >= 1);
  });

  it('slow answer past the timeout: ambiguous, settled by the look-up after the settle time, no duplicate', async () => {
    // SAP goes on working after the client gave up: the look-up waits the settle time (>= the timeout).
    await r.close();
    r = rig(server.url, new SapOdataDialect({ ...DEFAULT_SAP_OPTIONS, sapClient: '100' }), auth, { timeoutMs: 500, delivery: { settleMs: 600 } });
    server.faults.inject({ type: 'slow', ms: 800 });
    await r.outbox.enqueue(confirmation('k-slow'));
    await drained(r.outbox);
    await new Promise((res) => setTimeout(res, 900));
    assert.equal(server.booked('FH-k-slow').length, 1);
  });

  it('reset before booking: not found by the look-up, so posted again once', async () => {
    server.faults.inject({ type: 'reset' });
    await r.outbox.enqueue(confirmation('k-reset'));
    await drained(r.outbox);
    assert.equal(server.booked('FH-k-reset').length, 1);
    assert.equal(server.postCount, 2);
  });

  it('a validation error becomes a dead letter with SAP\'s message from the OData error envelope', async () => {
    server.faults.inject({ type: 'validation', message: 'Confirmation quantity exceeds the planned quantity' });
    await r.outbox.enqueue(confirmation('k-bad'));
    await until(() => r.outbox.stats().deadLetters === 1, 'a dead letter');
    const [dead] = r.outbox.deadLetters();
    assert.match(dead.error, /HTTP 400: SAP: RU\/505 Confirmation quantity exceeds the planned quantity/);
    assert.equal(server.bookings.length, 0);
  });

  it('"order locked" (400 by message) is retried, not dead-lettered', async () => {
    server.faults.inject({ type: 'locked' }, 2);
    await r.outbox.enqueue(confirmation('k-lock'));
    await drained(r.outbox);
    assert.equal(server.booked('FH-k-lock').length, 1);
    assert.equal(r.outbox.stats().deadLetters, 0);
  });

  it('500 and 503 are retried; 500 only a limited number of times', async () => {
    server.faults.inject({ type: '503' });
    server.faults.inject({ type: '500' });
    await r.outbox.enqueue(confirmation('k-5xx'));
    await drained(r.outbox);
    assert.equal(server.booked('FH-k-5xx').length, 1);
    server.faults.inject({ type: '500' }, 5);
    await r.outbox.enqueue(confirmation('k-500', '1000036972'));
    await until(() => r.outbox.stats().deadLetters === 1, 'a dead letter after repeated 500');
    assert.match(r.outbox.deadLetters()[0].error, /gave up after 3 attempts: HTTP 500/);
  });

  it('down (connection refused) keeps the records and delivers them when SAP is back', async () => {
    await server.setDown(true);
    await r.outbox.enqueue(confirmation('k-a'));
    await r.outbox.enqueue(downtime('k-b', { reason: 'JAM', operation: '10' }));
    await until(() => r.events.some((e) => e.type === 'retry'), 'a retry');
    assert.equal(r.outbox.stats().depth, 2);
    await server.setDown(false);
    await drained(r.outbox);
    assert.deepEqual(server.bookings.map((b) => b.token), ['FH-k-a', 'FH-k-b']);
    assert.equal(server.bookings[1].doc.ConfirmedBreakDuration, '22');
  });

  it('a key already delivered is not accepted again after a restart (a flow replaying its messages)', async () => {
    await r.outbox.enqueue(confirmation('replay-1'));
    await drained(r.outbox);
    await r.close();
    // The same SQLite file, closed and opened again, as after a restart of the hub.
    r = rig(server.url, new SapOdataDialect({ ...DEFAULT_SAP_OPTIONS, sapClient: '100' }), auth, { timeoutMs: 500, file: r.file });
    const again = await r.outbox.enqueue(confirmation('replay-1'));
    assert.deepEqual({ duplicate: again.duplicate, state: again.state }, { duplicate: true, state: 'delivered' });
    await r.outbox.enqueue(confirmation('replay-2'));
    await drained(r.outbox);
    await until(() => server.bookings.length >= 2, 'the second booking');
    assert.deepEqual(server.bookings.map((b) => b.token), ['FH-replay-1', 'FH-replay-2']);
  });
});
