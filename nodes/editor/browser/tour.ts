/**
 * The hub's guided tour, in the shape of Node-RED's tour guide (RED.tourGuide: an ES module exporting
 * `{version, steps}`): the demo line, the Tag maps sidebar, the dashboard, forcing a stop on the
 * simulated line, naming it and seeing it in the ERP. The steps are built from a `TourScene`, what the
 * editor holds (tour-scene.ts), so that a re-laid or renamed demo still gets a tour that points at its
 * nodes; nothing here touches the editor but through the `actions` it is given.
 */

/** Bump when the tour changes enough to be shown again to accounts that have seen it. */
export const TOUR_VERSION = '1';

/** What the tour points at; absent parts get a step without a target (full screen). */
export interface TourScene {
  /** Workspace (tab) ids: the line's flow and the dashboard's. */
  readonly lineTab?: string;
  readonly dashboardTab?: string;
  /** Node ids on the line's tab: a machine reader, its OEE node, the ERP post node. */
  readonly reader?: string;
  readonly oee?: string;
  readonly erpPost?: string;
  /** The machine a stop is forced on (`…/labeller`) and its `forceStop` tag, when the tag map has one. */
  readonly stopMachine?: string;
  readonly stopTag?: string;
  /** An inject already on the line's tab that writes the stop tag. */
  readonly stopInject?: string;
  /** Whether the Tag maps sidebar is there (the tag-map editor loaded). */
  readonly tagMaps: boolean;
  /** The demo ERP's page, from the ERP connection's base URL, when the ERP is on this host. */
  readonly erpPage?: string;
  /** The dashboard's address, relative to the editor. */
  readonly dashboardUrl: string;
  /** Whether this account may deploy (flows.write): only then the tour offers to add the stop buttons. */
  readonly canDeploy: boolean;
}

/** One step as Node-RED's tour guide reads it (red/tours/welcome.js has the full vocabulary). */
export interface TourStep {
  readonly title: string;
  /** HTML. */
  readonly description: string;
  /** A CSS selector of the element the step points at; none: a step in the middle of the screen. */
  readonly element?: string;
  readonly direction?: 'top' | 'bottom' | 'left' | 'right' | 'inset';
  readonly width?: number;
  /** Runs before the step shows; the step shows once `done` is called (Node-RED's asynchronous form). */
  readonly prepare?: (done: () => void) => void;
  /** Declared without parameters: the tour guide runs it synchronously. */
  readonly complete?: () => void;
}

export interface Tour {
  readonly version: string;
  readonly steps: readonly TourStep[];
}

/** What the steps may do in the editor. */
export interface TourActions {
  showTab(id: string): void;
  showSidebar(id: string): void;
  reveal(nodeId: string): void;
  /** Calls `done` once an element matches (the canvas draws a shown tab a frame later), or after a while. */
  whenShown(selector: string, done: () => void): void;
  /** Starts listening for the "add the stop buttons" button of the step; `stop` ends it. */
  offerStopButtons(): void;
  stopOffering(): void;
}

export const TAG_MAPS_SIDEBAR = 'fh-tag-maps';
/** The button in the stop step that adds the two inject nodes (tour-scene.ts listens for it). */
export const ADD_STOP_BUTTON_CLASS = 'fh-tour-add-stop';

const html = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** A node on the canvas: Node-RED gives each node's SVG group the node's id (ids may start with a digit). */
const nodeSelector = (id: string): string => `#red-ui-workspace-chart [id="${id.replace(/["\\]/g, '')}"]`;
const tabSelector = (id: string): string => `#red-ui-tab-${id.replace('.', '-')}`;
const link = (href: string, text: string): string => `<a href="${html(href)}" target="_blank" rel="noopener">${html(text)}</a>`;
const last = (path: string): string => path.split('/').pop() ?? path;

