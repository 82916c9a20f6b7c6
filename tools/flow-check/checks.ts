/**
 * The checks: pure functions of a parsed flow and a node-type catalogue, each returning problems with
 * the node they are on. `checkFlow` runs the enabled ones and orders the result by position in the file.
 */
import { compileTagMap } from '../../nodes/tags/tag-map-model';
import type { TagMapModel } from '../../nodes/tags/tag-map-model';
import type { Tag } from '../../nodes/tags/tag';
import type { Catalogue, NodeReference, NodeTypeDef } from './catalogue';
import type { FlowNode } from './flow';
import { isPlainObject, readFlow, refOf, wireTargets } from './flow';
import type { Problem, RuleId } from './rules';
import { OPT_IN_RULES, RULE_IDS } from './rules';
import { findSecrets } from './secrets';
import { CORE_TYPES_SINCE, STRUCTURAL_TYPES, compareVersions, formatVersion, minVersionOf, parseVersion } from './versions';
import type { Version } from './versions';

export interface CheckOptions {
  readonly catalogue: Catalogue;
  /** Rules to run (default: all but the opt-in ones). */
  readonly rules?: ReadonlySet<RuleId>;
  /** Node-RED range the flows must run on (default: the catalogue's supportedRange). */
  readonly supportedRange?: string;
}

export function defaultRules(): Set<RuleId> {
  return new Set(RULE_IDS.filter((r) => !OPT_IN_RULES.has(r)));
}

/** Everything about one file the checks share. */
interface Context {
  readonly nodes: readonly FlowNode[];
  readonly byId: ReadonlyMap<string, FlowNode>;
  readonly catalogue: Catalogue;
  readonly supported: { readonly range: string; readonly min: Version } | undefined;
  readonly hasTabs: boolean;
  readonly subflowIds: ReadonlySet<string>;
  /** Compiled tag maps by node id (compiled once, used by two checks). */
  readonly tagMaps: Map<string, TagMapModel>;
}

/** Checks parsed JSON (a list of nodes); shape problems come back as `invalid-flow`. */
export function checkFlowValue(value: unknown, options: CheckOptions): Problem[] {
  const parsed = readFlow(value);
  return [...parsed.problems, ...checkFlow(parsed.nodes, options)];
}

export function checkFlow(nodes: readonly FlowNode[], options: CheckOptions): Problem[] {
  const rules = options.rules ?? defaultRules();
  const range = options.supportedRange ?? options.catalogue.supportedRange;
  const min = range === undefined ? undefined : minVersionOf(range);
  const byId = new Map<string, FlowNode>();
  for (const n of nodes) if (!byId.has(n.id)) byId.set(n.id, n);
  const ctx: Context = {
    nodes,
    byId,
    catalogue: options.catalogue,
    supported: range !== undefined && min !== undefined ? { range, min } : undefined,
    hasTabs: nodes.some((n) => n.type === 'tab'),
    subflowIds: new Set(nodes.filter((n) => n.type === 'subflow').map((n) => n.id)),
    tagMaps: new Map(),
  };
  const problems: Problem[] = [];
  const run = (rule: RuleId, check: (ctx: Context) => Problem[]): void => {
    if (rules.has(rule)) problems.push(...check(ctx));
  };
  run('duplicate-id', duplicateIds);
  run('unknown-type', unknownTypes);
  run('unknown-property', unknownProperties);
  run('missing-config', missingConfig);
  run('missing-node', missingNodes);
  run('missing-parent', missingParents);
  run('credentials-in-file', credentialsInFile);
  run('clear-secret', clearSecrets);
  run('tag-map-invalid', invalidTagMaps);
  if (rules.has('modbus-write-read-only') || rules.has('modbus-write-unknown-tag') || rules.has('modbus-write-nothing-writable')) {
    problems.push(...modbusWrites(ctx).filter((p) => rules.has(p.rule)));
  }
  run('newer-node-red', newerNodeRed);
  run('example-comment', exampleComments);

  // File order, then the order the checks ran in (stable sort).
  const position = new Map<string, number>();
  nodes.forEach((n, i) => {
    if (!position.has(n.id)) position.set(n.id, i);
  });
  const at = (p: Problem): number => (p.node === undefined ? -1 : (position.get(p.node.id) ?? -1));
  return problems.sort((a, b) => at(a) - at(b));
}

