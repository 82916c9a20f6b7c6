/// <reference lib="dom" />
/**
 * The tour's view of the editor: what the demo line holds now (tabs, a machine reader, its OEE node,
 * the ERP), found by node type, not by id or name, so that a re-laid demo keeps its tour; and the
 * editor actions the steps use, including adding the two "force a stop" inject nodes for an account
 * that may deploy.
 */
import { hubRed } from './red';
import type { HubRED } from './red';
import { ADD_STOP_BUTTON_CLASS, hubTour } from './tour';
import type { Tour, TourActions, TourScene } from './tour';

interface SceneNode {
  readonly id: string;
  readonly type: string;
  readonly z?: string;
  readonly x?: number;
  readonly y?: number;
  readonly [property: string]: unknown;
}

/** The parts of the editor's RED the tour uses beyond HubRED. */
export interface TourRED extends HubRED {
  readonly nodes: HubRED['nodes'] & {
    eachNode(cb: (node: SceneNode) => boolean | void): void;
    eachConfig(cb: (node: SceneNode) => boolean | void): void;
    dirty(dirty?: boolean): boolean;
  };
  readonly workspaces: { show(id: string): void; active(): string };
  readonly view: { reveal(id: string): void; redraw(full?: boolean): void; importNodes(nodes: unknown[], options: Record<string, unknown>): void };
}

export function tourRed(): TourRED {
  return hubRed() as TourRED;
}

/** A tag map row as the tag-map config node keeps it. */
interface Row {
  readonly name?: unknown;
  readonly access?: unknown;
}

/** Longest wait for a node of a tab just shown to be drawn. */
const SHOW_WAIT_MS = 2000;
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i;

function all(RED: TourRED): { flow: SceneNode[]; config: SceneNode[] } {
  const flow: SceneNode[] = [];
  const config: SceneNode[] = [];
  RED.nodes.eachNode((n) => void flow.push(n));
  RED.nodes.eachConfig((n) => void config.push(n));
  return { flow, config };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The tag map's `<prefix>/forceStop` row, when it is writable. */
function stopTagOf(config: readonly SceneNode[], tagMap: string | undefined, prefix: string | undefined): string | undefined {
  if (tagMap === undefined || prefix === undefined) return undefined;
  const map = config.find((n) => n.id === tagMap);
  const rows = Array.isArray(map?.rows) ? (map.rows as Row[]) : [];
  const name = `${prefix.replace(/\/$/, '')}/forceStop`;
  return rows.some((r) => r.name === name && r.access !== 'read') ? name : undefined;
}

/** The demo ERP's page: the origin of a REST ERP connection on this host (its base URL ends in /api). */
function erpPageOf(config: readonly SceneNode[]): string | undefined {
  for (const n of config) {
    if (n.type !== 'fh-erp-connection') continue;
    try {
      const url = new URL(String(n.baseUrl));
      if (LOOPBACK.test(url.hostname)) return `${url.origin}/`;
    } catch {
      // not a URL: no link
    }
  }
  return undefined;
}

export function readScene(RED: TourRED = tourRed()): TourScene {
  const { flow, config } = all(RED);
  const oees = flow.filter((n) => n.type === 'fh-oee');
  const lineTab = oees[0]?.z ?? flow.find((n) => n.type === 'fh-modbus-read' || n.type === 'fh-opcua-subscribe')?.z;
  const onLine = flow.filter((n) => n.z === lineTab);
  // The stop is forced over OPC UA (the simulator's forceStop point): an OPC UA reader whose tag map has it.
  const readers = onLine.filter((n) => n.type === 'fh-opcua-subscribe');
  const withStop = readers.map((r) => ({ r, tag: stopTagOf(config, str(r.tagMap), str(r.prefix)) })).find((x) => x.tag !== undefined);
  const reader = withStop?.r ?? readers[0] ?? onLine.find((n) => n.type === 'fh-modbus-read');
  const stopMachine = str(reader?.prefix);
  // The OEE node the reader feeds.
  const wires = Array.isArray(reader?.wires) ? (reader.wires as unknown[]).flat() : [];
  const oee = oees.find((o) => wires.includes(o.id)) ?? oees[0];
  const stopTag = withStop?.tag;
  const stopInject = stopTag !== undefined ? onLine.find((n) => n.type === 'inject' && n.topic === stopTag && n.payload !== '0') : undefined;
  return {
    ...(lineTab !== undefined ? { lineTab } : {}),
    ...optional('dashboardTab', flow.find((n) => /^ui_/.test(n.type) && n.z !== undefined)?.z),
    ...optional('reader', reader?.id),
    ...optional('oee', oee?.id),
    ...optional('erpPost', onLine.find((n) => n.type === 'fh-erp-post')?.id),
    ...optional('stopMachine', stopMachine),
    ...optional('stopTag', stopTag),
    ...optional('stopInject', stopInject?.id),
    ...optional('erpPage', erpPageOf(config)),
    tagMaps: document.getElementById('red-ui-tab-fh-tag-maps') !== null,
    dashboardUrl: 'ui/',
    canDeploy: RED.user.hasPermission('flows.write'),
  };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/**
 * The two injects (stop with fault 104, end the stop) and the opcua write node they feed, below the
 * line's lowest node, for the reader's endpoint and tag map: added like a paste, one undo step.
 */
export function stopButtons(scene: TourScene, RED: TourRED = tourRed()): unknown[] {
  const reader = scene.reader !== undefined ? RED.nodes.node(scene.reader) : undefined;
  if (!reader || scene.stopTag === undefined || scene.lineTab === undefined) return [];
  const { flow } = all(RED);
  const bottom = Math.max(0, ...flow.filter((n) => n.z === scene.lineTab).map((n) => n.y ?? 0));
  const machine = scene.stopMachine?.split('/').pop() ?? 'machine';
  const y = bottom + 80;
  const inject = (id: string, name: string, payload: string, dy: number): Record<string, unknown> => ({
    id,
    type: 'inject',
    z: scene.lineTab,
    name,
    props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }],
    repeat: '',
    crontab: '',
    once: false,
    onceDelay: 0.1,
    topic: scene.stopTag,
    payload,
    payloadType: 'num',
    x: 190,
    y: y + dy,
    wires: [['fh-tour-write']],
  });
  return [
    inject('fh-tour-stop', `${machine}: force a stop (fault 104)`, '104', 0),
    inject('fh-tour-end', `${machine}: end the stop`, '0', 40),
    { id: 'fh-tour-write', type: 'fh-opcua-write', z: scene.lineTab, name: `${machine} forceStop`, endpoint: reader.endpoint, tagMap: reader.tagMap, prefix: '', x: 560, y: y + 20, wires: [[]] },
  ];
}

