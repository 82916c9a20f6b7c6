/**
 * The hub SIGKILLed while writing: a child process accepts 1,500 stops through the durable queue into
 * the KPI database and is killed (SIGKILL: no close handler, nothing flushed) while at least 30 stops wait in its
 * queue and batches are being written. A second run on the same queue file resends from 10 stops before
 * the last acceptance it saw (a producer unsure of those), as fh-oee replays after a restart. In the end
 * the database holds every stop exactly once: nothing lost, nothing duplicated. For SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PostgresKpiStore } from '../../nodes/kpi/postgres-store';
import { SqliteKpiStore } from '../../nodes/kpi/sqlite-store';
import type { KpiStore } from '../../nodes/kpi/store';
import { tempDir } from '../support/hub-process';
import { PG_SERVER, admin, createDatabase } from './backends';
import type { ChildArgs, ChildMessage } from './writer-child';

const N = 1500;

function run(args: ChildArgs, killWhen?: (m: ChildMessage) => boolean): Promise<{ lastAck: number; killedAt?: ChildMessage }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(path.join(__dirname, 'writer-child.ts'), [JSON.stringify(args)], { execArgv: ['-r', 'tsx/cjs'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let lastAck = -1;
    let killedAt: ChildMessage | undefined;
    child.on('message', (m: ChildMessage) => {
      if ('acked' in m) lastAck = Math.max(lastAck, m.acked);
      if (killedAt === undefined && killWhen?.(m)) {
        killedAt = m;
        child.kill('SIGKILL');
      } else if ('drained' in m) child.kill('SIGTERM');
    });
    child.on('exit', (code, signal) => {
      if (killedAt !== undefined ? signal === 'SIGKILL' : signal === 'SIGTERM') resolve({ lastAck, ...(killedAt ? { killedAt } : {}) });
      else reject(new Error(`writer child ended with ${code ?? signal} (killed: ${killedAt !== undefined})`));
    });
  });
}

describe('KPI writer SIGKILLed while writing', function () {
  this.timeout(120_000);
  const databases: string[] = [];
  after(async () => {
    for (const d of databases) await admin(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
  });

  const cases: { name: 'sqlite' | 'postgres'; target: () => Promise<string>; open: (t: string) => KpiStore }[] = [
    { name: 'sqlite', target: () => Promise.resolve(path.join(tempDir('kpi-kill'), 'kpi.sqlite')), open: (t) => new SqliteKpiStore(t) },
    {
      name: 'postgres',
      target: async () => {
        const db = await createDatabase();
        databases.push(db);
        return `${PG_SERVER}/${db}`;
      },
      open: (t) => new PostgresKpiStore({ url: t, tls: 'off' }),
    },
  ];

  for (const c of cases) {
    it(`${c.name}: every stop once after a kill and a replay`, async () => {
      const target = await c.target();
      const queueFile = path.join(tempDir('kpi-kill-queue'), 'queue.sqlite');
      const first = await run({ backend: c.name, target, queueFile, from: 0, to: N }, (m) => 'written' in m && m.written >= 200 && m.depth >= 60);
      assert.ok(first.killedAt, 'the child was killed while records waited and batches were written');
      const store = c.open(target);
      try {
        const before = await store.all<{ n: number }>('SELECT COUNT(*) AS n FROM kpi_stops');
        assert.ok(Number(before[0].n) < N, 'the kill came before everything was written');
        const second = await run({ backend: c.name, target, queueFile, from: Math.max(0, first.lastAck - 10), to: N });
        assert.equal(second.lastAck, N - 1);
        const rows = await store.all<{ n: number; ids: number; lo: number; hi: number }>('SELECT COUNT(*) AS n, COUNT(DISTINCT stop_id) AS ids, MIN(stop_id) AS lo, MAX(stop_id) AS hi FROM kpi_stops');
        assert.deepEqual(rows.map((r) => [Number(r.n), Number(r.ids), Number(r.lo), Number(r.hi)]), [[N, N, 0, N - 1]]);
        const reasons = await store.all<{ n: number }>('SELECT COUNT(*) AS n FROM kpi_stop_reasons');
        assert.equal(Number(reasons[0].n), N);
      } finally {
        await store.close();
      }
    });
  }
});
