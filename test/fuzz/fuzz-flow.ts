/**
 * The fuzz test's hub: a package of every node type of package.json loaded from the TypeScript sources
 * (through tsx, so the test needs no build and always fuzzes the code in the tree), and a flow holding
 * one of each node, pointed at the test's Modbus, OPC UA and ERP servers, with a fuzzer function node
 * behind an HTTP endpoint that sends the corpus of cases.js to one node type at a time.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { TagRow } from '../../nodes/tags/tag';
import type { FlowNode } from '../support/demo-line';
import { shiftAroundNow } from '../support/demo-line';
import { repoRoot } from '../support/hub-process';

/** Node types of the package, as package.json lists them. */
export function packageNodeTypes(): Record<string, string> {
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
  return pkg['node-red'].nodes;
}

/**
 * Writes into `dir` a node package with every node type of package.json, each file a wrapper that
 * registers tsx and requires the node's source, its .html and message catalog beside it.
 */
export function sourcePackage(dir: string): string {
  const nodes: Record<string, string> = {};
  for (const [type, built] of Object.entries(packageNodeTypes())) {
    // dist/nodes/<family>/<name>.js is built from nodes/<family>/<name>.ts
    const rel = path.relative(path.join('dist', 'nodes'), built).replace(/\.js$/, '');
    const family = path.dirname(rel);
    const name = path.basename(rel);
    const src = path.join(repoRoot, 'nodes', family);
    const out = path.join(dir, family);
    fs.mkdirSync(path.join(out, 'locales', 'en-US'), { recursive: true });
    fs.writeFileSync(path.join(out, `${name}.js`), `require('tsx/cjs');\nmodule.exports = require(${JSON.stringify(path.join(src, `${name}.ts`))});\n`);
    fs.copyFileSync(path.join(src, `${name}.html`), path.join(out, `${name}.html`));
    for (const ext of ['json', 'html']) {
      const locale = path.join(src, 'locales', 'en-US', `${name}.${ext}`);
      if (fs.existsSync(locale)) fs.copyFileSync(locale, path.join(out, 'locales', 'en-US', `${name}.${ext}`));
    }
    fs.cpSync(path.join(repoRoot, 'nodes', 'icons'), path.join(out, 'icons'), { recursive: true });
    nodes[type] = `${family}/${name}.js`;
  }
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'fh-fuzz-under-test', version: '0.0.0', 'node-red': { nodes } }, null, 2));
  return dir;
}

export const MACHINE = 'fuzz/line/press';
const OVEN = 'fuzz/line/oven';

const MODBUS_ROWS: TagRow[] = [
  { name: `${MACHINE}/state`, address: 'hr:0', dataType: 'uint16' },
  { name: `${MACHINE}/count`, address: 'hr:2', dataType: 'uint32' },
  { name: `${MACHINE}/good`, address: 'hr:4', dataType: 'uint32' },
  { name: `${MACHINE}/speed`, address: 'hr:10', dataType: 'float32', access: 'read-write', unit: 'ppm' },
  { name: `${MACHINE}/recipe`, address: 'hr:20', dataType: 'string', length: '6', access: 'read-write' },
  { name: `${MACHINE}/reset`, address: 'co:1', dataType: 'bool', access: 'read-write' },
];

const OPCUA_ROWS: TagRow[] = [
  { name: `${OVEN}/limit`, address: 'ns=1;s=ReadOnly', dataType: 'float64' },
  { name: `${OVEN}/setpoint`, address: 'ns=1;s=Double', dataType: 'float64', access: 'read-write' },
  { name: `${OVEN}/count`, address: 'ns=1;s=Counter', dataType: 'int32' },
];

/** The modbus register holding the state tag and the count tag, for the checks after the fuzz. */
export const REGISTERS = { state: 0, count: 3 } as const;

