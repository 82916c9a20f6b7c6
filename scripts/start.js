'use strict';
// `npm start`: build if needed, start the simulated line and the demo ERP, deploy the demo flow on first run, start
// Node-RED with settings/ and say where the editor and the dashboard are and how to log in.
const fs = require('node:fs');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');
const { format } = require('node:util');
const { X509Certificate } = require('node:crypto');
const { certificateFile } = require('../settings/tls');
const { PORT_VARIABLES, demoFlowEnv, demoPorts } = require('../settings/demo-ports');
const { opcuaWarningFilter } = require('./opcua-warning');
const { freshUserDir } = require('../settings/demo-project');

const root = path.resolve(__dirname, '..');
const userDir = path.resolve(process.env.HUB_USER_DIR || path.join(root, 'data'));
const demoFlow = path.join(root, 'flows', 'demo-line.json');
// One filter for the simulator's node-opcua (in this process) and the hub's (its output): W27 explained once.
const printLine = opcuaWarningFilter((line) => process.stdout.write(`${line}\n`));

/** The newest file under dir. @param {string} dir @returns {{mtimeMs: number, file: string}} */
function newestFile(dir) {
  let newest = { mtimeMs: 0, file: '' };
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const candidate = entry.isDirectory() ? newestFile(full) : { mtimeMs: fs.statSync(full).mtimeMs, file: full };
    if (candidate.mtimeMs > newest.mtimeMs) newest = candidate;
  }
  return newest;
}

/**
 * A newcomer's edit shows without a separate build. HUB_BUILD=0 never rebuilds: a rebuild empties dist/,
 * which other hubs running from this checkout (the test suite's parallel jobs) load their nodes from.
 */
function buildIfStale() {
  if (process.env.HUB_BUILD === '0') return;
  const stamp = path.join(root, 'dist', '.build-stamp');
  const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
  const newest = ['nodes', 'flows', 'simulator'].map((d) => newestFile(path.join(root, d))).reduce((a, b) => (b.mtimeMs > a.mtimeMs ? b : a));
  if (newest.mtimeMs <= built) return;
  process.stdout.write(`[factory-hub] Building: ${built === 0 ? 'no build yet' : `${path.relative(root, newest.file)} changed since the last build`}.\n`);
  execFileSync(process.execPath, [path.join(__dirname, 'build.js')], { stdio: 'inherit' });
}

/** A fresh user directory gets the demo flow, as the hub's first project (settings/demo-project.js, HUB_DEMO_FLOW). */
function deployDemoOnFirstRun() {
  return freshUserDir(userDir);
}

/**
 * The simulated line of the demo, unless HUB_SIMULATOR=0: filler and capper over Modbus TCP on
 * 127.0.0.1:5020-5021 (HUB_SIMULATOR_MODBUS_PORT, the capper on the next port), labeller and case packer
 * over OPC UA on 127.0.0.1:4840 (HUB_SIMULATOR_OPCUA_PORT), the OPC UA server's certificate kept in
 * <userDir>/simulator-pki.
 * @param {ReturnType<typeof demoPorts>} ports
 */
