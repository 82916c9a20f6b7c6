/**
 * The outbox of one ERP connection: the only way records leave for the ERP.
 *
 * - enqueue() resolves only once the record is committed to disk (see outbox-store.ts for the SQLite
 *   settings), so "accepted" survives a crash or a power cut. A record whose key is already in the outbox
 *   (queued, dead, or delivered within the retention time) is not stored twice: a producer may resend
 *   what it is unsure about.
 * - Full (count or bytes of queued + dead records): new records are refused with OutboxFullError and a
 *   `full` event for the alarm; nothing already accepted is ever dropped to make room. The alarm is kept
 *   in the file, so a restart raises it again until a record is accepted.
 * - A record larger than `maxRecordBytes` is refused (RecordTooLargeError) before anything is written.
 * - Delivery (delivery.ts): in order per production order, exactly once in effect through key look-ups.
 * - Dead letters keep the ERP's message until an operator retries (requeues) or purges them.
 */
import { EventEmitter } from 'node:events';
import type { Send } from './auth';
import type { DeliveryEvent, DeliveryOptions } from './delivery';
import { Deliverer } from './delivery';
import type { Dialect } from './dialects/dialect';
import type { StoredRecord } from './outbox-store';
import { OutboxStore } from './outbox-store';
import { GroupCommit } from '../shared/group-commit';
import type { ErpRecord } from './record';
import { laneOf } from './record';
import { DEFAULT_MAX_RECORD_BYTES, checkRecordSize } from './record-size';
import { messageOf } from '../shared/errors';
import type { GuardedNode } from '../shared/guard';
import { guarded } from '../shared/guard';

export interface OutboxOptions {
  readonly file: string;
  /** Most records held (queued + dead letters). */
  readonly maxRecords: number;
  /** Most bytes of record data held (queued + dead letters). */
  readonly maxBytes: number;
  /** Largest record (bytes of its JSON); default 1 MiB. */
  readonly maxRecordBytes?: number;
  /** Where an error thrown in a timer or event callback goes (the connection node); default: lastError. */
  readonly reporter?: GuardedNode;
  /** How long keys of delivered records are kept to recognise a resent record. */
  readonly deliveredRetentionMs?: number;
  /** Most delivered records kept for that. */
  readonly deliveredKeep?: number;
  readonly synchronous?: 'FULL' | 'NORMAL';
  readonly now?: () => number;
}

export class OutboxFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutboxFullError';
  }
}

export interface Accepted {
  readonly key: string;
  readonly seq: number;
  /** The key was already in the outbox: nothing new was stored. */
  readonly duplicate: boolean;
  readonly state: StoredRecord['state'];
}

export interface OutboxStats {
  /** Records waiting for delivery (including those in flight). */
  readonly depth: number;
  readonly inFlight: number;
  /** Age in ms of the oldest record waiting, 0 when none. */
  readonly oldestAgeMs: number;
  readonly deadLetters: number;
  /** Delivered records still kept (for duplicate detection). */
  readonly deliveredKept: number;
  readonly deliveredSinceStart: number;
  readonly bytes: number;
  readonly maxRecords: number;
  readonly maxBytes: number;
  readonly full: boolean;
  /** Time until which delivery is paused for the whole ERP (down, overloaded, refused credentials). */
  readonly pausedUntil?: number;
  readonly lastError?: { readonly at: number; readonly message: string; readonly key?: string };
  readonly lastDeliveredAt?: number;
  /** Active alarm text: outbox full or credentials refused. */
  readonly alarm?: string;
  /** The ERP asked (Retry-After on a 429 or 503) to wait: delivery is paused until `until`. */
  readonly erpAsksToWait?: { readonly status: number; readonly until: number };
}

export interface DeadLetter {
  readonly key: string;
  readonly seq: number;
  readonly order?: string;
  readonly kind: ErpRecord['kind'];
  readonly record: ErpRecord;
  readonly error: string;
  readonly attempts: number;
  readonly acceptedAt: number;
  readonly deadAt: number;
  readonly source?: string;
}

export type OutboxEvent =
  | DeliveryEvent
  | { readonly type: 'full'; readonly message: string; readonly source?: string }
  | { readonly type: 'requeued'; readonly count: number }
  | { readonly type: 'purged'; readonly count: number };

/** Name of the stored full alarm (in the file's meta table). */
const FULL_ALARM = 'full_alarm';

/** Outboxes open in this process, by file: a new one on the same file closes the old one first. */
const openFiles = new Map<string, Outbox>();

