/**
 * Runs the simulated line in real time and serves each machine over Modbus TCP.
 *
 *   npx tsx simulator/run.ts [--seed N] [--base-port 5020] [--host 127.0.0.1] [--tick 100]
 *   node dist/simulator/run.js ...          (after npm run build)
 *
 * Machine i listens on basePort + i (filler 5020, capper 5021, labeller 5022, case packer 5023);
 * basePort 0 gives each machine a free port. One unref'd interval advances the model to the
 * current time, so the simulation never keeps a process (or a test) alive by itself.
 */
import { Line } from './line';
import type { LineOptions } from './line';
import { MachineModbusServer } from './modbus-server';
import { REGISTER_POINTS, addressText } from './registers';

export interface StartLineOptions {
  readonly seed?: number | string;
  /** First machine's port; the others follow. 0 = a free port each. Default 5020. */
  readonly basePort?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Model step interval (ms); default 100. */
  readonly tickMs?: number;
  /** Line path; default `demo/packaging/line1`. */
  readonly path?: string;
  /** Restrict each server to one unit id; default every unit id. */
  readonly unitId?: number;
}

export interface RunningLine {
  readonly line: Line;
  /** In line order, like line.machines. */
  readonly servers: readonly MachineModbusServer[];
  /** Port of each machine, by its full ISA-95 path. */
  readonly ports: Readonly<Record<string, number>>;
  readonly host: string;
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

export async function startLine(options: StartLineOptions = {}): Promise<RunningLine> {
  const host = options.host ?? '127.0.0.1';
  const basePort = options.basePort ?? DEFAULT_BASE_PORT;
  const tickMs = options.tickMs ?? DEFAULT_TICK_MS;
  if (!(Number.isFinite(tickMs) && tickMs > 0)) throw new RangeError(`tickMs must be > 0, got ${tickMs}`);
  const now = monotonicClock();
  const lineOptions: LineOptions = { seed: options.seed ?? DEFAULT_SEED, startMs: now(), ...(options.path ? { path: options.path } : {}) };
  const line = new Line(lineOptions);
  const servers = line.machines.map(
    (m, i) => new MachineModbusServer(m, { host, port: basePort === 0 ? 0 : basePort + i, unitId: options.unitId }),
  );
  const ports: Record<string, number> = {};
  try {
    for (const s of servers) ports[s.machine.name] = (await s.start()).port;
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    throw err;
  }
  const timer = setInterval(() => line.advanceTo(now()), tickMs);
  timer.unref();
  let stopped: Promise<void> | undefined;
  return {
    line,
    servers,
    ports,
    host,
    stop: () => {
      stopped ??= (async () => {
        clearInterval(timer);
        await Promise.all(servers.map((s) => s.stop()));
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

function parseArgs(argv: readonly string[]): StartLineOptions {
  const opts: { -readonly [K in keyof StartLineOptions]: StartLineOptions[K] } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    const num = (): number => {
      const n = Number(value);
      if (value === undefined || !Number.isFinite(n)) throw new Error(`${arg} needs a number`);
      i++;
      return n;
    };
    switch (arg) {
      case '--seed':
        opts.seed = num();
        break;
      case '--base-port':
        opts.basePort = num();
        break;
      case '--tick':
        opts.tickMs = num();
        break;
      case '--host':
        if (value === undefined) throw new Error('--host needs an address');
        opts.host = value;
        i++;
        break;
      case '--help':
      case '-h':
        process.stdout.write('usage: simulator/run [--seed N] [--base-port 5020] [--host 127.0.0.1] [--tick 100]\n');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${arg}`);
    }
  }
  return opts;
}

async function main(): Promise<void> {
  const running = await startLine(parseArgs(process.argv.slice(2)));
  const out: string[] = [`Simulated line ${running.line.path} (Modbus TCP, any unit id):`];
  for (const s of running.servers) {
    const snap = s.machine.snapshot();
    const per = snap.unitsPerPart > 1 ? `, 1 part = ${snap.unitsPerPart} units` : '';
    out.push(`  ${s.machine.name.padEnd(34)} ${running.host}:${s.port}  ideal ${snap.idealCycleMs} ms/part${per}`);
  }
  out.push('', 'Register map of every machine (state: 0 idle, 1 running, 2 down, 3 planned, 4 changeover):', registerMapTable(), '');
  out.push('Ctrl+C stops.');
  process.stdout.write(`${out.join('\n')}\n`);
  const shutdown = (): void => {
    void running.stop().then(() => process.exit(0));
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
