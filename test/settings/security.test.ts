/**
 * The hub's settings against a real Node-RED runtime: login required, roles enforced, dashboard and
 * HTTP endpoints behind authentication, projects and multiplayer on, persisted context survives a restart.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { HubProcess, basicAuth, tempDir } from '../support/hub-process';

const TAB = 'c0ffee0000000001';
const SECRET = 'sEcReT-erp-password-42';
const counterFlow = [
  { id: TAB, type: 'tab', label: 'persist' },
  {
    id: 'c0ffee0000000002',
    type: 'inject',
    z: TAB,
    once: true,
    onceDelay: '0.1',
    repeat: '',
    topic: '',
    props: [],
    wires: [['c0ffee0000000003']],
  },
  {
    id: 'c0ffee0000000003',
    type: 'change',
    z: TAB,
    rules: [{ t: 'set', p: 'starts', pt: 'flow', to: '$flowContext("starts") ? $flowContext("starts") + 1 : 1', tot: 'jsonata' }],
    wires: [[]],
  },
  { id: 'c0ffee0000000004', type: 'http in', z: TAB, url: '/ping', method: 'get', wires: [['c0ffee0000000005']] },
  { id: 'c0ffee0000000005', type: 'http response', z: TAB, statusCode: '200', wires: [] },
  {
    id: 'c0ffee0000000006',
    type: 'http request',
    z: TAB,
    method: 'GET',
    url: 'https://erp.example.invalid/',
    authType: 'basic',
    credentials: { user: 'erp-user', password: SECRET },
    wires: [[]],
  },
];

describe('settings: a secure, collaborative hub', function () {
  this.timeout(120000);
  const userDir = path.join(tempDir('security'), 'userdir');
  const hub = new HubProcess({ userDir });

  before(() => hub.start());
  after(() => hub.stop());

  it('asks for a login before the editor API answers', async () => {
    const login = await hub.api(undefined, 'GET', '/auth/login');
    assert.equal(login.status, 200);
    assert.equal(((await login.json()) as { type: string }).type, 'credentials');
    assert.equal((await hub.api(undefined, 'GET', '/flows')).status, 401);
    assert.equal((await hub.api(undefined, 'GET', '/settings')).status, 401);
    const wrong = await hub.fetch('/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-editor', grant_type: 'password', scope: '*', username: 'admin', password: 'admin' }),
    });
    assert.equal(wrong.status, 403, 'no default password');
  });

  it('serves the editor page itself, which then shows the login dialog', async () => {
    const res = await hub.fetch('/');
    assert.equal(res.status, 200);
    assert.match(await res.text(), /Factory Hub/);
  });

  it('enables projects and multiplayer editing', async () => {
    const token = await hub.login('admin');
    const settings = (await (await hub.api(token, 'GET', '/settings')).json()) as {
      editorTheme: { projects: { enabled: boolean }; multiplayer: { enabled: boolean } };
      flowEncryptionType?: string;
    };
    assert.equal(settings.editorTheme.projects.enabled, true);
    assert.equal(settings.editorTheme.multiplayer.enabled, true);
    assert.equal((await hub.api(token, 'GET', '/projects')).status, 200);
  });

  it('gives each role its rights: only admin and integrator deploy', async () => {
    const flows = counterFlow;
    for (const role of ['operator', 'technician'] as const) {
      const token = await hub.login(role);
      assert.equal((await hub.api(token, 'GET', '/flows')).status, 200, `${role} reads flows`);
      const res = await hub.api(token, 'POST', '/flows', flows, { 'Node-RED-Deployment-Type': 'full' });
      // Logged in without the permission: 403 (settings/permission-refusal.js; test/settings/roles.test.ts has every case).
      assert.equal(res.status, 403, `${role} cannot deploy`);
      assert.equal((await hub.api(token, 'POST', '/nodes', { module: 'node-red-node-random' })).status, 403, `${role} cannot install`);
    }
    const integrator = await hub.login('integrator');
    assert.equal((await hub.api(integrator, 'POST', '/nodes', { module: 'node-red-node-random' })).status, 403, 'integrator cannot install modules');
    const from = hub.log.length;
    const res = await hub.api(integrator, 'POST', '/flows', flows, { 'Node-RED-Deployment-Type': 'full' });
    assert.ok([200, 204].includes(res.status), `integrator deploys: HTTP ${res.status}`);
    await hub.waitForLog(/Started flows/, from);
  });

  it('keeps the dashboard and HTTP-in endpoints behind a login', async () => {
    assert.equal((await hub.fetch('/ping')).status, 401);
    assert.equal((await hub.fetch('/ping', { headers: { authorization: basicAuth('operator') } })).status, 200);
    const wrong = `Basic ${Buffer.from('operator:nope').toString('base64')}`;
    assert.equal((await hub.fetch('/ping', { headers: { authorization: wrong } })).status, 401);
    assert.equal((await hub.fetch('/ui/')).status, 401);
    assert.equal((await hub.fetch('/ui/', { headers: { authorization: basicAuth('operator') } })).status, 200);
  });

  it('writes flows pretty-printed and keeps credentials encrypted', () => {
    const text = fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8');
    assert.match(text, /^\[\n {4}\{/, 'one property per line');
    assert.ok(!text.includes(SECRET), 'no password in the flow file');
    const creds = JSON.parse(fs.readFileSync(path.join(userDir, 'flows_cred.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(creds), ['$'], 'credentials file holds only ciphertext');
    assert.ok(!JSON.stringify(creds).includes(SECRET));
  });

  it('keeps persisted context through a restart', async () => {
    const read = async (): Promise<unknown> => {
      const token = await hub.login('admin');
      const res = await hub.api(token, 'GET', `/context/flow/${TAB}?store=default`);
      const body = (await res.json()) as Record<string, Record<string, { msg: string }>>;
      return body.default?.starts?.msg;
    };
    await waitFor(async () => (await read()) === '1');
    await hub.stop();
    await hub.start();
    await waitFor(async () => (await read()) === '2');
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
