'use strict';
// API tokens for IT systems (scripts, BI tools): named, with a role, revocable. `<userDir>/tokens.json`
// (mode 600) keeps only each token's SHA-256; the token itself is printed once when it is made
// (`npm run user -- token add <name> <role>`). The hub re-reads the file when it changes, so a revoked
// token stops working without a restart. When each token was last used is kept apart, in
// `<userDir>/.tokens-used.json`, so the hub never rewrites the file the command edits.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { ROLES } = require('./roles');

/** Every token starts so: a Bearer value without it is an editor session token, Node-RED's business. */
const TOKEN_PREFIX = 'fht_';
const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;
/** Last-used times are written at most this often. */
const USED_WRITE_MS = 60 * 1000;

/**
 * @typedef {{ name: string, role: string, hash: string, created: string }} TokenEntry  hash = SHA-256 hex of the token
 * @typedef {{ name: string, role: string }} TokenUser
 */

/** @param {string} token */
function hashOf(token) {
  return crypto.createHash('sha256').update(token).digest('hex');
}

/** @param {string} file @param {unknown} value */
function writePrivate(file, value) {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** @param {string} file @returns {TokenEntry[]} */
function readTokens(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ENOENT') return [];
    throw err;
  }
  const parsed = JSON.parse(text);
  const list = parsed && Array.isArray(parsed.tokens) ? parsed.tokens : [];
  return list.filter(
    (/** @type {any} */ t) => t && typeof t.name === 'string' && typeof t.hash === 'string' && /^[0-9a-f]{64}$/.test(t.hash) && Object.prototype.hasOwnProperty.call(ROLES, t.role),
  );
}

/** The files of a user directory. @param {string} userDir */
function tokenFiles(userDir) {
  return { file: path.join(userDir, 'tokens.json'), usedFile: path.join(userDir, '.tokens-used.json') };
}

/**
 * Makes a token: returns it (to print once) and keeps its hash.
 * @param {string} userDir @param {string} name @param {string} role @returns {string}
 */
function addToken(userDir, name, role) {
  if (!NAME_RE.test(name)) throw new Error("a token's name must be 1-64 letters, digits, '.', '_' or '-'");
  if (!Object.prototype.hasOwnProperty.call(ROLES, role)) throw new Error(`unknown role "${role}", expected one of ${Object.keys(ROLES).join(', ')}`);
  const { file } = tokenFiles(userDir);
  const tokens = readTokens(file);
  if (tokens.some((t) => t.name === name)) throw new Error(`a token named ${name} exists; revoke it first (npm run user -- token revoke ${name})`);
  const token = TOKEN_PREFIX + crypto.randomBytes(32).toString('base64url');
  tokens.push({ name, role, hash: hashOf(token), created: new Date().toISOString() });
  writePrivate(file, { tokens });
  return token;
}

/** @param {string} userDir @param {string} name @returns {boolean} whether it existed */
function revokeToken(userDir, name) {
  const { file } = tokenFiles(userDir);
  const tokens = readTokens(file);
  const rest = tokens.filter((t) => t.name !== name);
  if (rest.length === tokens.length) return false;
  writePrivate(file, { tokens: rest });
  return true;
}

/** @param {string} userDir @returns {{ name: string, role: string, created: string, lastUsed?: string }[]} */
function listTokens(userDir) {
  const { file, usedFile } = tokenFiles(userDir);
  /** @type {Record<string, string>} */
  let used = {};
  try {
    used = JSON.parse(fs.readFileSync(usedFile, 'utf8')) || {};
  } catch {
    used = {};
  }
  return readTokens(file).map((t) => ({ name: t.name, role: t.role, created: t.created, ...(typeof used[t.hash] === 'string' ? { lastUsed: used[t.hash] } : {}) }));
}

/**
 * The hub's view of the tokens: looks a token up by its hash, re-reading tokens.json when it changed.
 * @param {string} userDir @param {{ now?: () => number, say?: (line: string) => void }} [options]
 */
