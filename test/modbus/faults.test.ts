/**
 * Faults a correct server never produces, against a hand-rolled Modbus TCP server on 127.0.0.1:
 * no answer, truncated and malformed replies, replies for another transaction. The connection must
 * never hand out wrong data, never get stuck, and recover by itself.
 */
import assert from 'node:assert/strict';
import type { ConnectionOptions, ModbusRequestError } from '../../nodes/modbus/connection';
import { ModbusConnection, DEFAULT_CONNECTION_OPTIONS } from '../../nodes/modbus/connection';
import { createTransport } from '../../nodes/modbus/transports';
import type { RawModbusServer, RawRequest } from '../support/raw-modbus-server';
import { frame, registersFor, startRawModbusServer } from '../support/raw-modbus-server';

function connect(port: number, more: Partial<ConnectionOptions> = {}): ModbusConnection {
  const c = new ModbusConnection(
    { ...DEFAULT_CONNECTION_OPTIONS, endpoint: { kind: 'tcp', host: '127.0.0.1', port }, timeoutMs: 200, reconnectMinMs: 50, reconnectMaxMs: 200, unitBackoffMs: 300, ...more },
    createTransport,
  );
  c.start();
  return c;
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const read = (c: ModbusConnection, address = 10, count = 3): Promise<unknown> => c.request({ fc: 3, unitId: 1, address, count });

describe('Modbus connection faults against a raw TCP server', function () {
  this.timeout(15000);
  let server: RawModbusServer;
  let conn: ModbusConnection;

  beforeEach(async () => {
    server = await startRawModbusServer();
    conn = connect(server.port);
    await until(() => conn.state.kind === 'connected');
  });

  afterEach(async () => {
    await conn.close();
    await server.stop();
  });

  it('reads correct replies', async () => {
    assert.deepEqual(await read(conn), [10, 11, 12]);
  });

  it('times out a request that gets no answer, then carries on: the timeout fails that request only', async () => {
    server.reply = (req, n) => (n === 0 ? null : frame(req, registersFor(req)));
    await assert.rejects(read(conn), (e: ModbusRequestError) => e.code === 'timeout' && /no answer within 200 ms/.test(e.message));
    assert.deepEqual(await read(conn), [10, 11, 12]);
  });

  it('suspends a unit only after failures in a row on different requests, and says so', async () => {
    await conn.close();
    // The link is reopened after this many timeouts in a row: more than the unit's run here.
    conn = connect(server.port, { maxTimeoutsInARow: 10 });
    await until(() => conn.state.kind === 'connected');
    server.reply = () => null;
    for (const address of [10, 20]) {
      await assert.rejects(read(conn, address), (e: ModbusRequestError) => e.code === 'timeout');
    }
    // The same request failing again is a slow register, not a dead unit.
    await assert.rejects(read(conn, 20), (e: ModbusRequestError) => e.code === 'timeout');
    server.reply = (req) => frame(req, registersFor(req));
    assert.deepEqual(await read(conn, 10), [10, 11, 12], 'one answer ends the run');
    server.reply = () => null;
    for (const address of [10, 20]) await assert.rejects(read(conn, address), (e: ModbusRequestError) => e.code === 'timeout');
    await assert.rejects(read(conn, 30), (e: ModbusRequestError) => e.code === 'timeout');
    await assert.rejects(read(conn, 40), (e: ModbusRequestError) => e.code === 'unit-silent' && /unit 1 suspended/.test(e.message));
    server.reply = (req) => frame(req, registersFor(req));
    await new Promise((r) => setTimeout(r, 350));
    assert.deepEqual(await read(conn), [10, 11, 12]);
  });

  it('reopens the link after a truncated reply instead of mixing it into the next answer', async () => {
    server.reply = (req, n) => (n === 0 ? frame(req, registersFor(req)).subarray(0, 9) : frame(req, registersFor(req)));
    const before = server.connections;
    await assert.rejects(read(conn), (e: ModbusRequestError) => e.code === 'timeout');
    await until(() => server.connections > before && conn.state.kind === 'connected');
    await new Promise((r) => setTimeout(r, 350));
    assert.deepEqual(await read(conn), [10, 11, 12]);
  });

  it('rejects a malformed reply (byte count disagrees with the request) and stays usable', async () => {
    server.reply = (req: RawRequest, n) => (n === 0 ? frame(req, [1]) : frame(req, registersFor(req)));
    await assert.rejects(read(conn), (e: Error) => /length|data/i.test(e.message));
    assert.deepEqual(await read(conn), [10, 11, 12]);
  });

  it('never takes a reply for another transaction id as the answer', async () => {
    server.reply = (req, n) => (n === 0 ? frame(req, [666, 666, 666], req.transactionId + 100) : frame(req, registersFor(req)));
    await assert.rejects(read(conn), (e: ModbusRequestError) => e.code === 'timeout');
    await new Promise((r) => setTimeout(r, 350));
    assert.deepEqual(await read(conn), [10, 11, 12]);
  });

  it('answers a stray reply followed by the right one with the right one', async () => {
    server.reply = (req, n) =>
      n === 0 ? Buffer.concat([frame(req, [666, 666, 666], req.transactionId + 7), frame(req, registersFor(req))]) : frame(req, registersFor(req));
    assert.deepEqual(await read(conn), [10, 11, 12]);
  });

  it('refuses new requests beyond the queue limit instead of growing without bound', async () => {
    server.reply = () => null;
    const small = new ModbusConnection(
      { ...DEFAULT_CONNECTION_OPTIONS, endpoint: { kind: 'tcp', host: '127.0.0.1', port: server.port }, timeoutMs: 300, maxQueue: 5 },
      createTransport,
    );
    small.start();
    await until(() => small.state.kind === 'connected');
    const pending = Array.from({ length: 10 }, (_, i) => small.request({ fc: 3, unitId: 1 + (i % 2), address: i, count: 1 }));
    const results = await Promise.allSettled(pending);
    const refused = results.filter((r) => r.status === 'rejected' && (r.reason as ModbusRequestError).code === 'queue-full');
    assert.equal(refused.length, 4, 'one in flight, five queued, four refused');
    await small.close();
  });
});
