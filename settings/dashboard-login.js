'use strict';
// The dashboard's login: a login page instead of the browser's Basic prompt, for /ui and http-in.
// - /factoryhub/login (GET: the page; POST: user name and password, checked by the login guard) starts a
//   server-side session (dashboard-sessions.js) held in a cookie: HttpOnly, SameSite=Lax, Secure on HTTPS;
//   /factoryhub/logout (POST) ends it. Both POSTs must come from the hub's own pages (Origin, against CSRF).
// - /ui and http-in (loginRequired) take a session, an API token (api-tokens.js, checked earlier in the
//   chain) or HTTP Basic (machine clients); an HTML navigation without any is sent to the login page,
//   anything else gets 401. The user is req.user = {username, role} (the write audit reads it).
// - The dashboard's socket.io (socketLogin) takes the same, and maps its socket id to the user in a
//   process-wide registry that the write audit consults for widget messages (msg.socketid).
// - Every dashboard page, of any flow, shows the user's name and a Log out button: the dashboard's
//   index.html is served with one script added (dashboardIndex).
const fs = require('node:fs');
const path = require('node:path');
const express = require('express');
const { clientAddress } = require('./login-guard');
const { bearerToken } = require('./api-tokens');

const COOKIE = 'fh_session';
const LOGIN_PATH = '/factoryhub/login';
const LOGOUT_PATH = '/factoryhub/logout';
const SESSION_PATH = '/factoryhub/session';
const SCRIPT_PATH = '/factoryhub/dashboard-user.js';
const DASHBOARD_USERS = Symbol.for('factoryhub.dashboardUsers');

/**
 * @typedef {{ username: string, role: string }} HubUser
 * @typedef {import('./login-guard').LoginGuard} LoginGuard
 * @typedef {import('./dashboard-sessions').SessionStore} SessionStore
 * @typedef {import('./auth-audit').AuthAudit} AuthAudit
 * @typedef {{ guard: LoginGuard, sessions: SessionStore, audit: AuthAudit, roleOf: (username: string) => string | undefined,
 *   tokens: import('./api-tokens').TokenStore }} LoginContext
 */

/** Socket id -> user of every connected dashboard, shared with nodes/shared/audit-log.ts (originOf). @returns {Map<string, HubUser>} */
function dashboardUsers() {
  const g = /** @type {Record<symbol, unknown>} */ (/** @type {unknown} */ (globalThis));
  if (!(g[DASHBOARD_USERS] instanceof Map)) g[DASHBOARD_USERS] = new Map();
  return /** @type {Map<string, HubUser>} */ (g[DASHBOARD_USERS]);
}

