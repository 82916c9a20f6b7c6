/**
 * "Auto" requests in flight: how many a device takes with profit. While the device's latency, not its
 * capacity, sets the pace, doubling the requests in flight nearly doubles the answers a second; past that
 * point it brings nothing. So k starts at 1 (every device takes it) and doubles while the answers a
 * second measured at k rise by at least AUTO_GAIN over the best so far; when two windows in a row at the
 * doubled k do not, k goes back to the best one and stays there. A device that pushes back (busy,
 * timeouts, closing; the connection's adaptive pacing) ends the climb and caps k below the crowd it
 * refused. A window counts only while the flow keeps about k requests in flight (it asks more than the
 * link carries): a flow that asks less makes no decision. Pure: the caller gives the clock.
 */

/** Throughput gain a doubling must bring to be kept (noise on a busy machine is a few percent). */
export const AUTO_GAIN = 1.15;
/** A window lasts at least this long (a busy machine lends a process the CPU in slices: they average out) ... */
const MIN_WINDOW_MS = 200;
/** ... and at least this many answers, or 4 x the limit. */
const MIN_WINDOW_ANSWERS = 32;
/**
 * How full the pipe must be, on average over a window's answers (requests in flight when each was sent,
 * over the limit): overlapping scans hand over from one to the next, so a busy flow stays below (a read
 * node at 2 ms and 128 allowed keeps about 70 %).
 */
const FULL_SHARE = 0.6;

export interface ClimbStep {
  readonly limit: number;
  readonly why: string;
}

export class InFlightClimb {
  private climbing = true;
  private bestRate = 0;
  private bestLimit = 0;
  /** The window: when it started (-1: not started), answers in it, the sum of their crowds. */
  private windowStart = -1;
  private answers = 0;
  private crowds = 0;
  /** Windows in a row at this limit that showed no gain. */
  private doubts = 0;

  constructor(private ceiling: number) {}

  /** The most the limit may reach now: the ceiling while climbing, where it settled after. */
  get max(): number {
    return this.ceiling;
  }

  get settled(): boolean {
    return !this.climbing;
  }

  /**
   * One answer, at `now` (ms), of a request sent with `crowd` in flight (itself included) while `limit`
   * were allowed. Returns the next limit when it changes, or when the climb ends.
   */
  answered(limit: number, crowd: number, now: number): ClimbStep | undefined {
    if (!this.climbing) return undefined;
    if (this.windowStart < 0) {
      // A window starts with the first answer of a (nearly) full pipe at this limit.
      if (crowd >= FULL_SHARE * limit) {
        this.windowStart = now;
        this.answers = 0;
        this.crowds = 0;
      }
      return undefined;
    }
    this.answers++;
    this.crowds += Math.min(crowd, limit);
    const elapsed = now - this.windowStart;
    if (this.answers < Math.max(MIN_WINDOW_ANSWERS, 4 * limit) || elapsed < MIN_WINDOW_MS) return undefined;
    this.windowStart = -1;
    // The flow asked less than the link carries: the window says nothing about the device.
    if (this.crowds < FULL_SHARE * limit * this.answers) return undefined;
    const rate = this.answers / elapsed;
    if (this.bestLimit === 0 || rate >= this.bestRate * AUTO_GAIN) {
      const gain = this.bestLimit ? ` (${(rate / this.bestRate).toFixed(2)} x the answers a second of ${this.bestLimit})` : '';
      this.bestRate = rate;
      this.bestLimit = limit;
      this.doubts = 0;
      const next = Math.min(this.ceiling, limit * 2);
      if (next === limit) {
        this.climbing = false;
        return { limit, why: `auto: ${limit} in flight${gain}, the most allowed` };
      }
      return { limit: next, why: `auto: trying ${next} in flight${gain}` };
    }
    // One window may have been unlucky (the machine was busy): measure once more before settling.
    if (++this.doubts < 2) return undefined;
    this.climbing = false;
    this.ceiling = this.bestLimit;
    return { limit: this.bestLimit, why: `auto: ${this.bestLimit} in flight; ${limit} gave ${(rate / this.bestRate).toFixed(2)} x its answers a second` };
  }

  /** The device refused `crowd` requests in flight: the climb ends, and the limit stays below it. */
  pushedBack(crowd: number): void {
    this.climbing = false;
    this.windowStart = -1;
    this.ceiling = Math.max(1, Math.min(this.ceiling, crowd - 1));
  }
}
