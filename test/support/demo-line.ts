/**
 * The demo flow (flows/demo-line.json) against the simulated line and the demo ERP of a test.
 *
 * The flow ships pointing at the demo's fixed ports (Modbus 5020.., OPC UA 4840, ERP 5080). A test runs
 * the simulator with free ports, so `pointDemoAt` rewrites the flow's device and ERP config nodes to
 * them; it throws when one of those nodes is missing (a renamed node must not silently keep pointing
 * at the fixed port) and when a local device is left that it does not know how to rewrite.
 * `startDemo` starts it all: simulator, ERP and a hub (a Node-RED child) that deploys the rewritten
 * flow at start; with `faultProxies` the flow reaches every device and the ERP through a FaultProxy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startDemoErp } from '../../simulator/erp-server';
import type { DemoErp } from '../../simulator/erp-server';
import { startLine } from '../../simulator/run';
import type { RunningLine } from '../../simulator/run';
import { FaultProxy } from './fault-proxy';
import { HubProcess, repoRoot, tempDir } from './hub-process';

export type FlowNode = Record<string, unknown> & { id: string; type: string; z?: string; name?: string };

export const DEMO_FLOW_FILE = path.join(repoRoot, 'flows', 'demo-line.json');
/** Names of the demo flow's config nodes that a test rewrites (the flow's contract with its tests). */
export const DEMO_NAMES = {
  opcuaEndpoint: 'line OPC UA server',
  erpConnection: 'Demo ERP',
  shiftCalendar: 'Line 1 shifts',
} as const;
/** The one shift of `calendarAroundNow` (the dashboard shows it as "Test shift, HH:MM–HH:MM"). */
export const TEST_SHIFT_NAME = 'Test';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const ALL_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const LOCAL = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/i;

export interface DemoTargets {
  readonly line: RunningLine;
  /** When given, the demo ERP connection posts to it. */
  readonly erp?: DemoErp;
}

export interface PointOptions {
  /**
   * Replace the shift calendar's shifts by one UTC shift, every day, no breaks, that started an hour
   * before `now` and lasts 8 h (no holidays, no planned stops): a test never meets a break or a shift change.
   */
  readonly calendarAroundNow?: boolean;
  /** The instant the shift is placed around; default Date.now(). */
  readonly now?: number;
}

/** "HH:MM" in UTC of an instant. */
const clock = (t: number): string => new Date(t).toISOString().slice(11, 16);

/** One UTC shift, every day, from an hour before `now` (whole minute) for 8 hours, no breaks. */
export function shiftAroundNow(now = Date.now()): { name: string; days: string[]; start: string; end: string; breaks: never[] } {
  const start = Math.floor((now - HOUR) / MINUTE) * MINUTE;
  return { name: TEST_SHIFT_NAME, days: [...ALL_DAYS], start: clock(start), end: clock(start + 8 * HOUR), breaks: [] };
}

function describeNodes(flow: readonly FlowNode[], type: string): string {
  const found = flow.filter((n) => n.type === type).map((n) => JSON.stringify(n.name ?? ''));
  return found.length ? `the flow has ${type} ${found.join(', ')}` : `the flow has no ${type}`;
}

/** The single node of a type and name; throws when there is none or more than one. */
function one(flow: readonly FlowNode[], type: string, name: string): FlowNode {
  const hits = flow.filter((n) => n.type === type && n.name === name);
  if (hits.length !== 1) {
    throw new Error(`demo flow: expected one ${type} named ${JSON.stringify(name)} to rewrite, found ${hits.length} (${describeNodes(flow, type)})`);
  }
  return hits[0];
}

/**
 * A copy of the demo flow pointed at a test's simulator (and ERP): the Modbus clients named after the
 * Modbus machines (filler, capper) get their ports, the OPC UA endpoint the server's URL, the ERP
 * connection the ERP's base URL; optionally the shift calendar one shift around now.
 */