/** Tags each node type's cases name (a read-only, a read-write and an unknown one, OEE's inputs). */
export function tagsFor(type: string): Record<string, string> {
  const opcua = type.startsWith('fh-opcua');
  return {
    readOnly: opcua ? `${OVEN}/limit` : `${MACHINE}/count`,
    readWrite: opcua ? `${OVEN}/setpoint` : `${MACHINE}/speed`,
    unknown: `${MACHINE}/nothing`,
    opcuaReadOnly: `${OVEN}/limit`,
    opcuaReadWrite: `${OVEN}/setpoint`,
    oeeState: `${MACHINE}/state`,
    oeeCount: `${MACHINE}/count`,
  };
}

export interface FuzzTargets {
  readonly modbusPort: number;
  readonly opcuaUrl: string;
  readonly erpUrl: string;
  readonly mqttUrl: string;
}

/** The id of the node of a type (not the type itself: the observers are named after the types, and Node-RED takes a property equal to a node id for a reference). */
const nodeId = (type: string): string => `node-${type}`;

const CASES_FILE = path.join(__dirname, 'cases.js');

/** Keeps what a node sent, small: counts, and the last primitive payload per topic, in memory context. */
const OBSERVE = `
const all = global.get('observed', 'memory') || {};
const seen = all[node.name] || (all[node.name] = { count: 0, byTopic: {}, last: null });
seen.count++;
try {
  const p = msg.payload;
  const small = (v) => (v === null || ['number', 'boolean'].includes(typeof v) || (typeof v === 'string' && v.length <= 200) ? v : typeof v);
  if (typeof msg.topic === 'string' && msg.topic.length <= 200) seen.byTopic[msg.topic] = small(p);
  seen.last = p !== null && typeof p === 'object' && !Array.isArray(p) ? { machine: small(p.machine), state: small(p.state), oee: small(p.oee), shift: p.shift === null ? null : typeof p.shift } : small(p);
} catch (err) {
  seen.last = 'unreadable: ' + String(err && err.message);
}
global.set('observed', all, 'memory');
return null;
`;

/**
 * The flow: config nodes (Modbus client, two tag maps, OPC UA endpoint, ERP connection, shift calendar),
 * one node of each type with an input, the fuzzer (POST /fuzz {target, group, skip, seed}), a valid
 * traffic sender (POST /fuzz/valid) and what the nodes sent (GET /fuzz/observed).
 */
