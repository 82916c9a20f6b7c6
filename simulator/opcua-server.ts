/**
 * One OPC UA server (node-opcua) for a set of simulated machines, as a line where some machines come
 * with an OPC UA server of their own. Objects/<site>/<area>/<line>/<machine> holds one variable per
 * point of opcua-points.ts, NodeId `ns=1;s=<machine path>/<name>`.
 *
 * - Values come from the model through getters: a read (or a sampling monitored item) re-reads the
 *   machine when its revision changed, one snapshot for all its variables, so a read of several
 *   variables sees one instant. A timer (unref'd) does the same every `refreshMs` and pushes what
 *   changed, so exception-based monitored items (samplingInterval 0) see every change. Source and
 *   server timestamps are the model time of the snapshot that first showed the value (node-opcua's
 *   setValueFromSource sets both); the line runs on the wall clock, so a Read with maxAge 0 always
 *   asks the getter.
 * - A write acts on the model through the point's write function; a value the machine refuses answers
 *   BadOutOfRange. Whatever happens, the variable then holds the model's value (a pulse reads false again
 *   at once), never the value the client wrote.
 * - Security: None (a demo on loopback) and Sign / SignAndEncrypt with Basic256Sha256, anonymous
 *   allowed. Client certificates are trusted on first sight: it is a simulator, not a plant. The
 *   server's own certificate is made on first start in `pkiDir` and reused after.
 * - Port 0 finds a free port first (node-opcua would advertise port 0 in its endpoint descriptions).
 */
import os from 'node:os';
import path from 'node:path';
import { DataType, DataValue, MessageSecurityMode, SecurityPolicy, StatusCodes, Variant } from 'node-opcua-client';
import type { StatusCode } from 'node-opcua-client';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { OPCUAServer } from 'node-opcua-server';
import type { EngValue } from '../nodes/modbus/codec';
import type { Machine } from './machine';
import { freePort } from './modbus-server';
import { OPCUA_POINTS, SIMULATOR_NAMESPACE, nodeIdPrefix } from './opcua-points';
import type { OpcuaPoint } from './opcua-points';
import { restoreOpensslConf } from '../nodes/opcua/openssl-env';

// The address space types, as node-opcua-server hands them out (their package is not a dependency of ours).
type Namespace = ReturnType<NonNullable<OPCUAServer['engine']['addressSpace']>['getOwnNamespace']>;
type UAObject = ReturnType<Namespace['addObject']>;
type UAVariable = ReturnType<Namespace['addVariable']>;

export interface MachineOpcuaServerOptions {
  /** Default 127.0.0.1 (listens there and advertises it in its endpoint URLs). */
  readonly host?: string;
  /** Default 0 = a free port. */
  readonly port?: number;
  /** Certificate store of the server; default `<os tmpdir>/factoryhub-simulator-pki`. */
  readonly pkiDir?: string;
  /** How often changes are pushed to exception-based monitored items (ms); default 100. */
  readonly refreshMs?: number;
}

export const DEFAULT_OPCUA_PORT = 4840;
const DEFAULT_REFRESH_MS = 100;
const FREE_PORT_ATTEMPTS = 5;

export function defaultPkiDir(): string {
  return path.join(os.tmpdir(), 'factoryhub-simulator-pki');
}

/** The variables of one machine and the values they show, kept in step with its revision. */
class MachineView {
  private revision = -1;
  /** Per point: the DataValue reads answer, replaced only when the value changes. */
  private readonly values = new Map<string, DataValue>();
  private readonly variables = new Map<string, UAVariable>();

  constructor(readonly machine: Machine) {}

  attach(name: string, variable: UAVariable): void {
    this.variables.set(name, variable);
  }

  /** Re-reads the machine if it changed and pushes every changed value to its variable. */
  sync(): void {
    if (this.revision === this.machine.revision) return;
    this.revision = this.machine.revision;
    const snapshot = this.machine.snapshot();
    const at = new Date(snapshot.time);
    for (const p of OPCUA_POINTS) {
      const value = p.read(snapshot);
      if (this.values.get(p.name)?.value.value === value) continue;
      const variant = new Variant({ dataType: p.dataType, value });
      // What setValueFromSource stores, so a read that swaps it in is no change for monitored items.
      this.values.set(p.name, new DataValue({ value: variant, statusCode: StatusCodes.Good, sourceTimestamp: at, serverTimestamp: at }));
      this.variables.get(p.name)?.setValueFromSource(variant, StatusCodes.Good, at);
    }
  }

