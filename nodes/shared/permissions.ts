/**
 * Node-RED's permission rule, and the answer when it says no. Pure: the routes (http-route.ts) and the
 * tag-map write gate check a request's permissions with it, the same way Node-RED's needsPermission does
 * (`@node-red/editor-api/lib/auth/permissions.js`): a scope grants a permission when it is "*", the
 * permission itself, or "read"/"*.read" ("write"/"*.write") for any `<area>.read` (`<area>.write`).
 */

const READ = /^((.+)\.)?read$/;
const WRITE = /^((.+)\.)?write$/;

/** Whether `scope` (one permission or a list; Node-RED's token scope or user permissions) grants `permission`. */
export function hasPermission(scope: unknown, permission: string): boolean {
  if (permission === '') return true;
  if (Array.isArray(scope)) return scope.some((s) => hasPermission(s, permission));
  if (typeof scope !== 'string') return false;
  if (scope === '*' || scope === permission) return true;
  if (scope === 'read' || scope === '*.read') return READ.test(permission);
  if (scope === 'write' || scope === '*.write') return WRITE.test(permission);
  return false;
}

/** The JSON of a 403: the same body the hub's settings give for Node-RED's own routes (settings/permission-refusal.js). */
export interface Refusal {
  /** One sentence naming the account and the missing permission. */
  readonly error: string;
  /** The same text, where Node-RED's editor looks for it. */
  readonly message: string;
  readonly code: 'permission_denied';
  readonly permission: string;
  readonly user?: string;
}

export function refusalBody(permission: string, user: string | undefined): Refusal {
  const who = user !== undefined ? `the account "${user}"` : 'this account';
  const text = `${who} lacks the permission ${permission}; ask an admin for a role that has it`;
  return { error: text, message: text, code: 'permission_denied', permission, ...(user !== undefined ? { user } : {}) };
}

/** The permissions a logged-in request carries: its token's scope, else its user's permissions; undefined without a login. */
export function requestScope(req: unknown): unknown {
  const r = req as { user?: { permissions?: unknown } | null; authInfo?: { scope?: unknown } | null } | null;
  if (r?.user === undefined || r.user === null) return undefined;
  return r.authInfo?.scope ?? r.user.permissions;
}
