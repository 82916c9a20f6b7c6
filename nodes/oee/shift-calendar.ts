/**
 * fh-shift-calendar: a config node holding one shift calendar (time zone, shifts per weekday with
 * breaks, holidays, manual planned stops) for the fh-oee nodes that use it. Thin adapter: the rules
 * are calendar.ts's; the edit dialog checks them through the admin endpoint of oee-admin.ts.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { CalendarConfig, ManualStopConfig, ShiftConfig } from './calendar';
import { validateCalendar } from './calendar';
import { registerOeeAdmin } from './oee-admin';

export interface ShiftCalendarDef extends NodeDef {
  timeZone: string;
  shifts: ShiftConfig[] | string;
  holidays: string[] | string;
  plannedStops: ManualStopConfig[] | string;
}

export interface ShiftCalendarNode extends Node {
  /** The calendar as configured (check `problem` first). */
  readonly calendar: CalendarConfig;
  /** Every issue of the calendar in one line, undefined when it is valid. */
  readonly problem: string | undefined;
}

/** A list property: an array, or (in a hand-edited flow) its JSON text. */
function list(v: unknown): unknown {
  if (v === undefined || v === null || v === '') return [];
  if (typeof v === 'string') {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  }
  return v;
}

/** The calendar of the node's properties, unchecked. */
export function calendarOf(def: Partial<ShiftCalendarDef>): CalendarConfig {
  return {
    timeZone: typeof def.timeZone === 'string' ? def.timeZone.trim() : (def.timeZone as unknown as string),
    shifts: list(def.shifts) as ShiftConfig[],
    holidays: list(def.holidays) as string[],
    plannedStops: list(def.plannedStops) as ManualStopConfig[],
  };
}

export default function register(RED: NodeAPI): void {
  registerOeeAdmin(RED);
  RED.nodes.registerType('fh-shift-calendar', function (this: ShiftCalendarNode, def: ShiftCalendarDef) {
    RED.nodes.createNode(this, def);
    const calendar = calendarOf(def);
    const issues = validateCalendar(calendar);
    const self = this as { calendar: CalendarConfig; problem: string | undefined };
    self.calendar = calendar;
    self.problem = issues.length > 0 ? `shift calendar "${def.name || def.id}": ${issues.join('; ')}` : undefined;
    if (self.problem !== undefined) this.error(self.problem);
  });
}
