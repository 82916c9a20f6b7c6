/**
 * Child process of the Modbus benchmark: one modbus-serial ServerTCP on 127.0.0.1 (ephemeral port)
 * holding the layout's register image, in its own process so that serving does not share the event
 * loop (or the CPU account) of the contender. Talks to the parent over IPC:
 *   -> { type: 'ready', port }          once listening
 *   <- { type: 'cpu', id }              -> { type: 'cpu', id, user, system, requests } (µs, cumulative)
 *   <- { type: 'stop' }                 closes and exits; so does a lost parent.
 */
import { ServerTCP } from 'modbus-serial';
import type { AddressInfo, Server, Socket } from 'node:net';
import { REGISTERS, buildLayout } from './layout';

class ModbusException extends Error {
  constructor(readonly modbusErrorCode: number) {
    super(`exception ${modbusErrorCode}`);
  }
}

export interface ServerReady {
  readonly type: 'ready';
  readonly port: number;
}

export interface ServerCpu {
  readonly type: 'cpu';
  readonly id: number;
  readonly user: number;
  readonly system: number;
  readonly requests: number;
}

export type ServerCommand = { readonly type: 'cpu'; readonly id: number } | { readonly type: 'stop' };

/**
 * ServerTCP answers each request from a `setTimeout(..., 0)`: at least 1 ms per request, which bounds
 * every contender at ~600-700 requests/s whatever its own cost. `immediate` answers from setImmediate
 * instead (a device that answers at once), so the contenders' own costs show.
 */
export type ServerMode = 'stock' | 'immediate';

function answerImmediately(): void {
  const timeout = globalThis.setTimeout;
  const patched = (fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]): unknown =>
    ms ? timeout(fn, ms, ...args) : setImmediate(fn, ...args);
  globalThis.setTimeout = patched as unknown as typeof setTimeout;
}

async function main(): Promise<void> {
  if ((process.argv[2] as ServerMode | undefined) === 'immediate') answerImmediately();
  const { image } = buildLayout();
  let requests = 0;
  const check = (addr: number, length: number): void => {
    requests++;
    if (addr < 0 || addr + length > REGISTERS) throw new ModbusException(2);
  };
  const vector = {
    getHoldingRegister: (addr: number): number => {
      check(addr, 1);
      return image[addr];
    },
    getMultipleHoldingRegisters: (addr: number, length: number): number[] => {
      check(addr, length);
      return Array.from(image.subarray(addr, addr + length));
    },
  };
  const server = new ServerTCP(vector, { host: '127.0.0.1', port: 0, unitID: 255 });
  server.on('socketError', () => undefined);
  const net = (server as unknown as { _server: Server })._server;
  await new Promise<void>((resolve, reject) => {
    if (net.listening) return resolve();
    net.once('listening', () => resolve());
    net.once('error', reject);
  });
  const port = (net.address() as AddressInfo).port;

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const sockets = (server as unknown as { socks: Map<Socket, 0> }).socks;
    for (const s of sockets.keys()) s.destroy();
    const timer = setTimeout(() => process.exit(0), 2000);
    server.close(() => {
      clearTimeout(timer);
      process.exit(0);
    });
  };
  process.on('message', (m: ServerCommand) => {
    if (m.type === 'stop') stop();
    else if (m.type === 'cpu') {
      const cpu = process.cpuUsage();
      const reply: ServerCpu = { type: 'cpu', id: m.id, user: cpu.user, system: cpu.system, requests };
      process.send?.(reply);
    }
  });
  process.on('disconnect', stop);
  const ready: ServerReady = { type: 'ready', port };
  process.send?.(ready);
}

main().catch((err: unknown) => {
  console.error('bench server:', err);
  process.exit(1);
});