export function hubTour(scene: TourScene, actions: TourActions): Tour {
  const steps: TourStep[] = [];
  const onLine = (done: () => void): void => {
    if (scene.lineTab !== undefined) actions.showTab(scene.lineTab);
    done();
  };
  const at = (id: string | undefined): Pick<TourStep, 'element' | 'prepare'> => {
    if (id === undefined) return { prepare: onLine };
    const element = nodeSelector(id);
    return {
      element,
      prepare: (done) =>
        onLine(() => {
          actions.reveal(id);
          actions.whenShown(element, done);
        }),
    };
  };

  steps.push({
    title: 'Welcome to the Factory Hub',
    description:
      '<p>This hub runs a demo: a simulated packaging line (filler, capper, labeller, case packer) speaking Modbus TCP and OPC UA, ' +
      'OEE per machine and shift, a dashboard and a demo ERP.</p>' +
      '<p>A few steps: the line, its tag maps, the dashboard, then a stop forced on a machine, named by an operator and booked in the ERP.</p>' +
      '<p>Run it again at any time: the main menu, <i>Factory Hub tour</i>, or the Help sidebar.</p>',
    ...(scene.lineTab !== undefined ? { prepare: onLine } : {}),
  });
  steps.push({
    title: 'The demo line',
    description:
      '<p>Each machine’s path reads left to right: a <i>modbus read</i> or <i>opcua subscribe</i> node turns its registers and ' +
      'nodes into named, typed, scaled values; an <i>oee</i> node per machine computes availability, performance, quality and its stops; ' +
      '<i>erp post</i> books them; the dashboard shows them.</p>',
    ...(scene.lineTab !== undefined ? { element: tabSelector(scene.lineTab), direction: 'bottom' as const, prepare: onLine } : {}),
  });
  if (scene.reader !== undefined) {
    steps.push({
      title: 'A machine',
      description: '<p>This node reads one machine through the line’s tag map: every value arrives with its ISA-95 name, unit and quality. Double-click it to see how.</p>',
      ...at(scene.reader),
      direction: 'right',
    });
  }
  const tagMaps = '<p>A tag map names every value: ISA-95 name, address, data type, byte order, scaling, unit and access. ';
  steps.push(
    scene.tagMaps
      ? {
          title: 'Tag maps',
          description: `${tagMaps}The <i>Tag maps</i> sidebar lists them: an OT technician fixes addresses and scaling here (or imports a CSV) without touching the flows.</p>`,
          element: `#red-ui-tab-${TAG_MAPS_SIDEBAR}`,
          direction: 'left',
          prepare: (done) => {
            actions.showSidebar(TAG_MAPS_SIDEBAR);
            done();
          },
        }
      : {
          title: 'Tag maps',
          description: `${tagMaps}Technicians and integrators edit them in the <i>Tag maps</i> sidebar; a machine node's dialog shows its tag map to you.</p>`,
        },
  );
  steps.push({
    title: 'The dashboard',
    description:
      `<p>${link(scene.dashboardUrl, 'Open the dashboard')} in a new tab (log in, e.g. as <i>operator</i>): ` +
      '<b>Line</b> shows each machine’s state and OEE against its targets, <b>Machines</b> a machine’s shift, <b>Operator</b> the stops waiting for a reason, ' +
      '<b>IT</b> the connections and the ERP outbox.</p>' +
      (scene.dashboardTab !== undefined ? '<p>Its flow is on this tab.</p>' : ''),
    ...(scene.dashboardTab !== undefined
      ? {
          element: tabSelector(scene.dashboardTab),
          direction: 'bottom' as const,
          prepare: (done: () => void) => {
            actions.showTab(scene.dashboardTab as string);
            done();
          },
        }
      : {}),
  });
  steps.push(stopStep(scene, actions, at));
  steps.push({
    title: 'Name the stop',
    description:
      `<p>While the ${html(last(scene.stopMachine ?? 'machine'))} stands still, the ${link(scene.dashboardUrl, 'dashboard')}’s <b>Operator</b> tab lists the stop: ` +
      'choose its reason there. The reason goes to the OEE node, which counts the stop under it.</p>',
    ...at(scene.oee),
    direction: 'right',
  });
  steps.push({
    title: 'In the ERP',
    description:
      '<p>Once the stop has ended, the downtime with its reason is posted through the durable outbox: nothing lost, nothing booked twice. ' +
      (scene.erpPage !== undefined ? `The ${link(scene.erpPage, 'demo ERP')} lists the booking.` : 'The ERP connection’s outbox shows it on the dashboard’s IT tab.') +
      '</p><p>That is the path from a machine to the business. Run this tour again from the main menu, <i>Factory Hub tour</i>.</p>',
    ...at(scene.erpPost),
    direction: 'bottom',
  });
  return { version: TOUR_VERSION, steps };
}

function stopStep(scene: TourScene, actions: TourActions, at: (id: string | undefined) => Pick<TourStep, 'element' | 'prepare'>): TourStep {
  const machine = html(last(scene.stopMachine ?? 'labeller'));
  const tag = scene.stopTag !== undefined ? `<code>${html(scene.stopTag)}</code>` : 'its <code>forceStop</code> tag';
  const intro = `<p>The simulated ${machine} stops when ${tag} is written with a fault code (0 ends the stop).</p>`;
  if (scene.stopInject !== undefined) {
    return {
      title: 'Force a stop',
      description: `${intro}<p>Click this inject node’s button to force the stop${scene.canDeploy ? ' (after a Deploy, if the node is new)' : ''}.</p>`,
      ...at(scene.stopInject),
      direction: 'right',
    };
  }
  if (!scene.canDeploy || scene.stopTag === undefined) {
    return {
      title: 'Force a stop',
      description: `${intro}<p>An integrator adds two inject nodes writing it through an <i>opcua write</i> node; this tour does that for accounts that may deploy.</p>`,
      ...at(scene.reader),
      direction: 'right',
    };
  }
  const base = at(scene.reader);
  return {
    title: 'Force a stop',
    description:
      `${intro}<p><button type="button" class="red-ui-button ${ADD_STOP_BUTTON_CLASS}">Add the stop buttons</button> ` +
      'adds two inject nodes (stop with fault 104, end the stop) and an <i>opcua write</i> node below the line. ' +
      'Then Deploy and click the first inject’s button.</p>',
    ...(base.element !== undefined ? { element: base.element } : {}),
    direction: 'right',
    prepare: (done) => {
      actions.offerStopButtons();
      if (base.prepare) base.prepare(done);
      else done();
    },
    complete: () => actions.stopOffering(),
  };
}
