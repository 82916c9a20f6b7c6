/**
 * Runs the simulated line in real time: some machines over Modbus TCP, the others over OPC UA.
 *
 *   npx tsx simulator/run.ts [--seed N] [--base-port 5020] [--opcua-port 4840]
 *                            [--opcua-machines labeller,casepacker] [--host 127.0.0.1] [--tick 100]
 *                            [--pki-dir DIR] [--erp-port 5080]
 *   node dist/simulator/run.js ...          (after npm run build)
 *
 * Modbus machine i (in line order) listens on basePort + i: filler 5020, capper 5021 by default (and
 * labeller 5022, case packer 5023 when they are Modbus too); basePort 0 gives each a free port. The
 * OPC UA machines (by default labeller and case packer) share one OPC UA server on port 4840 (a free
 * port when basePort is 0), NodeIds `ns=1;s=<machine path>/<point>`. One unref'd interval advances the model to the current time, so
 * the simulation never keeps a process (or a test) alive by itself. `--erp-port` also starts the
 * demo ERP (erp-server.ts).
 */
import { DataType } from 'node-opcua-client';
import { startDemoErp } from './erp-server';
import type { DemoErp } from './erp-server';
import { Line } from './line';
import type { LineMachine, LineOptions } from './line';
import type { Machine } from './machine';
import { MachineModbusServer } from './modbus-server';
import { DEFAULT_OPCUA_PORT, MachineOpcuaServer } from './opcua-server';
import { OPCUA_POINTS, SIMULATOR_NAMESPACE, nodeIdPrefix } from './opcua-points';
import { REGISTER_POINTS, addressText } from './registers';

export interface StartLineOptions {
  readonly seed?: number | string;
  /** First machine's port; the others follow (by position in the line). 0 = a free port each. Default 5020. */
  readonly basePort?: number;
  /** Default 127.0.0.1 (Modbus and OPC UA). */
  readonly host?: string;
  /** Model step interval (ms); default 100. */
  readonly tickMs?: number;
  /** Line path; default `demo/packaging/line1`. */
  readonly path?: string;
  /** Restrict each Modbus server to one unit id; default every unit id. */
  readonly unitId?: number;
  /** Machines served over OPC UA instead of Modbus, by last path segment or full path. Default labeller and casepacker; [] = all Modbus. */
  readonly opcuaMachines?: readonly string[];
  /** Port of the OPC UA server; 0 = a free port. Default 4840, or a free port when basePort is 0 (a test's line). */
  readonly opcuaPort?: number;
  /** Certificate store of the OPC UA server; default `<os tmpdir>/factoryhub-simulator-pki`. */
  readonly pkiDir?: string;
}

/** Where and how the hub reaches a machine. */
export type MachineEndpoint =
  | { readonly protocol: 'modbus'; readonly host: string; readonly port: number }
  | { readonly protocol: 'opcua'; readonly url: string; readonly nodeIdPrefix: string };

export interface RunningLine {
  readonly line: Line;
  /** The Modbus servers, in line order. */
  readonly servers: readonly MachineModbusServer[];
  /** Port of each Modbus machine, by its full ISA-95 path. */
  readonly ports: Readonly<Record<string, number>>;
  readonly host: string;
  /** The OPC UA server, when some machines are served over OPC UA. */
  readonly opcua?: { readonly url: string; readonly port: number; readonly machines: readonly string[]; readonly server: MachineOpcuaServer };
  /** Every machine, by its full ISA-95 path. */
  readonly endpoints: Readonly<Record<string, MachineEndpoint>>;
  /** Stops the timer and closes every server; safe to call twice. */
  stop(): Promise<void>;
}

export const DEFAULT_BASE_PORT = 5020;
export const DEFAULT_TICK_MS = 100;
export const DEFAULT_SEED = 1;

/** Wall-clock ms that never goes backwards (an NTP step must not rewind the model). */
function monotonicClock(): () => number {
  const wall = Date.now();
  const mono = performance.now();
  return () => wall + Math.floor(performance.now() - mono);
}

