/**
 * The canonical form of a flow file, for diffs that show only what changed. Pure, and independent of
 * what is installed, so every machine formats a file to the same bytes.
 *
 * Order of nodes (Node-RED reads a flow in any order; only the order of tabs is shown to users):
 * 1. tabs, in their order in the file (the editor's tab order), then subflow definitions, in theirs;
 * 2. then, tab by tab and subflow by subflow in that order, the nodes on it: groups (outer groups
 *    first), then flow nodes by id, then config nodes scoped to it by type and id;
 * 3. nodes whose tab or subflow is not in the file (a partial export), by tab id and id;
 * 4. global config nodes, by type and id.
 * Ids never change when a node is edited or moved, so an edit never moves a node in the file. A flow
 * node is one with `wires` (config nodes have none); no node catalogue is needed. Nodes sharing an id
 * (which the check reports) are ordered by content, so the input order never matters.
 *
 * Order of properties: `id`, `type`, `z`, `g`, `d`, `name`, `label` first, then the rest by name,
 * then `x`, `y`, `w`, `h`, `wires`. Inside property values, object keys are sorted by name, except the
 * rows of a tag map (fh-tag-map `rows`, template rows and instance overrides), which keep the tag
 * model's column order (name, address, dataType, ...; see nodes/tags/tag.ts) so that each row reads
 * like the table. Arrays keep their order: it carries meaning (outputs, rules, rows).
 *
 * Text: JSON with 4-space indents, as Node-RED writes with flowFilePretty, and a final newline.
 * format(format(x)) === format(x).
 */
import { TAG_COLUMNS } from '../../nodes/tags/tag';
import type { FlowNode } from './flow';
import { flowArray, isPlainObject } from './flow';

const HEAD = ['id', 'type', 'z', 'g', 'd', 'name', 'label'];
const TAIL = ['x', 'y', 'w', 'h', 'wires'];
const HEAD_SET: ReadonlySet<string> = new Set(HEAD);
const TAIL_SET: ReadonlySet<string> = new Set(TAIL);
const COLUMN_RANK = new Map<string, number>(TAG_COLUMNS.map((c, i) => [c, i]));

export class FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FormatError';
  }
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorts keys with `rank` first (ranked keys in rank order), the others by name. */
function sortKeys(keys: string[], rank: (key: string) => number | undefined): string[] {
  return keys.sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== undefined && rb !== undefined) return ra - rb;
    if (ra !== undefined) return -1;
    if (rb !== undefined) return 1;
    return byCodePoint(a, b);
  });
}

/** A value with every object's keys sorted (recursively); `rows` objects use the tag columns' order. */
function canonicalValue(value: unknown, rowLike = false): unknown {
  if (Array.isArray(value)) return value.map((v) => canonicalValue(v, rowLike));
  if (!isPlainObject(value)) return value;
  const keys = sortKeys(Object.keys(value), rowLike ? (k) => COLUMN_RANK.get(k) : () => undefined);
  // fromEntries defines own properties, so a `__proto__` key stays a key.
  return Object.fromEntries(keys.map((k) => [k, canonicalValue(value[k])]));
}

/** Tag-map properties whose objects are rows of cells. */
function canonicalTagMapProperty(key: string, value: unknown): unknown {
  if (key === 'rows') return canonicalValue(value, true);
  if (key === 'templates' && Array.isArray(value)) {
    return value.map((t) => {
      if (!isPlainObject(t)) return canonicalValue(t);
      const keys = Object.keys(t).sort(byCodePoint);
      return Object.fromEntries(keys.map((k) => [k, k === 'rows' ? canonicalValue(t[k], true) : canonicalValue(t[k])]));
    });
  }
  if (key === 'instances' && Array.isArray(value)) {
    return value.map((inst) => {
      if (!isPlainObject(inst)) return canonicalValue(inst);
      const keys = Object.keys(inst).sort(byCodePoint);
      return Object.fromEntries(
        keys.map((k) => {
          const v = inst[k];
          if (k !== 'overrides' || !isPlainObject(v)) return [k, canonicalValue(v)];
          const tags = Object.keys(v).sort(byCodePoint);
          return [k, Object.fromEntries(tags.map((tag) => [tag, canonicalValue(v[tag], true)]))];
        }),
      );
    });
  }
  return canonicalValue(value);
}

/** One node with its properties in canonical order. */
export function canonicalNode(node: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const head = HEAD.filter((k) => Object.hasOwn(node, k));
  const tail = TAIL.filter((k) => Object.hasOwn(node, k));
  const rest = Object.keys(node)
    .filter((k) => !HEAD_SET.has(k) && !TAIL_SET.has(k))
    .sort(byCodePoint);
  const tagMap = node.type === 'fh-tag-map';
  return Object.fromEntries([...head, ...rest, ...tail].map((k) => [k, tagMap ? canonicalTagMapProperty(k, node[k]) : canonicalValue(node[k])]));
}

