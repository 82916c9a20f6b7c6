/**
 * fh-tag-map: the config node holding one tag map (own rows, machine templates and their instances),
 * validated once at deploy for every node that uses it. Also registers the tag-map admin endpoints
 * through which a technician changes maps without the right to deploy flows.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { Tag, TagRow } from './tag';
import type { TagTemplate, TemplateInstance } from './template';
import { compileTagMap } from './tag-map-model';
import { registerTagMapAdmin } from './tag-map-admin';

export interface TagMapDef extends NodeDef {
  rows: TagRow[];
  templates?: TagTemplate[];
  instances?: TemplateInstance[];
}

export interface TagMapNode extends Node {
  /** Validated tags (own rows, then those made from templates); empty when the map has errors. */
  readonly tags: readonly Tag[];
  /** Every problem of the map, formatted `row 3, column "address": ...` or `instance 2 (...), template ...`. */
  readonly errors: readonly string[];
  readonly byName: ReadonlyMap<string, Tag>;
  /** Tags whose name starts with `prefix` (a machine's path), or all for an empty prefix. */
  select(prefix: string): readonly Tag[];
}

/** Why a tag map cannot be used, as one line for a status and a log. */
export function tagMapProblem(map: TagMapNode): string | undefined {
  if (map.errors.length === 0) return undefined;
  const more = map.errors.length > 1 ? ` (and ${map.errors.length - 1} more)` : '';
  return `tag map "${map.name || map.id}": ${map.errors[0]}${more}`;
}

export default function register(RED: NodeAPI): void {
  RED.nodes.registerType('fh-tag-map', function (this: TagMapNode, def: TagMapDef) {
    RED.nodes.createNode(this, def);
    const node = this as TagMapNode & { tags: readonly Tag[]; errors: readonly string[]; byName: ReadonlyMap<string, Tag> };
    const { tags, errors } = compileTagMap(def);
    // A map with errors gives no tags at all: half a map would read or write the wrong registers.
    node.tags = errors.length ? [] : tags;
    node.errors = errors.map((e) => e.text);
    node.byName = new Map(node.tags.map((t) => [t.name, t]));
    node.select = (prefix) => {
      if (prefix === undefined || prefix === null || prefix === '') return node.tags;
      // A hand-edited flow may give a number or an object: read as text (an object then selects
      // nothing, never more tags than asked), not a TypeError in the node that asks.
      const text = String(prefix);
      const p = text.endsWith('/') ? text : `${text}/`;
      return node.tags.filter((t) => t.name.startsWith(p));
    };
    if (errors.length) node.error(tagMapProblem(node));
  });
  registerTagMapAdmin(RED);
}
