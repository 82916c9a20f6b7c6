/**
 * For tests of the OEE nodes in a real hub (a Node-RED child process): a small package holding
 * fh-shift-calendar and fh-oee that loads them from their TypeScript sources through tsx, so the
 * runtime needs no build and no entry in package.json (the editor's dialogs come from the last build).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_NAME, addEditorPlugin } from '../support/editor-plugin';
import { repoRoot } from '../support/hub-process';

/** Writes the package into `dir`/oee-package and returns its path (give it to HubProcess as nodesDir). */
export function sourcePackage(dir: string): string {
  const pkg = path.join(dir, 'oee-package');
  const src = path.join(repoRoot, 'nodes', 'oee');
  fs.mkdirSync(path.join(pkg, 'locales', 'en-US'), { recursive: true });
  fs.mkdirSync(path.join(pkg, 'icons'), { recursive: true });
  const nodes: Record<string, string> = { 'fh-shift-calendar': 'shift-calendar.js', 'fh-oee': 'oee.js' };
  // The editor plugin holds the nodes' dialogs.
  const plugins = addEditorPlugin(pkg);
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: PACKAGE_NAME, version: '0.0.0', 'node-red': { nodes, plugins } }));
  for (const file of Object.values(nodes)) {
    const base = file.replace(/\.js$/, '');
    fs.writeFileSync(path.join(pkg, file), `require('tsx/cjs');\nmodule.exports = require(${JSON.stringify(path.join(src, `${base}.ts`))}).default;\n`);
    fs.copyFileSync(path.join(src, `${base}.html`), path.join(pkg, `${base}.html`));
    for (const ext of ['json', 'html']) fs.copyFileSync(path.join(src, 'locales', 'en-US', `${base}.${ext}`), path.join(pkg, 'locales', 'en-US', `${base}.${ext}`));
  }
  fs.cpSync(path.join(repoRoot, 'nodes', 'icons'), path.join(pkg, 'icons'), { recursive: true });
  return pkg;
}