// ---------------------------------------------------------------- helpers

function typeDef(ctx: Context, type: string): NodeTypeDef | undefined {
  return ctx.catalogue.types.get(type);
}

function isSubflowInstance(type: string): boolean {
  return type.startsWith('subflow:');
}

/** A reference value that means "none": Node-RED stores unset config properties as "" or "_ADD_". */
function isUnset(value: unknown): boolean {
  return value === undefined || value === null || value === '' || value === '_ADD_';
}

function describeNode(node: FlowNode): string {
  const name = refOf(node).name;
  return name === undefined ? `${node.type} ${node.id}` : `${node.type} "${name}" (${node.id})`;
}

/** A Node-RED generated id: 16 hex digits, or the older `8hex.6hex`. */
const NODE_ID = /^(?:[0-9a-f]{16}|[0-9a-f]{8}\.[0-9a-f]{4,8})$/;

// ---------------------------------------------------------------- identity and types

function duplicateIds(ctx: Context): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, FlowNode>();
  for (const node of ctx.nodes) {
    const first = seen.get(node.id);
    if (first === undefined) {
      seen.set(node.id, node);
      continue;
    }
    problems.push({
      rule: 'duplicate-id',
      node: refOf(node),
      property: 'id',
      message: `id ${node.id} is also the id of ${describeNode(first)}; Node-RED keeps only one of them`,
    });
  }
  return problems;
}

function unknownTypes(ctx: Context): Problem[] {
  const problems: Problem[] = [];
  const installed = ctx.catalogue.nodeRed?.version;
  for (const node of ctx.nodes) {
    if (STRUCTURAL_TYPES.has(node.type) || typeDef(ctx, node.type) !== undefined) continue;
    if (isSubflowInstance(node.type)) {
      const id = node.type.slice('subflow:'.length);
      if (!ctx.subflowIds.has(id)) {
        problems.push({ rule: 'unknown-type', node: refOf(node), property: 'type', message: `instance of subflow ${id}, which is not in this file` });
      }
      continue;
    }
    const since = CORE_TYPES_SINCE[node.type];
    const modules = ctx.catalogue.modules.map((m) => m.name);
    const listed = modules.length > 4 ? `${modules.slice(0, 4).join(', ')} and ${modules.length - 4} more` : modules.join(', ');
    const where = `Node-RED ${installed ?? '(not found)'} core or the installed node modules (${listed || 'none'})`;
    problems.push({
      rule: 'unknown-type',
      node: refOf(node),
      property: 'type',
      message:
        since !== undefined
          ? `unknown node type "${node.type}": a core node of Node-RED ${since} and later, not of the installed Node-RED ${installed ?? ''}`.trimEnd()
          : `unknown node type "${node.type}": not provided by ${where}; install the module that provides it or pass --nodes-dir`,
    });
  }
  return problems;
}

/** Properties every node may carry besides its type's defaults (what the editor writes for any node). */
const COMMON_PROPERTIES = new Set(['id', 'type', 'z', 'g', 'd', 'x', 'y', 'w', 'h', 'wires', 'info', 'l', 'icon', 'inputLabels', 'outputLabels', 'credentials']);

function unknownProperties(ctx: Context): Problem[] {
  const problems: Problem[] = [];
  for (const node of ctx.nodes) {
    const def = typeDef(ctx, node.type);
    if (def?.properties === undefined) continue;
    const known = new Set(def.properties);
    for (const key of Object.keys(node)) {
      if (known.has(key) || COMMON_PROPERTIES.has(key)) continue;
      // A node with a variable number of outputs keeps the count as `outputs` (function, switch).
      if (key === 'outputs' && Array.isArray(node.wires)) continue;
      const from = def.module === 'node-red' ? `Node-RED ${def.moduleVersion ?? ''}`.trimEnd() : `${def.module} ${def.moduleVersion ?? ''}`.trimEnd();
      const hint = def.module === 'node-red' ? ' (a property of a newer Node-RED, a typo, or one Node-RED no longer uses)' : ' (a typo, or a property of another version of the module)';
      problems.push({ rule: 'unknown-property', node: refOf(node), property: key, message: `property "${key}" is not a property of ${node.type} in ${from}${hint}` });
    }
  }
  return problems;
}

