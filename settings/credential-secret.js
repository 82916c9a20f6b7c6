'use strict';
// The key Node-RED encrypts flow credentials with. Production sets HUB_CREDENTIAL_SECRET; a demo run
// generates one and keeps it in the user directory (mode 0600) so that restarts can still decrypt.
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

/**
 * @param {{ userDir: string, env: NodeJS.ProcessEnv }} options
 * @returns {{ secret: string, source: 'environment' | 'file' | 'generated', file?: string }}
 */
function credentialSecret({ userDir, env }) {
  if (env.HUB_CREDENTIAL_SECRET) return { secret: env.HUB_CREDENTIAL_SECRET, source: 'environment' };
  const file = path.join(userDir, '.credential-secret');
  if (fs.existsSync(file)) {
    const secret = fs.readFileSync(file, 'utf8').trim();
    if (!secret) throw new Error(`${file} is empty: restore it, or set HUB_CREDENTIAL_SECRET`);
    return { secret, source: 'file', file };
  }
  const secret = crypto.randomBytes(32).toString('base64url');
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(file, secret + '\n', { mode: 0o600 });
  return { secret, source: 'generated', file };
}

module.exports = { credentialSecret };
