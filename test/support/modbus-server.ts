/**
 * A real Modbus TCP server for tests (modbus-serial's ServerTCP) on 127.0.0.1 and an ephemeral port,
 * with a register image the test controls and faults it can switch on: silence, busy, drop.
 */
import { ServerTCP } from 'modbus-serial';
import { freePort } from '../../simulator/modbus-server';
import type { AddressInfo, Server, Socket } from 'node:net';

export interface UnitImage {
  readonly holding: Uint16Array;
  readonly input: Uint16Array;
  readonly coils: boolean[];
  readonly discrete: boolean[];
}

export interface ModbusTestServer extends UnitImage {
  readonly port: number;
  /** The register image of one unit id (unit 1's is the server's own holding/input/coils/discrete). */
  unit(unitId: number): UnitImage;
  /** Unit ids that never answer (requests to them time out). */
  readonly silentUnits: Set<number>;
  /** When set, every request answers this Modbus exception code (6 = server device busy). */
  exception: number | undefined;
  /** Registers written, in order: [unitId, address, value]. */
  readonly writes: [number, number, number | boolean][];
  /** Requests served. */
  requests: number;
  /** Client connections open now, and accepted since start. */
  clientCount(): number;
  acceptedCount(): number;
  /** Drops every client connection (the device restarted or the cable was pulled). */
  dropClients(): void;
  /** Stops listening and drops clients. */
  stop(): Promise<void>;
}

class ModbusException extends Error {
  constructor(readonly modbusErrorCode: number) {
    super(`exception ${modbusErrorCode}`);
  }
}

export async function startModbusServer(options: { port?: number; size?: number } = {}): Promise<ModbusTestServer> {
  const size = options.size ?? 2000;
  const images = new Map<number, UnitImage>();
  const unit = (unitId: number): UnitImage => {
    let image = images.get(unitId);
    if (!image) {
      image = {
        holding: new Uint16Array(size),
        input: new Uint16Array(size),
        coils: new Array<boolean>(size).fill(false),
        discrete: new Array<boolean>(size).fill(false),
      };
      images.set(unitId, image);
    }
    return image;
  };
  const state = {
    ...unit(1),
    unit,
    silentUnits: new Set<number>(),
    exception: undefined as number | undefined,
    writes: [] as [number, number, number | boolean][],
    requests: 0,
  };
  // A request to a silent unit gets a promise that never settles: the client must time out.
  const never = new Promise<never>(() => undefined);
  const guard = (addr: number, unitID: number): Promise<never> | undefined => {
    state.requests++;
    if (state.silentUnits.has(unitID)) return never;
    if (state.exception !== undefined) throw new ModbusException(state.exception);
    if (addr >= size) throw new ModbusException(2);
    return undefined;
  };
  const vector = {
    getHoldingRegister: (addr: number, unitID: number) => guard(addr, unitID) ?? unit(unitID).holding[addr],
    getInputRegister: (addr: number, unitID: number) => guard(addr, unitID) ?? unit(unitID).input[addr],
    getCoil: (addr: number, unitID: number) => guard(addr, unitID) ?? unit(unitID).coils[addr],
    getDiscreteInput: (addr: number, unitID: number) => guard(addr, unitID) ?? unit(unitID).discrete[addr],
    getMultipleHoldingRegisters: (addr: number, length: number, unitID: number) =>
      guard(addr + length - 1, unitID) ?? Array.from(unit(unitID).holding.subarray(addr, addr + length)),
    getMultipleInputRegisters: (addr: number, length: number, unitID: number) =>
      guard(addr + length - 1, unitID) ?? Array.from(unit(unitID).input.subarray(addr, addr + length)),
    setRegister: (addr: number, value: number, unitID: number): Promise<void> | undefined => {
      const g = guard(addr, unitID);
      if (g) return g;
      unit(unitID).holding[addr] = value;
      state.writes.push([unitID, addr, value]);
      return undefined;
    },
    setCoil: (addr: number, value: boolean, unitID: number): Promise<void> | undefined => {
      const g = guard(addr, unitID);
      if (g) return g;
      unit(unitID).coils[addr] = value;
      state.writes.push([unitID, addr, value]);
      return undefined;
    },
  };
  // ServerTCP turns port 0 into 502 (`port || 502`): find a free port first, retrying if it is taken.
  let server: ServerTCP | undefined;
  let net: Server | undefined;
  for (let attempt = 1; !server; attempt++) {
    const candidate = options.port ?? (await freePort());
    const s = new ServerTCP(vector, { host: '127.0.0.1', port: candidate, unitID: 255 });
    s.on('socketError', () => undefined);
    const n = (s as unknown as { _server: Server })._server;
    try {
      await new Promise<void>((resolve, reject) => {
        if (n.listening) return resolve();
        n.once('listening', () => resolve());
        n.once('error', reject);
      });
      server = s;
      net = n;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.port !== undefined || attempt >= 5) throw err;
    }
  }
  const port = (net!.address() as AddressInfo).port;
  const sockets = (server as unknown as { socks: Map<Socket, 0> }).socks;
  const live = server;
  const dropClients = (): void => {
    for (const s of sockets.keys()) s.destroy();
  };
  let accepted = 0;
  net!.on('connection', () => accepted++);
  return Object.assign(state, {
    port,
    clientCount: () => sockets.size,
    acceptedCount: () => accepted,
    dropClients,
    stop: () =>
      new Promise<void>((resolve) => {
        dropClients();
        live.close(() => resolve());
      }),
  });
}
