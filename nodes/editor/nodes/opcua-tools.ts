/// <reference lib="dom" />
/**
 * The OPC UA dialogs' tools: the certificate lists (trust a server the hub rejected, untrust one) and
 * the browse tray that adds a server's variables to a tag map, through the hub's factoryhub/opcua routes.
 */
import { adminFetch } from '../../tags/editor/red';
import type { EditorNode } from './definition';
import { $ } from './jquery';
import type { Jq } from './jquery';
import { hubRed } from '../browser/red';

const ROUTE = 'factoryhub/opcua';
const TAG_PREFIX = /^[\p{L}\p{N}_.-]+(\/[\p{L}\p{N}_.-]+)*$/u;

interface RedMore {
  _(key: string, options?: object): string;
  history: { push(event: object): void };
  nodes: { dirty(dirty?: boolean): boolean; eachConfig(fn: (node: EditorNode) => void): void; node(id: string): EditorNode | null | undefined };
  editor?: { validateNode?(node: EditorNode): boolean };
  view: { redraw(): void };
  notify(message: string, type: string): void;
  tray: { show(options: object): void; close(): void };
}
const red = (): RedMore => hubRed() as unknown as RedMore;

export function t(key: string, options?: object): string {
  return red()._(`@factoryhub/node-red-factoryhub/fh-opcua-endpoint:fh-opcua-endpoint.${key}`, options);
}

/** The text of a failed answer: the route's own error, or what the status says. */
export function errorText(res: { status: number; body: unknown }): string {
  const body = res.body as { error?: unknown } | undefined;
  if (typeof body?.error === 'string') return body.error;
  if (res.status === 403) return t('errors.forbidden');
  return `HTTP ${res.status}`;
}

interface Certificate {
  subject: string;
  thumbprint: string;
  validFrom: string;
  validTo: string;
  applicationUri?: string;
}

function certItem(cert: Certificate, actionLabel: string, action: (button: Jq) => void, wanted: boolean): Jq {
  const li = $('<li>').toggleClass('fh-ua-wanted', wanted);
  $('<div>').append($('<b>').text(cert.subject)).appendTo(li);
  $('<div class="fh-ua-thumb">').text(cert.thumbprint).appendTo(li);
  $('<div>').text(t('certs.valid', { from: cert.validFrom.slice(0, 10), to: cert.validTo.slice(0, 10) }) + (cert.applicationUri ? ` · ${cert.applicationUri}` : '')).appendTo(li);
  const button = $('<button type="button" class="red-ui-button red-ui-button-small">').text(actionLabel);
  button.on('click', () => action(button)).appendTo(li);
  return li;
}

/** Changes the trust of one certificate, then shows the lists again. */
async function changeTrust(container: Jq, button: Jq, method: 'POST' | 'DELETE', cert: Certificate): Promise<void> {
  button.prop('disabled', true);
  const res = method === 'POST'
    ? await adminFetch(`${ROUTE}/certificates/trusted`, { method, body: { thumbprint: cert.thumbprint } })
    : await adminFetch(`${ROUTE}/certificates/trusted/${encodeURIComponent(cert.thumbprint)}`, { method });
  if (res.status >= 300) {
    button.prop('disabled', false);
    red().notify(errorText(res), 'error');
    return;
  }
  if (method === 'POST') red().notify(t('certs.trusted', { subject: cert.subject }), 'success');
  await loadCertificates(container);
}

export async function loadCertificates(container: Jq, wantedThumbprint?: string | null): Promise<void> {
  container.empty().append($('<div class="fh-ua-hint">').text(t('certs.loading')));
  const res = await adminFetch(`${ROUTE}/certificates`);
  if (res.status !== 200) {
    container.empty().append($('<div class="fh-ua-state-error">').text(errorText(res)));
    return;
  }
  const data = res.body as { own?: { thumbprint: string }; rejected: Certificate[]; trusted: Certificate[] };
  container.empty();
  if (data.own) {
    $('<div>').append($('<b>').text(`${t('certs.own')} `)).append($('<span class="fh-ua-thumb">').text(data.own.thumbprint)).appendTo(container);
    $('<div class="fh-ua-hint">').text(t('certs.ownHint')).appendTo(container);
  }
  const list = (title: string, certs: Certificate[], label: string, method: 'POST' | 'DELETE'): void => {
    $('<div>').append($('<b>').text(title)).appendTo(container);
    const ul = $('<ul class="fh-ua-certs">').appendTo(container);
    if (!certs.length) $('<li>').text(t('certs.none')).appendTo(ul);
    for (const cert of certs) certItem(cert, label, (button) => void changeTrust(container, button, method, cert), method === 'POST' && cert.thumbprint === wantedThumbprint).appendTo(ul);
  };
  list(t('certs.rejected'), data.rejected, t('certs.trust'), 'POST');
  list(t('certs.trustedList'), data.trusted, t('certs.untrust'), 'DELETE');
}

