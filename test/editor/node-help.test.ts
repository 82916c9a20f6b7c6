/**
 * Each node's help, as the editor's Help sidebar shows it in Chromium, for every type in package.json's
 * node-red.nodes: each property of its help text (a `: name : text` entry of the Markdown source) is its
 * own entry of Node-RED's property list (`dl.message-properties > dt`), and no entry is left as
 * run-together text (": name : ISA-95 path … : address : …").
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { HubProcess, repoRoot, tempDir } from '../support/hub-process';
import { launchBrowser } from '../support/browser';
import { editorLogin } from '../support/editor-page';

const TYPES = Object.keys((JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } })['node-red'].nodes);

function htmlFiles(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) htmlFiles(full, out);
    else if (entry.name.endsWith('.html')) out.push(full);
  }
  return out;
}

/** The Markdown help source of a type (in its locale folder or its .html), wherever the package keeps it. */
function helpSource(type: string): string {
  const open = new RegExp(`<script type="text/markdown" data-help-name="${type}">`);
  for (const file of htmlFiles(path.join(repoRoot, 'nodes'))) {
    const text = fs.readFileSync(file, 'utf8');
    const m = open.exec(text);
    if (m) return text.slice(m.index + m[0].length, text.indexOf('</script>', m.index));
  }
  throw new Error(`no Markdown help for ${type} under nodes/`);
}

interface Rendered {
  readonly terms: string[];
  /** Text of the help outside its property lists. */
  readonly prose: string[];
}
type EditorWindow = { RED: { sidebar: { help: { show(type: string): void } } } };

describe('node help in the editor: every property its own list entry (Chromium)', function () {
  this.timeout(90000);
  const hub = new HubProcess({ userDir: path.join(tempDir('node-help'), 'userdir') });
  let browser: Browser | undefined;
  let page: Page;

  before(async () => {
    await hub.start();
    browser = await launchBrowser(hub);
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    await context.route((url) => url.origin !== new URL(hub.url).origin, (route) => route.abort());
    page = await context.newPage();
    await page.goto(`${hub.url}/`, { waitUntil: 'domcontentloaded' });
    await editorLogin(page, 'operator');
  });

  after(async () => {
    await browser?.close();
    await hub.stop();
  });

  for (const type of TYPES) {
    it(`${type}: each property of the help is one dl.message-properties entry`, async () => {
      const entries = helpSource(type)
        .split('\n')
        .filter((line) => /^\s*: \S/.test(line));
      const shown = await page.evaluate((t): Rendered => {
        (globalThis as unknown as EditorWindow).RED.sidebar.help.show(t);
        const help = document.querySelector('#red-ui-sidebar-help .red-ui-help') ?? document.body;
        const terms = Array.from(help.querySelectorAll('dl.message-properties > dt')).map((dt) => (dt.textContent ?? '').trim());
        const prose = Array.from(help.querySelectorAll('p, li'))
          .filter((e) => e.closest('dl') === null)
          .map((e) => e.textContent ?? '');
        return { terms, prose };
      }, type);
      assert.equal(shown.terms.length, entries.length, `${type}: ${entries.length} property entries in the source, shown as: ${JSON.stringify(shown.terms)}`);
      assert.deepEqual(
        shown.terms.filter((t) => t === '' || / : /.test(t)),
        [],
        'a term holds one property',
      );
      assert.deepEqual(
        shown.prose.filter((t) => /(^|\s): \S[^:]{0,60} : /.test(t)),
        [],
        'no property entry left as run-together text',
      );
    });
  }
});
