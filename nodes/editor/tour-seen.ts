/**
 * Which version of the hub's guided tour an account has seen, kept in its Node-RED user settings
 * (`factoryhub.tour`, where the editor reads it: RED.settings.get('factoryhub.tour')). The editor saves
 * user settings itself only for accounts with settings.write; the plugin's route keeps this one key for
 * every account, so that a technician or an operator sees the tour once too.
 */
import { HttpError } from '../shared/http-route';

export const TOUR_ROUTE = '/factoryhub/tour';
/** A tour version: "1", "1.2" ... (what the tour module exports as `version`). */
const VERSION = /^[0-9][0-9A-Za-z.-]{0,31}$/;

export type UserSettings = Readonly<Record<string, unknown>>;

/** The version in a PUT body `{seen: "1"}`; an HttpError 400 for anything else. */
export function seenVersion(body: unknown): string {
  const seen = (body as { seen?: unknown } | null)?.seen;
  if (typeof seen !== 'string' || !VERSION.test(seen)) throw new HttpError(400, 'the body must be {"seen": "<tour version>"}, a version such as "1"');
  return seen;
}

/** The user's settings with the seen version set; every other setting as it was. */
export function withTourSeen(settings: UserSettings | undefined, seen: string): UserSettings {
  const current = settings ?? {};
  const ours = current.factoryhub;
  const factoryhub = ours !== null && typeof ours === 'object' && !Array.isArray(ours) ? (ours as Record<string, unknown>) : {};
  return { ...current, factoryhub: { ...factoryhub, tour: seen } };
}
