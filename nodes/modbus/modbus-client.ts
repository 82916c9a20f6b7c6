/** fh-modbus-client: the config node of one Modbus device (TCP, RTU serial, RTU over TCP). */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { ConnectionState, ModbusConnection } from './connection';
import type { Pacing } from './connection';
import { DEFAULT_CONNECTION_OPTIONS, MAX_IN_FLIGHT } from './connection';
import type { Lease } from '../shared/shared-pool';
import { acquireConnection } from './pool';
import type { Endpoint } from './transport';
import { createTransport } from './transports';
import { ConfigError } from '../shared/config-node';

export interface ModbusClientDef extends NodeDef {
  transport: 'tcp' | 'rtu' | 'rtu-over-tcp';
  host: string;
  port: string | number;
  serialPath: string;
  baudRate: string | number;
  parity: 'none' | 'even' | 'odd';
  dataBits: string | number;
  stopBits: string | number;
  unitId: string | number;
  timeout: string | number;
  reconnectMax: string | number;
  /** Requests sent before the first answer (Modbus TCP), 1..MAX_IN_FLIGHT or "auto"; empty = 1. */
  maxInFlight?: string | number;
  /** Failed requests in a row, on different requests, that suspend a unit id; empty = 3. */
  suspendAfter?: string | number;
}

export interface ModbusClientNode extends Node {
  readonly defaultUnitId: number;
  readonly endpointName: string;
  /** The shared connection, opened on first use. */
  connection(): ModbusConnection;
  /** Calls listener now and on every state change until the returned function is called. */
  watch(listener: (state: ConnectionState) => void): () => void;
}

function int(value: string | number, what: string, min: number, max: number): number {
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${what} must be a whole number from ${min} to ${max}, not "${value}"`);
  return n;
}

export function endpointOf(def: ModbusClientDef): Endpoint {
  if (def.transport === 'rtu') {
    if (!def.serialPath) throw new ConfigError('serial port is not set (e.g. /dev/ttyUSB0 or COM3)');
    const parity = def.parity || 'none';
    if (!['none', 'even', 'odd'].includes(parity)) throw new ConfigError(`parity must be none, even or odd, not "${parity}"`);
    return {
      kind: 'rtu',
      path: def.serialPath,
      baudRate: int(def.baudRate || 9600, 'baud rate', 300, 921600),
      parity,
      dataBits: int(def.dataBits || 8, 'data bits', 7, 8) as 7 | 8,
      stopBits: int(def.stopBits || 1, 'stop bits', 1, 2) as 1 | 2,
    };
  }
  if (def.transport !== 'tcp' && def.transport !== 'rtu-over-tcp') throw new ConfigError(`unknown transport "${String(def.transport)}"`);
  if (!def.host || !/^[A-Za-z0-9.:_-]+$/.test(def.host)) throw new ConfigError(`host "${def.host}" is not a host name or IP address`);
  return { kind: def.transport, host: def.host, port: int(def.port || 502, 'port', 1, 65535) };
}

export default function register(RED: NodeAPI): void {
  RED.nodes.registerType('fh-modbus-client', function (this: ModbusClientNode, def: ModbusClientDef) {
    RED.nodes.createNode(this, def);
    const node = this as ModbusClientNode & { defaultUnitId: number; endpointName: string };
    // A bad config is reported by each user node (config nodes have no status of their own).
    let configError: ConfigError | undefined;
    let endpoint: Endpoint | undefined;
    let timeoutMs = DEFAULT_CONNECTION_OPTIONS.timeoutMs;
    let reconnectMaxMs = DEFAULT_CONNECTION_OPTIONS.reconnectMaxMs;
    let maxInFlight: number | 'auto' = DEFAULT_CONNECTION_OPTIONS.maxInFlight;
    let unitFailuresToSuspend = DEFAULT_CONNECTION_OPTIONS.unitFailuresToSuspend;
    try {
      endpoint = endpointOf(def);
      node.defaultUnitId = int(def.unitId ?? 1, 'unit id', 0, 255);
      timeoutMs = int(def.timeout || timeoutMs, 'timeout (ms)', 10, 60000);
      reconnectMaxMs = int(def.reconnectMax || reconnectMaxMs / 1000, 'longest reconnect delay (s)', 1, 3600) * 1000;
      maxInFlight = String(def.maxInFlight ?? '').trim().toLowerCase() === 'auto' ? 'auto' : int(def.maxInFlight || 1, 'max requests in flight ("auto" or)', 1, MAX_IN_FLIGHT);
      unitFailuresToSuspend = int(def.suspendAfter || unitFailuresToSuspend, 'failed requests that suspend a unit id', 1, 100);
    } catch (err) {
      configError = err as ConfigError;
      node.defaultUnitId = 1;
    }
    node.endpointName = endpoint ? `${def.name || ''} ${endpoint.kind === 'rtu' ? endpoint.path : `${endpoint.host}:${endpoint.port}`}`.trim() : def.name || def.id;

    let lease: Lease<ModbusConnection> | undefined;
    let unlisten = (): void => undefined;
    node.connection = () => {
      if (configError || !endpoint) throw configError ?? new ConfigError('no endpoint');
      if (!lease) {
        lease = acquireConnection({ ...DEFAULT_CONNECTION_OPTIONS, endpoint, timeoutMs, reconnectMaxMs, maxInFlight, unitFailuresToSuspend }, createTransport);
        // Pacing is the device's doing: said once per change, in the log, not per request.
        const connection = lease.resource;
        const onPacing = (p: Pacing): void => {
          if (p.setback) node.warn(`${connection.name}: ${p.limit} of ${p.max} requests in flight: ${p.reason ?? 'paced down'}`);
          else if (p.auto) node.log(`${connection.name}: ${p.reason ?? `auto: ${p.limit} requests in flight`}`);
          else if (p.limit < p.max) node.warn(`${connection.name}: ${p.limit} of ${p.max} requests in flight: ${p.reason ?? 'paced down'}`);
          else node.log(`${connection.name}: back to ${p.max} requests in flight`);
        };
        const onUnit = (u: { reason: string }): void => node.warn(u.reason);
        connection.on('pacing', onPacing);
        connection.on('unit', onUnit);
        unlisten = () => {
          connection.off('pacing', onPacing);
          connection.off('unit', onUnit);
        };
      }
      return lease.resource;
    };
    node.watch = (listener) => {
      const connection = node.connection();
      listener(connection.state);
      connection.on('state', listener);
      return () => connection.off('state', listener);
    };

    node.on('close', (_removed: boolean, done: () => void) => {
      const l = lease;
      lease = undefined;
      unlisten();
      // Time-boxed (Node-RED waits 15 s at most), and done() called once whichever comes first.
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        done();
      };
      const timer = setTimeout(finish, 5000);
      void (l ? l.release() : Promise.resolve()).finally(finish);
    });
  });
}
