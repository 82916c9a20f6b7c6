/**
 * One connection per device, shared by every node that uses it. Requests wait in a bounded queue per unit
 * id, served round robin, and go out up to the device's *max requests in flight* (1 by default: every
 * device takes that; Modbus TCP matches more by transaction id, RTU stays at 1 by the protocol). A write
 * never overtakes, or is overtaken by, a request of the same unit touching the same addresses.
 *
 * A timeout or exception fails that request only; a unit id is suspended only after a run of failures on
 * different requests. When the device answers "busy" (exception 6) or starts timing out under several
 * requests in flight, fewer are sent (adaptive pacing), then more again after a long run of answers.
 * Lost links reconnect with capped exponential backoff. Every request settles: with its answer, or
 * rejected when it times out, when the link is lost or when a watchdog finds the transport holding it
 * past its deadline. No Node-RED here: the client config node adapts this to status texts.
 */
import { EventEmitter } from 'node:events';
import type { DroppedAnswers, Endpoint, ModbusReply, ModbusRequest, ReplyListener, ReplyView, Transport } from './transport';
import { NO_DROPS, describeEndpoint, replyOf } from './transport';
import { InFlightClimb } from './in-flight-climb';

export interface ConnectionOptions {
  readonly endpoint: Endpoint;
  /** Per-request answer timeout. */
  readonly timeoutMs: number;
  /** First reconnect delay; doubles per failed attempt up to reconnectMaxMs. */
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  /** Requests waiting per connection beyond which new ones are refused (no unbounded memory growth). */
  readonly maxQueue: number;
  /** A suspended unit id is skipped for this long (doubling to reconnectMaxMs) before it is tried again. */
  readonly unitBackoffMs: number;
  /**
   * Failed requests in a row to one unit id, on at least this many different requests (address and
   * function), after which the unit is suspended; fewer fail only themselves (a slow register).
   */
  readonly unitFailuresToSuspend: number;
  /**
   * Requests sent before the first answer (1..MAX_IN_FLIGHT), or 'auto': from 1 up, doubling while that
   * raises the answers a second (in-flight-climb.ts). RTU links take 1 whatever this says.
   */
  readonly maxInFlight: number | 'auto';
  /** Timeouts in a row, across all units, after which the link is assumed dead and reopened. */
  readonly maxTimeoutsInARow: number;
  /**
   * A request still without an outcome this long after it was sent (the transport lost it) makes the
   * watchdog reopen the link. 3 x timeoutMs when unset.
   */
  readonly watchdogMs?: number;
}

export const DEFAULT_CONNECTION_OPTIONS: Omit<ConnectionOptions, 'endpoint'> = {
  timeoutMs: 1000,
  reconnectMinMs: 1000,
  reconnectMaxMs: 30000,
  maxQueue: 1000,
  unitBackoffMs: 2000,
  unitFailuresToSuspend: 3,
  maxInFlight: 1,
  maxTimeoutsInARow: 3,
};

/** The most requests in flight a client config may ask for (and where "auto" stops). */
export const MAX_IN_FLIGHT = 128;

/** Answers in a row at the paced limit before one more request in flight is tried; doubles per setback. */
const PROBE_AFTER = 200;
const PROBE_AFTER_MAX = PROBE_AFTER * 4096;

/** The requests in flight allowed now, and why fewer than configured. */
export interface Pacing {
  readonly limit: number;
  readonly max: number;
  /** Why the limit is below max (the last setback), or what "auto" found; undefined at max. */
  readonly reason?: string;
  /** "auto" in flight: the limit is the device's, found by probing. */
  readonly auto?: boolean;
  /** The device pushed back (busy, timeouts, closed): worth a warning, not only a log line. */
  readonly setback?: boolean;
}

/** Per-request options. */
export interface RequestOptions {
  /** Answer timeout of this request instead of the connection's (a slow register). */
  readonly timeoutMs?: number;
}

export type ConnectionState =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'connected' }
  | { readonly kind: 'waiting'; readonly error: string; readonly retryAt: number }
  | { readonly kind: 'closed' };

