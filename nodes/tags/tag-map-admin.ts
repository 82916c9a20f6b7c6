/**
 * Admin endpoints that let an account with permission `tagmaps.write` (and no `flows.write`) change
 * tag maps in the deployed flows, and nothing else:
 *
 *   GET /factoryhub/tag-maps        tagmaps.read   {rev, tagMaps: [{id, name, rows, templates, instances, ...}]}
 *   GET /factoryhub/tag-maps/:id    tagmaps.read   {rev, tagMap}
 *   PUT /factoryhub/tag-maps/:id    tagmaps.write  body {rev, rows, templates?, instances?}
 *       200 {rev, changed, tags}  400 {error, errors (the first 200)}  403 {error, permission, changes}
 *       404 not a tag map  409 stale rev  503 no runtime API
 *
 * The write gate: a change that opens, closes or moves a write path (a tag made writable, a writable
 * tag added, removed, renamed, or its device, address, type, order, length or scaling changed; see
 * write-gate.ts) needs `flows.write` as well, which integrators hold and technicians do not: refused
 * with 403 naming the permission and listing the tags (the first 50), nothing changed. Technicians keep
 * fixing addresses, types and scaling of read-only tags.
 *
 * A PUT is validated with the same core as the node and the editor; only a map without errors is
 * deployed (deploy type "nodes": the map and the nodes using it restart), else nothing changes.
 * Each change is recorded with its user and a before/after diff of the rows (change-record.ts: every row
 * counted, the first 20 listed) in the audit log (`tagmaps-YYYY-MM-DD.jsonl`, read through
 * GET /factoryhub/audit/tag-maps, permission audit.read; see shared/audit-log.ts).
 * Bounded (http-route.ts): a body of at most 4 MB, 8 levels and 300,000 values; at most 10,000 rows,
 * 200 templates and 2,000 instances, and at most 10,000 rows from templates, checked before the map
 * is compiled. Errors {error} with 400/404/409/413/503; a 500 names no cause (the hub log has it).
 */
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { diffRows } from './diff';
import { changeRecord } from './change-record';
import { cleanRows, compileTagMap } from './tag-map-model';
import { rowOf } from './validate';
import { writeTargetChanges } from './write-gate';
import type { GatedChange } from './write-gate';
import type { Tag } from './tag';
import { applyTagMapEdit, listTagMaps, readTagMapEdit } from './tag-map-flows';
import type { FlowNode, TagMapEdit } from './tag-map-flows';
import { findRuntimeFlowsApi, isVersionMismatch } from './runtime-flows';
import type { RuntimeFlowsApi } from './runtime-flows';
import { DEFAULT_MAX_ROWS } from './validate';
import { messageOf } from '../shared/errors';
import { HttpError, addRoute, requestUser } from '../shared/http-route';
import { hasPermission, refusalBody, requestScope } from '../shared/permissions';
import type { BodyLimits } from '../shared/http-route';
import { AuditLog, auditDir } from '../shared/audit-log';
import { registerTagMapAuditEndpoint } from '../shared/audit-route';

export const TAG_MAPS_ROUTE = '/factoryhub/tag-maps';

const registered = new WeakSet<object>();

const PUT_BODY: BodyLimits = { maxBytes: 4 * 1024 * 1024, maxDepth: 8, maxValues: 300_000 };
const MAX_TEMPLATES = 200;
const MAX_INSTANCES = 2000;
const MAX_LISTED_ERRORS = 200;
const MAX_LISTED_CHANGES = 50;
const MAX_AUDITED_TARGETS = 10;
/** What a change to where writes land needs on top of tagmaps.write. */
export const WRITE_TARGET_PERMISSION = 'flows.write';

