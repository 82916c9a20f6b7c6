/** The ERP connections deployed in this runtime, by config node id, for the admin endpoints. */
import type { Outbox } from './outbox';

export interface RegisteredConnection {
  readonly id: string;
  readonly name: string;
  readonly dialect: string;
  readonly baseUrl: string;
  readonly outbox: Outbox;
}

const connections = new Map<string, RegisteredConnection>();

export function registerConnection(c: RegisteredConnection): void {
  connections.set(c.id, c);
}

export function unregisterConnection(id: string, outbox: Outbox): void {
  if (connections.get(id)?.outbox === outbox) connections.delete(id);
}

export function getConnection(id: string): RegisteredConnection | undefined {
  return connections.get(id);
}

export function listConnections(): RegisteredConnection[] {
  return [...connections.values()];
}
