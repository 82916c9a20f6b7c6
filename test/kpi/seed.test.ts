/**
 * `npm run seed-demo`: the demo store gets four weeks of simulated history, written through the store's
 * write path. Two runs with the same seed give identical stores (every row of every table); another seed
 * gives another history; the queries see the four weeks (28 days of every machine, 3 shifts a day, with
 * stops by reason), and seeding the same store again adds no row.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { runQuery } from '../../nodes/kpi/queries';
import { parseQuery } from '../../nodes/kpi/query-types';
import { SqliteKpiStore } from '../../nodes/kpi/sqlite-store';
import { DEFAULT_FILE } from '../../nodes/kpi/store-config';
import { DEMO_MACHINES } from '../../simulator/history';
import { repoRoot, tempDir } from '../support/hub-process';
import { BERLIN } from './fixtures';

const run = promisify(execFile);
const TABLES = ['kpi_schema', 'kpi_shifts', 'kpi_shift_products', 'kpi_stops', 'kpi_stop_reasons', 'kpi_order_runs', 'kpi_tag_buckets'];

async function seed(userDir: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(repoRoot, 'scripts', 'seed-demo.js'), '--until', '2026-12-01', ...args], { env: { ...process.env, HUB_USER_DIR: userDir } });
  return stdout;
}

async function dump(file: string): Promise<string> {
  const store = new SqliteKpiStore(file);
  try {
    const out: string[] = [];
    for (const t of TABLES) out.push(t, JSON.stringify(await store.all(`SELECT * FROM ${t} ORDER BY 1, 2`)));
    return out.join('\n');
  } finally {
    await store.close();
  }
}

describe('seed-demo: simulated history of the demo line', function () {
  this.timeout(120_000);
  const dir = tempDir('kpi-seed');
  const a = path.join(dir, 'a');
  const b = path.join(dir, 'b');
  const c = path.join(dir, 'c');
  const fileOf = (userDir: string): string => path.join(userDir, DEFAULT_FILE);

  before(async () => {
    assert.match(await seed(a, '--weeks', '4', '--seed', '1'), /4 weeks \(seed 1\).*336 shifts/);
    await seed(b, '--weeks', '4', '--seed', '1');
    await seed(c, '--weeks', '4', '--seed', '2');
  });

  it('gives identical stores for the same seed, another store for another seed', async () => {
    const first = await dump(fileOf(a));
    assert.ok(first.length > 100_000);
    assert.equal(await dump(fileOf(b)), first);
    assert.notEqual(await dump(fileOf(c)), first);
  });

  it('adds no row when run again on the same store', async () => {
    const before = await dump(fileOf(a));
    await seed(a, '--weeks', '4', '--seed', '1');
    assert.equal(await dump(fileOf(a)), before);
  });

  it('lets the queries see four weeks of every machine', async () => {
    const store = new SqliteKpiStore(fileOf(a));
    try {
      const q = (x: Record<string, unknown>) => runQuery(store, parseQuery(x, BERLIN), BERLIN);
      const days = await q({ type: 'oee', by: 'machine', period: 'day', from: '2026-10-01', to: '2026-12-31' });
      assert.deepEqual([...new Set(days.rows.map((r) => r.group))], DEMO_MACHINES.map((m) => m.name).sort());
      assert.equal(days.rows.length, 4 * 28);
      assert.ok(days.rows.every((r) => r.shifts === 3 && typeof r.oee === 'number' && r.oee > 0.5 && r.oee < 1));
      const dates = [...new Set(days.rows.map((r) => String(r.period)))].sort();
      assert.deepEqual([dates[0], dates[dates.length - 1], dates.length], ['2026-11-03', '2026-11-30', 28]);
      const weeks = await q({ type: 'oee', by: 'plant', period: 'week', from: '2026-11-03', to: '2026-12-01' });
      assert.deepEqual(weeks.rows.map((r) => r.period), ['2026-W45', '2026-W46', '2026-W47', '2026-W48', '2026-W49']);
      const pareto = await q({ type: 'pareto', by: 'reason', from: '2026-11-03', to: '2026-12-01', kinds: 'downtime' });
      assert.equal(pareto.rows.length, 8);
      assert.equal(pareto.rows[0].reason, 'jam');
    } finally {
      await store.close();
    }
  });
});
