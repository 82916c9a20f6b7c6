/**
 * Delivery of the outbox to the ERP, one lane (production order) at a time in acceptance order, up to
 * `concurrency` lanes in parallel (different orders do not wait for each other; a slow or failing order
 * holds up only itself, unless the ERP as a whole is unwell, which pauses every lane).
 *
 * One attempt on a lane's oldest record:
 *   1. If the record may already be booked, look its key up in the ERP first: found -> delivered, without
 *      a second post. This is what makes delivery exactly-once in effect. "May be booked": `ambiguous`
 *      (a timeout or reset after the request had left), or, after a restart, any record at or below the
 *      attempt horizon that this run has not settled yet (the hub may have died, or lost power, between a
 *      post and the write of its outcome).
 *   2. Make sure the record is at or below the durable attempt horizon, then post. The horizon is a
 *      sequence number committed with fsync before any record above it is posted; it moves in chunks of
 *      HORIZON_CHUNK, so it costs one fsync per chunk instead of one per record, and a restart looks up at
 *      most the records still waiting below it.
 *   3. Commit the outcome (synchronous=NORMAL: cheap; if a power cut loses it, step 1 repairs it):
 *      delivered; dead letter (the ERP refused the record); back to queued with a backoff (a definite
 *      failure); or ambiguous (look up before any resend).
 */
import type { Send } from './auth';
import type { Dialect } from './dialects/dialect';
import type { Failure } from './outcome';
import { isFailure } from './outcome';
import type { OutboxStore, StoredRecord } from './outbox-store';
import type { GroupCommit } from '../shared/group-commit';
import type { RetryPolicy } from './retry';
import { DEFAULT_RETRY, backoffMs } from './retry';
import { messageOf } from '../shared/errors';
import type { GuardedNode } from '../shared/guard';
import { guarded } from '../shared/guard';

export interface DeliveryOptions {
  /** Lanes delivered in parallel. */
  readonly concurrency: number;
  readonly retry: RetryPolicy;
  /** Wait after an ambiguous outcome before the look-up, so a request the ERP is still working on can finish. */
  readonly settleMs: number;
  /** Attempts after which a record failing with a limited-retry error (HTTP 500) becomes a dead letter. */
  readonly maxLimitedAttempts: number;
}

export const DEFAULT_DELIVERY: DeliveryOptions = {
  concurrency: 4,
  retry: DEFAULT_RETRY,
  settleMs: 5000,
  maxLimitedAttempts: 10,
};

export type DeliveryEvent =
  | { readonly type: 'delivered'; readonly rec: StoredRecord; readonly ref: string; readonly foundByLookup: boolean; readonly attempts: number }
  | { readonly type: 'dead'; readonly rec: StoredRecord; readonly error: string }
  | { readonly type: 'retry'; readonly rec: StoredRecord; readonly failure: Failure; readonly nextAt: number };

/** Records the horizon moves ahead of the highest one posted (the most a restart looks up needlessly). */
export const HORIZON_CHUNK = 256;

interface Lane {
  busy: boolean;
  readyAt: number;
  headSeq: number;
}

export class Deliverer {
  private readonly lanes = new Map<string, Lane>();
  private inFlight = 0;
  private pausedUntil = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private idle: (() => void)[] = [];
  /** Durable attempt horizon, and the horizon found at start (records up to it may have been posted). */
  private horizon = 0;
  private recoveredHorizon = 0;
  private horizonWrite: Promise<void> | undefined;
  /** Records at or below the recovered horizon that this run has looked up (or posted) already. */
  private readonly settled = new Set<number>();
  private startedAt = 0;

  constructor(
    private readonly store: OutboxStore,
    private readonly writer: GroupCommit,
    private readonly dialect: Dialect,
    private readonly send: Send,
    private readonly options: DeliveryOptions,
    private readonly emit: (e: DeliveryEvent) => void,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
    /** Where a throw in a timer or callback of the loop goes, instead of the runtime. */
    private readonly reporter: GuardedNode = { error: () => undefined },
  ) {}

