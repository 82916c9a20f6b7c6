/**
 * A Node-RED package of this repository's OPC UA nodes (and fh-tag-map) loaded straight from their
 * TypeScript, for editor tests in a real hub: each node file is a two-line shim that registers tsx and
 * requires the .ts module; the .html, locales and icon sit next to it as the build would place them.
 * (The real package lists its nodes in package.json; this one exists only under .tmp/.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_NAME, addEditorPlugin } from './editor-plugin';
import { repoRoot, tempDir } from './hub-process';

const SETS: Record<string, string> = {
  'fh-opcua-endpoint': 'nodes/opcua/opcua-endpoint',
  'fh-opcua-read': 'nodes/opcua/opcua-read',
  'fh-opcua-subscribe': 'nodes/opcua/opcua-subscribe',
  'fh-opcua-write': 'nodes/opcua/opcua-write',
  'fh-tag-map': 'nodes/tags/tag-map',
};

export function makeOpcUaEditorPackage(): string {
  const dir = tempDir('opcua-editor-pkg');
  const tsx = require.resolve('tsx/cjs');
  const nodes: Record<string, string> = {};
  for (const [set, source] of Object.entries(SETS)) {
    const family = path.dirname(source);
    const base = path.basename(source);
    const target = path.join(dir, family);
    fs.mkdirSync(path.join(target, 'locales', 'en-US'), { recursive: true });
    fs.mkdirSync(path.join(target, 'icons'), { recursive: true });
    fs.writeFileSync(
      path.join(target, `${base}.js`),
      `require(${JSON.stringify(tsx)});\nmodule.exports = require(${JSON.stringify(path.join(repoRoot, `${source}.ts`))}).default;\n`,
    );
    fs.copyFileSync(path.join(repoRoot, `${source}.html`), path.join(target, `${base}.html`));
    for (const ext of ['json', 'html']) {
      const file = path.join(repoRoot, family, 'locales', 'en-US', `${base}.${ext}`);
      if (fs.existsSync(file)) fs.copyFileSync(file, path.join(target, 'locales', 'en-US', `${base}.${ext}`));
    }
    fs.cpSync(path.join(repoRoot, 'nodes', 'icons'), path.join(target, 'icons'), { recursive: true });
    nodes[set] = `${family}/${base}.js`;
  }
  // The tag-map editor bundle, when a build made it (the OPC UA dialog does not need it).
  const bundle = path.join(repoRoot, 'resources', 'tag-editor.js');
  if (fs.existsSync(bundle)) {
    fs.mkdirSync(path.join(dir, 'resources'), { recursive: true });
    fs.copyFileSync(bundle, path.join(dir, 'resources', 'tag-editor.js'));
  }
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: PACKAGE_NAME, version: '0.0.0-test', 'node-red': { version: '>=4.0.0', nodes, plugins: addEditorPlugin(dir) } }, null, 2),
  );
  return dir;
}
