/**
 * The node types actually installed, read from disk the way Node-RED's registry finds them:
 * - core: every `.html` with a `.js` beside it under `@node-red/nodes/core` (the registry skips
 *   `lib`, `icons`, `locales`, `test` and dot folders there; `@node-red/nodes` has no "node-red"
 *   section to read);
 * - modules: every package with a "node-red" section installed next to Node-RED (the `node_modules`
 *   holding `node-red`) or in a nodes directory's `node_modules` (a Node-RED user directory), and a
 *   nodes directory that is itself such a package;
 * - this package, wherever the command runs from.
 * Node-RED itself is looked up from the nodes directories, then from this package, then from a
 * `node-red` command on the PATH (a global install, next to which a user directory's modules live).
 * Editor definitions are parsed with acorn, which every Node-RED installation carries (a dependency
 * of @node-red/nodes); without it only type names are known.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Catalogue, JsParser, ModuleInfo, NodeTypeDef } from './catalogue';
import { parseEditorHtml } from './catalogue';

export const PACKAGE_NAME = '@factoryhub/node-red-factoryhub';

export class CatalogueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CatalogueError';
  }
}

export interface InstalledOptions {
  /** Directories to look in: a Node-RED user directory, a project, a node package checkout. */
  readonly nodesDirs: readonly string[];
  /** Root of this package (default: found from this file's location). */
  readonly selfDir?: string;
  /** Where to look for a `node-red` command as the last resort (default: the PATH environment variable). */
  readonly searchPath?: string;
}

interface PackageJson {
  readonly name?: unknown;
  readonly version?: unknown;
  readonly 'node-red'?: { readonly nodes?: unknown; readonly version?: unknown };
}

function readPackage(dir: string, onlyNodeRed = false): PackageJson | undefined {
  try {
    const text = fs.readFileSync(path.join(dir, 'package.json'), 'utf8');
    // Most of node_modules is not Node-RED nodes: skip parsing what cannot have a "node-red" section.
    if (onlyNodeRed && !text.includes('"node-red"')) return undefined;
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** This package's root: the nearest folder above this file whose package.json names it. */
export function findSelfDir(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (readPackage(dir)?.name === PACKAGE_NAME) return dir;
    if (path.dirname(dir) === dir) throw new CatalogueError(`cannot find the ${PACKAGE_NAME} package above ${from}`);
  }
}

function resolveFrom(dir: string, request: string): string | undefined {
  try {
    return createRequire(path.join(dir, 'noop.js')).resolve(request);
  } catch {
    return undefined;
  }
}

/**
 * The Node-RED package behind a `node-red` command on the search path: a global install
 * (`npm install -g node-red`) links it from the bin folder to `<node_modules>/node-red/red.js`.
 */
function nodeRedOnPath(searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    let target: string;
    try {
      target = fs.realpathSync(path.join(dir, 'node-red'));
    } catch {
      continue;
    }
    for (let up = path.dirname(target); path.dirname(up) !== up; up = path.dirname(up)) {
      if (readPackage(up)?.name === 'node-red') return path.join(up, 'package.json');
    }
  }
  return undefined;
}

function loadParser(dirs: readonly string[]): JsParser | undefined {
  for (const dir of dirs) {
    const file = resolveFrom(dir, 'acorn');
    if (file === undefined) continue;
    const acorn = createRequire(file)(file) as { parse?: unknown };
    const parse = acorn.parse;
    if (typeof parse !== 'function') continue;
    return (code: string): unknown =>
      (parse as (code: string, options: object) => unknown)(code, { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: true });
  }
  return undefined;
}

/** `.html` files with a `.js` (or `.cjs`) beside them, as the registry loads core node files. */
function coreHtmlFiles(dir: string, out: string[] = []): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!/^(\..*|lib|icons|node_modules|test|locales)$/.test(entry.name)) coreHtmlFiles(full, out);
    } else if (entry.name.endsWith('.html')) {
      const base = full.slice(0, -'.html'.length);
      if (fs.existsSync(`${base}.js`) || fs.existsSync(`${base}.cjs`)) out.push(full);
    }
  }
  return out;
}

/** Package folders under a node_modules folder (scoped ones included). */
function packagesIn(nodeModules: string): string[] {
  const dirs: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(nodeModules).sort();
  } catch {
    return dirs;
  }
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const full = path.join(nodeModules, name);
    if (name.startsWith('@')) {
      let scoped: string[] = [];
      try {
        scoped = fs.readdirSync(full).sort();
      } catch {
        // not a folder
      }
      for (const sub of scoped) dirs.push(path.join(full, sub));
    } else {
      dirs.push(full);
    }
  }
  return dirs;
}

