/**
 * One connection per device in the whole runtime: two client config nodes (say, in two tabs) that point at
 * the same device share it, because many PLCs and gateways accept only one or two TCP connections.
 */
import type { ConnectionOptions } from './connection';
import { ModbusConnection } from './connection';
import type { Endpoint, Transport } from './transport';
import type { Lease } from '../shared/shared-pool';
import { SharedPool } from '../shared/shared-pool';

const pool = new SharedPool<ModbusConnection>();

export function acquireConnection(
  options: ConnectionOptions,
  createTransport: (endpoint: Endpoint, timeoutMs: number) => Transport,
): Lease<ModbusConnection> {
  // Same device and same settings: same connection (a redeploy that changes nothing keeps it open).
  return pool.acquire(JSON.stringify(options), () => {
    const connection = new ModbusConnection(options, createTransport);
    connection.start();
    return connection;
  });
}

/** Connections alive in this process (for leak tests and the IT health page). */
export function openConnectionCount(): number {
  return pool.size;
}