function createTokenStore(userDir, { now = Date.now, say = () => {} } = {}) {
  const { file, usedFile } = tokenFiles(userDir);
  /** @type {Map<string, TokenEntry>} */
  let byHash = new Map();
  let stamp = '';
  /** @type {Record<string, string>} */
  let used = {};
  try {
    used = JSON.parse(fs.readFileSync(usedFile, 'utf8')) || {};
  } catch {
    used = {};
  }
  let usedDirty = false;
  let usedWritten = 0;
  /** Hashes of tokens revoked while this hub runs, so the audit can say "revoked" rather than "unknown". */
  const revoked = new Set();

  function refresh() {
    let st;
    try {
      st = fs.statSync(file);
    } catch {
      byHash = new Map();
      stamp = '';
      return;
    }
    const next = `${st.mtimeMs}:${st.size}:${st.ino}`;
    if (next === stamp) return;
    try {
      const fresh = new Map(readTokens(file).map((t) => [t.hash, t]));
      for (const hash of byHash.keys()) if (!fresh.has(hash) && revoked.size < 10000) revoked.add(hash);
      byHash = fresh;
      stamp = next;
    } catch (err) {
      // A file being written or broken keeps the last good list; said, not thrown into a request.
      say(`Warning: ${file} cannot be read: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  function writeUsed() {
    if (!usedDirty || now() - usedWritten < USED_WRITE_MS) return;
    usedDirty = false;
    usedWritten = now();
    try {
      // Only tokens that still exist: a revoked token's time goes with it.
      /** @type {Record<string, string>} */
      const kept = {};
      for (const hash of byHash.keys()) if (used[hash]) kept[hash] = used[hash];
      used = kept;
      writePrivate(usedFile, used);
    } catch (err) {
      say(`Warning: ${usedFile} cannot be written: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  return {
    /** @param {string} token @returns {TokenUser | undefined} */
    find(token) {
      if (typeof token !== 'string' || !token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
      refresh();
      const hash = hashOf(token);
      const entry = byHash.get(hash);
      if (!entry) return undefined;
      used[hash] = new Date(now()).toISOString();
      usedDirty = true;
      writeUsed();
      return { name: entry.name, role: entry.role };
    },
    /** @param {string} token */
    wasRevoked(token) {
      return revoked.has(hashOf(token));
    },
  };
}

/** @typedef {ReturnType<typeof createTokenStore>} TokenStore */

/** The token of an `Authorization: Bearer fht_…` header, else undefined. @param {string | undefined} header */
function bearerToken(header) {
  const m = /^Bearer\s+(\S+)$/.exec(header || '');
  return m && m[1].startsWith(TOKEN_PREFIX) ? m[1] : undefined;
}

/** How a token's user is named in req.user and the audit: never the same as an account. @param {string} name */
function tokenUsername(name) {
  return `token:${name}`;
}

/**
 * Middleware (in the chain every request passes): a request with an API token is let in as the token's
 * user (res.locals.hubUser), or refused here, 401 for an unknown or revoked token, 429 when its address
 * has failed too often; the admin API then accepts it through adminAuthTokens.
 * @param {TokenStore} store @param {import('./login-guard').LoginGuard} guard @param {import('./auth-audit').AuthAudit} audit
 * @param {(req: import('node:http').IncomingMessage) => string} addressOf
 * @returns {import('express').RequestHandler}
 */
function apiTokenHandler(store, guard, audit, addressOf) {
  return function apiToken(req, res, next) {
    const token = bearerToken(req.headers.authorization);
    if (!token) return next();
    const address = addressOf(req);
    const wait = guard.retryAfter(address);
    if (wait > 0) {
      audit.record({ event: 'refused', how: 'token', address, result: 'rate-limited' });
      res.set('Retry-After', String(wait));
      return res.status(429).json({ error: `Too many failed attempts from this address; try again in ${wait} s` });
    }
    const found = store.find(token);
    if (!found) {
      guard.failed(address);
      audit.record({ event: 'refused', how: 'token', address, result: store.wasRevoked(token) ? 'revoked' : 'unknown-token' });
      res.set('WWW-Authenticate', 'Bearer realm="Factory Hub", error="invalid_token"');
      return res.status(401).json({ error: 'This API token is not valid (unknown or revoked)' });
    }
    audit.record({ event: 'token', how: 'token', user: tokenUsername(found.name), role: found.role, address, result: 'ok' });
    res.locals.hubUser = { username: tokenUsername(found.name), role: found.role, how: 'token' };
    next();
  };
}

/**
 * Node-RED's adminAuth.tokens: the user an API token stands for on the admin API, with its role's permissions.
 * @param {TokenStore} store @param {(role: string) => '*' | string[]} permissionsOf
 */
function adminAuthTokens(store, permissionsOf) {
  /** @param {string} token */
  return async function tokens(token) {
    const found = store.find(token);
    return found ? { username: tokenUsername(found.name), permissions: permissionsOf(found.role) } : null;
  };
}

module.exports = { TOKEN_PREFIX, addToken, revokeToken, listTokens, createTokenStore, apiTokenHandler, adminAuthTokens, bearerToken, hashOf };
