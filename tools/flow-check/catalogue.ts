/**
 * The node-type catalogue the checks judge a flow against, and how it is read from the editor
 * definitions (`RED.nodes.registerType('type', {...})` in each node's .html) -- the same literal that
 * Node-RED's editor and the `node-red-dev` scorecard read. Pure: reading files is installed.ts's job.
 *
 * From each definition the catalogue keeps the category (config nodes), the property names of
 * `defaults` and which of them refer to other nodes: `{type: 'mqtt-broker'}` is a config node
 * reference, `{type: 'link in[]'}` a list of node ids (`*[]`: any type).
 */

export interface NodeReference {
  readonly property: string;
  /** Node type the property refers to; `*` for any. */
  readonly type: string;
  /** A list of ids (`type: 'x[]'`) rather than one config node id. */
  readonly many: boolean;
  readonly required: boolean;
}

export interface NodeTypeDef {
  readonly type: string;
  /** npm package that provides it; `node-red` for core nodes. */
  readonly module: string;
  readonly moduleVersion?: string;
  /** What the module declares in package.json "node-red".version (core: undefined). */
  readonly nodeRedRange?: string;
  readonly category?: string;
  /** Names of `defaults`; undefined when they could not be read as a literal. */
  readonly properties?: readonly string[];
  readonly references: readonly NodeReference[];
  /** Names of `credentials`; undefined when unknown. */
  readonly credentials?: readonly string[];
}

export interface ModuleInfo {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
  readonly nodeRedRange?: string;
  readonly types: readonly string[];
}

export interface Catalogue {
  readonly types: ReadonlyMap<string, NodeTypeDef>;
  /** The Node-RED installation core types come from. */
  readonly nodeRed?: { readonly version: string; readonly dir: string };
  /** Range of Node-RED the package declares (package.json "node-red".version), e.g. `>=4.0.0`. */
  readonly supportedRange?: string;
  readonly modules: readonly ModuleInfo[];
  /** Whether definitions were parsed (acorn found) or only their type names were found. */
  readonly definitionsParsed: boolean;
}

export function isConfigType(catalogue: Catalogue, type: string): boolean {
  return catalogue.types.get(type)?.category === 'config';
}

/** What a definition in one .html file says; module facts are added by the caller. */
export type EditorDefinition = Omit<NodeTypeDef, 'module' | 'moduleVersion' | 'nodeRedRange'>;

/** A JavaScript parser returning an ESTree Program (acorn's `parse`). */
export type JsParser = (code: string) => unknown;

/**
 * Every `registerType` in the editor scripts of one .html file. With a parser, the defaults are read
 * from the object literal; without one (or where a script does not parse) only type names are found.
 */