export function pointDemoAt(flow: readonly FlowNode[], targets: DemoTargets, options: PointOptions = {}): FlowNode[] {
  const { line, erp } = targets;
  const patches = new Map<string, Record<string, unknown>>();
  const patch = (node: FlowNode, props: Record<string, unknown>): void => {
    patches.set(node.id, { ...patches.get(node.id), ...props });
  };

  const modbusMachines = Object.entries(line.ports);
  if (modbusMachines.length === 0) throw new Error('demo flow: the simulator serves no machine over Modbus');
  for (const [machinePath, port] of modbusMachines) {
    const short = machinePath.split('/').pop() as string;
    patch(one(flow, 'fh-modbus-client', short), { host: line.host, port: String(port) });
  }

  if (line.opcua !== undefined) {
    patch(one(flow, 'fh-opcua-endpoint', DEMO_NAMES.opcuaEndpoint), { endpointUrl: line.opcua.url });
  }

  if (erp !== undefined) {
    patch(one(flow, 'fh-erp-connection', DEMO_NAMES.erpConnection), { baseUrl: erp.apiUrl });
  }

  if (options.calendarAroundNow) {
    patch(one(flow, 'fh-shift-calendar', DEMO_NAMES.shiftCalendar), {
      timeZone: 'UTC',
      shifts: [shiftAroundNow(options.now)],
      holidays: [],
      plannedStops: [],
    });
  }

  // A device on this host that was not rewritten would poll a port where nothing listens (or worse,
  // a real demo running next to the test): refuse rather than let it log errors or read the wrong line.
  const left: string[] = [];
  for (const n of flow) {
    if (patches.has(n.id)) continue;
    if (n.type === 'fh-modbus-client' && typeof n.host === 'string' && LOCAL.test(n.host.trim())) left.push(`fh-modbus-client ${JSON.stringify(n.name ?? n.id)} (${n.host}:${String(n.port)})`);
    if (n.type === 'fh-opcua-endpoint' && typeof n.endpointUrl === 'string' && /\/\/(127\.|localhost)/i.test(n.endpointUrl)) left.push(`fh-opcua-endpoint ${JSON.stringify(n.name ?? n.id)} (${n.endpointUrl})`);
    if (erp !== undefined && n.type === 'fh-erp-connection' && typeof n.baseUrl === 'string' && /\/\/(127\.|localhost)/i.test(n.baseUrl)) left.push(`fh-erp-connection ${JSON.stringify(n.name ?? n.id)} (${n.baseUrl})`);
  }
  if (left.length) throw new Error(`demo flow: local devices the test's simulator does not serve: ${left.join('; ')}`);

  return flow.map((n) => {
    const p = patches.get(n.id);
    return p ? { ...structuredClone(n), ...p } : structuredClone(n);
  });
}

export function readDemoFlow(): FlowNode[] {
  return JSON.parse(fs.readFileSync(DEMO_FLOW_FILE, 'utf8')) as FlowNode[];
}

export interface StartDemoOptions {
  /** Prefix of the temporary directory under .tmp/; default "demo". */
  readonly name?: string;
  readonly seed?: number;
  /** Default true: one shift around now (see PointOptions). */
  readonly calendarAroundNow?: boolean;
  /** Extra environment of the hub. */
  readonly env?: Record<string, string>;
  /** The flow to rewrite and deploy instead of flows/demo-line.json (same contract). */
  readonly flow?: readonly FlowNode[];
  /** How long the hub may take to start its flows; default 60 s. */
  readonly startTimeoutMs?: number;
  /** Put a FaultProxy in front of each Modbus machine, the OPC UA server and the ERP; the flow talks to them. */
  readonly faultProxies?: boolean;
  /**
   * Seed the hub as `npm start` does on its first run: the flow becomes the hub's first project
   * (HUB_DEMO_FLOW, settings/demo-project.js) instead of a plain flow file.
   */
  readonly firstRun?: boolean;
}

/** The fault proxies of a demo started with `faultProxies`: one per Modbus machine (by short name), OPC UA, ERP. */
export interface DemoProxies {
  readonly modbus: Readonly<Record<string, FaultProxy>>;
  readonly opcua?: FaultProxy;
  readonly erp: FaultProxy;
}

