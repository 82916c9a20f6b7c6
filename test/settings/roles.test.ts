/**
 * The roles of settings/roles.js against a real hub: what each role can and cannot do through the HTTP
 * API, Node-RED's routes and this package's alike; a refusal is a 403 whose JSON names the missing
 * permission (401 only without a login); exec and raw file nodes are out of the palette unless the admin
 * allows them (HUB_ALLOW_NODES); the editor still loads, read-only, for the operator and the technician
 * (Chromium). The expected rights are written out here, independently of roles.js.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { HubProcess, ROLE_PASSWORDS, basicAuth, tempDir } from '../support/hub-process';
import { launchBrowser } from '../support/browser';
import type { Role } from '../support/hub-process';

const TAB = 'e0e0000000000001';
const BROKER = 'e0e0000000000002';
const INJECT = 'e0e0000000000003';
const ERP_USER = 'erp-service-user';
const ROLES: readonly Role[] = ['admin', 'integrator', 'technician', 'operator'];

const flows = [
  { id: TAB, type: 'tab', label: 'roles' },
  { id: INJECT, type: 'inject', z: TAB, props: [], repeat: '', once: false, topic: '', wires: [[]] },
  // A config node no flow uses (so it never connects), with a user name in its credentials.
  { id: BROKER, type: 'mqtt-broker', name: 'erp bus', broker: 'erp.example.invalid', port: '1883', credentials: { user: ERP_USER, password: 'not-shown-anyway' } },
];

interface Check {
  readonly method: string;
  readonly route: string;
  readonly body?: unknown;
  readonly permission: string;
  /** Who may; everyone else gets 403 naming `permission`. */
  readonly allowed: readonly Role[];
}

const ALL = ROLES;
const BUILDERS: readonly Role[] = ['admin', 'integrator'];

/** The permission matrix, as the README's role table states it. */
const CHECKS: readonly Check[] = [
  { method: 'GET', route: '/flows', permission: 'flows.read', allowed: ALL },
  { method: 'GET', route: '/settings', permission: 'settings.read', allowed: ALL },
  { method: 'GET', route: '/nodes', permission: 'nodes.read', allowed: ALL },
  { method: 'GET', route: '/plugins', permission: 'plugins.read', allowed: ALL },
  { method: 'GET', route: '/factoryhub/tag-maps', permission: 'tagmaps.read', allowed: ALL },
  { method: 'POST', route: '/flows', body: flows, permission: 'flows.write', allowed: BUILDERS },
  { method: 'GET', route: `/credentials/mqtt-broker/${BROKER}`, permission: 'credentials.read', allowed: BUILDERS },
  { method: 'GET', route: '/diagnostics', permission: 'diagnostics.read', allowed: BUILDERS },
  { method: 'GET', route: '/context/global', permission: 'context.read', allowed: BUILDERS },
  { method: 'GET', route: `/context/flow/${TAB}`, permission: 'context.read', allowed: BUILDERS },
  { method: 'DELETE', route: '/context/global/nothing', permission: 'context.write', allowed: BUILDERS },
  { method: 'GET', route: '/library/local/flows', permission: 'library.read', allowed: BUILDERS },
  { method: 'POST', route: `/inject/${INJECT}`, body: {}, permission: 'inject.write', allowed: BUILDERS },
  { method: 'POST', route: '/debug/enable', body: {}, permission: 'debug.write', allowed: BUILDERS },
  { method: 'POST', route: '/settings/user', body: {}, permission: 'settings.write', allowed: BUILDERS },
  // The editor waits for the project list before it loads the flows: every role reads it.
  { method: 'GET', route: '/projects', permission: 'projects.read', allowed: ALL },
  { method: 'POST', route: '/projects', body: { name: '../outside' }, permission: 'projects.write', allowed: ['admin'] },
  { method: 'PUT', route: '/projects/nope', body: { active: true }, permission: 'projects.write', allowed: ['admin'] },
  { method: 'PUT', route: '/nodes/no-such-module', body: { enabled: true }, permission: 'nodes.write', allowed: ['admin'] },
  { method: 'GET', route: '/factoryhub/opcua/endpoints/nope/browse', permission: 'opcua.read', allowed: ['admin', 'integrator', 'technician'] },
  { method: 'GET', route: '/factoryhub/opcua/certificates', permission: 'opcua.read', allowed: ['admin', 'integrator', 'technician'] },
  { method: 'POST', route: '/factoryhub/opcua/certificates/trusted', body: { thumbprint: 'x' }, permission: 'opcua.write', allowed: BUILDERS },
  { method: 'GET', route: '/factoryhub/erp/outboxes', permission: 'erp.read', allowed: BUILDERS },
  { method: 'POST', route: '/factoryhub/erp/outboxes/nope/retry', body: {}, permission: 'erp.write', allowed: BUILDERS },
  { method: 'GET', route: '/factoryhub/audit/writes', permission: 'audit.read', allowed: ['admin'] },
  { method: 'GET', route: '/factoryhub/audit/tag-maps', permission: 'audit.read', allowed: ['admin'] },
  { method: 'GET', route: '/factoryhub/kpi/stores', permission: 'kpi.read', allowed: ALL },
];