export const DEFAULT_OPCUA_MACHINES: readonly LineMachine[] = ['labeller', 'casepacker'];

/** The machines named (last path segment or full path); an unknown name is an error. */
function pick(line: Line, names: readonly string[]): Set<Machine> {
  const picked = new Set<Machine>();
  for (const name of names) {
    const m = line.machines.find((x) => x.name === name || x.name === `${line.path}/${name}`);
    if (m === undefined) throw new RangeError(`no machine ${name} on ${line.path}; machines: ${line.machines.map((x) => x.name.split('/').pop()).join(', ')}`);
    picked.add(m);
  }
  return picked;
}

export async function startLine(options: StartLineOptions = {}): Promise<RunningLine> {
  const host = options.host ?? '127.0.0.1';
  const basePort = options.basePort ?? DEFAULT_BASE_PORT;
  const tickMs = options.tickMs ?? DEFAULT_TICK_MS;
  if (!(Number.isFinite(tickMs) && tickMs > 0)) throw new RangeError(`tickMs must be > 0, got ${tickMs}`);
  const now = monotonicClock();
  const lineOptions: LineOptions = { seed: options.seed ?? DEFAULT_SEED, startMs: now(), ...(options.path ? { path: options.path } : {}) };
  const line = new Line(lineOptions);
  const overOpcua = pick(line, options.opcuaMachines ?? DEFAULT_OPCUA_MACHINES);
  const servers: MachineModbusServer[] = [];
  line.machines.forEach((m, i) => {
    if (!overOpcua.has(m)) servers.push(new MachineModbusServer(m, { host, port: basePort === 0 ? 0 : basePort + i, unitId: options.unitId }));
  });
  const opcuaMachines = line.machines.filter((m) => overOpcua.has(m));
  const opcua =
    opcuaMachines.length > 0
      ? new MachineOpcuaServer(opcuaMachines, { host, port: options.opcuaPort ?? (basePort === 0 ? 0 : DEFAULT_OPCUA_PORT), refreshMs: tickMs, ...(options.pkiDir ? { pkiDir: options.pkiDir } : {}) })
      : undefined;
  const closeAll = async (): Promise<void> => {
    await Promise.all([...servers.map((s) => s.stop()), opcua?.stop()]);
  };
  const ports: Record<string, number> = {};
  const endpoints: Record<string, MachineEndpoint> = {};
  try {
    for (const s of servers) ports[s.machine.name] = (await s.start()).port;
    if (opcua !== undefined) await opcua.start();
  } catch (err) {
    await closeAll();
    throw err;
  }
  for (const m of line.machines) {
    endpoints[m.name] = opcua !== undefined && overOpcua.has(m) ? { protocol: 'opcua', url: opcua.url, nodeIdPrefix: nodeIdPrefix(m.name) } : { protocol: 'modbus', host, port: ports[m.name] };
  }
  const timer = setInterval(() => line.advanceTo(now()), tickMs);
  timer.unref();
  let stopped: Promise<void> | undefined;
  return {
    line,
    servers,
    ports,
    host,
    ...(opcua !== undefined ? { opcua: { url: opcua.url, port: opcua.port, machines: opcuaMachines.map((m) => m.name), server: opcua } } : {}),
    endpoints,
    stop: () => {
      stopped ??= (async () => {
        clearInterval(timer);
        await closeAll();
      })();
      return stopped;
    },
  };
}