// ---------------------------------------------------------------- references

function referencesOf(ctx: Context, node: FlowNode): readonly NodeReference[] {
  return typeDef(ctx, node.type)?.references ?? [];
}

function missingConfig(ctx: Context): Problem[] {
  const problems: Problem[] = [];
  for (const node of ctx.nodes) {
    const def = typeDef(ctx, node.type);
    if (def === undefined || def.properties === undefined) {
      problems.push(...guessedReferences(ctx, node));
      continue;
    }
    for (const ref of referencesOf(ctx, node)) {
      if (ref.many) continue;
      const value = node[ref.property];
      if (isUnset(value)) {
        if (ref.required) {
          problems.push({ rule: 'missing-config', node: refOf(node), property: ref.property, message: `${ref.property} is not set: choose a ${ref.type} config node` });
        }
        continue;
      }
      if (typeof value !== 'string') continue;
      const target = ctx.byId.get(value);
      if (target === undefined) {
        problems.push({
          rule: 'missing-config',
          node: refOf(node),
          property: ref.property,
          message: `${ref.property} refers to ${ref.type} config node ${value}, which is not in this file`,
        });
      } else if (ref.type !== '*' && target.type !== ref.type) {
        problems.push({
          rule: 'missing-config',
          node: refOf(node),
          property: ref.property,
          message: `${ref.property} refers to ${describeNode(target)}, which is not a ${ref.type} config node`,
        });
      }
    }
  }
  return problems;
}

/** For types without a definition: any top-level property holding a Node-RED id that is not in the file. */
function guessedReferences(ctx: Context, node: FlowNode): Problem[] {
  if (STRUCTURAL_TYPES.has(node.type)) return [];
  const problems: Problem[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'id' || key === 'z' || key === 'g' || key === 'wires' || key === 'type') continue;
    if (typeof value === 'string' && NODE_ID.test(value) && !ctx.byId.has(value)) {
      problems.push({
        rule: 'missing-config',
        node: refOf(node),
        property: key,
        message: `${key} holds the node id ${value}, which is not in this file (probably a config node; the type's definition is not installed, so this is a guess)`,
      });
    }
  }
  return problems;
}

function missingNodes(ctx: Context): Problem[] {
  const problems: Problem[] = [];
  const missing = (node: FlowNode, property: string, id: string, what: string): void => {
    problems.push({ rule: 'missing-node', node: refOf(node), property, message: `${what} node ${id}, which is not in this file` });
  };
  for (const node of ctx.nodes) {
    for (const id of wireTargets(node)) if (!ctx.byId.has(id)) missing(node, 'wires', id, 'wired to');
    for (const ref of referencesOf(ctx, node)) {
      if (!ref.many || !Array.isArray(node[ref.property])) continue;
      for (const id of node[ref.property] as unknown[]) {
        if (typeof id !== 'string') continue;
        const target = ctx.byId.get(id);
        if (target === undefined) missing(node, ref.property, id, `${ref.property} lists`);
        else if (ref.type !== '*' && target.type !== ref.type) {
          problems.push({ rule: 'missing-node', node: refOf(node), property: ref.property, message: `${ref.property} lists ${describeNode(target)}, which is not a ${ref.type} node` });
        }
      }
    }
    if (node.type === 'subflow') {
      // A subflow's input, output and status ports are wired to nodes inside it.
      for (const portList of ['in', 'out'] as const) {
        const ports = node[portList];
        if (!Array.isArray(ports)) continue;
        ports.forEach((port: unknown, i) => {
          if (!isPlainObject(port) || !Array.isArray(port.wires)) return;
          for (const w of port.wires as unknown[]) {
            if (isPlainObject(w) && typeof w.id === 'string' && !ctx.byId.has(w.id)) missing(node, `${portList}[${i}].wires`, w.id, `${portList === 'in' ? 'input' : 'output'} ${i + 1} is wired to`);
          }
        });
      }
    }
  }
  return problems;
}

