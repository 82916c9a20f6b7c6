/**
 * The OPC UA editor UI in a real browser (Debian's Chromium, headless, playwright-core) against a real
 * hub and a real node-opcua server: from a subscribe node's dialog, browse the server and add variables
 * to a tag map (NodeId and data type filled in), then deploy; in the endpoint dialog, see the refused
 * server certificate and trust it, after which the endpoint connects.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { HubProcess, ROLE_PASSWORDS, tempDir } from '../support/hub-process';
import { launchBrowser } from '../support/browser';
import { startTestServer } from '../support/opcua-server';
import type { TestServer } from '../support/opcua-server';
import { makeOpcUaEditorPackage } from '../support/opcua-editor-package';
import { seedClientPki } from '../support/opcua-pki';

const TAB = 'ee00000000000001';
const EP = 'ee00000000000002';
const MAP = 'ee00000000000003';
const SUB = 'ee00000000000004';
const SECURE = 'ee00000000000005';
const READ = 'ee00000000000006';

interface BrowserRED {
  nodes: { node(id: string): { rows?: unknown[] } | null; dirty(): boolean };
  editor: { edit(node: unknown): void; editConfig(name: string, type: string, id: string): void };
}
type EditorWindow = { RED?: BrowserRED };

describe('OPC UA editor UI in a real browser (Chromium)', function () {
  this.timeout(90000);
  const userDir = path.join(tempDir('opcua-editor'), 'userdir');
  const hub = new HubProcess({ userDir, nodesDir: makeOpcUaEditorPackage() });
  let server: TestServer;
  let browser: Browser | undefined;
  let page: Page;
  let token = '';

  const deployedRows = async (): Promise<unknown> => {
    const res = await hub.api(token, 'GET', '/flows', undefined, { 'Node-RED-API-Version': 'v2' });
    const body = (await res.json()) as { flows: { id: string; rows?: unknown }[] };
    return body.flows.find((n) => n.id === MAP)?.rows;
  };

  before(async () => {
    server = await startTestServer();
    fs.mkdirSync(userDir, { recursive: true });
    await seedClientPki(userDir);
    const flow = [
      { id: TAB, type: 'tab', label: 'Line 1' },
      { id: EP, type: 'fh-opcua-endpoint', name: 'test server', endpointUrl: server.url, securityMode: 'None', securityPolicy: 'None', authentication: 'anonymous', reconnectMax: 2 },
      { id: SECURE, type: 'fh-opcua-endpoint', name: 'secure', endpointUrl: server.url, securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', authentication: 'anonymous', reconnectMax: 2 },
      { id: MAP, type: 'fh-tag-map', name: 'line1', rows: [{ name: 'plant/line1/filler/count', address: 'ns=1;s=Counter', dataType: 'int32' }] },
      { id: SUB, type: 'fh-opcua-subscribe', z: TAB, name: 'filler', endpoint: EP, tagMap: MAP, prefix: '', samplingInterval: 500, publishingInterval: 1000, queueSize: 10, deadbandType: 'none', deadband: 0, output: 'each', x: 150, y: 60, wires: [[]] },
      { id: READ, type: 'fh-opcua-read', z: TAB, name: 'secure read', endpoint: SECURE, tagMap: '', prefix: '', output: 'each', x: 150, y: 120, wires: [[]] },
    ];
    // The browser trusts the hub's certificate, which the hub makes on its first start.
    await hub.start();
    const started = (async () => {
      token = await hub.login('admin');
      const from = hub.log.length;
      const res = await hub.api(token, 'POST', '/flows', flow, { 'Node-RED-Deployment-Type': 'full' });
      assert.ok([200, 204].includes(res.status), `deploy: HTTP ${res.status}`);
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
    await page.waitForFunction((id) => (globalThis as unknown as EditorWindow).RED?.nodes?.node?.(id) != null, MAP, { timeout: 40000 });
    // Node-RED 4 may ask about update notifications, and (projects on, none yet) offers to create one: declined.
    const modal = page.locator('button:text-is("No, do not enable notifications"), button:text-is("Not right now")');
    for (let i = 0; i < 2; i++) {
      const button = modal.first();
      if (!(await button.waitFor({ timeout: i === 0 ? 20000 : 2000 }).then(() => true, () => false))) break;
      const last = (await button.textContent()) === 'Not right now';
      await button.click();
      if (last) break;
    }
  });

  after(async () => {
    await browser?.close();
    await hub.stop();
    await server.stop();
  });

  it('browses the server from a node dialog and adds variables to the tag map, then deploys', async () => {
    await page.evaluate((id) => {
      const RED = (globalThis as unknown as Required<EditorWindow>).RED;
      RED.editor.edit(RED.nodes.node(id));
    }, SUB);
    await page.click('#node-input-browse');
    const tree = '.fh-ua-tree';
    const entry = (name: string): string => `${tree} li:has(> div > span:text-is("${name}"))`;
    const folder = (name: string): string => `${tree} li:has(> div > span:has-text("${name}"))`;
    await page.click(`${folder('Plant')} > div > .fh-ua-toggle`);
    await page.check(`${entry('Int32')} > div > input[type=checkbox]`);
    await page.check(`${entry('Duration')} > div > input[type=checkbox]`);
    await page.check(`${entry('Counter')} > div > input[type=checkbox]`);
    assert.equal(await page.isDisabled(`${entry('Fixed')} > div > input[type=checkbox]`), false);
    assert.equal(await page.textContent('#fh-ua-browse-add'), 'Add 3 tags');
    await page.fill('#fh-ua-browse-prefix', 'plant/line1/filler');
    await page.check('#fh-ua-browse-rw');
    await page.click('#fh-ua-browse-add');
    const rows = await page.evaluate((id) => (globalThis as unknown as Required<EditorWindow>).RED.nodes.node(id)?.rows, MAP);
    assert.deepEqual(rows, [
      { name: 'plant/line1/filler/count', address: 'ns=1;s=Counter', dataType: 'int32' },
      { name: 'plant/line1/filler/Int32', address: 'ns=1;s=Int32', dataType: 'int32', access: 'read-write' },
      { name: 'plant/line1/filler/Duration', address: 'ns=1;s=Duration', dataType: 'float64', access: 'read-write' },
    ], 'Counter was already in the map; the writable ones became read-write');
    await page.click('#node-dialog-ok');
    await page.click('#red-ui-header-button-deploy');
    for (let i = 0; i < 100 && JSON.stringify(await deployedRows()) !== JSON.stringify(rows); i++) await page.waitForTimeout(100);
    assert.deepEqual(await deployedRows(), rows, 'deployed');
  });

  it('shows the refused server certificate in the endpoint dialog and trusts it', async () => {
    await page.evaluate((id) => (globalThis as unknown as Required<EditorWindow>).RED.editor.editConfig('', 'fh-opcua-endpoint', id), SECURE);
    await page.waitForSelector('#fh-ua-endpoint-state:has-text("certificate not trusted")');
    const wanted = page.locator('#fh-ua-endpoint-certs li.fh-ua-wanted');
    await wanted.waitFor();
    assert.match((await wanted.textContent()) ?? '', /CN=Factory Hub test server/);
    await wanted.locator('button').click();
    await page.waitForSelector('#fh-ua-endpoint-certs li:has-text("Factory Hub test server") button:text-is("Remove")');
    for (let i = 0; i < 50 && server.sessionDetails().every((s) => !s.startsWith('SignAndEncrypt')); i++) await page.waitForTimeout(100);
    assert.ok(server.sessionDetails().some((s) => s.startsWith('SignAndEncrypt/Basic256Sha256')), server.sessionDetails().join(', '));
    await page.click('#node-config-dialog-cancel');
  });
});
