/**
 * The editor plugin (nodes/editor/) in a real browser (Debian's Chromium, headless, playwright-core)
 * against a real hub, as admin, integrator, technician and operator, each logged in through the
 * editor's login dialog: accounts without flows.write see why Deploy is off (tooltip, Ctrl+D
 * notification) and node dialogs open read-only; accounts with it edit a node and deploy; accounts with
 * audit.read get the "Audit" tab listing the write and tag-map logs newest first, page by page. What
 * each account may do is read from the editor at run time (RED.user.hasPermission), as the plugin
 * does, so the test follows the role table. Every page runs without a Content-Security-Policy
 * violation. Screenshots go to test-artifacts/hub-editor/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { HubProcess, ROLE_PASSWORDS, repoRoot, tempDir } from '../support/hub-process';
import { launchBrowser } from '../support/browser';
import type { Role } from '../support/hub-process';

const TAB = 'ed00000000000001';
const INJECT = 'ed00000000000003';
const MAP = 'ed00000000000002';
const FUNCTION = 'ed00000000000005';
const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'hub-editor');
/** Writes in the fixture day: more than one page of the sidebar (200), so paging shows. */
const WRITES = 250;

interface BrowserRED {
  nodes: { node(id: string): { name?: string } | null; dirty(): boolean };
  editor: { edit(node: unknown): void };
  sidebar: { show(id: string): void };
  user: { logout(): void; hasPermission(p: string): boolean };
  tray: { close(): void };
}
type EditorWindow = { RED: BrowserRED; fhCsp?: string[] };

