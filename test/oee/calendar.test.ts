import assert from 'node:assert/strict';
import type { CalendarConfig } from '../../nodes/oee/calendar';
import { CalendarError, compileCalendar, mergeIntervals, nextShift, plannedStopsIn, shiftAt, shiftsBetween, unionLength, validateCalendar } from '../../nodes/oee/calendar';
import { DAY_MS, HOUR_MS, canonicalZone, formatDay, fromWall, offsetAt, parseDay, weekdayOf } from '../../nodes/oee/time-zone';

const BERLIN: CalendarConfig = {
  timeZone: 'Europe/Berlin',
  shifts: [
    { name: 'Early', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '06:00', end: '14:00', breaks: [{ name: 'Breakfast', start: '09:00', end: '09:15' }] },
    { name: 'Late', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '14:00', end: '22:00' },
    // Night shifts start on the evening before; Saturday's night runs into Sunday.
    { name: 'Night', days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '22:00', end: '06:00', breaks: [{ name: 'Meal', start: '02:00', end: '02:30' }] },
  ],
};

const wall = (y: number, mo: number, d: number, h: number, mi = 0): number => Date.UTC(y, mo - 1, d, h, mi);

describe('oee time zones', () => {
  it('knows IANA zones through Intl and canonicalises their names', () => {
    assert.equal(canonicalZone('Europe/Berlin'), 'Europe/Berlin');
    assert.equal(canonicalZone('europe/berlin'), 'Europe/Berlin');
    assert.equal(canonicalZone('Europe/Berln'), undefined);
    assert.equal(canonicalZone(''), undefined);
  });

  it('offsets: Berlin +1 h in winter, +2 h in summer; Kathmandu +5:45', () => {
    assert.equal(offsetAt('Europe/Berlin', Date.UTC(2024, 0, 15)), HOUR_MS);
    assert.equal(offsetAt('Europe/Berlin', Date.UTC(2024, 6, 15)), 2 * HOUR_MS);
    assert.equal(offsetAt('Asia/Kathmandu', Date.UTC(2024, 6, 15)), 5.75 * HOUR_MS);
  });

  it('a wall time in the spring gap resolves to the jump (03:00 CEST = 01:00 UTC)', () => {
    // 2024-03-31 02:30 does not exist in Berlin.
    assert.equal(fromWall('Europe/Berlin', wall(2024, 3, 31, 2, 30)), Date.UTC(2024, 2, 31, 1, 0));
    assert.equal(fromWall('Europe/Berlin', wall(2024, 3, 31, 3, 0)), Date.UTC(2024, 2, 31, 1, 0));
    assert.equal(fromWall('Europe/Berlin', wall(2024, 3, 31, 1, 59)), Date.UTC(2024, 2, 31, 0, 59));
  });

  it('a wall time occurring twice in autumn resolves to the first occurrence', () => {
    // 2024-10-27 02:30 happens at 00:30 UTC (CEST) and at 01:30 UTC (CET).
    assert.equal(fromWall('Europe/Berlin', wall(2024, 10, 27, 2, 30)), Date.UTC(2024, 9, 27, 0, 30));
    assert.equal(fromWall('Europe/Berlin', wall(2024, 10, 27, 3, 0)), Date.UTC(2024, 9, 27, 2, 0));
  });

  it('local days and weekdays', () => {
    assert.equal(parseDay('2024-04-01'), Date.UTC(2024, 3, 1) / DAY_MS);
    assert.equal(parseDay('2024-02-30'), undefined);
    assert.equal(parseDay('2024-4-1'), undefined);
    assert.equal(formatDay(Date.UTC(2024, 3, 1) / DAY_MS), '2024-04-01');
    assert.equal(weekdayOf(Date.UTC(2024, 3, 1) / DAY_MS), 0); // a Monday
    assert.equal(weekdayOf(Date.UTC(2024, 2, 31) / DAY_MS), 6); // a Sunday
  });
});