  current(name: string): DataValue {
    this.sync();
    const value = this.values.get(name);
    if (value === undefined) throw new Error(`${this.machine.name}: no point ${name}`);
    return value;
  }

  /** Applies a client's write; `written` is then overwritten with the model's value (what node-opcua records). */
  write(p: OpcuaPoint, written: DataValue): StatusCode {
    let status: StatusCode = StatusCodes.Good;
    try {
      const write = p.write;
      if (write === undefined) status = StatusCodes.BadNotWritable;
      else write(this.machine, written.value.value as EngValue);
    } catch (err) {
      status = err instanceof RangeError ? StatusCodes.BadOutOfRange : StatusCodes.BadInternalError;
    }
    const now = this.current(p.name);
    written.value = now.value;
    written.statusCode = now.statusCode;
    written.sourceTimestamp = now.sourceTimestamp;
    written.sourcePicoseconds = now.sourcePicoseconds;
    written.serverTimestamp = now.serverTimestamp;
    written.serverPicoseconds = now.serverPicoseconds;
    return status;
  }
}

const ACCESS = { read: 'CurrentRead', 'read-write': 'CurrentRead | CurrentWrite' } as const;

export class MachineOpcuaServer {
  readonly machines: readonly Machine[];
  readonly host: string;
  readonly pkiDir: string;
  private readonly requestedPort: number;
  private readonly refreshMs: number;
  private readonly views: MachineView[];
  private running: { server: OPCUAServer; managers: OPCUACertificateManager[]; timer: NodeJS.Timeout } | undefined;
  private port_ = 0;

  constructor(machines: readonly Machine[], options: MachineOpcuaServerOptions = {}) {
    if (new Set(machines.map((m) => m.name)).size !== machines.length) throw new Error('machine names must be unique');
    this.machines = machines;
    this.views = machines.map((m) => new MachineView(m));
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port ?? 0;
    this.pkiDir = options.pkiDir ?? defaultPkiDir();
    this.refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;
    if (!(Number.isFinite(this.refreshMs) && this.refreshMs > 0)) throw new RangeError(`refreshMs must be > 0, got ${this.refreshMs}`);
  }

  /** The bound port once started, else 0. */
  get port(): number {
    return this.port_;
  }

  get url(): string {
    return `opc.tcp://${this.host}:${this.port_}`;
  }

  /** `ns=1;s=<machine path>/`. */
  nodeIdPrefix(machine: Machine): string {
    return nodeIdPrefix(machine.name);
  }

  /** Pushes every change of the models to the variables now (the timer does it every refreshMs). */
  refresh(): void {
    for (const v of this.views) v.sync();
  }

  async start(): Promise<{ port: number; url: string }> {
    if (this.running !== undefined) return { port: this.port_, url: this.url };
    for (let attempt = 1; ; attempt++) {
      const port = this.requestedPort !== 0 ? this.requestedPort : await freePort(this.host);
      try {
        await this.listen(port);
        return { port, url: this.url };
      } catch (err) {
        const retry = this.requestedPort === 0 && /EADDRINUSE/.test(String(err)) && attempt < FREE_PORT_ATTEMPTS;
        if (!retry) throw err;
      }
    }
  }

