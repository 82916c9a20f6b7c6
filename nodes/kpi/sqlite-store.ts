/**
 * The embedded back end: one SQLite file (better-sqlite3) in the user directory, nothing to install.
 * WAL journal, synchronous=FULL: a committed write survives a crash and a power cut.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { KpiRecord } from './records';
import type { Executor, KpiStore, Retention, Row } from './store';
import { Serial, migrateIn, pruneIn, writeIn, currentVersion } from './store';

/** SQLite binds no booleans or undefined. */
const bindable = (params: readonly unknown[]): unknown[] => params.map((p) => (p === undefined ? null : typeof p === 'boolean' ? (p ? 1 : 0) : p));

export class SqliteKpiStore implements KpiStore {
  readonly dialect = 'sqlite' as const;
  readonly db: Database.Database;
  private readonly serial = new Serial();
  private readonly ex: Executor;

  constructor(
    readonly file: string,
    private readonly now: () => number = Date.now,
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    const db = this.db;
    // Writes repeat a few statements (multi-row upserts of 200 rows): prepare each once.
    const cache = new Map<string, Database.Statement>();
    const prepare = (sql: string): Database.Statement => {
      let st = cache.get(sql);
      if (st === undefined) {
        if (cache.size >= 64) cache.delete(cache.keys().next().value as string);
        st = db.prepare(sql);
        cache.set(sql, st);
      }
      return st;
    };
    this.ex = {
      run: (sql, params = []) => {
        prepare(sql).run(...bindable(params));
        return Promise.resolve();
      },
      all: <T extends Row>(sql: string, params: readonly unknown[] = []) => Promise.resolve(prepare(sql).all(...bindable(params)) as T[]),
    };
  }

  run(sql: string, params?: readonly unknown[]): Promise<void> {
    return this.serial.run(() => this.ex.run(sql, params));
  }

  all<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    return this.serial.run(() => this.ex.all<T>(sql, params));
  }

  transaction<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    return this.serial.run(async () => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.ex);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  migrate(target?: number): Promise<number> {
    return this.transaction((tx) => migrateIn(tx, 'sqlite', target, this.now()));
  }

  version(): Promise<number> {
    return this.serial.run(() => currentVersion(this.ex));
  }

  write(records: readonly KpiRecord[]): Promise<void> {
    return this.transaction((tx) => writeIn(tx, records, this.now()));
  }

  prune(retention: Retention, now: number): Promise<number> {
    return this.transaction((tx) => pruneIn(tx, retention, now));
  }

  close(): Promise<void> {
    return this.serial.run(() => {
      if (this.db.open) this.db.close();
      return Promise.resolve();
    });
  }
}
