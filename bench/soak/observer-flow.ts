/**
 * What the soak adds to the demo flow it deploys (flows/demo-line.json itself stays as shipped), and
 * how it reads the hub from outside:
 * - one calendar of two 12-hour UTC shifts, every day, no breaks: every part falls in some shift, so
 *   the hub's count over any soak is the sum of its shifts (no unscheduled time to lose parts in);
 * - "soak: values" on each reader's output keeps per machine the arrival and source times of its last
 *   good messages and the last totalCount read;
 * - "soak: oee" on each fh-oee's figures and shift-end outputs keeps the parts each shift counted;
 * - "soak: erp" on fh-erp-post's first output keeps the keys of the records the outbox accepted;
 * - GET /soak/state serves the three; POST /soak/probe {key} sends a downtime record to the ERP node.
 * Context lives in the "memory" store: the observation must not write the hub's disk.
 */
import type { FlowNode } from '../../test/support/demo-line';
import { DEMO_NAMES } from '../../test/support/demo-line';
import type { HubProcess } from '../../test/support/hub-process';
import { basicAuth } from '../../test/support/hub-process';

export const MACHINES = ['filler', 'capper', 'labeller', 'casepacker'] as const;
export type MachineName = (typeof MACHINES)[number];

/** Good messages kept per machine: several seconds of data at the demo's rates, more than one poll of the soak. */
const ARRIVALS_KEPT = 64;

export interface ObservedValues {
  /** [arrived at the hub's flow (ms), msg.timestamp (ms)] of the last good messages, oldest first. */
  readonly arrivals: readonly (readonly [number, number])[];
  /** The last totalCount register the hub read with good quality, and when. */
  readonly total: number | null;
  readonly totalAt: number;
}

export interface ObservedOee {
  /** When the last figures message arrived, its shift and the parts it counted. */
  readonly at: number;
  readonly shiftId: string | null;
  readonly total: number | null;
  /** Parts of each shift that has ended, by shift id. */
  readonly ended: Readonly<Record<string, number>>;
}

export interface Observed {
  readonly values: Partial<Record<MachineName, ObservedValues>>;
  readonly oee: Partial<Record<MachineName, ObservedOee>>;
  /** Keys of the records the outbox accepted, with the time of their first acceptance. */
  readonly accepted: Readonly<Record<string, number>>;
}

const VALUES_FUNC = `
if (msg.topic === 'alive' || !msg.payload || typeof msg.payload !== 'object') return null;
const p = msg.payload;
let machine = typeof msg.topic === 'string' ? msg.topic : '';
if (!machine) { const k = Object.keys(p)[0] || ''; machine = k.slice(0, k.lastIndexOf('/')); }
const name = machine.split('/').pop();
const all = global.get('soakValues', 'memory') || {};
const v = all[name] || (all[name] = { arrivals: [], total: null, totalAt: 0 });
const now = Date.now();
if (msg.quality === 'good' && typeof msg.timestamp === 'number') {
  v.arrivals.push([now, msg.timestamp]);
  if (v.arrivals.length > ${ARRIVALS_KEPT}) v.arrivals.shift();
  const total = p[machine + '/totalCount'];
  if (typeof total === 'number') { v.total = total; v.totalAt = now; }
}
global.set('soakValues', all, 'memory');
return null;
`;

const OEE_FUNC = `
const p = msg.payload || {};
const name = String(p.machine || '').split('/').pop();
if (!name) return null;
const all = global.get('soakOee', 'memory') || {};
const o = all[name] || (all[name] = { at: 0, shiftId: null, total: null, ended: {} });
if (p.event === 'shift-end') {
  if (p.shift && p.counts) o.ended[p.shift.id] = p.counts.total;
} else if (p.event === undefined && p.counts) {
  o.at = Date.now();
  o.shiftId = p.shift ? p.shift.id : null;
  o.total = p.counts.total;
}
global.set('soakOee', all, 'memory');
return null;
`;

const ERP_FUNC = `
const e = msg.erp || {};
if (e.event !== 'accepted' || typeof e.key !== 'string') return null;
const accepted = global.get('soakAccepted', 'memory') || {};
if (accepted[e.key] === undefined) accepted[e.key] = Date.now();
global.set('soakAccepted', accepted, 'memory');
return null;
`;

const STATE_FUNC = `
msg.payload = {
  values: global.get('soakValues', 'memory') || {},
  oee: global.get('soakOee', 'memory') || {},
  accepted: global.get('soakAccepted', 'memory') || {},
};
return msg;
`;

const PROBE_FUNC = `
const key = msg.payload && msg.payload.key;
if (typeof key !== 'string' || !key) { msg.statusCode = 400; msg.payload = { error: 'body must be {"key": "..."}' }; return [null, msg]; }
const t = Date.now();
const record = { kind: 'downtime', key, workCenter: 'demo/packaging/line1/soak-probe', start: t - 1000, end: t, reason: 'soak-probe' };
msg.payload = { queued: key };
return [{ topic: 'downtime', payload: record }, msg];
`;

