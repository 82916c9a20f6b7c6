'use strict';
// Every way into the hub, assembled once: the editor's login (editor-login.js), the dashboard's login
// page and sessions (dashboard-login.js), HTTP Basic for machine clients and API tokens (api-tokens.js),
// all through one login guard (login-guard.js: one limiter for all) and one login audit (auth-audit.js).
// settings.js puts the pieces where Node-RED takes them.
const path = require('node:path');
const { ROLES } = require('./roles');
const { createLoginGuard, clientAddress } = require('./login-guard');
const { createAuthAudit } = require('./auth-audit');
const { editorLoginHandler, authenticator } = require('./editor-login');
const { createTokenStore, apiTokenHandler, adminAuthTokens } = require('./api-tokens');
const { createSessionStore } = require('./dashboard-sessions');
const { loginRoutes, loginRequired, socketLogin, dashboardIndex } = require('./dashboard-login');

/** @param {string} role @returns {'*' | string[]} */
function permissionsOf(role) {
  return Object.prototype.hasOwnProperty.call(ROLES, role) ? ROLES[role].permissions : [];
}

/**
 * @param {{ accounts: { username: string, role: string, password: string }[], userDir: string,
 *   say: (line: string) => void, dashboardSessionHours: number }} options
 */
function createHubAuth({ accounts, userDir, say, dashboardSessionHours }) {
  const audit = createAuthAudit({ userDir, say });
  const guard = createLoginGuard({ accounts, audit });
  const tokens = createTokenStore(userDir, { say });
  const roles = new Map(accounts.map((a) => [a.username, a.role]));
  const idleMs = dashboardSessionHours * 3600 * 1000;
  const sessions = createSessionStore({ file: path.join(userDir, '.dashboard-sessions.json'), idleMs, say });
  const ctx = { guard, sessions, audit, tokens, roleOf: (/** @type {string} */ name) => roles.get(name) };
  return {
    /** For middleware.js's chain, in this order: API tokens, the editor's login, the login page. */
    chain: [apiTokenHandler(tokens, guard, audit, clientAddress), editorLoginHandler(guard), loginRoutes(ctx, { sessionMaxAgeS: Math.round(idleMs / 1000) })],
    /** http-in endpoints. */
    httpNodeMiddleware: loginRequired(ctx),
    /** The dashboard's pages (ui.middleware) and its socket.io (ui.ioMiddleware). */
    uiMiddleware: [loginRequired(ctx), dashboardIndex()],
    ioMiddleware: socketLogin(ctx),
    /** adminAuth.authenticate and adminAuth.tokens. */
    authenticate: authenticator(guard, permissionsOf),
    tokens: adminAuthTokens(tokens, permissionsOf),
    /** A Node-RED log handler that takes its audit events (settings `logging`). */
    logger: {
      level: 'off',
      audit: true,
      handler: () => (/** @type {any} */ msg) => audit.fromNodeRed(msg),
    },
  };
}

module.exports = { createHubAuth, permissionsOf };
