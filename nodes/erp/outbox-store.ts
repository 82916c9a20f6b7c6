/**
 * The outbox's SQLite file (better-sqlite3): one row per record, kept from acceptance to delivery (and a
 * while after, so that a producer resending a record it is unsure about is recognised by its key).
 *
 * Durability: WAL journal. In WAL mode synchronous=NORMAL survives a crash of the process (SIGKILL: the
 * WAL is written before commit returns) but may lose the last commits on a power cut or OS crash, because
 * the WAL is not fsynced at each commit. A factory loses power more often than an office and "accepted"
 * must mean on disk, so acceptances commit with synchronous=FULL (fsync), one fsync per batch: writes that
 * arrive together are committed together (GroupCommit), which is how the outbox takes thousands of records
 * per second. Delivery outcomes commit with NORMAL: losing one to a power cut only means the record is
 * looked up in the ERP again, because every record that may have been posted is at or below the durable
 * attempt horizon (see delivery.ts), and such records are looked up before they are posted after a restart.
 * A FULL commit also makes every NORMAL commit before it durable (the WAL is one append-only file).
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import type { ErpRecord } from './record';

export type RecordState = 'queued' | 'sending' | 'ambiguous' | 'dead' | 'delivered';
/** States of records still to deliver. */
export const PENDING: readonly RecordState[] = ['queued', 'sending', 'ambiguous'];

export interface StoredRecord {
  readonly seq: number;
  readonly key: string;
  readonly lane: string;
  readonly record: ErpRecord;
  readonly state: RecordState;
  readonly attempts: number;
  /** Consecutive failures of the kind retried only a limited number of times (HTTP 500). */
  readonly limitedFailures: number;
  readonly acceptedAt: number;
  readonly nextAt: number;
  readonly attemptedAt: number | null;
  readonly lastError: string | null;
  readonly ref: string | null;
  readonly source: string | null;
  readonly finishedAt: number | null;
}

interface Row {
  seq: number;
  key: string;
  lane: string;
  record: string;
  state: RecordState;
  attempts: number;
  limited_failures: number;
  accepted_at: number;
  next_at: number;
  attempted_at: number | null;
  last_error: string | null;
  ref: string | null;
  source: string | null;
  finished_at: number | null;
}

function fromRow(r: Row): StoredRecord {
  return {
    seq: r.seq,
    key: r.key,
    lane: r.lane,
    record: JSON.parse(r.record) as ErpRecord,
    state: r.state,
    attempts: r.attempts,
    limitedFailures: r.limited_failures,
    acceptedAt: r.accepted_at,
    nextAt: r.next_at,
    attemptedAt: r.attempted_at,
    lastError: r.last_error,
    ref: r.ref,
    source: r.source,
    finishedAt: r.finished_at,
  };
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL UNIQUE,
  lane TEXT NOT NULL,
  record TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued','sending','ambiguous','dead','delivered')),
  attempts INTEGER NOT NULL DEFAULT 0,
  limited_failures INTEGER NOT NULL DEFAULT 0,
  accepted_at INTEGER NOT NULL,
  next_at INTEGER NOT NULL DEFAULT 0,
  attempted_at INTEGER,
  last_error TEXT,
  ref TEXT,
  source TEXT,
  finished_at INTEGER
);
CREATE INDEX IF NOT EXISTS records_pending_lane ON records (lane, seq) WHERE state IN ('queued','sending','ambiguous');
CREATE INDEX IF NOT EXISTS records_state ON records (state, seq);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

export interface StoreCounts {
  pending: number;
  dead: number;
  /** Bytes of pending and dead records (what the size limit counts). */
  bytes: number;
  delivered: number;
}