function actions(RED: TourRED): TourActions {
  let listener: ((e: Event) => void) | undefined;
  return {
    showTab: (id) => {
      if (RED.workspaces.active() !== id) RED.workspaces.show(id);
    },
    showSidebar: (id) => RED.sidebar.show(id),
    reveal: (id) => RED.view.reveal(id),
    whenShown: (selector, done) => {
      const until = Date.now() + SHOW_WAIT_MS;
      const look = (): void => {
        if (document.querySelector(selector) !== null || Date.now() > until) done();
        else requestAnimationFrame(look);
      };
      look();
    },
    offerStopButtons() {
      listener = (e) => {
        const target = e.target as HTMLElement | null;
        const button = target?.closest(`.${ADD_STOP_BUTTON_CLASS}`) as HTMLButtonElement | null;
        if (!button || button.disabled) return;
        const nodes = stopButtons(readScene(RED), RED);
        if (nodes.length === 0) return;
        RED.view.importNodes(nodes, { generateIds: true, addFlow: false, touchImport: true, notify: false });
        RED.nodes.dirty(true);
        RED.view.redraw(true);
        button.disabled = true;
        button.textContent = 'Added: Deploy, then click the first inject’s button';
      };
      // Capture: the popover's own handlers run after.
      document.addEventListener('click', listener, true);
    },
    stopOffering() {
      if (listener) document.removeEventListener('click', listener, true);
      listener = undefined;
    },
  };
}

/**
 * The tour as Node-RED's tour guide imports it; its steps are built anew each time the guide reads them,
 * so that a tour run again after a change points at what is there now.
 */
export function liveTour(): Tour {
  const RED = tourRed();
  const act = actions(RED);
  const version = hubTour(readScene(RED), act).version;
  return {
    version,
    get steps() {
      return hubTour(readScene(RED), act).steps;
    },
  };
}
