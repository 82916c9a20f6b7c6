/// <reference lib="dom" />
/**
 * The browser bundle `resources/hub-editor.js` (global `FactoryHubEditor`), built by scripts/build.js
 * and started by the plugin's hub-editor.html: the editor says what the logged-in account may not do
 * (Deploy, node dialogs), shows the audit to accounts that may read it and, at the first login, the
 * guided tour (first-login.ts). What the account may do is
 * read at run time (its permissions, and its role from GET /factoryhub/me), never from a role table.
 * It also holds the edit dialogs of every node type (nodes/editor/nodes/).
 */
import { adminFetch } from '../../tags/editor/red';
import { addAuditSidebar } from './audit-sidebar';
import { explainDeploy } from './deploy';
import { offerTour, quietProjectsWelcome } from './first-login';
import { readOnlyDialogs } from './read-only-dialogs';
import { hubRed } from './red';
import { deployRefusal, readOnlyDialogNote } from './refusal';
import type { Account } from './refusal';

export { deployRefusal, readOnlyDialogNote, roleText } from './refusal';
export { entryLine, DayPages } from './audit-view';
// The node types' editor definitions (the plugin's .html loads this bundle before any node's .html).
export { nodeDefinition } from '../nodes';

let started = false;

/** The account: its role from the hub, its permissions from the editor's settings if the hub does not say. */
async function account(): Promise<Account> {
  const RED = hubRed();
  const fallback: Account = { permissions: RED.settings.user?.permissions ?? [] };
  try {
    const res = await adminFetch('factoryhub/me');
    return res.status === 200 ? (res.body as Account) : fallback;
  } catch {
    return fallback;
  }
}

export async function start(): Promise<void> {
  if (started) return;
  started = true;
  // Before the editor loads its flows (this runs as the plugin loads): its start dialogs, then the tour.
  quietProjectsWelcome();
  offerTour();
  const me = await account();
  explainDeploy(deployRefusal(me));
  readOnlyDialogs(readOnlyDialogNote(me));
  await addAuditSidebar();
}
