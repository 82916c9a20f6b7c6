/// <reference lib="dom" />
/**
 * The "Tag maps" sidebar tab for accounts with permission `tagmaps.write`, typically a technician who
 * may not deploy flows (Node-RED's editor is read-only for them). It lists the deployed tag maps and
 * opens the table editor in a tray; Save sends the map to PUT /factoryhub/tag-maps/:id, which
 * validates it and deploys just that change.
 */
import { clear, el, plural } from './dom';
import { adminFetch, red } from './red';
import type { EditorNode } from './red';
import { createTagMapEditor } from './tag-map-editor';
import type { TagMapEditor } from './tag-map-editor';
import type { TagMapValue } from './tag-map-state';

export const SIDEBAR_ID = 'fh-tag-maps';
const ROUTE = 'factoryhub/tag-maps';

interface MapSummary {
  readonly id: string;
  readonly name: string;
  readonly rows: unknown;
  readonly templates: unknown;
  readonly instances: unknown;
  readonly tags: number;
  readonly errors: readonly string[];
  readonly users: number;
}

interface ListBody {
  readonly rev: string;
  readonly tagMaps: readonly MapSummary[];
}

let added = false;

/** Adds the tab once, if the user may change tag maps. */
export function addTagMapSidebar(): void {
  const RED = red();
  if (added || !RED.user.hasPermission('tagmaps.write')) return;
  added = true;
  const list = el('div', { class: 'fh-tm-sidebar-list' });
  const refresh = (): void => void load(list);
  const content = el(
    'div',
    { class: 'fh-tm-sidebar' },
    el(
      'div',
      { class: 'fh-tm-sidebar-header' },
      el('span', {}, 'Tag maps of the running hub'),
      el('button', { type: 'button', class: 'red-ui-button red-ui-button-small fh-tm-sidebar-refresh', title: 'reload the list', onclick: refresh }, el('i', { class: 'fa fa-refresh' })),
    ),
    list,
  );
  RED.sidebar.addTab({ id: SIDEBAR_ID, label: 'Tag maps', name: 'Tag maps', iconClass: 'fa fa-table', content, enableOnEdit: true, action: 'fh-tag-maps:show', onchange: refresh });
  RED.actions?.add('fh-tag-maps:show', () => RED.sidebar.show(SIDEBAR_ID));
}

async function load(list: HTMLElement): Promise<void> {
  clear(list);
  list.appendChild(el('p', { class: 'fh-tm-hint' }, 'loading...'));
  const res = await adminFetch(ROUTE);
  clear(list);
  if (res.status !== 200) {
    list.appendChild(el('p', { class: 'fh-tm-status-invalid' }, `The tag maps could not be loaded: ${errorText(res)}`));
    return;
  }
  const body = res.body as ListBody;
  if (body.tagMaps.length === 0) list.appendChild(el('p', { class: 'fh-tm-hint' }, 'There is no tag map in the deployed flows.'));
  for (const map of body.tagMaps) {
    const meta = map.errors.length > 0 ? plural(map.errors.length, 'error') : plural(map.tags, 'tag');
    list.appendChild(
      el(
        'div',
        { class: 'fh-tm-sidebar-map', 'data-id': map.id },
        el('div', { class: 'fh-tm-sidebar-name' }, map.name || map.id),
        el('div', { class: map.errors.length > 0 ? 'fh-tm-sidebar-meta fh-tm-status-invalid' : 'fh-tm-sidebar-meta' }, `${meta}, used by ${plural(map.users, 'node')}`),
        el('button', { type: 'button', class: 'red-ui-button red-ui-button-small fh-tm-sidebar-edit', onclick: () => edit(map, body.rev, list) }, el('i', { class: 'fa fa-pencil' }), ' edit'),
      ),
    );
  }
}