export class OutboxStore {
  readonly db: Database.Database;
  readonly counts: StoreCounts = { pending: 0, dead: 0, bytes: 0, delivered: 0 };
  private readonly st: {
    byKey: Database.Statement<[string], Row>;
    insert: Database.Statement<[string, string, string, number, number, string | null]>;
    head: Database.Statement<[string], Row>;
    lanes: Database.Statement<[], { lane: string }>;
    update: Database.Statement<{ seq: number; state: RecordState; next_at: number; last_error: string | null; ref: string | null; finished_at: number | null; limited_failures: number; attempted: number }>;
    getMeta: Database.Statement<[string], { value: string }>;
    setMeta: Database.Statement<[string, string]>;
    oldest: Database.Statement<[], { t: number | null }>;
  };

  constructor(
    readonly file: string,
    synchronous: 'FULL' | 'NORMAL' = 'FULL',
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${synchronous}`);
    // Only one outbox should hold the file; a second handle (a redeploy racing a slow close) waits a little.
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.st = {
      byKey: this.db.prepare('SELECT * FROM records WHERE key = ?'),
      insert: this.db.prepare("INSERT INTO records (key, lane, record, bytes, accepted_at, source, state) VALUES (?, ?, ?, ?, ?, ?, 'queued')"),
      head: this.db.prepare("SELECT * FROM records WHERE lane = ? AND state IN ('queued','sending','ambiguous') ORDER BY seq LIMIT 1"),
      lanes: this.db.prepare("SELECT DISTINCT lane FROM records WHERE state IN ('queued','sending','ambiguous')"),
      update: this.db.prepare(
        'UPDATE records SET state = @state, next_at = @next_at, last_error = @last_error, ref = @ref, finished_at = @finished_at, limited_failures = @limited_failures, attempts = attempts + @attempted WHERE seq = @seq',
      ),
      oldest: this.db.prepare("SELECT MIN(accepted_at) AS t FROM records WHERE state IN ('queued','sending','ambiguous')"),
      getMeta: this.db.prepare('SELECT value FROM meta WHERE name = ?'),
      setMeta: this.db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
    };
    this.recount();
  }

  /** Recounts from the file (at open, and after a failed transaction left the counters unsure). */
  recount(): void {
    const rows = this.db.prepare('SELECT state, COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM records GROUP BY state').all() as { state: RecordState; n: number; b: number }[];
    const c = { pending: 0, dead: 0, bytes: 0, delivered: 0 };
    for (const r of rows) {
      if (r.state === 'delivered') c.delivered += r.n;
      else {
        if (r.state === 'dead') c.dead += r.n;
        else c.pending += r.n;
        c.bytes += r.b;
      }
    }
    Object.assign(this.counts, c);
  }

  byKey(key: string): StoredRecord | undefined {
    const r = this.st.byKey.get(key);
    return r ? fromRow(r) : undefined;
  }

  /** Inserts a record (the caller has checked the key is new and the limit); returns its sequence number. */
  insert(lane: string, record: ErpRecord, now: number, source: string | undefined): { seq: number; bytes: number } {
    const json = JSON.stringify(record);
    const bytes = Buffer.byteLength(json);
    const info = this.st.insert.run(record.key, lane, json, bytes, now, source ?? null);
    this.counts.pending++;
    this.counts.bytes += bytes;
    return { seq: Number(info.lastInsertRowid), bytes };
  }

  /** The oldest record still to deliver in a lane. */
  head(lane: string): StoredRecord | undefined {
    const r = this.st.head.get(lane);
    return r ? fromRow(r) : undefined;
  }

  pendingLanes(): string[] {
    return this.st.lanes.all().map((r) => r.lane);
  }

  /** Sets the outcome of an attempt. */
  settle(rec: StoredRecord, change: { state: RecordState; nextAt?: number; error?: string | null; ref?: string | null; now: number; limitedFailures?: number; attempted?: boolean }): void {
    const wasPending = PENDING.includes(rec.state);
    const bytes = Buffer.byteLength(JSON.stringify(rec.record));
    this.st.update.run({
      seq: rec.seq,
      state: change.state,
      next_at: change.nextAt ?? 0,
      last_error: change.error === undefined ? rec.lastError : change.error,
      ref: change.ref === undefined ? rec.ref : change.ref,
      finished_at: change.state === 'delivered' || change.state === 'dead' ? change.now : null,
      limited_failures: change.limitedFailures ?? rec.limitedFailures,
      attempted: change.attempted ? 1 : 0,
    });
    if (wasPending && change.state === 'delivered') {
      this.counts.pending--;
      this.counts.bytes -= bytes;
      this.counts.delivered++;
    } else if (wasPending && change.state === 'dead') {
      this.counts.pending--;
      this.counts.dead++;
    }
  }

  /** Highest sequence number that delivery may have posted (durable; see delivery.ts). */
  horizon(): number {
    return Number(this.st.getMeta.get('horizon')?.value ?? 0);
  }

  setHorizon(seq: number): void {
    this.st.setMeta.run('horizon', String(seq));
  }

  /** A state kept across restarts (e.g. the outbox-full alarm); undefined when unset. */
  meta(name: string): string | undefined {
    return this.st.getMeta.get(name)?.value;
  }

  setMeta(name: string, value: string | undefined): void {
    if (value === undefined) this.db.prepare('DELETE FROM meta WHERE name = ?').run(name);
    else this.st.setMeta.run(name, value);
  }

  maxSeq(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS m FROM records').get() as { m: number }).m;
  }

  oldestPendingAcceptedAt(): number | undefined {
    return this.st.oldest.get()?.t ?? undefined;
  }

  deadLetters(limit: number, offset = 0): StoredRecord[] {
    return (this.db.prepare("SELECT * FROM records WHERE state = 'dead' ORDER BY seq LIMIT ? OFFSET ?").all(limit, offset) as Row[]).map(fromRow);
  }

  /** Puts dead letters (all, or those with the given keys) back in the queue; returns how many, and their lanes. */
  requeue(keys: readonly string[] | undefined): { count: number; lanes: string[] } {
    const rows = this.selectDead(keys);
    // A record that was attempted before may have been booked by an attempt without an answer: it goes back
    // as ambiguous, so delivery looks its key up before posting again. A look-up is cheap; a duplicate is not.
    const stmt = this.db.prepare("UPDATE records SET state = CASE WHEN attempts > 0 THEN 'ambiguous' ELSE 'queued' END, next_at = 0, limited_failures = 0, finished_at = NULL WHERE seq = ?");
    for (const r of rows) stmt.run(r.seq);
    this.counts.dead -= rows.length;
    this.counts.pending += rows.length;
    return { count: rows.length, lanes: [...new Set(rows.map((r) => r.lane))] };
  }

  /** Deletes dead letters (all, or those with the given keys); returns how many. */
  purge(keys: readonly string[] | undefined): number {
    const rows = this.selectDead(keys);
    const stmt = this.db.prepare('DELETE FROM records WHERE seq = ?');
    for (const r of rows) stmt.run(r.seq);
    this.counts.dead -= rows.length;
    this.counts.bytes -= rows.reduce((s, r) => s + r.bytes, 0);
    return rows.length;
  }

  private selectDead(keys: readonly string[] | undefined): { seq: number; lane: string; bytes: number }[] {
    if (keys === undefined) return this.db.prepare("SELECT seq, lane, bytes FROM records WHERE state = 'dead'").all() as { seq: number; lane: string; bytes: number }[];
    const stmt = this.db.prepare<[string], { seq: number; lane: string; bytes: number }>("SELECT seq, lane, bytes FROM records WHERE state = 'dead' AND key = ?");
    return keys.flatMap((k) => stmt.all(k));
  }

  /** Forgets delivered records older than `before`, and beyond the newest `keep`. */
  pruneDelivered(before: number, keep: number): number {
    let n = this.db.prepare("DELETE FROM records WHERE state = 'delivered' AND finished_at < ?").run(before).changes;
    const cut = this.db.prepare("SELECT seq FROM records WHERE state = 'delivered' ORDER BY seq DESC LIMIT 1 OFFSET ?").get(keep) as { seq: number } | undefined;
    if (cut) n += this.db.prepare("DELETE FROM records WHERE state = 'delivered' AND seq <= ?").run(cut.seq).changes;
    this.counts.delivered -= n;
    return n;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
