/**
 * Files private: after a real run (an older user directory with world-readable files, a login, a
 * deploy with persisted context and an ERP outbox, a dashboard login, an API token, the audit) every
 * file under the user directory is 0600-ish (no group or other bits) and every directory 0700; a
 * symbolic link's target outside is left alone; the hub says once at start what it corrected.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HubProcess, ROLE_PASSWORDS, repoRoot, tempDir } from '../support/hub-process';

const TAB = 'f11e000000000001';
const flow = [
  { id: TAB, type: 'tab', label: 'private' },
  { id: 'f11e000000000002', type: 'inject', z: TAB, once: true, onceDelay: '0.1', repeat: '', topic: '', props: [], wires: [['f11e000000000003']] },
  { id: 'f11e000000000003', type: 'change', z: TAB, rules: [{ t: 'set', p: 'starts', pt: 'flow', to: '1', tot: 'num' }], wires: [[]] },
  {
    id: 'f11e000000000004', type: 'fh-erp-connection', name: 'mes', dialect: 'rest', baseUrl: 'http://127.0.0.1:9/', authType: 'none', timeout: 2, connectTimeout: 2,
    retryBase: 1, retryCap: 5, settle: 0.1, concurrency: 1, maxRecords: 100, maxMB: 1, restMethod: 'POST', restUrl: '/b', restBody: '{"key": "{{key}}"}', restLookupUrl: '/b?key={{key}}', restKinds: 'confirmation',
  },
];

/** Every file and directory under `dir` (symbolic links listed apart, not followed). */
function walk(dir: string, out: { files: string[]; dirs: string[]; links: string[] } = { files: [], dirs: [], links: [] }): typeof out {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isSymbolicLink()) out.links.push(full);
    else if (e.isDirectory()) {
      out.dirs.push(full);
      walk(full, out);
    } else out.files.push(full);
  }
  return out;
}

describe('files private to the hub user', function () {
  this.timeout(120000);
  const base = tempDir('private');
  const userDir = path.join(base, 'userdir');
  const outside = path.join(base, 'outside.txt');
  const hub = new HubProcess({ userDir, env: { HUB_CREDENTIAL_SECRET: '' } });

  before(async () => {
    // What an older hub (umask 022) left: a readable secret, context and a directory others may list.
    fs.mkdirSync(path.join(userDir, 'context', 'global'), { recursive: true, mode: 0o755 });
    fs.chmodSync(userDir, 0o755);
    fs.chmodSync(path.join(userDir, 'context'), 0o755);
    fs.writeFileSync(path.join(userDir, '.credential-secret'), 'old-secret-from-an-older-run\n', { mode: 0o644 });
    fs.chmodSync(path.join(userDir, '.credential-secret'), 0o644);
    fs.writeFileSync(path.join(userDir, 'context', 'global', 'global.json'), '{}\n');
    fs.chmodSync(path.join(userDir, 'context', 'global', 'global.json'), 0o644);
    fs.writeFileSync(outside, 'not the hub’s\n');
    fs.chmodSync(outside, 0o644);
    fs.symlinkSync(outside, path.join(userDir, 'link-to-outside'));
    await hub.start();
  });
  after(() => hub.stop());

  it('corrects what it found, says so once, and keeps everything it writes private', async () => {
    assert.equal(hub.log.match(/Made \d+ file\(s\) and \d+ director\(ies\) in .* private/g)?.length, 1, hub.log);
    const admin = await hub.login('admin'); // .sessions.json
    const from = hub.log.length;
    assert.ok([200, 204].includes((await hub.api(admin, 'POST', '/flows', flow, { 'Node-RED-Deployment-Type': 'full' })).status));
    await hub.waitForLog(/Started flows/, from);
    const page = await hub.fetch('/factoryhub/login', {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: hub.url },
      body: new URLSearchParams({ username: 'operator', password: ROLE_PASSWORDS.operator }).toString(),
    });
    assert.equal(page.status, 303); // .dashboard-sessions.json, and the login audit
    const token = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'hub-user.js'), 'token', 'add', 'bi', 'operator'], { env: { ...process.env, HUB_USER_DIR: userDir }, encoding: 'utf8' });
    assert.equal(token.status, 0, token.stderr);
    await hub.stop(); // context is written on close
    await hub.start();
    await hub.stop();

    const { files, dirs, links } = walk(userDir);
    const names = files.map((f) => path.relative(userDir, f));
    for (const want of ['flows.json', '.sessions.json', '.dashboard-sessions.json', 'users.json', '.credential-secret', 'tokens.json', `context/${TAB}/flow.json`]) {
      assert.ok(names.includes(want), `${want} written (have ${names.join(', ')})`);
    }
    assert.ok(names.some((n) => /^audit\/auth-\d{4}-\d{2}-\d{2}\.jsonl$/.test(n)), 'login audit');
    assert.ok(names.some((n) => /^factoryhub\/erp\/.*\.sqlite$/.test(n)), `ERP outbox (have ${names.join(', ')})`);
    const open = [...files, ...dirs, userDir].filter((f) => fs.statSync(f).mode & 0o077).map((f) => `${path.relative(userDir, f) || '.'} ${(fs.statSync(f).mode & 0o777).toString(8)}`);
    assert.deepEqual(open, [], 'readable by others');
    for (const f of files) assert.equal(fs.statSync(f).mode & 0o777 & ~0o100, 0o600, f);
    for (const d of [...dirs, userDir]) assert.equal(fs.statSync(d).mode & 0o777, 0o700, d);
    assert.equal(links.length, 1);
    assert.equal(fs.statSync(outside).mode & 0o777, 0o644, 'the link was not followed');
    // The second start found nothing to correct.
    assert.equal(hub.log.match(/Made \d+ file\(s\)/g)?.length, 1, hub.log.split('\n').filter((l) => l.includes('Made ')).join('\n'));
  });
});