export interface RunningDemo {
  readonly line: RunningLine;
  readonly erp: DemoErp;
  readonly hub: HubProcess;
  /** The flow the hub deployed (rewritten). */
  readonly flow: FlowNode[];
  readonly dir: string;
  /** With `faultProxies`: what the flow's clients connect to. */
  readonly proxies?: DemoProxies;
  /** Stops hub, simulator and ERP; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Simulator (free ports, OPC UA certificates under the test's directory), demo ERP (free port) and a hub
 * whose flows.json is the rewritten demo flow; resolves once the hub has started its flows.
 */
export async function startDemo(options: StartDemoOptions = {}): Promise<RunningDemo> {
  const dir = tempDir(options.name ?? 'demo');
  let line: RunningLine | undefined;
  let erp: DemoErp | undefined;
  let hub: HubProcess | undefined;
  let proxies: DemoProxies | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await hub?.stop();
      await Promise.all([line?.stop(), erp?.stop(), ...(proxies ? allProxies(proxies).map((p) => p.close()) : [])]);
    })();
    return stopped;
  };
  try {
    [line, erp] = await Promise.all([
      startLine({ basePort: 0, pkiDir: path.join(dir, 'simulator-pki'), ...(options.seed !== undefined ? { seed: options.seed } : {}) }),
      startDemoErp({ port: 0 }),
    ]);
    let targets: DemoTargets = { line, erp };
    if (options.faultProxies) {
      const proxied = await proxyTargets(line, erp);
      proxies = proxied.proxies;
      targets = proxied.targets;
    }
    const flow = pointDemoAt(options.flow ?? readDemoFlow(), targets, { calendarAroundNow: options.calendarAroundNow ?? true });
    const userDir = path.join(dir, 'userdir');
    fs.mkdirSync(userDir, { recursive: true });
    const seed = options.firstRun ? path.join(dir, 'demo-line.json') : path.join(userDir, 'flows.json');
    fs.writeFileSync(seed, `${JSON.stringify(flow, null, 4)}\n`);
    hub = new HubProcess({ userDir, env: { ...options.env, ...(options.firstRun ? { HUB_DEMO_FLOW: seed } : {}) } });
    const timeout = options.startTimeoutMs ?? 60000;
    await hub.start(timeout);
    await hub.waitForLog(/Started flows/, 0, timeout);
    return { line, erp, hub, flow, dir, stop, ...(proxies ? { proxies } : {}) };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Every proxy of a demo, Modbus machines first. */
export function allProxies(p: DemoProxies): FaultProxy[] {
  return [...Object.values(p.modbus), ...(p.opcua ? [p.opcua] : []), p.erp];
}

/**
 * A proxy in front of each server of a line and of the ERP, and the targets that lead the flow through
 * them (for pointDemoAt): the real servers stay where they are. The OPC UA client keeps the proxy's URL
 * although the server advertises its own port (the endpoint connects with endpointMustExist off).
 */
export async function proxyTargets(line: RunningLine, erp: DemoErp): Promise<{ proxies: DemoProxies; targets: DemoTargets }> {
  const started: FaultProxy[] = [];
  const start = async (port: number): Promise<FaultProxy> => {
    const proxy = await FaultProxy.start({ host: line.host, port });
    started.push(proxy);
    return proxy;
  };
  try {
    const modbus: Record<string, FaultProxy> = {};
    const ports: Record<string, number> = {};
    for (const [machinePath, port] of Object.entries(line.ports)) {
      const proxy = await start(port);
      modbus[machinePath.split('/').pop() as string] = proxy;
      ports[machinePath] = proxy.port;
    }
    const opcua = line.opcua !== undefined ? await start(line.opcua.port) : undefined;
    const erpProxy = await start(erp.port);
    const viaUrl = (url: string, port: number): string => url.replace(/:\d+(?=\/|$)/, `:${port}`);
    const proxiedLine: RunningLine = {
      ...line,
      ports,
      ...(line.opcua !== undefined && opcua !== undefined ? { opcua: { ...line.opcua, url: viaUrl(line.opcua.url, opcua.port), port: opcua.port } } : {}),
    };
    const proxiedErp: DemoErp = { ...erp, url: viaUrl(erp.url, erpProxy.port), apiUrl: viaUrl(erp.apiUrl, erpProxy.port), port: erpProxy.port };
    return { proxies: { modbus, ...(opcua ? { opcua } : {}), erp: erpProxy }, targets: { line: proxiedLine, erp: proxiedErp } };
  } catch (err) {
    await Promise.all(started.map((p) => p.close()));
    throw err;
  }
}