interface Refusal {
  error: string;
  message: string;
  code: string;
  permission: string;
  user: string;
}

describe('settings/roles: each role exactly its rights, refusals that name the permission (real hub)', function () {
  this.timeout(180_000);
  const hub = new HubProcess({ userDir: path.join(tempDir('roles'), 'userdir'), env: { HUB_SIMULATOR: '0', HUB_DEMO_ERP: '0' } });
  const tokens = new Map<Role, string>();

  before(async () => {
    await hub.start();
    for (const role of ROLES) tokens.set(role, await hub.login(role));
    const from = hub.log.length;
    const res = await hub.api(tokens.get('admin'), 'POST', '/flows', flows, { 'Node-RED-Deployment-Type': 'full' });
    assert.ok([200, 204].includes(res.status), `deploy: HTTP ${res.status}`);
    await hub.waitForLog(/Started flows/, from);
  });

  after(() => hub.stop());

  it('answers each role as the role table says: allowed, or 403 with the missing permission in JSON', async () => {
    const table: string[] = [];
    for (const check of CHECKS) {
      for (const role of ROLES) {
        const what = `${check.method} ${check.route} as ${role}`;
        const headers: Record<string, string> = check.route === '/flows' && check.method === 'POST' ? { 'Node-RED-Deployment-Type': 'full' } : {};
        const res = await hub.api(tokens.get(role), check.method, check.route, check.body, headers);
        const text = await res.text();
        if (check.allowed.includes(role)) {
          assert.ok(![401, 403].includes(res.status), `${what}: HTTP ${res.status} ${text.slice(0, 200)}`);
          assert.ok(res.status < 500, `${what}: HTTP ${res.status} ${text.slice(0, 200)}`);
        } else {
          assert.equal(res.status, 403, `${what}: HTTP ${res.status} ${text.slice(0, 200)}`);
          assert.match(res.headers.get('content-type') ?? '', /application\/json/, what);
          const body = JSON.parse(text) as Refusal;
          assert.deepEqual(
            { ...body, error: undefined, message: undefined },
            { error: undefined, message: undefined, code: 'permission_denied', permission: check.permission, user: role },
            what,
          );
          assert.equal(body.error, `the account "${role}" lacks the permission ${check.permission}; ask an admin for a role that has it`, what);
          assert.equal(body.message, body.error);
        }
        table.push(`${what}: ${res.status}`);
      }
    }
    assert.equal(table.length, CHECKS.length * ROLES.length);
  });

  it('answers 401, not 403, without a login, on Node-RED routes and the package routes alike', async () => {
    for (const route of ['/flows', '/diagnostics', '/context/global', '/factoryhub/audit/writes', '/factoryhub/opcua/certificates']) {
      assert.equal((await hub.api(undefined, 'GET', route)).status, 401, route);
      assert.equal((await hub.api('not-a-token', 'GET', route)).status, 401, `${route} with a bad token`);
    }
  });

  it("keeps credentials' user names from the operator and the technician, not from the integrator", async () => {
    const route = `/credentials/mqtt-broker/${BROKER}`;
    const integrator = await hub.api(tokens.get('integrator'), 'GET', route);
    assert.equal(integrator.status, 200);
    assert.equal(((await integrator.json()) as { user?: string }).user, ERP_USER);
    for (const role of ['operator', 'technician'] as const) {
      const res = await hub.api(tokens.get(role), 'GET', route);
      assert.equal(res.status, 403);
      assert.doesNotMatch(await res.text(), new RegExp(ERP_USER));
      // Nor through the flows: GET /flows carries no credentials.
      assert.doesNotMatch(await (await hub.api(tokens.get(role), 'GET', '/flows')).text(), new RegExp(ERP_USER));
    }
  });

  it('lets no one but the admin create or open a project (which would stop the flows)', async () => {
    const res = await hub.api(tokens.get('integrator'), 'POST', '/projects', { name: 'takeover', files: { flow: 'flows.json' } });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as Refusal).permission, 'projects.write');
    const list = (await (await hub.api(tokens.get('admin'), 'GET', '/projects')).json()) as { projects: string[] };
    assert.deepEqual(list.projects, []);
  });

  it('leaves exec, file, file in and watch out of the palette by default, and says so at start', async () => {
    assert.match(hub.log, /Palette: exec, file, file in, watch left out \(OS commands and raw file access\); an admin allows them with HUB_ALLOW_NODES=exec,file,watch\./);
    const types = await nodeTypes(hub, tokens.get('admin'));
    for (const type of ['exec', 'file', 'file in', 'watch']) assert.ok(!types.includes(type), `${type} in the palette`);
    for (const type of ['function', 'inject', 'http request', 'fh-tag-map']) assert.ok(types.includes(type), `${type} missing`);
    // A flow with an exec node is taken but does not start: Node-RED waits for the missing type.
    const from = hub.log.length;
    const execFlow = [{ id: TAB, type: 'tab', label: 'exec' }, { id: 'e0e0000000000009', type: 'exec', z: TAB, command: 'id', addpay: '', append: '', useSpawn: 'false', timer: '', wires: [[], [], []] }];
    const res = await hub.api(tokens.get('integrator'), 'POST', '/flows', execFlow, { 'Node-RED-Deployment-Type': 'full' });
    assert.ok([200, 204].includes(res.status), `deploy: HTTP ${res.status}`);
    await hub.waitForLog(/Waiting for missing types to be registered:[\s\S]*- exec/, from);
    assert.doesNotMatch(hub.log.slice(from), /Started flows/);
    const back = hub.log.length;
    await hub.api(tokens.get('admin'), 'POST', '/flows', flows, { 'Node-RED-Deployment-Type': 'full' });
    await hub.waitForLog(/Started flows/, back);
  });

  describe('in the editor (Chromium)', () => {
    let browser: Browser | undefined;
    before(async () => {
      browser = await launchBrowser(hub);
    });
    after(() => browser?.close());

    for (const role of ['operator', 'technician'] as const) {
      it(`loads for the ${role}: read-only, no login loop, a 403 (never a 401) for what it may not read`, async () => {
        const page = await browser!.newPage();
        const refused: string[] = [];
        let loggedIn = false; // before the login, GET /settings is a 401 that brings up the login dialog
        page.on('response', (r) => {
          if (loggedIn && [401, 403].includes(r.status())) refused.push(`${r.status()} ${new URL(r.url()).pathname}`);
        });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(`${hub.url}/`, { waitUntil: 'domcontentloaded' });
        await page.fill('#node-dialog-login-username', role);
        await page.fill('#node-dialog-login-password', ROLE_PASSWORDS[role]);
        loggedIn = true;
        await page.click('#node-dialog-login-submit');
        // Loaded: the deployed flows are in the workspace.
        await page.waitForFunction((id) => (globalThis as { RED?: { nodes?: { node?(id: string): unknown } } }).RED?.nodes?.node?.(id) != null, INJECT, { timeout: 60_000 });
        await page.waitForTimeout(1500); // let the editor's follow-up requests (projects, sidebar) finish
        assert.equal(await page.locator('#node-dialog-login-username').isVisible(), false, 'no second login dialog');
        assert.equal(await page.locator('#red-ui-header-button-deploy').evaluate((b) => b.classList.contains('disabled')), true, 'no deploy');
        assert.deepEqual(errors, [], 'no page errors');
        // Only what the role lacks is refused, each with 403 (never the 401 that means "log in again").
        assert.ok(refused.every((r) => r.startsWith('403 ')), refused.join(', '));
        // A config node with credentials: its dialog asks for them, gets a 403 and says so (no login dialog).
        await page.evaluate((id) => (globalThis as unknown as { RED: { editor: { editConfig(n: string, t: string, id: string): void } } }).RED.editor.editConfig('', 'mqtt-broker', id), BROKER);
        await page.locator('.red-ui-tray #node-config-input-broker').waitFor({ state: 'attached', timeout: 15_000 });
        await page.locator('.red-ui-notification:has-text("Failed to load node credentials")').waitFor({ timeout: 15_000 });
        assert.ok(refused.includes(`403 /credentials/mqtt-broker/${BROKER}`), refused.join(', '));
        const notices = await page.locator('.red-ui-notification').allInnerTexts();
        await page.screenshot({ path: path.join(hub.options.userDir, '..', `editor-${role}.png`) });
        process.stdout.write(`      ${role}: refused ${refused.join(', ') || 'nothing'}; notices: ${notices.map((n) => n.replace(/\s+/g, ' ').slice(0, 120)).join(' | ') || 'none'}\n`);
        await page.close();
      });
    }
  });
});