interface BrowseEntry {
  nodeId: string;
  displayName: string;
  suggestedName: string;
  expandable?: boolean;
  tagDataType?: string;
  dataType?: string;
  valueRank: number;
  writable?: boolean;
  unsupported?: string;
}

function uniqueName(name: string, taken: Set<string>): string {
  let candidate = name;
  for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = `${name}_${n}`;
  taken.add(candidate.toLowerCase());
  return candidate;
}

/** Adds rows {name, address, dataType, access} to a tag map config node, with undo. */
function addRows(map: EditorNode, entries: readonly BrowseEntry[], prefix: string, allowWrites: boolean): number {
  const oldRows = (Array.isArray(map.rows) ? map.rows : []) as { name?: unknown; address?: unknown }[];
  const taken = new Set(oldRows.filter((r) => r?.name).map((r) => String(r.name).toLowerCase()));
  const known = new Set(oldRows.filter((r) => r?.address).map((r) => String(r.address)));
  const rows = entries
    .filter((e) => !known.has(e.nodeId)) // already in the map
    .map((e) => ({ name: uniqueName(`${prefix}/${e.suggestedName}`, taken), address: e.nodeId, dataType: e.tagDataType, access: allowWrites && e.writable ? 'read-write' : 'read' }));
  if (!rows.length) return 0;
  const RED = red();
  RED.history.push({ t: 'edit', node: map, changes: { rows: oldRows }, dirty: RED.nodes.dirty(), changed: map.changed });
  map.rows = oldRows.concat(rows);
  map.changed = true;
  map.dirty = true;
  RED.editor?.validateNode?.(map);
  RED.nodes.dirty(true);
  RED.view.redraw();
  return rows.length;
}

function browseUrl(endpointId: string, nodeId: string): string {
  return `${ROUTE}/endpoints/${encodeURIComponent(endpointId)}/browse?limit=200&timeout=10000${nodeId ? `&nodeId=${encodeURIComponent(nodeId)}` : ''}`;
}

export interface BrowseOptions {
  endpoint?: string;
  tagMap?: string;
  prefix?: string;
}

