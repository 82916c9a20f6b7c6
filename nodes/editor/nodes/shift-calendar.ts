/// <reference lib="dom" />
/**
 * The shift calendar's dialog: shifts with their breaks, holidays, planned stops. The validators here are
 * synchronous basics only, so the editor marks a broken calendar before deploy; every rule (overlaps,
 * breaks inside their shift, ...) is checked by the runtime's calendar.ts through POST
 * factoryhub/oee/calendar/validate while the dialog is open, and again at deploy.
 */
import { adminFetch } from '../../tags/editor/red';
import { readBackOnDone, text } from './definition';
import type { EditorNode, NodeDefinition, NodeEditor } from './definition';
import { NAME_ROW } from './form-rows';
import { $, textOf } from './jquery';
import type { Jq } from './jquery';
import { checkSoon, showIssues } from './issues';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const CLOCK = /^([01]\d|2[0-3]):[0-5]\d$/;
const CLOCK_END = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const LOCAL = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

type Row = Record<string, unknown>;
const clock = (re: RegExp, v: unknown): boolean => typeof v === 'string' && re.test(v);

export function zoneOk(z: unknown): boolean {
  if (typeof z !== 'string' || z.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: z.trim() });
    return true;
  } catch {
    return false;
  }
}
const breakOk = (b: Row | null): boolean => !!b && clock(CLOCK, b.start) && clock(CLOCK_END, b.end);
export function shiftOk(s: Row | null): boolean {
  return (
    !!s &&
    typeof s.name === 'string' &&
    s.name.trim() !== '' &&
    !s.name.includes('/') &&
    Array.isArray(s.days) &&
    s.days.length > 0 &&
    s.days.every((d) => DAYS.includes(d as string)) &&
    clock(CLOCK, s.start) &&
    clock(CLOCK_END, s.end) &&
    (s.breaks === undefined || (Array.isArray(s.breaks) && (s.breaks as (Row | null)[]).every(breakOk)))
  );
}
const instantOk = (v: unknown): boolean => (typeof v === 'number' && Number.isInteger(v)) || (typeof v === 'string' && (LOCAL.test(v) || ISO.test(v)));
const stopOk = (p: Row | null): boolean => !!p && typeof p.reason === 'string' && p.reason.trim() !== '' && instantOk(p.start) && instantOk(p.end);
const everyRow = (ok: (row: Row | null) => boolean) => (v: unknown): boolean => Array.isArray(v) && (v as (Row | null)[]).every(ok);

interface Calendar {
  timeZone: string;
  shifts: object[];
  holidays: string[];
  plannedStops: object[];
}

function items(list: Jq, each: (row: Jq) => void): void {
  list.editableList('items').each(function () {
    each($(this));
  });
}

function collect(): Calendar {
  const shifts: object[] = [];
  items($('#fh-shift-calendar-shifts'), (row) => {
    const days: string[] = [];
    row.find('.fh-cal-days input:checked').each(function () {
      days.push($(this).val() ?? '');
    });
    const breaks: object[] = [];
    items(row.find('.fh-cal-break-list'), (b) => {
      const name = textOf(b, '.fh-cal-break-name');
      breaks.push({ start: textOf(b, '.fh-cal-break-start'), end: textOf(b, '.fh-cal-break-end'), ...(name ? { name } : {}) });
    });
    shifts.push({ name: textOf(row, '.fh-cal-name'), days, start: textOf(row, '.fh-cal-start'), end: textOf(row, '.fh-cal-end'), breaks });
  });
  const holidays: string[] = [];
  items($('#fh-shift-calendar-holidays'), (row) => {
    const v = row.find('.fh-cal-holiday').val();
    if (v) holidays.push(v);
  });
  // An instant given as digits is epoch milliseconds.
  const instant = (v: string): string | number => (/^\d+$/.test(v) ? Number(v) : v);
  const plannedStops: object[] = [];
  items($('#fh-shift-calendar-stops'), (r) => {
    plannedStops.push({ start: instant(textOf(r, '.fh-cal-stop-start')), end: instant(textOf(r, '.fh-cal-stop-end')), reason: textOf(r, '.fh-cal-stop-reason') });
  });
  return { timeZone: ($('#node-config-input-timeZone').val() ?? '').trim(), shifts, holidays, plannedStops };
}

const lists = readBackOnDone<Calendar>();

