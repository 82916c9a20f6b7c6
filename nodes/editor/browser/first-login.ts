/// <reference lib="dom" />
/**
 * The editor at an account's first login: a clean editor, then the hub's guided tour once.
 *
 * - Node-RED offers an account "Create a project" when projects are on and none is active; for an
 *   account that may not change projects (no projects.write) that offer is only a red "You must be
 *   logged in" toast. The hub's first start creates the demo project (settings/demo-project.js); where
 *   there is none, such an account is simply not offered one.
 * - The tour (resources/hub-tour.js, built from tour-module.ts) runs once per account when the editor
 *   holds the demo line, after Node-RED's own dialogs are gone; the version seen is kept in the account's
 *   user settings (`factoryhub.tour`) through the hub's route, as the editor saves user settings only for
 *   accounts with settings.write. It can be run again from the main menu, the Help sidebar's tours and
 *   the action list (fh-tour:show).
 */
import { adminFetch } from '../../tags/editor/red';
import { hubRed } from './red';
import type { HubRED } from './red';
import { TOUR_VERSION } from './tour';

export const TOUR_SETTING = 'factoryhub.tour';
export const TOUR_ACTION = 'fh-tour:show';
const MENU_ITEM = 'fh-menu-item-tour';
/** How long to wait for Node-RED's own start dialogs to be gone before the tour starts. */
const IDLE_POLL_MS = 250;
const IDLE_GIVE_UP_MS = 60000;

interface TourListItem {
  readonly id: string;
  readonly label: string;
  readonly path: string;
}

interface FirstLoginRED extends HubRED {
  readonly projects?: { showStartup?: () => void };
  readonly tourGuide: {
    run(path: string, done?: (err?: unknown) => void): void;
    list: () => TourListItem[];
  };
  readonly menu: { addItem(menuId: string, item: { id: string; label: string; onselect: string }): void };
  readonly events: { on(event: string, handler: () => void): void };
  readonly nodes: HubRED['nodes'] & { eachNode(cb: (n: { type: string }) => boolean | void): void; version?(): unknown };
  readonly settings: HubRED['settings'] & { set(key: string, value: unknown): void };
}

/** Where the tour module is served: the package's resources (absolute, as the guide import()s it from red/). */
export function tourUrl(base: string = document.baseURI): string {
  return new URL('resources/@factoryhub/node-red-factoryhub/hub-tour.js', base).href;
}

/** Whether an account that saw `seen` (its user setting) gets the tour now. */
export function tourDue(seen: unknown): boolean {
  return seen !== TOUR_VERSION;
}

/** Before the editor loads: no "create a project" offer to an account that cannot create one. */
export function quietProjectsWelcome(): void {
  const RED = hubRed() as FirstLoginRED;
  if (RED.user.hasPermission('projects.write') || RED.projects === undefined) return;
  RED.projects.showStartup = () => undefined;
}

function hasDemoLine(RED: FirstLoginRED): boolean {
  let found = false;
  RED.nodes.eachNode((n) => {
    found = n.type === 'fh-oee';
    return !found;
  });
  return found;
}

/** The editor is loaded and shows none of Node-RED's start dialogs (telemetry, projects) or a tour. */
function editorIdle(): boolean {
  const visible = (selector: string): boolean => Array.from(document.querySelectorAll<HTMLElement>(selector)).some((e) => e.offsetParent !== null);
  return !visible('#red-ui-loading-progress') && !visible('.ui-dialog') && !visible('.red-ui-tourGuide-shade') && document.getElementById('red-ui-workspace') !== null;
}

function whenIdle(run: () => void): void {
  const until = Date.now() + IDLE_GIVE_UP_MS;
  const poll = (): void => {
    if (editorIdle()) run();
    else if (Date.now() < until) setTimeout(poll, IDLE_POLL_MS);
  };
  setTimeout(poll, IDLE_POLL_MS);
}

function remember(RED: FirstLoginRED): void {
  // In the editor's copy (saved by the editor itself for accounts with settings.write) and on the hub for all.
  RED.settings.set(TOUR_SETTING, TOUR_VERSION);
  void adminFetch('factoryhub/tour', { method: 'PUT', body: { seen: TOUR_VERSION } }).catch(() => undefined);
}

export function runTour(): void {
  const RED = hubRed() as FirstLoginRED;
  RED.tourGuide.run(tourUrl(), () => remember(RED));
}

/** The tour in the menu, the Help sidebar and the action list; started once per account on the demo line. */
export function offerTour(): void {
  const RED = hubRed() as FirstLoginRED;
  RED.actions.add(TOUR_ACTION, runTour);
  const list = RED.tourGuide.list.bind(RED.tourGuide);
  RED.tourGuide.list = () => [{ id: 'factoryhub', label: 'Factory Hub: the demo line', path: tourUrl() }, ...list()];
  let started = false;
  const decide = (): void => {
    if (started) return;
    started = true;
    if (document.getElementById(MENU_ITEM) === null) {
      RED.menu.addItem('red-ui-header-button-sidemenu', { id: MENU_ITEM, label: 'Factory Hub tour', onselect: TOUR_ACTION });
    }
    const due = hasDemoLine(RED) ? tourDue(RED.settings.get(TOUR_SETTING)) : undefined;
    // The decision, for tests and for a look in the browser's inspector.
    document.documentElement.dataset.fhTour = due === undefined ? 'no-demo' : due ? 'due' : 'seen';
    if (due === true) whenIdle(runTour);
  };
  RED.events.on('flows:loaded', decide);
  // A plugin loaded after the flows (a slow browser) has missed that event: the flows' version says they are in.
  if (RED.nodes.version?.()) decide();
}
