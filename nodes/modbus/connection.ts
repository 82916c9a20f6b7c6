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
import type { DroppedAnswers, Endpoint, ModbusReply, ModbusRequest, Transport } from './transport';
import { NO_DROPS, describeEndpoint } from './transport';

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
  /** Requests sent before the first answer (1..MAX_IN_FLIGHT); RTU links take 1 whatever this says. */
  readonly maxInFlight: number;
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

/** The most requests in flight a client config may ask for. */
export const MAX_IN_FLIGHT = 32;

/** Answers in a row at the paced limit before one more request in flight is tried; doubles per setback. */
const PROBE_AFTER = 200;
const PROBE_AFTER_MAX = PROBE_AFTER * 4096;

/** The requests in flight allowed now, and why fewer than configured. */
export interface Pacing {
  readonly limit: number;
  readonly max: number;
  /** Why the limit is below max (the last setback), undefined at max. */
  readonly reason?: string;
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

interface Pending {
  readonly req: ModbusRequest;
  readonly timeoutMs: number;
  readonly resolve: (reply: ModbusReply) => void;
  readonly reject: (err: Error) => void;
  /** Sent again once after a "busy" answer while others were in flight. */
  retried?: boolean;
}

interface InFlight {
  readonly pending: Pending;
  readonly transport: Transport;
  /** When the watchdog gives up on it. */
  readonly deadline: number;
  /** Requests in flight when it was sent, itself included. */
  readonly crowd: number;
}

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
  private nextUnit = 0;
  private queued = 0;
  private readonly inFlight = new Set<InFlight>();
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
  /** Answers dropped by transports of earlier links (the current one counts its own). */
  private droppedBefore: DroppedAnswers = NO_DROPS;
  readonly name: string;

  constructor(
    readonly options: ConnectionOptions,
    private readonly createTransport: (endpoint: Endpoint, timeoutMs: number) => Transport,
  ) {
    super();
    this.name = describeEndpoint(options.endpoint);
    this.limit = this.maxLimit();
    // Every read and write node of the device watches the state.
    this.setMaxListeners(0);
  }

  get state(): ConnectionState {
    return this.state_;
  }

  /** The requests in flight allowed now: the configured most, fewer while paced down. */
  get pacing(): Pacing {
    const max = this.maxLimit();
    return this.limit < max ? { limit: this.limit, max, reason: this.pacedBecause } : { limit: max, max };
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
    if (this.closed) return Promise.reject(new ModbusRequestError(`${this.name}: connection closed`, 'closed'));
    if (this.state_.kind !== 'connected') {
      return Promise.reject(new ModbusRequestError(`${this.name}: ${this.describeState()}`, 'not-connected'));
    }
    const unit = this.unit(req.unitId);
    if (unit.silentUntil > Date.now()) {
      const s = Math.ceil((unit.silentUntil - Date.now()) / 1000);
      return Promise.reject(
        new ModbusRequestError(
          `${this.name}: unit ${req.unitId} suspended after ${this.options.unitFailuresToSuspend} different requests failed in a row, trying it again in ${s} s`,
          'unit-silent',
        ),
      );
    }
    if (this.queued >= this.options.maxQueue) {
      return Promise.reject(
        new ModbusRequestError(`${this.name}: ${this.queued} requests are already waiting; request refused`, 'queue-full'),
      );
    }
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    return new Promise<ModbusReply>((resolve, reject) => {
      unit.queue.push({ req, timeoutMs, resolve, reject });
      this.queued++;
      this.pump();
    });
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
    const wanted = Math.max(1, Math.min(MAX_IN_FLIGHT, Math.floor(this.options.maxInFlight || 1)));
    // RTU frames carry no transaction id: one at a time, whatever was configured.
    return this.options.endpoint.kind === 'tcp' ? wanted : 1;
  }

  private unit(unitId: number): UnitState {
    let u = this.units.get(unitId);
    if (!u) {
      u = { queue: [], silentUntil: 0, backoffMs: this.options.unitBackoffMs, failures: 0, failedRequests: new Set() };
      this.units.set(unitId, u);
      this.unitOrder.push(unitId);
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
    if (next === this.limit && this.pacedBecause) return;
    this.limit = next;
    this.pacedBecause = `${why} with ${crowd} requests in flight`;
    this.emit('pacing', this.pacing);
  }

  /** One more in flight after a long run of answers at the paced limit. */
  private probeUp(): void {
    if (this.limit >= this.maxLimit() || ++this.answersAtLimit < this.probeAfter) return;
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
          this.lost(transport, new Error(`watchdog: a request had no outcome after ${this.watchdogLimit(f.pending.timeoutMs)} ms`));
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
    for (const f of flights) f.pending.reject(err);
    for (const u of this.units.values()) {
      for (const p of u.queue.splice(0)) p.reject(err);
    }
    this.queued = 0;
  }

  /** True when the oldest request of the unit may go now: no write in flight in its way, nor it in a write's. */
  private mayGo(p: Pending): boolean {
    for (const f of this.inFlight) if (conflicts(f.pending.req, p.req)) return false;
    return true;
  }

  /** Round robin over units: take the next unit's oldest request that may go now. */
  private take(): Pending | undefined {
    const n = this.unitOrder.length;
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
    while (!this.closed && this.state_.kind === 'connected' && this.transport && this.inFlight.size < Math.min(this.limit, this.transport.maxInFlight)) {
      const next = this.take();
      if (!next) return;
      this.send(next, this.transport);
    }
  }

  private send(next: Pending, transport: Transport): void {
    const flight: InFlight = {
      pending: next,
      transport,
      deadline: Date.now() + this.watchdogLimit(next.timeoutMs),
      crowd: this.inFlight.size + 1,
    };
    this.inFlight.add(flight);
    transport.request(next.req, next.timeoutMs).then(
      (reply) => {
        // Already failed (link lost, watchdog): a late outcome changes nothing.
        if (!this.inFlight.delete(flight)) return;
        this.timeoutsInARow = 0;
        this.attempt = 0;
        const u = this.unit(next.req.unitId);
        u.backoffMs = this.options.unitBackoffMs;
        u.failures = 0;
        u.failedRequests.clear();
        this.probeUp();
        next.resolve(reply);
        this.pump();
      },
      (err: unknown) => {
        if (!this.inFlight.delete(flight)) return;
        this.failed(flight, transport, err);
      },
    );
  }

  private failed(flight: InFlight, transport: Transport, err: unknown): void {
    const next = flight.pending;
    const error = this.classify(next, err);
    if (error.code === 'exception') this.attempt = 0;
    if (error.modbusCode === 6 && flight.crowd > 1) {
      this.paceDown(flight.crowd, 'the device answered busy (exception 6)');
      if (!next.retried) {
        // Busy because of the crowd, not the request: once more, first in its unit's line.
        next.retried = true;
        this.unit(next.req.unitId).queue.unshift(next);
        this.queued++;
        this.pump();
        return;
      }
    }
    if (error.code === 'timeout' && flight.crowd > 1 && this.timeoutsInARow >= 2) {
      this.paceDown(flight.crowd, 'requests timed out');
    }
    next.reject(error);
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
      p.reject(silent);
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