export function fuzzFlow(targets: FuzzTargets, inputTypes: readonly string[]): FlowNode[] {
  const z = 'fuzz-tab';
  const observer = (name: string): FlowNode => ({ id: `observe-${name}`, type: 'function', z, name, func: OBSERVE, outputs: 0 });
  const nodes: FlowNode[] = [
    { id: z, type: 'tab', label: 'fuzz' },
    { id: 'modbus-dev', type: 'fh-modbus-client', name: 'press', transport: 'tcp', host: '127.0.0.1', port: String(targets.modbusPort), unitId: 1, timeout: 500, reconnectMax: 1 },
    { id: 'modbus-map', type: 'fh-tag-map', name: 'press tags', rows: MODBUS_ROWS },
    { id: 'opcua-map', type: 'fh-tag-map', name: 'oven tags', rows: OPCUA_ROWS },
    { id: 'opcua-ep', type: 'fh-opcua-endpoint', name: 'oven', endpointUrl: targets.opcuaUrl, securityMode: 'None', securityPolicy: 'None', authentication: 'anonymous', reconnectMax: 2 },
    {
      id: 'erp-conn', type: 'fh-erp-connection', name: 'mes', dialect: 'rest', baseUrl: targets.erpUrl, authType: 'none', timeout: 2, connectTimeout: 2, retryBase: 0.05, retryCap: 0.5, settle: 0.1, concurrency: 2, maxRecords: 1000, maxMB: 5,
      restMethod: 'POST', restUrl: '/bookings', restBody: '{"key": "{{key}}", "order": "{{order}}", "qty": "{{yield}}"}', restLookupUrl: '/bookings?key={{key}}', restKinds: 'confirmation,downtime',
    },
    { id: 'calendar', type: 'fh-shift-calendar', name: 'fuzz shifts', timeZone: 'UTC', shifts: [shiftAroundNow()], holidays: [], plannedStops: [] },

    { id: nodeId('fh-modbus-read'), type: 'fh-modbus-read', z, name: 'press read', client: 'modbus-dev', tagMap: 'modbus-map', prefix: '', interval: 200, output: 'changes', staleAfter: 5, wires: [['observe-fh-modbus-read']] },
    { id: nodeId('fh-modbus-write'), type: 'fh-modbus-write', z, name: 'press write', client: 'modbus-dev', tagMap: 'modbus-map', prefix: '', readBack: true, wires: [['observe-fh-modbus-write']] },
    { id: nodeId('fh-opcua-read'), type: 'fh-opcua-read', z, name: 'oven read', endpoint: 'opcua-ep', tagMap: 'opcua-map', prefix: '', output: 'each', wires: [['observe-fh-opcua-read']] },
    { id: nodeId('fh-opcua-subscribe'), type: 'fh-opcua-subscribe', z, name: 'oven subscribe', endpoint: 'opcua-ep', tagMap: 'opcua-map', prefix: '', samplingInterval: 200, publishingInterval: 500, queueSize: 10, deadbandType: 'none', deadband: 0, output: 'each', wires: [['observe-fh-opcua-subscribe']] },
    { id: nodeId('fh-opcua-write'), type: 'fh-opcua-write', z, name: 'oven write', endpoint: 'opcua-ep', tagMap: 'opcua-map', prefix: '', wires: [['observe-fh-opcua-write']] },
    { id: nodeId('fh-opcua-method'), type: 'fh-opcua-method', z, name: 'oven method', endpoint: 'opcua-ep', objectId: 'ns=1;s=Plant', methodId: '', wires: [['observe-fh-opcua-method']] },
    { id: nodeId('fh-erp-post'), type: 'fh-erp-post', z, name: 'mes post', connection: 'erp-conn', kind: 'confirmation', mapping: '', wires: [['observe-fh-erp-post'], ['observe-fh-erp-post']] },
    {
      id: nodeId('fh-oee'), type: 'fh-oee', z, name: 'press OEE', machine: MACHINE, calendar: 'calendar', stateSource: 'state', stateTag: `${MACHINE}/state`,
      stateMap: [{ value: '0', state: 'idle' }, { value: '1', state: 'running' }, { value: '2', state: 'down' }],
      countBasis: 'total+good', totalTag: `${MACHINE}/count`, goodTag: `${MACHINE}/good`, counterMode: 'abs32', reasonTag: `${MACHINE}/fault`,
      reasons: [{ category: 'Mechanical', name: 'Jam', id: 'jam', codes: '101' }], clearCodes: '0', productTag: `${MACHINE}/product`, products: [{ name: 'A', ict: '1' }], defaultProduct: 'A',
      smallStop: 300, staleAfter: 86400, startup: 0, reorderTolerance: 2, reportInterval: 0, tickInterval: 1, saveInterval: 0.5,
      wires: [['observe-fh-oee'], ['observe-fh-oee-events'], ['observe-fh-oee-events']],
    },
    { id: 'kpi-store', type: 'fh-kpi-store', name: 'fuzz history', backend: 'sqlite', file: 'factoryhub/kpi/fuzz.sqlite', timeZone: 'UTC', retainShiftsDays: 0, retainStopsDays: 0, retainOrdersDays: 0, retainSamplesDays: 90, sampleInterval: 60, maxQueued: 100000 },
    { id: nodeId('fh-kpi-write'), type: 'fh-kpi-write', z, name: 'history write', store: 'kpi-store', samples: true, wires: [] },
    { id: nodeId('fh-kpi-query'), type: 'fh-kpi-query', z, name: 'history query', store: 'kpi-store', query: '{"type": "oee", "by": "machine", "period": "day"}', format: 'json', decimal: '.', wires: [['observe-fh-kpi-query']] },
    { id: 'mqtt', type: 'fh-mqtt-broker', name: 'plant broker', urls: targets.mqttUrl, protocol: '4', clientId: '', tlsVerify: true, ca: '', cert: '', keepalive: 30, connectTimeout: 10, retry: 1 },
    { id: nodeId('fh-uns-publish'), type: 'fh-uns-publish', z, name: 'uns out', broker: 'mqtt', form: 'sparkplug', group: 'fuzz', edgeNode: 'hub1', deviceLevel: 4, primaryHost: '', root: '', tagMap: 'modbus-map', maxValues: 100000, maxAgeH: 1, wires: [['observe-fh-uns-publish']] },
    // The plant side of the same broker: what the publisher sent (fuzzed values included) comes back as tag messages.
    { id: nodeId('fh-uns-subscribe'), type: 'fh-uns-subscribe', z, name: 'uns in', broker: 'mqtt', form: 'sparkplug', group: 'fuzz', root: '', wires: [['observe-fh-uns-subscribe']] },
    ...[...inputTypes, 'fh-uns-subscribe', 'fh-oee-events', 'catch'].map(observer),
    // As in the demo flow: a Catch node gets every error with its message (Node-RED clones the message for it).
    { id: 'catch-all', type: 'catch', z, name: 'errors', scope: null, uncaught: false, wires: [['observe-catch']] },

    // POST /fuzz: the corpus for one node type and group; answers with the ids of the cases sent.
    { id: 'fuzz-in', type: 'http in', z, name: '', url: '/fuzz', method: 'post', upload: false, wires: [['fuzzer-fn']] },
    {
      id: 'fuzzer-fn', type: 'function', z, name: 'fuzzer', outputs: inputTypes.length + 1,
      func: `${fs.readFileSync(CASES_FILE, 'utf8')}
const TARGETS = ${JSON.stringify(inputTypes)};
const { target, group, skip, seed, tags } = msg.payload;
const index = TARGETS.indexOf(target);
if (index < 0) throw new Error('fuzz: no target ' + target);
const sent = [];
for (const c of fuzzCases(target, group, tags, seed)) {
  if (skip.includes(c.id)) continue;
  const out = TARGETS.map(() => null);
  out[index] = c.make();
  // Not cloned: a clone would read the getters here and hand the node a tamer copy.
  node.send(out, false);
  sent.push(c.id);
}
const reply = TARGETS.map(() => null);
msg.payload = { sent };
reply.push(msg);
node.send(reply, false);
return null;
`,
      wires: [...inputTypes.map((t) => [nodeId(t)]), ['fuzz-reply']],
    },
    { id: 'fuzz-reply', type: 'http response', z, name: '', statusCode: '', headers: {} },

    // POST /fuzz/valid: values as a machine sends them, and a report request, to fh-oee; a scan now to fh-modbus-read.
    { id: 'valid-in', type: 'http in', z, name: '', url: '/fuzz/valid', method: 'post', upload: false, wires: [['valid-fn']] },
    {
      id: 'valid-fn', type: 'function', z, name: 'valid traffic', outputs: 3,
      func: `
const now = Date.now();
const { count } = msg.payload;
node.send([[
  { topic: ${JSON.stringify(`${MACHINE}/state`)}, payload: 1, timestamp: now, quality: 'good' },
  { topic: ${JSON.stringify(`${MACHINE}/count`)}, payload: count, timestamp: now, quality: 'good' },
  { topic: ${JSON.stringify(`${MACHINE}/good`)}, payload: count, timestamp: now, quality: 'good' },
  { topic: 'report' },
], { payload: 'scan' }, null]);
msg.payload = { ok: true };
return [null, null, msg];
`,
      wires: [[nodeId('fh-oee')], [nodeId('fh-modbus-read')], ['fuzz-reply']],
    },
    { id: 'observed-in', type: 'http in', z, name: '', url: '/fuzz/observed', method: 'get', upload: false, wires: [['observed-fn']] },
    { id: 'observed-fn', type: 'function', z, name: 'observed', outputs: 1, func: `msg.payload = global.get('observed', 'memory') || {};\nreturn msg;`, wires: [['fuzz-reply']] },
  ];
  return nodes;
}
