/**
 * The store-and-forward buffer of a UNS publisher: a bounded, ordered, durable queue in one SQLite file
 * (better-sqlite3) in the user directory. Every accepted value is committed before the publisher reports
 * it accepted and stays until the broker acknowledged it (QoS 1), so neither a broker outage nor a hub
 * SIGKILL loses it; it may be sent twice after a connection drops before its PUBACK (at least once).
 *
 * Durability: WAL with synchronous=FULL (an fsync per accepted message, as the ERP outbox); removals
 * commit with NORMAL. Bounds: at most `maxRows` rows and none older than `maxAgeMs`; when full, the
 * OLDEST rows are dropped (the newest values matter most to a plant view), counted, and reported.
 * A small key/value table keeps the publisher's own state (Sparkplug's last bdSeq). No Node-RED here.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';

export interface BufferLimits {
  readonly maxRows: number;
  readonly maxAgeMs: number;
}

export interface BufferedRow<T> {
  readonly id: number;
  readonly at: number;
  readonly item: T;
}

export interface AppendOutcome {
  /** Rows dropped to make room (oldest first) or for age. */
  readonly dropped: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS queue (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, item TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

export class StoreBuffer<T> {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement<[number, string]>;
  private readonly peekStmt: Database.Statement<[number, number], { id: number; at: number; item: string }>;
  private readonly removeStmt: Database.Statement<[number]>;
  private rows: number;
  private droppedTotal = 0;

  constructor(
    readonly file: string,
    readonly limits: BufferLimits,
  ) {
    if (!Number.isInteger(limits.maxRows) || limits.maxRows < 1) throw new Error(`buffer size must be a whole number of values from 1, not ${limits.maxRows}`);
    if (!(limits.maxAgeMs > 0)) throw new Error(`buffer age limit must be positive, not ${limits.maxAgeMs} ms`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
    this.insert = this.db.prepare('INSERT INTO queue (at, item) VALUES (?, ?)');
    this.peekStmt = this.db.prepare('SELECT id, at, item FROM queue WHERE id > ? ORDER BY id LIMIT ?');
    this.removeStmt = this.db.prepare('DELETE FROM queue WHERE id <= ?');
    this.rows = (this.db.prepare('SELECT count(*) AS n FROM queue').get() as { n: number }).n;
  }

  get size(): number {
    return this.rows;
  }

  /** Rows dropped for space or age since this buffer was opened. */
  get dropped(): number {
    return this.droppedTotal;
  }

  get full(): boolean {
    return this.rows >= this.limits.maxRows;
  }

  /** Commits `items` (in order, fsynced) and drops what the limits no longer allow. */
  append(items: readonly T[], now = Date.now()): AppendOutcome {
    if (items.length === 0) return { dropped: 0 };
    const texts = items.map((i) => JSON.stringify(i));
    let dropped = 0;
    this.db.pragma('synchronous = FULL');
    this.db.transaction(() => {
      dropped += this.db.prepare('DELETE FROM queue WHERE at < ?').run(now - this.limits.maxAgeMs).changes;
      const over = this.rows - dropped + texts.length - this.limits.maxRows;
      if (over > 0) {
        dropped += this.db.prepare('DELETE FROM queue WHERE id IN (SELECT id FROM queue ORDER BY id LIMIT ?)').run(over).changes;
      }
      for (const t of texts) this.insert.run(now, t);
    })();
    this.rows += texts.length - dropped;
    this.droppedTotal += dropped;
    return { dropped };
  }

  /** Up to `limit` rows after id `after`, oldest first. */
  peek(after: number, limit: number): BufferedRow<T>[] {
    return this.peekStmt.all(after, limit).map((r) => ({ id: r.id, at: r.at, item: JSON.parse(r.item) as T }));
  }

  /** The newest row's id (0 when empty). */
  lastId(): number {
    return (this.db.prepare('SELECT coalesce(max(id), 0) AS id FROM queue').get() as { id: number }).id;
  }

  /** Removes every row up to and including `id` (delivered). */
  remove(id: number): void {
    this.db.pragma('synchronous = NORMAL');
    const n = this.removeStmt.run(id).changes;
    this.rows -= n;
  }

  getMeta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.pragma('synchronous = FULL');
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