  /** Picks up every lane with records (after a restart too) and starts delivering. */
  start(): void {
    this.startedAt = this.now();
    this.horizon = this.store.horizon();
    this.recoveredHorizon = Math.min(this.horizon, this.store.maxSeq());
    for (const lane of this.store.pendingLanes()) this.refresh(lane);
    this.pump();
  }

  /** A record was accepted (or requeued) in `lane`. */
  notify(lane: string): void {
    if (this.stopped) return;
    // A requeued dead letter may now be the lane's head; a busy lane is refreshed when its attempt ends.
    if (!this.lanes.get(lane)?.busy) this.refresh(lane);
    this.pump();
  }

  get inFlightCount(): number {
    return this.inFlight;
  }

  get pausedUntilTime(): number {
    return this.pausedUntil;
  }

  /** Stops starting attempts; resolves when those in flight have finished or `graceMs` has passed. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(guarded(this.reporter, resolve), graceMs);
      this.idle.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Reloads a lane's head from the file and when it is due. */
  private refresh(lane: string): void {
    const head = this.store.head(lane);
    if (!head) {
      this.lanes.delete(lane);
      return;
    }
    let readyAt = head.nextAt;
    // A post may have been under way when the hub stopped: give the ERP time to finish it, then look up.
    if (this.recovering(head)) readyAt = Math.max(readyAt, this.startedAt + this.options.settleMs);
    const l = this.lanes.get(lane);
    if (l) {
      l.readyAt = readyAt;
      l.headSeq = head.seq;
    } else this.lanes.set(lane, { busy: false, readyAt, headSeq: head.seq });
  }

  private pump(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.now();
    let next = Infinity;
    if (now < this.pausedUntil) {
      next = this.pausedUntil;
    } else {
      const ready: [string, Lane][] = [];
      for (const entry of this.lanes) {
        const l = entry[1];
        if (l.busy) continue;
        if (l.readyAt <= now) ready.push(entry);
        else next = Math.min(next, l.readyAt);
      }
      // Oldest first, so a burst on one order cannot starve records accepted earlier on others.
      ready.sort((a, b) => a[1].headSeq - b[1].headSeq);
      for (const [lane, l] of ready) {
        if (this.inFlight >= this.options.concurrency) {
          next = Math.min(next, now + 1000);
          break;
        }
        l.busy = true;
        this.inFlight++;
        const finished = guarded(this.reporter, () => {
          l.busy = false;
          this.inFlight--;
          if (this.stopped) {
            if (this.inFlight === 0) this.idle.splice(0).forEach((f) => f());
            return;
          }
          this.refresh(lane);
          this.pump();
        });
        void guarded(this.reporter, async () => {
          try {
            await this.attempt(lane);
          } finally {
            finished();
          }
        })();
      }
    }
    if (next !== Infinity) {
      this.timer = setTimeout(guarded(this.reporter, () => this.pump()), Math.max(0, next - this.now()));
      this.timer.unref?.();
    }
  }

  /** Whether a record may have been posted by an earlier run without its outcome on disk. */
  private recovering(rec: StoredRecord): boolean {
    return rec.state === 'sending' || (rec.seq <= this.recoveredHorizon && !this.settled.has(rec.seq));
  }

  /** Commits (with fsync) a horizon at or above `seq` before that record may be posted. */
  private async coverByHorizon(seq: number): Promise<void> {
    while (seq > this.horizon) {
      if (!this.horizonWrite) {
        const target = Math.max(seq, this.store.maxSeq()) + HORIZON_CHUNK;
        this.horizonWrite = this.writer
          .run(() => this.store.setHorizon(target), true)
          .then(() => {
            this.horizon = Math.max(this.horizon, target);
          })
          .finally(() => (this.horizonWrite = undefined));
      }
      await this.horizonWrite;
    }
  }

