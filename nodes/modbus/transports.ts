/** The transport for an endpoint: our own Modbus TCP framing (requests in flight), modbus-serial for RTU. */
import { MbapTransport } from './mbap-transport';
import type { Endpoint, Transport } from './transport';
import { ModbusSerialTransport } from './transport';

export function createTransport(endpoint: Endpoint, timeoutMs: number): Transport {
  return endpoint.kind === 'tcp' ? new MbapTransport(endpoint, timeoutMs) : new ModbusSerialTransport(endpoint, timeoutMs);
}
