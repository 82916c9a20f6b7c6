/**
 * Tag maps inside a deployed flow configuration: list them, and replace the tag content (rows,
 * templates, instances) of one fh-tag-map node while every other node and property stays as it was.
 * Pure; the admin endpoints wrap it around the runtime's flows API.
 */
import type { TagRow } from './tag';
import type { TagTemplate, TemplateInstance } from './template';
import { compileTagMap } from './tag-map-model';
import type { TagMapError } from './tag-map-model';

export const TAG_MAP_TYPE = 'fh-tag-map';

/** A node of a flow configuration as the runtime's flows API gives it. */
export interface FlowNode {
  readonly id: string;
  readonly type: string;
  readonly [property: string]: unknown;
}

export interface TagMapSummary {
  readonly id: string;
  readonly name: string;
  /** The flow (tab or subflow) the config node is scoped to, if any. */
  readonly z?: string;
  readonly rows: readonly TagRow[];
  readonly templates: readonly TagTemplate[];
  readonly instances: readonly TemplateInstance[];
  /** Valid tags (0 when the map has errors). */
  readonly tags: number;
  readonly errors: readonly string[];
  /** How many nodes use the map (they restart when it changes). */
  readonly users: number;
}

/** The body of `PUT /factoryhub/tag-maps/:id`. Absent templates/instances are left as they are. */
export interface TagMapEdit {
  /** Revision of the flows the edit was made on; a different current revision is a conflict. */
  readonly rev: string;
  readonly rows: unknown;
  readonly templates?: unknown;
  readonly instances?: unknown;
}

export type ApplyResult =
  | { readonly ok: true; readonly flows: FlowNode[]; readonly changed: boolean; readonly before: FlowNode; readonly after: FlowNode; readonly tags: number }
  | { readonly ok: false; readonly status: 400 | 404; readonly error: string; readonly errors?: TagMapError[] };

const EDIT_KEYS = new Set(['rev', 'rows', 'templates', 'instances']);
/** The only properties of a tag map an edit may replace. */
export const TAG_CONTENT_KEYS = ['rows', 'templates', 'instances'] as const;

export function listTagMaps(flows: readonly FlowNode[]): TagMapSummary[] {
  const maps = flows.filter((n) => n.type === TAG_MAP_TYPE);
  return maps.map((n) => {
    const model = compileTagMap({ rows: n.rows, templates: n.templates, instances: n.instances });
    const summary: TagMapSummary = {
      id: n.id,
      name: typeof n.name === 'string' ? n.name : '',
      rows: model.config.rows,
      templates: model.config.templates,
      instances: model.config.instances,
      tags: model.errors.length > 0 ? 0 : model.tags.length,
      errors: model.errors.map((e) => e.text),
      users: flows.filter((other) => other.id !== n.id && refersTo(other, n.id)).length,
    };
    return typeof n.z === 'string' && n.z !== '' ? { ...summary, z: n.z } : summary;
  });
}

function refersTo(node: FlowNode, id: string): boolean {
  return Object.entries(node).some(([key, value]) => key !== 'id' && key !== 'wires' && value === id);
}

/** Checks the envelope of a request body; the content is judged by applyTagMapEdit. */
export function readTagMapEdit(body: unknown): { ok: true; edit: TagMapEdit } | { ok: false; error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, error: 'the body must be a JSON object {rev, rows, templates?, instances?}' };
  }
  const fields = body as Readonly<Record<string, unknown>>;
  const unknown = Object.keys(fields).filter((k) => !EDIT_KEYS.has(k));
  if (unknown.length > 0) {
    return { ok: false, error: `only rows, templates and instances of a tag map can be changed here; remove ${unknown.map((k) => `"${k}"`).join(', ')}` };
  }
  if (typeof fields.rev !== 'string' || fields.rev === '') {
    return { ok: false, error: 'rev is required: the revision of the flows the edit is based on (from GET /factoryhub/tag-maps)' };
  }
  if (!Array.isArray(fields.rows)) return { ok: false, error: 'rows must be a list of rows' };
  const edit: { -readonly [K in keyof TagMapEdit]: TagMapEdit[K] } = { rev: fields.rev, rows: fields.rows };
  if (fields.templates !== undefined) edit.templates = fields.templates;
  if (fields.instances !== undefined) edit.instances = fields.instances;
  return { ok: true, edit };
}

/**
 * New flows with the edit applied to tag map `id`, or why not. The edited node keeps its other
 * properties and their order; templates/instances are only written when given, and an empty list is
 * not added to a node that had none (so the flow file does not grow lines nobody asked for).
 * All other nodes are the same objects as in `flows`.
 */
export function applyTagMapEdit(flows: readonly FlowNode[], id: string, edit: TagMapEdit): ApplyResult {
  const index = flows.findIndex((n) => n.id === id);
  const before = flows[index];
  if (before === undefined) return { ok: false, status: 404, error: `there is no node ${id} in the deployed flows` };
  if (before.type !== TAG_MAP_TYPE) {
    return { ok: false, status: 404, error: `node ${id} is a ${before.type}, not a ${TAG_MAP_TYPE}: only tag maps can be changed here` };
  }
  const source = {
    rows: edit.rows,
    templates: edit.templates !== undefined ? edit.templates : before.templates,
    instances: edit.instances !== undefined ? edit.instances : before.instances,
  };
  const model = compileTagMap(source);
  if (model.errors.length > 0) {
    const count = model.errors.length;
    return {
      ok: false,
      status: 400,
      error: `tag map "${typeof before.name === 'string' && before.name ? before.name : id}" has ${count} error${count > 1 ? 's' : ''}; nothing was changed`,
      errors: model.errors,
    };
  }

  const after: Record<string, unknown> = { ...before, rows: model.config.rows };
  for (const key of ['templates', 'instances'] as const) {
    if (edit[key] === undefined) continue;
    const list = model.config[key];
    if (list.length > 0 || Object.hasOwn(before, key)) after[key] = list;
  }
  const edited = after as FlowNode;
  const changed = TAG_CONTENT_KEYS.some((key) => JSON.stringify(before[key]) !== JSON.stringify(edited[key]));
  const next = [...flows];
  next[index] = edited;
  return { ok: true, flows: next, changed, before, after: edited, tags: model.tags.length };
}