  private async attempt(lane: string): Promise<void> {
    const rec = this.store.db.open ? this.store.head(lane) : undefined;
    if (!rec) return;
    let phase: 'look-up' | 'post' = 'post';
    try {
      if (rec.state === 'ambiguous' || this.recovering(rec)) {
        phase = 'look-up';
        const found = await this.dialect.find(rec.record, this.send);
        this.settled.add(rec.seq);
        if (found) {
          await this.writer.run(() => this.store.settle(rec, { state: 'delivered', ref: found.ref, error: null, now: this.now() }), false);
          this.emit({ type: 'delivered', rec, ref: found.ref, foundByLookup: true, attempts: rec.attempts });
          return;
        }
        if (this.stopped) return;
        phase = 'post';
      }
      await this.coverByHorizon(rec.seq);
      if (this.stopped) return;
      const booked = await this.dialect.post(rec.record, this.send);
      await this.writer.run(() => this.store.settle(rec, { state: 'delivered', ref: booked.ref, error: null, now: this.now(), attempted: true }), false);
      this.emit({ type: 'delivered', rec, ref: booked.ref, foundByLookup: false, attempts: rec.attempts + 1 });
    } catch (err) {
      if (!this.store.db.open) return;
      // An unexpected error (a bug, not an ERP answer) during the post may have come after the request
      // left: treat it as ambiguous, so the next attempt looks up before resending.
      const failure: Failure = isFailure(err) ? err.failure : phase === 'post' ? { kind: 'ambiguous', message: `unexpected error: ${messageOf(err)}` } : { kind: 'retry', scope: 'record', message: `unexpected error in the look-up: ${messageOf(err)}` };
      await this.failed(rec, failure, phase).catch(() => undefined);
    }
  }

  private async failed(rec: StoredRecord, failure: Failure, phase: 'look-up' | 'post'): Promise<void> {
    const now = this.now();
    const current = this.store.byKey(rec.key) ?? rec;
    if (failure.kind === 'permanent') {
      // A refused look-up cannot tell whether the earlier attempt was booked: say so to whoever retries it.
      const error = phase === 'look-up' ? `may already be booked (an earlier attempt had no answer) and the look-up failed: ${failure.message}` : failure.message;
      await this.writer.run(() => this.store.settle(current, { state: 'dead', error, now, attempted: phase === 'post' }), false);
      this.emit({ type: 'dead', rec: current, error });
      return;
    }
    const limitedFailures = failure.kind === 'retry' && failure.limited ? current.limitedFailures + 1 : 0;
    if (limitedFailures >= this.options.maxLimitedAttempts) {
      const error = `gave up after ${limitedFailures} attempts: ${failure.message}`;
      // Only safe when the record was not possibly booked; else keep looking it up.
      if (phase === 'post') {
        await this.writer.run(() => this.store.settle(current, { state: 'dead', error, now, attempted: true }), false);
        this.emit({ type: 'dead', rec: current, error });
        return;
      }
    }
    const attempts = current.attempts + (phase === 'post' ? 1 : 0) || 1;
    const retryAfter = failure.kind === 'retry' || failure.kind === 'auth' ? failure.retryAfterMs : undefined;
    let delay = backoffMs(this.options.retry, attempts, retryAfter, this.random);
    // A look-up failure, or an ambiguous post, leaves the record "maybe booked": the next attempt looks up.
    const maybeBooked = failure.kind === 'ambiguous' || phase === 'look-up';
    if (failure.kind === 'ambiguous') delay = Math.max(delay, this.options.settleMs);
    const nextAt = now + delay;
    // The whole ERP is unwell (down, overloaded, credentials refused): pause every lane, not just this one.
    if ((failure.kind === 'retry' && failure.scope === 'server') || failure.kind === 'auth') this.pausedUntil = Math.max(this.pausedUntil, nextAt);
    await this.writer.run(() => this.store.settle(current, { state: maybeBooked ? 'ambiguous' : 'queued', nextAt, error: failure.message, now, limitedFailures, attempted: phase === 'post' }), false);
    this.emit({ type: 'retry', rec: current, failure, nextAt });
  }
}
