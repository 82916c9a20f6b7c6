/**
 * ERP HTTP through the fault proxy (test/support/fault-proxy.ts), for each ERP's test server: FIN or RST
 * before the ERP got the request and after it booked it, a black hole, a delay (short, and past the
 * answer timeout), replies split byte by byte, refused connections and a garbage reply. After each fault
 * the outbox delivers every record exactly once (the ERP's bookings are checked), the outbox says the
 * truth while the ERP cannot be reached, and closing leaves no socket open at the proxy and no timer.
 */
import assert from 'node:assert/strict';
import type { AuthConfig } from '../../nodes/erp/auth';
import type { Dialect } from '../../nodes/erp/dialects/dialect';
import { DEFAULT_ERPNEXT_OPTIONS, ErpnextDialect } from '../../nodes/erp/dialects/erpnext';
import { OdooDialect } from '../../nodes/erp/dialects/odoo';
import { RestDialect } from '../../nodes/erp/dialects/rest';
import { DEFAULT_SAP_OPTIONS, SapOdataDialect } from '../../nodes/erp/dialects/sap-odata';
import type { ErpRecord } from '../../nodes/erp/record';
import { FaultProxy } from '../support/fault-proxy';
import type { TestServer } from './servers/common';
import { ErpnextTestServer } from './servers/erpnext';
import { OdooTestServer } from './servers/odoo';
import { RestTestServer } from './servers/rest';
import { SapTestServer } from './servers/sap';
import type { Rig } from './support/harness';
import { drained, rig, until } from './support/harness';
import { T0, confirmation, downtime } from './support/records';

interface Erp {
  readonly name: string;
  server(): TestServer;
  dialect(): Dialect;
  readonly auth: AuthConfig;
  /** The i-th record of a test: after a first one (which opens the session, caches ids), requests are posts. */
  record(key: string, i: number): ErpRecord;
  /** The token the server records for a key. */
  token(key: string): string;
}

const ERPS: readonly Erp[] = [
  {
    name: 'REST',
    server: () => new RestTestServer(),
    dialect: () =>
      new RestDialect({ method: 'POST', url: '/bookings', body: '{"key": "{{key}}", "order": "{{order}}", "qty": "{{yield}}"}', lookupUrl: '/bookings?key={{key}}', kinds: ['confirmation'] }),
    auth: { type: 'none' },
    record: (key, i) => confirmation(key, `R${i % 3}`),
    token: (key) => key,
  },
  {
    name: 'SAP OData',
    server: () => new SapTestServer(),
    dialect: () => new SapOdataDialect({ ...DEFAULT_SAP_OPTIONS, sapClient: '100' }),
    auth: { type: 'basic', username: 'COMM_USER', password: 'Secret-123' },
    record: (key) => confirmation(key),
    token: (key) => `FH-${key}`,
  },
  {
    name: 'ERPNext',
    server: () => new ErpnextTestServer(),
    dialect: () => new ErpnextDialect({ ...DEFAULT_ERPNEXT_OPTIONS, timeZone: 'UTC' }),
    auth: { type: 'frappe-token', apiKey: 'a1b2c3d4e5', apiSecret: 'f6e5d4c3b2a1' },
    record: (key, i) => confirmation(key, `MFG-WO-2024-${String((i % 3) + 1).padStart(5, '0')}`, { operation: 'Assembly' }),
    token: (key) => `FH-${key}`,
  },
  {
    name: 'Odoo JSON-RPC',
    server: () => new OdooTestServer(),
    dialect: () => new OdooDialect({ api: 'jsonrpc', database: 'factory', keyField: '', oeeModel: '' }, { database: 'factory', login: 'mes-bot', password: 'odoo-api-key-1' }),
    auth: { type: 'none' },
    // Downtime of a work center: after the first, posting is one create call (ids are cached).
    record: (key, i) => downtime(key, { order: undefined, workCenter: 'Line-1', reason: 'Equipment Failure', start: T0 + i * 3600_000, end: T0 + i * 3600_000 + 60_000 }),
    token: (key) => `FH-${key}`,
  },
];

/** Ref'd handles of this process by type (sockets, timers): what would keep Node-RED from exiting. */
function handles(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of process.getActiveResourcesInfo()) out[t] = (out[t] ?? 0) + 1;
  return out;
}

const TIMEOUT_MS = 1000;

