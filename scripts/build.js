'use strict';
// Build: compile TypeScript to CommonJS in dist/, put each node's editor .html, locales and icons next to
// its compiled .js (where Node-RED looks for them), and make examples/ from flows/ (Import > Examples).
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { convertHelpFile } = require('./help-lists');

const root = path.resolve(__dirname, '..');

// Inside a test run (scripts/test.js) dist/ is built and in use by hubs of parallel jobs: a rebuild would empty it.
// npm pack runs `prepare` even with --ignore-scripts (npm 11): there the fresh dist/ is what gets packed.
if (process.env.FACTORYHUB_TEST_RUN === '1' && process.env.npm_lifecycle_event === 'prepare') {
  console.error('build: skipped for npm prepare inside the test run (npm test built dist/)');
  process.exit(0);
}
if (process.env.FACTORYHUB_TEST_RUN === '1') {
  let by = `process ${process.ppid}`;
  try {
    by = fs.readFileSync(`/proc/${process.ppid}/cmdline`, 'utf8').split('\0').join(' ').trim() || by;
  } catch {
    // not Linux: the pid says enough
  }
  console.error(`build: refused during the test run (dist/ is in use by the other test jobs); asked for by: ${by}`);
  process.exit(1);
}
const dist = path.join(root, 'dist');
const examples = path.join(root, 'examples');

/** @param {string} dir @param {string[]} out @returns {string[]} */
function walk(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else out.push(full);
  }
  return out;
}

/** @param {string} from @param {string} to */
function copy(from, to) {
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}

fs.rmSync(dist, { recursive: true, force: true });
fs.rmSync(examples, { recursive: true, force: true });

execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
  cwd: root,
});

// ---- Editor bundles (browser code) ---------------------------------------------------------------------
// nodes/tags/editor/ and nodes/editor/browser/ run in the editor, not the runtime: drop tsc's CommonJS copy
// of them and bundle each, with the core it imports, into one IIFE with a global. Node-RED serves
// <package>/resources/ at resources/<module>/, where the node's or plugin's .html loads it from:
// - tag-editor.js (FactoryHubTags): the tag-map editor, which validates and reads CSV with exactly the
//   runtime's tag core;
// - hub-editor.js (FactoryHubEditor): the editor plugin (nodes/editor/hub-editor.html): refusals, the audit
//   and, from nodes/editor/nodes/, every node type's editor definition (each node's .html registers with it).
{
  const resources = path.join(root, 'resources');
  /** @type {{ dir: string[], file: string, entry?: string, globalName?: string, format?: 'iife' | 'esm' }[]} */
  const bundles = [
    { dir: ['nodes', 'tags', 'editor'], file: 'tag-editor.js', globalName: 'FactoryHubTags' },
    { dir: ['nodes', 'editor', 'browser'], file: 'hub-editor.js', globalName: 'FactoryHubEditor' },
    // The guided tour, an ES module as Node-RED's tour guide import()s tours (first-login.ts runs it).
    { dir: ['nodes', 'editor', 'browser'], entry: 'tour-module.ts', file: 'hub-tour.js', format: 'esm' },
  ];
  fs.rmSync(path.join(dist, 'nodes', 'editor', 'nodes'), { recursive: true, force: true });
  for (const bundle of bundles) {
    fs.rmSync(path.join(dist, ...bundle.dir), { recursive: true, force: true });
    fs.rmSync(path.join(resources, bundle.file), { force: true });
    require('esbuild').buildSync({
      entryPoints: [path.join(root, ...bundle.dir, bundle.entry || 'index.ts')],
      outfile: path.join(resources, bundle.file),
      bundle: true,
      format: bundle.format || 'iife',
      ...(bundle.globalName ? { globalName: bundle.globalName } : {}),
      platform: 'browser',
      target: ['chrome100', 'firefox100', 'safari15'],
      legalComments: 'none',
      logLevel: 'warning',
      // Generated browser code: its sources are linted, the bundle is not.
      banner: { js: `// Built by scripts/build.js from ${bundle.dir.join('/')}/ and the core it imports; do not edit.` },
    });
  }
}
// ---- end of the editor bundles -------------------------------------------------------------------------

// Editor files, message catalogs and help: every non-TypeScript file under nodes/ keeps its relative path.
const nodesSrc = path.join(root, 'nodes');
const sharedIcons = path.join(nodesSrc, 'icons');
for (const file of walk(nodesSrc)) {
  if (file.endsWith('.ts') || file.startsWith(sharedIcons + path.sep)) continue;
  const to = path.join(dist, 'nodes', path.relative(nodesSrc, file));
  copy(file, to);
  // Help texts: property lists become the HTML lists the editor shows (scripts/help-lists.js says why).
  if (file.endsWith('.html') && file.includes(`${path.sep}locales${path.sep}`)) fs.writeFileSync(to, convertHelpFile(fs.readFileSync(file, 'utf8')));
}

// Node-RED looks for icons in an icons/ folder beside each node file; the product's icons serve every family.
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const nodeFiles = Object.entries(pkg['node-red'].nodes);
const families = new Set(nodeFiles.map(([, file]) => path.dirname(path.join(root, file))));
for (const family of families) {
  for (const icon of fs.readdirSync(sharedIcons)) copy(path.join(sharedIcons, icon), path.join(family, 'icons', icon));
}

// Every node set must have what Node-RED loads with it.
const problems = [];
for (const [set, file] of nodeFiles) {
  const js = path.join(root, file);
  const base = path.basename(file, '.js');
  const needs = [js, js.replace(/\.js$/, '.html'), path.join(path.dirname(js), 'locales', 'en-US', `${base}.json`)];
  for (const need of needs) if (!fs.existsSync(need)) problems.push(`${set}: missing ${path.relative(root, need)}`);
}
if (problems.length) {
  console.error(`build: ${problems.join('\n  ')}`);
  process.exit(1);
}

// Example flows: Node-RED lists them only from examples/ at the package root.
for (const file of fs.readdirSync(path.join(root, 'flows'))) {
  if (file.endsWith('.json')) copy(path.join(root, 'flows', file), path.join(examples, file));
}
fs.writeFileSync(path.join(dist, '.build-stamp'), new Date().toISOString() + '\n');
console.log(`build: ${nodeFiles.length} node sets, ${fs.readdirSync(examples).length} example flows`);
