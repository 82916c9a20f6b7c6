/**
 * The product's identity in a real editor (Debian's Chromium, headless, playwright-core) against a real
 * hub, as the integrator: the login dialog shows the product's logo; each palette entry of the package
 * has its readable label (at most two lines, `opcua sub` one) and its family's icon, Modbus and OPC UA in
 * colours of their own; a modbus read without a name has a short label and scans on input only until
 * configured; each config node's add and edit dialogs, the "Add new …" choice of a config select, its buttons' tooltips and a
 * node's status about a missing config node say its readable name, never its type; an invalid field on the OEE dialog's Times tab marks that tab's header while it is
 * not shown, and the mark goes when the field is fixed. Screenshots go to test-artifacts/identity/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser';
import { HubProcess, ROLE_PASSWORDS, repoRoot, tempDir } from '../support/hub-process';
import { LOOKS } from '../../nodes/shared/display-names';

const TAB = 'id00000000000001';
const CALENDAR = 'id00000000000002';
const OEE = 'id00000000000003';
const READ = 'id00000000000004';
const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'identity');
const CONFIG_TYPES = ['fh-tag-map', 'fh-modbus-client', 'fh-opcua-endpoint', 'fh-shift-calendar', 'fh-erp-connection'] as const;
const PALETTE_TYPES = (Object.keys(LOOKS) as (keyof typeof LOOKS)[]).filter((t) => !(CONFIG_TYPES as readonly string[]).includes(t));

interface BrowserRED {
  nodes: { node(id: string): unknown };
  editor: { edit(node: unknown): void; editConfig(name: string, type: string, id: string): void };
  tray: { close(): void };
  user: { hasPermission(p: string): boolean };
}
type EditorWindow = { RED: BrowserRED };

/** A node of the shipped OEE example flow. */
function example(type: string): Record<string, unknown> {
  const flow = JSON.parse(fs.readFileSync(path.join(repoRoot, 'flows', 'oee-machine.json'), 'utf8')) as Record<string, unknown>[];
  const node = flow.find((n) => n.type === type);
  assert.ok(node, `flows/oee-machine.json has a ${type}`);
  return node;
}

