'use strict';
// `npm run user -- set <name> <role>`: set a login's password (asked on the terminal, or HUB_NEW_PASSWORD).
const path = require('node:path');
const readline = require('node:readline');
const { setAccount } = require('../settings/accounts');
const { ROLES } = require('../settings/roles');

const [command, username, role] = process.argv.slice(2);
const userDir = path.resolve(process.env.HUB_USER_DIR || path.join(__dirname, '..', 'data'));
const usersFile = path.resolve(process.env.HUB_USERS_FILE || path.join(userDir, 'users.json'));

if (command !== 'set' || !username || !role) {
  console.error(`usage: npm run user -- set <name> <role>   roles: ${Object.keys(ROLES).join(', ')}`);
  process.exit(2);
}

/** @param {string} question @returns {Promise<string>} */
function ask(question) {
  if (process.env.HUB_NEW_PASSWORD) return Promise.resolve(process.env.HUB_NEW_PASSWORD);
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  return new Promise((resolve) => rl.question(question, (answer) => (rl.close(), resolve(answer))));
}

ask(`New password for ${username}: `).then((password) => {
  try {
    setAccount(usersFile, username, role, password);
    console.log(`Saved ${username} (${role}) in ${usersFile}. Restart the hub to apply.`);
  } catch (err) {
    console.error(`user: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
});
