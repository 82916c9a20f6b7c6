/**
 * The first run as `npm start` makes it (HUB_DEMO_FLOW: the demo line as the hub's first project) and
 * the first login of each role in Chromium at 1920x1080, through the editor's login dialog: no
 * projects dialog, no error or warning toast, the hub's guided tour once (every step shows its target),
 * remembered in the account's user settings so that the next login goes straight to the editor. The
 * integrator adds the tour's stop buttons, deploys them and forces a stop on the simulated labeller. The
 * editor at that next login is each role's screenshot (test-artifacts/first-login/ and docs/).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { repoRoot } from '../support/hub-process';
import type { HubProcess } from '../support/hub-process';
import { editorLogin, recordToasts } from '../support/editor-page';
import { launchBrowser } from '../support/browser';
import { startDemo } from '../support/demo-line';
import type { RunningDemo } from '../support/demo-line';
import type { Role } from '../support/hub-process';

const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'first-login');
const DOCS = path.join(repoRoot, 'docs');
const PROJECT = 'demo-line';
/** What Node-RED shows when projects are on and none is active. */
const PROJECTS_WELCOME = 'Hello! We have introduced';

interface BrowserRED {
  /** `__flashTimer`: the editor flashes a node it reveals for about 2 s. */
  nodes: {
    node(id: string): unknown;
    dirty(): boolean;
    eachNode(cb: (n: { id?: string; type?: string; name?: string; payload?: string; __flashTimer?: unknown }) => void): void;
  };
}

