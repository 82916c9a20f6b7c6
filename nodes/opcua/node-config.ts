/** What every OPC UA node reads from its config: the endpoint, and optionally a tag map and a prefix. */
import type { NodeAPI } from 'node-red';
import type { TagMapNode } from '../tags/tag-map';
import { tagMapProblem } from '../tags/tag-map';
import { ConfigError, getConfigNode } from '../shared/config-node';
import type { OpcUaEndpointNode } from './opcua-endpoint';
import { TagIndex } from './targets';

export interface OpcUaNodeDef {
  endpoint: string;
  tagMap?: string;
  prefix?: string;
}

export interface OpcUaNodeConfig {
  readonly endpoint: OpcUaEndpointNode;
  /** The OPC UA tags of the tag map under the prefix; undefined when the node has no tag map. */
  readonly tags?: TagIndex;
}

export function readNodeConfig(RED: NodeAPI, def: OpcUaNodeDef): OpcUaNodeConfig {
  const endpoint = getConfigNode<OpcUaEndpointNode>(RED, def.endpoint, 'fh-opcua-endpoint', 'endpoint');
  const problem = endpoint.configProblem();
  if (problem) throw new ConfigError(`endpoint: ${problem}`);
  if (!def.tagMap) return { endpoint };
  const map = getConfigNode<TagMapNode>(RED, def.tagMap, 'fh-tag-map', 'tag map');
  const mapProblem = tagMapProblem(map);
  if (mapProblem) throw new ConfigError(mapProblem);
  const tags = new TagIndex(map.select(def.prefix ?? ''));
  if (tags.size === 0) throw new ConfigError(`tag map "${map.name || map.id}" has no OPC UA tags${def.prefix ? ` under ${def.prefix}` : ''}`);
  return { endpoint, tags };
}

/** A whole number from a property, or ConfigError naming it. */
export function intProperty(value: string | number | undefined, fallback: number, min: number, max: number, what: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${what} must be a whole number from ${min} to ${max}, not "${String(value)}"`);
  return n;
}
