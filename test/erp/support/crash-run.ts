/**
 * The crash scenario shared by test/erp/crash.test.ts and bench/erp-soak.ts: a hub takes records over
 * HTTP-in into fh-erp-post and delivers them to the test SAP; the producer resends what it has no
 * acceptance for; a killer SIGKILLs the hub at random moments while records flow and starts it again.
 */
import assert from 'node:assert/strict';
import type { SapTestServer } from '../servers/sap';
import type { ErpHub } from './erp-hub';
import { basicAuth } from './erp-hub';
import { until } from './harness';

export const ORDERS = 20;
export const PER_ORDER = 100;

export function flows(sapUrl: string): unknown[] {
  return [
    { id: 'tab', type: 'tab', label: 'erp' },
    {
      id: 'sap', type: 'fh-erp-connection', name: 'S/4 test', dialect: 'sap-odata', baseUrl: sapUrl, authType: 'basic', sapClient: '100', timeout: 2, connectTimeout: 1,
      concurrency: 4, retryBase: 0.05, retryCap: 0.5, settle: 0.3, maxRecords: 100000, maxMB: 64, credentials: { username: 'COMM_USER', password: 'Secret-123' },
    },
    // Flow nodes need x/y: Node-RED takes a node without them for a config node.
    { id: 'in', type: 'http in', z: 'tab', x: 100, y: 100, url: '/erp-in', method: 'post', wires: [['post']] },
    { id: 'post', type: 'fh-erp-post', z: 'tab', x: 300, y: 100, connection: 'sap', kind: 'confirmation', mapping: '', wires: [['ok'], []] },
    { id: 'ok', type: 'http response', z: 'tab', x: 500, y: 100, statusCode: '200' },
    { id: 'catch', type: 'catch', z: 'tab', x: 100, y: 200, scope: ['post'], wires: [['refused']] },
    { id: 'refused', type: 'change', z: 'tab', x: 300, y: 200, rules: [{ t: 'set', p: 'statusCode', pt: 'msg', to: '422', tot: 'num' }, { t: 'set', p: 'payload', pt: 'msg', to: 'error.message', tot: 'msg' }], wires: [['ok']] },
  ];
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Posts each order's records in sequence (orders in parallel), resending until accepted. */
export async function produce(hub: ErpHub, accepted: { n: number }): Promise<void> {
  const auth = basicAuth('operator');
  await Promise.all(
    Array.from({ length: ORDERS }, async (_, o) => {
      const order = `${4000000 + o}`;
      for (let i = 0; i < PER_ORDER; i++) {
        const body = JSON.stringify({ key: `o${o}-${String(i).padStart(4, '0')}`, order, operation: '10', yield: 1 + (i % 7), unit: 'PC', start: '2024-06-15T06:00:00Z', end: '2024-06-15T06:05:00Z' });
        for (;;) {
          if (!hub.running || !hub.url) {
            await sleep(50);
            continue;
          }
          try {
            const res = await hub.fetch('/erp-in', { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5000) });
            const text = await res.text();
            if (res.status === 200) break;
            if (res.status === 422) throw new Error(`record refused: ${text}`);
          } catch (err) {
            if (err instanceof Error && err.message.startsWith('record refused')) throw err;
          }
          await sleep(50);
        }
        accepted.n++;
      }
    }),
  );
}

/**
 * Kills the hub `count` times while records flow: each time after a random number of further records
 * were accepted (so the kill lands while records are being accepted and delivered), plus a random delay.
 */
export async function killer(hub: ErpHub, count: number, busy: () => boolean, accepted: { n: number }, kills: number[]): Promise<void> {
  for (let k = 0; k < count && busy(); k++) {
    const target = accepted.n + 40 + Math.floor(Math.random() * 160);
    await until(() => accepted.n >= target || !busy(), 'records to flow', 60_000);
    await sleep(Math.random() * 100);
    if (!busy()) break;
    await hub.kill();
    kills.push(Date.now());
    await hub.start();
  }
}

export function assertExactlyOnceInOrder(sap: SapTestServer): void {
  const seen = new Map<string, number>();
  for (const b of sap.bookings) seen.set(b.token, (seen.get(b.token) ?? 0) + 1);
  const twice = [...seen].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'records booked more than once');
  assert.equal(seen.size, ORDERS * PER_ORDER, 'records missing');
  for (let o = 0; o < ORDERS; o++) {
    const seq = sap.bookings.filter((b) => b.token.startsWith(`FH-o${o}-`)).map((b) => Number(b.token.slice(-4)));
    assert.deepEqual(seq, [...Array(PER_ORDER).keys()], `order ${o} booked out of order`);
  }
}