/** Why a request did not get an answer; `code` lets callers tell the cases apart without parsing text. */
export class ModbusRequestError extends Error {
  constructor(
    message: string,
    readonly code: 'not-connected' | 'timeout' | 'exception' | 'queue-full' | 'unit-silent' | 'closed' | 'link',
    readonly modbusCode?: number,
  ) {
    super(message);
    this.name = 'ModbusRequestError';
  }
}

/**
 * One request from queue to outcome: waiting in its unit's line, then in flight. The transport tells it
 * the outcome (it is the transport's listener: no closure per request).
 */
class Pending implements ReplyListener {
  /** Sent again once after a "busy" answer while others were in flight. */
  retried = false;
  /** Set when sent: the link it went out on, and when the watchdog gives up on it. */
  transport: Transport | undefined;
  deadline = 0;
  /** Requests in flight when it was sent, itself included. */
  crowd = 0;

  constructor(
    private readonly settled: Settled,
    readonly req: ModbusRequest,
    readonly unit: UnitState,
    readonly write: boolean,
    readonly timeoutMs: number,
    readonly listener: ReplyListener,
  ) {}

  reply(err: Error | null, view: ReplyView): void {
    this.settled(this, err, view);
  }
}

/** The connection's handler of outcomes (one per connection). */
type Settled = (p: Pending, err: Error | null, view: ReplyView) => void;

interface UnitState {
  readonly queue: Pending[];
  silentUntil: number;
  backoffMs: number;
  /** The current run of failures: how many, on which requests, the last error. */
  failures: number;
  readonly failedRequests: Set<string>;
}

/** Protocol area a request touches: reads and writes of the same area and addresses must keep their order. */
function touches(req: ModbusRequest): { area: number; from: number; to: number; write: boolean } {
  switch (req.fc) {
    case 1:
    case 2:
    case 3:
    case 4:
      return { area: req.fc, from: req.address, to: req.address + req.count, write: false };
    case 5:
      return { area: 1, from: req.address, to: req.address + 1, write: true };
    case 6:
      return { area: 3, from: req.address, to: req.address + 1, write: true };
    case 15:
      return { area: 1, from: req.address, to: req.address + req.values.length, write: true };
    case 16:
      return { area: 3, from: req.address, to: req.address + req.values.length, write: true };
  }
}

/** True when a and b must not be in flight together: one writes what the other reads or writes. */
function conflicts(a: ModbusRequest, b: ModbusRequest): boolean {
  if (a.unitId !== b.unitId) return false;
  const x = touches(a);
  const y = touches(b);
  return (x.write || y.write) && x.area === y.area && x.from < y.to && y.from < x.to;
}

const MODBUS_EXCEPTIONS: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

export class ModbusConnection extends EventEmitter {
  private state_: ConnectionState = { kind: 'connecting' };
  private transport: Transport | undefined;
  private readonly units = new Map<number, UnitState>();
  private unitOrder: number[] = [];
  /** The unit, while there is only one (the common case: a whole machine is one unit id). */
  private onlyUnit: UnitState | undefined;
  private readonly onSettled: Settled = (p, err, view) => this.settled(p, err, view);
  private nextUnit = 0;
  private queued = 0;
  private readonly inFlight = new Set<Pending>();
  /** Writes among the requests in flight: while none, reads never wait for one another. */
  private writesInFlight = 0;
  /** "auto" in flight: the probe that finds the limit (undefined: a fixed limit). */
  private readonly climb: InFlightClimb | undefined;
  private closed = false;
  /** Reconnects since the device last answered: the backoff exponent. */
  private attempt = 0;
  private timeoutsInARow = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** Adaptive pacing: requests in flight allowed now, answers in a row at it, and the setback. */
  private limit: number;
  private answersAtLimit = 0;
  private probeAfter = PROBE_AFTER;
  private pacedBecause: string | undefined;
  private setback = false;
  /** Answers dropped by transports of earlier links (the current one counts its own). */
  private droppedBefore: DroppedAnswers = NO_DROPS;
  readonly name: string;

  constructor(
    readonly options: ConnectionOptions,
    private readonly createTransport: (endpoint: Endpoint, timeoutMs: number) => Transport,
  ) {
    super();
    this.name = describeEndpoint(options.endpoint);
    const max = this.maxLimit();
    if (options.maxInFlight === 'auto' && max > 1) this.climb = new InFlightClimb(max);
    this.limit = this.climb ? 1 : max;
    // Every read and write node of the device watches the state.
    this.setMaxListeners(0);
  }

