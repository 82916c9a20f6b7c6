/**
 * One connection per device, shared by every node that uses it. Requests are serialized (most devices
 * and gateways answer one at a time) through a bounded queue per unit id, served round robin, so a unit
 * that stops answering delays only its own requests. Lost links reconnect with capped exponential backoff.
 * Every request settles: with its answer, or rejected when it times out, when the link is lost (the one in
 * flight included) or when a watchdog finds the transport holding it past its deadline.
 * No Node-RED here: the client config node adapts this to status texts.
 */
import { EventEmitter } from 'node:events';
import type { Endpoint, ModbusReply, ModbusRequest, Transport } from './transport';
import { describeEndpoint } from './transport';

export interface ConnectionOptions {
  readonly endpoint: Endpoint;
  /** Per-request answer timeout. */
  readonly timeoutMs: number;
  /** First reconnect delay; doubles per failed attempt up to reconnectMaxMs. */
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  /** Requests waiting per connection beyond which new ones are refused (no unbounded memory growth). */
  readonly maxQueue: number;
  /** A unit id that timed out is skipped for this long (doubling to reconnectMaxMs) before it is tried again. */
  readonly unitBackoffMs: number;
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
  maxTimeoutsInARow: 3,
};

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
  readonly resolve: (reply: ModbusReply) => void;
  readonly reject: (err: Error) => void;
}

interface InFlight {
  readonly pending: Pending;
  readonly transport: Transport;
  readonly since: number;
}

interface UnitState {
  readonly queue: Pending[];
  silentUntil: number;
  backoffMs: number;
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
  /** The one request the transport holds now. */
  private inFlight: InFlight | undefined;
  private closed = false;
  /** Reconnects since the device last answered: the backoff exponent. */
  private attempt = 0;
  private timeoutsInARow = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  readonly name: string;

  constructor(
    readonly options: ConnectionOptions,
    private readonly createTransport: (endpoint: Endpoint, timeoutMs: number) => Transport,
  ) {
    super();
    this.name = describeEndpoint(options.endpoint);
    // Every read and write node of the device watches the state.
    this.setMaxListeners(0);
  }

  get state(): ConnectionState {
    return this.state_;
  }

  /** Starts connecting; failures are retried by themselves until close(). */
  start(): void {
    this.reconnectNow();
  }

