'use strict';
// A refusal that says what is missing. Node-RED's needsPermission answers a logged-in user who lacks a
// permission with an empty 401, which its editor reads as "log in again" and a script as "wrong token".
// Just before it answers, it calls log.audit({event: 'permission.fail', permissions}, req), synchronously.
// So: the middleware keeps each request's response in an AsyncLocalStorage, an audit log handler finds it
// there on 'permission.fail', and turns the 401 that follows into a 403 whose JSON body names the
// permission. Without a login Node-RED never gets that far (passport answers 401 itself): that stays 401.
// The body is the one this package's own routes send (nodes/shared/permissions.ts, refusalBody).
const { AsyncLocalStorage } = require('node:async_hooks');

/** @typedef {import('express').Request} Request @typedef {import('express').Response} Response */

/** @type {AsyncLocalStorage<{ res: Response }>} */
const current = new AsyncLocalStorage();

/**
 * @param {string | string[]} permission @param {string | undefined} user
 * @returns {{ error: string, message: string, code: 'permission_denied', permission: string, user?: string }}
 */
function refusalBody(permission, user) {
  const needed = Array.isArray(permission) ? permission.join(', ') : String(permission);
  const who = user ? `the account "${user}"` : 'this account';
  const text = `${who} lacks the permission ${needed}; ask an admin for a role that has it`;
  // `error` as every route of the hub answers; `message` and `code` as Node-RED's editor reads an error.
  return { error: text, message: text, code: 'permission_denied', permission: needed, ...(user ? { user } : {}) };
}

/** Middleware: runs the rest of the request with its response findable by the audit handler. */
/** @type {import('express').RequestHandler} */
function permissionRefusal(_req, res, next) {
  current.run({ res }, () => next());
}

/**
 * Makes the next `res.status(401).end()` of this response a 403 with the refusal body.
 * @param {Response} res @param {string | string[]} permission @param {string | undefined} user
 */
function answerForbidden(res, permission, user) {
  if (res.headersSent) return;
  const status = res.status;
  const end = res.end;
  const restore = () => {
    res.status = status;
    res.end = end;
  };
  // Node-RED calls exactly res.status(401).end() next; anything else undoes the patch first.
  res.status = /** @type {any} */ (
    function (/** @type {number} */ code) {
      if (code === 401) return res;
      restore();
      return res.status(code);
    }
  );
  res.end = /** @type {any} */ (
    function () {
      restore();
      res.status(403).type('application/json').send(JSON.stringify(refusalBody(permission, user)));
      return res;
    }
  );
}

/**
 * A Node-RED log handler (settings `logging.<name>.handler`, with `audit: true`) that answers refused
 * permissions with 403; it prints nothing.
 * @returns {(msg: { event?: unknown, permissions?: unknown, user?: { username?: unknown } }) => void}
 */
function refusalLogHandler() {
  return function onAudit(msg) {
    if (!msg || msg.event !== 'permission.fail') return;
    const store = current.getStore();
    if (!store) return;
    const permission = Array.isArray(msg.permissions) ? msg.permissions.map(String) : String(msg.permissions ?? '');
    // Node-RED's anonymous user (adminAuth.default) keeps the 401: logging in may help it.
    if (msg.user && /** @type {{ anonymous?: unknown }} */ (msg.user).anonymous === true) return;
    const user = msg.user && typeof msg.user.username === 'string' ? msg.user.username.slice(0, 100) : undefined;
    answerForbidden(store.res, permission, user);
  };
}

module.exports = { permissionRefusal, refusalLogHandler, refusalBody };
