/// <reference lib="dom" />
/**
 * The fh-tag-map edit dialog: the table editor inside Node-RED's config-node dialog. What the dialog
 * saves is applied to the workspace and deployed with the flows, so it is for users who may deploy;
 * others get a pointer to the Tag maps sidebar.
 */
import { el } from './dom';
import { red } from './red';
import type { EditorNode } from './red';
import { createTagMapEditor } from './tag-map-editor';
import type { TagMapEditor } from './tag-map-editor';

const open = new WeakMap<object, TagMapEditor>();

/** oneditprepare: `host` is the dialog's container for the table, `nameInput` the dialog's name field. */
export function prepareDialog(node: EditorNode, host: HTMLElement, nameInput: HTMLInputElement | null): void {
  const RED = red();
  const editor = createTagMapEditor(node, { name: () => nameInput?.value || node.name || 'tag-map' });
  if (!RED.user.hasPermission('flows.write') && RED.user.hasPermission('tagmaps.write')) {
    host.appendChild(
      el('p', { class: 'fh-tm-hint fh-tm-readonly-hint' }, 'You may not deploy flows, so changes made here cannot be deployed. Change tag maps in the "Tag maps" sidebar tab instead: it saves them straight to the running hub.'),
    );
  }
  host.appendChild(editor.element);
  open.set(node, editor);
}

/**
 * oneditsave: stores the rows, and templates/instances when there are some or the node had them
 * (so opening and closing an old map does not mark it changed).
 */
export function saveDialog(node: EditorNode): void {
  const editor = open.get(node);
  if (editor === undefined) return;
  const value = editor.value();
  node.rows = value.rows;
  if (value.templates.length > 0 || node.templates !== undefined) node.templates = value.templates;
  if (value.instances.length > 0 || node.instances !== undefined) node.instances = value.instances;
  close(node);
}

/** oneditcancel / after save. */
export function close(node: EditorNode): void {
  open.get(node)?.destroy();
  open.delete(node);
}

/** oneditresize: `size` is the dialog form's size. */
export function resizeDialog(node: EditorNode, size: { height: number }): void {
  open.get(node)?.setHeight(size.height - 60);
}
