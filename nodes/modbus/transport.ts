/**
 * The wire: one modbus-serial client over TCP, RTU on a serial line, or RTU framed over TCP, behind a
 * small promise interface. The connection (connection.ts) owns queueing, reconnects and the watchdog.
 *
 * modbus-serial is trusted to frame and parse, not to settle: a socket that ends while a request waits
 * can leave its callback uncalled forever (destroy() cancels the request's timer; an RST clears the
 * port's open flag before 'close', so no 'close' is relayed). So this transport opens the TCP socket
 * itself, times every request itself, and settles every request it holds when the socket ends, errors or
 * is destroyed.
 */
import net from 'node:net';
import ModbusRTU from 'modbus-serial';

export type TransportKind = 'tcp' | 'rtu' | 'rtu-over-tcp';

export interface TcpEndpoint {
  readonly kind: 'tcp' | 'rtu-over-tcp';
  readonly host: string;
  readonly port: number;
}

export interface SerialEndpoint {
  readonly kind: 'rtu';
  readonly path: string;
  readonly baudRate: number;
  readonly parity: 'none' | 'even' | 'odd';
  readonly dataBits: 7 | 8;
  readonly stopBits: 1 | 2;
}

export type Endpoint = TcpEndpoint | SerialEndpoint;

export type ReadFunctionCode = 1 | 2 | 3 | 4;

export type ModbusRequest =
  | { readonly fc: ReadFunctionCode; readonly unitId: number; readonly address: number; readonly count: number }
  | { readonly fc: 5; readonly unitId: number; readonly address: number; readonly value: boolean }
  | { readonly fc: 6; readonly unitId: number; readonly address: number; readonly value: number }
  | { readonly fc: 15; readonly unitId: number; readonly address: number; readonly values: readonly boolean[] }
  | { readonly fc: 16; readonly unitId: number; readonly address: number; readonly values: readonly number[] };

/** Registers (FC 3, 4) or bits (FC 1, 2) read; undefined for writes. */
export type ModbusReply = readonly number[] | readonly boolean[] | undefined;

/**
 * A read's answer as a transport hands it over: registers, or bits (booleans or 0/1); undefined for a
 * write. Valid only during the call it is given to (it may be a view of the transport's scratch
 * memory, overwritten by the next answer): decode it there, or copy it (replyOf).
 */
export type ReplyView = ArrayLike<number> | ArrayLike<boolean> | undefined;

/**
 * Told the outcome of one request, exactly once: an error, or the answer. An object rather than a
 * closure so that callers on the hot path reuse theirs instead of allocating one per request.
 */
export interface ReplyListener {
  reply(err: Error | null, view: ReplyView): void;
}

/** A copy of a borrowed answer that may be kept (plain arrays; bits as booleans). */
export function replyOf(req: ModbusRequest, view: ReplyView): ModbusReply {
  if (view === undefined) return undefined;
  if (req.fc === 1 || req.fc === 2) return Array.from(view as ArrayLike<number | boolean>, Boolean);
  return Array.from(view as ArrayLike<number>);
}

/** The promise form of Transport.send, for callers off the hot path. */
export function requestOf(transport: Pick<Transport, 'send'>, req: ModbusRequest, timeoutMs: number): Promise<ModbusReply> {
  return new Promise((resolve, reject) =>
    transport.send(req, timeoutMs, {
      reply: (err, view) => (err ? reject(err) : resolve(replyOf(req, view))),
    }),
  );
}

export interface Transport {
  /** Rejects if the link cannot be opened, or is lost while opening. */
  open(): Promise<void>;
  /** Closes and releases the socket or port, rejecting what is still waiting; safe to call twice. */
  close(): Promise<void>;
  /**
   * Sends one request; `listener` is told its outcome once, never during this call: the answer, the
   * device's exception, a timeout after `timeoutMs` (errno ETIMEDOUT) or a link error.
   */
  send(req: ModbusRequest, timeoutMs: number, listener: ReplyListener): void;
  /** Requests the link may carry at once: 1 for RTU (no transaction id), more for Modbus TCP. */
  readonly maxInFlight: number;
  /** Answers dropped because no waiting request was theirs, since the link was opened. */
  dropped(): DroppedAnswers;
  /** Called once when an opened link is lost (socket ended or reset, port unplugged), before the requests it held fail. */
  onLost(listener: (err: Error) => void): void;
  /**
   * After a request got no valid answer (timeout, malformed reply): true when bytes of that answer may
   * still be taken for the next one, so the link must be reopened (a truncated Modbus TCP frame; any
   * RTU frame over TCP, which carries no transaction id). Drops what it safely can otherwise.
   */
  outOfStep(): boolean;
}