export class Outbox extends EventEmitter<{ event: [OutboxEvent] }> {
  readonly store: OutboxStore;
  private readonly writer: GroupCommit;
  private deliverer: Deliverer | undefined;
  private closed = false;
  private deliveredSinceStart = 0;
  private lastError: OutboxStats['lastError'];
  private lastDeliveredAt: number | undefined;
  private alarm: string | undefined;
  private erpWait: { status: number; until: number } | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  readonly reporter: GuardedNode;
  readonly maxRecordBytes: number;

  constructor(readonly options: OutboxOptions) {
    super();
    openFiles.get(options.file)?.closeNow();
    this.now = options.now ?? Date.now;
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.reporter = options.reporter ?? { error: (err: unknown) => this.noteError(`internal error: ${messageOf(err)}`) };
    this.store = new OutboxStore(options.file, options.synchronous ?? 'FULL');
    this.writer = new GroupCommit(this.store, (err) => this.noteError(`writing the outbox file failed: ${messageOf(err)}`));
    openFiles.set(options.file, this);
    this.alarm = this.fullAlarmAtStart();
    this.prune();
    this.pruneTimer = setInterval(guarded(this.reporter, () => this.prune()), 3600_000);
    this.pruneTimer.unref();
  }

  /** The full alarm a restart must not lose: the one in the file, or one the counts call for now. */
  private fullAlarmAtStart(): string | undefined {
    const stored = this.store.meta(FULL_ALARM);
    if (stored) return stored;
    const c = this.store.counts;
    if (c.pending + c.dead < this.options.maxRecords && c.bytes < this.options.maxBytes) return undefined;
    return `outbox full (${this.fullness()}: ${c.pending} waiting, ${c.dead} dead letters); new records are refused`;
  }

  private fullness(extra = 0): string {
    const c = this.store.counts;
    return c.pending + c.dead >= this.options.maxRecords ? `${c.pending + c.dead} of ${this.options.maxRecords} records` : `${Math.round((c.bytes + extra) / 1024)} of ${Math.round(this.options.maxBytes / 1024)} KiB`;
  }

  /** Starts delivering through `dialect` (records accepted before, even before a crash, are included). */
  startDelivery(dialect: Dialect, send: Send, options: DeliveryOptions): void {
    if (this.closed || this.deliverer) return;
    this.deliverer = new Deliverer(this.store, this.writer, dialect, send, options, (e) => this.onDelivery(e), this.now, Math.random, this.reporter);
    this.deliverer.start();
  }

  /**
   * Accepts a record: resolves once it is on disk; rejects with RecordTooLargeError (checked first,
   * nothing written) or OutboxFullError when there is no room.
   */
  async enqueue(record: ErpRecord, source?: string): Promise<Accepted> {
    const size = checkRecordSize(record, this.maxRecordBytes);
    const lane = laneOf(record);
    const accepted = await this.writer.run((): Accepted => {
      const existing = this.store.byKey(record.key);
      if (existing) return { key: record.key, seq: existing.seq, duplicate: true, state: existing.state };
      const c = this.store.counts;
      if (c.pending + c.dead >= this.options.maxRecords || c.bytes + size > this.options.maxBytes) {
        throw new OutboxFullError(`outbox full (${this.fullness(size)}: ${c.pending} waiting, ${c.dead} dead letters); record ${record.key} refused, not queued`);
      }
      const { seq } = this.store.insert(lane, record, this.now(), source);
      if (this.alarm?.startsWith('outbox full')) this.store.setMeta(FULL_ALARM, undefined);
      return { key: record.key, seq, duplicate: false, state: 'queued' };
    }).catch((err: unknown) => {
      if (err instanceof OutboxFullError) {
        this.alarm = err.message;
        this.writer.run(() => this.store.setMeta(FULL_ALARM, err.message), false).catch(() => undefined);
        this.tell({ type: 'full', message: err.message, ...(source !== undefined ? { source } : {}) });
      }
      throw err;
    });
    if (!accepted.duplicate) {
      if (this.alarm?.startsWith('outbox full')) this.alarm = undefined;
      this.deliverer?.notify(lane);
    }
    return accepted;
  }

