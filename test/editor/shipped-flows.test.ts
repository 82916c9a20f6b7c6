/**
 * Every shipped flow (flows/*.json, offered under Import > Examples) deployed through the editor in
 * Chromium as the integrator, each into an empty hub as a new user imports it: the example as the
 * editor's library serves it, imported as the Import dialog does, then Deploy. It fails on Node-RED's
 * "not properly configured" confirm dialog, on any node or config node the editor marks invalid (the
 * red triangle, `valid === false`) and on any error or warning toast. The hub has no project (as one
 * started without the demo): the integrator, who may not create projects, is not offered one either (it
 * used to be a "You must be logged in to perform this action" toast at every editor load).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { HubProcess, repoRoot, tempDir } from '../support/hub-process';
import { launchBrowser } from '../support/browser';
import { editorLogin, flowsLoaded, recordToasts } from '../support/editor-page';

const FLOWS = path.join(repoRoot, 'flows');
const PACKAGE = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string }).name;

interface EditorNode {
  id: string;
  type: string;
  z?: string;
  name?: string;
  valid?: boolean;
  validationErrors?: string[];
}
interface BrowserRED {
  nodes: {
    dirty(): boolean;
    eachNode(cb: (n: EditorNode) => void): void;
    eachConfig(cb: (n: EditorNode) => void): void;
  };
  view: { importNodes(nodes: unknown, options: Record<string, unknown>): void };
  workspaces: { show(id: string): void };
}
type EditorWindow = { RED: BrowserRED; $: { getJSON(url: string): PromiseLike<unknown> } };

describe('shipped flows deploy through the editor without a warning (Chromium, integrator)', function () {
  this.timeout(120000);
  const hub = new HubProcess({ userDir: path.join(tempDir('shipped-flows'), 'userdir') });
  let browser: Browser | undefined;
  let page: Page;
  let toasts: string[] = [];

  before(async () => {
    await hub.start();
    browser = await launchBrowser(hub);
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    await context.route((url) => url.origin !== new URL(hub.url).origin, (route) => route.abort());
    toasts = await recordToasts(context);
    page = await context.newPage();
    await page.goto(`${hub.url}/`, { waitUntil: 'domcontentloaded' });
    await editorLogin(page, 'integrator');
  });

  after(async () => {
    await browser?.close();
    await hub.stop();
  });

  /** Every node and config node the editor marks invalid, with its reasons. */
  const invalidNodes = (): Promise<string[]> =>
    page.evaluate(() => {
      // (No named functions in here: the test runner's compiler would wrap them in a helper the page lacks.)
      const RED = (globalThis as unknown as EditorWindow).RED;
      const nodes: EditorNode[] = [];
      RED.nodes.eachNode((n) => void nodes.push(n));
      RED.nodes.eachConfig((n) => void nodes.push(n));
      return nodes.filter((n) => n.valid === false).map((n) => `${n.type} "${n.name ?? n.id}": ${(n.validationErrors ?? []).join(', ') || 'invalid'}`);
    });

  for (const file of fs.readdirSync(FLOWS).filter((f) => f.endsWith('.json'))) {
    it(`${file}: imported from Import > Examples and deployed, no confirm dialog, no invalid node, no toast`, async () => {
      // An empty hub and a freshly loaded editor for each flow.
      const admin = await hub.login('admin');
      assert.equal((await hub.api(admin, 'POST', '/flows', [], { 'Node-RED-Deployment-Type': 'full' })).status, 204);
      await page.reload({ waitUntil: 'domcontentloaded' });
      await flowsLoaded(page);
      toasts.length = 0;
      const example = `library/examples/flows/${PACKAGE}/${file.replace(/\.json$/, '')}`;
      await page.evaluate(async (url) => {
        const w = globalThis as unknown as EditorWindow;
        const nodes = await w.$.getJSON(url);
        // As the Import dialog imports a flow (its ids kept), placed where the flow puts its nodes.
        w.RED.view.importNodes(nodes, { generateIds: false, addFlow: false, touchImport: true });
      }, example);
      await page.waitForFunction(() => (globalThis as unknown as EditorWindow).RED.nodes.dirty());

      // Every tab drawn once: the red triangle of each node, as the user would see it.
      const tabs = await page.evaluate(() => {
        const ids = new Set<string>();
        (globalThis as unknown as EditorWindow).RED.nodes.eachNode((n) => void (n.z !== undefined && ids.add(n.z)));
        return [...ids];
      });
      assert.ok(tabs.length > 0, 'the example has its tabs');
      // Every problem, then one assertion: a failure lists them all.
      const problems: string[] = [];
      for (const tab of tabs) {
        await page.evaluate((id) => (globalThis as unknown as EditorWindow).RED.workspaces.show(id), tab);
        await page.waitForSelector('#red-ui-workspace-chart .red-ui-flow-node-group', { state: 'attached' });
        const triangles = await page.$$eval('#red-ui-workspace-chart .red-ui-flow-node-error', (els) =>
          els.filter((e) => !e.classList.contains('hide') && (e as SVGGraphicsElement).getBBox().width > 0).length,
        );
        if (triangles > 0) problems.push(`tab ${tab}: ${triangles} node(s) with a red triangle`);
      }
      problems.push(...(await invalidNodes()).map((n) => `invalid: ${n}`));

      await page.click('#red-ui-header-button-deploy');
      const outcome = await Promise.race([
        page.waitForSelector('#red-ui-deploy-dialog-confirm-deploy-deploy', { timeout: 30000 }).then(async () => `confirm dialog: ${(await page.textContent('.red-ui-notification:has(#red-ui-deploy-dialog-confirm-deploy-deploy)')) ?? ''}`),
        page.waitForFunction(() => !(globalThis as unknown as EditorWindow).RED.nodes.dirty(), undefined, { timeout: 30000 }).then(() => 'deployed'),
      ]);
      if (outcome !== 'deployed') problems.push(outcome);
      const deployed = new Set(((await (await hub.api(admin, 'GET', '/flows')).json()) as { id: string }[]).map((n) => n.id));
      const shipped = JSON.parse(fs.readFileSync(path.join(FLOWS, file), 'utf8')) as { id: string }[];
      if (outcome === 'deployed') problems.push(...shipped.filter((n) => !deployed.has(n.id)).map((n) => `not deployed: ${n.id}`));
      problems.push(...toasts.map((t) => `toast: ${t}`));
      assert.deepEqual(problems, []);
    });
  }
});
