'use strict';
// Server-side sessions of the dashboard login. The browser holds a random token in a cookie; the hub
// keeps only its SHA-256, the user name and when the session ends. Sessions survive a hub restart (a
// wall screen must not need a login after one): they are kept in `<userDir>/.dashboard-sessions.json`,
// mode 600, hashes only. A session ends at logout or after `idleMs` without use.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

/** A session's end is moved on at most this often (and written to the file at most this often). */
const TOUCH_MS = 60 * 1000;
const MAX_SESSIONS = 5000;

/** @typedef {{ hash: string, username: string, created: number, expires: number }} Session */

/** @param {string} token */
function hashOf(token) {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/**
 * @param {{ file: string, idleMs: number, now?: () => number, say?: (line: string) => void }} options
 */
function createSessionStore({ file, idleMs, now = Date.now, say = () => {} }) {
  /** @type {Map<string, Session>} */
  const sessions = new Map();
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const s of Array.isArray(parsed && parsed.sessions) ? parsed.sessions : []) {
      if (s && typeof s.hash === 'string' && typeof s.username === 'string' && typeof s.expires === 'number' && s.expires > now()) sessions.set(s.hash, s);
    }
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'ENOENT') say(`Dashboard sessions in ${file} could not be read (${err instanceof Error ? err.message : String(err)}); starting without.`);
  }
  let timer = /** @type {NodeJS.Timeout | undefined} */ (undefined);

  /** Logins and logouts are written at once (a restart right after must keep them). */
  function saveNow() {
    if (timer) clearTimeout(timer);
    timer = undefined;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify({ sessions: [...sessions.values()] }) + '\n', { mode: 0o600 });
      fs.renameSync(tmp, file);
    } catch (err) {
      say(`Warning: dashboard sessions cannot be saved in ${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** A session's moved end is written a little later, coalesced (a dashboard page is many requests). */
  function save() {
    if (timer) return;
    timer = setTimeout(saveNow, 1000);
    timer.unref();
  }

  function prune() {
    const t = now();
    for (const [hash, s] of sessions) if (s.expires <= t) sessions.delete(hash);
    while (sessions.size >= MAX_SESSIONS) {
      const oldest = sessions.keys().next();
      if (oldest.done) break;
      sessions.delete(oldest.value);
    }
  }

  return {
    /** A new session for `username`; returns the token for the cookie. @param {string} username */
    create(username) {
      prune();
      const token = crypto.randomBytes(32).toString('base64url');
      const t = now();
      sessions.set(hashOf(token), { hash: hashOf(token), username, created: t, expires: t + idleMs });
      saveNow();
      return token;
    },
    /** The session of a cookie's token, its end moved on; undefined when there is none or it ended. @param {string | undefined} token */
    get(token) {
      if (typeof token !== 'string' || token.length > 100) return undefined;
      const s = sessions.get(hashOf(token));
      if (!s) return undefined;
      const t = now();
      if (s.expires <= t) {
        sessions.delete(s.hash);
        save();
        return undefined;
      }
      if (s.expires - idleMs + TOUCH_MS < t) {
        s.expires = t + idleMs;
        save();
      }
      return s;
    },
    /** Ends a session (logout). @param {string | undefined} token @returns {Session | undefined} */
    end(token) {
      if (typeof token !== 'string') return undefined;
      const s = sessions.get(hashOf(token));
      if (s) {
        sessions.delete(s.hash);
        saveNow();
      }
      return s;
    },
  };
}

/** @typedef {ReturnType<typeof createSessionStore>} SessionStore */

module.exports = { createSessionStore, hashOf };
