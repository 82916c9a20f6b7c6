/**
 * The dashboard's login in a real browser (Debian's Chromium, headless, playwright-core) against a real
 * hub with a small dashboard flow: /ui sends a browser to the login page (ours, no Node-RED logo); the
 * session cookie is HttpOnly and SameSite; the dashboard (its socket.io included) works with the session
 * and shows the user's name and a Log out button; the shared tablet: log out, log in as another
 * operator, the new name shows; the session survives a hub restart (a wall screen).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { HubProcess, ROLE_PASSWORDS, tempDir } from '../support/hub-process';
import { launchBrowser } from '../support/browser';

const TAB = 'da5b000000000001';
const flow = [
  { id: TAB, type: 'tab', label: 'dash' },
  { id: 'da5b0000000000a1', type: 'ui_tab', name: 'Line', icon: 'dashboard', order: 1, disabled: false, hidden: false },
  { id: 'da5b0000000000a2', type: 'ui_group', name: 'Status', tab: 'da5b0000000000a1', order: 1, disp: true, width: '6', collapse: false },
  { id: 'da5b000000000002', type: 'inject', z: TAB, once: true, onceDelay: '0.1', repeat: '1', topic: '', payload: 'line running', payloadType: 'str', props: [{ p: 'payload' }], wires: [['da5b000000000003']] },
  { id: 'da5b000000000003', type: 'ui_text', z: TAB, group: 'da5b0000000000a2', order: 1, width: 0, height: 0, name: '', label: 'State', format: '{{msg.payload}}', layout: 'row-spread', wires: [] },
];

describe('dashboard login in a browser', function () {
  this.timeout(180000);
  const hub = new HubProcess({ userDir: path.join(tempDir('dash-login'), 'userdir') });
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;

  before(async () => {
    await hub.start();
    const admin = await hub.login('admin');
    const from = hub.log.length;
    assert.ok([200, 204].includes((await hub.api(admin, 'POST', '/flows', flow, { 'Node-RED-Deployment-Type': 'full' })).status));
    await hub.waitForLog(/Started flows/, from);
    browser = await launchBrowser(hub);
    context = await browser.newContext();
    page = await context.newPage();
  });
  after(async () => {
    await browser?.close();
    await hub.stop();
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
});