describe('editor plugin: refusals and the audit, in a real browser (Chromium)', function () {
  this.timeout(180000);
  const userDir = path.join(tempDir('hub-editor'), 'userdir');
  const hub = new HubProcess({ userDir });
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  const violations: string[] = [];
  const today = new Date().toISOString().slice(0, 10);

  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
  const can = (permission: string): Promise<boolean> => page.evaluate((p) => (globalThis as unknown as EditorWindow).RED.user.hasPermission(p), permission);

  async function login(role: Role): Promise<void> {
    // Each test stands alone: one that failed while logged in leaves the editor open.
    if (!(await page.locator('#node-dialog-login-username').isVisible())) await logout();
    await page.fill('#node-dialog-login-username', role);
    await page.fill('#node-dialog-login-password', ROLE_PASSWORDS[role]);
    await page.click('#node-dialog-login-submit');
    await page.waitForFunction((id) => (globalThis as unknown as Partial<EditorWindow>).RED?.nodes?.node?.(id) != null, INJECT, { timeout: 60000 });
    // With projects on and none created, Node-RED offers an account that may change projects to create one.
    if (await can('projects.write')) await page.getByRole('button', { name: 'Not right now' }).click({ timeout: 20000 });
  }

  async function logout(): Promise<void> {
    await page.evaluate(() => (globalThis as unknown as EditorWindow).RED.user.logout());
    await page.waitForSelector('#node-dialog-login-username');
  }

  before(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    // The write log of today: WRITES entries, as the write nodes append them (audit-log.ts).
    fs.mkdirSync(path.join(userDir, 'audit'), { recursive: true });
    const lines = Array.from({ length: WRITES }, (_, i) =>
      JSON.stringify({ time: `${today}T08:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}.000Z`, flow: TAB, node: 'w1', device: '127.0.0.1:5020', tag: `plant/line1/filler/setpoint`, address: 'hr:10', value: i, result: i % 50 === 7 ? 'refused' : 'ok', user: 'operator' }),
    );
    fs.writeFileSync(path.join(userDir, 'audit', `writes-${today}.jsonl`), `${lines.join('\n')}\n`);
    const flow = [
      { id: TAB, type: 'tab', label: 'Line 1' },
      { id: MAP, type: 'fh-tag-map', name: 'line1', rows: [{ name: 'plant/line1/filler/count', address: 'hr:0', dataType: 'uint16' }] },
      { id: INJECT, type: 'inject', z: TAB, name: 'tick', props: [{ p: 'payload' }], repeat: '', once: false, topic: '', payload: '', payloadType: 'date', x: 120, y: 60, wires: [['ed00000000000004']] },
      { id: 'ed00000000000004', type: 'debug', z: TAB, name: 'out', active: true, complete: 'payload', x: 300, y: 60, wires: [] },
      { id: FUNCTION, type: 'function', z: TAB, name: 'scale', func: 'msg.payload = msg.payload * 2;\nreturn msg;', outputs: 1, x: 300, y: 120, wires: [[]] },
    ];
    const started = hub.start().then(async () => {
      const from = hub.log.length;
      const res = await hub.api(await hub.login('admin'), 'POST', '/flows', flow, { 'Node-RED-Deployment-Type': 'full' });
      assert.ok([200, 204].includes(res.status));
      await hub.waitForLog(/Started flows/, from);
      // One tag-map change, by the technician through the hub's route: the tag-map log's entry.
      const technician = await hub.login('technician');
      const got = (await (await hub.api(technician, 'GET', `/factoryhub/tag-maps/${MAP}`)).json()) as { rev: string };
      const put = await hub.api(technician, 'PUT', `/factoryhub/tag-maps/${MAP}`, { rev: got.rev, rows: [{ name: 'plant/line1/filler/count', address: 'hr:1', dataType: 'uint16' }] });
      assert.equal(put.status, 200, await put.text());
    });
    // The browser trusts exactly the certificate the hub made on its first start.
    await started;
    browser = await launchBrowser(hub);
    context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    await context.route((url) => url.origin !== new URL(hub.url).origin, (route) => route.abort());
    // Every CSP violation of every page, from the event the browser fires and from its console.
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        const w = globalThis as unknown as { fhCsp?: string[] };
        (w.fhCsp ??= []).push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
      });
    });
    page = await context.newPage();
    page.on('console', (m) => {
      if (/Refused to|Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.goto(`${hub.url}/`, { waitUntil: 'domcontentloaded' });
  });

  afterEach(async () => {
    const seen = await page.evaluate(() => (globalThis as unknown as EditorWindow).fhCsp ?? []).catch(() => []);
    assert.deepEqual([...violations, ...seen], [], 'no Content-Security-Policy violations');
  });

  after(async () => {
    await browser?.close();
    await hub.stop();
  });

  it('admin: edits a node in its dialog and deploys; no refusal shown; the Audit tab lists the logs newest first, paged', async () => {
    await login('admin');
    assert.equal(await page.getAttribute('.red-ui-deploy-button-group', 'title'), null, 'no refusal tooltip for an account that deploys');
    await page.evaluate((id) => {
      const RED = (globalThis as unknown as EditorWindow).RED;
      RED.editor.edit(RED.nodes.node(id));
    }, INJECT);
    await page.waitForSelector('#node-input-name');
    assert.equal(await page.locator('.fh-read-only-note').count(), 0);
    await page.fill('#node-input-name', 'tick renamed');
    await page.click('#node-dialog-ok');
    await page.waitForSelector('.red-ui-tray', { state: 'detached' });
    // The function node's code editor (Monaco, with its web workers) under the policy too.
    await page.evaluate((id) => {
      const RED = (globalThis as unknown as EditorWindow).RED;
      RED.editor.edit(RED.nodes.node(id));
    }, FUNCTION);
    const code = '#node-input-func-editor .view-lines';
    await page.waitForSelector(`${code}:has-text("msg.payload")`);
    await page.click(code);
    await page.keyboard.type('\n// doubled');
    await page.waitForTimeout(1500); // let Monaco start its workers (a CSP refusal shows then)
    await page.click('#node-dialog-ok');
    await page.waitForSelector('.red-ui-tray', { state: 'detached' });
    await page.click('#red-ui-header-button-deploy');
    await page.waitForFunction(() => !(globalThis as unknown as EditorWindow).RED.nodes.dirty(), undefined, { timeout: 20000 });
    const flows = (await (await hub.api(await hub.login('admin'), 'GET', '/flows')).json()) as { id: string; name?: string }[];
    assert.equal(flows.find((n) => n.id === INJECT)?.name, 'tick renamed', 'deployed');

    assert.equal(await can('audit.read'), true, 'admin reads the audit');
    await page.evaluate(() => (globalThis as unknown as EditorWindow).RED.sidebar.show('fh-audit'));
    await page.waitForSelector('.fh-audit-entry');
    const times = await page.$$eval('.fh-audit-entry .fh-audit-time', (els) => els.map((e) => e.textContent ?? ''));
    // 250 writes, pages of 200 read oldest first: the newest page holds the last 50, shown newest first.
    assert.equal(times.length, WRITES - 200);
    assert.equal(times[0], '08:04:09', 'newest first');
    assert.deepEqual([...times].sort().reverse(), times);
    assert.equal(await page.textContent('.fh-audit-position'), 'page 1 of 2');
    assert.match((await page.textContent('.fh-audit-entry')) ?? '', /operator .*ok: plant\/line1\/filler\/setpoint = 249 → 127\.0\.0\.1:5020 hr:10/);
    await page.click('.fh-audit-older');
    await page.waitForFunction(() => document.querySelector('.fh-audit-position')?.textContent === 'page 2 of 2');
    const older = await page.$$eval('.fh-audit-entry .fh-audit-time', (els) => els.map((e) => e.textContent ?? ''));
    assert.equal(older.length, 200);
    assert.equal(older[0], '08:03:19');
    assert.equal(older[older.length - 1], '08:00:00');
    assert.equal(await page.locator('.fh-audit-entry.fh-audit-refused').count(), 4, 'refused writes are marked');
    await page.selectOption('.fh-audit-log', 'tag-maps');
    await page.waitForFunction(() => /technician line1:/.test(document.querySelector('.fh-audit-entry')?.textContent ?? ''));
    assert.match((await page.textContent('.fh-audit-entry')) ?? '', /technician line1: .*changed/);
    await shot('admin-audit');
    await logout();
  });

  for (const role of ['integrator', 'technician', 'operator'] as const) {
    it(`${role}: Deploy and node dialogs as the account's permissions allow; the Audit tab only with audit.read`, async () => {
      await login(role);
      const deploys = await can('flows.write');
      const reason = `Deploy needs permission flows.write (your role: ${role})`;
      await page.evaluate((id) => {
        const RED = (globalThis as unknown as EditorWindow).RED;
        RED.editor.edit(RED.nodes.node(id));
      }, INJECT);
      await page.waitForSelector('#node-input-name');
      if (deploys) {
        assert.equal(await page.getAttribute('.red-ui-deploy-button-group', 'title'), null);
        assert.equal(await page.isEnabled('#node-input-name'), true);
        assert.equal(await page.locator('#node-dialog-ok').count(), 1);
        await page.click('#node-dialog-cancel');
      } else {
        assert.equal(await page.getAttribute('.red-ui-deploy-button-group', 'title'), reason);
        // Read-only: the note, no Done or Delete, every control disabled, Cancel is Close.
        await page.waitForSelector('.fh-read-only-note');
        assert.match((await page.textContent('.fh-read-only-note')) ?? '', new RegExp(`needs permission flows\\.write \\(your role: ${role}\\)`));
        assert.equal(await page.locator('#node-dialog-ok, #node-dialog-delete').count(), 0);
        assert.equal(await page.isEnabled('#node-input-name'), false);
        const enabled = await page.$$eval('.red-ui-tray-body input, .red-ui-tray-body select, .red-ui-tray-body textarea, .red-ui-tray-body button', (els) =>
          els.filter((e) => !(e as HTMLInputElement).disabled).map((e) => e.outerHTML.slice(0, 120)),
        );
        assert.deepEqual(enabled, []);
        await page.keyboard.press('Control+Enter'); // Done's shortcut: nothing to click
        assert.equal(await page.locator('.red-ui-tray').count(), 1);
        await shot(`${role}-read-only-dialog`);
        assert.equal(await page.textContent('#node-dialog-cancel'), 'Close');
        await page.click('#node-dialog-cancel');
        await page.waitForSelector('.red-ui-tray', { state: 'detached' });
        // Ctrl+D says why instead of doing nothing.
        await page.locator('#red-ui-workspace-chart').click({ position: { x: 600, y: 400 } });
        await page.keyboard.press('Control+d');
        await page.waitForSelector(`.red-ui-notification:has-text("${reason}")`);
        await shot(`${role}-deploy-refused`);
      }
      const reads = await can('audit.read');
      assert.equal(await page.locator('#red-ui-tab-fh-audit').count(), reads ? 1 : 0, `Audit tab ${reads ? 'shown' : 'not shown'}`);
      if (reads) {
        await page.evaluate(() => (globalThis as unknown as EditorWindow).RED.sidebar.show('fh-audit'));
        await page.waitForSelector('.fh-audit-entry');
      }
      await logout();
    });
  }
});