export function parseEditorHtml(html: string, parse: JsParser | undefined): EditorDefinition[] {
  const found: EditorDefinition[] = [];
  for (const script of editorScripts(html)) {
    let ast: unknown;
    if (parse !== undefined) {
      try {
        ast = parse(script);
      } catch {
        ast = undefined;
      }
    }
    if (ast === undefined) {
      for (const m of script.matchAll(/registerType\(\s*(['"`])([^'"`]+)\1/g)) found.push({ type: m[2], references: [] });
      continue;
    }
    const defs: EditorDefinition[] = [];
    walk(ast, (node) => {
      const def = definitionOf(node);
      if (def !== undefined) defs.push(def);
      return def !== undefined;
    });
    found.push(...defs.reverse());
  }
  return found;
}

/** Bodies of `<script>` elements that hold JavaScript (no type, or a JavaScript type). */
function editorScripts(html: string): string[] {
  const scripts: string[] = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    const type = /\btype\s*=\s*["']?([^"'\s>]+)/i.exec(m[1])?.[1]?.toLowerCase();
    if (type !== undefined && type !== 'text/javascript' && type !== 'application/javascript' && type !== 'module') continue;
    if (m[2].includes('registerType')) scripts.push(m[2]);
  }
  return scripts;
}

// ---------------------------------------------------------------- a minimal ESTree view

interface EsNode {
  readonly type: string;
  readonly [key: string]: unknown;
}

function isEsNode(value: unknown): value is EsNode {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/** Visits every node once, depth first; `visit` returning true skips the node's children. */
function walk(root: unknown, visit: (node: EsNode) => boolean): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) if (typeof node[i] === 'object' && node[i] !== null) stack.push(node[i]);
      continue;
    }
    if (!isEsNode(node) || visit(node)) continue;
    for (const key in node) {
      const child = node[key];
      if (typeof child === 'object' && child !== null && key !== 'loc' && key !== 'range') stack.push(child);
    }
  }
}

/** A string from a string literal or a template literal without substitutions. */
function stringOf(node: unknown): string | undefined {
  if (!isEsNode(node)) return undefined;
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral' && Array.isArray(node.expressions) && node.expressions.length === 0) {
    const quasis = node.quasis as { value?: { cooked?: string } }[];
    return quasis.map((q) => q.value?.cooked ?? '').join('');
  }
  return undefined;
}

function propertyName(prop: EsNode): string | undefined {
  if (prop.computed === true) return stringOf(prop.key);
  const key = prop.key;
  if (isEsNode(key) && key.type === 'Identifier' && typeof key.name === 'string') return key.name;
  if (isEsNode(key) && key.type === 'Literal' && (typeof key.value === 'string' || typeof key.value === 'number')) return String(key.value);
  return undefined;
}

/** The properties of an object literal by name; undefined if it is not a literal or has spreads or computed keys. */
function objectEntries(node: unknown): Map<string, unknown> | undefined {
  if (!isEsNode(node) || node.type !== 'ObjectExpression') return undefined;
  const entries = new Map<string, unknown>();
  for (const prop of node.properties as unknown[]) {
    if (!isEsNode(prop) || prop.type !== 'Property') return undefined;
    const name = propertyName(prop);
    if (name === undefined) return undefined;
    entries.set(name, prop.value);
  }
  return entries;
}

function isRegisterTypeCall(node: EsNode): boolean {
  if (node.type !== 'CallExpression') return false;
  const callee = node.callee;
  if (!isEsNode(callee) || callee.type !== 'MemberExpression') return false;
  const property = callee.property;
  return callee.computed !== true && isEsNode(property) && property.type === 'Identifier' && property.name === 'registerType';
}

function definitionOf(node: EsNode): EditorDefinition | undefined {
  if (!isRegisterTypeCall(node)) return undefined;
  const args = node.arguments as unknown[];
  const type = stringOf(args[0]);
  if (type === undefined) return undefined;
  // A definition passed through a helper, `helper('type', {...})` (this package's editor bundle), is read
  // from that helper's literal argument.
  const wrapped = isEsNode(args[1]) && args[1].type === 'CallExpression' ? (args[1].arguments as unknown[]).at(-1) : undefined;
  const def = objectEntries(args[1]) ?? objectEntries(wrapped);
  if (def === undefined) return { type, references: [] };
  const category = stringOf(def.get('category'));
  const defaults = def.has('defaults') ? objectEntries(def.get('defaults')) : new Map<string, unknown>();
  const references: NodeReference[] = [];
  for (const [property, spec] of defaults ?? []) {
    const fields = objectEntries(spec);
    const refType = fields === undefined ? undefined : stringOf(fields.get('type'));
    if (fields === undefined || refType === undefined || refType === '') continue;
    const requiredNode = fields.get('required');
    const required = isEsNode(requiredNode) && requiredNode.type === 'Literal' && requiredNode.value === true;
    const many = refType.endsWith('[]');
    references.push({ property, type: many ? refType.slice(0, -2) : refType, many, required });
  }
  const credentials = def.has('credentials') ? objectEntries(def.get('credentials')) : new Map<string, unknown>();
  return {
    type,
    ...(category !== undefined ? { category } : {}),
    ...(defaults !== undefined ? { properties: [...defaults.keys()] } : {}),
    references,
    ...(credentials !== undefined ? { credentials: [...credentials.keys()] } : {}),
  };
}
