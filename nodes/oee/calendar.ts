/**
 * Shift calendar: which shifts run when, and which of their time is planned not to produce.
 * Pure (Intl for time zones, a small memo of expanded days); no Node-RED.
 *
 * Rules, as the node help states them:
 * - A shift runs on the weekdays it lists, from `start` to `end` wall-clock time in the calendar's
 *   IANA time zone; `end` at or before `start` means the next day ("22:00"-"06:00"), equal means
 *   24 h, and "24:00" is allowed as an end. Its length is real elapsed time, so a 22:00-06:00 shift
 *   lasts 7 h on the spring-forward night and 9 h on the fall-back night in Europe/Berlin.
 * - A shift's date is the local date it starts on; it gives the shift id "YYYY-MM-DD/name". A shift
 *   whose date is a holiday does not run (the night shift starting the evening before still does).
 * - Breaks are wall-clock times inside their shift (a 02:00 break of a 22:00 shift is on the next
 *   morning). Breaks and manual planned stops are planned stops: they are not production time.
 * - Wall times that do not exist or occur twice resolve as time-zone.ts says (jump / first occurrence).
 */
import { DAY_MS, MINUTE_MS, canonicalZone, formatDay, fromWall, localDay, parseDay, weekdayOf } from './time-zone';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface BreakConfig {
  readonly name?: string;
  /** "HH:MM" wall-clock time. */
  readonly start: string;
  readonly end: string;
}

export interface ShiftConfig {
  readonly name: string;
  /** Weekdays the shift STARTS on. */
  readonly days: readonly Weekday[];
  /** "HH:MM"; an end at or before the start is on the next day. */
  readonly start: string;
  readonly end: string;
  readonly breaks?: readonly BreakConfig[];
}

export interface ManualStopConfig {
  /** Epoch ms, an ISO time with offset ("2025-03-30T10:00:00Z"), or local "YYYY-MM-DDTHH:MM[:SS]". */
  readonly start: number | string;
  readonly end: number | string;
  readonly reason: string;
}

export interface CalendarConfig {
  /** IANA zone, e.g. "Europe/Berlin". */
  readonly timeZone: string;
  readonly shifts: readonly ShiftConfig[];
  /** Local dates "YYYY-MM-DD" on which no shift starts. */
  readonly holidays?: readonly string[];
  /** Planned stops outside the weekly pattern: planned maintenance, a meeting, no orders. */
  readonly plannedStops?: readonly ManualStopConfig[];
}

/** One occurrence of a shift: [start, end) in epoch ms. */
export interface Shift {
  readonly id: string;
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

export interface PlannedStop {
  readonly start: number;
  readonly end: number;
  readonly reason: string;
  readonly kind: 'break' | 'manual';
}

export interface Interval {
  readonly start: number;
  readonly end: number;
}

interface ShiftDef {
  readonly name: string;
  /** Minutes after local midnight. */
  readonly start: number;
  /** Wall-clock minutes from start to end, 1..1440. */
  readonly length: number;
  readonly breaks: readonly { readonly name: string; readonly offset: number; readonly length: number }[];
}

interface Instance extends Shift {
  readonly breaks: readonly PlannedStop[];
}

/** A validated, compiled calendar. Treat as opaque; `config` is what was given. */
export interface Calendar {
  readonly config: CalendarConfig;
  readonly timeZone: string;
  readonly byWeekday: readonly (readonly ShiftDef[])[];
  readonly holidays: ReadonlySet<number>;
  readonly manual: readonly PlannedStop[];
  /** Memo of expanded local days (pure function of the config, so safe to share). */
  readonly days: Map<number, readonly Instance[]>;
}

export class CalendarError extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`invalid shift calendar: ${issues.join('; ')}`);
    this.name = 'CalendarError';
  }
}

const MEMO_DAYS = 64;
/** How far nextShift looks ahead; a calendar with no shift for a year has no next shift. */
const LOOKAHEAD_DAYS = 400;

/** "HH:MM" -> minutes after midnight; "24:00" only where `allow24`. */
export function parseClock(text: unknown, allow24 = false): number | undefined {
  if (typeof text !== 'string') return undefined;
  if (allow24 && text === '24:00') return 1440;
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return m === null ? undefined : Number(m[1]) * 60 + Number(m[2]);
}

