/**
 * Modbus TCP over our own socket and framing (mbap.ts), with several requests in flight matched by
 * transaction id. Late, duplicate and foreign answers are dropped and counted, never given to another
 * request. Every request is timed here and settles when the socket ends, errors or is closed.
 *
 * Hot path (thousands of requests a second): no promise, closure or timer per request. Requests wait in
 * a map by transaction id with their deadline; one timer per transport, armed for the earliest deadline,
 * sweeps the expired ones. Requests sent in the same tick are encoded into one buffer and leave in one
 * write. Answers are decoded into scratch memory and handed to the listener there.
 */
import type net from 'node:net';
import type { DroppedAnswers, ModbusRequest, ReplyListener, TcpEndpoint, Transport } from './transport';
import { connectTcp, timeoutError } from './transport';
import { MbapFramer, decodeAnswer, encodeRequestInto, frameLength } from './mbap';

interface Waiting {
  readonly req: ModbusRequest;
  readonly listener: ReplyListener;
  readonly deadline: number;
  readonly timeoutMs: number;
}

/** How many settled transaction ids are remembered to tell a late or duplicate answer from a foreign one. */
const REMEMBERED = 512;
const LATE = 1;
const DUPLICATE = 2;

export class MbapTransport implements Transport {
  /** Transaction ids are 16 bits; far more than any device takes at once. */
  readonly maxInFlight = 256;
  private socket: net.Socket | undefined;
  private readonly framer = new MbapFramer();
  private readonly waiting = new Map<number, Waiting>();
  /** What became of a recently settled id (LATE: timed out, DUPLICATE: answered), and the last ones settled. */
  private readonly settledAs = new Uint8Array(0x10000);
  private readonly settledRing = new Int32Array(REMEMBERED).fill(-1);
  private settledAt = 0;
  private readonly drops = { late: 0, duplicate: 0, foreign: 0 };
  private nextTid = 1;
  private lostListener: ((err: Error) => void) | undefined;
  private lastError: Error | undefined;
  private opened = false;
  private ended: Error | undefined;
  /** Requests encoded this tick, not yet written: out[0, outAt). */
  private out = Buffer.allocUnsafeSlow(4096);
  private outAt = 0;
  private flushQueued = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** When the sweep timer fires (Infinity: not armed). */
  private sweepAt = Infinity;
  private readonly onFrame = (frame: Buffer): void => this.answer(frame);
  private readonly flushTick = (): void => {
    this.flushQueued = false;
    this.flush();
  };
  private readonly sweep = (): void => this.expire();

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
      this.framer.push(data, this.onFrame);
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
      const was = this.settledAs[tid];
      if (was === LATE) this.drops.late++;
      else if (was === DUPLICATE) this.drops.duplicate++;
      else this.drops.foreign++;
      return;
    }
    const outcome = decodeAnswer(frame, w.req);
    if (outcome === null) {
      // Same id, another unit or function: someone else's answer; the request keeps waiting.
      this.drops.foreign++;
      return;
    }
    this.settle(tid, DUPLICATE);
    if (outcome instanceof Error) w.listener.reply(outcome, undefined);
    else w.listener.reply(null, outcome);
  }

  private settle(tid: number, as: number): void {
    this.waiting.delete(tid);
    // Ids are taken in turn, so the one REMEMBERED settles ago is forgotten.
    const old = this.settledRing[this.settledAt];
    if (old >= 0 && old !== tid) this.settledAs[old] = 0;
    this.settledRing[this.settledAt] = tid;
    this.settledAt = (this.settledAt + 1) % REMEMBERED;
    this.settledAs[tid] = as;
  }

  /** Fails the requests past their deadline, and arms the timer for the next deadline. */
  private expire(): void {
    this.sweepTimer = undefined;
    this.sweepAt = Infinity;
    if (this.ended) return;
    const now = Date.now();
    let next = Infinity;
    const expired: Waiting[] = [];
    for (const [tid, w] of this.waiting) {
      if (w.deadline <= now) {
        this.settle(tid, LATE);
        expired.push(w);
      } else if (w.deadline < next) next = w.deadline;
    }
    if (next < Infinity) this.arm(next, now);
    for (const w of expired) w.listener.reply(timeoutError(w.timeoutMs), undefined);
  }

  private arm(at: number, now: number): void {
    clearTimeout(this.sweepTimer);
    this.sweepAt = at;
    this.sweepTimer = setTimeout(this.sweep, Math.max(0, at - now));
  }

  /** The link is gone: fail every waiting request, and tell the connection once (if it was open). */
  private end(err: Error): void {
    if (this.ended) return;
    this.ended = err;
    clearTimeout(this.sweepTimer);
    // The connection first, while it still sees how many were in flight (a device that closes on a crowd).
    if (this.opened) this.lostListener?.(err);
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of all) w.listener.reply(err, undefined);
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

  send(req: ModbusRequest, timeoutMs: number, listener: ReplyListener): void {
    const socket = this.socket;
    if (this.ended || !this.opened || !socket) {
      const err = this.ended ?? new Error('link not open');
      queueMicrotask(() => listener.reply(err, undefined));
      return;
    }
    const tid = this.takeTid();
    const length = frameLength(req);
    if (this.outAt + length > this.out.length) this.flush();
    if (length > this.out.length) this.out = Buffer.allocUnsafeSlow(length);
    try {
      this.outAt = encodeRequestInto(this.out, this.outAt, tid, req);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      queueMicrotask(() => listener.reply(e, undefined));
      return;
    }
    const now = Date.now();
    const deadline = now + timeoutMs;
    this.waiting.set(tid, { req, listener, deadline, timeoutMs });
    if (deadline < this.sweepAt) this.arm(deadline, now);
    if (!this.flushQueued) {
      this.flushQueued = true;
      process.nextTick(this.flushTick);
    }
  }

  /** Writes the requests encoded so far, in one piece (a copy: the socket may hold it past this tick). */
  private flush(): void {
    const n = this.outAt;
    if (n === 0) return;
    this.outAt = 0;
    const socket = this.socket;
    if (this.ended || !socket) return;
    const chunk = Buffer.allocUnsafe(n);
    this.out.copy(chunk, 0, 0, n);
    socket.write(chunk);
  }
}
