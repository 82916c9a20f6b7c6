/// <reference lib="dom" />
/**
 * Node edit dialogs read-only for an account without flows.write. Node-RED 4.1 opens them fully
 * editable for such an account (only a locked flow's nodes open no dialog at all); Done then changes a
 * workspace that can never be deployed. Here every node and config-node dialog loses Done and Delete
 * (removed, not hidden: Ctrl+Enter clicks Done by its id), its Cancel becomes Close, and every control
 * in its body and footer is disabled, also those a dialog adds later (typed inputs, credentials loaded
 * afterwards): a MutationObserver on the editor's tray stack. Other trays (the Tag maps sidebar's
 * editor, which saves through its own route) are left alone.
 */
import { el } from '../../tags/editor/dom';
import { hubRed } from './red';

const DIALOG_BUTTONS = '#node-dialog-ok, #node-dialog-delete, #node-config-dialog-ok, #node-config-dialog-delete, #node-dialog-cancel, #node-config-dialog-cancel';
const CONTROLS = ['body', 'footer'].map((part) => ['input', 'select', 'textarea', 'button'].map((tag) => `.red-ui-tray-${part} ${tag}`).join(', ')).join(', ');

export function readOnlyDialogs(note: string): void {
  if (hubRed().user.hasPermission('flows.write')) return;
  const stack = document.getElementById('red-ui-editor-stack');
  if (stack === null) return;
  const lock = (): void => {
    for (const tray of Array.from(stack.querySelectorAll<HTMLElement>('.red-ui-tray'))) lockTray(tray, note);
  };
  new MutationObserver(lock).observe(stack, { childList: true, subtree: true });
  lock();
}

function lockTray(tray: HTMLElement, note: string): void {
  if (!tray.classList.contains('fh-read-only')) {
    if (tray.querySelector(DIALOG_BUTTONS) === null) return;
    tray.classList.add('fh-read-only');
  }
  for (const id of ['node-dialog-ok', 'node-dialog-delete', 'node-config-dialog-ok', 'node-config-dialog-delete']) tray.querySelector(`#${id}`)?.remove();
  for (const cancel of Array.from(tray.querySelectorAll<HTMLElement>('#node-dialog-cancel, #node-config-dialog-cancel'))) {
    if (cancel.textContent !== 'Close') cancel.textContent = 'Close';
  }
  const body = tray.querySelector('.red-ui-tray-body');
  if (body !== null && body.querySelector(':scope > .fh-read-only-note') === null) {
    body.insertBefore(el('div', { class: 'fh-read-only-note' }, el('i', { class: 'fa fa-lock' }), ' ', note), body.firstChild);
  }
  for (const control of Array.from(tray.querySelectorAll<HTMLInputElement>(CONTROLS))) {
    if (!control.disabled) control.disabled = true;
  }
}
