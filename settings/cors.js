'use strict';
// CORS limited to the hub's own origin. The editor, the admin API, the dashboard and http-in endpoints are
// pages and calls of this hub only: no other site's page may send them a request that has an effect or read
// an answer. Requests without an Origin header (curl, scripts, BI tools) and same-origin ones pass.
//
// Node-RED's editor API hard-codes cors({ origin: '*' }) on its admin app, ahead of httpAdminMiddleware
// (@node-red/editor-api/lib/index.js), and no setting removes it: it answers a preflight itself (204 with
// Access-Control-Allow-Origin: *) before our middleware runs. The editor API requires 'cors' only when it
// initialises, after Node-RED has loaded these settings, so `withoutNodeRedWildcard()` swaps the loaded
// module's export for one that turns exactly that wildcard into a no-op (any other use of cors is
// unchanged). Every request, preflights included, then reaches `sameOriginOnly()`, which refuses other
// origins with 403 before any route runs, and never grants one: the hub sends no CORS headers at all.
const path = require('node:path');

/** @typedef {import('express').RequestHandler} Handler */

const CORS_HEADERS = [
  'Access-Control-Allow-Origin',
  'Access-Control-Allow-Credentials',
  'Access-Control-Allow-Methods',
  'Access-Control-Allow-Headers',
  'Access-Control-Expose-Headers',
  'Access-Control-Max-Age',
];

/**
 * Makes Node-RED's editor API's `cors({ origin: '*' })` a pass-through. Call while settings load.
 * @returns {boolean} whether the cors module Node-RED's editor API uses was found and wrapped
 */
function withoutNodeRedWildcard() {
  let file;
  try {
    file = require.resolve('cors', { paths: [path.dirname(require.resolve('@node-red/editor-api'))] });
  } catch {
    return false;
  }
  const cached = require.cache[file];
  /** @type {(options?: unknown) => Handler} */
  const original = cached ? cached.exports : require(file);
  if (/** @type {{ hubWrapped?: boolean }} */ (original).hubWrapped) return true;
  /** @type {((options?: unknown) => Handler) & { hubWrapped?: boolean }} */
  const wrapped = (options) => {
    const o = /** @type {{ origin?: unknown } | undefined} */ (options);
    if (o !== null && typeof o === 'object' && o.origin === '*') return (_req, _res, next) => next();
    return original(options);
  };
  wrapped.hubWrapped = true;
  const mod = require.cache[file];
  if (mod) mod.exports = wrapped;
  return true;
}

/**
 * This hub's origin as the request reached it: scheme and Host. A page of another site that a browser
 * sends here carries its own origin, which differs from the Host it sends to.
 * @param {import('express').Request} req
 * @returns {string | undefined}
 */
function ownOrigin(req) {
  const host = req.headers.host;
  if (!host) return undefined;
  try {
    return new URL(`${req.protocol}://${host}`).origin;
  } catch {
    return undefined;
  }
}

/** @param {string} origin @returns {string} */
function normalOrigin(origin) {
  try {
    return new URL(origin).origin;
  } catch {
    return origin;
  }
}

/**
 * Fetch metadata (Sec-Fetch-*), sent by current browsers on every request: a request another site's page
 * makes without an Origin header (an <img>, <script> or <form method=get> pointing here, an <iframe>)
 * is refused too; a top-level navigation (a link to the dashboard from a portal) stays allowed.
 * @param {import('express').Request} req
 */
function crossSiteSubresource(req) {
  const site = req.headers['sec-fetch-site'];
  if (site !== 'cross-site' && site !== 'same-site') return false;
  const navigation = req.headers['sec-fetch-mode'] === 'navigate' && req.headers['sec-fetch-dest'] === 'document';
  return !(navigation && (req.method === 'GET' || req.method === 'HEAD'));
}

/**
 * @param {{ origins?: readonly string[] }} [options] `origins`: the hub's own origins as browsers see them
 *   when that is not the scheme and Host it is reached by (behind a reverse proxy; HUB_ORIGINS)
 * @returns {Handler}
 */
function sameOriginOnly(options = {}) {
  const also = new Set((options.origins ?? []).map(normalOrigin));
  return function hubSameOrigin(req, res, next) {
    // Whatever set them before us (Node-RED's wildcard, should the swap above ever miss): none go out.
    for (const name of CORS_HEADERS) res.removeHeader(name);
    const origin = req.headers.origin;
    const own = ownOrigin(req);
    const foreign = origin !== undefined && normalOrigin(origin) !== own && !also.has(normalOrigin(origin));
    if (!foreign && !crossSiteSubresource(req)) return next();
    res.status(403).json({
      error: 'cross_origin_refused',
      message: `Refused a request from ${origin !== undefined ? `origin ${origin.slice(0, 200)}` : 'another site'}: this hub answers only pages of its own origin${own ? ` (${own})` : ''}, and requests without an Origin header.`,
    });
  };
}

module.exports = { sameOriginOnly, withoutNodeRedWildcard, ownOrigin };
