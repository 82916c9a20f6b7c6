'use strict';
// The roles around one hub (see ARCHITECTURE.md) as Node-RED adminAuth permission sets.
// Node-RED grants a permission when the user's list holds it exactly, or holds "read" and it ends in ".read",
// or holds "*". Permissions our own nodes check are named <area>.<verb> like Node-RED's.

/** @type {Record<string, { description: string, permissions: '*' | string[] }>} */
const ROLES = {
  admin: {
    description: 'everything, including installing palette modules and changing projects',
    permissions: '*',
  },
  integrator: {
    description: 'builds, wires and deploys flows; edits tag maps; trusts OPC UA server certificates',
    permissions: [
      'read',
      'flows.write',
      'context.write',
      'library.write',
      'projects.write',
      'settings.write',
      'inject.write',
      'debug.write',
      'tagmaps.write',
      'opcua.write',
      'erp.write',
    ],
  },
  technician: {
    description: 'OT technician: reads the flows and edits tag maps only',
    permissions: ['read', 'tagmaps.write'],
  },
  operator: {
    description: 'operator or viewer: the dashboard, and a read-only editor',
    permissions: ['read'],
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
