/**
 * The wire: one modbus-serial client over TCP, RTU on a serial line, or RTU framed over TCP, behind a
 * small promise interface. The connection (connection.ts) owns queueing, timeouts and reconnects.
 */
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

export interface Transport {
  open(): Promise<void>;
  /** Closes and releases the socket or port; safe to call twice. */
  close(): Promise<void>;
  request(req: ModbusRequest): Promise<ModbusReply>;
  /** Called once when an open link is lost (socket closed, port unplugged). */
  onLost(listener: (err: Error) => void): void;
  /**
   * After a timeout: drops bytes of an unfinished or late reply so they cannot be taken for the next
   * answer. Returns true when that is impossible without reopening the link (a truncated TCP frame).
   */
  afterTimeout(): boolean;
}

export function describeEndpoint(ep: Endpoint): string {
  if (ep.kind === 'rtu') return `${ep.path} (RTU ${ep.baudRate} ${ep.dataBits}${ep.parity[0].toUpperCase()}${ep.stopBits})`;
  return `${ep.host}:${ep.port}${ep.kind === 'rtu-over-tcp' ? ' (RTU over TCP)' : ''}`;
}

/** modbus-serial's transport over any of the three links. */
export class ModbusSerialTransport implements Transport {
  private readonly client = new ModbusRTU();
  private lostListener: ((err: Error) => void) | undefined;
  private lastError: Error | undefined;
  private open_ = false;

  constructor(
    private readonly endpoint: Endpoint,
    timeoutMs: number,
  ) {
    this.client.setTimeout(timeoutMs);
    // modbus-serial re-emits port errors; an EventEmitter 'error' without a listener would crash Node-RED.
    this.client.on('error', (err: unknown) => {
      this.lastError = err instanceof Error ? err : new Error(String(err));
    });
    this.client.on('close', () => {
      if (!this.open_) return;
      this.open_ = false;
      this.lostListener?.(this.lastError ?? new Error('connection closed by the device'));
    });
  }

  async open(): Promise<void> {
    const ep = this.endpoint;
    if (ep.kind === 'tcp') await this.client.connectTCP(ep.host, { port: ep.port });
    // RTU frames over raw TCP (serial gateways) is what modbus-serial calls telnet; its
    // "TcpRTUBuffered" port is Modbus TCP framing, not RTU.
    else if (ep.kind === 'rtu-over-tcp') await this.client.connectTelnet(ep.host, { port: ep.port });
    else if (ep.kind === 'rtu')
      await this.client.connectRTUBuffered(ep.path, {
        baudRate: ep.baudRate,
        parity: ep.parity,
        dataBits: ep.dataBits,
        stopBits: ep.stopBits,
      });
    this.lastError = undefined;
    this.open_ = true;
  }

  close(): Promise<void> {
    this.open_ = false;
    return new Promise((resolve) => {
      if (!this.client.isOpen) {
        // A port that failed to open may still hold a half-made socket: destroy it.
        this.client.destroy(() => resolve());
        return;
      }
      this.client.close(() => resolve());
    });
  }

  onLost(listener: (err: Error) => void): void {
    this.lostListener = listener;
  }

  afterTimeout(): boolean {
    const port = (this.client as unknown as { _port?: { _clientRcvData?: Buffer; _buffer?: Buffer } })._port;
    if (!port) return false;
    // Modbus TCP frames by length (MBAP): a partial frame in _clientRcvData would swallow the start of
    // the next reply, and the socket cannot tell where that ends. Reopen.
    if (port._clientRcvData && port._clientRcvData.length > 0) return true;
    // RTU ports search their buffer for the next answer: a late reply left there could pass for it.
    if (port._buffer && port._buffer.length > 0) port._buffer = Buffer.alloc(0);
    return false;
  }

  request(req: ModbusRequest): Promise<ModbusReply> {
    const c = this.client;
    return new Promise<ModbusReply>((resolve, reject) => {
      const read = (err: Error | null, res: { data: number[] | boolean[] } | undefined): void =>
        err ? reject(err) : resolve(res?.data);
      const written = (err: Error | null): void => (err ? reject(err) : resolve(undefined));
      switch (req.fc) {
        case 1:
          return c.writeFC1(req.unitId, req.address, req.count, read);
        case 2:
          return c.writeFC2(req.unitId, req.address, req.count, read);
        case 3:
          return c.writeFC3(req.unitId, req.address, req.count, read);
        case 4:
          return c.writeFC4(req.unitId, req.address, req.count, read);
        case 5:
          return c.writeFC5(req.unitId, req.address, req.value, written);
        case 6:
          return c.writeFC6(req.unitId, req.address, req.value, written);
        case 15:
          return c.writeFC15(req.unitId, req.address, [...req.values], written);
        case 16:
          return c.writeFC16(req.unitId, req.address, [...req.values], written);
      }
    });
  }
}
