/**
 * A flow file as Node-RED reads it: a JSON list of nodes (what the editor exports and what the runtime
 * writes with flowFile), or the admin API's `{"flows": [...], "rev": "..."}`. Pure.
 */
import type { NodeRef, Problem } from './rules';

/** One node as stored; every property but id and type is whatever the node type keeps. */
export interface FlowNode {
  readonly id: string;
  readonly type: string;
  readonly [property: string]: unknown;
}

export interface ParsedFlow {
  /** The nodes that have a string id and type, in file order. */
  readonly nodes: FlowNode[];
  /** Why the file (or an entry of it) is not a flow; empty when it is one. */
  readonly problems: Problem[];
}

export function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The list of nodes in parsed JSON: the array itself, or the `flows` of an admin API answer. */
export function flowArray(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value as unknown[];
  if (isPlainObject(value) && Array.isArray(value.flows)) return value.flows as unknown[];
  return undefined;
}

/** Line (1-based) of a character offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Parses a flow file's text; JSON and shape errors come back as `invalid-flow` problems. */
export function parseFlowText(text: string): ParsedFlow {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // V8 says "at position 123" (Node 20) or "(line 4 column 7)" (newer).
    const lineColumn = /line (\d+) column \d+/.exec(message);
    const at = /position (\d+)/.exec(message);
    const line = lineColumn ? Number(lineColumn[1]) : at ? lineAt(text, Number(at[1])) : undefined;
    return {
      nodes: [],
      problems: [{ rule: 'invalid-flow', message: `not valid JSON: ${message}`, ...(line !== undefined ? { line } : {}) }],
    };
  }
  return readFlow(value);
}

/** Checks the shape of parsed JSON: a list of objects, each with a string id and type. */
export function readFlow(value: unknown): ParsedFlow {
  const list = flowArray(value);
  if (list === undefined) {
    return { nodes: [], problems: [{ rule: 'invalid-flow', message: 'a flow file holds a JSON list of nodes ([{"id": ..., "type": ...}, ...])' }] };
  }
  const nodes: FlowNode[] = [];
  const problems: Problem[] = [];
  list.forEach((entry, index) => {
    if (!isPlainObject(entry)) {
      problems.push({ rule: 'invalid-flow', message: `entry ${index + 1} is not a node object` });
    } else if (typeof entry.id !== 'string' || entry.id === '' || typeof entry.type !== 'string' || entry.type === '') {
      problems.push({ rule: 'invalid-flow', message: `entry ${index + 1} has no id or no type (every node needs both, as text)` });
    } else {
      nodes.push(entry as FlowNode);
    }
  });
  return { nodes, problems };
}

export function refOf(node: FlowNode): NodeRef {
  const name = typeof node.name === 'string' && node.name !== '' ? node.name : typeof node.label === 'string' && node.label !== '' ? node.label : undefined;
  return { id: node.id, type: node.type, ...(name !== undefined ? { name } : {}) };
}

/** Ids of a node's outgoing wires: `wires` is a list per output of lists of ids. */
export function wireTargets(node: FlowNode): string[] {
  const targets: string[] = [];
  if (!Array.isArray(node.wires)) return targets;
  for (const port of node.wires as unknown[]) {
    if (Array.isArray(port)) for (const id of port as unknown[]) if (typeof id === 'string') targets.push(id);
  }
  return targets;
}

/** A flow node (drawn on a tab or subflow, has wires) rather than a config node. Used where no catalogue is at hand. */
export function looksLikeFlowNode(node: FlowNode): boolean {
  return Array.isArray(node.wires) || node.type === 'group' || node.type === 'tab' || node.type === 'subflow';
}
