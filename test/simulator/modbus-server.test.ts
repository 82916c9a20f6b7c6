import assert from 'node:assert/strict';
import ModbusRTU from 'modbus-serial';
import { compileReader } from '../../nodes/modbus/codec';
import type { EngValue } from '../../nodes/modbus/codec';
import { compileDecoders, decodeBlock, planReads } from '../../nodes/modbus/plan';
import { Machine } from '../../simulator/machine';
import { MachineModbusServer, freePort } from '../../simulator/modbus-server';
import { STATE_CODES, readImage } from '../../simulator/registers';

const NAME = 'demo/packaging/line1/capper';

/** Counts of the socket handles this process holds, to prove a test leaves none behind. */
function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap').length;
}

async function settledHandles(expected: number): Promise<number> {
  // Closed sockets leave the list on a later turn of the event loop.
  for (let i = 0; i < 50 && tcpHandles() !== expected; i++) await new Promise((r) => setTimeout(r, 10));
  return tcpHandles();
}

function modbusCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'modbusCode' in err ? (err as { modbusCode: number }).modbusCode : undefined;
}

async function rejectsWith(code: number, promise: Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.equal(modbusCode(err), code, `${what}: ${String(err)}`);
    return true;
  });
}

function closeClient(client: ModbusRTU): Promise<void> {
  return new Promise((resolve) => client.close(() => resolve()));
}

describe('simulator modbus server', () => {
  let machine: Machine;
  let server: MachineModbusServer;
  let client: ModbusRTU;
  let handlesBefore: number;

  beforeEach(async () => {
    handlesBefore = tcpHandles();
    machine = new Machine({ name: NAME, idealCycleMs: 600, mtbfMs: 0, mttrMs: 60_000, speedNoise: 0, rejectRate: 0.25, seed: 4 });
    machine.advanceTo(600 * 1234);
    server = new MachineModbusServer(machine);
    const { port } = await server.start();
    assert.ok(port > 0);
    assert.equal(server.port, port);
    client = new ModbusRTU();
    client.on('error', () => undefined);
    await client.connectTCP('127.0.0.1', { port });
    client.setID(1);
    client.setTimeout(2000);
  });

  afterEach(async () => {
    await closeClient(client);
    await server.stop();
    assert.equal(await settledHandles(handlesBefore), handlesBefore, 'no socket left open');
  });

  it('serves the register map, decoded by the hub codec', async () => {
    const s = machine.snapshot();
    const { data } = await client.readHoldingRegisters(0, 21);
    const values = Object.fromEntries(server.map.points.filter((p) => p.spec.area === 'holding').map((p) => [p.spec.name, p.reader(data, p.spec.address)]));
    assert.equal(values.state, STATE_CODES.running);
    assert.equal(values.faultCode, 0);
    assert.equal(values.totalCount, 1234);
    assert.equal(values.goodCount, s.goodCount);
    assert.equal(values.rejectCount, s.rejectCount);
    assert.equal(s.goodCount + s.rejectCount, 1234);
    assert.equal(values.speed, 100);
    assert.equal(values.productId, 1);
    assert.equal(values.productName, 'PRODUCT 1');
    assert.equal(values.idealCycleTime, 600);
    assert.equal(values.speedSetpoint, 100);
    const coils = await client.readCoils(0, 4);
    assert.deepEqual(coils.data.slice(0, 4), [true, false, false, false]);
  });

  it("the hub's read planner reads the whole map in one request per area", async () => {
    const tags = server.map.tags;
    const plan = planReads(tags, { defaultUnitId: 1 });
    assert.deepEqual(
      plan.blocks.map((b) => [b.functionCode, b.start, b.count]),
      [
        [1, 0, 4],
        [3, 0, 21],
      ],
    );
    const decoders = compileDecoders(tags, 'engineering');
    const out = new Array<EngValue>(tags.length);
    for (const block of plan.blocks) {
      const { data } = block.functionCode === 1 ? await client.readCoils(block.start, block.count) : await client.readHoldingRegisters(block.start, block.count);
      decodeBlock(block, decoders, data, out);
    }
    const expected = readImage(server.map, server.current());
    assert.deepEqual(
      Object.fromEntries(server.map.points.map((p, i) => [p.spec.name, out[i]])),
      expected,
    );
    assert.equal(expected.totalCount, 1234);
  });

  it('follows the model between requests', async () => {
    machine.forceStop(103);
    const { data } = await client.readHoldingRegisters(0, 2);
    assert.deepEqual(data, [STATE_CODES.down, 103]);
    assert.deepEqual((await client.readCoils(0, 2)).data.slice(0, 2), [false, true]);
    machine.clearStop();
    machine.advanceTo(machine.time + 6000);
    assert.equal((await client.readHoldingRegisters(2, 1)).data[0], 1244);
  });

  it('a written speed setpoint changes the speed factor and reads back', async () => {
    await client.writeRegister(20, 750); // FC6, 75.0 %
    assert.equal(machine.snapshot().speedFactor, 0.75);
    assert.deepEqual((await client.readHoldingRegisters(20, 1)).data, [750]);
    await client.writeRegisters(20, [1200]); // FC16, 120.0 %
    assert.equal(machine.snapshot().speedFactor, 1.2);
    const speed = compileReader(server.map.tags[6]);
    assert.equal(server.map.tags[6].name, `${NAME}/speed`);
    assert.equal(speed((await client.readHoldingRegisters(8, 2)).data, 0), 120);
    await rejectsWith(3, client.writeRegister(20, 2000), 'setpoint 200 %');
    assert.equal(machine.snapshot().speedFactor, 1.2);
  });

  it('resetCounters and plannedStop act on the machine', async () => {
    await client.writeCoil(2, true);
    assert.equal(machine.snapshot().totalCount, 0);
    assert.deepEqual((await client.readHoldingRegisters(2, 1)).data, [0]);
    await client.writeCoil(3, true);
    assert.deepEqual((await client.readHoldingRegisters(0, 1)).data, [STATE_CODES.planned]);
    await client.writeCoil(3, false);
    assert.equal(machine.snapshot().state, 'running');
  });

  it('answers exception 2 to writes of read-only points and to reads outside the map', async () => {
    await rejectsWith(2, client.writeRegister(0, 1), 'write hr:0 (state)');
    await rejectsWith(2, client.writeRegisters(19, [0, 800]), 'write hr:19..20');
    await rejectsWith(2, client.writeCoil(0, true), 'write co:0 (running)');
    await rejectsWith(2, client.readHoldingRegisters(21, 1), 'read hr:21');
    await rejectsWith(2, client.readHoldingRegisters(15, 10), 'read hr:15..24');
    await rejectsWith(2, client.readInputRegisters(0, 1), 'read ir:0');
    await rejectsWith(2, client.readCoils(0, 8), 'read co:0..7');
    await rejectsWith(2, client.readDiscreteInputs(0, 1), 'read di:0');
    assert.equal(machine.snapshot().speedFactor, 1);
    // The connection survives exceptions.
    assert.equal((await client.readHoldingRegisters(3, 1)).data[0], 1);
  });

  it('answers any unit id by default', async () => {
    client.setID(17);
    assert.equal((await client.readHoldingRegisters(3, 1)).data[0], 1);
  });
});

