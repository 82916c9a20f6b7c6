/**
 * Delivery to the test ERPNext: Job Card with a time log, Downtime Entry, Stock Entry "Manufacture"
 * through make_stock_entry; token auth; `_server_messages` errors; look-ups by filters; a unique custom
 * key field whose 409 means "already booked".
 */
import assert from 'node:assert/strict';
import type { ErpnextOptions } from '../../nodes/erp/dialects/erpnext';
import { DEFAULT_ERPNEXT_OPTIONS, ErpnextDialect } from '../../nodes/erp/dialects/erpnext';
import { ErpnextTestServer } from './servers/erpnext';
import type { Rig } from './support/harness';
import { drained, rig, until } from './support/harness';
import { confirmation, downtime } from './support/records';

const WO = 'MFG-WO-2024-00012';

describe('ERPNext delivery', function () {
  this.timeout(20000);
  let server: ErpnextTestServer;
  let r: Rig;
  const start = async (options: Partial<ErpnextOptions> = {}, uniqueKeyField = ''): Promise<void> => {
    server = await new ErpnextTestServer('a1b2c3d4e5', 'f6e5d4c3b2a1', uniqueKeyField).start();
    r = rig(server.url, new ErpnextDialect({ ...DEFAULT_ERPNEXT_OPTIONS, timeZone: 'Europe/Berlin', ...options }), { type: 'frappe-token', apiKey: 'a1b2c3d4e5', apiSecret: 'f6e5d4c3b2a1' }, { timeoutMs: 500 });
  };
  afterEach(async () => {
    await r.close();
    await server.stop();
  });

  it('books a submitted Job Card with its time log in the site time zone, and a Downtime Entry', async () => {
    await start();
    await r.outbox.enqueue(confirmation('e-1', WO, { operation: 'Assembly', employee: 'HR-EMP-00007' }));
    await r.outbox.enqueue(downtime('e-2', { order: undefined, reason: 'conveyor jam' }));
    await drained(r.outbox);
    const [card] = server.docs['Job Card'];
    assert.equal(card.docstatus, 1);
    assert.equal(card.remarks, 'FH-e-1');
    assert.deepEqual(card.time_logs, [{ from_time: '2024-06-15 08:00:00', to_time: '2024-06-15 16:00:00', time_in_mins: 480, completed_qty: 95, employee: 'HR-EMP-00007' }]);
    const [dt] = server.docs['Downtime Entry'];
    assert.equal(dt.stop_reason, 'Other');
    assert.equal(dt.more_details, 'FH-e-2 conveyor jam');
  });

  it('a ValidationError (417) becomes a dead letter with the text from the doubly encoded _server_messages', async () => {
    await start();
    await r.outbox.enqueue(confirmation('e-3', WO, { operation: 'Assembly', yield: 50, scrap: 0, rework: 0, extra: { for_quantity: 10 } }));
    await until(() => r.outbox.stats().deadLetters === 1, 'a dead letter');
    assert.equal(r.outbox.deadLetters()[0].error, 'HTTP 417: ERPNext ValidationError: Row #1: Completed Qty (50) cannot be greater than Qty To Manufacture (10)');
  });

  it('commit-then-drop is settled by the filters look-up; 503 SessionStopped and 429 are retried', async () => {
    await start();
    server.faults.inject({ type: '503' });
    server.faults.inject({ type: '429', retryAfterS: 0 });
    server.faults.inject({ type: 'commit-then-drop' });
    await r.outbox.enqueue(confirmation('e-4', WO, { operation: 'Assembly' }));
    await drained(r.outbox);
    assert.equal(server.booked('FH-e-4').length, 1);
  });

  it('Stock Entry "Manufacture": built by make_stock_entry, then inserted submitted with the key', async () => {
    await start({ confirmAs: 'stock-entry' });
    await r.outbox.enqueue(confirmation('e-5', WO, { operation: undefined }));
    await drained(r.outbox);
    const [se] = server.docs['Stock Entry'];
    assert.equal(se.purpose, 'Manufacture');
    assert.equal(se.fg_completed_qty, 95);
    assert.equal(se.docstatus, 1);
    assert.equal(se.remarks, 'FH-e-5');
  });

  it('with a unique custom key field, a 409 DuplicateEntryError on a second post is read as already booked', async () => {
    await start({ keyField: 'fh_key' }, 'fh_key');
    const record = confirmation('e-6', WO, { operation: 'Assembly' });
    const first = await r.dialect.post(record, r.client.send);
    const second = await r.dialect.post(record, r.client.send);
    assert.equal(second.ref, first.ref);
    assert.equal(server.booked('FH-e-6').length, 1);
    assert.equal(server.docs['Job Card'][0].fh_key, 'FH-e-6');
  });

  it('a revoked API token keeps the records (alarm) until the token works again', async () => {
    await start();
    server.revokeToken();
    await r.outbox.enqueue(confirmation('e-7', WO, { operation: 'Assembly' }));
    await until(() => /credentials/.test(r.outbox.stats().alarm ?? ''), 'the credentials alarm');
    assert.match(r.outbox.stats().alarm ?? '', /AuthenticationError: Invalid login credentials/);
    server.apiSecret = 'f6e5d4c3b2a1';
    await drained(r.outbox);
    assert.equal(r.outbox.stats().alarm, undefined);
  });

  it('looks a key up exactly after an ambiguous failure: FH-PK-1 is not FH-PK-10, _ is no wildcard, case counts', async () => {
    await start();
    const card = (key: string): ReturnType<typeof confirmation> => confirmation(key, WO, { operation: 'Assembly' });
    for (const key of ['PK-10', 'PKX2', 'PK-3']) await r.outbox.enqueue(card(key));
    await drained(r.outbox);
    // Each next post is cut before ERPNext books it: only the look-up can tell, and it must find nothing.
    server.faults.inject({ type: 'reset' }, 3);
    for (const key of ['PK-1', 'PK_2', 'pk-3']) await r.outbox.enqueue(card(key));
    await drained(r.outbox);
    assert.equal(server.faults.applied.reset, 3);
    for (const token of ['FH-PK-10', 'FH-PKX2', 'FH-PK-3', 'FH-PK-1', 'FH-PK_2', 'FH-pk-3']) assert.equal(server.booked(token).length, 1, `${token} booked once`);
    assert.ok(r.events.every((e) => e.type !== 'delivered' || !e.foundByLookup), 'nothing taken as delivered by a look-up');
  });
});
