'use strict';
// The user directory is the hub's alone: it holds login hashes, live session tokens, the credential
// secret, flows, context and the ERP outbox. Settings set umask 077 before anything is written, and
// correct what an older run (or a copy) left readable by others: group and other bits are cleared
// (a 644 file becomes 600, a 755 directory 700; the owner's bits stay, so an executable stays one).
// Symbolic links are not followed (lstat): nothing outside the directory is changed.
const fs = require('node:fs');
const path = require('node:path');

/** Most entries looked at (a user directory with a large node_modules is still bounded). */
const MAX_ENTRIES = 200000;

/**
 * @param {string} dir
 * @returns {{ files: number, dirs: number, failed: string[], truncated: boolean }} what was corrected
 */
function makePrivate(dir) {
  const result = { files: 0, dirs: 0, failed: /** @type {string[]} */ ([]), truncated: false };
  let seen = 0;
  /** @type {string[]} */
  const pending = [dir];
  while (pending.length) {
    const current = /** @type {string} */ (pending.pop());
    let st;
    try {
      st = fs.lstatSync(current);
    } catch {
      continue;
    }
    if (++seen > MAX_ENTRIES) {
      result.truncated = true;
      break;
    }
    if (st.isSymbolicLink() || !(st.isFile() || st.isDirectory())) continue;
    if (st.mode & 0o077) {
      try {
        fs.chmodSync(current, st.mode & 0o700);
        if (st.isDirectory()) result.dirs += 1;
        else result.files += 1;
      } catch {
        if (result.failed.length < 10) result.failed.push(current);
      }
    }
    if (st.isDirectory()) {
      try {
        for (const name of fs.readdirSync(current)) pending.push(path.join(current, name));
      } catch {
        if (result.failed.length < 10) result.failed.push(current);
      }
    }
  }
  return result;
}

/**
 * What settings.js does at start: umask 077 for everything the hub writes from now on, then the
 * existing files corrected; says once what it corrected.
 * @param {string} userDir @param {(line: string) => void} say
 */
function keepUserDirPrivate(userDir, say) {
  process.umask(0o077);
  fs.mkdirSync(userDir, { recursive: true, mode: 0o700 });
  const r = makePrivate(userDir);
  if (r.files || r.dirs) say(`Made ${r.files} file(s) and ${r.dirs} director(ies) in ${userDir} private to this user (they were readable by others).`);
  if (r.failed.length) say(`Warning: could not make private: ${r.failed.join(', ')}`);
  if (r.truncated) say(`Warning: ${userDir} has more than ${MAX_ENTRIES} entries; only the first were checked.`);
}

module.exports = { makePrivate, keepUserDirPrivate };