describe('simulator modbus server lifecycle', () => {
  it('listens on a given port, refuses a second start on it, and stops cleanly', async () => {
    const before = tcpHandles();
    const m = new Machine({ name: NAME, idealCycleMs: 600, mtbfMs: 0, mttrMs: 1000, seed: 1 });
    const port = await freePort();
    const a = new MachineModbusServer(m, { port });
    assert.deepEqual(await a.start(), { port });
    const b = new MachineModbusServer(m, { port });
    await assert.rejects(b.start(), /EADDRINUSE/);
    await b.stop();
    await a.stop();
    await a.stop(); // twice is fine
    assert.equal(await settledHandles(before), before);
  });

  it('with unitId it answers that unit only', async () => {
    const before = tcpHandles();
    const m = new Machine({ name: NAME, idealCycleMs: 600, mtbfMs: 0, mttrMs: 1000, seed: 1 });
    const server = new MachineModbusServer(m, { unitId: 3 });
    const { port } = await server.start();
    const client = new ModbusRTU();
    client.on('error', () => undefined);
    try {
      await client.connectTCP('127.0.0.1', { port });
      client.setTimeout(300);
      client.setID(3);
      assert.deepEqual((await client.readHoldingRegisters(0, 1)).data, [STATE_CODES.running]);
      client.setID(4);
      // modbus-serial's timeout is a plain object, not an Error: match its errno.
      await assert.rejects(client.readHoldingRegisters(0, 1), { errno: 'ETIMEDOUT' });
    } finally {
      await closeClient(client);
      await server.stop();
    }
    assert.equal(await settledHandles(before), before);
  });
});
