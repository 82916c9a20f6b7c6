/**
 * Hand-rolled Modbus servers on 127.0.0.1 for tests:
 * - a Modbus TCP server for faults a correct server never produces: truncated or malformed replies,
 *   replies with the wrong transaction id, silence. Each request goes through `reply`, which returns the
 *   bytes to send (or null for silence); `frame` builds a correct reply for FC 3.
 * - an RTU-over-TCP server (a serial gateway's framing: RTU frames with CRC on a TCP stream) with a
 *   holding register image, for FC 3, 4, 6 and 16. Its replies are built here with modbus-serial's
 *   CRC, never with the package's own codec, so a codec bug cannot hide behind a matching server.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const crc16 = require('modbus-serial/utils/crc16') as (buffer: Buffer) => number;

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
  /** Sends bytes to every client now (an answer held back by `reply`, a stray frame). */
  write(bytes: Buffer): void;
  /** Closes every client connection (FIN), as a device that refuses what it was sent. */
  closeClients(): void;
  stop(): Promise<void>;
}

/** An MBAP frame around a PDU. */
export function mbapFrame(transactionId: number, unitId: number, pdu: Buffer): Buffer {
  const head = Buffer.alloc(7);
  head.writeUInt16BE(transactionId, 0);
  head.writeUInt16BE(0, 2);
  head.writeUInt16BE(pdu.length + 1, 4);
  head[6] = unitId;
  return Buffer.concat([head, pdu]);
}

/** The answer a device gives to a write (FC 5, 6, 15, 16): the function code, address and count echoed. */
export function writeEcho(req: RawRequest): Buffer {
  const pdu = Buffer.alloc(5);
  pdu[0] = req.fc;
  pdu.writeUInt16BE(req.address, 1);
  pdu.writeUInt16BE(req.count, 3);
  return mbapFrame(req.transactionId, req.unitId, pdu);
}

/** A Modbus exception answer (6 = server device busy). */
export function exceptionFrame(req: RawRequest, code: number): Buffer {
  return mbapFrame(req.transactionId, req.unitId, Buffer.from([req.fc | 0x80, code]));
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
    write: (bytes) => {
      for (const s of sockets) s.write(bytes);
    },
    closeClients: () => {
      for (const s of sockets) s.end();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface RtuOverTcpServer {
  readonly port: number;
  /** Holding registers of every unit (FC 3 and 4 read them, FC 6 and 16 write them). */
  readonly holding: Uint16Array;
  /** Unit ids that never answer. */
  readonly silentUnits: Set<number>;
  /** Requests served, and client connections open now and accepted since start. */
  readonly requests: number;
  clientCount(): number;
  acceptedCount(): number;
  stop(): Promise<void>;
}

/** An RTU frame: the PDU after the unit id, then the CRC (low byte first). */
export function rtuFrame(unitId: number, pdu: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([unitId]), pdu]);
  const crc = Buffer.alloc(2);
  crc.writeUInt16LE(crc16(body), 0);
  return Buffer.concat([body, crc]);
}

/** Length of the RTU request at the start of `buf`, or 0 while it is incomplete. */
function rtuRequestLength(buf: Buffer): number {
  if (buf.length < 2) return 0;
  const fc = buf[1];
  if (fc === 15 || fc === 16) return buf.length < 7 ? 0 : 9 + buf[6];
  return 8;
}

export async function startRtuOverTcpServer(options: { size?: number } = {}): Promise<RtuOverTcpServer> {
  const size = options.size ?? 2000;
  const holding = new Uint16Array(size);
  const silentUnits = new Set<number>();
  const sockets = new Set<net.Socket>();
  let requests = 0;
  let accepted = 0;
  const exception = (unitId: number, fc: number, code: number): Buffer => rtuFrame(unitId, Buffer.from([fc | 0x80, code]));
  const answer = (req: Buffer): Buffer | null => {
    const unitId = req[0];
    const fc = req[1];
    if (crc16(req.subarray(0, -2)) !== req.readUInt16LE(req.length - 2)) return null; // a real device ignores it
    requests++;
    if (silentUnits.has(unitId)) return null;
    const address = req.readUInt16BE(2);
    if (fc === 3 || fc === 4) {
      const count = req.readUInt16BE(4);
      if (address + count > size) return exception(unitId, fc, 2);
      const pdu = Buffer.alloc(2 + 2 * count);
      pdu[0] = fc;
      pdu[1] = 2 * count;
      for (let i = 0; i < count; i++) pdu.writeUInt16BE(holding[address + i], 2 + 2 * i);
      return rtuFrame(unitId, pdu);
    }
    if (fc === 6) {
      if (address >= size) return exception(unitId, fc, 2);
      holding[address] = req.readUInt16BE(4);
      return rtuFrame(unitId, req.subarray(1, 6));
    }
    if (fc === 16) {
      const count = req.readUInt16BE(4);
      if (address + count > size) return exception(unitId, fc, 2);
      for (let i = 0; i < count; i++) holding[address + i] = req.readUInt16BE(7 + 2 * i);
      return rtuFrame(unitId, req.subarray(1, 6));
    }
    return exception(unitId, fc, 1);
  };
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = Buffer.alloc(0);
    socket.on('data', (data) => {
      buffer = Buffer.concat([buffer, data]);
      for (let n = rtuRequestLength(buffer); n > 0 && buffer.length >= n; n = rtuRequestLength(buffer)) {
        const out = answer(buffer.subarray(0, n));
        buffer = buffer.subarray(n);
        if (out) socket.write(out);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    holding,
    silentUnits,
    get requests() {
      return requests;
    },
    clientCount: () => sockets.size,
    acceptedCount: () => accepted,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
