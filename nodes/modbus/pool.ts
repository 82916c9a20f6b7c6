/**
 * One connection per device in the whole runtime: two client config nodes (say, in two tabs) that point at
 * the same device share it, because many PLCs and gateways accept only one or two TCP connections.
 */
import type { ConnectionOptions } from './connection';
import { ModbusConnection } from './connection';
import type { Endpoint, Transport } from './transport';

interface Entry {
  readonly connection: ModbusConnection;
  users: number;
}

const pool = new Map<string, Entry>();

export interface Lease {
  readonly connection: ModbusConnection;
  /** Gives the lease back; the last one closes the connection. */
  release(): Promise<void>;
}

export function acquireConnection(
  options: ConnectionOptions,
  createTransport: (endpoint: Endpoint, timeoutMs: number) => Transport,
): Lease {
  // Same device and same settings: same connection (a redeploy that changes nothing keeps it open).
  const key = JSON.stringify(options);
  let entry = pool.get(key);
  if (!entry) {
    entry = { connection: new ModbusConnection(options, createTransport), users: 0 };
    pool.set(key, entry);
    entry.connection.start();
  }
  entry.users++;
  const held = entry;
  let released = false;
  return {
    connection: held.connection,
    release: async () => {
      if (released) return;
      released = true;
      held.users--;
      if (held.users > 0) return;
      if (pool.get(key) === held) pool.delete(key);
      await held.connection.close();
    },
  };
}

/** Connections alive in this process (for leak tests and the IT health page). */
export function openConnectionCount(): number {
  return pool.size;
}
