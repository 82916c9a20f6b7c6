/**
 * Admin endpoints the edit dialogs use to check their input with the runtime's own rules (one
 * implementation: calendar.ts, config.ts, node-config.ts), before anything is deployed:
 *
 *   POST /factoryhub/oee/calendar/validate  body: a calendar {timeZone, shifts, holidays, plannedStops}
 *   POST /factoryhub/oee/node/validate      body: {props: fh-oee properties, calendar?: calendar}
 *        200 {issues: string[]} (empty: valid)
 *
 * Both only read what is posted (nothing of the flows, nothing stored), so they need `flows.read`:
 * every account that may open an edit dialog. Bounded (http-route.ts): a body of at most 256 kB,
 * 12 levels and 20,000 values; a calendar of at most 50 shifts, 20 breaks a shift, 1,000 holidays
 * and 1,000 planned stops (CALENDAR_LIMITS), at most 50 issues listed. 400/413 {error} otherwise.
 */
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import type { CalendarConfig } from './calendar';
import { MAX_ISSUES, validateCalendar } from './calendar';
import { readNodeProps } from './node-config';
import { addRoute } from '../shared/http-route';
import type { BodyLimits } from '../shared/http-route';

export const CALENDAR_VALIDATE_ROUTE = '/factoryhub/oee/calendar/validate';
export const NODE_VALIDATE_ROUTE = '/factoryhub/oee/node/validate';

const BODY: BodyLimits = { maxBytes: 256 * 1024, maxDepth: 12, maxValues: 20_000 };

/** A calendar that is valid, to check a node's own properties when its calendar is not given. */
const PLACEHOLDER: CalendarConfig = { timeZone: 'UTC', shifts: [] };

const registered = new WeakSet<object>();

/** The issues of a posted calendar. */
export function calendarIssues(body: unknown): string[] {
  return validateCalendar(body);
}

/** The issues of posted node properties; the calendar's own issues are the calendar node's business. */
export function nodeIssues(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return ['the body must be an object {props, calendar}'];
  const { props, calendar } = body as { props?: unknown; calendar?: unknown };
  if (typeof props !== 'object' || props === null) return ['props must be the object of the node properties'];
  const cal = calendar !== undefined && validateCalendar(calendar).length === 0 ? (calendar as CalendarConfig) : PLACEHOLDER;
  const result = readNodeProps(props, cal);
  if (result.ok) return [];
  const issues = [...result.issues];
  return issues.length <= MAX_ISSUES ? issues : [...issues.slice(0, MAX_ISSUES), `... and ${issues.length - MAX_ISSUES} more issues`];
}

/** Registers the endpoints once per admin app (both node files call it). */
export function registerOeeAdmin(RED: NodeAPI): void {
  const app = RED.httpAdmin;
  if (registered.has(app)) return;
  registered.add(app);
    addRoute(RED, { method: 'post', path: CALENDAR_VALIDATE_ROUTE, permission: 'flows.read', body: BODY }, (req: Request, res: Response) => {
    res.json({ issues: calendarIssues(req.body) });
  });
  addRoute(RED, { method: 'post', path: NODE_VALIDATE_ROUTE, permission: 'flows.read', body: BODY }, (req: Request, res: Response) => {
    res.json({ issues: nodeIssues(req.body) });
  });
}