function isFlowNode(node: Readonly<Record<string, unknown>>): boolean {
  return Array.isArray(node.wires) || node.type === 'group';
}

function idOf(node: Readonly<Record<string, unknown>>): string {
  return typeof node.id === 'string' ? node.id : '';
}

function typeOf(node: Readonly<Record<string, unknown>>): string {
  return typeof node.type === 'string' ? node.type : '';
}

function zOf(node: Readonly<Record<string, unknown>>): string | undefined {
  return typeof node.z === 'string' && node.z !== '' ? node.z : undefined;
}

/** Nesting depth of a group (0 = not in a group), guarding against cycles. */
function groupDepth(node: Readonly<Record<string, unknown>>, groups: ReadonlyMap<string, Readonly<Record<string, unknown>>>): number {
  let depth = 0;
  const seen = new Set<string>();
  let g = node.g;
  while (typeof g === 'string' && groups.has(g) && !seen.has(g)) {
    seen.add(g);
    depth++;
    g = groups.get(g)?.g;
  }
  return depth;
}

/** The nodes in canonical order (see the module comment), each with canonical property order. */
export function canonicalNodes(nodes: readonly Readonly<Record<string, unknown>>[]): Record<string, unknown>[] {
  const entries = nodes.map((node) => ({ node }));
  const tabs = entries.filter((e) => e.node.type === 'tab');
  const subflows = entries.filter((e) => e.node.type === 'subflow');
  const containers = [...tabs, ...subflows].map((e) => idOf(e.node));
  const containerRank = new Map<string, number>();
  containers.forEach((id, i) => {
    if (!containerRank.has(id)) containerRank.set(id, i);
  });
  const groups = new Map<string, Readonly<Record<string, unknown>>>();
  for (const { node } of entries) if (node.type === 'group' && !groups.has(idOf(node))) groups.set(idOf(node), node);

  // Sort key: [section, container rank, kind, group depth, type, z, id].
  type Key = [number, number, number, number, string, string, string];
  const keyOf = ({ node }: { node: Readonly<Record<string, unknown>> }): Key => {
    const type = typeOf(node);
    const id = idOf(node);
    // Tabs and subflows keep their order in the file (their rank), as their contents do.
    if (type === 'tab') return [0, containerRank.get(id) ?? 0, 0, 0, '', '', ''];
    if (type === 'subflow') return [1, containerRank.get(id) ?? 0, 0, 0, '', '', ''];
    const z = zOf(node);
    const rank = z === undefined ? undefined : containerRank.get(z);
    if (rank !== undefined) {
      if (type === 'group') return [2, rank, 0, groupDepth(node, groups), '', '', id];
      if (isFlowNode(node)) return [2, rank, 1, 0, '', '', id];
      return [2, rank, 2, 0, type, '', id];
    }
    if (z !== undefined) return [3, 0, 0, 0, '', z, id];
    if (isFlowNode(node)) return [3, 0, 0, 0, '', '', id];
    return [4, 0, 0, 0, type, '', id];
  };
  // Ties (only nodes sharing an id, which the check reports) are broken by content, so even then the
  // order of the input does not matter.
  const keyed = entries.map((e) => {
    const node = canonicalNode(e.node);
    return { node, key: keyOf(e), text: JSON.stringify(node) };
  });
  keyed.sort((a, b) => {
    for (let i = 0; i < a.key.length; i++) {
      const x = a.key[i];
      const y = b.key[i];
      if (x === y) continue;
      return typeof x === 'number' && typeof y === 'number' ? x - y : byCodePoint(String(x), String(y));
    }
    return byCodePoint(a.text, b.text);
  });
  return keyed.map((e) => e.node);
}

/** Canonical text of parsed flow JSON (a list of nodes, or `{"flows": [...], ...}`). */
export function formatFlowValue(value: unknown): string {
  const list = flowArray(value);
  if (list === undefined) throw new FormatError('not a flow: a flow file holds a JSON list of nodes');
  const bad = list.findIndex((n) => !isPlainObject(n));
  if (bad >= 0) throw new FormatError(`not a flow: entry ${bad + 1} is not a node object`);
  const nodes = canonicalNodes(list as FlowNode[]);
  if (Array.isArray(value)) return `${JSON.stringify(nodes, null, 4)}\n`;
  const wrapper = value as Readonly<Record<string, unknown>>;
  const keys = Object.keys(wrapper).sort(byCodePoint);
  return `${JSON.stringify(Object.fromEntries(keys.map((k) => [k, k === 'flows' ? nodes : canonicalValue(wrapper[k])])), null, 4)}\n`;
}

/** Canonical text of a flow file's text; throws FormatError when it is not a flow. */
export function formatFlowText(text: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    throw new FormatError(`not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return formatFlowValue(value);
}