  /** Queues one request; rejects at once when the link is down or the queue is full. */
  request(req: ModbusRequest): Promise<ModbusReply> {
    if (this.closed) return Promise.reject(new ModbusRequestError(`${this.name}: connection closed`, 'closed'));
    if (this.state_.kind !== 'connected') {
      return Promise.reject(new ModbusRequestError(`${this.name}: ${this.describeState()}`, 'not-connected'));
    }
    const unit = this.unit(req.unitId);
    if (unit.silentUntil > Date.now()) {
      const s = Math.ceil((unit.silentUntil - Date.now()) / 1000);
      return Promise.reject(
        new ModbusRequestError(`${this.name}: unit ${req.unitId} did not answer, trying it again in ${s} s`, 'unit-silent'),
      );
    }
    if (this.queued >= this.options.maxQueue) {
      return Promise.reject(
        new ModbusRequestError(`${this.name}: ${this.queued} requests are already waiting; request refused`, 'queue-full'),
      );
    }
    return new Promise<ModbusReply>((resolve, reject) => {
      unit.queue.push({ req, resolve, reject });
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

  private unit(unitId: number): UnitState {
    let u = this.units.get(unitId);
    if (!u) {
      u = { queue: [], silentUntil: 0, backoffMs: this.options.unitBackoffMs };
      this.units.set(unitId, u);
      this.unitOrder.push(unitId);
    }
    return u;
  }

  private setState(s: ConnectionState): void {
    this.state_ = s;
    this.emit('state', s);
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
    clearInterval(this.watchdog);
    void transport.close().catch(() => undefined);
    this.failAll(new ModbusRequestError(`${this.name}: link lost (${errorText(err)})`, 'link'));
    this.scheduleReconnect(err);
  }

  /** Reopens the link when the transport holds a request past the watchdog limit (it lost its callback). */
  private startWatchdog(transport: Transport): void {
    clearInterval(this.watchdog);
    const limit = this.options.watchdogMs ?? 3 * this.options.timeoutMs;
    this.watchdog = setInterval(
      () => {
        const f = this.inFlight;
        if (!f || f.transport !== transport || Date.now() - f.since <= limit) return;
        this.lost(transport, new Error(`watchdog: a request had no outcome after ${limit} ms`));
      },
      Math.max(20, Math.min(1000, Math.round(limit / 4))),
    );
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
    const f = this.inFlight;
    this.inFlight = undefined;
    f?.pending.reject(err);
    for (const u of this.units.values()) {
      for (const p of u.queue.splice(0)) p.reject(err);
    }
    this.queued = 0;
  }

  /** Round robin over units: take the next unit's oldest request. */
  private take(): Pending | undefined {
    const n = this.unitOrder.length;
    for (let i = 0; i < n; i++) {
      const unitId = this.unitOrder[(this.nextUnit + i) % n];
      const u = this.units.get(unitId)!;
      if (u.queue.length === 0) continue;
      this.nextUnit = (this.nextUnit + i + 1) % n;
      this.queued--;
      return u.queue.shift();
    }
    return undefined;
  }

  private pump(): void {
    if (this.inFlight || this.closed || this.state_.kind !== 'connected' || !this.transport) return;
    const next = this.take();
    if (!next) return;
    const transport = this.transport;
    const flight: InFlight = { pending: next, transport, since: Date.now() };
    this.inFlight = flight;
    transport.request(next.req).then(
      (reply) => {
        // Already failed (link lost, watchdog): a late outcome changes nothing.
        if (this.inFlight !== flight) return;
        this.inFlight = undefined;
        this.timeoutsInARow = 0;
        this.attempt = 0;
        const u = this.unit(next.req.unitId);
        u.backoffMs = this.options.unitBackoffMs;
        next.resolve(reply);
        this.pump();
      },
      (err: unknown) => {
        if (this.inFlight !== flight) return;
        this.inFlight = undefined;
        const error = this.classify(next.req, err);
        if (error.code === 'exception') this.attempt = 0;
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
          }
          this.lost(transport, new Error(`no answer to ${this.timeoutsInARow} requests in a row`));
          return;
        }
        this.pump();
      },
    );
  }

  private classify(req: ModbusRequest, err: unknown): ModbusRequestError {
    const e = err as { message?: string; modbusCode?: number; errno?: string };
    const what = `${this.name} unit ${req.unitId} FC${req.fc} at ${req.address}`;
    if (typeof e.modbusCode === 'number') {
      this.timeoutsInARow = 0;
      const text = MODBUS_EXCEPTIONS[e.modbusCode] ?? 'unknown exception';
      return new ModbusRequestError(`${what}: Modbus exception ${e.modbusCode} (${text})`, 'exception', e.modbusCode);
    }
    if (e.errno === 'ETIMEDOUT' || /timed out/i.test(e.message ?? '')) {
      this.timeoutsInARow++;
      const u = this.unit(req.unitId);
      u.silentUntil = Date.now() + u.backoffMs;
      u.backoffMs = Math.min(this.options.reconnectMaxMs, u.backoffMs * 2);
      // Its waiting requests would only time out too: fail them now so other units keep their pace.
      const silent = new ModbusRequestError(`${this.name}: unit ${req.unitId} did not answer`, 'unit-silent');
      for (const p of u.queue.splice(0)) {
        this.queued--;
        p.reject(silent);
      }
      return new ModbusRequestError(`${what}: no answer within ${this.options.timeoutMs} ms`, 'timeout');
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
