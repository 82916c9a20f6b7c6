/**
 * API tokens for IT systems, made with the real command (`npm run user -- token …`) against a real hub:
 * stored hashed (0600), accepted as Bearer on http-in, /ui and the admin API with their role's
 * permissions, revoked without a restart, each use audited (bounded). And who, for the write audit: a
 * write to a Modbus device started by an http-in request records the user behind the request.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HubProcess, basicAuth, repoRoot, tempDir } from '../support/hub-process';
import { startModbusServer } from '../support/modbus-server';
import type { ModbusTestServer } from '../support/modbus-server';

const TAB = '70ce000000000001';

function flow(modbusPort: number): object[] {
  return [
    { id: TAB, type: 'tab', label: 'tokens' },
    { id: 'press-dev', type: 'fh-modbus-client', name: 'press', transport: 'tcp', host: '127.0.0.1', port: String(modbusPort), unitId: 1, timeout: 1000, reconnectMax: 1 },
    { id: 'press-map', type: 'fh-tag-map', name: 'press tags', rows: [{ name: 'press/speed', address: 'hr:10', dataType: 'uint16', access: 'read-write' }] },
    // GET /whoami answers the request's user as the flow sees it (msg.req.user).
    { id: '70ce000000000002', type: 'http in', z: TAB, url: '/whoami', method: 'get', wires: [['70ce000000000003']] },
    { id: '70ce000000000003', type: 'change', z: TAB, rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'req.user', tot: 'msg' }], wires: [['70ce000000000004']] },
    { id: '70ce000000000004', type: 'http response', z: TAB, statusCode: '200', wires: [] },
    // POST /speed {"press/speed": n} answers at once and writes the press.
    { id: '70ce000000000005', type: 'http in', z: TAB, url: '/speed', method: 'post', wires: [['70ce000000000004', '70ce000000000006']] },
    { id: '70ce000000000006', type: 'fh-modbus-write', z: TAB, name: 'press write', client: 'press-dev', tagMap: 'press-map', prefix: '', readBack: false, wires: [[]] },
  ];
}

describe('API tokens and who wrote', function () {
  this.timeout(120000);
  const userDir = path.join(tempDir('tokens'), 'userdir');
  const hub = new HubProcess({ userDir });
  let server: ModbusTestServer;
  let admin = '';

  const user = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'hub-user.js'), ...args], { env: { ...process.env, HUB_USER_DIR: userDir }, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

  before(async () => {
    server = await startModbusServer();
    await hub.start();
    admin = await hub.login('admin');
    const from = hub.log.length;
    const res = await hub.api(admin, 'POST', '/flows', flow(server.port), { 'Node-RED-Deployment-Type': 'full' });
    assert.ok([200, 204].includes(res.status));
    await hub.waitForLog(/Started flows/, from);
  });
  after(async () => {
    await hub.stop();
    await server.stop();
  });

  let bi = '';
  let ops = '';

  it('prints a token once and keeps only its SHA-256 in tokens.json (0600)', () => {
    const made = user('token', 'add', 'powerbi', 'operator');
    assert.equal(made.status, 0, made.stderr);
    bi = /^(fht_\S+)$/m.exec(made.stdout)?.[1] ?? '';
    assert.ok(bi.length > 40, made.stdout);
    const ops2 = user('token', 'add', 'mes-sync', 'integrator');
    ops = /^(fht_\S+)$/m.exec(ops2.stdout)?.[1] ?? '';
    const file = path.join(userDir, 'tokens.json');
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(!text.includes(bi) && !text.includes(ops), 'no token in the file');
    assert.match(text, /"hash": "[0-9a-f]{64}"/);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(user('token', 'add', 'powerbi', 'admin').status, 1, 'a name is taken once');
    assert.equal(user('token', 'add', 'x', 'superuser').status, 1, 'unknown role');
  });

  it('accepts a token on http-in, /ui and the admin API with its role, as req.user', async () => {
    const who = await hub.fetch('/whoami', { headers: bearer(bi) });
    assert.equal(who.status, 200);
    assert.deepEqual(await who.json(), { username: 'token:powerbi', role: 'operator' });
    assert.equal((await hub.fetch('/ui/', { headers: bearer(bi) })).status, 200);
    assert.equal((await hub.api(bi, 'GET', '/flows')).status, 200, 'operator reads the flows');
    assert.equal((await hub.api(bi, 'POST', '/flows', [], { 'Node-RED-Deployment-Type': 'full' })).status, 403, 'operator cannot deploy: 403 names the missing permission');
    assert.equal((await hub.api(ops, 'GET', '/settings')).status, 200);
    const wrong = await hub.fetch('/whoami', { headers: bearer('fht_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA') });
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /not valid/);
  });

  it('records who started a write to a machine from an http-in request (Basic and token)', async () => {
    for (const [auth, value] of [[basicAuth('integrator'), 1200], [`Bearer ${ops}`, 1300]] as const) {
      const res = await hub.fetch('/speed', { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ 'press/speed': value }) });
      assert.equal(res.status, 200);
    }
    type Write = { tag: string; value: unknown; result: string; user?: string };
    let writes: Write[] = [];
    for (let i = 0; i < 100 && writes.length < 2; i++) {
      writes = ((await (await hub.api(admin, 'GET', '/factoryhub/audit/writes')).json()) as { entries: Write[] }).entries;
      if (writes.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    const by = (v: number): Write | undefined => writes.find((w) => w.value === v);
    assert.equal(by(1200)?.user, 'integrator', JSON.stringify(writes));
    assert.equal(by(1300)?.user, 'token:mes-sync');
    assert.equal(by(1300)?.result, 'ok');
  });

  it('lists tokens with their last use, and a revoked one is refused at once, without a restart', async () => {
    const list = user('token', 'list');
    assert.match(list.stdout, /powerbi\s+operator\s+created \S+\s+last used \d{4}-/);
    assert.equal(user('token', 'revoke', 'powerbi').status, 0);
    const res = await hub.fetch('/whoami', { headers: bearer(bi) });
    assert.equal(res.status, 401);
    assert.equal((await hub.api(bi, 'GET', '/flows')).status, 401);
    assert.equal(user('token', 'revoke', 'powerbi').status, 1, 'gone');
    assert.doesNotMatch(user('token', 'list').stdout, /powerbi/);
  });

  it('audits token uses at most once a minute per token, and every refusal', async () => {
    type Entry = { event: string; how: string; user?: string; result: string };
    const entries = ((await (await hub.api(admin, 'GET', '/factoryhub/audit/auth')).json()) as { entries: Entry[] }).entries;
    const uses = entries.filter((e) => e.event === 'token' && e.user === 'token:powerbi');
    assert.equal(uses.length, 1, 'five uses within a minute: one line');
    assert.ok(entries.some((e) => e.how === 'token' && e.result === 'revoked'));
    assert.ok(entries.some((e) => e.how === 'token' && e.result === 'unknown-token'));
  });
});
