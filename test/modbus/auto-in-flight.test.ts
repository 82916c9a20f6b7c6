/**
 * "Auto" requests in flight: from 1 up, doubling while that raises the answers a second, back to the
 * best when it does not, and below what the device refused when it pushes back (busy, closing). The
 * climb is tested with round trips the test makes up; the connection against servers that answer late
 * (latency-bound), answer busy or close the link beyond a crowd.
 */
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import type { Node } from 'node-red';
import type { TestFlows } from 'node-red-node-test-helper';
import clientNode from '../../nodes/modbus/modbus-client';
import readNode from '../../nodes/modbus/modbus-read';
import tagMapNode from '../../nodes/tags/tag-map';
import { openConnectionCount } from '../../nodes/modbus/pool';
import { statusMatching, useTestRuntime } from '../support/node-red';
import type { ConnectionOptions } from '../../nodes/modbus/connection';
import { DEFAULT_CONNECTION_OPTIONS, MAX_IN_FLIGHT, ModbusConnection } from '../../nodes/modbus/connection';
import { InFlightClimb } from '../../nodes/modbus/in-flight-climb';
import type { ModbusReply } from '../../nodes/modbus/transport';
import { createTransport } from '../../nodes/modbus/transports';
import type { RawModbusServer } from '../support/raw-modbus-server';
import { exceptionFrame, frame, registersFor, startRawModbusServer } from '../support/raw-modbus-server';

/**
 * Feeds the climb the answers of a device with a round trip of rtt(k) ms at k in flight (so k / rtt(k)
 * answers a ms), all sent with the limit in flight, until it settles.
 */
function climbWith(rtt: (limit: number) => number, ceiling = MAX_IN_FLIGHT): { limit: number; steps: number[]; climb: InFlightClimb } {
  const climb = new InFlightClimb(ceiling);
  let limit = 1;
  let now = 0;
  const steps = [limit];
  for (let i = 0; i < 1000000 && !climb.settled; i++) {
    now += rtt(limit) / limit;
    const step = climb.answered(limit, limit, now);
    if (step && step.limit !== limit) steps.push((limit = step.limit));
  }
  return { limit, steps, climb };
}

describe('"auto" requests in flight: the climb', () => {
  it('doubles to the most allowed while the device answers each request in the same time (latency-bound)', () => {
    const { limit, steps } = climbWith(() => 10);
    assert.equal(limit, MAX_IN_FLIGHT);
    assert.deepEqual(steps, [1, 2, 4, 8, 16, 32, 64, 128]);
  });

  it('stays at 1 when a device serves one request at a time (its round trip grows with the crowd)', () => {
    assert.equal(climbWith((k) => 5 * k).limit, 1);
  });

  it('goes back to the best limit when doubling no longer raises the answers a second', () => {
    // Latency-bound up to 8 in flight, then the device's capacity: round trip grows with the crowd.
    const { limit, steps, climb } = climbWith((k) => (k <= 8 ? 10 : (10 * k) / 8));
    assert.deepEqual(steps, [1, 2, 4, 8, 16, 8]);
    assert.equal(limit, 8);
    assert.equal(climb.max, 8, 'settled: the adaptive pacing probes no higher');
  });

  it('decides nothing on answers sent with fewer in flight than allowed (the flow asks less than the link carries)', () => {
    const climb = new InFlightClimb(MAX_IN_FLIGHT);
    for (let i = 0; i < 1000; i++) assert.equal(climb.answered(4, 2, 10 * i), undefined);
    // Full now and then, but half empty on average: still no decision.
    for (let i = 0; i < 1000; i++) assert.equal(climb.answered(4, i % 3 ? 1 : 4, 10000 + 10 * i), undefined);
    assert.equal(climb.settled, false);
  });

  it('ends the climb below the crowd the device refused', () => {
    const climb = new InFlightClimb(MAX_IN_FLIGHT);
    climb.pushedBack(6);
    assert.equal(climb.settled, true);
    assert.equal(climb.max, 5);
    for (let i = 0; i < 1000; i++) assert.equal(climb.answered(5, 5, i), undefined);
  });
});

