import assert from 'node:assert/strict';
import { RestDialect } from '../../nodes/erp/dialects/rest';
import { parseConnection } from '../../nodes/erp/connection-config';
import type { DemoErp } from '../../simulator/erp-server';
import { startDemoErp } from '../../simulator/erp-server';
import { confirmation } from '../erp/support/records';
import type { Rig } from '../erp/support/harness';
import { drained, rig } from '../erp/support/harness';

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
  readonly headers: Headers;
}

async function call(erp: DemoErp, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${erp.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

describe('simulator demo ERP', function () {
  this.timeout(20000);
  let erp: DemoErp;

  beforeEach(async () => {
    erp = await startDemoErp({ port: 0 });
  });
  afterEach(async () => {
    await erp.stop();
  });

  it('stores a booking, replays an Idempotency-Key with the stored answer and refuses a reused key', async () => {
    const doc = { key: 'k-1', kind: 'confirmation', order: '4711', yield: 95 };
    const first = await call(erp, 'POST', '/api/bookings', doc, { 'idempotency-key': '"k-1"' });
    assert.equal(first.status, 201);
    const stored = first.body as Record<string, unknown>;
    assert.equal(stored.id, 'B-1');
    assert.equal(stored.yield, 95);
    assert.equal(first.headers.get('location'), '/api/bookings/B-1');

    const replay = await call(erp, 'POST', '/api/bookings', doc, { 'idempotency-key': '"k-1"' });
    assert.equal(replay.status, 201);
    assert.deepEqual(replay.body, stored, 'the same document');
    assert.equal(erp.bookings().length, 1, 'stored once');

    const reused = await call(erp, 'POST', '/api/bookings', { ...doc, yield: 1 }, { 'idempotency-key': '"k-1"' });
    assert.equal(reused.status, 422);
    assert.equal(erp.bookings().length, 1);

    const noKey = await call(erp, 'POST', '/api/bookings', { order: '1' });
    assert.equal(noKey.status, 422);
    const malformed = await call(erp, 'POST', '/api/bookings', '{"key": ');
    assert.equal(malformed.status, 400);
    assert.equal(typeof (malformed.body as { message?: unknown }).message, 'string');
    assert.equal(erp.bookings().length, 1);
  });

  it('finds bookings by key (the dialect look-up), lists them newest first, filters by kind', async () => {
    await call(erp, 'POST', '/api/bookings', { key: 'a', kind: 'confirmation' });
    await call(erp, 'POST', '/api/bookings', { key: 'b', kind: 'downtime', reason: 'jam' });
    await call(erp, 'POST', '/api/bookings', { key: 'c', kind: 'confirmation' });

    const found = await call(erp, 'GET', '/api/bookings?key=b');
    assert.deepEqual(
      (found.body as Record<string, unknown>[]).map((d) => [d.id, d.key, d.reason]),
      [['B-2', 'b', 'jam']],
    );
    assert.deepEqual((await call(erp, 'GET', '/api/bookings?key=zzz')).body, []);

    const all = (await call(erp, 'GET', '/api/bookings')).body as Record<string, unknown>[];
    assert.deepEqual(all.map((d) => d.key), ['c', 'b', 'a']);
    const confirmations = (await call(erp, 'GET', '/api/bookings?kind=confirmation')).body as Record<string, unknown>[];
    assert.deepEqual(confirmations.map((d) => d.key), ['c', 'a']);
    assert.equal(((await call(erp, 'GET', '/api/bookings/B-3')).body as Record<string, unknown>).key, 'c');
    assert.equal((await call(erp, 'GET', '/api/bookings/B-99')).status, 404);
    assert.deepEqual(
      erp.bookings().map((b) => [b.id, b.key, b.kind]),
      [
        ['B-1', 'a', 'confirmation'],
        ['B-2', 'b', 'downtime'],
        ['B-3', 'c', 'confirmation'],
      ],
    );
  });

  it('shows the bookings on an HTML page with every value escaped', async () => {
    await call(erp, 'POST', '/api/bookings', { key: 'x<script>alert(1)</script>', kind: 'downtime', order: '"&\'', reason: '<b>jam</b>' });
    const page = await call(erp, 'GET', '/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.ok(!page.text.includes('<script>'), 'no markup from a booking');
    assert.ok(!page.text.includes('<b>jam'), 'no markup from a booking');
    assert.ok(page.text.includes('x&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(page.text.includes('&quot;&amp;&#39;'));
    assert.ok(page.text.includes('&lt;b&gt;jam&lt;/b&gt;'));
    assert.match(page.text, /1 booking,/);
  });

  it('takes what the REST dialect posts with the connection defaults, auth none', async () => {
    // The fh-erp-connection defaults, pointed at the demo ERP.
    const config = parseConnection(
      {
        dialect: 'rest',
        baseUrl: `${erp.url}/api`,
        authType: 'none',
        restMethod: 'POST',
        restUrl: '/bookings',
        restBody: '{"key": "{{key}}", "kind": "{{kind}}", "order": "{{order?}}", "yield": "{{yield?}}", "start": "{{start?}}", "end": "{{end?}}"}',
        restLookupUrl: '/bookings?key={{key}}',
        restKinds: 'confirmation,downtime,shift-oee',
      },
      {},
    );
    assert.equal(config.dialect.name, 'rest');
    if (config.dialect.name !== 'rest') return;
    const dialect = new RestDialect(config.dialect.options);
    let r: Rig | undefined;
    try {
      r = rig(config.baseUrl, dialect, config.auth);
      await r.outbox.enqueue(confirmation('demo-1'));
      await drained(r.outbox);
      const [booking] = erp.bookings();
      assert.equal(booking.key, 'demo-1');
      assert.equal(booking.kind, 'confirmation');
      assert.equal(booking.doc.yield, 95);
      // The look-up the dialect makes after an ambiguous outcome finds it.
      const found = await dialect.find(confirmation('demo-1'), (req) => r!.client.send(req));
      assert.deepEqual(found, { ref: booking.id });
    } finally {
      await r?.close();
    }
  });

  it('listens on the port it was given and frees it when stopped', async () => {
    const port = erp.port;
    await erp.stop();
    await erp.stop();
    erp = await startDemoErp({ port });
    assert.equal(erp.url, `http://127.0.0.1:${port}`);
    assert.equal((await call(erp, 'GET', '/api/bookings')).status, 200);
  });
});
