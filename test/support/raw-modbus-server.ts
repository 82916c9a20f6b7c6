/**
 * A hand-rolled Modbus TCP server for faults a correct server never produces: truncated or malformed
 * replies, replies with the wrong transaction id, silence. Each request goes through `reply`, which
 * returns the bytes to send (or null for silence); `frame` builds a correct reply for FC 3.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RawRequest {
  readonly transactionId: number;
  readonly unitId: number;
  readonly fc: number;
  readonly address: number;
  readonly count: number;
}

export interface RawModbusServer {
  readonly port: number;
  /** Decides the answer to each request; the default answers FC3 with register value = address. */
  reply: (req: RawRequest, n: number) => Buffer | null;
  readonly connections: number;
  stop(): Promise<void>;
}

/** A correct FC3 reply: MBAP header + function code + byte count + registers. */
export function frame(req: RawRequest, registers: readonly number[], transactionId = req.transactionId): Buffer {
  const pdu = Buffer.alloc(2 + registers.length * 2);
  pdu[0] = req.fc;
  pdu[1] = registers.length * 2;
  registers.forEach((r, i) => pdu.writeUInt16BE(r & 0xffff, 2 + 2 * i));
  const head = Buffer.alloc(7);
  head.writeUInt16BE(transactionId, 0);
  head.writeUInt16BE(0, 2);
  head.writeUInt16BE(pdu.length + 1, 4);
  head[6] = req.unitId;
  return Buffer.concat([head, pdu]);
}

export function registersFor(req: RawRequest): number[] {
  return Array.from({ length: req.count }, (_, i) => req.address + i);
}

export async function startRawModbusServer(): Promise<RawModbusServer> {
  const sockets = new Set<net.Socket>();
  let n = 0;
  let connections = 0;
  const state: { reply: (req: RawRequest, n: number) => Buffer | null } = {
    reply: (req) => frame(req, registersFor(req)),
  };
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    socket.on('data', (data) => {
      buffer = Buffer.concat([buffer, data]);
      while (buffer.length >= 12) {
        const length = buffer.readUInt16BE(4);
        if (buffer.length < 6 + length) return;
        const req: RawRequest = {
          transactionId: buffer.readUInt16BE(0),
          unitId: buffer[6],
          fc: buffer[7],
          address: buffer.readUInt16BE(8),
          count: buffer.readUInt16BE(10),
        };
        buffer = buffer.subarray(6 + length);
        const out = state.reply(req, n++);
        if (out) socket.write(out);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    get reply() {
      return state.reply;
    },
    set reply(fn) {
      state.reply = fn;
    },
    get connections() {
      return connections;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
