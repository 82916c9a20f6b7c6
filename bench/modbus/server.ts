/**
 * Child process of the Modbus benchmark: a Modbus TCP device of our own on 127.0.0.1, on a free port
 * the kernel picks (never 502: it runs as a normal user and beside anything that holds 502), holding the
 * layout's register image, answering each FC3 request a set time after it arrived (argv[2], ms; 0 = at
 * once). Requests in flight are answered independently, by transaction id, as a device with a request
 * queue does. Own process: serving shares neither the event loop nor the CPU account of a contender.
 * Hand-rolled rather than modbus-serial's ServerTCP, which answers from a setTimeout(0) (>= 1 ms) and
 * turns port 0 into 502. Talks to the parent over IPC:
 *   -> { type: 'ready', port }          once listening
 *   <- { type: 'cpu', id }              -> { type: 'cpu', id, user, system, requests, served } (µs, cumulative)
 *   <- { type: 'stop' }                 closes and exits; so does a lost parent.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { REGISTERS, buildLayout } from './layout';

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
  /** FC3 requests answered per start address (cumulative): what a contender's delivered answers must not exceed. */
  readonly served: Record<number, number>;
  /** Server clock (ms) and the integral of requests held (received, not yet answered) over it: their
   * difference over a window is the mean number of requests the client had in flight at the device. */
  readonly at: number;
  readonly heldMs: number;
  /** Most requests held at once since the previous cpu query. */
  readonly heldMax: number;
}

export type ServerCommand = { readonly type: 'cpu'; readonly id: number } | { readonly type: 'stop' };

function exception(head: Buffer, fc: number, code: number): Buffer {
  const out = Buffer.alloc(9);
  head.copy(out, 0, 0, 7);
  out.writeUInt16BE(3, 4);
  out[7] = fc | 0x80;
  out[8] = code;
  return out;
}

async function main(): Promise<void> {
  const delayMs = Number(process.argv[2] ?? 0);
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new Error(`delay must be ms >= 0, not ${process.argv[2]}`);
  const { image } = buildLayout();
  // The image as big-endian bytes: an answer is one copy.
  const bytes = Buffer.alloc(2 * REGISTERS);
  image.forEach((v, i) => bytes.writeUInt16BE(v, 2 * i));
  let requests = 0;
  const served: Record<number, number> = {};
  // Requests received and not yet answered, integrated over time (Little's law gives the mean in flight).
  let held = 0;
  let heldMax = 0;
  let heldMs = 0;
  let heldSince = performance.now();
  const hold = (delta: number): void => {
    const now = performance.now();
    heldMs += held * (now - heldSince);
    heldSince = now;
    held += delta;
    heldMax = Math.max(heldMax, held);
  };

  const answer = (req: Buffer): Buffer => {
    const fc = req[7];
    if (fc !== 3) return exception(req, fc, 1);
    const address = req.readUInt16BE(8);
    const count = req.readUInt16BE(10);
    if (count < 1 || count > 125 || address + count > REGISTERS) return exception(req, fc, 2);
    const out = Buffer.allocUnsafe(9 + 2 * count);
    req.copy(out, 0, 0, 7);
    served[address] = (served[address] ?? 0) + 1;
    out.writeUInt16BE(3 + 2 * count, 4);
    out[7] = 3;
    out[8] = 2 * count;
    bytes.copy(out, 9, 2 * address, 2 * (address + count));
    return out;
  };

  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      let buf = pending.length ? Buffer.concat([pending, data]) : data;
      let at = 0;
      const replies: Buffer[] = [];
      while (buf.length - at >= 8) {
        const length = buf.readUInt16BE(at + 4);
        if (buf.length - at < 6 + length) break;
        requests++;
        replies.push(answer(buf.subarray(at, at + 6 + length)));
        at += 6 + length;
      }
      buf = buf.subarray(at);
      pending = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
      if (replies.length === 0) return;
      const out = replies.length === 1 ? replies[0] : Buffer.concat(replies);
      if (delayMs === 0) socket.write(out);
      else {
        const n = replies.length;
        hold(n);
        setTimeout(() => {
          hold(-n);
          if (!socket.destroyed) socket.write(out);
        }, delayMs);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    for (const s of sockets) s.destroy();
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
      hold(0);
      const reply: ServerCpu = { type: 'cpu', id: m.id, user: cpu.user, system: cpu.system, requests, served: { ...served }, at: heldSince, heldMs, heldMax };
      heldMax = held;
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
