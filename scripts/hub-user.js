'use strict';
// `npm run user -- set <name> <role>`: set a login's password (asked on the terminal, or HUB_NEW_PASSWORD).
// `npm run user -- token add <name> <role>`: make an API token for an IT system; printed once, only its SHA-256 kept.
// `npm run user -- token list`: the tokens (name, role, created, last used). `npm run user -- token revoke <name>`.
const path = require('node:path');
const readline = require('node:readline');
const { setAccount } = require('../settings/accounts');
const { ROLES } = require('../settings/roles');
const { addToken, listTokens, revokeToken } = require('../settings/api-tokens');

const args = process.argv.slice(2);
const userDir = path.resolve(process.env.HUB_USER_DIR || path.join(__dirname, '..', 'data'));
const usersFile = path.resolve(process.env.HUB_USERS_FILE || path.join(userDir, 'users.json'));
const roles = Object.keys(ROLES).join(', ');
// What the command writes is its user's alone, like everything the hub writes (settings/private-files.js).
process.umask(0o077);

function usage() {
  console.error(`usage: npm run user -- set <name> <role>
       npm run user -- token add <name> <role>
       npm run user -- token list
       npm run user -- token revoke <name>
roles: ${roles}`);
  process.exit(2);
}

/** @param {unknown} err */
function fail(err) {
  console.error(`user: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

/** @param {string} question @returns {Promise<string>} */
function ask(question) {
  if (process.env.HUB_NEW_PASSWORD) return Promise.resolve(process.env.HUB_NEW_PASSWORD);
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  return new Promise((resolve) => rl.question(question, (answer) => (rl.close(), resolve(answer))));
}

if (args[0] === 'token') {
  const [, sub, name, role] = args;
  try {
    if (sub === 'add' && name && role) {
      const token = addToken(userDir, name, role);
      console.log(`API token ${name} (role ${role}). It is shown only now; the hub keeps only its SHA-256:`);
      console.log(token);
      console.log('Send it as the header  Authorization: Bearer <token>');
    } else if (sub === 'list' && !name) {
      const list = listTokens(userDir);
      if (!list.length) console.log('No API tokens.');
      for (const t of list) console.log(`${t.name.padEnd(20)} ${t.role.padEnd(11)} created ${t.created}  last used ${t.lastUsed || 'never'}`);
    } else if (sub === 'revoke' && name && !role) {
      if (!revokeToken(userDir, name)) fail(new Error(`no API token named ${name}`));
      console.log(`Revoked ${name}; the hub refuses it from now on.`);
    } else {
      usage();
    }
  } catch (err) {
    fail(err);
  }
} else if (args[0] === 'set' && args[1] && args[2] && args.length === 3) {
  const [, username, role] = args;
  ask(`New password for ${username}: `).then((password) => {
    try {
      setAccount(usersFile, username, role, password);
      console.log(`Saved ${username} (${role}) in ${usersFile}. Restart the hub to apply.`);
    } catch (err) {
      fail(err);
    }
  });
} else {
  usage();
}
