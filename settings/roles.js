'use strict';
// The roles around one hub (see ARCHITECTURE.md) as Node-RED adminAuth permission sets.
// Node-RED grants a permission when the user's list holds it exactly, or holds "read" and it ends in ".read",
// or holds "*". "read" would grant every *.read there is and will be (credentials.read, diagnostics.read,
// audit.read ...), so no role but admin holds a wildcard: each lists exactly what it may do.
//
// The permissions Node-RED 4.1 checks (needsPermission in @node-red/editor-api and @node-red/nodes, and
// status.read for the editor's websocket) and those of this package's admin routes (addRoute in nodes/):
//   flows.read/write      GET /flows, deploy (POST /flows, /flow, /flows/state)
//   nodes.read/write      the palette: list nodes, icons, messages / install, enable, remove modules
//   settings.read/write   runtime and user settings / user settings and the projects' SSH keys
//   plugins.read          editor plugins           status.read       the editor's websocket (node status, debug)
//   context.read/write    context data             credentials.read  credentials' non-secret fields (user names)
//   library.read/write    flow and function library
//   projects.read/write   projects: list, status, diffs / create, open (restarts the flows), commit, push ...
//   diagnostics.read      the diagnostics report   inject.write, debug.write  the inject and debug buttons
//   udp-ports.read        UDP ports in use (udp node dialog)
//   tagmaps.read/write    GET/PUT /factoryhub/tag-maps; a PUT that changes where a write lands needs flows.write too
//   opcua.read/write      OPC UA state, certificates, browse / trust and remove server certificates
//   erp.read/write        ERP outboxes and dead letters / retry and purge them
//   audit.read            GET /factoryhub/audit/writes and /factoryhub/audit/tag-maps
//   kpi.read              GET /factoryhub/kpi/stores and their queries (KPI history for analysts and BI tools)

/**
 * What the editor needs to load at all, read-only: the palette, settings, plugins, the websocket, the flows,
 * and, with projects on, the project list (the editor waits for GET /projects before it loads the flows; it
 * also opens the project's history: commits, diffs, files, whose credentials file is encrypted).
 */
const EDITOR_VIEW = ['flows.read', 'nodes.read', 'settings.read', 'plugins.read', 'status.read', 'projects.read'];

/** @type {Record<string, { description: string, permissions: '*' | string[] }>} */
const ROLES = {
  admin: {
    description:
      'everything: the only role that installs or enables palette modules, changes projects (create, open, commit, push) and reads the audit logs',
    permissions: '*',
  },
  integrator: {
    description:
      'builds, wires and deploys flows (palette without exec and raw file nodes unless an admin allows them); context, library, settings, ' +
      "inject and debug; credentials' user names; diagnostics; tag maps including writable tags; OPC UA browse and certificate trust; ERP outboxes. " +
      'Reads projects but does not change them',
    permissions: [
      ...EDITOR_VIEW,
      'flows.write',
      'settings.write',
      'context.read',
      'context.write',
      'library.read',
      'library.write',
      'credentials.read',
      'diagnostics.read',
      'inject.write',
      'debug.write',
      'udp-ports.read',
      'tagmaps.read',
      'tagmaps.write',
      'opcua.read',
      'opcua.write',
      'erp.read',
      'erp.write',
      'kpi.read',
    ],
  },
  technician: {
    description:
      "OT technician: reads the flows (read-only editor) and fixes tag maps: addresses, types and scaling of read-only tags; browses OPC UA servers for NodeIds. A change to a writable tag's target needs an integrator",
    permissions: [...EDITOR_VIEW, 'tagmaps.read', 'tagmaps.write', 'opcua.read', 'kpi.read'],
  },
  operator: {
    description:
      "operator or viewer: the dashboard, the read-only flow view (tag maps included) and the KPI history (a BI tool's token); no credentials' user names, context, diagnostics, OPC UA, ERP or audit",
    permissions: [...EDITOR_VIEW, 'tagmaps.read', 'kpi.read'],
  },
};

/** The account created for each role on first run, in this order. */
const BUILT_IN_ACCOUNTS = [
  { username: 'admin', role: 'admin' },
  { username: 'integrator', role: 'integrator' },
  { username: 'technician', role: 'technician' },
  { username: 'operator', role: 'operator' },
];

module.exports = { ROLES, BUILT_IN_ACCOUNTS };