async function startSimulator(ports) {
  if (process.env.HUB_SIMULATOR === '0') return undefined;
  // node-opcua's warnings of the simulator's OPC UA server, with W27 explained (opcua-warning.js).
  require('node-opcua-client').setWarningLogger((/** @type {unknown} */ _context, /** @type {unknown[]} */ ...args) => printLine(`[node-opcua] ${format(...args)}`));
  const { startLine } = require(path.join(root, 'dist', 'simulator', 'run.js'));
  let line;
  try {
    line = await startLine({
      seed: Number(process.env.HUB_SIMULATOR_SEED || 1),
      pkiDir: path.join(userDir, 'simulator-pki'),
      basePort: ports.modbus,
      opcuaPort: ports.opcua,
    });
  } catch (err) {
    // The hub is what matters: it starts without the simulator, whose devices then show as disconnected.
    const why = err instanceof Error ? err.message : String(err);
    const hint = /EADDRINUSE/.test(why)
      ? ` Another program has one of its ports (Modbus ${ports.modbus}-${ports.modbus + 1}, OPC UA ${ports.opcua}): stop it, or move them with HUB_SIMULATOR_MODBUS_PORT and HUB_SIMULATOR_OPCUA_PORT, or set HUB_SIMULATOR=0.`
      : '';
    process.stdout.write(`[factory-hub] Simulated line not started: ${why}.${hint}\n`);
    return undefined;
  }
  const modbus = Object.entries(line.ports).map(([name, port]) => `${name.split('/').pop()} ${port}`);
  const lines = [`[factory-hub] Simulated line ${line.line.path}: Modbus TCP on ${line.host}: ${modbus.join(', ')}`];
  if (line.opcua) {
    const names = line.opcua.machines.map((/** @type {string} */ name) => name.split('/').pop());
    lines.push(`[factory-hub]   OPC UA ${line.opcua.url}: ${names.join(', ')} (NodeIds ns=1;s=<machine path>/<point>)`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return line;
}

/**
 * The demo ERP on 127.0.0.1:5080 (HUB_DEMO_ERP_PORT) unless HUB_DEMO_ERP=0; the hub runs without it if it cannot start.
 * @param {number} port
 */
async function startErp(port) {
  if (process.env.HUB_DEMO_ERP === '0') return undefined;
  const { startDemoErp } = require(path.join(root, 'dist', 'simulator', 'erp-server.js'));
  try {
    const erp = await startDemoErp({ port });
    process.stdout.write(`[factory-hub] Demo ERP ${erp.url}/ (REST connection: base URL ${erp.apiUrl}, authentication none)\n`);
    return erp;
  } catch (err) {
    process.stdout.write(`[factory-hub] Demo ERP not started (port ${port}): ${err instanceof Error ? err.message : String(err)}\n`);
    return undefined;
  }
}

/** What the browser will show for the served certificate, to compare before logging in. */
function certificateLines() {
  const where = certificateFile({ userDir, env: process.env });
  if (!where) return ['  Plain HTTP (HUB_HTTP=1): only behind a TLS proxy.'];
  try {
    const x509 = new X509Certificate(fs.readFileSync(where.file));
    return [
      `  Certificate: ${where.generated ? 'self-signed, ' : ''}${where.file}`,
      `    SHA-256 fingerprint ${x509.fingerprint256}`,
      ...(where.generated ? ['    Your browser warns about it: check that its fingerprint is this one, then accept it.'] : []),
    ];
  } catch (err) {
    return [`  Certificate: ${where.file} cannot be read (${err instanceof Error ? err.message : String(err)})`];
  }
}

/**
 * The ports taken, each with the variable that moves it.
 * @param {string} base  the editor's URL
 * @param {{ modbus: Record<string, number>, opcua: number | undefined, erp: number | undefined }} taken  undefined: not started
 */
function portLines(base, taken) {
  const editor = new URL(base).port || (base.startsWith('https:') ? '443' : '80');
  const modbus = Object.entries(taken.modbus).map(([machine, port]) => `${machine} ${port}`);
  return [
    `  Ports:     editor and dashboard ${editor} (HUB_PORT)`,
    `             Modbus ${modbus.length ? modbus.join(', ') : 'not started'} (HUB_SIMULATOR_MODBUS_PORT, the next machine on the next port)`,
    `             OPC UA ${taken.opcua ?? 'not started'} (HUB_SIMULATOR_OPCUA_PORT), demo ERP ${taken.erp ?? 'not started'} (HUB_DEMO_ERP_PORT)`,
  ];
}

/**
 * @param {string} base @param {number} seconds @param {boolean} firstRun @param {string | undefined} erpUrl
 * @param {Parameters<typeof portLines>[1]} taken
 */
function banner(base, seconds, firstRun, erpUrl, taken) {
  return [
    '',
    `Factory Hub is running (ready in ${seconds.toFixed(1)} s${firstRun ? ', demo flow deployed' : ''}).`,
    `  Editor:    ${base}/`,
    `  Dashboard: ${base}/ui/`,
    ...(erpUrl ? [`  Demo ERP:  ${erpUrl}/`] : []),
    ...portLines(base, taken),
    ...certificateLines(),
    '  Log in as admin (or integrator, technician, operator) with the password printed on the first run,',
    '  or set HUB_ADMIN_PASSWORD (HUB_<NAME>_PASSWORD) before starting. Forgotten? npm run user -- set admin admin',
    '',
  ].join('\n');
}

async function main() {
  const started = Date.now();
  buildIfStale();
  const firstRun = deployDemoOnFirstRun();
  let ports;
  try {
    ports = demoPorts(process.env);
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)} (ports move with ${Object.keys(PORT_VARIABLES).join(', ')})`);
  }
  const simulator = await startSimulator(ports);
  const erp = await startErp(ports.erp);
  /** @type {Record<string, number>} */
  const modbus = {};
  if (simulator) for (const [name, port] of Object.entries(simulator.ports)) modbus[String(name.split('/').pop())] = Number(port);
  const taken = { modbus, opcua: simulator?.opcua?.port, erp: erp?.port };
  // The demo flow's `${HUB_DEMO_...}` properties follow the ports the servers took (settings/demo-ports.js).
  const flowEnv = demoFlowEnv({ modbus, opcua: taken.opcua ?? ports.opcua, erp: taken.erp ?? ports.erp });

  const red = spawn(
    process.execPath,
    [require.resolve('node-red/red.js'), '--settings', path.join(root, 'settings', 'settings.js')],
    { cwd: root, env: { ...process.env, ...flowEnv, HUB_USER_DIR: userDir, HUB_DEMO_FLOW: process.env.HUB_DEMO_FLOW || demoFlow }, stdio: ['inherit', 'pipe', 'inherit'] },
  );

  let announced = false;
  let pending = '';
  const hubLine = (/** @type {string} */ line) => {
    printLine(line);
    if (announced) return;
    const match = /Server now running at (https?:\/\/\S+?)\/?(\s|$)/.exec(line);
    if (!match) return;
    announced = true;
    process.stdout.write(banner(match[1], (Date.now() - started) / 1000, firstRun, erp ? erp.url : undefined, taken) + '\n');
  };
  red.stdout.on('data', (chunk) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) hubLine(line);
  });

  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) process.on(signal, () => red.kill(signal));
  red.on('exit', (code, signal) => {
    // Node-RED has closed its connections; do not wait long for a client that did not.
    const all = Promise.all([simulator ? simulator.stop() : undefined, erp ? erp.stop() : undefined]);
    const stopped = Promise.race([all, new Promise((r) => setTimeout(r, 2000))]);
    void stopped.finally(() => process.exit(code ?? (signal ? 1 : 0)));
  });
}

main().catch((err) => {
  console.error(`[factory-hub] could not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
