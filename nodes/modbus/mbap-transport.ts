/**
 * Modbus TCP over our own socket and framing (mbap.ts), with several requests in flight matched by
 * transaction id. Late, duplicate and foreign answers are dropped and counted, never given to another
 * request. Every request is timed here and settles when the socket ends, errors or is closed.
 */
import type net from 'node:net';
import type { DroppedAnswers, ModbusReply, ModbusRequest, TcpEndpoint, Transport } from './transport';
import { connectTcp, timeoutError } from './transport';
import { MbapFramer, decodeAnswer, encodeRequest } from './mbap';

interface Waiting {
  readonly req: ModbusRequest;
  readonly resolve: (reply: ModbusReply) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

/** How many settled transaction ids are remembered to tell a late or duplicate answer from a foreign one. */
const REMEMBERED = 512;

export class MbapTransport implements Transport {
  /** Transaction ids are 16 bits; far more than any device takes at once. */
  readonly maxInFlight = 256;
  private socket: net.Socket | undefined;
  private readonly framer = new MbapFramer();
  private readonly waiting = new Map<number, Waiting>();
  /** Recently settled ids: 'late' (timed out) or 'duplicate' (answered), oldest first. */
  private readonly settled = new Map<number, 'late' | 'duplicate'>();
  private readonly drops = { late: 0, duplicate: 0, foreign: 0 };
  private nextTid = 1;
  private lostListener: ((err: Error) => void) | undefined;
  private lastError: Error | undefined;
  private opened = false;
  private ended: Error | undefined;
  private corked = false;

  constructor(
    private readonly endpoint: TcpEndpoint,
    private readonly timeoutMs: number,
  ) {}

  async open(): Promise<void> {
    const { host, port } = this.endpoint;
    const socket = await connectTcp(host, port, this.timeoutMs, {
      created: (s) => (this.socket = s),
      error: (err) => (this.lastError = err),
      ended: () => (this.lastError ??= new Error('the device closed the connection')),
      closed: () => this.end(this.lastError ?? new Error('connection closed')),
    });
    if (this.ended) throw this.ended;
    socket.on('data', (data: Buffer) => this.receive(data));
    this.lastError = undefined;
    this.opened = true;
  }

  private receive(data: Buffer): void {
    try {
      this.framer.push(data, (frame) => this.answer(frame));
    } catch (err) {
      // Out of step: no later byte can be trusted. The connection reopens the link.
      this.lastError = err as Error;
      this.socket?.destroy();
    }
  }

  private answer(frame: Buffer): void {
    const tid = frame.readUInt16BE(0);
    const w = this.waiting.get(tid);
    if (!w) {
      const was = this.settled.get(tid);
      if (was) this.drops[was]++;
      else this.drops.foreign++;
      return;
    }
    const outcome = decodeAnswer(frame, w.req);
    if (outcome === null) {
      // Same id, another unit or function: someone else's answer; the request keeps waiting.
      this.drops.foreign++;
      return;
    }
    this.settle(tid, w, 'duplicate');
    if (outcome instanceof Error) w.reject(outcome);
    else w.resolve(outcome);
  }

  private settle(tid: number, w: Waiting, as: 'late' | 'duplicate'): void {
    clearTimeout(w.timer);
    this.waiting.delete(tid);
    this.settled.delete(tid);
    this.settled.set(tid, as);
    if (this.settled.size > REMEMBERED) this.settled.delete(this.settled.keys().next().value!);
  }

  /** The link is gone: fail every waiting request, and tell the connection once (if it was open). */
  private end(err: Error): void {
    if (this.ended) return;
    this.ended = err;
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of all) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    if (this.opened) this.lostListener?.(err);
  }

  close(): Promise<void> {
    this.end(new Error('connection closed'));
    const socket = this.socket;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => {
      if (socket.destroyed && !socket.connecting) return resolve();
      socket.once('close', () => resolve());
      // FIN to the device, and the socket released now even if the device never closes its side.
      socket.end();
      socket.destroy();
    });
  }

  onLost(listener: (err: Error) => void): void {
    this.lostListener = listener;
  }

  /** A partial frame after a timeout may be a truncated answer whose rest is the start of the next one. */
  outOfStep(): boolean {
    return this.framer.pending > 0;
  }

  dropped(): DroppedAnswers {
    return { ...this.drops };
  }

  /** A transaction id no waiting request holds (ids wrap at 16 bits). */
  private takeTid(): number {
    for (;;) {
      const tid = this.nextTid;
      this.nextTid = (tid + 1) & 0xffff;
      if (!this.waiting.has(tid)) return tid;
    }
  }

  request(req: ModbusRequest, timeoutMs = this.timeoutMs): Promise<ModbusReply> {
    const socket = this.socket;
    if (this.ended || !this.opened || !socket) return Promise.reject(this.ended ?? new Error('link not open'));
    return new Promise<ModbusReply>((resolve, reject) => {
      const tid = this.takeTid();
      let bytes: Buffer;
      try {
        bytes = encodeRequest(tid, req);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      const timer = setTimeout(() => {
        const w = this.waiting.get(tid);
        if (!w) return;
        this.settle(tid, w, 'late');
        reject(timeoutError(timeoutMs));
      }, timeoutMs);
      this.waiting.set(tid, { req, resolve, reject, timer });
      // Requests sent in the same tick leave in one segment.
      if (!this.corked) {
        this.corked = true;
        socket.cork();
        process.nextTick(() => {
          this.corked = false;
          socket.uncork();
        });
      }
      socket.write(bytes);
    });
  }
}
