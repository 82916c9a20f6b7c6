/**
 * The tag-map editor in a real browser (Debian's Chromium, headless, driven by playwright-core) against
 * a real hub: as admin, edit a cell, add a row (its error is marked at row and column), export CSV and
 * parse it back, import a CSV after its preview (added, changed, removed), refuse bad CSV files with
 * every error and nothing changed, deploy, and find the result in the deployed flows. Then as the
 * technician, whose editor is read-only: change the map through the "Tag maps" sidebar.
 * The steps build on each other, in order. Screenshots go to test-artifacts/tag-map-editor/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { parseCsv } from '../../nodes/tags/csv';
import { DATA_TYPES } from '../../nodes/tags/tag';
import type { TagRow } from '../../nodes/tags/tag';
import { HubProcess, ROLE_PASSWORDS, repoRoot, tempDir } from '../support/hub-process';
import { launchBrowser } from '../support/browser';
import type { Role } from '../support/hub-process';

const TAB = 'cd00000000000001';
const MAP = 'cd00000000000002';
const ROWS: TagRow[] = [
  { name: 'plant/line1/filler/count', address: 'hr:0', dataType: 'uint32' },
  { name: 'plant/line1/filler/speed', address: 'hr:2', dataType: 'float32', unit: 'ppm' },
  { name: 'plant/line1/filler/running', address: 'co:0' },
];
const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'tag-map-editor');
const DIALOG = '#node-config-input-fh-tag-map-editor';
const ROWS_PANE = `${DIALOG} [data-pane="rows"]`;

/** The editor's global, as far as these tests use it. */
interface BrowserRED {
  nodes: { node(id: string): { rows?: unknown } | null; version(): string | null };
  editor: { editConfig(name: string, type: string, id: string): void };
  sidebar: { show(id: string): void };
  user: { logout(): void };
}
/** Page functions are serialised into the browser, so each one reads the global itself through this type. */
type EditorWindow = { RED?: BrowserRED };

