'use strict';
// Login accounts of the hub: a users file (bcrypt hashes only) plus passwords from the environment.
// No default password exists: a first run generates one per built-in account and prints it once.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const bcrypt = require('bcryptjs');
const { ROLES, BUILT_IN_ACCOUNTS } = require('./roles');

const BCRYPT_COST = 10;
const HASH_RE = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;

/**
 * @typedef {{ username: string, role: string, password: string }} Account  password = bcrypt hash
 * @typedef {{ username: string, role: string, password: string }} CreatedLogin  password = plain, shown once
 */

/** HUB_<NAME>_PASSWORD, e.g. HUB_ADMIN_PASSWORD; a bcrypt hash is accepted as well as a plain password. */
/** @param {string} username */
function envPasswordName(username) {
  return `HUB_${username.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PASSWORD`;
}

/** @param {string} passwordOrHash @returns {string} */
function hashOf(passwordOrHash) {
  return HASH_RE.test(passwordOrHash) ? passwordOrHash : bcrypt.hashSync(passwordOrHash, BCRYPT_COST);
}

/** @param {string} file @returns {Account[]} */
function readUsersFile(file) {
  let parsed;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`users file ${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const users = parsed && Array.isArray(parsed.users) ? parsed.users : null;
  if (!users) throw new Error(`users file ${file} must hold {"users": [{"username", "role", "password"}]}`);
  return users.map((/** @type {any} */ u, /** @type {number} */ i) => {
    const where = `users file ${file}, entry ${i + 1}`;
    if (!u || typeof u.username !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(u.username)) {
      throw new Error(`${where}: username must be 1-64 letters, digits, '.', '_' or '-'`);
    }
    if (!Object.prototype.hasOwnProperty.call(ROLES, u.role)) {
      throw new Error(`${where} (${u.username}): unknown role "${u.role}", expected one of ${Object.keys(ROLES).join(', ')}`);
    }
    if (typeof u.password !== 'string' || !HASH_RE.test(u.password)) {
      throw new Error(`${where} (${u.username}): password must be a bcrypt hash (use: npm run user -- set ${u.username} ${u.role})`);
    }
    return { username: u.username, role: u.role, password: u.password };
  });
}

/** @param {string} file @param {Account[]} accounts */
function writeUsersFile(file, accounts) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify({ users: accounts }, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/**
 * Loads the accounts; on first run (no users file) creates the built-in ones.
 * @param {{ usersFile: string, env: NodeJS.ProcessEnv }} options
 * @returns {{ accounts: Account[], created: CreatedLogin[], fromEnv: string[] }}
 */
function loadAccounts({ usersFile, env }) {
  const exists = fs.existsSync(usersFile);
  const fileAccounts = exists ? readUsersFile(usersFile) : [];
  const created = [];
  if (!exists) {
    for (const { username, role } of BUILT_IN_ACCOUNTS) {
      if (env[envPasswordName(username)]) continue; // kept out of the file: the environment owns it
      const password = crypto.randomBytes(12).toString('base64url');
      fileAccounts.push({ username, role, password: hashOf(password) });
      created.push({ username, role, password });
    }
    writeUsersFile(usersFile, fileAccounts);
  }
  const byName = new Map(fileAccounts.map((a) => [a.username, a]));
  const fromEnv = [];
  for (const { username, role } of BUILT_IN_ACCOUNTS) {
    const value = env[envPasswordName(username)];
    if (!value) continue;
    const current = byName.get(username);
    byName.set(username, { username, role: current ? current.role : role, password: hashOf(value) });
    fromEnv.push(username);
  }
  return { accounts: [...byName.values()], created, fromEnv };
}

/**
 * Sets (or adds) one account in the users file; used by scripts/hub-user.js.
 * @param {string} usersFile @param {string} username @param {string} role @param {string} password
 */
function setAccount(usersFile, username, role, password) {
  if (!Object.prototype.hasOwnProperty.call(ROLES, role)) {
    throw new Error(`unknown role "${role}", expected one of ${Object.keys(ROLES).join(', ')}`);
  }
  if (typeof password !== 'string' || password.length < 10) throw new Error('a password needs at least 10 characters');
  const accounts = fs.existsSync(usersFile) ? readUsersFile(usersFile) : [];
  const rest = accounts.filter((a) => a.username !== username);
  rest.push({ username, role, password: hashOf(password) });
  writeUsersFile(usersFile, rest);
}

module.exports = { loadAccounts, setAccount, envPasswordName, readUsersFile };
