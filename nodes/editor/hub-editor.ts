/**
 * The Factory Hub editor plugin (runtime side): registers the plugin whose editor side
 * (hub-editor.html, bundle resources/hub-editor.js) shows refusals in the editor and the audit sidebar,
 * GET /factoryhub/me, the logged-in account's role for the editor's "your role: ..." texts, and
 * PUT /factoryhub/tour, the guided tour's version the account has seen (tour-seen.ts).
 */
import type { Request } from 'express';
import { addRoute, HttpError, requestUser } from '../shared/http-route';
import type { AdminRed } from '../shared/http-route';
import { seenVersion, TOUR_ROUTE, withTourSeen } from './tour-seen';
import type { UserSettings } from './tour-seen';

export const PLUGIN_ID = 'fh-hub-editor';
export const ME_ROUTE = '/factoryhub/me';

interface PluginRed extends AdminRed {
  readonly plugins: { registerPlugin(id: string, definition: { type: string }): void };
  readonly settings: {
    getUserSettings(username: string): UserSettings | undefined;
    setUserSettings(username: string, settings: UserSettings): Promise<void>;
  };
}

/** What GET /factoryhub/me answers. */
export interface MeBody {
  readonly username?: string;
  /** The account's role (settings/roles.js) when the hub's settings give it, else absent. */
  readonly role?: string;
  readonly permissions: string | readonly string[];
}

export function meOf(req: Request): MeBody {
  const user = (req as Request & { user?: { role?: unknown; permissions?: unknown } }).user;
  const permissions = user?.permissions;
  const username = requestUser(req);
  return {
    ...(username !== undefined ? { username } : {}),
    ...(typeof user?.role === 'string' ? { role: user.role.slice(0, 100) } : {}),
    permissions: typeof permissions === 'string' || Array.isArray(permissions) ? (permissions as string | string[]) : [],
  };
}

export default function register(RED: PluginRed): void {
  RED.plugins.registerPlugin(PLUGIN_ID, { type: 'fh-hub-editor' });
  // Any logged-in account may read its own role ('' = logged in, no further permission).
  addRoute(RED, { method: 'get', path: ME_ROUTE, permission: '' }, (req, res) => {
    res.json(meOf(req));
  });
  // Any logged-in account keeps, in its own user settings, which tour version it has seen.
  addRoute(RED, { method: 'put', path: TOUR_ROUTE, permission: '' }, async (req, res) => {
    const seen = seenVersion(req.body);
    const username = requestUser(req);
    if (username === undefined) throw new HttpError(400, 'no account to remember the tour for');
    await RED.settings.setUserSettings(username, withTourSeen(RED.settings.getUserSettings(username), seen));
    res.json({ seen });
  });
}