/**
 * The .html of a node file. A source checkout lists compiled files (`dist/nodes/x.js`) whose .html the
 * build copies from `nodes/x.html`; the source copy is preferred when present, so the check sees the
 * definitions being edited rather than a stale build.
 */
function htmlOf(dir: string, nodeFile: string): string | undefined {
  const html = nodeFile.replace(/\.c?js$/, '.html');
  const candidates = html.startsWith('dist/') ? [html.slice('dist/'.length), html] : [html];
  for (const candidate of candidates) {
    const full = path.join(dir, candidate);
    if (fs.existsSync(full)) return full;
  }
  return undefined;
}

/** Builds the catalogue; throws CatalogueError when no Node-RED can be found. */
export function loadInstalledCatalogue(options: InstalledOptions): Catalogue {
  const selfDir = options.selfDir ?? findSelfDir();
  const nodesDirs = options.nodesDirs.map((d) => path.resolve(d));
  const lookIn = [...nodesDirs, selfDir];

  let nodeRedPackage: string | undefined;
  for (const dir of lookIn) {
    nodeRedPackage = resolveFrom(dir, 'node-red/package.json');
    if (nodeRedPackage !== undefined) break;
  }
  nodeRedPackage ??= nodeRedOnPath(options.searchPath ?? process.env.PATH ?? '');
  if (nodeRedPackage === undefined) {
    throw new CatalogueError(
      `Node-RED is not installed in ${lookIn.join(' or ')} and no node-red command is on the PATH: install node-red (npm install node-red), or pass --nodes-dir <the folder holding node_modules/node-red>`,
    );
  }
  const nodeRedDir = path.dirname(nodeRedPackage);
  const installedVersion = readPackage(nodeRedDir)?.version;
  const nodeRedVersion = typeof installedVersion === 'string' ? installedVersion : '';
  const coreNodesPackage = resolveFrom(nodeRedDir, '@node-red/nodes/package.json');
  if (coreNodesPackage === undefined) throw new CatalogueError(`@node-red/nodes is not installed with Node-RED in ${nodeRedDir}`);
  const coreDir = path.dirname(coreNodesPackage);
  const parse = loadParser([selfDir, coreDir, nodeRedDir]);

  const types = new Map<string, NodeTypeDef>();
  const modules: ModuleInfo[] = [];
  for (const file of coreHtmlFiles(path.join(coreDir, 'core'))) {
    for (const def of parseEditorHtml(fs.readFileSync(file, 'utf8'), parse)) {
      // `unknown` is the editor's placeholder for a missing type, never a type a flow may use.
      if (def.type === 'unknown' || types.has(def.type)) continue;
      types.set(def.type, { ...def, module: 'node-red', moduleVersion: nodeRedVersion });
    }
  }

  // Module folders, in the order their types win: the nodes dirs themselves, this package, then installed modules.
  const candidates: string[] = [...nodesDirs, selfDir];
  for (const dir of nodesDirs) candidates.push(...packagesIn(path.join(dir, 'node_modules')));
  candidates.push(...packagesIn(path.dirname(nodeRedDir)));
  const seenDirs = new Set<string>();
  const seenNames = new Set<string>();
  for (const dir of candidates) {
    let real: string;
    try {
      real = fs.realpathSync(dir);
    } catch {
      continue;
    }
    if (seenDirs.has(real)) continue;
    seenDirs.add(real);
    const pkg = readPackage(dir, true);
    const section = pkg?.['node-red'];
    if (pkg === undefined || typeof pkg.name !== 'string' || section === undefined) continue;
    const nodes = section.nodes;
    if (typeof nodes !== 'object' || nodes === null || seenNames.has(pkg.name)) continue;
    seenNames.add(pkg.name);
    const version = typeof pkg.version === 'string' ? pkg.version : '';
    const nodeRedRange = typeof section.version === 'string' ? section.version : undefined;
    const moduleTypes: string[] = [];
    for (const file of Object.values(nodes as Record<string, unknown>)) {
      if (typeof file !== 'string') continue;
      const html = htmlOf(dir, file);
      if (html === undefined) continue;
      for (const def of parseEditorHtml(fs.readFileSync(html, 'utf8'), parse)) {
        moduleTypes.push(def.type);
        if (types.has(def.type)) continue;
        types.set(def.type, { ...def, module: pkg.name, moduleVersion: version, ...(nodeRedRange !== undefined ? { nodeRedRange } : {}) });
      }
    }
    modules.push({ name: pkg.name, version, dir, ...(nodeRedRange !== undefined ? { nodeRedRange } : {}), types: moduleTypes });
  }

  const self = readPackage(selfDir)?.['node-red'];
  return {
    types,
    nodeRed: { version: nodeRedVersion, dir: nodeRedDir },
    ...(typeof self?.version === 'string' ? { supportedRange: self.version } : {}),
    modules,
    definitionsParsed: parse !== undefined,
  };
}
