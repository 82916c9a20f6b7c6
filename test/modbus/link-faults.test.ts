/**
 * The faults of real devices, gateways and networks, through a TCP fault proxy in front of a real
 * server, for Modbus TCP (modbus-serial's ServerTCP) and for RTU over TCP (a serial gateway's framing):
 * FIN or RST in answer to a request, RST of an idle link, late replies, foreign replies, replies split
 * into single bytes, garbage, a black hole, refused connections. After each the connection settles
 * every request, never hands out wrong data, recovers by itself and leaves no socket open.
 */
import assert from 'node:assert/strict';
import type { ModbusRequestError } from '../../nodes/modbus/connection';
import { DEFAULT_CONNECTION_OPTIONS, ModbusConnection } from '../../nodes/modbus/connection';
import type { Endpoint, ModbusReply, ModbusRequest, ReplyListener, Transport } from '../../nodes/modbus/transport';
import { createTransport } from '../../nodes/modbus/transports';
import { FaultProxy } from '../support/fault-proxy';
import { startModbusServer } from '../support/modbus-server';
import { rtuFrame, startRtuOverTcpServer } from '../support/raw-modbus-server';

type Kind = 'tcp' | 'rtu-over-tcp';

/** What the tests need of either server. */
interface Device {
  readonly port: number;
  readonly holding: Uint16Array;
  clientCount(): number;
  stop(): Promise<void>;
}

async function startDevice(kind: Kind): Promise<Device> {
  return kind === 'tcp' ? startModbusServer() : startRtuOverTcpServer();
}

const OPTIONS = { timeoutMs: 300, reconnectMinMs: 100, reconnectMaxMs: 400, unitBackoffMs: 50 };

function connect(kind: Kind, port: number, wrap?: (t: Transport) => Transport, maxInFlight = 1): ModbusConnection {
  const c = new ModbusConnection({ ...DEFAULT_CONNECTION_OPTIONS, ...OPTIONS, maxInFlight, endpoint: { kind, host: '127.0.0.1', port } }, (ep: Endpoint, ms: number) => {
    const t = createTransport(ep, ms);
    return wrap ? wrap(t) : t;
  });
  c.start();
  return c;
}