function missingParents(ctx: Context): Problem[] {
  // An export of selected nodes keeps their z but not their tab; only a file with tabs is a whole flow.
  if (!ctx.hasTabs) return [];
  const problems: Problem[] = [];
  for (const node of ctx.nodes) {
    if (typeof node.z === 'string' && node.z !== '') {
      const parent = ctx.byId.get(node.z);
      if (parent === undefined) {
        problems.push({ rule: 'missing-parent', node: refOf(node), property: 'z', message: `is on tab or subflow ${node.z}, which is not in this file` });
      } else if (parent.type !== 'tab' && parent.type !== 'subflow') {
        problems.push({ rule: 'missing-parent', node: refOf(node), property: 'z', message: `z refers to ${describeNode(parent)}, which is not a tab or subflow` });
      }
    }
    if (typeof node.g === 'string' && node.g !== '') {
      const group = ctx.byId.get(node.g);
      if (group === undefined || group.type !== 'group') {
        problems.push({ rule: 'missing-parent', node: refOf(node), property: 'g', message: `is in group ${node.g}, which is not in this file` });
      }
    }
    if (node.type === 'group' && Array.isArray(node.nodes)) {
      for (const id of node.nodes as unknown[]) {
        if (typeof id === 'string' && !ctx.byId.has(id)) {
          problems.push({ rule: 'missing-parent', node: refOf(node), property: 'nodes', message: `group lists node ${id}, which is not in this file` });
        }
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------- secrets

function credentialsInFile(ctx: Context): Problem[] {
  const problems: Problem[] = [];
  for (const node of ctx.nodes) {
    if (node.credentials === undefined) continue;
    const keys = isPlainObject(node.credentials) ? Object.keys(node.credentials) : [];
    problems.push({
      rule: 'credentials-in-file',
      node: refOf(node),
      property: 'credentials',
      message: `carries credentials${keys.length ? ` (${keys.join(', ')})` : ''} in the flow file; export without credentials, and keep them in the encrypted credentials file or in environment variables`,
    });
  }
  return problems;
}

function clearSecrets(ctx: Context): Problem[] {
  const problems: Problem[] = [];
  const isNodeId = (value: string): boolean => ctx.byId.has(value);
  for (const node of ctx.nodes) {
    for (const finding of findSecrets(node, isNodeId)) {
      problems.push({ rule: 'clear-secret', node: refOf(node), property: finding.property, message: finding.message });
    }
  }
  return problems;
}

// ---------------------------------------------------------------- tag maps and Modbus writes

const TAG_MAP = 'fh-tag-map';
const MODBUS_WRITE = 'fh-modbus-write';

function compiledTagMap(ctx: Context, node: FlowNode): TagMapModel {
  let model = ctx.tagMaps.get(node.id);
  if (model === undefined) {
    // Exactly what the runtime node does with its stored properties (nodes/tags/tag-map.ts).
    model = compileTagMap({ rows: node.rows, templates: node.templates, instances: node.instances });
    ctx.tagMaps.set(node.id, model);
  }
  return model;
}

function invalidTagMaps(ctx: Context): Problem[] {
  const problems: Problem[] = [];
  for (const node of ctx.nodes) {
    if (node.type !== TAG_MAP) continue;
    const name = refOf(node).name ?? node.id;
    for (const e of compiledTagMap(ctx, node).errors) {
      problems.push({
        rule: 'tag-map-invalid',
        node: refOf(node),
        property: e.row > 0 ? 'rows' : e.instance > 0 ? 'instances' : e.template !== null ? 'templates' : 'rows',
        row: e.row,
        column: e.column,
        ...(e.tag !== null ? { tag: e.tag } : {}),
        message: `tag map "${name}": ${e.text}`,
      });
    }
  }
  return problems;
}

/** The tags a write node may address: the map's tags under its prefix (nodes/tags/tag-map.ts select()). */
function selectTags(tags: readonly Tag[], prefix: unknown): readonly Tag[] {
  if (typeof prefix !== 'string' || prefix === '') return tags;
  const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return tags.filter((t) => t.name.startsWith(p));
}

/** Tag names a static message source sends: an inject's or change node's topic, or the keys of a JSON payload. */
function staticTagNames(node: FlowNode): string[] {
  const jsonKeys = (text: unknown): string[] => {
    if (typeof text !== 'string') return [];
    try {
      const value: unknown = JSON.parse(text);
      return isPlainObject(value) ? Object.keys(value) : [];
    } catch {
      return [];
    }
  };
  if (node.type === 'inject') {
    const props = Array.isArray(node.props) ? (node.props as unknown[]).filter(isPlainObject) : undefined;
    const sendsTopic = props === undefined || props.some((p) => p.p === 'topic');
    const topic = sendsTopic && typeof node.topic === 'string' ? node.topic.trim() : '';
    if (topic !== '') return [topic];
    const payload = props?.find((p) => p.p === 'payload');
    const payloadType = payload !== undefined && typeof payload.vt === 'string' ? payload.vt : node.payloadType;
    const payloadValue = payload !== undefined && typeof payload.v === 'string' ? payload.v : node.payload;
    return payloadType === 'json' ? jsonKeys(payloadValue) : [];
  }
  if (node.type === 'change' && Array.isArray(node.rules)) {
    let topic = '';
    let keys: string[] = [];
    for (const rule of node.rules as unknown[]) {
      if (!isPlainObject(rule) || rule.t !== 'set' || (rule.pt !== undefined && rule.pt !== 'msg')) continue;
      if (rule.p === 'topic' && rule.tot === 'str' && typeof rule.to === 'string') topic = rule.to.trim();
      if (rule.p === 'payload' && rule.tot === 'json') keys = jsonKeys(rule.to);
    }
    return topic !== '' ? [topic] : keys;
  }
  return [];
}

/**
 * The inject and change nodes whose messages reach `target` unchanged: wired to it directly, or through
 * junctions and link out -> link in pairs (which pass messages on as they are).
 */
function staticSources(ctx: Context, target: FlowNode, incoming: ReadonlyMap<string, FlowNode[]>): FlowNode[] {
  const sources: FlowNode[] = [];
  const seen = new Set<string>([target.id]);
  const queue: FlowNode[] = [target];
  while (queue.length > 0) {
    const node = queue.shift() as FlowNode;
    const feeders = [...(incoming.get(node.id) ?? [])];
    if (node.type === 'link in') {
      for (const other of ctx.nodes) {
        if (other.type === 'link out' && Array.isArray(other.links) && (other.links as unknown[]).includes(node.id)) feeders.push(other);
      }
    }
    for (const feeder of feeders) {
      if (seen.has(feeder.id)) continue;
      seen.add(feeder.id);
      if (feeder.type === 'inject' || feeder.type === 'change') sources.push(feeder);
      else if (feeder.type === 'junction' || feeder.type === 'link in' || feeder.type === 'link out') queue.push(feeder);
    }
  }
  return sources;
}

function modbusWrites(ctx: Context): Problem[] {
  const problems: Problem[] = [];
  const incoming = new Map<string, FlowNode[]>();
  for (const node of ctx.nodes) {
    for (const id of wireTargets(node)) {
      const list = incoming.get(id);
      if (list === undefined) incoming.set(id, [node]);
      else list.push(node);
    }
  }
  for (const write of ctx.nodes) {
    if (write.type !== MODBUS_WRITE || typeof write.tagMap !== 'string') continue;
    const mapNode = ctx.byId.get(write.tagMap);
    if (mapNode === undefined || mapNode.type !== TAG_MAP) continue; // missing-config reports it
    const model = compiledTagMap(ctx, mapNode);
    if (model.errors.length > 0) continue; // tag-map-invalid reports it; the runtime writes nothing then
    const mapName = refOf(mapNode).name ?? mapNode.id;
    const prefix = typeof write.prefix === 'string' ? write.prefix : '';
    const under = prefix === '' ? '' : ` under ${prefix}`;
    const tags = selectTags(model.tags, prefix);
    const writable = tags.filter((t) => t.access === 'read-write' && t.address.protocol === 'modbus');
    if (writable.length === 0) {
      problems.push({
        rule: 'modbus-write-nothing-writable',
        node: refOf(write),
        property: 'prefix',
        message: `tag map "${mapName}" has no read-write Modbus tag${under}: every write would be refused (mark the tags to write read-write)`,
      });
    }
    const byName = new Map(tags.map((t) => [t.name, t]));
    for (const source of staticSources(ctx, write, incoming)) {
      for (const name of staticTagNames(source)) {
        const tag = byName.get(name);
        const into = `wired into ${describeNode(write)}`;
        if (tag === undefined) {
          problems.push({
            rule: 'modbus-write-unknown-tag',
            node: refOf(source),
            tag: name,
            message: `sends tag "${name}", which is not in tag map "${mapName}"${under} (${into}); the write would be refused`,
          });
        } else if (tag.access !== 'read-write' || tag.address.protocol !== 'modbus') {
          const why = tag.address.protocol !== 'modbus' ? 'is not a Modbus tag' : 'is read-only';
          problems.push({
            rule: 'modbus-write-read-only',
            node: refOf(source),
            tag: name,
            message: `sends tag "${name}", which ${why} in tag map "${mapName}" (${into}); the write would be refused`,
          });
        }
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------- Node-RED versions

function newerNodeRed(ctx: Context): Problem[] {
  const supported = ctx.supported;
  if (supported === undefined) return [];
  const problems: Problem[] = [];
  const needs = (node: FlowNode, version: Version, why: string): void => {
    if (compareVersions(version, supported.min) <= 0) return;
    problems.push({
      rule: 'newer-node-red',
      node: refOf(node),
      property: 'type',
      message: `${why} needs Node-RED ${formatVersion(version)} or later, but the package supports Node-RED ${supported.range} (package.json "node-red".version)`,
    });
  };
  for (const node of ctx.nodes) {
    const since = CORE_TYPES_SINCE[node.type];
    const sinceVersion = since === undefined ? undefined : parseVersion(since);
    if (sinceVersion !== undefined) {
      needs(node, sinceVersion, `core node type "${node.type}"`);
      continue;
    }
    const def = typeDef(ctx, node.type);
    if (def === undefined || def.module === 'node-red' || def.nodeRedRange === undefined) continue;
    const moduleMin = minVersionOf(def.nodeRedRange);
    if (moduleMin !== undefined) needs(node, moduleMin, `node type "${node.type}" from ${def.module} ${def.moduleVersion ?? ''} ("node-red".version ${def.nodeRedRange})`);
  }
  return problems;
}

// ---------------------------------------------------------------- examples

/** An example tab explains itself: a comment node with a title and a description that says what it needs. */
function exampleComments(ctx: Context): Problem[] {
  const problems: Problem[] = [];
  const tabs = ctx.nodes.filter((n) => n.type === 'tab');
  const explains = (n: FlowNode): boolean =>
    n.type === 'comment' && typeof n.name === 'string' && n.name.trim() !== '' && typeof n.info === 'string' && /\bneeds?\b\s*:/i.test(n.info);
  for (const tab of tabs) {
    if (ctx.nodes.some((n) => n.z === tab.id && explains(n))) continue;
    problems.push({
      rule: 'example-comment',
      node: refOf(tab),
      message: 'no comment node on this tab says what the example shows (its name) and what it needs (a "Needs:" line in its description)',
    });
  }
  if (tabs.length === 0 && !ctx.nodes.some(explains)) {
    problems.push({ rule: 'example-comment', message: 'no comment node says what the example shows (its name) and what it needs (a "Needs:" line in its description)' });
  }
  return problems;
}
