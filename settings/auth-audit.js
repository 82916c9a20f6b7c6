'use strict';
// The login audit: every login (editor, dashboard, Basic), logout, API-token use and refused attempt, one
// line each in <userDir>/audit/auth-YYYY-MM-DD.jsonl through the audit log of the nodes
// (nodes/shared/audit-log.ts, built to dist/), read with GET /factoryhub/audit/auth. Bounded: a token's
// uses are written at most once a minute per token, and refusals of the same kind from one address
// (a flood of rate-limited attempts) at most once a minute, with the count of those left out.
const path = require('node:path');

const THROTTLE_MS = 60 * 1000;
const MAX_THROTTLED = 10000;

/**
 * @typedef {{ event: 'login' | 'logout' | 'token' | 'refused', how: 'editor' | 'dashboard' | 'basic' | 'token',
 *   user?: string, role?: string, address?: string, result: string }} AuthEvent
 */

/**
 * @param {{ userDir: string, say: (line: string) => void, now?: () => number }} options
 */
function createAuthAudit({ userDir, say, now = Date.now }) {
  /** @type {{ recordAuth(entry: object): Promise<void> } | undefined} */
  let log;
  try {
    const { AuditLog, auditDir } = require(path.join(__dirname, '..', 'dist', 'nodes', 'shared', 'audit-log.js'));
    log = new AuditLog(auditDir(userDir));
  } catch (err) {
    say(`Warning: logins are not audited: the audit log could not be loaded (run npm run build): ${err instanceof Error ? err.message : String(err)}`);
  }
  let warned = false;
  /** @type {Map<string, { until: number, left: number }>} */
  const throttled = new Map();

  /** @param {object} entry */
  function write(entry) {
    if (!log) return;
    log.recordAuth(entry).catch((/** @type {unknown} */ err) => {
      if (warned) return;
      warned = true;
      say(`Warning: the login audit cannot be written: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  /**
   * Writes `event`, unless one like it (`key`) was written less than a minute ago: then it is counted,
   * and the count goes with the next one written.
   * @param {string} key @param {AuthEvent} event
   */
  function throttle(key, event) {
    const t = now();
    const seen = throttled.get(key);
    if (seen && seen.until > t) {
      seen.left += 1;
      return;
    }
    throttled.delete(key);
    if (throttled.size >= MAX_THROTTLED) throttled.clear();
    throttled.set(key, { until: t + THROTTLE_MS, left: 0 });
    write(seen && seen.left ? { ...event, repeated: seen.left } : event);
  }

  return {
    /** @param {AuthEvent} event */
    record(event) {
      if (event.event === 'token' && event.result === 'ok') return throttle(`token\n${event.user}`, event);
      if (event.result === 'rate-limited' || event.result === 'busy') return throttle(`${event.result}\n${event.address}\n${event.how}`, event);
      write(event);
    },
    /**
     * Node-RED's own audit events (settings `logging`, `audit: true`): the editor's logout. Its logins are
     * audited where the hub checks the password (editor-login.js).
     * @param {{ event?: unknown, user?: { username?: unknown }, ip?: unknown }} msg
     */
    fromNodeRed(msg) {
      if (msg.event !== 'auth.login.revoke') return;
      const user = msg.user && typeof msg.user.username === 'string' ? msg.user.username : undefined;
      write({ event: 'logout', how: 'editor', ...(user ? { user } : {}), ...(typeof msg.ip === 'string' ? { address: msg.ip } : {}), result: 'ok' });
    },
  };
}

/** @typedef {ReturnType<typeof createAuthAudit>} AuthAudit */

module.exports = { createAuthAudit };
