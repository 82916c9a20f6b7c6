/**
 * Group commit on a better-sqlite3 file, shared by the ERP outbox and the KPI store's local queue: the
 * durable-queue pattern of ARCHITECTURE.md (accepted = committed to disk, one fsync per batch).
 */
import type Database from 'better-sqlite3';

/** The file a GroupCommit writes; recount() re-reads cached counters after a failed commit. */
export interface CommitTarget {
  readonly db: Database.Database;
  recount?(): void;
}

/**
 * Group commit: writes handed in during one turn of the event loop are committed in one transaction (one
 * fsync), and each caller's promise settles only after that commit. Each write runs in its own savepoint,
 * so one failing write (a full outbox) does not undo the others.
 */
export class GroupCommit {
  private queue: { op: () => unknown; durable: boolean; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  private synchronous: 'FULL' | 'NORMAL' | undefined;
  /** Commits and fsynced commits so far (for tests and the benchmark). */
  readonly commits = { all: 0, durable: 0 };
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly store: CommitTarget,
    private readonly onError: (err: unknown) => void = () => undefined,
    /** What the store is, for the error after close ("the outbox", "the KPI queue"). */
    private readonly what = 'the outbox',
  ) {}

  /** Runs `op` in the next batch; `durable` batches are fsynced (synchronous=FULL) before they resolve. */
  run<T>(op: () => T, durable = true): Promise<T> {
    if (this.closed) return Promise.reject(new Error(`${this.what} is closed`));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, durable, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits what is queued now (also called synchronously on close). */
  flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const db = this.store.db;
    const sync = batch.some((i) => i.durable) ? 'FULL' : 'NORMAL';
    const results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      if (sync !== this.synchronous) {
        db.pragma(`synchronous = ${sync}`);
        this.synchronous = sync;
      }
      this.commits.all++;
      if (sync === 'FULL') this.commits.durable++;
      db.transaction(() => {
        for (const item of batch) {
          try {
            results.push({ ok: true, value: db.transaction(item.op)() });
          } catch (error) {
            results.push({ ok: false, error });
          }
        }
      })();
    } catch (err) {
      // The commit itself failed (disk full, I/O error, the file closed): nothing of the batch is on disk.
      if (db.open) this.store.recount?.();
      this.onError(err);
      for (const item of batch) item.reject(err);
      return;
    }
    batch.forEach((item, i) => {
      const r = results[i];
      if (r.ok) item.resolve(r.value);
      else item.reject(r.error);
    });
  }

  close(): void {
    if (this.closed) return;
    if (this.store.db.open) this.flush();
    this.closed = true;
    for (const item of this.queue) item.reject(new Error(`${this.what} is closed`));
    this.queue = [];
  }
}