function connect(port: number, more: Partial<ConnectionOptions> = {}): ModbusConnection {
  const c = new ModbusConnection(
    { ...DEFAULT_CONNECTION_OPTIONS, endpoint: { kind: 'tcp', host: '127.0.0.1', port }, timeoutMs: 1000, reconnectMinMs: 50, reconnectMaxMs: 200, maxInFlight: 'auto', ...more },
    createTransport,
  );
  c.start();
  return c;
}

async function until(what: string, check: () => boolean, timeoutMs = 10000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const ADDRESSES = Array.from({ length: 32 }, (_, i) => 10 * i);
const WANT = ADDRESSES.map((a) => [a, a + 1]);
const scan = (c: ModbusConnection): Promise<PromiseSettledResult<ModbusReply>[]> =>
  Promise.allSettled(ADDRESSES.map((address) => c.request({ fc: 3, unitId: 1, address, count: 2 })));
const values = (r: PromiseSettledResult<ModbusReply>[]): unknown[] => r.map((x) => (x.status === 'fulfilled' ? x.value : (x.reason as Error).message));

describe('"auto" requests in flight: the connection', function () {
  this.timeout(30000);
  let server: RawModbusServer;
  let conn: ModbusConnection;
  /** Requests the server holds, not yet answered. */
  let held = 0;

  beforeEach(async () => {
    server = await startRawModbusServer();
    held = 0;
  });

  afterEach(async () => {
    await conn.close();
    await server.stop();
  });

  /** Answers each request `ms` after it came, independently of the others (a device with a request queue). */
  const answerAfter = (ms: number, busyBeyond = Infinity): void => {
    server.reply = (req) => {
      if (held >= busyBeyond) return exceptionFrame(req, 6);
      held++;
      setTimeout(() => {
        held--;
        server.write(frame(req, registersFor(req)));
      }, ms);
      return null;
    };
  };

  it('starts at 1 and climbs against a device whose answers take the same time however many are in flight', async () => {
    answerAfter(20);
    conn = connect(server.port);
    await until('connected', () => conn.state.kind === 'connected');
    assert.equal(conn.pacing.limit, 1);
    assert.equal(conn.pacing.auto, true);
    // Three scans at once keep the pipe full, as a read node's overlapping scans do.
    for (let i = 0; i < 20 && conn.pacing.limit < 16; i++) {
      const scans = await Promise.all([scan(conn), scan(conn), scan(conn)]);
      for (const r of scans) assert.deepEqual(values(r), WANT);
    }
    assert.ok(conn.pacing.limit >= 16, JSON.stringify(conn.pacing));
    assert.match(conn.pacing.reason ?? '', /^auto: /);
  });

  it('backs off below the crowd a device answers "busy" (exception 6) to, and reads whole scans', async () => {
    answerAfter(10, 2);
    conn = connect(server.port);
    const warned: string[] = [];
    conn.on('pacing', (p: { setback?: boolean; reason?: string }) => p.setback && warned.push(p.reason ?? ''));
    await until('connected', () => conn.state.kind === 'connected');
    for (let i = 0; i < 20 && !conn.pacing.setback; i++) await scan(conn);
    // The device holds 2: the climb met "busy" at 3 or 4 in flight, and stays below that crowd.
    const crowd = Number(/busy \(exception 6\) with (\d+) requests in flight/.exec(warned[0] ?? '')?.[1]);
    assert.ok(crowd === 3 || crowd === 4, warned.join(' | '));
    assert.ok(conn.pacing.max < crowd && conn.pacing.limit <= conn.pacing.max, JSON.stringify(conn.pacing));
    assert.deepEqual(values(await scan(conn)), WANT);
    assert.ok(conn.pacing.limit < crowd, 'never again as many as it refused');
  });

  it('backs off to 1 when the device closes the connection on a second request in flight, and reads whole scans', async () => {
    server.reply = (req) => {
      if (held > 0) {
        server.closeClients();
        return null;
      }
      held++;
      setTimeout(() => {
        held--;
        server.write(frame(req, registersFor(req)));
      }, 5);
      return null;
    };
    conn = connect(server.port);
    const deadline = Date.now() + 15000;
    for (;;) {
      if (conn.state.kind === 'connected') {
        held = 0;
        const r = await scan(conn);
        if (r.every((x) => x.status === 'fulfilled') && conn.pacing.setback) {
          assert.deepEqual(values(r), WANT);
          break;
        }
      }
      if (Date.now() > deadline) throw new Error(`no whole scan after the close; pacing ${JSON.stringify(conn.pacing)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual([conn.pacing.limit, conn.pacing.max], [1, 1]);
    assert.match(conn.pacing.reason ?? '', /link lost/);
  });
});

describe('"auto" requests in flight: the client config and the read node', function () {
  useTestRuntime('modbus-auto-in-flight');
  this.timeout(30000);
  let server: RawModbusServer;

  const flow = (maxInFlight: string): TestFlows =>
    [
      { id: 'tab', type: 'tab' },
      { id: 'dev', type: 'fh-modbus-client', transport: 'tcp', host: '127.0.0.1', port: server.port, unitId: 1, timeout: 1000, reconnectMax: 1, maxInFlight },
      { id: 'map', type: 'fh-tag-map', name: 'm1', rows: ADDRESSES.map((a) => ({ name: `m1/t${a}`, address: `hr:${a}`, dataType: 'uint16' })) },
      { id: 'read', type: 'fh-modbus-read', z: 'tab', client: 'dev', tagMap: 'map', prefix: '', interval: 0, output: 'scan', staleAfter: 60, maxGap: 0, wires: [['out']] },
      { id: 'out', type: 'helper', z: 'tab' },
    ] as TestFlows;

  beforeEach(async () => {
    server = await startRawModbusServer();
    // Every request answered 10 ms after it came, independently: latency-bound.
    server.reply = (req) => {
      setTimeout(() => server.write(frame(req, registersFor(req))), 10);
      return null;
    };
    await new Promise<void>((r) => helper.startServer(r));
  });

  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((r) => helper.stopServer(r));
    await server.stop();
    assert.equal(openConnectionCount(), 0, 'no connection left behind');
  });

  it('takes "auto", climbs with the scans of a read node, and says how many are in flight in its status', async () => {
    await helper.load([clientNode, tagMapNode, readNode], flow('Auto'));
    const read: Node = helper.getNode('read');
    const out: Node = helper.getNode('out');
    await statusMatching(read, /^connected/);
    let last: Record<string, unknown> = {};
    out.on('input', (m) => {
      last = (m as { payload: Record<string, unknown> }).payload;
      read.receive({ payload: 'again' });
    });
    for (let i = 0; i < 4; i++) read.receive({ payload: 'scan' });
    // 32 blocks a scan, each its own request: the climb passes 8 within a few scans.
    const text = await statusMatching(read, /auto: (8|16|32|64|128) in flight/, 15000);
    assert.match(text, /^32 tags, 32 requests, ok, auto: \d+ in flight$/);
    for (const a of ADDRESSES) assert.equal(last[`m1/t${a}`], a);
  });

  it('refuses a setting that is neither a number of requests nor "auto", saying what it takes', async () => {
    await helper.load([clientNode, tagMapNode, readNode], flow('lots'));
    const text = await statusMatching(helper.getNode('read'), /^config: /);
    assert.match(text, /max requests in flight \("auto" or\) must be a whole number from 1 to 128, not "lots"/);
  });
});
