/**
 * The durable local queue in front of the KPI database (ARCHITECTURE.md: a slow or absent database never
 * blocks or loses OEE data). accept() resolves once the records are committed to a local SQLite file
 * (synchronous=FULL, one fsync per batch: shared/group-commit.ts, as the ERP outbox). A pump then writes
 * them in order, in batches of one transaction each, to the KpiStore, and removes a batch from the queue
 * only after the database committed it. A crash between the two replays the batch: the store's writes
 * are keyed by the record, so the replay writes nothing twice.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { KpiRecord } from './records';
import type { KpiStore, Retention } from './store';
import { GroupCommit } from '../shared/group-commit';
import { messageOf } from '../shared/errors';

export interface QueueOptions {
  readonly file: string;
  /** Most records held; beyond, accept() refuses (nothing held is dropped). */
  readonly maxRecords?: number;
  readonly batchSize?: number;
  /** Retry delays after a failed batch: base, doubling up to cap. */
  readonly retryBaseMs?: number;
  readonly retryCapMs?: number;
  readonly retention?: Retention;
  readonly pruneEveryMs?: number;
  readonly now?: () => number;
}

export interface QueueStats {
  readonly depth: number;
  /** Age of the oldest record waiting, 0 when none. */
  readonly oldestAgeMs: number;
  readonly written: number;
  /** The database took the last batch (or nothing failed yet). */
  readonly databaseOk: boolean;
  readonly lastError?: string;
  readonly schemaVersion?: number;
}

export class QueueFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueFullError';
  }
}

export class KpiQueue {
  readonly db: Database.Database;
  private readonly writer: GroupCommit;
  private readonly maxRecords: number;
  private readonly batchSize: number;
  private readonly now: () => number;
  private depth: number;
  private written = 0;
  private ok = true;
  private lastError: string | undefined;
  private schemaVersion: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pumping = false;
  private closed = false;
  private failures = 0;
  private lastPrune = 0;
  private idle: (() => void)[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly store: KpiStore,
    private readonly options: QueueOptions,
  ) {
    fs.mkdirSync(path.dirname(options.file), { recursive: true });
    this.db = new Database(options.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec('CREATE TABLE IF NOT EXISTS queue (seq INTEGER PRIMARY KEY AUTOINCREMENT, accepted_at INTEGER NOT NULL, record TEXT NOT NULL)');
    this.writer = new GroupCommit(this, (err) => this.fail(`writing the local queue failed: ${messageOf(err)}`), 'the KPI queue');
    this.maxRecords = options.maxRecords ?? 1_000_000;
    this.batchSize = options.batchSize ?? 500;
    this.now = options.now ?? Date.now;
    this.depth = this.count();
  }

  private count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM queue').get() as { n: number }).n;
  }

  recount(): void {
    this.depth = this.count();
  }

  /** Status changes (depth, database up or down) for the nodes' status. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  /** Starts the pump: migrations first, then the records queued (also those of before a crash). */
  start(): void {
    this.schedule(0);
  }

  /** Resolves once the records are on the local disk. */
  accept(records: readonly KpiRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const rows = records.map((r) => JSON.stringify(r));
    return this.writer
      .run(() => {
        if (this.depth + rows.length > this.maxRecords) throw new QueueFullError(`KPI queue full (${this.depth} of ${this.maxRecords} records waiting for the database): ${rows.length} records refused`);
        const insert = this.db.prepare('INSERT INTO queue (accepted_at, record) VALUES (?, ?)');
        const at = this.now();
        for (const row of rows) insert.run(at, row);
        this.depth += rows.length;
      })
      .then(() => {
        this.changed();
        if (!this.pumping && this.timer === undefined && this.ok) this.schedule(0);
      });
  }

  stats(): QueueStats {
    const oldest = this.depth > 0 && this.db.open ? (this.db.prepare('SELECT MIN(accepted_at) AS t FROM queue').get() as { t: number | null }).t : null;
    return {
      depth: this.depth,
      oldestAgeMs: oldest === null ? 0 : Math.max(0, this.now() - oldest),
      written: this.written,
      databaseOk: this.ok,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.schemaVersion !== undefined ? { schemaVersion: this.schemaVersion } : {}),
    };
  }

  /** Resolves when the queue is empty (for tests and a clean close). */
  drained(): Promise<void> {
    if (this.depth === 0 && !this.pumping) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pump();
    }, ms);
    this.timer.unref?.();
  }

  private fail(text: string): void {
    this.lastError = text;
    this.changed();
  }

  /** Writes batches until the queue is empty or the database fails; never throws. */
  private async pump(): Promise<void> {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      if (this.schemaVersion === undefined) this.schemaVersion = await this.store.migrate();
      for (;;) {
        if (this.closed) return;
        const rows = this.db.prepare('SELECT seq, record FROM queue ORDER BY seq LIMIT ?').all(this.batchSize) as { seq: number; record: string }[];
        if (rows.length === 0) break;
        await this.store.write(rows.map((r) => JSON.parse(r.record) as KpiRecord));
        if (this.closed && !this.db.open) return;
        const last = rows[rows.length - 1].seq;
        // NORMAL is enough: a delete lost to a power cut only replays a batch the database already holds.
        await this.writer.run(() => {
          this.db.prepare('DELETE FROM queue WHERE seq <= ?').run(last);
          this.depth -= rows.length;
        }, false);
        this.written += rows.length;
        this.failures = 0;
        if (!this.ok || this.lastError !== undefined) {
          this.ok = true;
          this.lastError = undefined;
        }
        this.changed();
      }
      await this.maybePrune();
    } catch (err) {
      this.pumping = false;
      if (this.closed) return;
      this.ok = false;
      this.failures++;
      this.fail(`database: ${messageOf(err)}`);
      const base = this.options.retryBaseMs ?? 1000;
      this.schedule(Math.min(this.options.retryCapMs ?? 30_000, base * 2 ** Math.min(this.failures - 1, 16)));
    } finally {
      this.pumping = false;
    }
    if (this.closed || !this.ok) return;
    // Records accepted while the last batch was being written wait for no further accept.
    if (this.depth > 0) this.schedule(0);
    else for (const fn of this.idle.splice(0)) fn();
  }

  private async maybePrune(): Promise<void> {
    const r = this.options.retention;
    if (r === undefined) return;
    const now = this.now();
    if (now - this.lastPrune < (this.options.pruneEveryMs ?? 3600_000)) return;
    this.lastPrune = now;
    await this.store.prune(r, now);
  }

  /** Stops the pump; what is queued stays in the file for the next start. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.writer.close();
    this.closed = true;
    clearTimeout(this.timer);
    // A batch in flight finishes or fails on its own; the store's close waits for it.
    await this.store.close();
    if (this.db.open) this.db.close();
    for (const fn of this.idle.splice(0)) fn();
  }
}