  stats(): OutboxStats {
    const c = this.store.counts;
    const now = this.now();
    const oldest = this.store.db.open && c.pending > 0 ? this.store.oldestPendingAcceptedAt() : undefined;
    const paused = this.deliverer?.pausedUntilTime ?? 0;
    return {
      depth: c.pending,
      inFlight: this.deliverer?.inFlightCount ?? 0,
      oldestAgeMs: oldest === undefined ? 0 : Math.max(0, now - oldest),
      deadLetters: c.dead,
      deliveredKept: c.delivered,
      deliveredSinceStart: this.deliveredSinceStart,
      bytes: c.bytes,
      maxRecords: this.options.maxRecords,
      maxBytes: this.options.maxBytes,
      full: c.pending + c.dead >= this.options.maxRecords || c.bytes >= this.options.maxBytes,
      ...(paused > now ? { pausedUntil: paused } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...(this.lastDeliveredAt !== undefined ? { lastDeliveredAt: this.lastDeliveredAt } : {}),
      ...(this.alarm ? { alarm: this.alarm } : {}),
      ...(this.erpWait && this.erpWait.until > now ? { erpAsksToWait: { ...this.erpWait } } : {}),
    };
  }

  deadLetters(limit = 100, offset = 0): DeadLetter[] {
    return this.store.deadLetters(limit, offset).map((r) => ({
      key: r.key,
      seq: r.seq,
      ...(r.record.order !== undefined ? { order: r.record.order } : {}),
      kind: r.record.kind,
      record: r.record,
      error: r.lastError ?? '',
      attempts: r.attempts,
      acceptedAt: r.acceptedAt,
      deadAt: r.finishedAt ?? 0,
      ...(r.source !== null ? { source: r.source } : {}),
    }));
  }

  /** Requeues dead letters (all, or by key); returns how many. */
  async retry(keys?: readonly string[]): Promise<number> {
    const { count, lanes } = await this.writer.run(() => this.store.requeue(keys));
    for (const lane of lanes) this.deliverer?.notify(lane);
    this.tell({ type: 'requeued', count });
    return count;
  }

  /** Deletes dead letters (all, or by key); returns how many. */
  async purge(keys?: readonly string[]): Promise<number> {
    const count = await this.writer.run(() => this.store.purge(keys));
    this.tell({ type: 'purged', count });
    return count;
  }

  /**
   * Stops delivery: attempts in flight get `graceMs` to finish, then `abort` (the connection's HTTP client)
   * cuts them; an attempt cut after its request left stays "sending" and is looked up on the next start.
   */
  async close(graceMs: number, abort: () => void = () => undefined): Promise<void> {
    if (this.closed) return;
    await this.deliverer?.stop(graceMs);
    abort();
    // Let aborted attempts write their outcome (a few turns of the event loop), then close the file.
    await new Promise((r) => setTimeout(r, 20));
    this.closeNow();
  }

  /** Closes at once (no waiting): anything in flight is settled by a look-up next time. */
  closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    void this.deliverer?.stop(0);
    clearInterval(this.pruneTimer);
    this.writer.close();
    this.store.close();
    if (openFiles.get(this.options.file) === this) openFiles.delete(this.options.file);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onDelivery(e: DeliveryEvent): void {
    this.erpWait = e.type === 'retry' && e.failure.kind === 'retry' && e.failure.retryAfterMs !== undefined ? { status: e.failure.status ?? 0, until: e.nextAt } : e.type === 'delivered' ? undefined : this.erpWait;
    if (e.type === 'delivered') {
      this.deliveredSinceStart++;
      this.lastDeliveredAt = this.now();
      if (this.alarm && !this.alarm.startsWith('outbox full')) this.alarm = undefined;
    } else if (e.type === 'dead') {
      this.noteError(e.error, e.rec.key);
    } else {
      this.noteError(e.failure.message, e.rec.key);
      if (e.failure.kind === 'auth') this.alarm = `ERP refused the credentials: ${e.failure.message}`;
    }
    this.tell(e);
  }

  /** Emits an event; a listener that throws is reported, and cannot undo the delivery or write behind it. */
  private tell(e: OutboxEvent): void {
    guarded(this.reporter, () => {
      this.emit('event', e);
    })();
  }

  private noteError(message: string, key?: string): void {
    this.lastError = { at: this.now(), message, ...(key !== undefined ? { key } : {}) };
  }

  private prune(): void {
    if (!this.store.db.open) return;
    const keep = this.options.deliveredKeep ?? 100_000;
    const retention = this.options.deliveredRetentionMs ?? 7 * 24 * 3600_000;
    this.writer.run(() => this.store.pruneDelivered(this.now() - retention, keep), false).catch(() => undefined);
  }
}
