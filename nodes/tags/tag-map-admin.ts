/**
 * Admin endpoints that let an account with permission `tagmaps.write` (and no `flows.write`) change
 * tag maps in the deployed flows, and nothing else:
 *
 *   GET /factoryhub/tag-maps        tagmaps.read   {rev, tagMaps: [{id, name, rows, templates, instances, ...}]}
 *   GET /factoryhub/tag-maps/:id    tagmaps.read   {rev, tagMap}
 *   PUT /factoryhub/tag-maps/:id    tagmaps.write  body {rev, rows, templates?, instances?}
 *       200 {rev, changed, tags}  400 {error, errors}  404 not a tag map  409 stale rev  503 no runtime API
 *
 * A PUT is validated with the same core as the node and the editor; only a map without errors is
 * deployed (deploy type "nodes": the map and the nodes using it restart), else nothing changes.
 */
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { diffRows } from './diff';
import { cleanRows } from './tag-map-model';
import { applyTagMapEdit, listTagMaps, readTagMapEdit } from './tag-map-flows';
import type { FlowNode } from './tag-map-flows';
import { findRuntimeFlowsApi, isVersionMismatch } from './runtime-flows';
import type { RuntimeFlowsApi } from './runtime-flows';
import { messageOf } from '../shared/errors';

export const TAG_MAPS_ROUTE = '/factoryhub/tag-maps';

const registered = new WeakSet<object>();

/** Registers the endpoints once per admin app (the node module may be loaded again in tests). */
export function registerTagMapAdmin(RED: NodeAPI, locate: (httpAdmin: unknown) => RuntimeFlowsApi | undefined = findRuntimeFlowsApi): void {
  const app = RED.httpAdmin;
  if (registered.has(app)) return;
  registered.add(app);
  const canRead = RED.auth.needsPermission('tagmaps.read');
  const canWrite = RED.auth.needsPermission('tagmaps.write');
  let found: RuntimeFlowsApi | undefined;
  const runtime = (res: Response): RuntimeFlowsApi | undefined => {
    found ??= locate(app);
    if (found === undefined) {
      res.status(503).json({ error: 'the Node-RED runtime flows API was not found in this process, so tag maps cannot be changed here' });
    }
    return found;
  };
  const handle = (work: (req: Request, res: Response, api: RuntimeFlowsApi) => Promise<void>) => (req: Request, res: Response): void => {
    const api = runtime(res);
    if (api === undefined) return;
    work(req, res, api).catch((err: unknown) => {
      RED.log.error(`tag map admin: ${req.method} ${req.originalUrl}: ${messageOf(err)}`);
      if (!res.headersSent) res.status(500).json({ error: messageOf(err) });
    });
  };

  app.get(TAG_MAPS_ROUTE, canRead, handle(async (req, res, api) => {
    const current = await api.getFlows(caller(req));
    res.json({ rev: current.rev, tagMaps: listTagMaps(current.flows) });
  }));

  app.get(`${TAG_MAPS_ROUTE}/:id`, canRead, handle(async (req, res, api) => {
    const current = await api.getFlows(caller(req));
    const id = String(req.params.id);
    const map = listTagMaps(current.flows).find((m) => m.id === id);
    if (map === undefined) res.status(404).json({ error: `there is no tag map ${id} in the deployed flows` });
    else res.json({ rev: current.rev, tagMap: map });
  }));

  app.put(`${TAG_MAPS_ROUTE}/:id`, canWrite, handle(async (req, res, api) => {
    const id = String(req.params.id);
    const read = readTagMapEdit(req.body);
    if (!read.ok) {
      res.status(400).json({ error: read.error });
      return;
    }
    const current = await api.getFlows(caller(req));
    const result = applyTagMapEdit(current.flows, id, read.edit);
    if (!result.ok) {
      res.status(result.status).json(result.errors === undefined ? { error: result.error } : { error: result.error, errors: result.errors });
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
    let saved: { rev: string };
    try {
      // The runtime checks `rev` again inside its deploy lock, so a deploy that lands meanwhile is a 409 too.
      saved = await api.setFlows({ ...caller(req), flows: { flows: result.flows, rev: read.edit.rev }, deploymentType: 'nodes' });
    } catch (err) {
      if (!isVersionMismatch(err)) throw err;
      res.status(409).json(conflict((await api.getFlows(caller(req))).rev));
      return;
    }
    RED.log.info(`tag map "${nameOf(result.after)}" (${id}) changed by ${userName(req)}: ${summary(result.before, result.after)}`);
    res.json({ rev: saved.rev, changed: true, tags: result.tags });
  }));
}

function caller(req: Request): { user: unknown; req: Request } {
  return { user: (req as Request & { user?: unknown }).user, req };
}

function conflict(rev: string): { error: string; rev: string } {
  return { error: 'the flows were deployed by someone else since this tag map was loaded; reload it and apply the change again', rev };
}

function userName(req: Request): string {
  const user = (req as Request & { user?: { username?: unknown } }).user;
  return typeof user?.username === 'string' ? user.username : 'an anonymous user';
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