/** The browse tray: the server's address space, level by level; ticked variables go into a tag map. */
export function openBrowse(options: BrowseOptions): void {
  const RED = red();
  const endpointId = options.endpoint;
  if (!endpointId || endpointId === '_ADD_') {
    RED.notify(t('browse.noEndpoint'), 'warning');
    return;
  }
  const selected = new Map<string, BrowseEntry>();
  const refreshButton = (): void => {
    $('#fh-ua-browse-add').text(t('browse.add', { count: selected.size })).prop('disabled', selected.size === 0);
  };
  const renderLevel = async (list: Jq, nodeId: string): Promise<void> => {
    const loading = $('<li class="fh-ua-note">').text(t('browse.loading')).appendTo(list);
    const res = await adminFetch(browseUrl(endpointId, nodeId));
    loading.remove();
    if (res.status !== 200) {
      const li = $('<li class="fh-ua-err">').text(errorText(res)).appendTo(list);
      if ((res.body as { thumbprint?: unknown } | undefined)?.thumbprint) $('<div>').text(t('browse.trustHint')).appendTo(li);
      return;
    }
    const page = res.body as { entries: BrowseEntry[]; more?: boolean };
    if (!page.entries.length) $('<li class="fh-ua-note">').text(t('browse.empty')).appendTo(list);
    for (const e of page.entries) renderEntry(list, e);
    if (page.more) $('<li class="fh-ua-note">').text(t('browse.more')).appendTo(list);
  };
  const renderEntry = (list: Jq, e: BrowseEntry): void => {
    const li = $('<li>').appendTo(list);
    const row = $('<div>').appendTo(li);
    const toggle = $('<span class="fh-ua-toggle">').appendTo(row);
    if (e.expandable) {
      let children: Jq | null = null;
      const caret = (open: boolean): void => void toggle.html(`<i class="fa fa-caret-${open ? 'down' : 'right'}"></i>`);
      caret(false);
      toggle.on('click', () => {
        if (children === null) {
          children = $('<ul>').appendTo(li);
          void renderLevel(children, e.nodeId);
          caret(true);
        } else {
          children.toggle();
          caret(children.is(':visible'));
        }
      });
      $('<span>').append('<i class="fa fa-folder-o"></i> ').append($('<span>').text(e.displayName)).appendTo(row);
    } else {
      const box = $('<input type="checkbox">').appendTo(row);
      const label = $('<span>').text(e.displayName).appendTo(row);
      if (e.tagDataType) {
        box.on('change', function () {
          if ((this as HTMLInputElement).checked) selected.set(e.nodeId, e);
          else selected.delete(e.nodeId);
          refreshButton();
        });
      } else {
        box.prop('disabled', true);
        label.addClass('fh-ua-off').attr('title', e.unsupported ?? '');
      }
      $('<span class="fh-ua-meta">').text(`${e.dataType ?? '?'}${e.valueRank >= 0 ? '[]' : ''}${e.writable ? ' rw' : ' r'}`).appendTo(row);
    }
    $('<span class="fh-ua-meta">').text(e.nodeId).appendTo(row);
  };
  const add = (): void => {
    const mapId = $('#fh-ua-browse-map').val();
    const map = mapId && mapId !== '_ADD_' ? RED.nodes.node(mapId) : null;
    const prefix = ($('#fh-ua-browse-prefix').val() ?? '').trim().replace(/\/+$/, '');
    if (!map) return RED.notify(t('browse.noMap'), 'warning');
    if (!TAG_PREFIX.test(prefix)) return RED.notify(t('browse.badPrefix'), 'warning');
    const entries = [...selected.values()];
    const added = addRows(map, entries, prefix, $('#fh-ua-browse-rw').is(':checked'));
    RED.notify(t('browse.added', { count: added, map: map.name || map.id, skipped: entries.length - added }), added ? 'success' : 'warning');
    RED.tray.close();
  };
  RED.tray.show({
    title: t('browse.title'),
    width: 700,
    buttons: [
      { id: 'fh-ua-browse-cancel', text: t('browse.close'), click: () => RED.tray.close() },
      { id: 'fh-ua-browse-add', class: 'primary', text: t('browse.add', { count: 0 }), click: add },
    ],
    open: (tray: Jq) => {
      const trayBody = tray.find('.red-ui-tray-body');
      const form = $('<div class="form-row fh-ua-browse-form" style="padding: 10px 10px 0">').appendTo(trayBody);
      const mapRow = $('<div class="form-row">').appendTo(form);
      $('<label for="fh-ua-browse-map">').text(t('browse.map')).appendTo(mapRow);
      const select = $('<select id="fh-ua-browse-map" style="width: 60%">').appendTo(mapRow);
      RED.nodes.eachConfig((cn) => {
        if (cn.type === 'fh-tag-map') $('<option>').val(cn.id).text(cn.name || cn.id).appendTo(select);
      });
      if (options.tagMap && options.tagMap !== '_ADD_') select.val(options.tagMap);
      const prefixRow = $('<div class="form-row">').appendTo(form);
      $('<label for="fh-ua-browse-prefix">').text(t('browse.prefix')).appendTo(prefixRow);
      $('<input type="text" id="fh-ua-browse-prefix" style="width: 60%" placeholder="site/area/line/machine">').val(options.prefix ?? '').appendTo(prefixRow);
      const rwRow = $('<div class="form-row">').appendTo(form);
      $('<label for="fh-ua-browse-rw" style="width: auto">').append('<input type="checkbox" id="fh-ua-browse-rw" style="width: auto; margin: 0 6px 0 0">').append($('<span>').text(t('browse.allowWrites'))).appendTo(rwRow);
      $('<div class="fh-ua-hint" style="padding: 0 10px">').text(t('browse.hint')).appendTo(trayBody);
      const tree = $('<div class="fh-ua-tree" style="margin: 0 10px">').appendTo(trayBody);
      void renderLevel($('<ul>').appendTo(tree), '');
      refreshButton();
    },
  });
}

/** The dialog's Browse button: the endpoint, tag map and prefix as chosen in the dialog. */
export function browseButton(): void {
  $('#node-input-browse').on('click', () => openBrowse({ endpoint: $('#node-input-endpoint').val(), tagMap: $('#node-input-tagMap').val(), prefix: $('#node-input-prefix').val() }));
}
