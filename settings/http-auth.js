'use strict';
// HTTP Basic authentication for what Node-RED serves outside the editor: the dashboard (/ui, its
// socket.io) and HTTP-in endpoints. Same accounts as the editor; every role may view.
const crypto = require('node:crypto');
const bcrypt = require('bcryptjs');

const CACHE_MS = 5 * 60 * 1000;

/** @param {{ username: string, password: string }[]} accounts  password = bcrypt hash */
function createVerifier(accounts) {
  const byName = new Map(accounts.map((a) => [a.username, a]));
  // bcrypt costs ~70 ms; a dashboard page loads dozens of assets, so remember good credentials briefly.
  const verified = new Map();
  /** @param {string | undefined} header @returns {Promise<string | null>} */
  return async function verify(header) {
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header || '');
    if (!match) return null;
    const key = crypto.createHash('sha256').update(match[1]).digest('hex');
    const hit = verified.get(key);
    if (hit && hit.until > Date.now()) return hit.username;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return null;
    const account = byName.get(decoded.slice(0, colon));
    if (!account || !(await bcrypt.compare(decoded.slice(colon + 1), account.password))) return null;
    if (verified.size > 1000) verified.clear();
    verified.set(key, { username: account.username, until: Date.now() + CACHE_MS });
    return account.username;
  };
}

/**
 * @param {{ username: string, password: string }[]} accounts @param {string} realm
 * @returns {import('express').RequestHandler}
 */
function basicAuthMiddleware(accounts, realm) {
  const verify = createVerifier(accounts);
  return function hubBasicAuth(req, res, next) {
    verify(req.headers.authorization).then(
      (username) => {
        if (username) {
          res.locals.hubUser = username;
          return next();
        }
        res.set('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`);
        res.status(401).send('Authentication required');
      },
      (err) => next(err),
    );
  };
}

/**
 * @param {{ username: string, password: string }[]} accounts
 * @returns {(socket: { request: import('node:http').IncomingMessage }, next: (err?: Error) => void) => void}
 */
function socketAuthMiddleware(accounts) {
  const verify = createVerifier(accounts);
  return function hubSocketAuth(socket, next) {
    verify(socket.request.headers.authorization).then(
      (username) => (username ? next() : next(new Error('Authentication required'))),
      (err) => next(err),
    );
  };
}

module.exports = { basicAuthMiddleware, socketAuthMiddleware };