/** Refuses an edit larger than a tag map may be before compiling it (templates times instances can be huge). */
function checkEditSize(edit: TagMapEdit, before: FlowNode | undefined): void {
  const list = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);
  const rows = list(edit.rows);
  if (rows.length > DEFAULT_MAX_ROWS) throw new HttpError(400, `too many rows: ${rows.length} (the limit is ${DEFAULT_MAX_ROWS}); split the tag map`);
  const templates = list(edit.templates ?? before?.templates);
  const instances = list(edit.instances ?? before?.instances);
  if (templates.length > MAX_TEMPLATES) throw new HttpError(400, `too many templates: ${templates.length} (the limit is ${MAX_TEMPLATES})`);
  if (instances.length > MAX_INSTANCES) throw new HttpError(400, `too many instances: ${instances.length} (the limit is ${MAX_INSTANCES})`);
  const rowsOf = new Map<string, number>();
  for (const t of templates) {
    const { name, rows: trows } = (t ?? {}) as { name?: unknown; rows?: unknown };
    if (typeof name === 'string') rowsOf.set(name.trim().toLowerCase(), Math.max(rowsOf.get(name.trim().toLowerCase()) ?? 0, list(trows).length));
  }
  let expanded = 0;
  for (const i of instances) {
    const name = ((i ?? {}) as { template?: unknown }).template;
    expanded += typeof name === 'string' ? (rowsOf.get(name.trim().toLowerCase()) ?? 0) : 0;
  }
  if (rows.length + expanded > DEFAULT_MAX_ROWS) {
    throw new HttpError(400, `too many tags: ${rows.length + expanded} (${rows.length} rows + ${expanded} from templates; the limit is ${DEFAULT_MAX_ROWS}); split the tag map`);
  }
}

/** Registers the endpoints once per admin app (the node module may be loaded again in tests). */
export function registerTagMapAdmin(RED: NodeAPI, locate: (httpAdmin: unknown) => RuntimeFlowsApi | undefined = findRuntimeFlowsApi): void {
  const app = RED.httpAdmin;
  if (registered.has(app)) return;
  registered.add(app);
    const audit = new AuditLog(auditDir(RED.settings.userDir));
  registerTagMapAuditEndpoint(RED, audit);
  let found: RuntimeFlowsApi | undefined;
  const runtime = (): RuntimeFlowsApi => {
    found ??= locate(app);
    if (found === undefined) throw new HttpError(503, 'the Node-RED runtime flows API was not found in this process, so tag maps cannot be changed here');
    return found;
  };

  addRoute(RED, { method: 'get', path: TAG_MAPS_ROUTE, permission: 'tagmaps.read' }, async (req: Request, res: Response) => {
    const current = await runtime().getFlows(caller(req));
    res.json({ rev: current.rev, tagMaps: listTagMaps(current.flows) });
  });

  addRoute(RED, { method: 'get', path: `${TAG_MAPS_ROUTE}/:id`, permission: 'tagmaps.read' }, async (req: Request, res: Response) => {
    const current = await runtime().getFlows(caller(req));
    const id = String(req.params.id);
    const map = listTagMaps(current.flows).find((m) => m.id === id);
    if (map === undefined) throw new HttpError(404, `there is no tag map ${id.slice(0, 100)} in the deployed flows`);
    res.json({ rev: current.rev, tagMap: map });
  });

  addRoute(RED, { method: 'put', path: `${TAG_MAPS_ROUTE}/:id`, permission: 'tagmaps.write', body: PUT_BODY }, async (req: Request, res: Response) => {
    const api = runtime();
    const id = String(req.params.id);
    const read = readTagMapEdit(req.body);
    if (!read.ok) throw new HttpError(400, read.error);
    const current = await api.getFlows(caller(req));
    checkEditSize(read.edit, current.flows.find((n) => n.id === id));
    const result = applyTagMapEdit(current.flows, id, read.edit);
    if (!result.ok) {
      // The error text counts them all; the answer lists the first MAX_LISTED_ERRORS (10,000 rows can have 10,000).
      res.status(result.status).json(result.errors === undefined ? { error: result.error } : { error: result.error, errors: result.errors.slice(0, MAX_LISTED_ERRORS) });
      return;
    }
    if (read.edit.rev !== current.rev) {
      res.status(409).json(conflict(current.rev));
      return;
    }
    if (!result.changed) {
      res.json({ rev: current.rev, changed: false, tags: result.tags });
      return;
    }
    const targets = writeTargetChanges(tagsOf(result.before), tagsOf(result.after));
    const scope = requestScope(req);
    // No scope: Node-RED runs without adminAuth, and lets everyone do everything.
    if (targets.length > 0 && scope !== undefined && !hasPermission(scope, WRITE_TARGET_PERMISSION)) {
      res.status(403).json(writeGateRefusal(targets, requestUser(req)));
      return;
    }
    let saved: { rev: string };
    try {
      // The runtime checks `rev` again inside its deploy lock, so a deploy that lands meanwhile is a 409 too.
      saved = await api.setFlows({ ...caller(req), flows: { flows: result.flows, rev: read.edit.rev }, deploymentType: 'nodes' });
    } catch (err) {
      if (!isVersionMismatch(err)) throw err;
      res.status(409).json(conflict((await api.getFlows(caller(req))).rev));
      return;
    }
    const user = requestUser(req);
    const change = summary(result.before, result.after);
    RED.log.info(`tag map "${nameOf(result.after)}" (${id}) changed by ${user ?? 'an anonymous user'}: ${change}`);
    // The change is deployed: an audit line that cannot be written is a warning, not a failed change.
    try {
      await audit.recordTagMapChange({
        node: id,
        ...(typeof result.after.name === 'string' && result.after.name !== '' ? { nodeName: result.after.name } : {}),
        ...(user !== undefined ? { user } : {}),
        revBefore: current.rev,
        rev: saved.rev,
        summary: change,
        diff: diffOf(result.before, result.after),
        ...(targets.length > 0 ? { writeTargets: targets.slice(0, MAX_AUDITED_TARGETS).map((t) => t.text.slice(0, 200)).concat(targets.length > MAX_AUDITED_TARGETS ? [`and ${targets.length - MAX_AUDITED_TARGETS} more`] : []) } : {}),
      });
    } catch (err) {
      RED.log.warn(`tag map "${nameOf(result.after)}" (${id}): audit log: ${messageOf(err)}`);
    }
    res.json({ rev: saved.rev, changed: true, tags: result.tags });
  });
}