describe('oee shift calendar', () => {
  const cal = compileCalendar(BERLIN);

  it('a night shift 22:00-06:00 lasts 7 h on the spring-forward night in Europe/Berlin', () => {
    const night = shiftAt(cal, Date.UTC(2024, 2, 30, 23, 0))!; // Sat 30 Mar, 00:00 CET
    assert.equal(night.id, '2024-03-30/Night');
    assert.equal(night.start, Date.UTC(2024, 2, 30, 21, 0)); // 22:00 CET
    assert.equal(night.end, Date.UTC(2024, 2, 31, 4, 0)); // 06:00 CEST
    assert.equal(night.end - night.start, 7 * HOUR_MS);
  });

  it('a night shift 22:00-06:00 lasts 9 h on the fall-back night in Europe/Berlin', () => {
    const night = shiftAt(cal, Date.UTC(2024, 9, 27, 1, 0))!;
    assert.equal(night.id, '2024-10-26/Night');
    assert.equal(night.start, Date.UTC(2024, 9, 26, 20, 0)); // 22:00 CEST
    assert.equal(night.end, Date.UTC(2024, 9, 27, 5, 0)); // 06:00 CET
    assert.equal(night.end - night.start, 9 * HOUR_MS);
  });

  it('an ordinary night is 8 h, its 02:00 break lies on the next morning', () => {
    const night = shiftAt(cal, Date.UTC(2024, 3, 2, 0, 0))!; // Mon 1 Apr 22:00 CEST start
    assert.equal(night.id, '2024-04-01/Night');
    assert.equal(night.end - night.start, 8 * HOUR_MS);
    assert.deepEqual(plannedStopsIn(cal, night), [{ start: Date.UTC(2024, 3, 2, 0, 0), end: Date.UTC(2024, 3, 2, 0, 30), reason: 'Meal', kind: 'break' }]);
  });

  it('shiftsBetween lists the shifts of a day in order, with the night shift from the evening before', () => {
    const day = shiftsBetween(cal, Date.UTC(2024, 3, 1, 22, 0), Date.UTC(2024, 3, 2, 22, 0)); // Tue 2 Apr, local day
    assert.deepEqual(day.map((s) => s.id), ['2024-04-01/Night', '2024-04-02/Early', '2024-04-02/Late', '2024-04-02/Night']);
    // The shifts tile the day with no gap and no overlap.
    for (let i = 1; i < day.length; i++) assert.equal(day[i].start, day[i - 1].end);
  });

  it('holidays: no shift starts on the date; the night before still runs', () => {
    const h = compileCalendar({ ...BERLIN, holidays: ['2024-05-01'] });
    const ids = shiftsBetween(h, Date.UTC(2024, 3, 30, 12, 0), Date.UTC(2024, 4, 2, 12, 0)).map((s) => s.id);
    assert.deepEqual(ids, ['2024-04-30/Late', '2024-04-30/Night', '2024-05-02/Early']);
    assert.equal(shiftAt(h, Date.UTC(2024, 4, 1, 10, 0)), undefined);
    assert.equal(nextShift(h, Date.UTC(2024, 4, 1, 10, 0))!.id, '2024-05-02/Early');
  });

  it('manual planned stops: local or absolute times, clipped to each shift they touch', () => {
    const m = compileCalendar({
      ...BERLIN,
      plannedStops: [
        { start: '2024-04-02T13:00', end: '2024-04-02T15:00', reason: 'Maintenance' },
        { start: Date.UTC(2024, 3, 2, 7, 0), end: '2024-04-02T07:15:00Z', reason: 'Meeting' },
      ],
    });
    const early = shiftAt(m, Date.UTC(2024, 3, 2, 8, 0))!;
    assert.deepEqual(plannedStopsIn(m, early), [
      { start: Date.UTC(2024, 3, 2, 7, 0), end: Date.UTC(2024, 3, 2, 7, 15), reason: 'Breakfast', kind: 'break' },
      { start: Date.UTC(2024, 3, 2, 7, 0), end: Date.UTC(2024, 3, 2, 7, 15), reason: 'Meeting', kind: 'manual' },
      { start: Date.UTC(2024, 3, 2, 11, 0), end: Date.UTC(2024, 3, 2, 12, 0), reason: 'Maintenance', kind: 'manual' },
    ]);
    const late = shiftAt(m, Date.UTC(2024, 3, 2, 13, 0))!;
    assert.deepEqual(plannedStopsIn(m, late), [{ start: Date.UTC(2024, 3, 2, 12, 0), end: Date.UTC(2024, 3, 2, 13, 0), reason: 'Maintenance', kind: 'manual' }]);
    // Overlapping planned stops count once.
    assert.equal(unionLength(plannedStopsIn(m, early)), 75 * 60_000);
  });

  it('between shifts there is none; nextShift finds the next one', () => {
    const weekdays = compileCalendar({ timeZone: 'UTC', shifts: [{ name: 'Day', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '16:00' }] });
    const fri = Date.UTC(2024, 3, 5, 17, 0);
    assert.equal(shiftAt(weekdays, fri), undefined);
    assert.equal(nextShift(weekdays, fri)!.id, '2024-04-08/Day');
    assert.equal(nextShift(compileCalendar({ timeZone: 'UTC', shifts: [] }), fri), undefined);
  });

  it('24 h shifts and "24:00" ends', () => {
    const c = compileCalendar({ timeZone: 'UTC', shifts: [{ name: 'All', days: ['mon'], start: '06:00', end: '06:00' }, { name: 'Eve', days: ['tue'], start: '16:00', end: '24:00' }] });
    const all = shiftAt(c, Date.UTC(2024, 3, 2, 5, 0))!;
    assert.equal(all.end - all.start, 24 * HOUR_MS);
    const eve = shiftAt(c, Date.UTC(2024, 3, 2, 23, 59))!;
    assert.equal(eve.end, Date.UTC(2024, 3, 3, 0, 0));
  });

  it('mergeIntervals joins overlapping and touching intervals', () => {
    assert.deepEqual(mergeIntervals([{ start: 5, end: 7 }, { start: 1, end: 3 }, { start: 3, end: 4 }, { start: 6, end: 9 }, { start: 10, end: 10 }]), [
      { start: 1, end: 4 },
      { start: 5, end: 9 },
    ]);
  });

  describe('validation names every problem precisely', () => {
    const base = (shifts: unknown[], extra: Record<string, unknown> = {}): unknown => ({ timeZone: 'Europe/Berlin', shifts, ...extra });

    it('accepts the Berlin calendar', () => {
      assert.deepEqual(validateCalendar(BERLIN), []);
    });

    it('overlapping shifts, also across midnight and across the end of the week', () => {
      assert.deepEqual(validateCalendar(base([
        { name: 'Early', days: ['mon'], start: '06:00', end: '14:00' },
        { name: 'Late', days: ['mon'], start: '13:00', end: '22:00' },
      ])), ['shifts[0] "Early" (mon 06:00-14:00) overlaps shifts[1] "Late" (mon 13:00-22:00)']);
      assert.deepEqual(validateCalendar(base([
        { name: 'Night', days: ['mon'], start: '22:00', end: '06:00' },
        { name: 'Early', days: ['tue'], start: '05:30', end: '14:00' },
      ])), ['shifts[0] "Night" (mon 22:00-06:00) overlaps shifts[1] "Early" (tue 05:30-14:00)']);
      assert.deepEqual(validateCalendar(base([
        { name: 'Night', days: ['sun'], start: '22:00', end: '06:00' },
        { name: 'Early', days: ['mon'], start: '05:00', end: '14:00' },
      ])), ['shifts[0] "Night" (sun 22:00-06:00) overlaps shifts[1] "Early" (mon 05:00-14:00)']);
    });

    it('a break outside its shift, an empty break, overlapping breaks', () => {
      assert.deepEqual(validateCalendar(base([
        { name: 'Night', days: ['mon'], start: '22:00', end: '06:00', breaks: [{ name: 'Meal', start: '05:30', end: '06:30' }, { start: '12:00', end: '12:00' }, { name: 'A', start: '23:00', end: '23:30' }, { name: 'B', start: '23:15', end: '23:45' }] },
      ])), [
        'shifts[0] "Night" break[0] "Meal" 05:30-06:30 is outside its shift 22:00-06:00',
        'shifts[0] "Night" break[1] 12:00-12:00 is empty',
        'shifts[0] "Night" break[3] "B" 23:15-23:45 overlaps break "A" 23:00-23:30',
      ]);
    });

    it('bad times, days, names and an unknown zone', () => {
      assert.deepEqual(validateCalendar({ timeZone: 'Europe/Berln', shifts: [{ name: 'X', days: ['mon', 'monday', 'mon'], start: '25:00', end: '6:00' }, { name: '', days: [], start: '06:00', end: '24:00' }] }), [
        'timeZone "Europe/Berln" is not an IANA time zone known to this Node.js',
        'shifts[0] "X": start "25:00" is not a time "HH:MM" (00:00-23:59)',
        'shifts[0] "X": end "6:00" is not a time "HH:MM" (00:00-24:00)',
        'shifts[0] "X": day "monday" is not one of mon, tue, wed, thu, fri, sat, sun',
        'shifts[0] "X": day "mon" is listed twice',
        'shifts[1] "": name must be a non-empty string without "/"',
        'shifts[1] "": days must list weekdays, e.g. ["mon", "tue"]',
      ]);
    });

    it('holidays and manual stops', () => {
      assert.deepEqual(validateCalendar(base([], { holidays: ['2024-13-01', 5], plannedStops: [{ start: '2024-04-01T10:00', end: '2024-04-01T09:00', reason: 'x' }, { start: 'soon', end: 1, reason: '' }] })), [
        'holidays[0] "2024-13-01" is not a date "YYYY-MM-DD"',
        'holidays[1] 5 is not a date "YYYY-MM-DD"',
        'plannedStops[0]: end "2024-04-01T09:00" is not after start "2024-04-01T10:00"',
        'plannedStops[1]: reason must be a non-empty string',
        'plannedStops[1]: start "soon" is not epoch ms or an ISO date-time',
      ]);
    });

    it('the same shift name twice on one day would give clashing ids', () => {
      assert.deepEqual(validateCalendar(base([
        { name: 'Day', days: ['mon'], start: '06:00', end: '10:00' },
        { name: 'Day', days: ['mon', 'tue'], start: '12:00', end: '16:00' },
      ])), ['shifts[1] "Day": name is also used by shifts[0] "Day" on mon; shift ids would clash']);
    });

    it('compileCalendar throws a CalendarError listing the issues', () => {
      assert.throws(() => compileCalendar({ timeZone: 'Nowhere/City', shifts: [] }), (e: unknown) => e instanceof CalendarError && e.issues.length === 1 && /Nowhere\/City/.test(e.message));
    });
  });
});