/** Wall-clock minutes from start to end: end at or before start wraps to the next day. */
function spanMinutes(start: number, end: number): number {
  return end > start ? end - start : end + 1440 - start;
}

/** Instant of a manual stop bound, or undefined when unreadable. */
export function parseInstant(zone: string, value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const local = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (local !== null) {
    const day = parseDay(local[1]);
    const hh = Number(local[2]);
    const mm = Number(local[3]);
    const ss = Number(local[4] ?? '0');
    if (day === undefined || hh > 23 || mm > 59 || ss > 59) return undefined;
    return fromWall(zone, day * DAY_MS + (hh * 60 + mm) * MINUTE_MS + ss * 1000);
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sizes a calendar may have: far above any plant's, low enough that checking one is quick and small. */
export const CALENDAR_LIMITS = { shifts: 50, breaksPerShift: 20, holidays: 1000, plannedStops: 1000, textLength: 200 } as const;
/** Issues listed at most; the rest are counted in a last issue. */
export const MAX_ISSUES = 50;

/** A value as issues quote it: primitives as JSON, cut to 40 characters; objects and arrays by their kind. */
function show(v: unknown): string {
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v !== null && typeof v === 'object') return 'an object';
  const text = typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : String(v);
  return text;
}

/** The list's own issue when it is longer than `max`, so its items are not checked one by one. */
function tooLong(what: string, list: readonly unknown[], max: number): string | undefined {
  return list.length > max ? `${what}: ${list.length} given, at most ${max} are allowed` : undefined;
}

/** At most MAX_ISSUES issues, and how many more there were. */
function capped(issues: string[]): string[] {
  if (issues.length <= MAX_ISSUES) return issues;
  return [...issues.slice(0, MAX_ISSUES), `... and ${issues.length - MAX_ISSUES} more issues`];
}

function pushAll(into: string[], more: readonly string[]): void {
  for (const issue of more) into.push(issue);
}

/** Every problem of a calendar, each naming where it is; empty when valid. */
export function validateCalendar(input: unknown): string[] {
  if (!isRecord(input)) return ['calendar must be an object'];
  return capped(calendarIssues(input));
}

function calendarIssues(input: Record<string, unknown>): string[] {
  const issues: string[] = [];
  let zone: string | undefined;
  if (typeof input.timeZone !== 'string') issues.push('timeZone must be a string such as "Europe/Berlin"');
  else {
    zone = canonicalZone(input.timeZone);
    if (zone === undefined) issues.push(`timeZone ${show(input.timeZone)} is not an IANA time zone known to this Node.js`);
  }
  if (!Array.isArray(input.shifts)) issues.push('shifts must be an array');
  else {
    const long = tooLong('shifts', input.shifts, CALENDAR_LIMITS.shifts);
    if (long !== undefined) issues.push(long);
    else pushAll(issues, validateShifts(input.shifts as unknown[]));
  }
  if (input.holidays !== undefined) {
    const long = Array.isArray(input.holidays) ? tooLong('holidays', input.holidays, CALENDAR_LIMITS.holidays) : undefined;
    if (!Array.isArray(input.holidays)) issues.push('holidays must be an array of "YYYY-MM-DD" dates');
    else if (long !== undefined) issues.push(long);
    else {
      (input.holidays as unknown[]).forEach((h, i) => {
        if (typeof h !== 'string' || parseDay(h) === undefined) issues.push(`holidays[${i}] ${show(h)} is not a date "YYYY-MM-DD"`);
      });
    }
  }
  if (input.plannedStops !== undefined) {
    const long = Array.isArray(input.plannedStops) ? tooLong('plannedStops', input.plannedStops, CALENDAR_LIMITS.plannedStops) : undefined;
    if (!Array.isArray(input.plannedStops)) issues.push('plannedStops must be an array');
    else if (long !== undefined) issues.push(long);
    else {
      (input.plannedStops as unknown[]).forEach((p, i) => {
        const at = `plannedStops[${i}]`;
        if (!isRecord(p)) {
          issues.push(`${at} must be an object {start, end, reason}`);
          return;
        }
        if (typeof p.reason !== 'string' || p.reason.trim() === '') issues.push(`${at}: reason must be a non-empty string`);
        else if (p.reason.length > CALENDAR_LIMITS.textLength) issues.push(`${at}: reason is longer than ${CALENDAR_LIMITS.textLength} characters`);
        if (zone === undefined) return;
        const s = parseInstant(zone, p.start);
        const e = parseInstant(zone, p.end);
        if (s === undefined) issues.push(`${at}: start ${show(p.start)} is not epoch ms or an ISO date-time`);
        if (e === undefined) issues.push(`${at}: end ${show(p.end)} is not epoch ms or an ISO date-time`);
        if (s !== undefined && e !== undefined && e <= s) issues.push(`${at}: end ${show(p.end)} is not after start ${show(p.start)}`);
      });
    }
  }
  return issues;
}

interface Occupied {
  readonly shift: number;
  readonly day: number;
  readonly from: number;
  readonly to: number;
}

function validateShifts(shifts: readonly unknown[]): string[] {
  const issues: string[] = [];
  const occupied: Occupied[] = [];
  const namesByDay = new Map<string, number>();
  const label = (i: number): string => {
    const s = shifts[i];
    return isRecord(s) && typeof s.name === 'string' ? `shifts[${i}] ${show(s.name)}` : `shifts[${i}]`;
  };
  shifts.forEach((raw, i) => {
    const at = label(i);
    if (!isRecord(raw)) {
      issues.push(`${at} must be an object {name, days, start, end, breaks}`);
      return;
    }
    if (typeof raw.name !== 'string' || raw.name.trim() === '' || raw.name.includes('/')) {
      issues.push(`${at}: name must be a non-empty string without "/"`);
    } else if (raw.name.length > CALENDAR_LIMITS.textLength) issues.push(`${at}: name is longer than ${CALENDAR_LIMITS.textLength} characters`);
    const start = parseClock(raw.start);
    const end = parseClock(raw.end, true);
    if (start === undefined) issues.push(`${at}: start ${show(raw.start)} is not a time "HH:MM" (00:00-23:59)`);
    if (end === undefined) issues.push(`${at}: end ${show(raw.end)} is not a time "HH:MM" (00:00-24:00)`);
    const days: number[] = [];
    if (!Array.isArray(raw.days) || raw.days.length === 0) issues.push(`${at}: days must list weekdays, e.g. ["mon", "tue"]`);
    else if (raw.days.length > WEEKDAYS.length) issues.push(`${at}: days lists ${raw.days.length} days; a week has ${WEEKDAYS.length}`);
    else {
      for (const d of raw.days as unknown[]) {
        const k = WEEKDAYS.indexOf(d as Weekday);
        if (k < 0) issues.push(`${at}: day ${show(d)} is not one of ${WEEKDAYS.join(', ')}`);
        else if (days.includes(k)) issues.push(`${at}: day "${WEEKDAYS[k]}" is listed twice`);
        else days.push(k);
      }
    }
    if (start === undefined || end === undefined) return;
    const length = spanMinutes(start, end);
    for (const d of days) {
      occupied.push({ shift: i, day: d, from: d * 1440 + start, to: d * 1440 + start + length });
      if (typeof raw.name === 'string') {
        const key = `${WEEKDAYS[d]}\u0000${raw.name}`;
        const other = namesByDay.get(key);
        if (other !== undefined && other !== i) issues.push(`${at}: name is also used by ${label(other)} on ${WEEKDAYS[d]}; shift ids would clash`);
        namesByDay.set(key, i);
      }
    }
    if (raw.breaks !== undefined) pushAll(issues, validateBreaks(at, raw.breaks, raw.start as string, raw.end as string, start, length));
  });
  // Overlaps in minutes of the week; a shift running past Sunday midnight wraps onto Monday.
  const week = 7 * 1440;
  const text = (o: Occupied): string => {
    const s = shifts[o.shift] as Record<string, unknown>;
    return `${label(o.shift)} (${WEEKDAYS[o.day]} ${String(s.start)}-${String(s.end)})`;
  };
  const reported = new Set<string>();
  // At most 50 shifts x 7 days: the pairs are few; the issues stop growing past what is listed.
  for (let a = 0; a < occupied.length && issues.length <= MAX_ISSUES; a++) {
    for (let b = a + 1; b < occupied.length && issues.length <= MAX_ISSUES; b++) {
      const x = occupied[a];
      const y = occupied[b];
      const hit = [0, week, -week].some((shift) => x.from < y.to + shift && y.from + shift < x.to);
      const key = `${x.shift}/${x.day}/${y.shift}/${y.day}`;
      if (hit && !reported.has(key)) {
        reported.add(key);
        issues.push(`${text(x)} overlaps ${text(y)}`);
      }
    }
  }
  return issues;
}

function validateBreaks(at: string, breaks: unknown, startText: string, endText: string, start: number, length: number): string[] {
  if (!Array.isArray(breaks)) return [`${at}: breaks must be an array`];
  const long = tooLong(`${at} breaks`, breaks, CALENDAR_LIMITS.breaksPerShift);
  if (long !== undefined) return [long];
  const issues: string[] = [];
  const placed: { name: string; from: number; to: number }[] = [];
  (breaks as unknown[]).forEach((b, j) => {
    const bt = `${at} break[${j}]`;
    if (!isRecord(b)) {
      issues.push(`${bt} must be an object {name, start, end}`);
      return;
    }
    if (b.name !== undefined && typeof b.name !== 'string') issues.push(`${bt}: name must be a string`);
    else if (typeof b.name === 'string' && b.name.length > CALENDAR_LIMITS.textLength) issues.push(`${bt}: name is longer than ${CALENDAR_LIMITS.textLength} characters`);
    const bs = parseClock(b.start);
    const be = parseClock(b.end, true);
    if (bs === undefined) issues.push(`${bt}: start ${show(b.start)} is not a time "HH:MM"`);
    if (be === undefined) issues.push(`${bt}: end ${show(b.end)} is not a time "HH:MM"`);
    if (bs === undefined || be === undefined) return;
    const name = typeof b.name === 'string' ? `"${b.name}" ` : '';
    if (bs === be % 1440) {
      issues.push(`${bt} ${name}${String(b.start)}-${String(b.end)} is empty`);
      return;
    }
    const from = (bs - start + 1440) % 1440;
    const to = from + spanMinutes(bs, be);
    if (to > length) {
      issues.push(`${bt} ${name}${String(b.start)}-${String(b.end)} is outside its shift ${startText}-${endText}`);
      return;
    }
    for (const p of placed) {
      if (from < p.to && p.from < to) issues.push(`${bt} ${name}${String(b.start)}-${String(b.end)} overlaps break ${p.name}`);
    }
    placed.push({ name: `${name}${String(b.start)}-${String(b.end)}`.trim(), from, to });
  });
  return issues;
}

/** Validates and compiles; throws CalendarError listing every issue. */
export function compileCalendar(config: CalendarConfig): Calendar {
  const issues = validateCalendar(config);
  if (issues.length > 0) throw new CalendarError(issues);
  const zone = canonicalZone(config.timeZone)!;
  const byWeekday: ShiftDef[][] = WEEKDAYS.map(() => []);
  for (const s of config.shifts) {
    const start = parseClock(s.start)!;
    const length = spanMinutes(start, parseClock(s.end, true)!);
    const breaks = (s.breaks ?? []).map((b) => {
      const bs = parseClock(b.start)!;
      return { name: b.name ?? 'break', offset: (bs - start + 1440) % 1440, length: spanMinutes(bs, parseClock(b.end, true)!) };
    });
    breaks.sort((a, b) => a.offset - b.offset);
    const def: ShiftDef = { name: s.name, start, length, breaks };
    for (const d of s.days) byWeekday[WEEKDAYS.indexOf(d)].push(def);
  }
  for (const defs of byWeekday) defs.sort((a, b) => a.start - b.start);
  const manual = (config.plannedStops ?? [])
    .map((p): PlannedStop => ({ start: parseInstant(zone, p.start)!, end: parseInstant(zone, p.end)!, reason: p.reason, kind: 'manual' }))
    .sort(byStart);
  return {
    config,
    timeZone: zone,
    byWeekday,
    holidays: new Set((config.holidays ?? []).map((h) => parseDay(h)!)),
    manual,
    days: new Map(),
  };
}

function byStart(a: PlannedStop, b: PlannedStop): number {
  return a.start - b.start || a.end - b.end || (a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0) || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0);
}

