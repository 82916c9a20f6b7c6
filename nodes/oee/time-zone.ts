/**
 * IANA time-zone arithmetic on the built-in Intl API (Node 20 ships full ICU, so every zone of the
 * tz database is known without a dependency). Pure apart from a formatter cache.
 *
 * "Wall" values are a local date and time written as if it were UTC milliseconds
 * (Date.UTC(y, m, d, hh, mm)), which makes local-calendar arithmetic plain integer arithmetic.
 * Mapping a wall time back to an instant has two special cases, resolved like this:
 * - a wall time that occurs twice (autumn, clocks go back): the FIRST occurrence;
 * - a wall time that does not exist (spring, clocks jump forward): the instant of the jump, i.e. the
 *   first existing local time after it. This keeps the mapping monotonic, so intervals that do not
 *   overlap on the wall clock never overlap in real time either.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** The canonical name of a zone Intl knows ("europe/berlin" -> "Europe/Berlin"), else undefined. */
export function canonicalZone(zone: string): string | undefined {
  if (zone.trim() === '') return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** Date.UTC without its 0..99 -> 1900s year quirk. */
function utcOf(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

/** Offset of the zone from UTC at instant t, in ms (Berlin in summer: +7,200,000). */
export function offsetAt(zone: string, t: number): number {
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const p of formatter(zone).formatToParts(t)) {
    switch (p.type) {
      case 'year': year = Number(p.value); break;
      case 'month': month = Number(p.value); break;
      case 'day': day = Number(p.value); break;
      case 'hour': hour = Number(p.value); break;
      case 'minute': minute = Number(p.value); break;
      case 'second': second = Number(p.value); break;
      default: break;
    }
  }
  // Intl drops milliseconds; compare with t truncated to the second.
  return utcOf(year, month, day, hour, minute, second) - (t - mod(t, 1000));
}

export function mod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}

/** The wall clock (as UTC ms) of instant t in the zone. */
export function toWall(zone: string, t: number): number {
  return t + offsetAt(zone, t);
}

/** Local day number (days since 1970-01-01 on the zone's calendar) of instant t. */
export function localDay(zone: string, t: number): number {
  return Math.floor(toWall(zone, t) / DAY_MS);
}

/** The instant of a wall time in the zone, resolving the DST gap and overlap as the module says. */
export function fromWall(zone: string, wall: number): number {
  // Offsets a day either side cover every real zone (-12 h .. +14 h) and at most one transition.
  const before = offsetAt(zone, wall - DAY_MS);
  const after = offsetAt(zone, wall + DAY_MS);
  const c1 = wall - before;
  const c2 = wall - after;
  const v1 = offsetAt(zone, c1) === before;
  const v2 = before !== after && offsetAt(zone, c2) === after;
  if (v1 && v2) return Math.min(c1, c2);
  if (v1) return c1;
  if (v2) return c2;
  if (before === after) return c1; // two transitions within two days: no real zone does this
  // In the gap: the offset switches from `before` to `after` somewhere in (c2, c1]; zones change
  // offset on whole seconds and both ends are whole seconds, so bisect in seconds.
  let lo = Math.min(c1, c2);
  let hi = Math.max(c1, c2);
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (offsetAt(zone, mid) === after) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** "YYYY-MM-DD" of a local day number. */
export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Local day number of "YYYY-MM-DD", or undefined when it is not a real date. */
export function parseDay(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m === null) return undefined;
  const t = utcOf(Number(m[1]), Number(m[2]), Number(m[3]), 0, 0, 0);
  return formatDay(t / DAY_MS) === text ? t / DAY_MS : undefined;
}

/** 0 = Monday .. 6 = Sunday (ISO order) of a local day number; 1970-01-01 was a Thursday. */
export function weekdayOf(day: number): number {
  return mod(day + 3, 7);
}