for (const erp of ERPS) {
  describe(`ERP HTTP through the fault proxy: ${erp.name}`, function () {
    this.timeout(60_000);
    let server: TestServer;
    let proxy: FaultProxy;
    let r: Rig;
    let before: Record<string, number>;
    let keys: string[];
    let n = 0;

    beforeEach(async () => {
      // After a turn of the loop, so mocha's own timer for this hook is counted in the baseline too.
      await new Promise((res) => setImmediate(res));
      before = handles();
      server = await erp.server().start();
      proxy = await FaultProxy.start({ port: server.port });
      r = rig(`http://127.0.0.1:${proxy.port}`, erp.dialect(), erp.auth, { timeoutMs: TIMEOUT_MS, delivery: { settleMs: 100 } });
      keys = [];
      // One record through a healthy path first: sessions, CSRF tokens and ids are in place, so the
      // fault meets a booking request.
      await post(1);
      await drained(r.outbox);
    });
    afterEach(async function () {
      await r.close();
      await until(() => proxy.stats.open === 0, 'every connection through the proxy to be closed by the client');
      await proxy.close();
      await server.stop();
      // Nothing of the outbox or its HTTP client is left running (a timer or socket would keep the runtime up).
      const leaked = (): string => {
        const now = handles();
        return ['Timeout', 'TCPSocketWrap', 'TCPServerWrap'].filter((t) => (now[t] ?? 0) > (before[t] ?? 0)).map((t) => `${t} ${before[t] ?? 0} -> ${now[t]}`).join(', ');
      };
      await until(() => leaked() === '', 'no handle left open', 10_000).catch((err: Error) => assert.fail(`${err.message}: ${leaked()}`));
    });

    const post = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const key = `${erp.name.slice(0, 3).toLowerCase()}-${++n}`;
        keys.push(key);
        await r.outbox.enqueue(erp.record(key, n));
      }
    };
    const deliveredOnce = async (): Promise<void> => {
      await drained(r.outbox, 40_000);
      for (const key of keys) assert.equal(server.booked(erp.token(key)).length, 1, `${key} booked once`);
      assert.equal(server.bookings.length, keys.length, 'no other booking');
    };
    /** The next answer of the ERP (to a booking: it is on the ERP's books) is replaced by a FIN or RST. */
    const dropAnswer = (how: 'fin' | 'rst'): void => {
      proxy.rewriteReply = () => {
        proxy.rewriteReply = undefined;
        proxy.drop(how);
        return Buffer.alloc(0);
      };
    };
    const lastError = (): string => r.outbox.stats().lastError?.message ?? '';

    it('FIN in answer to a booking request the ERP never got: looked up, not found, posted again', async () => {
      proxy.dropOnNextRequest('fin');
      await post(3);
      await deliveredOnce();
      assert.ok(r.events.some((e) => e.type === 'retry' && e.failure.kind === 'ambiguous'), 'the cut request was ambiguous');
    });

    it('FIN instead of the answer to a booking the ERP made: found by the look-up, not posted twice', async () => {
      dropAnswer('fin');
      await post(3);
      await deliveredOnce();
      assert.ok(r.events.some((e) => e.type === 'delivered' && e.foundByLookup), 'settled by the look-up');
    });

    it('RST before and after the ERP booked', async () => {
      proxy.dropOnNextRequest('rst');
      await post(2);
      await deliveredOnce();
      dropAnswer('rst');
      await post(2);
      await deliveredOnce();
      assert.ok(r.events.some((e) => e.type === 'delivered' && e.foundByLookup), 'settled by the look-up');
    });

    it('black hole: each request ends at the answer timeout, the outbox says so, and delivers once healed', async () => {
      proxy.setMode({ kind: 'blackhole' });
      await post(2);
      await until(() => new RegExp(`no answer within ${TIMEOUT_MS} ms|no connection within`).test(lastError()), 'the timeout in the outbox', 20_000);
      assert.ok(r.outbox.stats().depth >= 2);
      // Several attempts, each ended by the timeout: nothing hangs.
      await until(() => r.events.filter((e) => e.type === 'retry').length >= 3, 'more attempts, each timed out', 20_000);
      proxy.heal();
      await deliveredOnce();
    });

    it('a short delay is only slow; a delay past the answer timeout is ambiguous and settled by look-up', async () => {
      proxy.setMode({ kind: 'delay', ms: 50 });
      await post(2);
      await deliveredOnce();
      assert.ok(r.events.every((e) => e.type !== 'retry'), 'no retry for a delay within the timeout');
      proxy.setMode({ kind: 'delay', ms: TIMEOUT_MS + 300 });
      await post(2);
      await until(() => r.events.some((e) => e.type === 'retry' && e.failure.kind === 'ambiguous'), 'an ambiguous timeout', 20_000);
      proxy.heal();
      await deliveredOnce();
    });

    it('answers split byte by byte are read whole', async () => {
      // A byte per timer tick makes a 2 KB answer take seconds: a timeout that allows it, so only a
      // misread answer could cause a retry.
      await r.close();
      r = rig(`http://127.0.0.1:${proxy.port}`, erp.dialect(), erp.auth, { timeoutMs: 60_000, delivery: { settleMs: 100 } });
      proxy.setMode({ kind: 'split', gapMs: 0 });
      await post(3);
      await deliveredOnce();
      const retries = r.events.flatMap((e) => (e.type === 'retry' ? [e.failure.message] : []));
      assert.deepEqual(retries, [], 'no retry for a split answer');
    });

    it('refused connections: the outbox says the ERP cannot be reached, keeps the records, delivers once healed', async () => {
      proxy.drop('rst');
      proxy.setMode({ kind: 'refuse' });
      await post(2);
      await until(() => /ECONNRESET|socket hang up|not reachable/.test(lastError()), 'the refusal in the outbox', 20_000);
      assert.equal(r.outbox.stats().depth, 2);
      proxy.heal();
      await deliveredOnce();
    });

    it('a garbage reply to a booking: ambiguous, found by the look-up, not posted twice', async () => {
      proxy.replaceNextReply(Buffer.from('\u0000\u00ffHTTP/9 garbage\r\n\r\n', 'latin1'));
      await post(3);
      await deliveredOnce();
      assert.ok(r.events.some((e) => e.type === 'retry' && e.failure.kind === 'ambiguous'), 'the garbage was ambiguous');
    });
  });
}