/** The tags of a stored map (templates expanded); a map with errors gives the tags of its valid rows. */
function tagsOf(node: FlowNode): Tag[] {
  return compileTagMap({ rows: node.rows, templates: node.templates, instances: node.instances }).tags;
}

/** The 403 of the write gate: the missing permission and the tags whose write path the change would alter. */
function writeGateRefusal(targets: readonly GatedChange[], user: string | undefined): Record<string, unknown> {
  const listed = targets.slice(0, MAX_LISTED_CHANGES);
  const more = targets.length - listed.length;
  const text =
    `nothing was changed: ${targets.length === 1 ? 'this change alters where writes to a machine land' : `these ${targets.length} changes alter where writes to machines land`}, ` +
    `which needs the permission ${WRITE_TARGET_PERMISSION} (an integrator)${user !== undefined ? `, and the account "${user}" lacks it` : ''}: ` +
    `${listed.slice(0, 3).map((t) => t.text).join('; ')}${targets.length > 3 ? `; and ${targets.length - 3} more` : ''}`;
  return { ...refusalBody(WRITE_TARGET_PERMISSION, user), error: text, message: text, changes: listed, ...(more > 0 ? { more } : {}) };
}

/** The audit's before/after diff: own rows as stored, and the template tags when templates or instances changed. */
function diffOf(before: FlowNode, after: FlowNode): object {
  const rows = (node: FlowNode): ReturnType<typeof cleanRows> => (Array.isArray(node.rows) ? cleanRows(node.rows as unknown[]) : []);
  const templatesChanged = JSON.stringify([before.templates, before.instances]) !== JSON.stringify([after.templates, after.instances]);
  if (!templatesChanged) return changeRecord({ before: rows(before), after: rows(after) });
  const made = (node: FlowNode): ReturnType<typeof cleanRows> => {
    const own = new Set(rows(node).map((r) => (r.name ?? '').trim()));
    return tagsOf(node).filter((t) => !own.has(t.name)).map(rowOf);
  };
  return changeRecord({ before: rows(before), after: rows(after) }, { before: made(before), after: made(after) });
}

function caller(req: Request): { user: unknown; req: Request } {
  return { user: (req as Request & { user?: unknown }).user, req };
}

function conflict(rev: string): { error: string; rev: string } {
  return { error: 'the flows were deployed by someone else since this tag map was loaded; reload it and apply the change again', rev };
}

function nameOf(node: FlowNode): string {
  return typeof node.name === 'string' && node.name !== '' ? node.name : node.id;
}

/** `2 rows changed, 1 added` for the log line. */
function summary(before: FlowNode, after: FlowNode): string {
  const rows = (node: FlowNode): ReturnType<typeof cleanRows> => (Array.isArray(node.rows) ? cleanRows(node.rows as unknown[]) : []);
  const diff = diffRows(rows(before), rows(after));
  const parts = [
    diff.changed.length ? `${diff.changed.length} row${diff.changed.length > 1 ? 's' : ''} changed` : '',
    diff.added.length ? `${diff.added.length} added` : '',
    diff.removed.length ? `${diff.removed.length} removed` : '',
  ].filter((p) => p !== '');
  const templates = JSON.stringify([before.templates, before.instances]) !== JSON.stringify([after.templates, after.instances]);
  if (templates) parts.push('templates/instances changed');
  return parts.length > 0 ? parts.join(', ') : 'rows reordered';
}
