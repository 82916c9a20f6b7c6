/**
 * The node's clock: where engine time should be when no sample arrives. Pure (the adapter passes the
 * hub's time), so the rule is testable.
 *
 * Rule: the engine runs on the sources' clock, not the hub's. Each sample that moves engine time on
 * fixes the lag between the two (hub time on arrival minus source time). Between samples, time moves
 * on at the rate of the hub's clock from the last such sample, minus a margin:
 *
 *     tick time = hub time - lag - margin
 *
 * So ticks never run ahead of what the sources say: a sample that arrives up to `margin` plus the
 * engine's late-sample tolerance (2 s) later than its peers is still applied, and a source whose
 * clock is off by hours (or a replay of last week) is followed, not overrun. While samples flow, ticks
 * do almost nothing; when the sources fall silent, ticks carry time on, so the stale limit turns the
 * silence into "no data" and shifts end on time. Before the first sample there is no lag and no tick.
 * The lag is saved with the state, so after a restart ticks go on at once, on the sources' clock.
 */

/** Ticks stay this far behind the sources' clock: below the engine's 2 s late-sample tolerance. */
export const TICK_MARGIN_MS = 1_000;

export class SourceClock {
  private lag: number | null = null;

  constructor(readonly marginMs: number = TICK_MARGIN_MS) {}

  /** Hub time minus source time at the last sample that moved engine time on; null before one. */
  get lagMs(): number | null {
    return this.lag;
  }

  /** A sample moved engine time to `engineTime` at hub time `now`. */
  observe(engineTime: number, now: number): void {
    this.lag = now - engineTime;
  }

  restore(lagMs: number | null): void {
    this.lag = typeof lagMs === 'number' && Number.isFinite(lagMs) ? lagMs : null;
  }

  /** Where a tick at hub time `now` moves engine time, or null when it should not move it. */
  tickTime(now: number, engineTime: number): number | null {
    if (this.lag === null) return null;
    const t = Math.floor(now - this.lag - this.marginMs);
    return t > engineTime ? t : null;
  }
}