async function until(what: string, check: () => boolean, timeoutMs = 10000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(10);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The outcome of a request, or a failure if it never settles (the bug this file is about). */
async function outcome(p: Promise<ModbusReply>, timeoutMs = 10000): Promise<{ value?: ModbusReply; error?: ModbusRequestError }> {
  let timer: NodeJS.Timeout | undefined;
  const never = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the request never settled (${timeoutMs} ms)`)), timeoutMs);
  });
  try {
    return await Promise.race([p.then((value) => ({ value }), (error: ModbusRequestError) => ({ error })), never]);
  } finally {
    clearTimeout(timer);
  }
}

const read = (c: ModbusConnection, address: number, count = 2): Promise<ModbusReply> => c.request({ fc: 3, unitId: 1, address, count });

/** Reads until an answer comes (the link reconnects meanwhile); every answer must be the right one. */
async function readsAgain(c: ModbusConnection, address: number, expected: number[], timeoutMs = 10000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await outcome(read(c, address, expected.length));
    if (r.value) {
      assert.deepEqual(r.value, expected, 'never a wrong answer');
      return;
    }
    if (Date.now() > end) throw new Error(`no good answer within ${timeoutMs} ms; last: ${r.error?.message}`);
    await sleep(20);
  }
}

for (const kind of ['tcp', 'rtu-over-tcp'] as const) {
  describe(`Modbus link faults through a fault proxy (${kind})`, function () {
    this.timeout(30000);
    let device: Device;
    let proxy: FaultProxy;
    let conn: ModbusConnection;

    beforeEach(async () => {
      device = await startDevice(kind);
      for (let i = 0; i < 40; i++) device.holding[i] = 1000 + i;
      proxy = await FaultProxy.start({ port: device.port });
      conn = connect(kind, proxy.port);
      await until('connected', () => conn.state.kind === 'connected');
      await readsAgain(conn, 0, [1000, 1001]);
    });

    afterEach(async () => {
      await conn.close();
      // No socket left: the proxy and the device see every connection of the client closed.
      await until('proxy connections closed', () => proxy.stats.open === 0);
      await proxy.close();
      await until('device connections closed', () => device.clientCount() === 0);
      await device.stop();
    });

    for (const how of ['fin', 'rst'] as const) {
      it(`settles a request the device answers with ${how.toUpperCase()}, then reconnects by itself`, async () => {
        for (let round = 0; round < 3; round++) {
          const accepted = proxy.stats.accepted;
          proxy.dropOnNextRequest(how);
          const r = await outcome(read(conn, 0));
          assert.equal(r.error?.code, 'link', `rejected as a link error: ${r.error?.message}`);
          assert.match(r.error.message, /link lost/);
          await readsAgain(conn, 2, [1002, 1003]);
          assert.ok(proxy.stats.accepted > accepted, 'a new connection was made');
          assert.equal(conn.state.kind, 'connected');
        }
      });
    }

    it('reconnects after an RST of an idle link', async () => {
      const accepted = proxy.stats.accepted;
      assert.equal(proxy.drop('rst'), 1);
      await until('noticed the loss', () => conn.state.kind !== 'connected' || proxy.stats.accepted > accepted);
      await readsAgain(conn, 4, [1004, 1005]);
      assert.ok(proxy.stats.accepted > accepted);
    });

    it('never takes a late reply for the answer to the next request', async () => {
      for (let round = 0; round < 3; round++) {
        // The answer to A comes after A's timeout, while B (same unit, function and length) waits.
        proxy.setMode({ kind: 'delay', ms: OPTIONS.timeoutMs + 150 });
        const a = await outcome(read(conn, 0));
        assert.equal(a.error?.code, 'timeout', `A timed out: ${a.error?.message}`);
        proxy.heal();
        await sleep(OPTIONS.unitBackoffMs + 10);
        await readsAgain(conn, 10, [1010, 1011]);
        await sleep(OPTIONS.timeoutMs);
        await readsAgain(conn, 20, [1020, 1021]);
      }
    });

    it('ignores a reply that belongs to another request (foreign transaction id or unit)', async () => {
      proxy.rewriteReply = (chunk) => {
        const b = Buffer.from(chunk);
        if (kind === 'tcp') b.writeUInt16BE((b.readUInt16BE(0) + 100) & 0xffff, 0);
        else return rtuFrame(b[0] + 1, b.subarray(1, -2));
        return b;
      };
      const r = await outcome(read(conn, 0));
      assert.equal(r.error?.code, 'timeout', `no answer taken: ${r.error?.message}`);
      proxy.rewriteReply = undefined;
      await readsAgain(conn, 6, [1006, 1007]);
    });

    it('reassembles replies split into single bytes', async () => {
      proxy.setMode({ kind: 'split', gapMs: 2 });
      for (let i = 0; i < 5; i++) await readsAgain(conn, 2 * i, [1000 + 2 * i, 1001 + 2 * i]);
    });

    it('survives garbage instead of a reply and garbage between replies', async () => {
      proxy.replaceNextReply(Buffer.from('garbage!garbage!garbage!'));
      const r = await outcome(read(conn, 0));
      assert.ok(r.error, 'garbage is no answer');
      await readsAgain(conn, 8, [1008, 1009]);
      proxy.inject(Buffer.from([0x01, 0x03, 0x04, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x07, 0xff]));
      await readsAgain(conn, 12, [1012, 1013]);
      await readsAgain(conn, 14, [1014, 1015]);
    });

    it('reopens a black-holed link and recovers when the device answers again', async () => {
      const accepted = proxy.stats.accepted;
      proxy.setMode({ kind: 'blackhole' });
      const errors = new Set<string>();
      for (let i = 0; i < 12; i++) {
        const r = await outcome(read(conn, 0));
        assert.equal(r.value, undefined, 'no answer out of a black hole');
        errors.add(r.error!.code);
        await sleep(50);
      }
      assert.ok(errors.has('timeout'), [...errors].join());
      await until('reopened', () => proxy.stats.accepted > accepted);
      proxy.heal();
      await readsAgain(conn, 16, [1016, 1017]);
    });

    it('backs off while connections are refused and connects once they are accepted', async () => {
      const waits: number[] = [];
      conn.on('state', (st: { kind: string; retryAt?: number }) => {
        if (st.kind === 'waiting') waits.push(st.retryAt! - Date.now());
      });
      proxy.setMode({ kind: 'refuse' });
      proxy.drop('rst');
      const refusedFrom = proxy.stats.accepted;
      const r = await outcome(read(conn, 0));
      assert.ok(r.error, 'no answer while refused');
      await until('refused three times', () => proxy.stats.accepted >= refusedFrom + 3 && waits.length >= 4);
      assert.notEqual(conn.state.kind, 'connected');
      // Back-off: the first delay, doubling to the longest (a connection that is reset at once counts).
      assert.deepEqual(waits.slice(0, 4).map((w) => Math.round(w / 50) * 50), [100, 200, 400, 400]);
      proxy.heal();
      await readsAgain(conn, 18, [1018, 1019]);
    });

    it('reopens the link when the watchdog finds a request the transport never settles', async () => {
      await conn.close();
      // A transport that loses one callback, as modbus-serial did on a socket that ended.
      let lose = true;
      conn = connect(kind, proxy.port, (t) => ({
        open: () => t.open(),
        close: () => t.close(),
        onLost: (l) => t.onLost(l),
        outOfStep: () => t.outOfStep(),
        maxInFlight: t.maxInFlight,
        dropped: () => t.dropped(),
        send: (req: ModbusRequest, ms: number, listener: ReplyListener) => {
          if (req.address !== 30 || !lose) return t.send(req, ms, listener);
          lose = false;
        },
      }));
      const states: string[] = [];
      conn.on('state', () => states.push(conn.describeState()));
      await until('connected', () => conn.state.kind === 'connected');
      const r = await outcome(read(conn, 30));
      assert.equal(r.error?.code, 'link');
      assert.match(r.error.message, /watchdog: a request had no outcome after 900 ms/);
      assert.ok(states.some((s) => /reconnecting in \d+ s: watchdog/.test(s)), states.join(' | '));
      await readsAgain(conn, 30, [1030, 1031]);
    });
  });
}

describe('Modbus TCP link faults with 4 requests in flight', function () {
  this.timeout(30000);
  let device: Device;
  let proxy: FaultProxy;
  let conn: ModbusConnection;
  const addresses = [0, 4, 8, 12, 16, 20, 24, 28];
  /** One scan: eight reads at once; each either settles with its own registers or fails. */
  const scan = async (): Promise<{ good: number; errors: string[] }> => {
    const results = await Promise.all(addresses.map((a) => outcome(read(conn, a))));
    let good = 0;
    const errors: string[] = [];
    results.forEach((r, i) => {
      if (r.value) {
        assert.deepEqual(r.value, [1000 + addresses[i], 1001 + addresses[i]], 'never a wrong answer');
        good++;
      } else errors.push(r.error!.code);
    });
    return { good, errors };
  };
  const wholeScanAgain = async (): Promise<void> => {
    const end = Date.now() + 10000;
    while ((await scan()).good < addresses.length) {
      if (Date.now() > end) throw new Error('no whole scan within 10 s');
      await sleep(20);
    }
  };

  beforeEach(async () => {
    device = await startDevice('tcp');
    for (let i = 0; i < 40; i++) device.holding[i] = 1000 + i;
    proxy = await FaultProxy.start({ port: device.port });
    conn = connect('tcp', proxy.port, undefined, 4);
    await until('connected', () => conn.state.kind === 'connected');
    await wholeScanAgain();
  });

  afterEach(async () => {
    await conn.close();
    await until('proxy connections closed', () => proxy.stats.open === 0);
    await proxy.close();
    await until('device connections closed', () => device.clientCount() === 0);
    await device.stop();
  });

  for (const how of ['fin', 'rst'] as const) {
    it(`settles every request of a scan cut by ${how.toUpperCase()} and reads whole scans after`, async () => {
      for (let round = 0; round < 3; round++) {
        proxy.dropOnNextRequest(how);
        const cut = await scan();
        assert.ok(cut.errors.length > 0 && cut.errors.every((c) => c === 'link' || c === 'not-connected'), cut.errors.join());
        await wholeScanAgain();
      }
    });
  }

  it('never gives a late reply to another request in flight', async () => {
    proxy.setMode({ kind: 'delay', ms: OPTIONS.timeoutMs + 150 });
    const late = await scan();
    assert.equal(late.good, 0);
    proxy.heal();
    await wholeScanAgain();
    await sleep(OPTIONS.timeoutMs);
    await wholeScanAgain();
  });

  it('reassembles replies of requests in flight split into single bytes', async () => {
    proxy.setMode({ kind: 'split', gapMs: 1 });
    await wholeScanAgain();
  });

  it('recovers from a black hole with requests in flight', async () => {
    const accepted = proxy.stats.accepted;
    proxy.setMode({ kind: 'blackhole' });
    const dark = await scan();
    assert.equal(dark.good, 0);
    await until('reopened', () => proxy.stats.accepted > accepted);
    proxy.heal();
    await wholeScanAgain();
  });
});
