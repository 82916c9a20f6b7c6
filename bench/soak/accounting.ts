/**
 * The soak's figures from what it observed. Pure: no hub, no clock.
 */
import type { ObservedOee, ObservedValues } from './observer-flow';

/**
 * When data flowed again after `healAt`: the arrival of the first good message that arrived at or
 * after the heal and carries a source time at or after it (a value read or changed after the heal, not
 * one replayed from before); undefined while there is none.
 */
export function freshArrival(values: ObservedValues | undefined, healAt: number): number | undefined {
  return values?.arrivals.find(([arrived, stamped]) => arrived >= healAt && stamped >= healAt)?.[0];
}

/** Parts the hub's fh-oee counted, all shifts: the ended ones plus the one running (once). */
export function partsCounted(oee: ObservedOee | undefined): number | undefined {
  if (oee === undefined) return undefined;
  const ended = Object.values(oee.ended).reduce((a, b) => a + b, 0);
  const running = oee.shiftId !== null && !(oee.shiftId in oee.ended) ? (oee.total ?? 0) : 0;
  return ended + running;
}

/**
 * Values lost, per machine: the parts the simulator made between the two settled points (start and end
 * of the soak, machines held still and the hub's last reading equal to the machine's counter) minus the
 * parts the hub's fh-oee counted between the same points. Counters are totals, so an outage delays the
 * count but must lose nothing: the difference must be 0. `lost` is the shortfall, `extra` an overcount.
 */
export function valueBalance(made: number, counted: number): { lost: number; extra: number } {
  return { lost: Math.max(0, made - counted), extra: Math.max(0, counted - made) };
}

/**
 * Records lost or duplicated: every key the outbox accepted must be booked in the demo ERP exactly once.
 * The ERP answers a replay of an Idempotency-Key with the stored booking without booking again, so its
 * list holds real bookings only: a key listed twice is one duplicate, three times two. A booked key the
 * hub never reported accepted is `unknown` (should not happen).
 */
export function recordBalance(accepted: Iterable<string>, bookedKeys: readonly string[]): { accepted: number; lost: string[]; duplicated: number; unknown: string[] } {
  const counts = new Map<string, number>();
  for (const k of bookedKeys) counts.set(k, (counts.get(k) ?? 0) + 1);
  const acceptedSet = new Set(accepted);
  const lost = [...acceptedSet].filter((k) => !counts.has(k));
  let duplicated = 0;
  for (const n of counts.values()) duplicated += n - 1;
  const unknown = [...counts.keys()].filter((k) => !acceptedSet.has(k));
  return { accepted: acceptedSet.size, lost, duplicated, unknown };
}

/** Lines of the hub's log that report an uncaught exception or an unhandled rejection. */
export function uncaughtLines(log: string): string[] {
  return log.split('\n').filter((l) => /uncaught|unhandled/i.test(l));
}
