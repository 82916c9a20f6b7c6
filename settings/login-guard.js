'use strict';
// The one place a password is checked, whichever way it came (editor, dashboard login page, HTTP Basic):
// the limiter's policy (login-limit.js) decides first, bcrypt work is bounded, an unknown user name costs
// a bcrypt compare against a dummy hash like a known one (its answer is the same), and every result is
// audited (auth-audit.js).
const crypto = require('node:crypto');
const { LoginPolicy, WorkSlots, BusyError } = require('./login-limit');

/** @type {{ compare(password: string, hash: string): Promise<boolean>, hashSync(password: string, cost: number): string }} */
const bcrypt = (() => {
  try {
    // Node-RED's native bcrypt runs in libuv's thread pool, off the event loop.
    const native = require('@node-rs/bcrypt');
    return { compare: (p, h) => native.verify(p, h), hashSync: (p, c) => native.hashSync(p, c) };
  } catch {
    const js = require('bcryptjs');
    return { compare: (p, h) => js.compare(p, h), hashSync: (p, c) => js.hashSync(p, c) };
  }
})();

/** Good credentials are remembered this long: a dashboard page loads dozens of assets with one Basic header. */
const CACHE_MS = 5 * 60 * 1000;
const CACHE_MAX = 1000;
/** Waiting out an account's delay holds a request; at most this many wait at once, the rest get 503. */
const MAX_DELAYED = 200;

/**
 * @typedef {{ username: string, role: string, password: string }} Account  password = bcrypt hash
 * @typedef {'editor' | 'dashboard' | 'basic' | 'token'} How
 * @typedef {{ ok: true, account: { username: string, role: string } } |
 *   { ok: false, status: 401 | 429 | 503, reason: 'wrong-password' | 'rate-limited' | 'busy', retryAfterS?: number }} Attempt
 * @typedef {{ record(entry: { event: string, how: How, user?: string, role?: string, address?: string, result: string }): void }} AuthAuditSink
 */

/**
 * @param {{ accounts: Account[], audit: AuthAuditSink, policy?: LoginPolicy, slots?: WorkSlots, now?: () => number }} options
 */
function createLoginGuard({ accounts, audit, policy = new LoginPolicy(), slots = new WorkSlots(2, 32), now = Date.now }) {
  const byName = new Map(accounts.map((a) => [a.username, a]));
  // Same cost as the accounts' hashes (accounts.js), so an unknown name takes as long as a known one.
  const costOf = accounts.length ? Number(accounts[0].password.slice(4, 6)) : 10;
  const dummyHash = bcrypt.hashSync(crypto.randomBytes(16).toString('hex'), Number.isInteger(costOf) && costOf >= 4 ? costOf : 10);
  /** @type {Map<string, { username: string, until: number }>} sha256(name\0password) -> verified */
  const verified = new Map();
  let delayed = 0;

  /** @param {string} username @param {string} password */
  const keyOf = (username, password) => crypto.createHash('sha256').update(`${username}\0${password}`).digest('hex');

  /** @param {string} username @param {string} password @returns {{ username: string, role: string } | undefined} */
  function cached(username, password) {
    const hit = verified.get(keyOf(username, password));
    const account = byName.get(username);
    return hit && hit.until > now() && account ? { username: account.username, role: account.role } : undefined;
  }

  /**
   * Checks one login attempt. Never rejects.
   * @param {{ username: string, password: string, address: string, how: How }} attempt
   * @returns {Promise<Attempt>}
   */
  async function attempt({ username, password, address, how }) {
    const user = username.slice(0, 100);
    const hit = cached(username, password);
    if (hit) return { ok: true, account: hit };
    const decision = policy.before(address, user, now());
    if (decision.kind === 'refuse') {
      audit.record({ event: 'refused', how, user, address, result: 'rate-limited' });
      return { ok: false, status: 429, reason: 'rate-limited', retryAfterS: decision.retryAfterS };
    }
    if (decision.delayMs > 0) {
      if (delayed >= MAX_DELAYED) {
        audit.record({ event: 'refused', how, user, address, result: 'busy' });
        return { ok: false, status: 503, reason: 'busy', retryAfterS: Math.ceil(decision.delayMs / 1000) };
      }
      delayed += 1;
      await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
      delayed -= 1;
    }
    const account = byName.get(username);
    let ok;
    try {
      ok = await slots.run(() => bcrypt.compare(password, account ? account.password : dummyHash).catch(() => false));
    } catch (err) {
      if (!(err instanceof BusyError)) throw err;
      audit.record({ event: 'refused', how, user, address, result: 'busy' });
      return { ok: false, status: 503, reason: 'busy', retryAfterS: err.retryAfterS };
    }
    ok = ok && account !== undefined;
    policy.after(address, user, ok, now());
    if (!ok || !account) {
      audit.record({ event: 'refused', how, user, address, result: 'wrong-password' });
      return { ok: false, status: 401, reason: 'wrong-password' };
    }
    if (verified.size >= CACHE_MAX) verified.clear();
    verified.set(keyOf(username, password), { username: account.username, until: now() + CACHE_MS });
    audit.record({ event: 'login', how, user: account.username, role: account.role, address, result: 'ok' });
    return { ok: true, account: { username: account.username, role: account.role } };
  }

  /**
   * A refused attempt that is not a password (an unknown or revoked token): counts against the address.
   * @param {string} address @returns {number} seconds to wait before the next attempt, 0 if none
   */
  function failed(address) {
    policy.failure(address, now());
    return policy.addressRetryAfterS(address, now());
  }

  /** Seconds the address must wait before it may try again (0: it may now). @param {string} address */
  function retryAfter(address) {
    return policy.addressRetryAfterS(address, now());
  }

  return { attempt, cached, failed, retryAfter };
}

/** @typedef {ReturnType<typeof createLoginGuard>} LoginGuard */

/** The client's address as the socket sees it (headers such as X-Forwarded-For are not trusted). @param {import('node:http').IncomingMessage} req */
function clientAddress(req) {
  return (req.socket && req.socket.remoteAddress) || 'unknown';
}

module.exports = { createLoginGuard, clientAddress };
