/** Typed access to config nodes: Node-RED's getNode returns a plain Node, and a missing one is null. */
import type { Node, NodeAPI } from 'node-red';
import { readableType } from './display-names';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** "a Modbus device", "an OPC UA server". */
function a(name: string): string {
  return `${/^[AEIOU]/i.test(name) ? 'an' : 'a'} ${name}`;
}

/**
 * The config node `id` of `type`, or a ConfigError that says which property is unset or points nowhere
 * (a flow imported without its config nodes, or a config node of the wrong kind).
 */
export function getConfigNode<T extends Node>(RED: NodeAPI, id: string | undefined, type: string, property: string): T {
  // Named as the editor names it ("Modbus device"), not by its type.
  const name = readableType(type);
  if (!id) throw new ConfigError(`${property} is not set: choose ${a(name)} node`);
  const node = RED.nodes.getNode(id) as Node | null;
  if (!node) throw new ConfigError(`${property} refers to ${name} node ${id}, which is not in the deployed flows`);
  if (node.type !== type) throw new ConfigError(`${property} refers to node ${id}, ${a(readableType(node.type))}, not ${a(name)}`);
  return node as T;
}
