/**
 * The edit dialogs of fh-shift-calendar and fh-oee in a real browser (Debian's Chromium, headless,
 * driven by playwright-core) against a real hub: the calendar dialog lists the runtime's own issues
 * while you edit (an overlapping shift) and clears them when fixed; shifts, breaks, holidays and
 * planned stops are saved as the runtime reads them; the fh-oee dialog flags a tag mapped twice,
 * fills a reason id from its name, and what is deployed is what the dialog showed.
 * Screenshots go to test-artifacts/oee-editor/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { HubProcess, ROLE_PASSWORDS, repoRoot, tempDir } from '../support/hub-process';
import { launchBrowser } from '../support/browser';
import { sourcePackage } from './oee-hub';

const TAB = 'ed00000000000001';
const CAL = 'ed00000000000002';
const OEE = 'ed00000000000003';
const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'oee-editor');

interface BrowserRED {
  nodes: { node(id: string): Record<string, unknown> | null };
  editor: { editConfig(name: string, type: string, id: string): void; edit(node: unknown): void };
}
type EditorWindow = { RED?: BrowserRED };

describe('oee/fh-shift-calendar and fh-oee edit dialogs in a real browser (Chromium)', function () {
  this.timeout(90_000);
  let work = '';
  let hub: HubProcess;
  let browser: Browser | undefined;
  let page: Page;

  /** Node-RED takes two tab clicks within 400 ms for a double click: wait before each. */
  const tab = async (name: string): Promise<void> => {
    await page.waitForTimeout(450);
    await page.click(`#fh-oee-tabs a[href="#fh-oee-tab-${name}"]`);
    await page.waitForSelector(`#fh-oee-tab-${name}:visible`);
  };

  const deployed = async (): Promise<Record<string, Record<string, unknown>>> => {
    const res = await hub.api(await hub.login('admin'), 'GET', '/flows');
    const flows = (await res.json()) as Record<string, unknown>[];
    return Object.fromEntries(flows.map((n) => [n.id as string, n]));
  };

  before(async () => {
    work = tempDir('oee-editor');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    hub = new HubProcess({ userDir: path.join(work, 'userdir'), nodesDir: sourcePackage(work) });
    const flow = [
      { id: TAB, type: 'tab', label: 'OEE' },
      { id: CAL, type: 'fh-shift-calendar', name: 'plant', timeZone: 'Europe/Berlin', shifts: [{ name: 'Early', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '06:00', end: '14:00', breaks: [] }], holidays: [], plannedStops: [] },
      { id: OEE, type: 'fh-oee', z: TAB, x: 200, y: 80, name: '', machine: 'plant/line1/filler', calendar: CAL, stateSource: 'state', stateTag: 'plant/line1/filler/state', stateMap: [{ value: '1', state: 'running' }, { value: '2', state: 'down' }], countBasis: 'total+good', totalTag: 'plant/line1/filler/count', goodTag: 'plant/line1/filler/good', counterMode: 'abs32', reasons: [], products: [], wires: [[], [], []] },
    ];
    // The browser trusts the hub's certificate, which the hub makes on its first start.
    await hub.start();
    const started = (async () => {
      const from = hub.log.length;
      const res = await hub.api(await hub.login('admin'), 'POST', '/flows', flow, { 'Node-RED-Deployment-Type': 'full' });
      assert.equal(res.status, 204);
      await hub.waitForLog(/Started flows/, from);
    })();
    const launched = launchBrowser(hub).then((b) => (browser = b));
    await Promise.all([started, launched]);
    const context = await (browser as Browser).newContext({ viewport: { width: 1600, height: 1000 } });
    await context.route((url) => url.origin !== new URL(hub.url).origin, (route) => route.abort());
    page = await context.newPage();
    await page.goto(`${hub.url}/`, { waitUntil: 'domcontentloaded' });
    await page.fill('#node-dialog-login-username', 'admin');
    await page.fill('#node-dialog-login-password', ROLE_PASSWORDS.admin);
    await page.click('#node-dialog-login-submit');
    await page.waitForFunction((id) => (globalThis as unknown as EditorWindow).RED?.nodes?.node?.(id) != null, OEE, { timeout: 40000 });
    await page.getByRole('button', { name: 'Not right now' }).click({ timeout: 20000 });
  });

  after(async () => {
    await browser?.close();
    await hub?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('edits a calendar, listing the runtime rules issues until they are fixed', async () => {
    await page.evaluate((id) => (globalThis as unknown as Required<EditorWindow>).RED.editor.editConfig('', 'fh-shift-calendar', id), CAL);
    const shifts = page.locator('#fh-shift-calendar-shifts');
    await page.waitForSelector('#fh-shift-calendar-ok:visible');
    assert.equal(await shifts.locator('.fh-cal-name').inputValue(), 'Early');

    // A second shift that overlaps the first: the dialog names the problem (from calendar.ts).
    await page.locator('.red-ui-editableList:has(> div > #fh-shift-calendar-shifts) > .red-ui-editableList-addButton').click();
    const late = shifts.locator(':scope > li').nth(1);
    await late.locator('.fh-cal-name').fill('Late');
    await late.locator('.fh-cal-start').fill('13:00');
    await late.locator('.fh-cal-end').fill('22:00');
    await page.waitForSelector('#fh-shift-calendar-issues:has-text("overlaps")');
    const issues = await page.textContent('#fh-shift-calendar-issues');
    assert.match(issues ?? '', /shifts\[0\] "Early" \(mon 06:00-14:00\) overlaps shifts\[1\] "Late" \(mon 13:00-22:00\)/);
    await page.screenshot({ path: path.join(ARTIFACTS, '1-calendar-overlap.png') });
    await late.locator('.fh-cal-start').fill('14:00');
    await page.waitForSelector('#fh-shift-calendar-ok:visible');
    assert.equal(await page.isVisible('#fh-shift-calendar-issues'), false);

    // A break, Saturday, a holiday and a planned stop.
    await late.locator('.fh-cal-breaks .red-ui-editableList-addButton').click();
    await late.locator('.fh-cal-break-start').fill('18:00');
    await late.locator('.fh-cal-break-end').fill('18:30');
    await late.locator('.fh-cal-break-name').fill('Dinner');
    await late.locator('.fh-cal-days input[value="sat"]').check();
    await page.locator('.node-input-list-row:has(#fh-shift-calendar-holidays) .red-ui-editableList-addButton').click();
    await page.locator('#fh-shift-calendar-holidays .fh-cal-holiday').fill('2025-12-25');
    await page.locator('.node-input-list-row:has(#fh-shift-calendar-stops) .red-ui-editableList-addButton').click();
    await page.locator('#fh-shift-calendar-stops .fh-cal-stop-start').fill('2025-03-30T10:00');
    await page.locator('#fh-shift-calendar-stops .fh-cal-stop-end').fill('2025-03-30T12:00');
    await page.locator('#fh-shift-calendar-stops .fh-cal-stop-reason').fill('Maintenance');
    await page.waitForSelector('#fh-shift-calendar-ok:visible');
    await page.screenshot({ path: path.join(ARTIFACTS, '2-calendar.png') });
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector('#node-config-dialog-ok', { state: 'detached' });
    const cal = await page.evaluate((id) => (globalThis as unknown as Required<EditorWindow>).RED.nodes.node(id), CAL);
    assert.deepEqual(
      { timeZone: cal?.timeZone, shifts: cal?.shifts, holidays: cal?.holidays, plannedStops: cal?.plannedStops },
      {
        timeZone: 'Europe/Berlin',
        shifts: [
          { name: 'Early', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '06:00', end: '14:00', breaks: [] },
          { name: 'Late', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '14:00', end: '22:00', breaks: [{ start: '18:00', end: '18:30', name: 'Dinner' }] },
        ],
        holidays: ['2025-12-25'],
        plannedStops: [{ start: '2025-03-30T10:00', end: '2025-03-30T12:00', reason: 'Maintenance' }],
      },
    );
  });

  it('edits the OEE node: flags a tag mapped twice, fills reason ids, and deploys what it shows', async () => {
    await page.evaluate((id) => {
      const RED = (globalThis as unknown as Required<EditorWindow>).RED;
      RED.editor.edit(RED.nodes.node(id));
    }, OEE);
    await page.waitForSelector('#fh-oee-statemap .fh-oee-sm-value');
    const valid = (id: string): Promise<unknown> => page.evaluate((i) => (globalThis as unknown as Required<EditorWindow>).RED.nodes.node(i)?.valid, id);
    assert.equal(await valid(OEE), true, 'a node with only the needed properties is valid');
    assert.deepEqual(await page.locator('#fh-oee-statemap .fh-oee-sm-value').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value)), ['1', '2']);

    await page.fill('#node-input-goodTag', 'plant/line1/filler/count');
    await page.waitForSelector('#fh-oee-issues:has-text("already the total tag")');
    assert.match((await page.textContent('#fh-oee-issues')) ?? '', /good count tag: tag "plant\/line1\/filler\/count" is already the total tag/);
    await page.fill('#node-input-goodTag', 'plant/line1/filler/good');
    await page.waitForSelector('#fh-oee-issues', { state: 'hidden' });

    // A state value, a product with its ideal cycle time, a reason whose id comes from its name.
    await page.locator('.node-input-list-row:has(#fh-oee-statemap) .red-ui-editableList-addButton').click();
    await page.locator('#fh-oee-statemap .fh-oee-sm-value').nth(2).fill('4');
    await page.locator('#fh-oee-statemap .fh-oee-sm-state').nth(2).selectOption('changeover');
    await tab('products');
    await page.locator('.node-input-list-row:has(#fh-oee-products) .red-ui-editableList-addButton').click();
    await page.locator('#fh-oee-products .fh-oee-p-name').fill('COLA-1L');
    await page.locator('#fh-oee-products .fh-oee-p-ict').fill('0.8');
    await page.locator('#fh-oee-products .fh-oee-p-name').dispatchEvent('change');
    await page.selectOption('#node-input-defaultProduct', 'COLA-1L');
    await tab('reasons');
    await page.locator('.node-input-list-row:has(#fh-oee-reasons) .red-ui-editableList-addButton').click();
    await page.locator('#fh-oee-reasons .fh-oee-r-category').fill('Mechanical');
    await page.locator('#fh-oee-reasons .fh-oee-r-name').fill('Jam at infeed');
    await page.locator('#fh-oee-reasons .fh-oee-r-codes').fill('101, 102');
    assert.equal(await page.locator('#fh-oee-reasons .fh-oee-r-id').inputValue(), 'jam-at-infeed');
    await tab('timing');
    await page.fill('#node-input-smallStop', '120');
    await page.waitForTimeout(400); // the last check after typing
    assert.equal(await page.isVisible('#fh-oee-issues'), false, (await page.textContent('#fh-oee-issues')) ?? '');
    await page.screenshot({ path: path.join(ARTIFACTS, '3-oee.png') });
    await page.click('#node-dialog-ok');
    await page.waitForSelector('#node-dialog-ok', { state: 'detached' });
    assert.equal(await valid(OEE), true);
    assert.equal(await valid(CAL), true);

    const from = hub.log.length;
    await page.click('#red-ui-header-button-deploy');
    await hub.waitForLog(/Started (flows|modified nodes)/, from);
    const flows = await deployed();
    const oee = flows[OEE];
    assert.deepEqual(oee.stateMap, [{ value: '1', state: 'running' }, { value: '2', state: 'down' }, { value: '4', state: 'changeover' }]);
    assert.deepEqual(oee.products, [{ name: 'COLA-1L', ict: '0.8' }]);
    assert.equal(oee.defaultProduct, 'COLA-1L');
    assert.deepEqual(oee.reasons, [{ category: 'Mechanical', name: 'Jam at infeed', id: 'jam-at-infeed', codes: '101, 102' }]);
    assert.equal(oee.smallStop, '120');
    assert.equal((flows[CAL].shifts as unknown[]).length, 2);
    assert.doesNotMatch(hub.log.slice(from), /\[error\]/, 'the deployed nodes start without error');
  });
});