  get state(): ConnectionState {
    return this.state_;
  }

  /** The requests in flight allowed now: the configured most, fewer while paced down. */
  get pacing(): Pacing {
    if (this.climb) return { limit: this.limit, max: this.climb.max, auto: true, reason: this.pacedBecause, setback: this.setback };
    const max = this.maxLimit();
    return this.limit < max ? { limit: this.limit, max, reason: this.pacedBecause, setback: this.setback } : { limit: max, max };
  }

  /** The requests in flight allowed now (pacing.limit, without building the object). */
  get inFlightLimit(): number {
    return this.limit;
  }

  /** Answers no request was waiting for (late, duplicate, foreign), dropped since start. */
  dropped(): DroppedAnswers {
    const now = this.transport?.dropped() ?? NO_DROPS;
    const b = this.droppedBefore;
    return { late: b.late + now.late, duplicate: b.duplicate + now.duplicate, foreign: b.foreign + now.foreign };
  }

  /** Starts connecting; failures are retried by themselves until close(). */
  start(): void {
    this.reconnectNow();
  }

  /** Queues one request; rejects at once when the link is down, the unit suspended or the queue full. */
  request(req: ModbusRequest, options: RequestOptions = {}): Promise<ModbusReply> {
    return new Promise<ModbusReply>((resolve, reject) =>
      this.submit(req, options, {
        // The view is valid only now: copied before the promise settles.
        reply: (err, view) => (err ? reject(err) : resolve(replyOf(req, view))),
      }),
    );
  }

  /**
   * Queues one request; `listener` is told its outcome once (a ModbusRequestError, or the answer, a view
   * valid only during the call). Refusals (link down, unit suspended, queue full) are told at once.
   */
  submit(req: ModbusRequest, options: RequestOptions, listener: ReplyListener): void {
    const refused = this.refusal(req);
    if (refused) return listener.reply(refused, undefined);
    const unit = this.unit(req.unitId);
    const p = new Pending(this.onSettled, req, unit, req.fc >= 5, options.timeoutMs ?? this.options.timeoutMs, listener);
    unit.queue.push(p);
    this.queued++;
    this.pump();
  }

  private refusal(req: ModbusRequest): ModbusRequestError | undefined {
    if (this.closed) return new ModbusRequestError(`${this.name}: connection closed`, 'closed');
    if (this.state_.kind !== 'connected') return new ModbusRequestError(`${this.name}: ${this.describeState()}`, 'not-connected');
    const unit = this.unit(req.unitId);
    if (unit.silentUntil > 0 && unit.silentUntil > Date.now()) {
      const s = Math.ceil((unit.silentUntil - Date.now()) / 1000);
      return new ModbusRequestError(
        `${this.name}: unit ${req.unitId} suspended after ${this.options.unitFailuresToSuspend} different requests failed in a row, trying it again in ${s} s`,
        'unit-silent',
      );
    }
    if (this.queued >= this.options.maxQueue) {
      return new ModbusRequestError(`${this.name}: ${this.queued} requests are already waiting; request refused`, 'queue-full');
    }
    return undefined;
  }

  /** Human text of the state, e.g. "reconnecting in 4 s: ECONNREFUSED". */
  describeState(): string {
    const s = this.state_;
    switch (s.kind) {
      case 'connected':
        return 'connected';
      case 'connecting':
        return 'connecting';
      case 'closed':
        return 'closed';
      case 'waiting':
        return `reconnecting in ${Math.max(0, Math.ceil((s.retryAt - Date.now()) / 1000))} s: ${s.error}`;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.watchdog);
    this.failAll(new ModbusRequestError(`${this.name}: connection closed`, 'closed'));
    this.setState({ kind: 'closed' });
    const t = this.transport;
    this.transport = undefined;
    if (t) await t.close();
    this.removeAllListeners();
  }