function edit(map: MapSummary, rev: string, list: HTMLElement): void {
  const RED = red();
  let editor: TagMapEditor | undefined;
  let saving = false;
  const save = async (): Promise<void> => {
    if (editor === undefined || saving) return;
    const result = editor.check();
    if (result.errors.length > 0) {
      editor.showMessage(`Fix the ${plural(result.errors.length, 'error')} listed below first; nothing was saved.`);
      return;
    }
    saving = true;
    const value = editor.value();
    try {
      const res = await adminFetch(`${ROUTE}/${encodeURIComponent(map.id)}`, { method: 'PUT', body: { rev, ...value } });
      if (res.status === 200) {
        const body = res.body as { rev: string; changed: boolean };
        syncWorkspace(map.id, value, body.rev);
        RED.notify(body.changed ? `Tag map "${map.name || map.id}" saved and deployed.` : `Tag map "${map.name || map.id}" had no changes.`, { type: 'success', timeout: 4000 });
        RED.tray.close();
        void load(list);
        return;
      }
      const body = res.body as { error?: string; errors?: { text: string }[]; changes?: { text: string }[]; more?: number } | undefined;
      if (res.status === 409) {
        editor.showMessage(`${errorText(res)}. Close this editor (your changes are lost) or export them as CSV first, then open the map again.`);
      } else if (res.status === 401) {
        editor.showMessage('Your login has ended: log in again (export your changes as CSV first), then open the map again.');
      } else if (res.status === 403) {
        // The hub names the missing permission and, for the write gate, every tag whose write path would change.
        const changes = body?.changes?.map((c) => c.text);
        if (changes !== undefined && body?.more !== undefined) changes.push(`... and ${body.more} more`);
        editor.showMessage(errorText(res), changes);
      } else {
        editor.showMessage(`Nothing was saved: ${errorText(res)}`, body?.errors?.map((e) => e.text));
      }
    } catch (err) {
      editor?.showMessage(`Nothing was saved: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      saving = false;
    }
  };
  RED.tray.show({
    title: escapeHtml(`Tag map: ${map.name || map.id}`),
    width: Math.min(1600, window.innerWidth - 120),
    buttons: [
      { id: 'fh-tm-tray-cancel', text: 'Cancel', click: () => RED.tray.close() },
      { id: 'fh-tm-tray-save', text: 'Save and deploy', class: 'primary', click: () => void save() },
    ],
    open(tray) {
      const body = tray.find('.red-ui-tray-body')[0];
      editor = createTagMapEditor(map, { name: () => map.name || 'tag-map' });
      body?.appendChild(editor.element);
    },
    resize(size) {
      if (size.height !== undefined) editor?.setHeight(size.height);
    },
    close() {
      editor?.destroy();
      editor = undefined;
    },
  });
}

/**
 * Keeps the user's open workspace in step with what was just deployed, so Node-RED does not report
 * "flows changed on the server". Only when the workspace has no undeployed edits; otherwise Node-RED's
 * own background-deploy notice lets the user review and merge.
 */
function syncWorkspace(id: string, value: TagMapValue, rev: string): void {
  const RED = red();
  if (RED.nodes.dirty()) return;
  const node: EditorNode | null | undefined = RED.nodes.node(id);
  if (node === null || node === undefined) return;
  node.rows = value.rows;
  if (value.templates.length > 0 || node.templates !== undefined) node.templates = value.templates;
  if (value.instances.length > 0 || node.instances !== undefined) node.instances = value.instances;
  RED.editor?.validateNode?.(node);
  RED.nodes.version(rev);
  RED.view?.redraw?.(true);
}

function errorText(res: { status: number; body: unknown }): string {
  const body = res.body as { error?: unknown } | string | undefined;
  if (typeof body === 'object' && body !== null && typeof body.error === 'string') return body.error;
  return `HTTP ${res.status}${typeof body === 'string' && body !== '' ? ` ${body}` : ''}`;
}

/** Node-RED puts tray titles into the page as HTML. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
