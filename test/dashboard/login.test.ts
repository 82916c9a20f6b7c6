/**
 * The dashboard's login in a real browser (Debian's Chromium, headless, playwright-core) against a real
 * hub with a small dashboard flow: /ui sends a browser to the login page (ours, no Node-RED logo); the
 * session cookie is HttpOnly and SameSite; the dashboard (its socket.io included) works with the session
 * and shows the user's name and a Log out button; the shared tablet: log out, log in as another
 * operator, the new name shows; the session survives a hub restart (a wall screen); a write to a machine
 * started by a dashboard button is audited with the user logged in on that dashboard.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { HubProcess, ROLE_PASSWORDS, tempDir } from '../support/hub-process';
import { launchBrowser } from '../support/browser';
import { startModbusServer } from '../support/modbus-server';
import type { ModbusTestServer } from '../support/modbus-server';

const TAB = 'da5b000000000001';
function dashboardFlow(modbusPort: number): object[] {
  return [
    { id: TAB, type: 'tab', label: 'dash' },
    { id: 'da5b0000000000a1', type: 'ui_tab', name: 'Line', icon: 'dashboard', order: 1, disabled: false, hidden: false },
    { id: 'da5b0000000000a2', type: 'ui_group', name: 'Status', tab: 'da5b0000000000a1', order: 1, disp: true, width: '6', collapse: false },
    { id: 'da5b000000000002', type: 'inject', z: TAB, once: true, onceDelay: '0.1', repeat: '1', topic: '', payload: 'line running', payloadType: 'str', props: [{ p: 'payload' }], wires: [['da5b000000000003']] },
    { id: 'da5b000000000003', type: 'ui_text', z: TAB, group: 'da5b0000000000a2', order: 1, width: 0, height: 0, name: '', label: 'State', format: '{{msg.payload}}', layout: 'row-spread', wires: [] },
    // A button that writes the press's speed: the write audit must name the dashboard's user.
    { id: 'da5b000000000004', type: 'ui_button', z: TAB, group: 'da5b0000000000a2', order: 2, width: 0, height: 0, passthru: false, label: 'Speed 1500', tooltip: '', color: '', bgcolor: '', className: '', icon: '', payload: '{"press/speed":1500}', payloadType: 'json', topic: '', topicType: 'str', name: '', wires: [['da5b000000000005']] },
    { id: 'da5b000000000005', type: 'fh-modbus-write', z: TAB, name: 'press write', client: 'da5b0000000000b1', tagMap: 'da5b0000000000b2', prefix: '', readBack: false, wires: [[]] },
    { id: 'da5b0000000000b1', type: 'fh-modbus-client', name: 'press', transport: 'tcp', host: '127.0.0.1', port: String(modbusPort), unitId: 1, timeout: 1000, reconnectMax: 1 },
    { id: 'da5b0000000000b2', type: 'fh-tag-map', name: 'press tags', rows: [{ name: 'press/speed', address: 'hr:10', dataType: 'uint16', access: 'read-write' }] },
  ];
}

describe('dashboard login in a browser', function () {
  this.timeout(180000);
  const hub = new HubProcess({ userDir: path.join(tempDir('dash-login'), 'userdir') });
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;

  let modbus: ModbusTestServer;

  before(async () => {
    modbus = await startModbusServer();
    await hub.start();
    const admin = await hub.login('admin');
    const from = hub.log.length;
    assert.ok([200, 204].includes((await hub.api(admin, 'POST', '/flows', dashboardFlow(modbus.port), { 'Node-RED-Deployment-Type': 'full' })).status));
    await hub.waitForLog(/Started flows/, from);
    browser = await launchBrowser(hub);
    context = await browser.newContext();
    page = await context.newPage();
  });
  after(async () => {
    await browser?.close();
    await hub.stop();
    await modbus?.stop();
  });

  async function logIn(user: 'operator' | 'technician', password: string = ROLE_PASSWORDS[user]): Promise<void> {
    await page.fill('#username', user);
    await page.fill('#password', password);
    await page.click('button[type=submit]');
  }

  it('sends a browser without a session to the login page, ours', async () => {
    await page.goto(`${hub.url}/ui/`);
    assert.match(page.url(), /\/factoryhub\/login\?next=%2Fui%2F$/);
    assert.equal(await page.title(), 'Log in · Factory Hub');
    assert.equal(await page.locator('img').count(), 0, 'no Node-RED logo');
    assert.doesNotMatch(await page.content(), /node-red/i);
    await logIn('operator', 'not-the-password');
    assert.match(await page.locator('.error').innerText(), /Wrong user name or password/);
    assert.equal(await page.inputValue('#username'), 'operator');
  });

  it('logs in to a live dashboard with an HttpOnly, SameSite session cookie and shows the user', async () => {
    await logIn('operator');
    await page.waitForURL(/\/ui\/(#.*)?$/);
    await page.locator('#fh-user-name', { hasText: 'operator' }).waitFor({ timeout: 15000 });
    // The widget's value comes over socket.io: the socket took the session too.
    await page.getByText('line running').first().waitFor({ timeout: 15000 });
    const cookie = (await context.cookies()).find((c) => c.name === 'fh_session');
    assert.ok(cookie, 'session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.secure, hub.url.startsWith('https:'));
    assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie.includes('fh_session')), false, 'not readable by scripts');
  });

  it('hands a shared tablet over: log out, log in as another operator, the new name shows', async () => {
    await page.click('#fh-logout');
    await page.waitForURL(/\/factoryhub\/login/);
    await page.goto(`${hub.url}/ui/`);
    assert.match(page.url(), /\/factoryhub\/login/, 'the old session ended');
    await logIn('technician');
    await page.waitForURL(/\/ui\/(#.*)?$/);
    await page.locator('#fh-user-name', { hasText: 'technician' }).waitFor({ timeout: 15000 });
    assert.equal(await page.locator('#fh-user-name').count(), 1);
  });

  it('keeps a wall screen logged in through a hub restart', async () => {
    await hub.stop();
    await hub.start();
    await page.goto(`${hub.url}/ui/`);
    assert.match(page.url(), /\/ui\/(#.*)?$/);
    await page.locator('#fh-user-name', { hasText: 'technician' }).waitFor({ timeout: 15000 });
    await page.getByText('line running').first().waitFor({ timeout: 15000 });
  });

  it('audits a write started from a dashboard button with the user logged in on that dashboard', async () => {
    await page.getByRole('button', { name: 'Speed 1500' }).click();
    type Write = { tag: string; value: unknown; result: string; user?: string };
    const admin = await hub.login('admin');
    let write: Write | undefined;
    for (let i = 0; i < 100 && write === undefined; i++) {
      const entries = ((await (await hub.api(admin, 'GET', '/factoryhub/audit/writes')).json()) as { entries: Write[] }).entries;
      write = entries.find((w) => w.tag === 'press/speed' && w.value === 1500);
      if (write === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(write, 'the write was audited');
    assert.equal(write.user, 'technician');
    assert.equal(write.result, 'ok');
  });
});