  /** The configured most in flight, within what the link's protocol takes. */
  private maxLimit(): number {
    const m = this.options.maxInFlight;
    const wanted = m === 'auto' ? MAX_IN_FLIGHT : Math.max(1, Math.min(MAX_IN_FLIGHT, Math.floor(m || 1)));
    // RTU frames carry no transaction id: one at a time, whatever was configured.
    return this.options.endpoint.kind === 'tcp' ? wanted : 1;
  }

  private unit(unitId: number): UnitState {
    let u = this.units.get(unitId);
    if (!u) {
      u = { queue: [], silentUntil: 0, backoffMs: this.options.unitBackoffMs, failures: 0, failedRequests: new Set() };
      this.units.set(unitId, u);
      this.unitOrder.push(unitId);
      this.onlyUnit = this.unitOrder.length === 1 ? u : undefined;
    }
    return u;
  }

  private setState(s: ConnectionState): void {
    this.state_ = s;
    this.emit('state', s);
  }

  /** Fewer requests in flight: the device said busy, timed out or closed under several at once. */
  private paceDown(crowd: number, why: string): void {
    const next = Math.max(1, Math.min(this.limit, Math.floor(crowd / 2)));
    this.answersAtLimit = 0;
    this.probeAfter = Math.min(PROBE_AFTER_MAX, this.probeAfter * 2);
    this.climb?.pushedBack(crowd);
    if (next === this.limit && this.pacedBecause && this.setback) return;
    this.limit = next;
    this.pacedBecause = `${why} with ${crowd} requests in flight`;
    this.setback = true;
    this.emit('pacing', this.pacing);
  }

  /** One more in flight after a long run of answers at the paced limit ("auto": once it settled). */
  private probeUp(p: Pending): void {
    const climb = this.climb;
    if (climb && !climb.settled) {
      const step = climb.answered(this.limit, p.crowd, performance.now());
      if (!step) return;
      const changed = step.limit !== this.limit;
      this.limit = step.limit;
      this.pacedBecause = step.why;
      this.setback = false;
      if (changed || climb.settled) this.emit('pacing', this.pacing);
      return;
    }
    if (this.limit >= (climb ? climb.max : this.maxLimit()) || ++this.answersAtLimit < this.probeAfter) return;
    this.answersAtLimit = 0;
    this.limit++;
    this.emit('pacing', this.pacing);
  }

  /** connect(), with whatever it throws unexpectedly (a close that fails, a listener) retried, never unhandled. */
  private reconnectNow(): void {
    this.connect().catch((err: unknown) => (this.transport ? this.lost(this.transport, err) : this.scheduleReconnect(err)));
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.setState({ kind: 'connecting' });
    const transport = this.createTransport(this.options.endpoint, this.options.timeoutMs);
    this.transport = transport;
    // Before open: a link lost while opening must not be reported as connected.
    transport.onLost((err) => this.lost(transport, err));
    try {
      await transport.open();
    } catch (err) {
      await transport.close().catch(() => undefined);
      if (this.transport !== transport) return;
      this.transport = undefined;
      this.scheduleReconnect(err);
      return;
    }
    if (this.closed || this.transport !== transport) {
      await transport.close();
      return;
    }
    this.timeoutsInARow = 0;
    this.setState({ kind: 'connected' });
    this.startWatchdog(transport);
    this.pump();
  }

  private lost(transport: Transport, err: unknown): void {
    if (this.closed || this.transport !== transport) return;
    this.transport = undefined;
    this.keepDropCount(transport);
    clearInterval(this.watchdog);
    void transport.close().catch(() => undefined);
    // A device that closes when sent a second request at once: send fewer on the next link.
    const crowd = this.inFlight.size;
    if (crowd > 1) this.paceDown(crowd, `link lost (${errorText(err)})`);
    this.failAll(new ModbusRequestError(`${this.name}: link lost (${errorText(err)})`, 'link'));
    this.scheduleReconnect(err);
  }

  private keepDropCount(transport: Transport): void {
    const d = transport.dropped();
    const b = this.droppedBefore;
    this.droppedBefore = { late: b.late + d.late, duplicate: b.duplicate + d.duplicate, foreign: b.foreign + d.foreign };
  }