/** Shifts starting on a local day, sorted by start (non-overlapping by validation). */
function instancesOn(cal: Calendar, day: number): readonly Instance[] {
  const memo = cal.days.get(day);
  if (memo !== undefined) return memo;
  const list: Instance[] = [];
  if (!cal.holidays.has(day)) {
    const date = formatDay(day);
    for (const def of cal.byWeekday[weekdayOf(day)]) {
      const wall = day * DAY_MS + def.start * MINUTE_MS;
      const start = fromWall(cal.timeZone, wall);
      const end = fromWall(cal.timeZone, wall + def.length * MINUTE_MS);
      if (end <= start) continue; // a short shift wholly inside a DST gap does not happen
      const breaks: PlannedStop[] = [];
      for (const b of def.breaks) {
        const bs = Math.max(start, fromWall(cal.timeZone, wall + b.offset * MINUTE_MS));
        const be = Math.min(end, fromWall(cal.timeZone, wall + (b.offset + b.length) * MINUTE_MS));
        if (be > bs) breaks.push({ start: bs, end: be, reason: b.name, kind: 'break' });
      }
      list.push({ id: `${date}/${def.name}`, name: def.name, start, end, breaks });
    }
  }
  if (cal.days.size >= MEMO_DAYS) cal.days.clear();
  cal.days.set(day, list);
  return list;
}

