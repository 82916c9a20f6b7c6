/**
 * Requests in flight on Modbus TCP, against a hand-rolled server that answers when and how the test says:
 * answers out of order are matched by transaction id; foreign, late and duplicate answers are dropped and
 * counted, never given to another request; devices that refuse a second request in flight (answer
 * exception 6, or close the connection) are paced down to one; writes keep their order with reads of
 * the same addresses; RTU stays at one in flight.
 */
import assert from 'node:assert/strict';
import type { ConnectionOptions, ModbusRequestError } from '../../nodes/modbus/connection';
import { DEFAULT_CONNECTION_OPTIONS, ModbusConnection } from '../../nodes/modbus/connection';
import type { ModbusReply } from '../../nodes/modbus/transport';
import { createTransport } from '../../nodes/modbus/transports';
import type { RawModbusServer, RawRequest } from '../support/raw-modbus-server';
import { exceptionFrame, frame, registersFor, startRawModbusServer, writeEcho } from '../support/raw-modbus-server';

function connect(port: number, more: Partial<ConnectionOptions> = {}): ModbusConnection {
  const c = new ModbusConnection(
    {
      ...DEFAULT_CONNECTION_OPTIONS,
      endpoint: { kind: 'tcp', host: '127.0.0.1', port },
      timeoutMs: 300,
      reconnectMinMs: 50,
      reconnectMaxMs: 200,
      maxInFlight: 8,
      ...more,
    },
    createTransport,
  );
  c.start();
  return c;
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const read = (c: ModbusConnection, address: number, count = 3): Promise<ModbusReply> => c.request({ fc: 3, unitId: 1, address, count });

describe('Modbus TCP: requests in flight', function () {
  this.timeout(20000);
  let server: RawModbusServer;
  let conn: ModbusConnection;
  /** Requests the server holds unanswered, in arrival order. */
  let held: RawRequest[];

  beforeEach(async () => {
    server = await startRawModbusServer();
    held = [];
  });

  afterEach(async () => {
    await conn.close();
    await server.stop();
  });

  it('sends several requests before the first answer and matches answers out of order by transaction id', async () => {
    server.reply = (req) => {
      held.push(req);
      return null;
    };
    conn = connect(server.port);
    await until('connected', () => conn.state.kind === 'connected');
    const addresses = [0, 10, 20, 30, 40, 50];
    const replies = addresses.map((a) => read(conn, a));
    await until('all six in flight', () => held.length === 6);
    // Answered last to first: each request still gets its own registers.
    for (const req of [...held].reverse()) server.write(frame(req, registersFor(req)));
    const values = await Promise.all(replies);
    assert.deepEqual(values, addresses.map((a) => [a, a + 1, a + 2]));
    assert.deepEqual(conn.dropped(), { late: 0, duplicate: 0, foreign: 0 });
  });

  it('drops foreign, late and duplicate answers, counts them, and never gives them to another request', async () => {
    server.reply = (req) => {
      held.push(req);
      return null;
    };
    conn = connect(server.port, { timeoutMs: 200 });
    await until('connected', () => conn.state.kind === 'connected');

    // A times out; its answer comes late, while B (same unit, function and length) waits.
    const a = read(conn, 100);
    await until('A sent', () => held.length === 1);
    await assert.rejects(a, (e: ModbusRequestError) => e.code === 'timeout');
    const b = read(conn, 200);
    await until('B sent', () => held.length === 2);
    const [reqA, reqB] = held;
    server.write(frame(reqA, [666, 666, 666]));
    // Foreign: an id never sent, and B's id from another unit.
    server.write(frame(reqB, [777, 777, 777], (reqB.transactionId + 1000) & 0xffff));
    server.write(frame({ ...reqB, unitId: reqB.unitId + 1 }, [888, 888, 888]));
    server.write(frame(reqB, registersFor(reqB)));
    assert.deepEqual(await b, [200, 201, 202]);
    // Duplicate: B answered twice, while C waits with the same shape.
    const c = read(conn, 300);
    await until('C sent', () => held.length === 3);
    server.write(frame(reqB, [999, 999, 999]));
    server.write(frame(held[2], registersFor(held[2])));
    assert.deepEqual(await c, [300, 301, 302]);
    await until('all counted', () => conn.dropped().duplicate === 1);
    assert.deepEqual(conn.dropped(), { late: 1, duplicate: 1, foreign: 2 });
  });

  it('paces down to one in flight when the device answers "busy" (exception 6) to a second request, and reads everything', async () => {
    let busy = false;
    server.reply = (req) => {
      if (busy) return exceptionFrame(req, 6);
      busy = true;
      setTimeout(() => {
        busy = false;
        server.write(frame(req, registersFor(req)));
      }, 5);
      return null;
    };
    conn = connect(server.port);
    const pacing: string[] = [];
    conn.on('pacing', (p: { limit: number; reason?: string }) => pacing.push(`${p.limit}: ${p.reason ?? ''}`));
    await until('connected', () => conn.state.kind === 'connected');
    const addresses = [0, 10, 20, 30, 40, 50, 60, 70];
    // The first scan: those answered busy are sent again once the pace is down.
    assert.deepEqual(await Promise.all(addresses.map((a) => read(conn, a))), addresses.map((a) => [a, a + 1, a + 2]));
    assert.equal(conn.pacing.limit, 1);
    assert.equal(conn.pacing.max, 8);
    assert.match(conn.pacing.reason ?? '', /busy \(exception 6\)/);
    assert.ok(pacing.length >= 1 && pacing[0].startsWith('1: '), pacing.join(' | '));
    for (let scan = 0; scan < 3; scan++) {
      assert.deepEqual(await Promise.all(addresses.map((a) => read(conn, a))), addresses.map((a) => [a, a + 1, a + 2]));
    }
  });

  it('paces down to one in flight when the device closes the connection on a second request, then reads whole scans', async () => {
    let pending = false;
    server.reply = (req) => {
      if (pending) {
        server.closeClients();
        return null;
      }
      pending = true;
      setTimeout(() => {
        pending = false;
        server.write(frame(req, registersFor(req)));
      }, 5);
      return null;
    };
    conn = connect(server.port, { maxInFlight: 4 });
    await until('connected', () => conn.state.kind === 'connected');
    const addresses = [0, 10, 20, 30];
    const deadline = Date.now() + 10000;
    for (;;) {
      if (conn.state.kind === 'connected') {
        pending = false;
        const scan = await Promise.allSettled(addresses.map((a) => read(conn, a)));
        if (scan.every((r) => r.status === 'fulfilled')) {
          assert.deepEqual(scan.map((r) => (r).value), addresses.map((a) => [a, a + 1, a + 2]));
          break;
        }
        for (const r of scan) if (r.status === 'rejected') assert.match((r.reason as Error).message, /link lost|connect/);
      }
      if (Date.now() > deadline) throw new Error(`no whole scan; pacing ${JSON.stringify(conn.pacing)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(conn.pacing.limit, 1);
    assert.match(conn.pacing.reason ?? '', /link lost/);
  });

  it('keeps a write in order with the reads of the same addresses', async () => {
    server.reply = (req) => {
      held.push(req);
      return null;
    };
    conn = connect(server.port, { timeoutMs: 3000 });
    await until('connected', () => conn.state.kind === 'connected');
    const before = read(conn, 0, 10);
    const write = conn.request({ fc: 16, unitId: 1, address: 5, values: [1, 2] });
    const after = read(conn, 4, 2);
    const elsewhere = read(conn, 100, 2);
    await until('the first read sent', () => held.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(held.map((r) => [r.fc, r.address]), [[3, 0]], 'the write waits for the read of its addresses');
    server.write(frame(held[0], registersFor(held[0])));
    await until('the write sent', () => held.length === 2);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(held[1].fc, 16);
    assert.equal(held.length, 2, 'the read after the write waits for it');
    server.write(writeEcho(held[1]));
    // Then both reads at once: they touch nothing in flight.
    await until('the reads after sent', () => held.length === 4);
    for (const req of held.slice(2)) server.write(frame(req, registersFor(req)));
    assert.deepEqual(await before, registersFor(held[0]));
    assert.equal(await write, undefined);
    assert.deepEqual(await after, [4, 5]);
    assert.deepEqual(await elsewhere, [100, 101]);
  });

  it('keeps RTU links (serial, and RTU over TCP) at one in flight whatever is configured', () => {
    const rtu = new ModbusConnection(
      { ...DEFAULT_CONNECTION_OPTIONS, endpoint: { kind: 'rtu-over-tcp', host: '127.0.0.1', port: 1 }, maxInFlight: 8 },
      createTransport,
    );
    assert.deepEqual(rtu.pacing, { limit: 1, max: 1 });
    conn = connect(server.port, { maxInFlight: 8 });
    assert.deepEqual(conn.pacing, { limit: 8, max: 8 });
  });
});
