/**
 * Delivery to the test Odoo, over JSON-RPC (authenticate + execute_kw, errors with HTTP 200, session
 * expiry) and over JSON-2 (bearer key, named arguments, 4xx JSON errors); look-ups by the key token.
 */
import assert from 'node:assert/strict';
import { OdooDialect } from '../../nodes/erp/dialects/odoo';
import { OdooTestServer } from './servers/odoo';
import type { Rig } from './support/harness';
import { drained, rig, until } from './support/harness';
import type { ErpRecord } from '../../nodes/erp/record';
import { T0, confirmation, downtime } from './support/records';

const MO = 'WH/MO/00012';
const conf = (key: string, order: string, fields: Record<string, unknown>): ErpRecord => confirmation(key, order, { workCenter: 'Line-1', ...fields });

describe('Odoo delivery', function () {
  this.timeout(20000);
  let server: OdooTestServer;
  let r: Rig;

  afterEach(async () => {
    await r.close();
    await server.stop();
  });

  describe('JSON-RPC /jsonrpc', () => {
    beforeEach(async () => {
      server = await new OdooTestServer().start();
      const dialect = new OdooDialect({ api: 'jsonrpc', database: 'factory', keyField: '', oeeModel: 'x_fh_shift_oee' }, { database: 'factory', login: 'mes-bot', password: 'odoo-api-key-1' });
      r = rig(server.url, dialect, { type: 'none' }, { timeoutMs: 500 });
    });

    it('books a confirmation as a productive time log on the order\'s work order, key first in the description', async () => {
      await r.outbox.enqueue(conf('c-1', MO, { operation: 'Assembly', workCenter: 'Line-1' }));
      await drained(r.outbox);
      const [log] = server.productivity;
      assert.equal(log.workorder_id, 1012);
      assert.equal(log.workcenter_id, 3);
      assert.equal(log.loss_id, 1);
      assert.equal(log.date_start, '2024-06-15 06:00:00');
      assert.equal(log.date_end, '2024-06-15 14:00:00');
      assert.equal(log.description, 'FH-c-1 yield 95 PC, scrap 5 PC');
      assert.equal(server.authentications, 1);
    });

    it('books a downtime with the loss named by its reason (or an availability loss), and shift OEE to the custom model', async () => {
      await r.outbox.enqueue(downtime('d-1', { order: MO, operation: 'Assembly', reason: 'Equipment Failure' }));
      await r.outbox.enqueue(downtime('d-2', { order: MO, operation: 'Assembly', reason: 'conveyor jam', start: T0 + 3600_000, end: T0 + 3700_000 }));
      await r.outbox.enqueue({ kind: 'shift-oee', key: 'o-1', workCenter: 'Line-1', shift: 'A', start: T0, end: T0 + 8 * 3600_000, oee: { availability: 0.9, performance: 0.95, quality: 0.99, oee: 0.846 } });
      await drained(r.outbox);
      assert.deepEqual(server.productivity.map((p) => [p.loss_id, p.description]), [[5, 'FH-d-1 Equipment Failure'], [5, 'FH-d-2 conveyor jam']]);
      assert.equal(server.models.x_fh_shift_oee[0].x_oee, 0.846);
      assert.equal(server.models.x_fh_shift_oee[0].x_workcenter_id, 3);
    });

    it('authenticates again when Odoo says the session expired (HTTP 200 JSON-RPC error)', async () => {
      await r.outbox.enqueue(conf('c-1', MO, { operation: 'Assembly' }));
      await drained(r.outbox);
      server.expireSessions();
      await r.outbox.enqueue(conf('c-2', MO, { operation: 'Assembly', start: T0 + 9 * 3600_000, end: T0 + 10 * 3600_000 }));
      await drained(r.outbox);
      assert.equal(server.productivity.length, 2);
      assert.equal(server.authentications, 2);
    });

    it('a ValidationError arriving with HTTP 200 becomes a dead letter with Odoo\'s message', async () => {
      server.faults.inject({ type: 'validation', message: 'The work order is already done.' });
      await r.outbox.enqueue(conf('c-bad', MO, { operation: 'Assembly' }));
      await until(() => r.outbox.stats().deadLetters === 1, 'a dead letter');
      assert.equal(r.outbox.deadLetters()[0].error, 'Odoo odoo.exceptions.ValidationError: The work order is already done.');
    });

    it('a serialization failure is retried; commit-then-drop is settled by search_read without a duplicate', async () => {
      server.faults.inject({ type: 'locked' });
      server.faults.inject({ type: 'commit-then-drop' });
      await r.outbox.enqueue(conf('c-x', MO, { operation: 'Assembly' }));
      await drained(r.outbox);
      assert.equal(server.booked('FH-c-x').length, 1);
      assert.ok(r.events.some((e) => e.type === 'delivered' && e.foundByLookup));
    });

    it('looks a key up exactly after an ambiguous failure: FH-PK-1 is not FH-PK-10 and _ is no wildcard', async () => {
      const log = (key: string, h: number): ErpRecord => conf(key, MO, { operation: 'Assembly', start: T0 + h * 3600_000, end: T0 + (h + 1) * 3600_000 });
      await r.outbox.enqueue(log('PK-10', 0));
      await r.outbox.enqueue(log('PKX2', 1));
      await drained(r.outbox);
      // Each next post is cut before Odoo creates it: only the look-up can tell, and it must find nothing.
      server.faults.inject({ type: 'reset' }, 2);
      await r.outbox.enqueue(log('PK-1', 2));
      await r.outbox.enqueue(log('PK_2', 3));
      await drained(r.outbox);
      assert.equal(server.faults.applied.reset, 2);
      assert.deepEqual(server.bookings.map((b) => b.token), ['FH-PK-10', 'FH-PKX2', 'FH-PK-1', 'FH-PK_2']);
    });

    it('an unknown work center is refused by Odoo\'s data, not retried forever', async () => {
      await r.outbox.enqueue(conf('c-wc', MO, { operation: 'Assembly', workCenter: 'Line-9' }));
      await until(() => r.outbox.stats().deadLetters === 1, 'a dead letter');
      assert.match(r.outbox.deadLetters()[0].error, /no work center named "Line-9"/);
    });
  });

  describe('JSON-2 /json/2', () => {
    beforeEach(async () => {
      server = await new OdooTestServer().start();
      const dialect = new OdooDialect({ api: 'json2', database: 'factory', keyField: '', oeeModel: '' }, { database: 'factory', login: '', password: '' });
      r = rig(server.url, dialect, { type: 'bearer', token: 'json2-key-abc' }, { timeoutMs: 500 });
    });

    it('books with named arguments and a bearer API key; settles commit-then-drop by look-up', async () => {
      server.faults.inject({ type: 'commit-then-drop' });
      await r.outbox.enqueue(conf('j-1', MO, { operation: 'Assembly' }));
      await r.outbox.enqueue(conf('j-2', MO, { operation: 'Assembly', start: T0 + 9 * 3600_000, end: T0 + 10 * 3600_000 }));
      await drained(r.outbox);
      assert.deepEqual(server.bookings.map((b) => b.token), ['FH-j-1', 'FH-j-2']);
    });

    it('a refused API key (401) keeps the record and raises the credentials alarm', async () => {
      await r.close();
      const dialect = new OdooDialect({ api: 'json2', database: 'factory', keyField: '', oeeModel: '' }, { database: 'factory', login: '', password: '' });
      r = rig(server.url, dialect, { type: 'bearer', token: 'expired-key' });
      await r.outbox.enqueue(conf('j-3', MO, { operation: 'Assembly' }));
      await until(() => r.outbox.stats().alarm !== undefined, 'the alarm');
      assert.match(r.outbox.stats().alarm ?? '', /credentials.*Invalid apikey/);
      assert.equal(r.outbox.stats().depth, 1);
      assert.equal(r.outbox.stats().deadLetters, 0);
    });
  });
});
