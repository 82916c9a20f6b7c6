/**
 * The plant back end: PostgreSQL through `pg`, for many hubs writing into one database that IT backs up,
 * replicates and queries with its own tools. Connection by URL, the password apart (Node-RED
 * credentials), TLS verified against the system's CAs (or a given CA) unless turned off.
 *
 * Migrations hold an advisory lock, so hubs starting together migrate once. Every query has a timeout:
 * a database that hangs fails the batch, which stays queued (queue.ts), rather than hanging the writer.
 */
import pg from 'pg';
import type { KpiRecord } from './records';
import type { Executor, KpiStore, Retention, Row } from './store';
import { currentVersion, migrateIn, pruneIn, writeIn } from './store';

export interface PostgresOptions {
  /** postgres://user@host:port/database, without password or sslmode (those are set apart). */
  readonly url: string;
  readonly password?: string;
  /** 'verify' (default): TLS, the server's certificate checked; 'off': no TLS (a local socket or lab). */
  readonly tls?: 'verify' | 'off';
  /** PEM of the CA that signed the server's certificate, when it is not in the system's store. */
  readonly ca?: string;
  readonly connectTimeoutMs?: number;
  readonly queryTimeoutMs?: number;
  readonly maxConnections?: number;
  /** Where errors of idle connections go (a restarted server): never an uncaught exception. */
  readonly onIdleError?: (err: Error) => void;
}

/** Checks the URL: the password and TLS mode have their own settings. */
export function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`database URL "${url}" is not a URL like postgres://user@host:5432/database`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new Error(`database URL must start with postgres://, not ${u.protocol}//`);
  if (u.password !== '') throw new Error('database URL holds a password: put it in the password field (kept in the credentials), not in the URL');
  for (const p of ['sslmode', 'ssl', 'sslrootcert', 'sslcert', 'sslkey']) {
    if (u.searchParams.has(p)) throw new Error(`database URL sets ${p}: TLS is set by the store's TLS option`);
  }
}

/** int8 and numeric as numbers (sums of ms stay below 2^53), as better-sqlite3 returns them. */
const types = {
  getTypeParser: (oid: number, format?: string): ((v: string) => unknown) => {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text') as (v: string) => unknown;
  },
};

const placeholders = (sql: string): string => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};

const MIGRATION_LOCK = 0x6b7069; // "kpi"

function executor(q: { query: (text: string, values?: unknown[]) => Promise<{ rows: unknown[] }> }): Executor {
  return {
    run: async (sql, params = []) => {
      await q.query(placeholders(sql), [...params]);
    },
    all: async <T extends Row>(sql: string, params: readonly unknown[] = []) => (await q.query(placeholders(sql), [...params])).rows as T[],
  };
}

export class PostgresKpiStore implements KpiStore {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly ex: Executor;

  constructor(
    options: PostgresOptions,
    private readonly now: () => number = Date.now,
  ) {
    checkUrl(options.url);
    const timeout = options.queryTimeoutMs ?? 30_000;
    this.pool = new pg.Pool({
      connectionString: options.url,
      ...(options.password !== undefined && options.password !== '' ? { password: options.password } : {}),
      ssl: options.tls === 'off' ? false : { rejectUnauthorized: true, ...(options.ca ? { ca: options.ca } : {}) },
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
      query_timeout: timeout,
      statement_timeout: timeout,
      keepAlive: true,
      max: options.maxConnections ?? 4,
      types,
      application_name: 'factoryhub-kpi',
    });
    this.pool.on('error', (err) => options.onIdleError?.(err));
    this.ex = executor(this.pool);
  }

  run(sql: string, params?: readonly unknown[]): Promise<void> {
    return this.ex.run(sql, params);
  }

  all<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.ex.all<T>(sql, params);
  }

  async transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A connection that dies while checked out emits 'error' on the client (the pool only watches idle
    // ones): without a listener that is an uncaught exception. The query in flight rejects as well.
    const onError = (err: Error): void => {
      broken = err;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await fn(executor(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (e) {
        broken = e as Error; // the connection is gone: do not give it back to the pool
      }
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  migrate(target?: number): Promise<number> {
    return this.transaction(async (tx) => {
      await tx.run(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      return migrateIn(tx, 'postgres', target, this.now());
    });
  }

  version(): Promise<number> {
    return currentVersion(this.ex);
  }

  write(records: readonly KpiRecord[]): Promise<void> {
    return this.transaction((tx) => writeIn(tx, records, this.now()));
  }

  prune(retention: Retention, now: number): Promise<number> {
    return this.transaction((tx) => pruneIn(tx, retention, now));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