/** Answers that were nobody's: counted, never given to a request. */
export interface DroppedAnswers {
  /** For a request that had already timed out. */
  readonly late: number;
  /** A second answer to a request already answered. */
  readonly duplicate: number;
  /** An id never sent, or another unit or function code than the request of that id. */
  readonly foreign: number;
}

export const NO_DROPS: DroppedAnswers = { late: 0, duplicate: 0, foreign: 0 };

export function describeEndpoint(ep: Endpoint): string {
  if (ep.kind === 'rtu') return `${ep.path} (RTU ${ep.baudRate} ${ep.dataBits}${ep.parity[0].toUpperCase()}${ep.stopBits})`;
  return `${ep.host}:${ep.port}${ep.kind === 'rtu-over-tcp' ? ' (RTU over TCP)' : ''}`;
}

/** A request that got no answer in time; the connection tells it from other failures by `errno`. */
export function timeoutError(ms: number): Error {
  return Object.assign(new Error(`timed out after ${ms} ms`), { errno: 'ETIMEDOUT' });
}

export interface SocketHooks {
  created(socket: net.Socket): void;
  error(err: Error): void;
  /** The device closed its side (FIN). */
  ended(): void;
  /** The socket is gone, for whatever reason. */
  closed(): void;
}

/** Opens a TCP socket within the answer timeout (at least 1 s), with keep-alive and no Nagle delay. */
export function connectTcp(host: string, port: number, timeoutMs: number, hooks: SocketHooks): Promise<net.Socket> {
  const socket = net.connect({ host, port });
  hooks.created(socket);
  socket.setNoDelay(true);
  // A peer that vanished without FIN or RST (power cut, cable) is found even on an idle link.
  socket.setKeepAlive(true, 5000);
  let failure: Error | undefined;
  socket.on('error', (err) => {
    failure = err;
    hooks.error(err);
  });
  socket.on('end', () => hooks.ended());
  socket.on('close', () => hooks.closed());
  const ms = Math.max(1000, timeoutMs);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no TCP connection to ${host}:${port} within ${ms} ms`));
    }, ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(failure ?? new Error('connection closed while connecting'));
    });
  });
}

/** The internals of modbus-serial's ports that framing decisions need (not in its typings). */
interface PortInternals {
  /** TCP port: bytes of an MBAP frame not yet complete. */
  _clientRcvData?: Buffer;
  /** RTU ports (telnet = RTU over TCP, buffered serial): bytes searched for the next answer. */
  _buffer?: Buffer;
}


/** modbus-serial's client over any of the three links. */
export class ModbusSerialTransport implements Transport {
  private readonly client = new ModbusRTU();
  private socket: net.Socket | undefined;
  /** Fails each request still waiting; a request removes itself once settled. */
  private readonly waiting = new Set<(err: Error) => void>();
  private lostListener: ((err: Error) => void) | undefined;
  private lastError: Error | undefined;
  private opened = false;
  /** Set once the link ended (lost or closed): nothing more is sent. */
  private ended: Error | undefined;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly timeoutMs: number,
  ) {
    // modbus-serial re-emits port errors; an EventEmitter 'error' without a listener would crash Node-RED.
    this.client.on('error', (err: unknown) => {
      this.lastError = err instanceof Error ? err : new Error(String(err));
    });
    // The serial port's close (unplugged adapter); TCP sockets are watched directly in open().
    this.client.on('close', () => this.end(this.lastError ?? new Error('port closed')));
  }

  async open(): Promise<void> {
    const ep = this.endpoint;
    if (ep.kind === 'rtu') {
      await this.client.connectRTUBuffered(ep.path, {
        baudRate: ep.baudRate,
        parity: ep.parity,
        dataBits: ep.dataBits,
        stopBits: ep.stopBits,
      });
    } else {
      const { host, port } = ep;
      const socket = await this.connectSocket(host, port);
      // RTU frames over raw TCP (serial gateways) is what modbus-serial calls telnet; its
      // "TcpRTUBuffered" port is Modbus TCP framing, not RTU.
      if (ep.kind === 'tcp') await this.client.linkTCP(socket, { port });
      else await this.client.linkTelnet(socket, { port });
    }
    if (this.ended) throw this.ended;
    this.lastError = undefined;
    this.opened = true;
  }

  /** Opens the TCP socket within the answer timeout (at least 1 s) and watches it for its end. */
  private async connectSocket(host: string, port: number): Promise<net.Socket> {
    return connectTcp(host, port, this.timeoutMs, {
      created: (socket) => (this.socket = socket),
      error: (err) => (this.lastError = err),
      ended: () => (this.lastError ??= new Error('the device closed the connection')),
      closed: () => this.end(this.lastError ?? new Error('connection closed')),
    });
  }

  /** The link is gone: fail every waiting request, and tell the connection once (if it was open). */
  private end(err: Error): void {
    if (this.ended) return;
    this.ended = err;
    // The connection first, while it still sees how many were in flight (a device that closes on a crowd).
    if (this.opened) this.lostListener?.(err);
    for (const fail of [...this.waiting]) fail(err);
  }

  close(): Promise<void> {
    this.end(new Error('connection closed'));
    const socket = this.socket;
    if (socket) {
      return new Promise((resolve) => {
        if (socket.destroyed && !socket.connecting) return resolve();
        socket.once('close', () => resolve());
        // FIN to the device, and the socket released now even if the device never closes its side.
        socket.end();
        socket.destroy();
      });
    }
    return new Promise((resolve) => {
      if (!this.client.isOpen) {
        // A port that failed to open may still hold a half-made handle: destroy it.
        this.client.destroy(() => resolve());
        return;
      }
      this.client.close(() => resolve());
    });
  }

  onLost(listener: (err: Error) => void): void {
    this.lostListener = listener;
  }

  outOfStep(): boolean {
    const port = (this.client as unknown as { _port?: PortInternals })._port;
    if (!port) return false;
    // Modbus TCP frames by length (MBAP): a partial frame would swallow the start of the next reply,
    // and the stream cannot tell where it ends. Complete frames carry a transaction id: no harm.
    if (this.endpoint.kind === 'tcp') return (port._clientRcvData?.length ?? 0) > 0;
    // RTU over TCP: a late answer would match the next request of the same unit and function; a new
    // socket is the only way to be sure it never arrives.
    if (this.endpoint.kind === 'rtu-over-tcp') return true;
    port._buffer = Buffer.alloc(0);
    return false;
  }

  /** RTU frames carry no transaction id: one request at a time, by the protocol. */
  readonly maxInFlight = 1;

  dropped(): DroppedAnswers {
    return NO_DROPS;
  }

  send(req: ModbusRequest, timeoutMs: number, listener: ReplyListener): void {
    if (this.ended || !this.opened) {
      const err = this.ended ?? new Error('link not open');
      queueMicrotask(() => listener.reply(err, undefined));
      return;
    }
    const port = (this.client as unknown as { _port?: PortInternals })._port;
    // Bytes that came before the request was sent are never its answer (RTU searches its buffer).
    if (port?._buffer && port._buffer.length > 0) port._buffer = Buffer.alloc(0);
    const finish = (err: Error | null, data?: ModbusReply): void => {
      if (!this.waiting.delete(fail)) return;
      clearTimeout(timer);
      listener.reply(err, data);
    };
    const fail = (err: Error): void => finish(err);
    this.waiting.add(fail);
    const timer = setTimeout(() => finish(timeoutError(timeoutMs)), timeoutMs);
    const read = (err: Error | null, res?: { data: number[] | boolean[] }): void => finish(err ? toError(err) : null, res?.data);
    const written = (err: Error | null): void => finish(err ? toError(err) : null);
    const c = this.client;
    // modbus-serial may call back at once (port not open): never during send, as the interface says.
    const later =
      <T>(f: (err: Error | null, res?: T) => void) =>
      (err: Error | null, res?: T): void =>
        queueMicrotask(() => f(err, res));
    try {
      switch (req.fc) {
        case 1:
          return c.writeFC1(req.unitId, req.address, req.count, later(read));
        case 2:
          return c.writeFC2(req.unitId, req.address, req.count, later(read));
        case 3:
          return c.writeFC3(req.unitId, req.address, req.count, later(read));
        case 4:
          return c.writeFC4(req.unitId, req.address, req.count, later(read));
        case 5:
          return c.writeFC5(req.unitId, req.address, req.value, later(written));
        case 6:
          return c.writeFC6(req.unitId, req.address, req.value, later(written));
        case 15:
          return c.writeFC15(req.unitId, req.address, [...req.values], later(written));
        case 16:
          return c.writeFC16(req.unitId, req.address, [...req.values], later(written));
      }
    } catch (err) {
      queueMicrotask(() => finish(toError(err)));
    }
  }
}

/** modbus-serial's errors are not all Error instances (a Modbus exception is a plain object at times). */
function toError(err: unknown): Error {
  if (err instanceof Error) return err;
  const e = err as { message?: unknown } | null;
  const error = new Error(typeof e?.message === 'string' ? e.message : String(err));
  return typeof err === 'object' && err !== null ? Object.assign(error, err) : error;
}
