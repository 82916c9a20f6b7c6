/**
 * One Modbus TCP server per simulated machine (modbus-serial's ServerTCP), as on a real line where
 * every PLC has its own address: the hub's per-device connections, queues and reconnects are then
 * exercised as they will be in a plant.
 *
 * - The register image is re-encoded from the model lazily, when the machine's revision changed, so
 *   one request always sees one consistent instant (a 32-bit count is never torn).
 * - Reads outside the map and writes to read-only points answer exception 2 (illegal data address),
 *   values the machine refuses exception 3 (illegal data value); see registers.ts.
 * - By default the server answers every unit id, as most Modbus TCP devices do; `unitId` restricts
 *   it to one (requests to others then get no answer, like a gateway with nothing behind that id).
 * - ServerTCP takes `port: 0` as "use 502" and cannot report its bound port, so port 0 here means:
 *   find a free port by binding a plain socket to port 0 first (retried if someone takes it meanwhile).
 */
import { ServerTCP } from 'modbus-serial';
import type { IServiceVector } from 'modbus-serial';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Machine } from './machine';
import { ILLEGAL_DATA_ADDRESS, createImage, machineRegisterMap, readable, writeCoil, writeImage, writeRegisters } from './registers';
import type { MachineRegisterMap, RegisterImage, WriteOutcome } from './registers';
import type { ModbusArea } from '../nodes/tags/tag';

export interface MachineServerOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 = a free port (see the module comment). */
  readonly port?: number;
  /** 1..254 answers only that unit id; default: every unit id. */
  readonly unitId?: number;
}

/** Thrown into ServerTCP, which answers it as a Modbus exception response with this code. */
export class ModbusException extends Error {
  override readonly name = 'ModbusException';
  constructor(
    readonly modbusErrorCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** A port nobody listens on right now on `host` (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port: 0, exclusive: true }, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const FREE_PORT_ATTEMPTS = 5;

export class MachineModbusServer {
  readonly machine: Machine;
  readonly map: MachineRegisterMap;
  readonly host: string;
  private readonly requestedPort: number;
  private readonly unitId: number | undefined;
  private readonly image: RegisterImage;
  private imageRevision = -1;
  private server: ServerTCP | undefined;
  private port_ = 0;

  constructor(machine: Machine, options: MachineServerOptions = {}) {
    this.machine = machine;
    this.map = machineRegisterMap(machine.name);
    this.image = createImage(this.map);
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port ?? 0;
    if (options.unitId !== undefined && !(Number.isInteger(options.unitId) && options.unitId >= 1 && options.unitId <= 254)) {
      throw new RangeError(`unitId must be 1..254, got ${options.unitId}`);
    }
    this.unitId = options.unitId;
  }

  /** The bound port once started, else 0. */
  get port(): number {
    return this.port_;
  }

  /** The register image as of now (re-encoded if the machine changed since the last call). */
  current(): RegisterImage {
    if (this.imageRevision !== this.machine.revision) {
      writeImage(this.map, this.machine.snapshot(), this.image);
      this.imageRevision = this.machine.revision;
    }
    return this.image;
  }

  async start(): Promise<{ port: number }> {
    if (this.server !== undefined) return { port: this.port_ };
    if (this.requestedPort !== 0) {
      this.server = await this.listen(this.requestedPort);
      this.port_ = this.requestedPort;
      return { port: this.port_ };
    }
    for (let attempt = 1; ; attempt++) {
      const port = await freePort(this.host);
      try {
        this.server = await this.listen(port);
        this.port_ = port;
        return { port };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= FREE_PORT_ATTEMPTS) throw err;
      }
    }
  }

  /** Stops listening and drops every client connection; resolves when the socket is closed. */
  stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.port_ = 0;
    if (server === undefined) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private listen(port: number): Promise<ServerTCP> {
    return new Promise((resolve, reject) => {
      const server = new ServerTCP(this.vector(), { host: this.host, port, unitID: this.unitId });
      // A client that resets its connection is normal life for a PLC, not an error of the simulator.
      server.on('socketError', () => undefined);
      server.on('error', () => undefined);
      server.once('initialized', () => resolve(server));
      server.once('serverError', (err: unknown) => {
        const error = err instanceof Error ? err : new Error(`cannot listen on ${this.host}:${port}`);
        server.close(() => reject(error));
      });
    });
  }

  private check(area: ModbusArea, address: number, count: number): void {
    if (!readable(this.map, area, address, count)) {
      const last = count > 1 ? `..${address + count - 1}` : '';
      throw new ModbusException(ILLEGAL_DATA_ADDRESS, `${this.machine.name}: ${area} ${address}${last} is outside the map`);
    }
  }

  private static settle(outcome: WriteOutcome): void {
    if (!outcome.ok) throw new ModbusException(outcome.exception, outcome.message);
  }

  /**
   * The handlers ServerTCP calls. They are synchronous (value or throw) and must keep these arities:
   * ServerTCP tells callback style from value style by the function's length.
   */
  private vector(): IServiceVector {
    return {
      getHoldingRegister: (addr: number, _unitID: number): number => {
        this.check('holding', addr, 1);
        return this.current().holding[addr];
      },
      getMultipleHoldingRegisters: (addr: number, length: number, _unitID: number): number[] => {
        this.check('holding', addr, length);
        return Array.from(this.current().holding.subarray(addr, addr + length));
      },
      getInputRegister: (addr: number, _unitID: number): number => {
        this.check('input', addr, 1);
        return this.current().input[addr];
      },
      getMultipleInputRegisters: (addr: number, length: number, _unitID: number): number[] => {
        this.check('input', addr, length);
        return Array.from(this.current().input.subarray(addr, addr + length));
      },
      getCoil: (addr: number, _unitID: number): boolean => {
        this.check('coil', addr, 1);
        return this.current().coils[addr] === 1;
      },
      getDiscreteInput: (addr: number, _unitID: number): boolean => {
        this.check('discrete', addr, 1);
        return this.current().discrete[addr] === 1;
      },
      setRegister: (addr: number, value: number, _unitID: number): void => {
        MachineModbusServer.settle(writeRegisters(this.map, this.machine, addr, [value]));
      },
      // FC16 as one write: a multi-register value is applied whole or refused whole.
      setRegisterArray: (addr: number, values: number[], _unitID: number): void => {
        MachineModbusServer.settle(writeRegisters(this.map, this.machine, addr, values));
      },
      setCoil: (addr: number, value: boolean, _unitID: number): void => {
        MachineModbusServer.settle(writeCoil(this.map, this.machine, addr, value));
      },
    };
  }
}