function prepare(node: EditorNode): void {
  const i18n = (k: string): string => node._?.(`fh-shift-calendar.${k}`) ?? k;
  if (!node.timeZone) {
    try {
      node.timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch {
      node.timeZone = 'UTC';
    }
    $('#node-config-input-timeZone').val(text(node.timeZone));
  }
  const zones = (Intl as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone') ?? []; // an older browser: free text, still checked
  const datalist = $('#fh-shift-calendar-zones');
  for (const z of zones) $('<option>').attr('value', z).appendTo(datalist);

  const check = checkSoon(() => void validate());
  const list = (target: Jq, add: string, sortable: boolean, addItem: (row: Jq, data: unknown) => void, rows: unknown, sortItems?: () => void): void => {
    target.editableList<unknown>({
      addButton: i18n(add),
      height: 'auto',
      removable: true,
      sortable,
      addItem: (row, _index, data) => {
        addItem(row, data);
        check();
      },
      removeItem: check,
      ...(sortItems ? { sortItems } : {}),
    });
    for (const r of (rows ?? []) as unknown[]) target.editableList('addItem', r);
  };
  const input = (cls: string, width: number, placeholder: string, value: unknown, more = ''): Jq =>
    $(`<input type="text" class="${cls}" style="width: ${width}px${more}">`).attr('placeholder', placeholder).val(text(value));
  const dash = (): Jq => $('<span> – </span>');

  // Shifts: name, start, end, weekdays, and a small list of breaks per shift.
  list($('#fh-shift-calendar-shifts'), 'label.addShift', true, (row, data) => {
    const s = { name: '', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '06:00', end: '14:00', breaks: [] as unknown[], ...(data as Row) };
    const line = $('<div class="fh-cal-line">').appendTo(row);
    line.append(input('fh-cal-name', 120, i18n('label.shiftName'), s.name), input('fh-cal-start', 60, 'HH:MM', s.start, '; margin-left: 6px'), dash(), input('fh-cal-end', 60, 'HH:MM', s.end));
    const days = $('<span class="fh-cal-days" style="margin-left: 8px; white-space: nowrap">').appendTo(line);
    for (const d of DAYS) {
      const l = $('<label style="display: inline-block; width: auto; margin: 0 4px 0 0">').appendTo(days);
      $('<input type="checkbox" style="width: auto; margin: 0 2px 0 0; vertical-align: baseline">').attr('value', d).prop('checked', (s.days).includes(d)).appendTo(l);
      $('<span>').text(i18n(`day.${d}`)).appendTo(l);
    }
    const breaks = $('<div class="fh-cal-breaks" style="margin: 6px 0 0 20px">').appendTo(row);
    $('<div style="font-size: 0.9em; opacity: 0.8">').text(i18n('label.breaks')).appendTo(breaks);
    list($('<ol class="fh-cal-break-list">').appendTo(breaks), 'label.addBreak', false, (brow, b) => {
      const br = { name: '', start: '', end: '', ...(b as Row) };
      brow.append(input('fh-cal-break-start', 60, 'HH:MM', br.start), dash(), input('fh-cal-break-end', 60, 'HH:MM', br.end), input('fh-cal-break-name', 140, i18n('label.breakName'), br.name, '; margin-left: 6px'));
    }, s.breaks);
  }, node.shifts, check);

  list($('#fh-shift-calendar-holidays'), 'label.addHoliday', false, (row, data) => {
    $('<input type="date" class="fh-cal-holiday" style="width: 160px">').val(typeof data === 'string' ? data : '').appendTo(row);
  }, node.holidays);

  list($('#fh-shift-calendar-stops'), 'label.addStop', false, (row, data) => {
    const p = { start: '', end: '', reason: '', ...(data as Row) };
    row.append(input('fh-cal-stop-start', 150, '2025-03-30T10:00', p.start), dash(), input('fh-cal-stop-end', 150, '2025-03-30T12:00', p.end), input('fh-cal-stop-reason', 160, i18n('label.stopReason'), p.reason, '; margin-left: 6px'));
  }, node.plannedStops);

  lists.set(node, collect);
  const validate = async (): Promise<void> => {
    const ok = showIssues($('#fh-shift-calendar-issues'), await adminFetch('factoryhub/oee/calendar/validate', { method: 'POST', body: collect() }), i18n('label.checkFailed'));
    $('#fh-shift-calendar-ok').toggle(ok);
  };
  $('#fh-shift-calendar-form').on('input change', 'input, select', check);
  void validate();
}

const calendar: NodeEditor = {
  rows: { name: NAME_ROW },
  definition: (): NodeDefinition => ({
    category: 'config',
    defaults: {
      name: { value: '' },
      timeZone: { value: '', required: true, validate: zoneOk },
      shifts: { value: [], validate: everyRow(shiftOk) },
      holidays: { value: [], validate: (v) => Array.isArray(v) && v.every((d) => DATE.test(d as string)) },
      plannedStops: { value: [], validate: everyRow(stopOk) },
    },
    label(this: EditorNode): string {
      if (this.name) return this.name;
      const n = Array.isArray(this.shifts) ? this.shifts.length : 0;
      return `${text(this.timeZone) || 'shift calendar'} · ${n}${n === 1 ? ' shift' : ' shifts'}`;
    },
    oneditprepare(this: EditorNode): void {
      prepare(this);
    },
    ...lists.hooks,
  }),
};

export const CALENDAR = { 'fh-shift-calendar': calendar };