/** @param {string | undefined} header @returns {string | undefined} */
function sessionCookie(header) {
  for (const part of (header || '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** @param {string} text */
function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Where to go after the login: a path on this hub only (no //host, no scheme). @param {unknown} next */
function safeNext(next) {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]{0,500}$/.test(next) && !next.startsWith(LOGIN_PATH) ? next : '/ui/';
}

/** Whether a POST comes from a page of this hub (CSRF): its Origin (or Referer) is the hub's own. @param {import('express').Request} req */
function sameOrigin(req) {
  const from = req.headers.origin || req.headers.referer;
  if (typeof from !== 'string' || !req.headers.host) return false;
  try {
    const url = new URL(from);
    // Host only: behind a TLS proxy (HUB_HTTP=1) the page is https while this request arrives as http.
    return url.host === req.headers.host && (url.protocol === 'https:' || url.protocol === 'http:');
  } catch {
    return false;
  }
}

/** Whether a browser is navigating to a page (it gets the login page rather than a bare 401). @param {import('express').Request} req */
function isNavigation(req) {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const mode = req.headers['sec-fetch-mode'];
  if (typeof mode === 'string') return mode === 'navigate';
  return /text\/html/.test(String(req.headers.accept || ''));
}

/** @param {import('express').Request} req @param {string} token @param {number} maxAgeS */
function cookieHeader(req, token, maxAgeS) {
  return `${COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeS}${req.secure ? '; Secure' : ''}`;
}

const template = fs.readFileSync(path.join(__dirname, 'login-page.html'), 'utf8');
const badgeScript = fs.readFileSync(path.join(__dirname, 'dashboard-user.browser.js'), 'utf8');

/**
 * @param {import('express').Response} res @param {number} status
 * @param {{ next: string, username?: string, error?: string }} page
 */
function sendLoginPage(res, status, page) {
  const html = template
    .replace('{{error}}', page.error ? `<div class="error" role="alert">${escapeHtml(page.error)}</div>` : '')
    .replace('{{next}}', escapeHtml(page.next))
    .replace('{{username}}', escapeHtml(page.username || ''));
  res.status(status);
  res.set({
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  });
  res.send(html);
}

/**
 * The user of a request by session cookie, or undefined.
 * @param {LoginContext} ctx @param {import('node:http').IncomingMessage} req @returns {HubUser | undefined}
 */
function sessionUser(ctx, req) {
  const session = ctx.sessions.get(sessionCookie(req.headers.cookie));
  const role = session && ctx.roleOf(session.username);
  return session && role ? { username: session.username, role } : undefined;
}

/** @param {string | undefined} header @returns {{ username: string, password: string } | undefined} */
function basicCredentials(header) {
  const m = /^Basic\s+([A-Za-z0-9+/=]{1,1000})$/.exec(header || '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The login page, logout, the session's user and the badge script: a handler of the chain every request passes.
 * @param {LoginContext} ctx @param {{ sessionMaxAgeS: number }} options
 * @returns {import('express').RequestHandler}
 */
function loginRoutes(ctx, { sessionMaxAgeS }) {
  const form = express.urlencoded({ limit: '8kb', extended: false });
  return function dashboardLoginRoutes(req, res, next) {
    const p = req.path;
    if (p === SCRIPT_PATH && req.method === 'GET') {
      res.set({ 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-cache' });
      return res.send(badgeScript);
    }
    if (p === SESSION_PATH && req.method === 'GET') {
      const user = sessionUser(ctx, req);
      res.set('Cache-Control', 'no-store');
      return user ? res.json(user) : res.status(401).json({ error: 'Not logged in to the dashboard' });
    }
    if (p === LOGIN_PATH && req.method === 'GET') return sendLoginPage(res, 200, { next: safeNext(req.query.next) });
    if ((p === LOGIN_PATH || p === LOGOUT_PATH) && req.method === 'POST') {
      const address = clientAddress(req);
      if (!sameOrigin(req)) {
        ctx.audit.record({ event: 'refused', how: 'dashboard', address, result: 'bad-origin' });
        return res.status(403).type('text/plain').send('Refused: this form must be sent from the hub’s own login page (Origin header missing or foreign)');
      }
      return form(req, res, (err) => {
        if (err) return next(err);
        const body = req.body || {};
        if (p === LOGOUT_PATH) {
          const ended = ctx.sessions.end(sessionCookie(req.headers.cookie));
          if (ended) {
            ctx.audit.record({ event: 'logout', how: 'dashboard', user: ended.username, address, result: 'ok' });
            for (const entry of sockets.values()) if (entry.hash === ended.hash) entry.disconnect();
          }
          res.set('Set-Cookie', cookieHeader(req, '', 0));
          return res.redirect(303, `${LOGIN_PATH}?next=${encodeURIComponent(safeNext(body.next))}`);
        }
        const target = safeNext(body.next);
        const username = typeof body.username === 'string' ? body.username : '';
        const password = typeof body.password === 'string' ? body.password : '';
        ctx.guard.attempt({ username, password, address, how: 'dashboard' }).then(
          (result) => {
            if (result.ok) {
              const token = ctx.sessions.create(result.account.username);
              res.set('Set-Cookie', cookieHeader(req, token, sessionMaxAgeS));
              return res.redirect(303, target);
            }
            if (result.retryAfterS) res.set('Retry-After', String(result.retryAfterS));
            const error =
              result.status === 401
                ? 'Wrong user name or password.'
                : result.status === 429
                  ? `Too many failed logins from this device. Try again in ${result.retryAfterS} s.`
                  : `The hub is busy. Try again in ${result.retryAfterS} s.`;
            sendLoginPage(res, result.status, { next: target, username: username.slice(0, 64), error });
          },
          (e) => next(e),
        );
      });
    }
    next();
  };
}

/**
 * /ui and http-in: a session, an API token or HTTP Basic, else the login page (navigation) or 401.
 * @param {LoginContext} ctx @returns {import('express').RequestHandler}
 */
function loginRequired(ctx) {
  return function hubLogin(req, res, next) {
    /** @param {HubUser} user */
    const enter = (user) => {
      /** @type {any} */ (req).user = { username: user.username, role: user.role };
      res.locals.hubUser = user;
      next();
    };
    if (res.locals.hubUser) return enter(res.locals.hubUser); // an API token, checked in the chain
    const user = sessionUser(ctx, req);
    if (user) return enter(user);
    const basic = basicCredentials(req.headers.authorization);
    if (!basic) {
      if (isNavigation(req)) return res.redirect(303, `${LOGIN_PATH}?next=${encodeURIComponent(safeNext(req.originalUrl))}`);
      // Browsers (which send Sec-Fetch-Site; Node's fetch sends only Sec-Fetch-Mode) get no Basic
      // challenge: it would pop up the browser's own prompt.
      if (!req.headers['sec-fetch-site']) res.set('WWW-Authenticate', 'Basic realm="Factory Hub", charset="UTF-8"');
      return res.status(401).type('text/plain').send('Login required: log in at /factoryhub/login, or send HTTP Basic or an API token (Authorization: Bearer)');
    }
    ctx.guard.attempt({ ...basic, address: clientAddress(req), how: 'basic' }).then(
      (result) => {
        if (result.ok) return enter(result.account);
        if (result.retryAfterS) res.set('Retry-After', String(result.retryAfterS));
        if (result.status === 401) res.set('WWW-Authenticate', 'Basic realm="Factory Hub", charset="UTF-8"');
        const text = {
          401: 'Wrong user name or password',
          429: `Too many failed logins from this address; try again in ${result.retryAfterS} s`,
          503: `The hub is busy checking other logins; try again in ${result.retryAfterS} s`,
        }[result.status];
        res.status(result.status).type('text/plain').send(text);
      },
      (e) => next(e),
    );
  };
}

/** Sockets of dashboard sessions, so a logout closes the dashboards it was open on. @type {Map<string, { hash: string | undefined, disconnect: () => void }>} */
const sockets = new Map();

/**
 * The dashboard's socket.io (settings ui.ioMiddleware): the same logins as its pages.
 * @param {LoginContext} ctx
 * @returns {(socket: { id: string, request: import('node:http').IncomingMessage, on(event: string, fn: () => void): void, disconnect(close?: boolean): void }, next: (err?: Error) => void) => void}
 */
function socketLogin(ctx) {
  return function hubSocketLogin(socket, next) {
    const req = socket.request;
    /** @param {HubUser} user @param {string | undefined} hash */
    const enter = (user, hash) => {
      const users = dashboardUsers();
      users.set(socket.id, user);
      sockets.set(socket.id, { hash, disconnect: () => socket.disconnect(true) });
      socket.on('disconnect', () => {
        users.delete(socket.id);
        sockets.delete(socket.id);
      });
      next();
    };
    const cookie = sessionCookie(req.headers.cookie);
    const session = ctx.sessions.get(cookie);
    const role = session && ctx.roleOf(session.username);
    if (session && role) return enter({ username: session.username, role }, session.hash);
    const token = bearerToken(req.headers.authorization);
    if (token) {
      const found = ctx.tokens.find(token);
      if (found) return enter({ username: `token:${found.name}`, role: found.role }, undefined);
      ctx.guard.failed(clientAddress(req));
      return next(new Error('Authentication required'));
    }
    const basic = basicCredentials(req.headers.authorization);
    if (!basic) return next(new Error('Authentication required'));
    ctx.guard.attempt({ ...basic, address: clientAddress(req), how: 'basic' }).then(
      (result) => (result.ok ? enter(result.account, undefined) : next(new Error('Authentication required'))),
      (err) => next(err instanceof Error ? err : new Error(String(err))),
    );
  };
}

/**
 * The dashboard's index.html with the user badge script added, for every flow's dashboard (after loginRequired in ui.middleware).
 * @returns {import('express').RequestHandler}
 */
function dashboardIndex() {
  /** @type {string | undefined} */
  let html;
  return function dashboardIndexWithUser(req, res, next) {
    // Only the page itself, at /ui/ or /ui/index.html (/ui without the slash is redirected by the dashboard).
    if (req.method !== 'GET' || !/\/(index\.html)?(\?.*)?$/.test(req.originalUrl) || (req.path !== '/' && req.path !== '/index.html')) return next();
    if (html === undefined) {
      try {
        const file = path.join(path.dirname(require.resolve('node-red-dashboard/package.json')), 'dist', 'index.html');
        const original = fs.readFileSync(file, 'utf8');
        html = original.includes('</body>') ? original.replace('</body>', `<script src="${SCRIPT_PATH}"></script></body>`) : '';
      } catch {
        html = '';
      }
    }
    if (!html) return next(); // a dashboard we do not know how to extend: served as it is
    res.set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
    res.send(html);
  };
}

module.exports = { loginRoutes, loginRequired, socketLogin, dashboardIndex, dashboardUsers, sessionCookie, COOKIE, LOGIN_PATH };
