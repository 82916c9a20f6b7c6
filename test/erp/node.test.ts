/**
 * fh-erp-connection and fh-erp-post in a real Node-RED runtime (node-red-node-test-helper) against the
 * test REST service: acceptance on output 1 after the commit, delivery events on output 2, bad input
 * refused through done(err) and not queued, the full-outbox alarm, status, a redeploy that closes the
 * outbox and finds its records again, credentials kept out of the flow, and TLS (verification on by
 * default, a custom CA, an explicit opt-out).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { TestFlows } from 'node-red-node-test-helper';
import type { Node } from 'node-red';
import connectionNode from '../../nodes/erp/erp-connection';
import type { ErpConnectionNode } from '../../nodes/erp/erp-connection';
import postNode from '../../nodes/erp/erp-post';
import { FaultProxy } from '../support/fault-proxy';
import { restoreOpensslConf } from '../../nodes/opcua/openssl-env';
import { tempDir } from '../support/hub-process';
import { statusMatching, useTestRuntime, outputOrError } from '../support/node-red';
import { RestTestServer } from './servers/rest';
import { until } from './support/harness';


type Msg = Record<string, unknown> & { erp?: Record<string, unknown> };

function flow(baseUrl: string, extra: Record<string, unknown> = {}, post: Record<string, unknown> = {}): TestFlows {
  return [
    { id: 'tab', type: 'tab' },
    {
      id: 'erp', type: 'fh-erp-connection', name: 'mes-api', dialect: 'rest', baseUrl, authType: 'bearer', timeout: 1, connectTimeout: 1, retryBase: 0.02, retryCap: 0.2, settle: 0.1, concurrency: 2, maxRecords: 1000, maxMB: 1,
      restMethod: 'POST', restUrl: '/bookings', restBody: '{"key": "{{key}}", "order": "{{order}}", "qty": "{{yield}}"}', restLookupUrl: '/bookings?key={{key}}', restKinds: 'confirmation,downtime', ...extra,
    },
    { id: 'post', type: 'fh-erp-post', z: 'tab', name: 'confirmations', connection: 'erp', kind: 'confirmation', mapping: '', wires: [['accepted'], ['events']], ...post },
    { id: 'accepted', type: 'helper', z: 'tab' },
    { id: 'events', type: 'helper', z: 'tab' },
  ] as TestFlows;
}
const CREDS = { erp: { token: 'static-token' } };

const post = (node: Node, out: Node, msg: Msg): Promise<{ msg?: Msg; error?: string }> => outputOrError(node, out, msg);

describe('fh-erp-post and fh-erp-connection in Node-RED', function () {
  const userDir = useTestRuntime('erp-node');
  this.timeout(20000);
  let server: RestTestServer;
  let events: Msg[];

  const load = async (extra: Record<string, unknown> = {}, postProps: Record<string, unknown> = {}, url = server.url): Promise<{ node: Node; accepted: Node; conn: ErpConnectionNode }> => {
    await helper.load([connectionNode, postNode], flow(url, extra, postProps), CREDS);
    events = [];
    helper.getNode('events').on('input', (m: Msg) => events.push(m));
    return { node: helper.getNode('post'), accepted: helper.getNode('accepted'), conn: helper.getNode('erp') as ErpConnectionNode };
  };
  const outboxOf = (conn: ErpConnectionNode): NonNullable<Extract<ErpConnectionNode['ready'], { outbox: unknown }>['outbox']> => {
    const r = conn.ready;
    if ('error' in r) throw r.error;
    return r.outbox;
  };

  beforeEach(async () => {
    // Each test starts with no outbox file (the config node id, and so the file name, is the same).
    fs.rmSync(path.join(userDir, 'factoryhub'), { recursive: true, force: true });
    server = await new RestTestServer('bearer').start();
    await new Promise<void>((r) => helper.startServer(r));
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(r));
    await server.stop();
  });

  it('accepts a record (output 1, after the commit) and reports its delivery (output 2)', async () => {
    const { node, accepted, conn } = await load();
    const res = await post(node, accepted, { payload: { order: '4711', yield: 12, key: 'n-1' }, topic: 'line1' });
    assert.equal(res.error, undefined);
    assert.deepEqual(res.msg?.erp, { event: 'accepted', key: 'n-1', seq: 1, duplicate: false, kind: 'confirmation', order: '4711' });
    assert.equal(res.msg?.topic, 'line1');
    await until(() => events.some((e) => e.topic === 'delivered'), 'the delivered event');
    const delivered = events.find((e) => e.topic === 'delivered');
    assert.deepEqual({ ...(delivered?.payload as Record<string, unknown>) }, { event: 'delivered', key: 'n-1', kind: 'confirmation', order: '4711', attempts: 1, ref: 'B-1', foundByLookup: false });
    assert.equal(server.bookings[0].doc.qty, 12);
    await statusMatching(node, /all delivered \(1 since start\)/);
    // The secret never appears in the config node's properties, only in its credentials.
    assert.equal((conn as unknown as Record<string, unknown>).token, undefined);
    assert.equal(conn.credentials.token, 'static-token');
    assert.equal(outboxOf(conn).stats().deliveredSinceStart, 1);
    // The outbox's figures for a dashboard: sent on change, ending with the delivered state.
    await until(() => events.some((e) => e.topic === 'outbox' && (e.payload as { deliveredSinceStart?: number }).deliveredSinceStart === 1), 'the outbox figures after the delivery');
    const figures = events.filter((e) => e.topic === 'outbox').map((e) => e.payload as Record<string, unknown>);
    assert.deepEqual(figures[figures.length - 1], { event: 'outbox', connection: 'mes-api', depth: 0, oldestAgeMs: 0, deadLetters: 0, deliveredSinceStart: 1, full: false, alarm: null, retrying: false, lastError: null });
    assert.equal(new Set(figures.map((f) => JSON.stringify(f))).size, figures.length, 'only changes are sent');
  });

  it('refuses bad input with a specific error through done(err), and queues nothing', async () => {
    const { node, accepted, conn } = await load();
    // The first figures come once the flow has started, even with nothing ever queued.
    await until(() => events.some((e) => e.topic === 'outbox'), 'the first outbox figures');
    assert.deepEqual(events.find((e) => e.topic === 'outbox')?.payload, { event: 'outbox', connection: 'mes-api', depth: 0, oldestAgeMs: 0, deadLetters: 0, deliveredSinceStart: 0, full: false, alarm: null, retrying: false, lastError: null });
    assert.match((await post(node, accepted, { payload: { yield: 5 } })).error ?? '', /order is missing/);
    assert.match((await post(node, accepted, { payload: { order: 'A', yield: -1 } })).error ?? '', /yield must not be negative/);
    assert.match((await post(node, accepted, { payload: 42 })).error ?? '', /a record must be an object, not number/);
    assert.match((await post(node, accepted, { payload: { order: 'A', yield: null } })).error ?? '', /yield must be a finite number, not null/);
    assert.match((await post(node, accepted, { payload: { order: 'A', yield: '' } })).error ?? '', /yield must be a finite number, not ""/);
    assert.match((await post(node, accepted, { payload: { kind: 'shift-oee', workCenter: 'L', shift: 'A', start: 0, end: 1, oee: { availability: 1, performance: 1, quality: 1, oee: 1 } } })).error ?? '', /takes confirmation, downtime records, not shift-oee/);
    assert.equal(outboxOf(conn).stats().depth, 0);
    assert.equal(outboxOf(conn).store.counts.delivered, 0);
  });

  it('maps fields from the message (order=topic, yield=payload)', async () => {
    const { node, accepted } = await load({}, { mapping: 'order=topic, yield=payload' });
    const res = await post(node, accepted, { topic: 'A-9', payload: 7 });
    assert.equal(res.msg?.erp?.order, 'A-9');
    await until(() => server.bookings.length === 1, 'the booking');
    assert.equal(server.bookings[0].doc.qty, 7);
  });

  it('when the outbox is full: done(err), an alarm on output 2 and in the status; a resend is still recognised', async () => {
    await server.setDown(true);
    const { node, accepted } = await load({ maxRecords: 2 });
    await post(node, accepted, { payload: { order: 'A', yield: 1, key: 'f-1' } });
    await post(node, accepted, { payload: { order: 'A', yield: 1, key: 'f-2' } });
    const res = await post(node, accepted, { payload: { order: 'A', yield: 1, key: 'f-3' } });
    assert.match(res.error ?? '', /outbox full \(2 of 2 records/);
    await until(() => events.some((e) => e.topic === 'full'), 'the full event');
    await until(() => events.some((e) => e.topic === 'outbox' && (e.payload as { full?: boolean }).full === true), 'the outbox figures of a full outbox');
    await statusMatching(node, /ALARM outbox full/);
    assert.equal((await post(node, accepted, { payload: { order: 'A', yield: 1, key: 'f-2' } })).msg?.erp?.duplicate, true);
  });

  it('raises the outbox-full alarm again when the nodes start anew (redeploy, restart)', async () => {
    await server.setDown(true);
    const { node, accepted } = await load({ maxRecords: 2 });
    await post(node, accepted, { payload: { order: 'A', yield: 1, key: 'g-1' } });
    await post(node, accepted, { payload: { order: 'A', yield: 1, key: 'g-2' } });
    assert.match((await post(node, accepted, { payload: { order: 'A', yield: 1, key: 'g-3' } })).error ?? '', /outbox full/);
    await helper.setFlows(flow(server.url, { maxRecords: 2, name: 'mes-api (edited)' }), 'full', CREDS);
    await statusMatching(helper.getNode('post'), /ALARM outbox full \(2 of 2 records/);
  });

  it('refuses a record over the connection\'s size limit at the node, naming its size and the limit', async () => {
    const { node, accepted, conn } = await load({ maxRecordKB: 1 });
    const res = await post(node, accepted, { payload: { order: 'A', yield: 1, key: 's-1', extra: { note: 'x'.repeat(2000) } } });
    assert.match(res.error ?? '', /record s-1 refused, not queued: it is at least 2\.0 KiB as JSON, larger than the limit of 1\.0 KiB per record/);
    await statusMatching(node, /record s-1 refused/);
    assert.equal(outboxOf(conn).stats().depth, 0);
    assert.equal(server.bookings.length, 0);
  });

  it('shows "ERP asks to wait N s (429)" while it honours a Retry-After, cut to the longest retry delay', async () => {
    server.faults.inject({ type: '429', retryAfterS: 3600 });
    const { node, accepted } = await load({ retryCap: 2 });
    await post(node, accepted, { payload: { order: 'W', yield: 1, key: 'w-1' } });
    await statusMatching(node, /^ERP asks to wait [12] s \(429\), 1 queued$/);
    await until(() => server.bookings.length === 1, 'the booking after the capped wait', 20_000);
    await statusMatching(node, /all delivered \(1 since start\)/);
  });

  it('through the fault proxy, the status says the truth while the ERP does not answer, and recovers', async () => {
    const proxy = await FaultProxy.start({ port: server.port });
    try {
      const { node, accepted } = await load({}, {}, `http://127.0.0.1:${proxy.port}`);
      proxy.setMode({ kind: 'blackhole' });
      await post(node, accepted, { payload: { order: 'P', yield: 1, key: 'p-1' } });
      // An ambiguous failure does not pause the ERP, but the status must still say why nothing moves.
      await statusMatching(node, /^1 queued, oldest \d+ s, retrying: no answer after the request was sent \(no answer within 1000 ms\)/, 15_000);
      proxy.setMode({ kind: 'pass' });
      proxy.drop('rst');
      proxy.setMode({ kind: 'refuse' });
      await statusMatching(node, /retrying: .*(ECONNRESET|socket hang up|not reachable)/, 15_000);
      proxy.heal();
      await until(() => server.bookings.length === 1, 'the booking once healed', 20_000);
      await statusMatching(node, /all delivered \(1 since start\)/, 15_000);
      assert.equal(server.booked('p-1').length, 1);
    } finally {
      await helper.unload();
      await proxy.close();
    }
  });

  it('a redeploy closes the outbox within the close timeout and the new one delivers what was queued', async () => {
    await server.setDown(true);
    const { node, accepted } = await load();
    for (let i = 0; i < 5; i++) await post(node, accepted, { payload: { order: 'R', yield: i, key: `r-${i}` } });
    const before = outboxOf(helper.getNode('erp') as ErpConnectionNode);
    await helper.setFlows(flow(server.url, { name: 'mes-api (edited)' }), 'full', CREDS);
    assert.equal(before.isClosed, true);
    await server.setDown(false);
    await until(() => server.bookings.length === 5, 'the five bookings after the redeploy');
    assert.deepEqual(server.bookings.map((b) => b.token), ['r-0', 'r-1', 'r-2', 'r-3', 'r-4']);
    assert.ok(fs.existsSync(path.join(userDir, 'factoryhub', 'erp', 'erp.sqlite')));
  });

  describe('TLS', () => {
    let tls: https.Server | undefined;
    let cert = '';
    before(function () {
      try {
        const dir = tempDir('erp-tls');
        // An earlier file of this mocha process may have used node-opcua-crypto, which leaves OPENSSL_CONF "undefined".
        restoreOpensslConf();
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
        cert = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
        tls = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert }, (req, res) => {
          server.app(req, res);
        });
      } catch (err) {
        // Only a machine without openssl skips these; any other failure must show.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.skip();
        throw err;
      }
    });
    after(() => tls?.close());
    const tlsUrl = async (): Promise<string> => {
      if (!tls!.listening) await new Promise<void>((r) => tls!.listen(0, '127.0.0.1', r));
      return `https://127.0.0.1:${(tls!.address() as AddressInfo).port}`;
    };

    it('verifies certificates by default: a self-signed server is refused (retried, nothing booked)', async () => {
      const { node, accepted, conn } = await load({}, {}, await tlsUrl());
      await post(node, accepted, { payload: { order: 'T', yield: 1, key: 't-1' } });
      await until(() => /self-signed|SELF_SIGNED/i.test(outboxOf(conn).stats().lastError?.message ?? ''), 'a certificate error');
      assert.equal(server.bookings.length, 0);
    });

    it('through the fault proxy over TLS: an RST instead of the answer to a booking is settled by look-up, booked once', async () => {
      const target = new URL(await tlsUrl());
      const proxy = await FaultProxy.start({ port: Number(target.port) });
      try {
        // The certificate names 127.0.0.1, which the proxy's address is too: verification stays on.
        const { node, accepted } = await load({ ca: cert }, {}, `https://127.0.0.1:${proxy.port}`);
        await post(node, accepted, { payload: { order: 'T', yield: 1, key: 'tp-1' } });
        await until(() => server.bookings.length === 1, 'the first booking over TLS');
        // The next bytes from the ERP (on the kept-alive TLS connection: the answer to the next booking).
        proxy.rewriteReply = () => {
          proxy.rewriteReply = undefined;
          proxy.drop('rst');
          return Buffer.alloc(0);
        };
        await post(node, accepted, { payload: { order: 'T', yield: 2, key: 'tp-2' } });
        await until(() => events.some((e) => e.topic === 'delivered' && (e.payload as { key?: string }).key === 'tp-2'), 'tp-2 delivered', 20_000);
        assert.deepEqual(server.bookings.map((b) => b.token), ['tp-1', 'tp-2']);
        assert.ok(proxy.stats.faults >= 1);
      } finally {
        await helper.unload();
        await proxy.close();
      }
    });

    it('trusts a custom CA, and delivers with verification explicitly turned off', async () => {
      const { node, accepted } = await load({ ca: cert }, {}, await tlsUrl());
      await post(node, accepted, { payload: { order: 'T', yield: 1, key: 't-2' } });
      await until(() => server.bookings.length === 1, 'the booking over TLS with the custom CA');
      await helper.unload();
      const second = await load({ tlsVerify: false }, {}, await tlsUrl());
      await post(second.node, second.accepted, { payload: { order: 'T', yield: 1, key: 't-3' } });
      await until(() => server.bookings.length === 2, 'the booking without verification');
    });
  });
});