describe('tags/tag-map editor in a real browser (Chromium)', function () {
  // About 20 s on an idle machine; the limit leaves room for a busy one (a cold editor load is CPU-bound).
  this.timeout(90000);
  const hub = new HubProcess({ userDir: path.join(tempDir('tag-map-editor'), 'userdir') });
  let browser: Browser | undefined;
  let page: Page;
  let current: TagRow[] = ROWS;

  let adminToken: string | undefined;
  const deployedMap = async (): Promise<{ rev: string; rows: unknown }> => {
    adminToken ??= await hub.login('admin');
    const res = await hub.api(adminToken, 'GET', '/flows', undefined, { 'Node-RED-API-Version': 'v2' });
    const body = (await res.json()) as { rev: string; flows: { id: string; rows?: unknown }[] };
    return { rev: body.rev, rows: body.flows.find((n) => n.id === MAP)?.rows };
  };
  const shot = (page: Page, name: string): Promise<Buffer> => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });

  /** Logs in through the editor's login dialog and waits until the deployed flows are in the workspace. */
  async function login(page: Page, role: Role): Promise<void> {
    await page.fill('#node-dialog-login-username', role);
    await page.fill('#node-dialog-login-password', ROLE_PASSWORDS[role]);
    await page.click('#node-dialog-login-submit');
    await page.waitForFunction((id) => (globalThis as unknown as EditorWindow).RED?.nodes?.node?.(id) != null, MAP, { timeout: 40000 });
    if (role === 'admin') {
      // With projects on but none created yet, Node-RED offers an admin to create one (our settings turn
      // telemetry off, so its update-notification question does not come first).
      await page.getByRole('button', { name: 'Not right now' }).click({ timeout: 20000 });
    }
  }

  /** The rows the table shows, read from its inputs. */
  function tableRows(page: Page, pane: string): Promise<TagRow[]> {
    return page.$$eval(`${pane} tr[data-key]`, (trs) =>
      trs.map((tr) => {
        const row: Record<string, string> = {};
        for (const input of Array.from(tr.querySelectorAll('input[data-column]'))) {
          const i = input as HTMLInputElement;
          if (i.value !== '') row[i.dataset.column ?? ''] = i.value;
        }
        return row;
      }),
    );
  }

  async function importFile(page: Page, pane: string, name: string, content: string | Buffer): Promise<void> {
    await page.setInputFiles(`${pane} .fh-tm-file`, { name, mimeType: 'text/csv', buffer: Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8') });
    await page.waitForSelector(`${DIALOG} .fh-tm-preview`);
  }

  before(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const flow = [
      { id: TAB, type: 'tab', label: 'Line 1' },
      { id: MAP, type: 'fh-tag-map', name: 'line1', rows: ROWS },
      { id: 'cd00000000000003', type: 'inject', z: TAB, name: 'tick', props: [{ p: 'payload' }], repeat: '', once: false, topic: '', payload: '', payloadType: 'date', x: 120, y: 60, wires: [['cd00000000000004']] },
      { id: 'cd00000000000004', type: 'debug', z: TAB, name: 'out', active: true, complete: 'payload', x: 300, y: 60, wires: [] },
    ];
    // The browser trusts the hub's certificate, which the hub makes on its first start.
    await hub.start();
    const started = (async () => {
      const from = hub.log.length;
      const res = await hub.api(await hub.login('admin'), 'POST', '/flows', flow, { 'Node-RED-Deployment-Type': 'full' });
      assert.ok([200, 204].includes(res.status));
      await hub.waitForLog(/Started flows/, from);
    })();
    const launched = launchBrowser(hub).then((b) => (browser = b));
    await Promise.all([started, launched]);
    // One page for both accounts: the second login reuses the cached editor (a cold load is slow here).
    const context = await (browser as Browser).newContext({ viewport: { width: 1600, height: 1000 }, acceptDownloads: true });
    // Nothing but the hub: the editor also asks the internet (the node catalogue), which here only costs time.
    await context.route((url) => url.origin !== new URL(hub.url).origin, (route) => route.abort());
    page = await context.newPage();
    await page.goto(`${hub.url}/`, { waitUntil: 'domcontentloaded' });
    await login(page, 'admin');
  });

  after(async () => {
    await browser?.close();
    await hub.stop();
  });

  it('opens the tag map in the edit dialog as a table', async () => {
    await page.evaluate((id) => (globalThis as unknown as Required<EditorWindow>).RED.editor.editConfig('', 'fh-tag-map', id), MAP);
    await page.waitForSelector(`${ROWS_PANE} tr[data-key]`);
    assert.deepEqual(await tableRows(page, ROWS_PANE), ROWS);
    assert.equal(await page.textContent(`${DIALOG} .fh-tm-status`), '3 tags, no errors');
  });

  it('edits a cell and adds a row, marking an error at its row and column until fixed', async () => {
    await page.locator(`${ROWS_PANE} tr[data-key]`).nth(1).locator('input[data-column="address"]').fill('hr:20');
    await page.click(`${ROWS_PANE} .fh-tm-add`);
    const added = page.locator(`${ROWS_PANE} tr[data-key]`).nth(3);
    await added.locator('input[data-column="name"]').fill('plant/line1/filler/temperature');
    await added.locator('input[data-column="address"]').fill('hr:30.16');
    await added.locator('input[data-column="dataType"]').fill('int16');
    await added.locator('input[data-column="gain"]').fill('0.1');
    await added.locator('input[data-column="unit"]').fill('°C');
    await page.waitForSelector(`${ROWS_PANE} tr[data-key] input.fh-tm-invalid[data-column="address"]`);
    const errors = await page.$$eval(`${DIALOG} .fh-tm-errors li`, (lis) => lis.map((li) => li.textContent));
    assert.deepEqual(errors, ['row 4, column "address": bit index 16 is above 15']);
    assert.equal(await added.locator('input[data-column="address"]').getAttribute('title'), 'row 4, column "address": bit index 16 is above 15');
    assert.equal(await page.textContent(`${DIALOG} .fh-tm-status`), '1 error');
    await shot(page, '1-dialog-with-error');
    await added.locator('input[data-column="address"]').fill('hr:30');
    await page.waitForSelector(`${DIALOG} .fh-tm-status:has-text("4 tags, no errors")`);
    assert.equal(await page.locator(`${ROWS_PANE} .fh-tm-invalid`).count(), 0);
    current = [
      ROWS[0] ?? {},
      { ...ROWS[1], address: 'hr:20' },
      ROWS[2] ?? {},
      { name: 'plant/line1/filler/temperature', address: 'hr:30', dataType: 'int16', gain: '0.1', unit: '°C' },
    ];
    assert.deepEqual(await tableRows(page, ROWS_PANE), current);
  });

  it('sorts and filters the view without changing the rows', async () => {
    await page.click(`${ROWS_PANE} th[data-column="address"] .fh-tm-sort`);
    await page.click(`${ROWS_PANE} th[data-column="address"] .fh-tm-sort`); // descending
    const sorted = await tableRows(page, ROWS_PANE);
    assert.deepEqual(sorted.map((r) => r.address), ['hr:30', 'hr:20', 'hr:0', 'co:0']);
    await page.click(`${ROWS_PANE} th[data-column="address"] .fh-tm-sort`); // stored order again
    await page.fill(`${ROWS_PANE} .fh-tm-filter`, 'speed');
    assert.deepEqual(await tableRows(page, ROWS_PANE), [current[1]]);
    assert.equal(await page.textContent(`${ROWS_PANE} tr[data-key] .fh-tm-rownum`), '2', 'rows keep their numbers');
    await page.fill(`${ROWS_PANE} .fh-tm-filter`, '');
    assert.deepEqual(await tableRows(page, ROWS_PANE), current);
  });

  it('exports CSV that parses back to the same rows (",", CRLF, UTF-8 with BOM; ";" on request)', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`${ROWS_PANE} .fh-tm-export`)]);
    assert.equal(download.suggestedFilename(), 'line1.csv');
    const file = path.join(ARTIFACTS, 'export.csv');
    await download.saveAs(file);
    const bytes = fs.readFileSync(file);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM for Excel');
    const text = bytes.toString('utf8');
    assert.match(text, /^\uFEFFname,address,dataType,/);
    assert.equal(text.split('\r\n').length, current.length + 2, 'CRLF after every line');
    const parsed = parseCsv(new Uint8Array(bytes));
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.rows, current, 'round trip');

    await page.selectOption(`${ROWS_PANE} .fh-tm-separator`, ';');
    const [semicolon] = await Promise.all([page.waitForEvent('download'), page.click(`${ROWS_PANE} .fh-tm-export`)]);
    const semicolonFile = path.join(ARTIFACTS, 'export-semicolon.csv');
    await semicolon.saveAs(semicolonFile);
    const again = parseCsv(new Uint8Array(fs.readFileSync(semicolonFile)));
    assert.equal(again.separator, ';');
    assert.deepEqual(again.rows, current);
  });

  it('imports a CSV only after showing what is added, changed and removed', async () => {
    // As Excel saves it in a European locale: ";", a quoted cell holding ";", no BOM.
    const csv = [
      'name;address;dataType;gain;unit;description',
      'plant/line1/filler/count;hr:0;uint32;;;',
      'plant/line1/filler/speed;hr:20;float32;;bpm;',
      'plant/line1/filler/temperature;hr:30;int16;0.1;°C;',
      'plant/line1/filler/state;hr:40;uint16;;;"0=stopped; 1=running"',
      '',
    ].join('\r\n');
    await importFile(page, ROWS_PANE, 'excel.csv', csv);
    assert.equal(await page.textContent(`${DIALOG} .fh-tm-preview-summary`), '1 added, 1 changed, 1 removed, 2 unchanged');
    const list = (kind: string): Promise<string[]> => page.$$eval(`${DIALOG} .fh-tm-preview-${kind} li`, (lis) => lis.map((li) => li.textContent ?? ''));
    assert.deepEqual(await list('added'), ['plant/line1/filler/state  hr:40']);
    assert.deepEqual(await list('changed'), ['plant/line1/filler/speed: unit ppm → bpm']);
    assert.deepEqual(await list('removed'), ['plant/line1/filler/running  co:0']);
    assert.equal(await page.locator(`${DIALOG} .fh-tm-preview-errors`).count(), 0);
    assert.deepEqual(await tableRows(page, ROWS_PANE), current, 'nothing applied before Accept');
    await shot(page, '2-import-preview');
    await page.click(`${DIALOG} .fh-tm-accept`);
    current = [
      ROWS[0] ?? {},
      { name: 'plant/line1/filler/speed', address: 'hr:20', dataType: 'float32', unit: 'bpm' },
      { name: 'plant/line1/filler/temperature', address: 'hr:30', dataType: 'int16', gain: '0.1', unit: '°C' },
      { name: 'plant/line1/filler/state', address: 'hr:40', dataType: 'uint16', description: '0=stopped; 1=running' },
    ];
    await page.waitForSelector(`${DIALOG} .fh-tm-preview`, { state: 'detached' });
    assert.deepEqual(await tableRows(page, ROWS_PANE), current);
  });

  it('refuses a bad CSV with every error by row and column, and changes nothing', async () => {
    const bad = ['name,address,dataType', 'plant/line1/filler/a,hr:50.16,bool', 'plant/line1/filler/a,hr:51,uint16', 'plant/line1/filler/b,hr:52,float99', ''].join('\r\n');
    await importFile(page, ROWS_PANE, 'bad.csv', bad);
    const errors = await page.$$eval(`${DIALOG} .fh-tm-preview-errors li`, (lis) => lis.map((li) => li.textContent));
    assert.deepEqual(errors, [
      // The file's lines, as a spreadsheet numbers them (the header is line 1).
      'line 2, column "address": bit index 16 is above 15',
      'line 3, column "name": duplicate name "plant/line1/filler/a": line 2 is already named "plant/line1/filler/a" (names are case-insensitive)',
      `line 4, column "dataType": unknown data type "float99" (expected one of ${DATA_TYPES.join(', ')})`,
    ]);
    assert.equal(await page.isDisabled(`${DIALOG} .fh-tm-accept`), true, 'Accept is disabled');
    await shot(page, '3-import-refused');
    await page.click(`${DIALOG} .fh-tm-cancel`);

    // An image renamed to .csv: recognised as binary before any row is read.
    await importFile(page, ROWS_PANE, 'photo.csv', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]));
    assert.equal(await page.textContent(`${DIALOG} .fh-tm-preview-summary`), 'The file cannot be imported.');
    assert.deepEqual(await page.$$eval(`${DIALOG} .fh-tm-preview-errors li`, (lis) => lis.map((li) => li.textContent)), [
      'not a CSV text file: it contains NUL bytes, as binary files (images, xlsx, pdf) do',
    ]);
    assert.equal(await page.isDisabled(`${DIALOG} .fh-tm-accept`), true);
    await page.click(`${DIALOG} .fh-tm-cancel`);
    assert.deepEqual(await tableRows(page, ROWS_PANE), current, 'the table is as before');
  });

  it('deploys the edited map to the running hub', async () => {
    await page.click('#node-config-dialog-ok');
    await page.waitForSelector(DIALOG, { state: 'detached' });
    await page.click('#red-ui-header-button-deploy');
    // The map is not used by any node, so Node-RED may ask to confirm deploying an unused config node.
    const confirm = page.locator('#red-ui-deploy-dialog-confirm-deploy-deploy');
    const until = Date.now() + 15000;
    while (JSON.stringify((await deployedMap()).rows) !== JSON.stringify(current)) {
      assert.ok(Date.now() < until, `deployed rows: ${JSON.stringify((await deployedMap()).rows)}`);
      if (await confirm.isVisible()) await confirm.click();
      await new Promise((r) => setTimeout(r, 100));
    }
    await shot(page, '4-deployed');
  });

  it('lets the technician (read-only editor) change the map through the Tag maps sidebar', async () => {
    await page.evaluate(() => (globalThis as unknown as Required<EditorWindow>).RED.user.logout());
    await page.waitForSelector('#node-dialog-login-username');
    await login(page, 'technician');
    assert.equal(await page.locator('#red-ui-header-button-deploy').evaluate((b) => b.classList.contains('disabled')), true, 'no deploy for a technician');
    await page.evaluate(() => (globalThis as unknown as Required<EditorWindow>).RED.sidebar.show('fh-tag-maps'));
    await page.click(`.fh-tm-sidebar-map[data-id="${MAP}"] .fh-tm-sidebar-edit`);
    const tray = '.red-ui-tray .fh-tm [data-pane="rows"]';
    await page.waitForSelector(`${tray} tr[data-key]`);
    assert.deepEqual(await tableRows(page, tray), current);

    // An invalid map is refused in the browser already, and nothing is sent.
    const speedAddress = page.locator(`${tray} tr[data-key]`).nth(1).locator('input[data-column="address"]');
    await speedAddress.fill('hr:30');
    await page.click('#fh-tm-tray-save');
    await page.waitForSelector('.red-ui-tray .fh-tm-message:has-text("Fix the 1 error")');
    assert.deepEqual((await deployedMap()).rows, current);

    await speedAddress.fill('hr:22');
    await shot(page, '5-technician-sidebar');
    await page.click('#fh-tm-tray-save');
    await page.waitForSelector('.red-ui-tray .fh-tm', { state: 'detached' });
    current = current.map((r) => (r.name === 'plant/line1/filler/speed' ? { ...r, address: 'hr:22' } : r));
    const deployed = await deployedMap();
    assert.deepEqual(deployed.rows, current);
    // The technician's workspace follows, so Node-RED does not report the flows changed elsewhere.
    assert.equal(await page.evaluate(() => (globalThis as unknown as Required<EditorWindow>).RED.nodes.version()), deployed.rev);
    assert.deepEqual(await page.evaluate((id) => (globalThis as unknown as Required<EditorWindow>).RED.nodes.node(id)?.rows, MAP), current);
    await shot(page, '6-technician-saved');
  });

  it("shows the technician why a change to a writable tag's target is refused, and deploys nothing", async () => {
    await page.click(`.fh-tm-sidebar-map[data-id="${MAP}"] .fh-tm-sidebar-edit`);
    const tray = '.red-ui-tray .fh-tm [data-pane="rows"]';
    await page.waitForSelector(`${tray} tr[data-key]`);
    const before = await deployedMap();
    // Making a read-only tag writable would open a write path: that needs an integrator.
    const third = current[2]?.name ?? '';
    await page.locator(`${tray} tr[data-key]`).nth(2).locator('input[data-column="access"]').fill('read-write');
    await page.click('#fh-tm-tray-save');
    const message = page.locator('.red-ui-tray .fh-tm-message');
    await message.locator('text=flows.write').waitFor({ timeout: 15000 });
    const text = await message.innerText();
    assert.match(text, /nothing was changed: this change alters where writes to a machine land, which needs the permission flows\.write \(an integrator\), and the account "technician" lacks it/);
    assert.ok(text.includes(`\n${third}: made writable (`), text);
    await shot(page, '7-technician-write-gate');
    assert.deepEqual(await deployedMap(), before, 'nothing deployed');
    await page.click('#fh-tm-tray-cancel');
  });
  it('sizes the table for the tray: every name whole, the name column frozen while the others scroll into view, columns resizable, the full height used', async () => {
    await page.click(`.fh-tm-sidebar-map[data-id="${MAP}"] .fh-tm-sidebar-edit`);
    const tray = '.red-ui-tray .fh-tm [data-pane="rows"]';
    await page.waitForSelector(`${tray} tr[data-key]`);
    // A long name typed into a new row widens the name column to it.
    await page.click(`${tray} .fh-tm-add`);
    await page.locator(`${tray} tr[data-key]`).last().locator('input[data-column="name"]').fill('plant/line1/filler/speedSetpointOfTheSecondStage');
    const names = page.locator(`${tray} input[data-column="name"]`);
    const cut = await names.evaluateAll((inputs) => inputs.filter((i) => i.scrollWidth > i.clientWidth).map((i) => (i as HTMLInputElement).value));
    assert.deepEqual(cut, [], 'no name is cut');

    // A column's header edge resizes it.
    const description = page.locator(`${tray} tr[data-key]`).first().locator('input[data-column="description"]');
    await description.scrollIntoViewIfNeeded();
    const before = (await description.boundingBox())?.width ?? 0;
    const edge = await page.locator(`${tray} th[data-column="description"] .fh-tm-resize`).boundingBox();
    assert.ok(edge !== null);
    await page.mouse.move(edge.x + edge.width / 2, edge.y + edge.height / 2);
    await page.mouse.down();
    await page.mouse.move(edge.x + edge.width / 2 + 80, edge.y + edge.height / 2, { steps: 4 });
    await page.mouse.up();
    const after = (await description.boundingBox())?.width ?? 0;
    assert.ok(Math.abs(after - before - 80) <= 2, `description ${before} px -> ${after} px`);

    // Scrolled to its last column, the table still shows the names beside it.
    const scroller = page.locator(`${tray} .fh-tm-scroll`);
    await scroller.evaluate((s) => (s.scrollLeft = 0));
    const nameAt = async (): Promise<number> => (await names.first().boundingBox())?.x ?? NaN;
    const left = await nameAt();
    const scrolled = await scroller.evaluate((s) => {
      s.scrollLeft = s.scrollWidth;
      return s.scrollLeft;
    });
    assert.ok(scrolled > 0, 'the columns are wider than the tray, so it scrolls');
    assert.ok(Math.abs((await nameAt()) - left) < 1, 'the name column stays where it was');
    const header = await page.locator(`${tray} th[data-column="name"]`).boundingBox();
    const topmost = header && (await page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.closest('th')?.getAttribute('data-column'), [header.x + 10, header.y + header.height / 2]));
    assert.equal(topmost, 'name', 'its header too, above the headers scrolled under it');
    const view = await scroller.boundingBox();
    const device = await page.locator(`${tray} tr[data-key]`).first().locator('input[data-column="device"]').boundingBox();
    assert.ok(view !== null && device !== null && device.x + device.width <= view.x + view.width + 1, 'the last column is in view');

    // Five rows, and still the table reaches the bottom of the tray.
    const body = await page.locator('.red-ui-tray .red-ui-tray-body').boundingBox();
    const editor = await page.locator('.red-ui-tray .fh-tm').boundingBox();
    assert.ok(body !== null && editor !== null);
    const gap = body.y + body.height - (editor.y + editor.height);
    assert.ok(gap < 40, `${Math.round(gap)} px of the tray left empty under the table`);
    await shot(page, '8-table-sized');
    await page.click('#fh-tm-tray-cancel');
  });
});