describe('editor identity: logo, palette labels and icons, readable config names, tab marks (Chromium)', function () {
  this.timeout(180000);
  const hub = new HubProcess({ userDir: path.join(tempDir('identity'), 'userdir') });
  let browser: Browser | undefined;
  let page: Page;

  const closeTrays = async (): Promise<void> => {
    while ((await page.locator('.red-ui-tray').count()) > 0) {
      await page.evaluate(() => (globalThis as unknown as EditorWindow).RED.tray.close());
      await page.waitForTimeout(400); // the tray slides out before the next one can close
    }
  };
  const trayTitle = async (): Promise<string> => ((await page.locator('.red-ui-tray-titlebar').last().textContent()) ?? '').trim();

  before(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await hub.start();
    const flow = [
      { id: TAB, type: 'tab', label: 'Identity' },
      // A modbus read as dropped and given a prefix, no device yet.
      { id: READ, type: 'fh-modbus-read', z: TAB, name: '', client: '', tagMap: '', prefix: 'demo/packaging/line1/filler', x: 200, y: 160, wires: [[]] },
      // The shipped example's OEE node and calendar, valid but for one field on the Times tab.
      { ...example('fh-shift-calendar'), id: CALENDAR },
      { ...example('fh-oee'), id: OEE, z: TAB, calendar: CALENDAR, smallStop: 'soon', wires: [[], [], []] },
    ];
    const from = hub.log.length;
    const res = await hub.api(await hub.login('admin'), 'POST', '/flows', flow, { 'Node-RED-Deployment-Type': 'full' });
    assert.ok([200, 204].includes(res.status), await res.text());
    await hub.waitForLog(/Started flows/, from);
    browser = await launchBrowser(hub);
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    await context.route((url) => url.origin !== new URL(hub.url).origin, (route) => route.abort());
    page = await context.newPage();
    await page.goto(`${hub.url}/`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('#node-dialog-login-username');
  });

  after(async () => {
    await browser?.close();
    await hub.stop();
  });

  it("the login dialog shows the product's logo, not Node-RED's", async () => {
    await page.waitForFunction(() => (document.getElementById('node-dialog-login-image') as HTMLImageElement | null)?.getAttribute('src'));
    const src = await page.getAttribute('#node-dialog-login-image', 'src');
    assert.ok(src, 'a logo on the login dialog');
    const served = await page.evaluate(async (url) => (await fetch(url)).text(), src);
    assert.equal(served, fs.readFileSync(path.join(repoRoot, 'resources', 'factory-hub-logo.svg'), 'utf8'));
    await page.screenshot({ path: path.join(ARTIFACTS, 'login.png') });
    await page.fill('#node-dialog-login-username', 'integrator');
    await page.fill('#node-dialog-login-password', ROLE_PASSWORDS.integrator);
    await page.click('#node-dialog-login-submit');
    await page.waitForFunction((id) => (globalThis as unknown as Partial<EditorWindow>).RED?.nodes?.node?.(id) != null, OEE, { timeout: 60000 });
    if (await page.evaluate(() => (globalThis as unknown as EditorWindow).RED.user.hasPermission('projects.write'))) {
      await page.getByRole('button', { name: 'Not right now' }).click({ timeout: 20000 });
    }
  });

  it("each palette entry: its readable label, short enough, its family's icon; Modbus and OPC UA told apart by colour", async () => {
    const entries = await page.$$eval('.red-ui-palette-node[data-palette-type^="fh-"]', (els) =>
      els.map((el) => {
        const label = el.querySelector<HTMLElement>('.red-ui-palette-label');
        const icon = el.querySelector<HTMLElement>('.red-ui-palette-icon');
        const lineHeight = parseFloat(getComputedStyle(label as Element).lineHeight);
        return {
          type: el.getAttribute('data-palette-type') ?? '',
          label: (label?.textContent ?? '').replace(/\s+/g, ' ').trim(),
          lines: label ? Math.round(label.getBoundingClientRect().height / lineHeight) : 0,
          icon: icon ? getComputedStyle(icon).backgroundImage : '',
          color: getComputedStyle(el).backgroundColor,
        };
      }),
    );
    assert.deepEqual(entries.map((e) => e.type).sort(), [...PALETTE_TYPES].sort(), 'every node type of the package, config nodes not');
    for (const entry of entries) {
      const look = LOOKS[entry.type as keyof typeof LOOKS];
      assert.equal(entry.label, look.paletteLabel, entry.type);
      // At most two lines (Node-RED wraps at 82 px between words); the OPC UA subscribe node's label on one (it used to wrap).
      assert.ok(entry.lines >= 1 && entry.lines <= (entry.type === 'fh-opcua-subscribe' ? 1 : 2), `${entry.type}: "${entry.label}" on ${entry.lines} lines`);
      assert.match(entry.icon, new RegExp(`icons/@factoryhub/node-red-factoryhub/${look.icon.replace('.', '\\.')}"?\\)$`), entry.type);
      // The icon is served and is a picture.
      const url = /url\("?([^")]+)"?\)/.exec(entry.icon)?.[1] ?? '';
      const width = await page.evaluate((u) => new Promise<number>((resolve) => {
        const img = new Image();
        img.onload = () => resolve(img.naturalWidth);
        img.onerror = () => resolve(0);
        img.src = u;
      }), url);
      assert.ok(width > 0, `${entry.type}: icon ${url} loads`);
    }
    const colour = (type: string): string => entries.find((e) => e.type === type)?.color ?? '';
    assert.equal(colour('fh-modbus-read'), colour('fh-modbus-write'));
    assert.equal(colour('fh-opcua-read'), colour('fh-opcua-subscribe'));
    assert.notEqual(colour('fh-modbus-read'), colour('fh-opcua-read'), 'Modbus and OPC UA differ');
    assert.equal(new Set(['fh-modbus-read', 'fh-opcua-read', 'fh-oee', 'fh-erp-post'].map((t) => LOOKS[t as keyof typeof LOOKS].icon)).size, 4, 'an icon per family');
    await page.locator('#red-ui-palette').screenshot({ path: path.join(ARTIFACTS, 'palette.png') });
  });

  it('a modbus read without a name labels itself short: what it does and its machine, not the whole path', async () => {
    const label = await page.textContent(`[id="${READ}"] .red-ui-flow-node-label`);
    assert.equal(label?.trim(), 'read filler');
    // Its status names the config node it lacks as the editor does.
    await page.waitForFunction((id) => /choose a Modbus device node/.test(document.querySelector(`[id="${id}"] .red-ui-flow-node-status-label`)?.textContent ?? ''), READ);
    // and, dropped anew, it scans on input only until someone sets an interval.
    const interval = await page.evaluate(() => (globalThis as unknown as { RED: { nodes: { getType(t: string): { defaults: { interval: { value: unknown } } } } } }).RED.nodes.getType('fh-modbus-read').defaults.interval.value);
    assert.equal(interval, 0);
  });

  for (const type of CONFIG_TYPES) {
    it(`${type}: its add dialog is titled with its readable name`, async () => {
      const name = LOOKS[type].paletteLabel;
      await page.evaluate((t) => (globalThis as unknown as EditorWindow).RED.editor.editConfig('', t, '_ADD_'), type);
      await page.waitForSelector('#node-config-dialog-ok');
      const title = await trayTitle();
      assert.equal(title, `Add new ${name} config node`);
      assert.ok(!title.includes(type));
      await page.screenshot({ path: path.join(ARTIFACTS, `add-${type}.png`) });
      await closeTrays();
    });
  }

  it('an existing config node edits under its readable name; a config select offers "Add new <name>..."', async () => {
    await page.evaluate((id) => (globalThis as unknown as EditorWindow).RED.editor.editConfig('', 'fh-shift-calendar', id), CALENDAR);
    await page.waitForSelector('#node-config-dialog-ok');
    assert.equal(await trayTitle(), 'Edit Shift calendar node');
    await closeTrays();
    await page.evaluate((id) => {
      const RED = (globalThis as unknown as EditorWindow).RED;
      RED.editor.edit(RED.nodes.node(id));
    }, READ);
    await page.waitForSelector('#node-input-client option[value="_ADD_"]', { state: 'attached' });
    assert.equal((await page.textContent('#node-input-client option[value="_ADD_"]'))?.trim(), 'Add new Modbus device...');
    assert.equal((await page.textContent('#node-input-tagMap option[value="_ADD_"]'))?.trim(), 'Add new Tag map...');
    // The select's plus button says the same in its tooltip.
    await page.hover('#node-input-btn-client-add');
    await page.waitForSelector('.red-ui-popover:has-text("Add new Modbus device config node")');
    assert.equal(await page.locator('.red-ui-popover:has-text("fh-modbus-client")').count(), 0);
    await closeTrays();
  });

  it("an invalid field on the OEE dialog's Times tab marks that tab's header; fixing it clears the mark", async () => {
    await page.evaluate((id) => {
      const RED = (globalThis as unknown as EditorWindow).RED;
      RED.editor.edit(RED.nodes.node(id));
    }, OEE);
    await page.waitForSelector('#red-ui-tab-fh-oee-tab-timing');
    await page.waitForSelector('#red-ui-tab-fh-oee-tab-timing.fh-tab-invalid');
    assert.equal(await page.isVisible('#node-input-smallStop'), false, 'the Times tab is not the one shown');
    const marked = await page.$$eval('#fh-oee-tabs .red-ui-tab.fh-tab-invalid', (els) => els.map((e) => e.id));
    assert.deepEqual(marked, ['red-ui-tab-fh-oee-tab-timing'], 'only the tab with the invalid field');
    // The runtime's own check of the open dialog says why, under the form.
    await page.waitForFunction(() => /soon/.test(document.getElementById('fh-oee-issues')?.textContent ?? ''));
    await page.screenshot({ path: path.join(ARTIFACTS, 'oee-times-tab-marked.png') });
    await page.click('#red-ui-tab-fh-oee-tab-timing a');
    await page.fill('#node-input-smallStop', '300');
    await page.press('#node-input-smallStop', 'Tab'); // Node-RED validates a field on change
    await page.waitForSelector('#red-ui-tab-fh-oee-tab-timing:not(.fh-tab-invalid)');
    await closeTrays();
  });
});
