/**
 * The two back ends for tests: a fresh SQLite file, or a fresh database on the machine's PostgreSQL
 * (127.0.0.1:5432, trust), created per call as kpi_<random> and dropped after the file's tests.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { PostgresKpiStore } from '../../nodes/kpi/postgres-store';
import { SqliteKpiStore } from '../../nodes/kpi/sqlite-store';
import type { KpiStore } from '../../nodes/kpi/store';
import { tempDir } from '../support/hub-process';

export const PG_SERVER = 'postgres://postgres@127.0.0.1:5432';

export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  /** A store on an empty database (not migrated). */
  fresh(): Promise<KpiStore>;
}

/** Runs SQL on the server's `test` database (create and drop databases). */
export async function admin(sql: string, url = `${PG_SERVER}/test`): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export async function createDatabase(server = PG_SERVER): Promise<string> {
  const name = `kpi_${randomBytes(6).toString('hex')}`;
  await admin(`CREATE DATABASE ${name}`, `${server}/${server === PG_SERVER ? 'test' : 'postgres'}`);
  return name;
}

/** Both back ends; databases and stores made by fresh() are closed and dropped after the describe. */
export function useBackends(): readonly Backend[] {
  const stores: KpiStore[] = [];
  const databases: string[] = [];
  let dir: string | undefined;
  let n = 0;
  after(async () => {
    for (const s of stores) await s.close().catch(() => undefined);
    for (const d of databases) await admin(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
  });
  return [
    {
      name: 'sqlite',
      fresh: () => {
        dir ??= tempDir('kpi-store');
        const s = new SqliteKpiStore(path.join(dir, `kpi-${n++}.sqlite`));
        stores.push(s);
        return Promise.resolve(s);
      },
    },
    {
      name: 'postgres',
      fresh: async () => {
        const db = await createDatabase();
        databases.push(db);
        const s = new PostgresKpiStore({ url: `${PG_SERVER}/${db}`, tls: 'off' });
        stores.push(s);
        return s;
      },
    },
  ];
}