/** The shifts of the soak: 00:00-12:00 and 12:00-24:00 UTC, every day. */
export const SOAK_SHIFTS = [
  { name: 'Soak A', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '00:00', end: '12:00', breaks: [] },
  { name: 'Soak B', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '12:00', end: '24:00', breaks: [] },
];

function find(flow: readonly FlowNode[], type: string, name: string): FlowNode {
  const hits = flow.filter((n) => n.type === type && n.name === name);
  if (hits.length !== 1) throw new Error(`soak: the demo flow must have one ${type} named ${JSON.stringify(name)}, found ${hits.length}`);
  return hits[0];
}

/** Adds `to` to output `output` of `node`'s wires. */
function wireTo(node: FlowNode, output: number, to: string): void {
  const wires = (Array.isArray(node.wires) ? node.wires : []) as string[][];
  while (wires.length <= output) wires.push([]);
  wires[output] = [...wires[output], to];
  node.wires = wires;
}

/** A copy of the demo flow with the soak's calendar and observation nodes (before pointDemoAt). */
export function soakFlow(demo: readonly FlowNode[]): FlowNode[] {
  const flow = demo.map((n) => structuredClone(n));
  const tab = flow.find((n) => n.type === 'tab');
  if (!tab) throw new Error('soak: the demo flow has no tab');
  const calendar = find(flow, 'fh-shift-calendar', DEMO_NAMES.shiftCalendar);
  Object.assign(calendar, { timeZone: 'UTC', shifts: SOAK_SHIFTS, holidays: [], plannedStops: [] });

  const id = (n: number): string => `50a4000000${n.toString(16).padStart(6, '0')}`;
  const [values, oee, erp, stateIn, state, stateOut, probeIn, probe, probeOut] = [1, 2, 3, 4, 5, 6, 7, 8, 9].map(id);
  let row = 0;
  const at = (x: number): { x: number; y: number } => ({ x, y: 600 + 40 * row++ });
  const fn = (nid: string, name: string, func: string, wires: string[][]): FlowNode => ({ id: nid, type: 'function', z: tab.id, name, func, outputs: wires.length, noerr: 0, initialize: '', finalize: '', libs: [], ...at(1200), wires });

  for (const name of ['filler', 'capper']) wireTo(find(flow, 'fh-modbus-read', name), 0, values);
  for (const name of ['labeller', 'casepacker']) wireTo(find(flow, 'fh-opcua-subscribe', name), 0, values);
  for (const m of MACHINES) {
    const node = find(flow, 'fh-oee', `${m} OEE`);
    wireTo(node, 0, oee);
    wireTo(node, 2, oee);
  }
  const erpPost = find(flow, 'fh-erp-post', 'ERP');
  wireTo(erpPost, 0, erp);

  flow.push(
    fn(values, 'soak: values', VALUES_FUNC, [[]]),
    fn(oee, 'soak: oee', OEE_FUNC, [[]]),
    fn(erp, 'soak: erp', ERP_FUNC, [[]]),
    { id: stateIn, type: 'http in', z: tab.id, name: 'soak state', url: '/soak/state', method: 'get', upload: false, swaggerDoc: '', ...at(1000), wires: [[state]] },
    fn(state, 'soak: state', STATE_FUNC, [[stateOut]]),
    { id: stateOut, type: 'http response', z: tab.id, name: '', statusCode: '', headers: {}, ...at(1400), wires: [] },
    { id: probeIn, type: 'http in', z: tab.id, name: 'soak probe', url: '/soak/probe', method: 'post', upload: false, swaggerDoc: '', ...at(1000), wires: [[probe]] },
    fn(probe, 'soak: probe', PROBE_FUNC, [[erpPost.id], [probeOut]]),
    { id: probeOut, type: 'http response', z: tab.id, name: '', statusCode: '', headers: {}, ...at(1400), wires: [] },
  );
  return flow;
}

/** The observation endpoints of a hub running soakFlow (HTTP-in needs a login: basic auth as admin). */
export class HubObserver {
  constructor(private readonly hub: Pick<HubProcess, 'fetch'>) {}

  async state(): Promise<Observed> {
    const res = await this.hub.fetch('/soak/state', { headers: { authorization: basicAuth('admin') }, signal: AbortSignal.timeout(10_000) });
    if (res.status !== 200) throw new Error(`GET /soak/state: HTTP ${res.status}`);
    return (await res.json()) as Observed;
  }

  /** Hands a downtime record with `key` to the demo's fh-erp-post (accepted once it shows in state().accepted). */
  async probe(key: string): Promise<void> {
    const res = await this.hub.fetch('/soak/probe', {
      method: 'POST',
      headers: { authorization: basicAuth('admin'), 'content-type': 'application/json' },
      body: JSON.stringify({ key }),
      signal: AbortSignal.timeout(10_000),
    });
    if (res.status !== 200) throw new Error(`POST /soak/probe: HTTP ${res.status} ${await res.text()}`);
  }
}
