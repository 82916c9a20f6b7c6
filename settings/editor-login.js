'use strict';
// The editor's login (POST /auth/token, OAuth password grant) checked by the hub before Node-RED sees it:
// the login guard (login-guard.js) limits guessing per address and per account. A wrong password is
// answered exactly as Node-RED answers bad credentials and never reaches Node-RED, so its own lock
// (5 attempts per user name per process, then HTTP 500 for 10 minutes, the real user included) never
// counts it. A correct one goes on to Node-RED, whose adminAuth.authenticate (authenticator below)
// accepts only what the guard has just verified.
const express = require('express');
const { clientAddress } = require('./login-guard');

/** Node-RED's answer to bad credentials (oauth2orize's invalid_grant). */
const BAD_CREDENTIALS = { error: 'invalid_grant', error_description: 'Invalid resource owner credentials' };

/** @typedef {import('./login-guard').LoginGuard} LoginGuard */

/**
 * @param {LoginGuard} guard
 * @returns {import('express').RequestHandler}
 */
function editorLoginHandler(guard) {
  const parsers = [express.json({ limit: '16kb' }), express.urlencoded({ limit: '16kb', extended: false })];
  return function editorLogin(req, res, next) {
    if (req.method !== 'POST' || req.path !== '/auth/token') return next();
    // Parsed here once; Node-RED's body parser sees it parsed and leaves it.
    parsers[0](req, res, (err) => {
      if (err) return next(err);
      parsers[1](req, res, (err2) => {
        if (err2) return next(err2);
        const body = req.body || {};
        if (body.grant_type !== 'password') return next();
        if (typeof body.username !== 'string' || typeof body.password !== 'string') {
          return res.status(400).json({ error: 'invalid_request', error_description: 'username and password must be given as text' });
        }
        guard.attempt({ username: body.username, password: body.password, address: clientAddress(req), how: 'editor' }).then(
          (result) => {
            if (result.ok) return next();
            if (result.status === 401) return res.status(403).json(BAD_CREDENTIALS);
            res.set('Retry-After', String(result.retryAfterS));
            res.status(result.status).json({
              error: result.reason === 'busy' ? 'temporarily_unavailable' : 'too_many_requests',
              error_description:
                result.reason === 'busy'
                  ? `The hub is busy checking other logins; try again in ${result.retryAfterS} s`
                  : `Too many failed logins from this address; try again in ${result.retryAfterS} s`,
            });
          },
          (e) => next(e),
        );
      });
    });
  };
}

/**
 * Node-RED's adminAuth.authenticate: only credentials the guard verified (and remembers for a few
 * minutes) get in, so nothing reaches Node-RED's token exchange around the limiter.
 * @param {LoginGuard} guard @param {(role: string) => '*' | string[]} permissionsOf
 * @returns {(username: string, password: string) => Promise<{ username: string, permissions: '*' | string[] } | null>}
 */
function authenticator(guard, permissionsOf) {
  return async function authenticate(username, password) {
    if (typeof username !== 'string' || typeof password !== 'string') return null;
    const account = guard.cached(username, password);
    return account ? { username: account.username, permissions: permissionsOf(account.role) } : null;
  };
}

module.exports = { editorLoginHandler, authenticator, BAD_CREDENTIALS };
