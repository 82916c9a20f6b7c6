/// <reference lib="dom" />
/**
 * Tabs for our edit dialogs (Node-RED's RED.tabs), whose headers say when a field on them is invalid:
 * Node-RED marks an invalid input with `input-error`, also on a tab that is not shown, but its tab header
 * stays plain, so the user cannot see where the problem is. Each header gets `fh-tab-invalid` (styled
 * by the plugin's hub-editor.html) while its content holds an invalid input.
 */
import { hubRed } from '../browser/red';

export interface Tab {
  readonly id: string;
  readonly label: string;
}

interface RedTabs {
  tabs: { create(options: { id: string; onchange(tab: Tab): void }): { addTab(tab: Tab): void } };
}

/** The header of one of RED.tabs' tabs (its element id, as tabs.js makes it). */
function header(tabId: string): HTMLElement | null {
  return document.getElementById(`red-ui-tab-${tabId.replace('.', '-')}`);
}

/** Marks each tab's header by whether its content holds an input Node-RED found invalid. */
export function markInvalidTabs(tabIds: readonly string[]): void {
  for (const id of tabIds) {
    const invalid = document.getElementById(id)?.querySelector('.input-error') != null;
    const li = header(id);
    if (li !== null && li.classList.contains('fh-tab-invalid') !== invalid) li.classList.toggle('fh-tab-invalid', invalid);
  }
}

/** Follows the marks while the dialog is open: Node-RED re-validates an input as it changes. */
export function watchInvalidTabs(root: HTMLElement, tabIds: readonly string[]): MutationObserver {
  const observer = new MutationObserver(() => markInvalidTabs(tabIds));
  observer.observe(root, { subtree: true, attributes: true, attributeFilter: ['class'], childList: true });
  markInvalidTabs(tabIds);
  return observer;
}

/**
 * RED.tabs in `headerId` over the content `#<tab id>` elements inside `contentId`, one shown at a time,
 * with invalid marks on the headers.
 */
export function tabbedDialog(headerId: string, contentId: string, tabs: readonly Tab[]): void {
  const red = hubRed() as unknown as RedTabs;
  const content = document.getElementById(contentId);
  const created = red.tabs.create({
    id: headerId,
    onchange(tab) {
      for (const pane of Array.from(content?.children ?? [])) (pane as HTMLElement).style.display = pane.id === tab.id ? '' : 'none';
    },
  });
  for (const tab of tabs) created.addTab(tab);
  const root = content?.parentElement;
  if (root) watchInvalidTabs(root, tabs.map((t) => t.id));
}