  /** Closes every session and the listening socket; resolves when done. Safe to call twice. */
  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    this.port_ = 0;
    if (running === undefined) return;
    clearInterval(running.timer);
    await running.server.shutdown(0);
    for (const m of running.managers) await m.dispose();
  }

  private async listen(port: number): Promise<void> {
    const serverCertificateManager = new OPCUACertificateManager({ rootFolder: this.pkiDir, automaticallyAcceptUnknownCertificate: true, disableFileWatchers: true });
    const userCertificateManager = new OPCUACertificateManager({ rootFolder: path.join(this.pkiDir, 'users'), automaticallyAcceptUnknownCertificate: true, disableFileWatchers: true });
    const managers = [serverCertificateManager, userCertificateManager];
    const server = new OPCUAServer({
      port,
      host: this.host,
      hostname: this.host,
      serverCertificateManager,
      userCertificateManager,
      serverInfo: { applicationUri: SIMULATOR_NAMESPACE, productUri: 'factoryhub-simulator', applicationName: { text: 'Factory Hub simulated line', locale: 'en' } },
      buildInfo: { productName: 'Factory Hub simulator', manufacturerName: 'Factory Hub' },
      securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
      securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
      allowAnonymous: true,
      disableDiscovery: true,
    });
    try {
      await server.initialize();
      this.build(server);
      await server.start();
    } catch (err) {
      await server.shutdown(0).catch(() => undefined);
      for (const m of managers) await m.dispose().catch(() => undefined);
      throw err;
    } finally {
      // npm start runs the simulator inside the process that spawns Node-RED: keep its environment clean.
      restoreOpensslConf();
    }
    // The server reads its key again when it answers CreateSession: repair OPENSSL_CONF as it goes.
    const timer = setInterval(() => {
      this.refresh();
      restoreOpensslConf();
    }, this.refreshMs);
    timer.unref();
    this.running = { server, managers, timer };
    this.port_ = port;
  }

  private build(server: OPCUAServer): void {
    const addressSpace = server.engine.addressSpace;
    if (!addressSpace) throw new Error('the OPC UA server has no address space');
    const ns = addressSpace.getOwnNamespace();
    if (ns.namespaceUri !== SIMULATOR_NAMESPACE) throw new Error(`own namespace is ${ns.namespaceUri}, expected ${SIMULATOR_NAMESPACE}`);
    // Folders for the ISA-95 path (demo / packaging / line1), shared by the machines of a line.
    const folders = new Map<string, UAObject>();
    const folderOf = (segments: readonly string[]): UAObject => {
      const key = segments.join('/');
      const known = folders.get(key);
      if (known !== undefined) return known;
      const parent = segments.length > 1 ? folderOf(segments.slice(0, -1)) : addressSpace.rootFolder.objects;
      const folder = ns.addFolder(parent, { browseName: segments[segments.length - 1], nodeId: `s=${key}` });
      folders.set(key, folder);
      return folder;
    };
    for (const view of this.views) {
      const segments = view.machine.name.split('/');
      const parent = segments.length > 1 ? folderOf(segments.slice(0, -1)) : addressSpace.rootFolder.objects;
      const object = ns.addObject({ organizedBy: parent, browseName: segments[segments.length - 1], nodeId: `s=${view.machine.name}` });
      for (const p of OPCUA_POINTS) view.attach(p.name, MachineOpcuaServer.addPoint(ns, object, view, p));
    }
    this.refresh();
  }

  private static addPoint(ns: Namespace, object: UAObject, view: MachineView, p: OpcuaPoint): UAVariable {
    const variable = ns.addVariable({
      componentOf: object,
      browseName: p.name,
      nodeId: `s=${view.machine.name}/${p.name}`,
      description: p.unit ? `${p.description} [${p.unit}]` : p.description,
      dataType: DataType[p.dataType],
      accessLevel: ACCESS[p.access],
      userAccessLevel: ACCESS[p.access],
      // 0: a monitored item asking for 0 is served from the pushes (exception based), not sampled.
      minimumSamplingInterval: 0,
    });
    // Bound after adding: addVariable warns about a getter with minimumSamplingInterval 0, which is
    // only a problem for a getter whose changes nobody pushes; MachineView.sync pushes them.
    const get = (): DataValue => view.current(p.name);
    if (p.write === undefined) {
      variable.bindVariable({ timestamped_get: get }, true);
    } else {
      variable.bindVariable(
        {
          timestamped_get: get,
          // Callback form: node-opcua then records `written` (now the model's value) synchronously.
          timestamped_set: (written: DataValue, done: (err: Error | null, status?: StatusCode) => void): void => done(null, view.write(p, written)),
        },
        true,
      );
    }
    return variable;
  }
}
