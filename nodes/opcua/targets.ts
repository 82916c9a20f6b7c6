/**
 * What a message asks the OPC UA nodes for: tags of the node's tag map (by name) or NodeIds given in
 * the message. Every refusal names the tag or NodeId and the reason. No Node-RED here.
 */
import type { Tag } from '../tags/tag';
import { checkNodeId, looksLikeNodeId } from './node-id';
import { payloadWrites } from '../shared/write-payload';

export interface Target {
  /** The output topic: the tag name, or the NodeId when there is no tag. */
  readonly name: string;
  readonly nodeId: string;
  readonly tag?: Tag;
}

export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

/** The node's view of its tag map: OPC UA tags only, by name and by NodeId. */
export class TagIndex {
  readonly targets: readonly Target[];
  private readonly byName = new Map<string, Target>();
  private readonly byNodeId = new Map<string, Target>();

  constructor(tags: readonly Tag[]) {
    const targets: Target[] = [];
    for (const tag of tags) {
      if (tag.address.protocol !== 'opcua') continue;
      const t: Target = { name: tag.name, nodeId: tag.address.nodeId, tag };
      targets.push(t);
      this.byName.set(tag.name, t);
      if (!this.byNodeId.has(t.nodeId)) this.byNodeId.set(t.nodeId, t);
    }
    this.targets = targets;
  }

  get size(): number {
    return this.targets.length;
  }

  name(name: string): Target | undefined {
    return this.byName.get(name);
  }

  nodeId(nodeId: string): Target | undefined {
    return this.byNodeId.get(nodeId);
  }
}

interface Asking {
  readonly nodeId?: unknown;
  readonly topic?: unknown;
  readonly payload?: unknown;
}

function nodeIdTarget(value: unknown, index: TagIndex | undefined): Target {
  const nodeId = checkNodeId(value);
  return index?.nodeId(nodeId) ?? { name: nodeId, nodeId };
}

/** Read and subscribe: msg.nodeId (one or a list), else msg.topic (tag name or NodeId), else every tag. */
export function requestedTargets(msg: Asking, index: TagIndex | undefined): Target[] {
  if (msg.nodeId !== undefined && msg.nodeId !== null && msg.nodeId !== '') {
    const list = Array.isArray(msg.nodeId) ? (msg.nodeId as unknown[]) : [msg.nodeId];
    if (list.length === 0) throw new TargetError('msg.nodeId is an empty list');
    return list.map((v) => nodeIdTarget(v, index));
  }
  if (typeof msg.topic === 'string' && msg.topic.trim() !== '') {
    const topic = msg.topic.trim();
    const tag = index?.name(topic);
    if (tag) return [tag];
    if (looksLikeNodeId(topic)) return [nodeIdTarget(topic, index)];
    throw new TargetError(index ? `unknown tag "${topic}": it is not an OPC UA tag of the tag map` : `"${topic}" is not a NodeId (and the node has no tag map)`);
  }
  if (index && index.size > 0) return [...index.targets];
  throw new TargetError('nothing to read: set msg.nodeId (or msg.topic) to a NodeId, or give the node a tag map');
}

export interface WriteRequest {
  /** What the message named: tag name or NodeId text. */
  readonly key: string;
  readonly value: unknown;
  readonly target?: Target;
  /** Why this write is refused before anything is sent; set when there is no target. */
  readonly refusal?: string;
}

/**
 * Write: msg.nodeId or msg.topic with msg.payload, or (neither) msg.payload = {tag name or NodeId: value}.
 * With a tag map only its read-write tags are written (a NodeId must be one of them); without a tag
 * map any NodeId may be written, subject to the server's own access rights.
 */
export function requestedWrites(msg: Asking, index: TagIndex | undefined): WriteRequest[] {
  let pairs: [unknown, unknown][];
  if (msg.nodeId !== undefined && msg.nodeId !== null && msg.nodeId !== '') pairs = [[msg.nodeId, msg.payload]];
  else if (typeof msg.topic === 'string' && msg.topic.trim() !== '') pairs = [[msg.topic.trim(), msg.payload]];
  else {
    const asked = payloadWrites(msg.payload);
    if ('problem' in asked) {
      throw new TargetError(`nothing to write: ${asked.problem}; set msg.topic to a tag name (or msg.nodeId to a NodeId) and msg.payload to the value, or msg.payload to {tag: value}`);
    }
    pairs = asked.writes;
  }
  return pairs.map(([key, value]) => {
    const text = typeof key === 'string' ? key.trim() : String(key);
    try {
      return { key: text, value, target: writeTarget(key, index) };
    } catch (err) {
      return { key: text, value, refusal: err instanceof Error ? err.message : String(err) };
    }
  });
}

function writeTarget(key: unknown, index: TagIndex | undefined): Target {
  if (typeof key !== 'string' || key.trim() === '') throw new TargetError('no tag given: set msg.topic to a tag name');
  const text = key.trim();
  if (!index) {
    if (!looksLikeNodeId(text)) throw new TargetError(`"${text}" is not a NodeId (the node has no tag map to look a tag name up in)`);
    return nodeIdTarget(text, undefined);
  }
  let target = index.name(text);
  if (!target && looksLikeNodeId(text)) {
    const nodeId = checkNodeId(text);
    target = index.nodeId(nodeId);
    if (!target) throw new TargetError(`${nodeId} is not a tag of the tag map; this node writes only the map's read-write tags`);
  }
  if (!target || !target.tag) throw new TargetError(`unknown tag "${text}": it is not an OPC UA tag of the tag map`);
  if (target.tag.access !== 'read-write') throw new TargetError(`tag ${target.name} is read-only in the tag map; only read-write tags are written`);
  return target;
}