const plain = (s: Shift): Shift => ({ id: s.id, name: s.name, start: s.start, end: s.end });

/** The shift running at instant t, if any. */
export function shiftAt(cal: Calendar, t: number): Shift | undefined {
  const day = localDay(cal.timeZone, t);
  // A shift is at most ~25 h of real time, so it started today or yesterday.
  for (let d = day; d >= day - 2; d--) {
    for (const s of instancesOn(cal, d)) if (s.start <= t && t < s.end) return plain(s);
  }
  return undefined;
}

/** Shifts overlapping [from, to), sorted by start. */
export function shiftsBetween(cal: Calendar, from: number, to: number): Shift[] {
  const out: Shift[] = [];
  if (to <= from) return out;
  const last = localDay(cal.timeZone, to - 1);
  for (let d = localDay(cal.timeZone, from) - 2; d <= last; d++) {
    for (const s of instancesOn(cal, d)) if (s.end > from && s.start < to) out.push(plain(s));
  }
  return out;
}

/** The first shift starting after t (not the one running at t), within about a year. */
export function nextShift(cal: Calendar, t: number): Shift | undefined {
  const day = localDay(cal.timeZone, t);
  for (let d = day - 1; d <= day + LOOKAHEAD_DAYS; d++) {
    for (const s of instancesOn(cal, d)) if (s.start > t) return plain(s);
  }
  return undefined;
}

/** Breaks and manual planned stops inside a shift, clipped to it, sorted by start (may overlap). */
export function plannedStopsIn(cal: Calendar, shift: Shift): PlannedStop[] {
  const out: PlannedStop[] = [];
  const day = localDay(cal.timeZone, shift.start);
  for (let d = day - 1; d <= day; d++) {
    for (const s of instancesOn(cal, d)) if (s.id === shift.id && s.start === shift.start) out.push(...s.breaks);
  }
  for (const m of cal.manual) {
    const start = Math.max(m.start, shift.start);
    const end = Math.min(m.end, shift.end);
    if (end > start) out.push({ start, end, reason: m.reason, kind: 'manual' });
  }
  return out.sort(byStart);
}

/** Union of intervals as sorted, disjoint, non-adjacent intervals. */
export function mergeIntervals(list: readonly Interval[]): Interval[] {
  const sorted = [...list].filter((i) => i.end > i.start).sort((a, b) => a.start - b.start || a.end - b.end);
  const out: { start: number; end: number }[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ start: i.start, end: i.end });
  }
  return out;
}

/** Total length of the union of intervals. */
export function unionLength(list: readonly Interval[]): number {
  return mergeIntervals(list).reduce((sum, i) => sum + (i.end - i.start), 0);
}
