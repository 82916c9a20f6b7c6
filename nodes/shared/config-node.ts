/** Typed access to config nodes: Node-RED's getNode returns a plain Node, and a missing one is null. */
import type { Node, NodeAPI } from 'node-red';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * The config node `id` of `type`, or a ConfigError that says which property is unset or points nowhere
 * (a flow imported without its config nodes, or a config node of the wrong kind).
 */
export function getConfigNode<T extends Node>(RED: NodeAPI, id: string | undefined, type: string, property: string): T {
  if (!id) throw new ConfigError(`${property} is not set: choose a ${type} node`);
  const node = RED.nodes.getNode(id) as Node | null;
  if (!node) throw new ConfigError(`${property} refers to ${type} node ${id}, which is not in the deployed flows`);
  if (node.type !== type) throw new ConfigError(`${property} refers to node ${id} of type ${node.type}, not ${type}`);
  return node as T;
}
