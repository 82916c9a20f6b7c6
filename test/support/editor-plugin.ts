/**
 * The editor plugin for test packages made from sources (test/oee/oee-hub.ts, opcua-editor-package.ts):
 * every node's .html registers with the plugin's bundle (resources/hub-editor.js, from the last build),
 * which the editor loads before any node. The package must be named @factoryhub/node-red-factoryhub,
 * the name the .html files load resources under.
 */
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './hub-process';

export const PACKAGE_NAME = '@factoryhub/node-red-factoryhub';

/** Writes the plugin into the package at `dir`; returns its package.json "plugins" section. */
export function addEditorPlugin(dir: string): Record<string, string> {
  const bundle = path.join(repoRoot, 'resources', 'hub-editor.js');
  if (!fs.existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build first (the node dialogs are in it)`);
  fs.mkdirSync(path.join(dir, 'resources'), { recursive: true });
  fs.copyFileSync(bundle, path.join(dir, 'resources', 'hub-editor.js'));
  const editor = path.join(dir, 'editor');
  fs.mkdirSync(editor, { recursive: true });
  fs.writeFileSync(path.join(editor, 'hub-editor.js'), `require('tsx/cjs');\nmodule.exports = require(${JSON.stringify(path.join(repoRoot, 'nodes', 'editor', 'hub-editor.ts'))}).default;\n`);
  fs.copyFileSync(path.join(repoRoot, 'nodes', 'editor', 'hub-editor.html'), path.join(editor, 'hub-editor.html'));
  return { 'fh-hub-editor': 'editor/hub-editor.js' };
}