async function waitUntil(check: () => boolean, what: string, timeoutMs = 20000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
type EditorWindow = { RED: BrowserRED };

describe('first run and first login of each role (Chromium, 1920x1080)', function () {
  this.timeout(120000);
  let demo: RunningDemo;
  let hub: HubProcess;
  let userDir: string;
  let anyNode = '';
  let browser: Browser | undefined;
  let page: Page;
  let toasts: string[] = [];

  before(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    // The simulated line and the demo ERP run, as under `npm start`: the screenshots show a live line.
    demo = await startDemo({ name: 'first-login', firstRun: true });
    hub = demo.hub;
    userDir = hub.options.userDir;
    anyNode = demo.flow.find((n) => n.type === 'fh-oee')?.id ?? '';
    browser = await launchBrowser(hub);
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    // Nothing leaves the hub's origin (the editor must not need the online catalogue or any CDN).
    await context.route((url) => url.origin !== new URL(hub.url).origin, (route) => route.abort());
    toasts = await recordToasts(context);
    page = await context.newPage();
    await page.goto(`${hub.url}/`, { waitUntil: 'domcontentloaded' });
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  async function login(role: Role): Promise<void> {
    toasts.length = 0;
    await editorLogin(page, role, (p) => p.waitForFunction((id) => (globalThis as unknown as Partial<EditorWindow>).RED?.nodes?.node?.(id) != null, anyNode, { timeout: 60000 }));
  }

  /** Deploys the tour's stop buttons and clicks them: the simulated labeller stops, then runs again. */
  async function forceStopFromTheEditor(): Promise<void> {
    const labeller = demo.line.line.machine('labeller');
    const injects = await page.evaluate(() => {
      const found: Record<string, string> = {};
      (globalThis as unknown as EditorWindow).RED.nodes.eachNode((n) => {
        if (n.type === 'inject' && /: (force a stop|end the stop)/.test(n.name ?? '')) found[n.payload ?? ''] = n.id ?? '';
        if (n.type === 'fh-opcua-write' && /forceStop$/.test(n.name ?? '')) found.write = n.id ?? '';
      });
      return found;
    });
    assert.deepEqual(Object.keys(injects).sort(), ['0', '104', 'write']);
    await page.click('#red-ui-header-button-deploy');
    await page.waitForFunction(() => !(globalThis as unknown as EditorWindow).RED.nodes.dirty());
    // The deploy restarted the flows: the write node's session is up again before the first press.
    await page.waitForSelector(`[id="${injects.write}"] .red-ui-flow-node-status-label:text-matches("^connected")`, { state: 'attached', timeout: 30000 });
    const press = async (id: string): Promise<void> => {
      // The inject's button, as a user clicks it: Node-RED says "Successfully injected".
      const before = await page.locator('.red-ui-notification-success:has-text("Successfully injected")').count();
      await page.locator(`[id="${id}"] .red-ui-flow-node-button-button`).click();
      await page.waitForFunction((n) => document.querySelectorAll('.red-ui-notification-success').length > n, before);
    };
    await press(injects['104']);
    await waitUntil(() => labeller.snapshot().forcedStop, 'the labeller stopped');
    await press(injects['0']);
    await waitUntil(() => !labeller.snapshot().forcedStop, 'the labeller runs again');
  }

  /** The plugin's decision about the tour for this login: 'due' (it runs) or 'seen'. */
  const tourDecision = async (): Promise<string> => {
    await page.waitForFunction(() => document.documentElement.dataset.fhTour !== undefined, undefined, { timeout: 30000 });
    return page.evaluate(() => document.documentElement.dataset.fhTour ?? '');
  };

  it('the first start makes the demo line the active project: one commit, nothing left to commit', async () => {
    const token = await hub.login('admin');
    const list = (await (await hub.api(token, 'GET', '/projects')).json()) as { active?: string; projects: string[] };
    assert.deepEqual(list, { projects: [PROJECT], active: PROJECT });
    const flows = (await (await hub.api(token, 'GET', '/flows')).json()) as unknown[];
    assert.equal(flows.length, demo.flow.length, 'the demo flow runs');
    const repo = path.join(userDir, 'projects', PROJECT);
    const git = (...args: string[]): string => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
    assert.equal(git('rev-list', '--count', 'HEAD'), '1');
    assert.equal(git('status', '--porcelain'), '', 'nothing changed since the commit');
    assert.deepEqual(git('ls-files').split('\n').sort(), ['.gitignore', 'README.md', 'flows.json', 'package.json']);
    assert.deepEqual(JSON.parse(git('show', 'HEAD:flows.json')), demo.flow);
    // The project's credentials are encrypted: Node-RED keeps the project's key with the project's settings.
    const config = JSON.parse(fs.readFileSync(path.join(userDir, '.config.projects.json'), 'utf8')) as { projects: Record<string, { credentialSecret?: unknown }> };
    assert.equal(typeof config.projects[PROJECT]?.credentialSecret, 'string');
    assert.equal(fs.statSync(path.join(userDir, '.config.projects.json')).mode & 0o077, 0, 'private to the hub');
    assert.match(hub.log, /Active project : demo-line/);
  });

  for (const role of ['integrator', 'technician', 'operator'] as const) {
    it(`${role}: the first login lands in a clean editor, then the tour once; the next login goes straight to the editor`, async () => {
      await login(role);
      assert.equal(await tourDecision(), 'due');
      const popover = page.locator('.red-ui-tourGuide-popover');
      await popover.waitFor({ state: 'visible', timeout: 30000 });
      assert.equal(await page.getByText(PROJECTS_WELCOME).count(), 0, 'no projects dialog');
      await page.screenshot({ path: path.join(ARTIFACTS, `${role}-tour.png`) });
      // Every step: its text, its target found (a step whose target is missing ends the tour early).
      const titles: string[] = [];
      let added = false;
      for (;;) {
        const counter = (await popover.locator('.red-ui-tourGuide-toolbar small').textContent()) ?? '';
        const [at, of] = counter.split('/').map(Number);
        titles.push((await popover.locator('h2').first().textContent()) ?? '');
        const add = popover.locator('.fh-tour-add-stop');
        if (await add.count()) {
          // Only for an account that may deploy: the step's button adds the two injects and their opcua write.
          assert.equal(role, 'integrator');
          await add.click();
          await page.waitForFunction(() => document.querySelector<HTMLButtonElement>('.fh-tour-add-stop')?.disabled === true);
          added = true;
        }
        assert.equal(at, titles.length, `step ${counter} follows step ${titles.length - 1}`);
        await popover.locator('.red-ui-tourGuide-toolbar button').click();
        if (at === of) break;
        await page.waitForFunction((n) => document.querySelector('.red-ui-tourGuide-toolbar small')?.textContent?.startsWith(`${n}/`), at + 1);
      }
      assert.ok(titles.includes('Tag maps') && titles.includes('Force a stop') && titles.includes('In the ERP'), titles.join(', '));
      await page.waitForSelector('.red-ui-tourGuide-shade', { state: 'detached' });
      // The screenshot once the last popover has faded out and the node the tour revealed stops flashing.
      await page.waitForSelector('.red-ui-tourGuide-popover', { state: 'hidden' });
      await page.waitForFunction(() => {
        let flashing = false;
        (globalThis as unknown as EditorWindow).RED.nodes.eachNode((n) => void (flashing ||= n.__flashTimer !== undefined));
        return !flashing;
      });
      assert.equal(added, role === 'integrator', 'the stop buttons are offered to the account that may deploy');
      if (added) await forceStopFromTheEditor();
      assert.deepEqual(toasts, [], 'no error or warning toast');
      assert.equal(await page.getByText(PROJECTS_WELCOME).count(), 0, 'no projects dialog');
      await page.screenshot({ path: path.join(ARTIFACTS, `${role}-after-tour.png`) });

      // Remembered in the account's user settings, on the hub.
      const settings = (await (await hub.api(await hub.login(role), 'GET', '/settings/user')).json()) as { factoryhub?: unknown };
      assert.deepEqual(settings.factoryhub, { tour: '1' });
      await login(role);
      assert.equal(await tourDecision(), 'seen');
      assert.deepEqual(toasts, [], 'no error or warning toast');
      assert.equal(await page.locator('.red-ui-tourGuide-shade').count(), 0);
      // The editor as the role finds it at a login: the screenshot of docs/.
      await page.waitForSelector('#red-ui-loading-progress', { state: 'hidden' });
      await page.waitForFunction(() => !/loading/.test(document.querySelector('.fh-tm-sidebar')?.textContent ?? ''));
      await page.screenshot({ path: path.join(ARTIFACTS, `${role}.png`) });
      fs.copyFileSync(path.join(ARTIFACTS, `${role}.png`), path.join(DOCS, `editor-${role}.png`));
    });
  }
});