/** The register map as a text table (the same for every machine). */
export function registerMapTable(): string {
  const head = ['address', 'name', 'type', 'order', 'unit', 'access', 'description'];
  const rows = REGISTER_POINTS.map((p) => [
    addressText(p),
    p.name,
    p.dataType === 'string' ? `string(${p.length ?? 0})` : p.dataType,
    p.area === 'coil' || p.area === 'discrete' ? '' : (p.order ?? 'ABCD'),
    p.gain !== undefined ? `${p.unit ?? ''} (x${p.gain})` : (p.unit ?? ''),
    p.access,
    p.description,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

/** The OPC UA variables of every OPC UA machine as a text table. */
export function opcuaPointTable(): string {
  const head = ['name', 'type', 'unit', 'access', 'description'];
  const rows = OPCUA_POINTS.map((p) => [p.name, DataType[p.dataType], p.unit ?? '', p.access, p.description]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

interface CliOptions extends StartLineOptions {
  readonly erpPort?: number;
}

function parseArgs(argv: readonly string[]): CliOptions {
  const opts: { -readonly [K in keyof CliOptions]: CliOptions[K] } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    const num = (): number => {
      const n = Number(value);
      if (value === undefined || value === '' || !Number.isFinite(n)) throw new Error(`${arg} needs a number`);
      i++;
      return n;
    };
    const str = (what: string): string => {
      if (value === undefined) throw new Error(`${arg} needs ${what}`);
      i++;
      return value;
    };
    switch (arg) {
      case '--seed':
        opts.seed = num();
        break;
      case '--base-port':
        opts.basePort = num();
        break;
      case '--opcua-port':
        opts.opcuaPort = num();
        break;
      case '--opcua-machines':
        opts.opcuaMachines = str('a list like labeller,casepacker (empty for none)')
          .split(',')
          .map((m) => m.trim())
          .filter(Boolean);
        break;
      case '--pki-dir':
        opts.pkiDir = str('a folder');
        break;
      case '--erp-port':
        opts.erpPort = num();
        break;
      case '--tick':
        opts.tickMs = num();
        break;
      case '--host':
        opts.host = str('an address');
        break;
      case '--help':
      case '-h':
        process.stdout.write(
          'usage: simulator/run [--seed N] [--base-port 5020] [--opcua-port 4840] [--opcua-machines labeller,casepacker]\n' +
            '                     [--host 127.0.0.1] [--tick 100] [--pki-dir DIR] [--erp-port 5080]\n',
        );
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${arg}`);
    }
  }
  return opts;
}

async function main(): Promise<void> {
  const { erpPort, ...lineOptions } = parseArgs(process.argv.slice(2));
  const running = await startLine(lineOptions);
  let erp: DemoErp | undefined;
  try {
    if (erpPort !== undefined) erp = await startDemoErp({ port: erpPort, host: running.host });
  } catch (err) {
    await running.stop();
    throw err;
  }
  const out: string[] = [`Simulated line ${running.line.path}:`];
  for (const m of running.line.machines) {
    const snap = m.snapshot();
    const per = snap.unitsPerPart > 1 ? `, 1 part = ${snap.unitsPerPart} units` : '';
    const at = running.endpoints[m.name];
    const where = at.protocol === 'modbus' ? `Modbus TCP ${at.host}:${at.port} (any unit id)` : `OPC UA ${at.url} ${at.nodeIdPrefix}<point>`;
    out.push(`  ${m.name.padEnd(34)} ${where}  ideal ${snap.idealCycleMs} ms/part${per}`);
  }
  if (running.servers.length > 0) {
    out.push('', 'Register map of every Modbus machine (state: 0 idle, 1 running, 2 down, 3 planned, 4 changeover):', registerMapTable());
  }
  if (running.opcua !== undefined) {
    out.push(
      '',
      `OPC UA server ${running.opcua.url} (security None, or Sign / SignAndEncrypt Basic256Sha256; anonymous), namespace ${SIMULATOR_NAMESPACE} (ns=1).`,
      'Variables of every OPC UA machine, NodeId ns=1;s=<machine path>/<name>:',
      opcuaPointTable(),
    );
  }
  if (erp !== undefined) out.push('', `Demo ERP ${erp.url}/ (REST base URL ${erp.apiUrl}, POST /bookings, look-up /bookings?key={{key}}, no authentication)`);
  out.push('', 'Ctrl+C stops.');
  process.stdout.write(`${out.join('\n')}\n`);
  const shutdown = (): void => {
    void Promise.all([running.stop(), erp?.stop()]).then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`simulator: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
