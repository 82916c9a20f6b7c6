/** First-run accounts and the credential secret: no default password, hashes only on disk. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { tempDir } from '../support/hub-process';

import { loadAccounts, setAccount } from '../../settings/accounts';
import { credentialSecret } from '../../settings/credential-secret';

describe('settings: accounts and secrets', () => {
  it('creates one account per role on first run, shows each password once and keeps only hashes', () => {
    const usersFile = path.join(tempDir('accounts'), 'users.json');
    const first = loadAccounts({ usersFile, env: {} });
    assert.deepEqual(first.created.map((c) => `${c.username}:${c.role}`), ['admin:admin', 'integrator:integrator', 'technician:technician', 'operator:operator']);
    const onDisk = fs.readFileSync(usersFile, 'utf8');
    for (const c of first.created) {
      assert.ok(c.password.length >= 16, 'a strong generated password');
      assert.ok(!onDisk.includes(c.password), 'plain password never written');
      const account = first.accounts.find((a) => a.username === c.username)!;
      assert.ok(bcrypt.compareSync(c.password, account.password));
    }
    assert.equal(fs.statSync(usersFile).mode & 0o777, 0o600);
    const second = loadAccounts({ usersFile, env: {} });
    assert.deepEqual(second.created, [], 'shown only once');
    assert.equal(second.accounts.length, 4);
  });

  it('takes passwords from the environment without writing them', () => {
    const usersFile = path.join(tempDir('accounts'), 'users.json');
    const { accounts, created, fromEnv } = loadAccounts({ usersFile, env: { HUB_ADMIN_PASSWORD: 'from-the-vault-123' } });
    assert.deepEqual(fromEnv, ['admin']);
    assert.ok(!created.some((c) => c.username === 'admin'));
    assert.ok(bcrypt.compareSync('from-the-vault-123', accounts.find((a) => a.username === 'admin')!.password));
    assert.ok(!fs.readFileSync(usersFile, 'utf8').includes('"admin"'), 'environment accounts stay out of the file');
  });

  it('rejects a users file with a plain password or an unknown role, naming the entry', () => {
    const usersFile = path.join(tempDir('accounts'), 'users.json');
    fs.writeFileSync(usersFile, JSON.stringify({ users: [{ username: 'bob', role: 'operator', password: 'hunter2' }] }));
    assert.throws(() => loadAccounts({ usersFile, env: {} }), /entry 1 \(bob\): password must be a bcrypt hash/);
    fs.writeFileSync(usersFile, JSON.stringify({ users: [{ username: 'bob', role: 'boss', password: bcrypt.hashSync('x', 4) }] }));
    assert.throws(() => loadAccounts({ usersFile, env: {} }), /unknown role "boss"/);
  });

  it('sets an account from the user command', () => {
    const usersFile = path.join(tempDir('accounts'), 'users.json');
    setAccount(usersFile, 'alice', 'technician', 'a-long-password');
    const { accounts } = loadAccounts({ usersFile, env: {} });
    const alice = accounts.find((a) => a.username === 'alice')!;
    assert.equal(alice.role, 'technician');
    assert.ok(bcrypt.compareSync('a-long-password', alice.password));
    assert.throws(() => setAccount(usersFile, 'alice', 'technician', 'short'), /at least 10 characters/);
  });

  it('generates the credential secret once, keeps it private, and prefers the environment', () => {
    const userDir = tempDir('secret');
    const first = credentialSecret({ userDir, env: {} });
    assert.equal(first.source, 'generated');
    assert.equal(fs.statSync(first.file!).mode & 0o777, 0o600);
    const again = credentialSecret({ userDir, env: {} });
    assert.equal(again.source, 'file');
    assert.equal(again.secret, first.secret);
    assert.equal(credentialSecret({ userDir, env: { HUB_CREDENTIAL_SECRET: 'vault' } }).secret, 'vault');
  });
});