  /** Reopens the link when the transport holds a request past its deadline (it lost its callback). */
  private startWatchdog(transport: Transport): void {
    clearInterval(this.watchdog);
    const limit = this.watchdogLimit(this.options.timeoutMs);
    this.watchdog = setInterval(
      () => {
        const now = Date.now();
        for (const f of this.inFlight) {
          if (f.transport !== transport || now <= f.deadline) continue;
          this.lost(transport, new Error(`watchdog: a request had no outcome after ${this.watchdogLimit(f.timeoutMs)} ms`));
          return;
        }
      },
      Math.max(20, Math.min(1000, Math.round(limit / 4))),
    );
  }

  private watchdogLimit(timeoutMs: number): number {
    return this.options.watchdogMs ?? 3 * timeoutMs;
  }

  private scheduleReconnect(err: unknown): void {
    if (this.closed) return;
    const delay = Math.min(this.options.reconnectMaxMs, this.options.reconnectMinMs * 2 ** this.attempt);
    this.attempt++;
    this.setState({ kind: 'waiting', error: errorText(err), retryAt: Date.now() + delay });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.reconnectNow(), delay);
  }

  private failAll(err: Error): void {
    const flights = [...this.inFlight];
    this.inFlight.clear();
    this.writesInFlight = 0;
    for (const f of flights) f.listener.reply(err, undefined);
    for (const u of this.units.values()) {
      for (const p of u.queue.splice(0)) p.listener.reply(err, undefined);
    }
    this.queued = 0;
  }

  /** True when the oldest request of the unit may go now: no write in flight in its way, nor it in a write's. */
  private mayGo(p: Pending): boolean {
    if (!p.write && this.writesInFlight === 0) return true;
    for (const f of this.inFlight) if (conflicts(f.req, p.req)) return false;
    return true;
  }

  /** Round robin over units: take the next unit's oldest request that may go now. */
  private take(): Pending | undefined {
    const n = this.unitOrder.length;
    if (n === 1) {
      const q = this.onlyUnit!.queue;
      if (q.length === 0 || !this.mayGo(q[0])) return undefined;
      this.queued--;
      return q.shift();
    }
    for (let i = 0; i < n; i++) {
      const unitId = this.unitOrder[(this.nextUnit + i) % n];
      const u = this.units.get(unitId)!;
      if (u.queue.length === 0 || !this.mayGo(u.queue[0])) continue;
      this.nextUnit = (this.nextUnit + i + 1) % n;
      this.queued--;
      return u.queue.shift();
    }
    return undefined;
  }

  private pump(): void {
    const transport = this.transport;
    if (this.closed || this.state_.kind !== 'connected' || !transport) return;
    const most = Math.min(this.limit, transport.maxInFlight);
    while (this.queued > 0 && this.inFlight.size < most) {
      const next = this.take();
      if (!next) return;
      this.send(next, transport);
    }
  }

  private send(p: Pending, transport: Transport): void {
    p.transport = transport;
    p.crowd = this.inFlight.size + 1;
    p.deadline = Date.now() + this.watchdogLimit(p.timeoutMs);
    this.inFlight.add(p);
    if (p.write) this.writesInFlight++;
    transport.send(p.req, p.timeoutMs, p);
  }

  /** The transport's outcome of a request in flight. */
  private settled(p: Pending, err: Error | null, view: ReplyView): void {
    // Already failed (link lost, watchdog): a late outcome changes nothing.
    if (!this.inFlight.delete(p)) return;
    if (p.write) this.writesInFlight--;
    const transport = p.transport!;
    if (err) return this.failed(p, transport, err);
    this.timeoutsInARow = 0;
    this.attempt = 0;
    const u = p.unit;
    if (u.failures > 0 || u.failedRequests.size > 0) {
      u.backoffMs = this.options.unitBackoffMs;
      u.failures = 0;
      u.failedRequests.clear();
    }
    this.probeUp(p);
    p.listener.reply(null, view);
    this.pump();
  }

  private failed(next: Pending, transport: Transport, err: unknown): void {
    const error = this.classify(next, err);
    if (error.code === 'exception') this.attempt = 0;
    if (error.modbusCode === 6 && next.crowd > 1) {
      this.paceDown(next.crowd, 'the device answered busy (exception 6)');
      if (!next.retried) {
        // Busy because of the crowd, not the request: once more, first in its unit's line.
        next.retried = true;
        next.unit.queue.unshift(next);
        this.queued++;
        this.pump();
        return;
      }
    }
    if (error.code === 'timeout' && next.crowd > 1 && this.timeoutsInARow >= 2) {
      this.paceDown(next.crowd, 'requests timed out');
    }
    next.listener.reply(error, undefined);
    if (this.transport !== transport) return;
    if (error.code !== 'exception' && transport.outOfStep()) {
      this.lost(transport, new Error(`out of step after ${error.code === 'timeout' ? 'a timeout' : 'a bad reply'}`));
      return;
    }
    if (this.timeoutsInARow >= this.options.maxTimeoutsInARow) {
      // The link, not the units, was silent: try every unit again on the new one.
      for (const u of this.units.values()) {
        u.silentUntil = 0;
        u.backoffMs = this.options.unitBackoffMs;
        u.failures = 0;
        u.failedRequests.clear();
      }
      this.lost(transport, new Error(`no answer to ${this.timeoutsInARow} requests in a row`));
      return;
    }
    this.pump();
  }

  /**
   * A failure of one unit's request: counted in the unit's run. The unit is suspended only when the run
   * spans enough different requests; one slow or missing register fails only its own reads.
   */
  private unitFailed(req: ModbusRequest, why: string): void {
    const u = this.unit(req.unitId);
    u.failures++;
    u.failedRequests.add(`${req.fc}:${req.address}`);
    if (u.failedRequests.size < this.options.unitFailuresToSuspend) return;
    const s = Math.ceil(u.backoffMs / 1000);
    u.silentUntil = Date.now() + u.backoffMs;
    u.backoffMs = Math.min(this.options.reconnectMaxMs, u.backoffMs * 2);
    const n = u.failures;
    u.failures = 0;
    u.failedRequests.clear();
    // Its waiting requests would only fail too: fail them now so other units keep their pace.
    const silent = new ModbusRequestError(
      `${this.name}: unit ${req.unitId} suspended for ${s} s after ${n} requests in a row failed (last: ${why})`,
      'unit-silent',
    );
    for (const p of u.queue.splice(0)) {
      this.queued--;
      p.listener.reply(silent, undefined);
    }
    this.emit('unit', { unitId: req.unitId, suspendedFor: s, reason: silent.message });
  }

  private classify(p: Pending, err: unknown): ModbusRequestError {
    const req = p.req;
    const e = err as { message?: string; modbusCode?: number; errno?: string };
    const what = `${this.name} unit ${req.unitId} FC${req.fc} at ${req.address}`;
    if (typeof e.modbusCode === 'number') {
      this.timeoutsInARow = 0;
      const text = MODBUS_EXCEPTIONS[e.modbusCode] ?? 'unknown exception';
      // Gateway exceptions say the unit behind it is absent; the others are the unit's own answer.
      if (e.modbusCode === 10 || e.modbusCode === 11) this.unitFailed(req, `exception ${e.modbusCode}`);
      else {
        const u = this.unit(req.unitId);
        u.failures = 0;
        u.failedRequests.clear();
      }
      return new ModbusRequestError(`${what}: Modbus exception ${e.modbusCode} (${text})`, 'exception', e.modbusCode);
    }
    if (e.errno === 'ETIMEDOUT' || /timed out/i.test(e.message ?? '')) {
      this.timeoutsInARow++;
      this.unitFailed(req, `no answer within ${p.timeoutMs} ms`);
      return new ModbusRequestError(`${what}: no answer within ${p.timeoutMs} ms`, 'timeout');
    }
    return new ModbusRequestError(`${what}: ${errorText(err)}`, 'link');
  }
}

function errorText(err: unknown): string {
  // modbus-serial's errors are not all Error instances; their message and errno still say what happened.
  const e = err as { message?: unknown; code?: unknown; errno?: unknown } | null;
  if (e && typeof e.message === 'string' && e.message) return e.message;
  if (e && typeof e.code === 'string') return e.code;
  if (e && typeof e.errno === 'string') return e.errno;
  return String(err);
}
