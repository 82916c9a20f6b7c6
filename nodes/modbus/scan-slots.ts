/**
 * How many scans of one read node run at once, and the bounded line of those waiting for a turn.
 * Overlapping scans keep the device's requests in flight busy while a finished scan's message passes
 * through the flow and the next trigger arrives: without it, requests in flight fall to 0 between scans.
 * The scanner (scanner.ts) delivers overlapping scans in the order they started. No Node-RED here.
 */

/** The most scans of one node at once, whatever the device takes (bounds the answers held in memory). */
export const MAX_SCANS_AT_ONCE = 33;

/**
 * Scans at once that keep `limit` requests in flight with `perScan` requests each, plus one whose
 * requests already wait in the connection's queue, so they go out the moment a request in flight is
 * answered (with 1 in flight: the next scan's first request right after this one's last answer).
 */
export function scansAtOnce(limit: number, perScan: number): number {
  return Math.min(MAX_SCANS_AT_ONCE, Math.ceil(Math.max(1, limit) / Math.max(1, perScan)) + 1);
}

/** Runs jobs up to `depth()` at once; up to `maxWaiting` more wait their turn in order; more are refused. */
export class ScanSlots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly depth: () => number,
    readonly maxWaiting: number,
  ) {}

  /** Scans running now. */
  get running(): number {
    return this.active;
  }

  /** Jobs waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** True when a job would start now (a slot free and nobody waiting before it). */
  get free(): boolean {
    return this.waiting.length === 0 && this.active < this.depth();
  }

  /** Runs `job` in its turn; undefined (not run) when `maxWaiting` jobs already wait. */
  run<T>(job: () => Promise<T>): Promise<T> | undefined {
    if (!this.free && this.waiting.length >= this.maxWaiting) return undefined;
    const go = (): Promise<T> => {
      this.active++;
      let p: Promise<T>;
      try {
        p = job();
      } catch (err) {
        p = Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      return p.finally(() => {
        this.active--;
        this.next();
      });
    };
    if (this.free) return go();
    return new Promise<T>((resolve, reject) =>
      this.waiting.push(() => {
        go().then(resolve, reject);
      }),
    );
  }

  /** Starts waiting jobs while slots are free (depth may have grown, or a job finished). */
  private next(): void {
    while (this.waiting.length && this.active < this.depth()) this.waiting.shift()!();
  }
}
