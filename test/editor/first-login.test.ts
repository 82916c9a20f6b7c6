/**
 * The first run as `npm start` makes it (HUB_DEMO_FLOW: the demo line as the hub's first project) and
 * the first login of each role in Chromium at 1920x1080, through the editor's login dialog: no
 * projects dialog, no error or warning toast, the hub's guided tour once (every step shows its target),
 * remembered in the account's user settings so that the next login goes straight to the editor. The
 * clean editor after the tour is the screenshot of each role (test-artifacts/first-login/ and docs/).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { HubProcess, repoRoot, tempDir } from '../support/hub-process';
import { editorLogin, recordToasts } from '../support/editor-page';
import { launchBrowser } from '../support/browser';
import { DEMO_FLOW_FILE } from '../support/demo-line';
import type { Role } from '../support/hub-process';

const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'first-login');
const DOCS = path.join(repoRoot, 'docs');
const PROJECT = 'demo-line';
/** What Node-RED shows when projects are on and none is active. */
const PROJECTS_WELCOME = 'Hello! We have introduced';

interface BrowserRED {
  nodes: { node(id: string): unknown };
}
type EditorWindow = { RED: BrowserRED };

describe('first run and first login of each role (Chromium, 1920x1080)', function () {
  this.timeout(120000);
  const userDir = path.join(tempDir('first-login'), 'userdir');
  const hub = new HubProcess({ userDir, env: { HUB_DEMO_FLOW: DEMO_FLOW_FILE } });
  const demo = JSON.parse(fs.readFileSync(DEMO_FLOW_FILE, 'utf8')) as { id: string; type: string }[];
  const anyNode = demo.find((n) => n.type === 'fh-oee')?.id ?? '';
  let browser: Browser | undefined;
  let page: Page;
  let toasts: string[] = [];

  before(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await hub.start();
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
    await hub.stop();
  });

  async function login(role: Role): Promise<void> {
    toasts.length = 0;
    await editorLogin(page, role, (p) => p.waitForFunction((id) => (globalThis as unknown as Partial<EditorWindow>).RED?.nodes?.node?.(id) != null, anyNode, { timeout: 60000 }));
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
    assert.equal(flows.length, demo.length, 'the demo flow runs');
    const repo = path.join(userDir, 'projects', PROJECT);
    const git = (...args: string[]): string => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
    assert.equal(git('rev-list', '--count', 'HEAD'), '1');
    assert.equal(git('status', '--porcelain'), '', 'nothing changed since the commit');
    assert.deepEqual(git('ls-files').split('\n').sort(), ['.gitignore', 'README.md', 'flows.json', 'package.json']);
    assert.deepEqual(JSON.parse(git('show', 'HEAD:flows.json')), JSON.parse(fs.readFileSync(DEMO_FLOW_FILE, 'utf8')));
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
      for (;;) {
        const counter = (await popover.locator('.red-ui-tourGuide-toolbar small').textContent()) ?? '';
        const [at, of] = counter.split('/').map(Number);
        titles.push((await popover.locator('h2').first().textContent()) ?? '');
        assert.equal(at, titles.length, `step ${counter} follows step ${titles.length - 1}`);
        await popover.locator('.red-ui-tourGuide-toolbar button').click();
        if (at === of) break;
        await page.waitForFunction((n) => document.querySelector('.red-ui-tourGuide-toolbar small')?.textContent?.startsWith(`${n}/`), at + 1);
      }
      assert.ok(titles.includes('Tag maps') && titles.includes('Force a stop') && titles.includes('In the ERP'), titles.join(', '));
      await page.waitForSelector('.red-ui-tourGuide-shade', { state: 'detached' });
      assert.deepEqual(toasts, [], 'no error or warning toast');
      assert.equal(await page.getByText(PROJECTS_WELCOME).count(), 0, 'no projects dialog');
      await page.screenshot({ path: path.join(ARTIFACTS, `${role}.png`) });
      fs.copyFileSync(path.join(ARTIFACTS, `${role}.png`), path.join(DOCS, `editor-${role}.png`));

      // Remembered in the account's user settings, on the hub.
      const settings = (await (await hub.api(await hub.login(role), 'GET', '/settings/user')).json()) as { factoryhub?: unknown };
      assert.deepEqual(settings.factoryhub, { tour: '1' });
      await login(role);
      assert.equal(await tourDecision(), 'seen');
      assert.deepEqual(toasts, [], 'no error or warning toast');
      assert.equal(await page.locator('.red-ui-tourGuide-shade').count(), 0);
    });
  }
});
