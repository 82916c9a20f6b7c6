'use strict';
// Security headers on every answer of the hub (editor, admin API, dashboard, http-in endpoints). Set before
// Node-RED handles the request, so an http-response node can still set its own (e.g. a CSP for its page).

/** @typedef {import('express').RequestHandler} Handler */

/**
 * Content-Security-Policy of the editor, as tight as Node-RED 4.1's editor runs (tested in Chromium:
 * test/editor/hub-editor.test.ts fails on any violation):
 * - 'unsafe-inline' scripts: each node type's editor code is an inline <script> in its HTML, which the
 *   editor inserts with jQuery; nonces or hashes cannot cover palette modules installed later;
 * - no 'unsafe-eval': the editor, its dialogs and the Monaco code editor run without it;
 * - inline styles (<style> in node HTML, style attributes in the editor's markup), data: images and
 *   fonts (icons), blob: workers (Monaco);
 * - the palette manager reads the node catalogue from catalogue.nodered.org.
 * Everything else is this hub only; no plugins (<object>), no framing, no <base> or form target elsewhere.
 */
const EDITOR_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' https://catalogue.nodered.org",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Content-Security-Policy of the dashboard (node-red-dashboard 3, AngularJS 1): Angular compiles its
 * expressions with Function ('unsafe-eval'), ui-template nodes carry inline scripts and styles.
 */
const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** HSTS for a year; not for subdomains: the hub's name may share a domain with hosts that have no TLS. */
const HSTS = 'max-age=31536000';

/**
 * A policy set after ours replaces it: Express's error pages set "default-src 'none'", an http-response
 * node may set the one its page needs. frame-ancestors does not fall back to default-src, so this adds
 * frame-ancestors 'none' to any policy that has none: no answer of the hub can be framed.
 * @param {import('express').Response} res
 */
function keepFrameAncestors(res) {
  const setHeader = res.setHeader.bind(res);
  /** @type {typeof res.setHeader} */
  const guarded = (name, value) => {
    if (String(name).toLowerCase() === 'content-security-policy' && !/frame-ancestors/i.test(String(value))) {
      value = `${String(value).replace(/[\s;]+$/, '')}; frame-ancestors 'none'`;
    }
    return setHeader(name, value);
  };
  res.setHeader = guarded;
}

/**
 * @param {{ dashboardPath: string }} options  `dashboardPath`: where the dashboard is served, e.g. "/ui"
 * @returns {Handler}
 */
function securityHeaders(options) {
  const dashboard = options.dashboardPath.replace(/\/+$/, '');
  return function hubSecurityHeaders(req, res, next) {
    // Only over TLS: a browser ignores HSTS on plain HTTP, and a proxy in front sets its own.
    if (req.secure) res.setHeader('Strict-Transport-Security', HSTS);
    const onDashboard = req.path === dashboard || req.path.startsWith(`${dashboard}/`);
    res.setHeader('Content-Security-Policy', onDashboard ? DASHBOARD_CSP : EDITOR_CSP);
    keepFrameAncestors(res);
    // The CSP's frame-ancestors for browsers that predate it.
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // The editor's URLs carry flow and node ids; no page needs to tell another site where it came from.
    // same-origin, not no-referrer: with no-referrer a browser sends "Origin: null" on the hub's own form
    // posts (the dashboard login), which the Origin checks must refuse.
    res.setHeader('Referrer-Policy', 'same-origin');
    // No other site's window may hold a reference to the editor's, nor load its answers as resources.
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=()');
    next();
  };
}

module.exports = { securityHeaders, EDITOR_CSP, DASHBOARD_CSP };