describe('settings/palette: HUB_ALLOW_NODES lets the admin put exec, file and watch back (real hub)', function () {
  this.timeout(120_000);
  const hub = new HubProcess({ userDir: path.join(tempDir('roles-allow'), 'userdir'), env: { HUB_SIMULATOR: '0', HUB_DEMO_ERP: '0', HUB_ALLOW_NODES: 'exec,file,watch' } });
  before(() => hub.start());
  after(() => hub.stop());

  it('has them in the palette and runs an exec node', async () => {
    assert.match(hub.log, /Palette: exec, file, file in, watch allowed by HUB_ALLOW_NODES: whoever deploys flows can use them\./);
    const admin = await hub.login('admin');
    const types = await nodeTypes(hub, admin);
    for (const type of ['exec', 'file', 'file in', 'watch']) assert.ok(types.includes(type), `${type} missing`);
    const tab = 'e1e1000000000001';
    const flow = [
      { id: tab, type: 'tab', label: 'exec' },
      { id: 'e1e1000000000002', type: 'http in', z: tab, url: '/run', method: 'get', wires: [['e1e1000000000003']] },
      { id: 'e1e1000000000003', type: 'exec', z: tab, command: 'echo hub-exec-ran', addpay: '', append: '', useSpawn: 'false', timer: '', wires: [['e1e1000000000004'], [], []] },
      { id: 'e1e1000000000004', type: 'http response', z: tab, statusCode: '200', wires: [] },
    ];
    const from = hub.log.length;
    const res = await hub.api(await hub.login('integrator'), 'POST', '/flows', flow, { 'Node-RED-Deployment-Type': 'full' });
    assert.ok([200, 204].includes(res.status), `deploy: HTTP ${res.status}`);
    await hub.waitForLog(/Started flows/, from);
    const run = await hub.fetch('/run', { headers: { authorization: basicAuth('operator') } });
    assert.equal(run.status, 200);
    assert.equal((await run.text()).trim(), 'hub-exec-ran');
  });
});

/** The node types in the palette (GET /nodes). */
async function nodeTypes(hub: HubProcess, token: string | undefined): Promise<string[]> {
  const res = await hub.api(token, 'GET', '/nodes', undefined, { accept: 'application/json' });
  assert.equal(res.status, 200);
  return ((await res.json()) as { types: string[] }[]).flatMap((set) => set.types);
}
