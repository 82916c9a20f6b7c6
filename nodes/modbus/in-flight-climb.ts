/**
 * "Auto" requests in flight: how many a device takes with profit. With k requests in flight and a round
 * trip of r, a link carries k / r answers a second: while the device's latency, not its capacity, sets
 * the pace, doubling k doubles that. So k starts at 1 (every device takes it) and doubles while the
 * estimate rises by at least AUTO_GAIN; when it does not, k goes back to the best one and stays there.
 * A device that pushes back (busy, timeouts, closing; the connection's adaptive pacing) ends the climb
 * and caps k below the crowd it refused. Only answers sent with k already in flight count: a flow that
 * asks less than the link carries makes no decision. Pure: no timers, no I/O.
 */

/** Throughput gain a doubling must bring to be kept (noise on a busy machine is a few percent). */
export const AUTO_GAIN = 1.15;

export interface ClimbStep {
  readonly limit: number;
  readonly why: string;
}

export class InFlightClimb {
  private climbing = true;
  private bestRate = 0;
  private bestLimit = 0;
  private samples = 0;
  private rttSum = 0;

  constructor(private ceiling: number) {}

  /** The most the limit may reach now: the ceiling while climbing, where it settled after. */
  get max(): number {
    return this.ceiling;
  }

  get settled(): boolean {
    return !this.climbing;
  }

  /**
   * One answer of a request sent with `crowd` in flight (itself included) while `limit` were allowed,
   * `rttMs` after it was sent. Returns the next limit when it changes.
   */
  answered(limit: number, crowd: number, rttMs: number): ClimbStep | undefined {
    if (!this.climbing || crowd < limit) return undefined;
    this.samples++;
    this.rttSum += rttMs;
    if (this.samples < Math.max(16, 2 * limit)) return undefined;
    // Answers per ms at this limit: limit / mean round trip.
    const rate = (limit * this.samples) / Math.max(1e-3, this.rttSum);
    this.samples = 0;
    this.rttSum = 0;
    if (this.bestLimit === 0 || rate >= this.bestRate * AUTO_GAIN) {
      const gain = this.bestLimit ? ` (${(rate / this.bestRate).toFixed(2)} x the answers a second of ${this.bestLimit})` : '';
      this.bestRate = rate;
      this.bestLimit = limit;
      const next = Math.min(this.ceiling, limit * 2);
      if (next === limit) {
        this.climbing = false;
        return { limit, why: `auto: ${limit} in flight${gain}, the most allowed` };
      }
      return { limit: next, why: `auto: trying ${next} in flight${gain}` };
    }
    this.climbing = false;
    this.ceiling = this.bestLimit;
    return { limit: this.bestLimit, why: `auto: ${this.bestLimit} in flight; ${limit} gave ${(rate / this.bestRate).toFixed(2)} x its answers a second` };
  }

  /** The device refused `crowd` requests in flight: the climb ends, and the limit stays below it. */
  pushedBack(crowd: number): void {
    this.climbing = false;
    this.samples = 0;
    this.rttSum = 0;
    this.ceiling = Math.max(1, Math.min(this.ceiling, crowd - 1));
  }
}
