/**
 * The database killed mid-shift: a PostgreSQL cluster of the test's own is stopped (immediate: as a crash)
 * while a shift's stops and its shift-end record are being written, and started again. Accepting records
 * never waits for the database; the writer says the database is down; after the restart everything is in
 * the database once. Also a database that accepts connections but never answers (a black hole).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { recordsOfOee } from '../../nodes/kpi/from-oee';
import type { KpiRecord } from '../../nodes/kpi/records';
import { PostgresKpiStore } from '../../nodes/kpi/postgres-store';
import { KpiQueue } from '../../nodes/kpi/queue';
import { tempDir } from '../support/hub-process';
import { until } from '../erp/support/harness';
import { BERLIN, HOUR, JAM, MIN, count, shiftEnd, stopEvent } from './fixtures';
import { PgCluster, freePort } from './pg-cluster';
import { admin } from './backends';

const M = 'acme/pack/line1/filler';
const T0 = Date.UTC(2026, 10, 2, 5);

function shiftWithStops(day: number, stops: number): KpiRecord[] {
  const start = T0 + day * 24 * HOUR;
  const id = `2026-11-${String(2 + day).padStart(2, '0')}/Early`;
  const out: KpiRecord[] = [];
  for (let i = 0; i < stops; i++) {
    const s = { id: day * 1000 + i, shiftId: id, start: start + i * 5 * MIN };
    out.push(...(recordsOfOee(stopEvent('stop-start', M, { ...s, end: null }), BERLIN) ?? []));
    out.push(...(recordsOfOee(stopEvent('stop-end', M, { ...s, end: s.start + 2 * MIN, reason: JAM }), BERLIN) ?? []));
  }
  out.push(...(recordsOfOee(shiftEnd(M, { id, start, end: start + 8 * HOUR }, { ppt: 7 * HOUR, run: 6 * HOUR, net: 5 * HOUR, total: 1000, good: 990 }), BERLIN) ?? []));
  return out;
}

describe('KPI queue: the database killed mid-shift', function () {
  this.timeout(120_000);
  let cluster: PgCluster;
  before(async () => {
    cluster = await PgCluster.create();
    await admin('CREATE DATABASE kpi', `${cluster.url}/postgres`);
  });
  after(() => cluster.destroy());

  it('keeps accepting while PostgreSQL is down and writes everything once when it is back', async () => {
    const store = new PostgresKpiStore({ url: `${cluster.url}/kpi`, tls: 'off', connectTimeoutMs: 1000, queryTimeoutMs: 5000, onIdleError: () => undefined });
    const queue = new KpiQueue(store, { file: path.join(tempDir('kpi-outage'), 'queue.sqlite'), retryBaseMs: 50, retryCapMs: 300, batchSize: 50 });
    queue.start();
    try {
      await queue.accept(shiftWithStops(0, 30));
      await queue.drained();
      assert.equal(await count(store, 'kpi_stops'), 30);

      // Mid-shift: half of the day's stops are in, then the server dies.
      const day1 = shiftWithStops(1, 30);
      const half = day1.length / 2;
      await queue.accept(day1.slice(0, half));
      cluster.stop('immediate');
      for (const r of day1.slice(half)) await queue.accept([r]); // resolves on the local disk, not on the database
      await until(() => !queue.stats().databaseOk, 'the queue saw the database down', 20_000);
      assert.ok(queue.stats().depth > 0);
      assert.match(queue.stats().lastError ?? '', /database: /);

      cluster.start();
      await until(() => queue.stats().depth === 0, 'queue drained after the restart', 60_000);
      await queue.drained();
      assert.equal(queue.stats().databaseOk, true);
      assert.equal(await count(store, 'kpi_stops'), 60);
      assert.equal(await count(store, 'kpi_shifts'), 2);
      const ended = await store.all<{ n: number }>('SELECT COUNT(*) AS n FROM kpi_stops WHERE end_ms IS NOT NULL');
      assert.equal(Number(ended[0].n), 60);
      assert.equal(await count(store, 'kpi_stop_reasons'), 60);
    } finally {
      await queue.close();
    }
  });

  it('keeps accepting while the database holds the connection and never answers', async () => {
    // A black hole: TCP accepted, not a byte back.
    const sockets: net.Socket[] = [];
    const hole = net.createServer((s) => sockets.push(s));
    const port = await freePort();
    await new Promise<void>((r) => hole.listen(port, '127.0.0.1', r));
    const store = new PostgresKpiStore({ url: `postgres://postgres@127.0.0.1:${port}/kpi`, tls: 'off', connectTimeoutMs: 300, queryTimeoutMs: 300 });
    const queue = new KpiQueue(store, { file: path.join(tempDir('kpi-hole'), 'queue.sqlite'), retryBaseMs: 50, retryCapMs: 200 });
    queue.start();
    try {
      await queue.accept(shiftWithStops(2, 3));
      await until(() => !queue.stats().databaseOk, 'the queue saw the database not answering', 10_000);
      await queue.accept(shiftWithStops(3, 3));
      assert.equal(queue.stats().depth, 20); // 2 x (3 stops: start, end, reason; 1 shift)
    } finally {
      await queue.close();
      for (const s of sockets) s.destroy();
      hole.close();
    }
  });
});
