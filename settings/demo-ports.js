'use strict';
// The demo's ports, one place for the simulator side (scripts/start.js) and the hub side (settings.js):
// every port moves by an environment variable, and the demo flow (flows/demo-line.json) follows through
// Node-RED's `${VAR}` properties (filler port `${HUB_DEMO_FILLER_PORT}`, OPC UA `${HUB_DEMO_OPCUA_URL}`,
// ERP `${HUB_DEMO_ERP_URL}`), so a second demo, a test or a benchmark can run beside a first.

/** What a user sets: variable -> default. HUB_PORT (editor and dashboard) is read by settings.js. */
const PORT_VARIABLES = {
  HUB_SIMULATOR_MODBUS_PORT: 5020,
  HUB_SIMULATOR_OPCUA_PORT: 4840,
  HUB_DEMO_ERP_PORT: 5080,
};

/** The demo's Modbus machines in line order: machine i listens on HUB_SIMULATOR_MODBUS_PORT + i (simulator/run.ts). */
const MODBUS_MACHINES = ['filler', 'capper'];
const DEMO_HOST = '127.0.0.1';

/**
 * The ports asked for, defaults filled in; a value that is not a port (1-65535, or 0 for a free one) is an error
 * naming the variable, so a typo does not start the demo somewhere unexpected.
 * @param {Record<string, string | undefined>} env
 * @returns {{ modbus: number, opcua: number, erp: number }}
 */
function demoPorts(env) {
  /** @param {keyof typeof PORT_VARIABLES} name */
  const port = (name) => {
    const text = (env[name] ?? '').trim();
    if (text === '') return PORT_VARIABLES[name];
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new RangeError(`${name}=${text} is not a port (1-65535, or 0 for a free one)`);
    return n;
  };
  const modbus = port('HUB_SIMULATOR_MODBUS_PORT');
  if (modbus > 65535 - (MODBUS_MACHINES.length - 1)) throw new RangeError(`HUB_SIMULATOR_MODBUS_PORT=${modbus} leaves no port for the ${MODBUS_MACHINES.slice(1).join(', ')}`);
  return { modbus, opcua: port('HUB_SIMULATOR_OPCUA_PORT'), erp: port('HUB_DEMO_ERP_PORT') };
}

/**
 * The variables the demo flow reads, for the ports the servers listen on.
 * @param {{ modbus: Record<string, number>, opcua: number, erp: number }} taken  modbus: port by machine (short name)
 * @returns {Record<string, string>}
 */
function demoFlowEnv(taken) {
  /** @type {Record<string, string>} */
  const env = {};
  for (const machine of MODBUS_MACHINES) {
    const port = taken.modbus[machine];
    if (port !== undefined) env[`HUB_DEMO_${machine.toUpperCase()}_PORT`] = String(port);
  }
  env.HUB_DEMO_OPCUA_URL = `opc.tcp://${DEMO_HOST}:${taken.opcua}`;
  env.HUB_DEMO_ERP_URL = `http://${DEMO_HOST}:${taken.erp}/api`;
  return env;
}

/**
 * The demo flow's variables from the asked-for ports (or what start.js set from the ports it took), for a hub
 * started without scripts/start.js; variables already set are kept. Mutates and returns `env`.
 * @param {Record<string, string | undefined>} env
 */
function applyDemoFlowEnv(env) {
  const asked = demoPorts(env);
  /** @type {Record<string, number>} */
  const modbus = {};
  MODBUS_MACHINES.forEach((m, i) => {
    modbus[m] = asked.modbus + i;
  });
  for (const [name, value] of Object.entries(demoFlowEnv({ modbus, opcua: asked.opcua, erp: asked.erp }))) {
    if (env[name] === undefined || env[name] === '') env[name] = value;
  }
  return env;
}

module.exports = { PORT_VARIABLES, MODBUS_MACHINES, DEMO_HOST, demoPorts, demoFlowEnv, applyDemoFlowEnv };
