import assert from 'node:assert/strict';
import net from 'node:net';
import { AttributeIds, ClientMonitoredItem, ClientSubscription, DataType, MessageSecurityMode, StatusCodes, TimestampsToReturn } from 'node-opcua-client';
import type { DataValue } from 'node-opcua-client';
import { resolveNodeId } from '../../nodes/opcua/node-id';
import { Line } from '../../simulator/line';
import type { Machine } from '../../simulator/machine';
import { MachineOpcuaServer } from '../../simulator/opcua-server';
import { OPCUA_POINTS, SIMULATOR_NAMESPACE, pointNodeId } from '../../simulator/opcua-points';
import { REGISTER_POINTS, STATE_CODES } from '../../simulator/registers';
import type { TestClient } from './opcua-client';
import { SIMULATOR_TEST_PKI, connectClient } from './opcua-client';

const MIN = 60_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** Every point of a machine by name, read in one Read request. */
async function readAll(client: TestClient, machine: Machine): Promise<Record<string, DataValue>> {
  const values = await client.session.read(OPCUA_POINTS.map((p) => ({ nodeId: pointNodeId(machine.name, p.name), attributeId: AttributeIds.Value })));
  return Object.fromEntries(OPCUA_POINTS.map((p, i) => [p.name, values[i]]));
}

function write(client: TestClient, machine: Machine, name: string, dataType: DataType, value: unknown) {
  return client.session.write({ nodeId: pointNodeId(machine.name, name), attributeId: AttributeIds.Value, value: { value: { dataType, value } } });
}

describe('simulator OPC UA server', function () {
  this.timeout(30000);
  let line: Line;
  let labeller: Machine;
  let casepacker: Machine;
  let server: MachineOpcuaServer;
  let client: TestClient;

  before(async () => {
    line = new Line({ seed: 7, startMs: 0 });
    line.advanceTo(20 * MIN);
    labeller = line.machine('labeller');
    casepacker = line.machine('casepacker');
    server = new MachineOpcuaServer([labeller, casepacker], { port: 0, pkiDir: SIMULATOR_TEST_PKI, refreshMs: 20 });
    await server.start();
    client = await connectClient(server.url);
  });

  after(async () => {
    await client?.close();
    await server?.stop();
  });

  it('exposes every register point and the controls with the Modbus names and typed values', async () => {
    assert.deepEqual(
      OPCUA_POINTS.slice(0, REGISTER_POINTS.length).map((p) => p.name),
      REGISTER_POINTS.map((p) => p.name),
    );
    const types = Object.fromEntries(OPCUA_POINTS.map((p) => [p.name, DataType[p.dataType]]));
    assert.deepEqual(types, {
      state: 'UInt16',
      faultCode: 'UInt16',
      totalCount: 'UInt16',
      productId: 'UInt16',
      goodCount: 'UInt32',
      rejectCount: 'UInt32',
      speed: 'Double',
      idealCycleTime: 'UInt32',
      productName: 'String',
      speedSetpoint: 'Double',
      running: 'Boolean',
      fault: 'Boolean',
      resetCounters: 'Boolean',
      plannedStop: 'Boolean',
      rejectRate: 'Double',
      forceStop: 'UInt16',
    });

    const namespaces = await client.session.readNamespaceArray();
    assert.equal(namespaces[1], SIMULATOR_NAMESPACE);
    for (const machine of [labeller, casepacker]) {
      const snapshot = machine.snapshot();
      const read = await readAll(client, machine);
      for (const p of OPCUA_POINTS) {
        const dv = read[p.name];
        assert.equal(dv.statusCode.name, 'Good', `${machine.name}/${p.name}`);
        assert.equal(dv.value.dataType, p.dataType, `${p.name} type`);
        assert.equal(dv.value.value, p.read(snapshot), `${machine.name}/${p.name}`);
      }
      assert.equal(read.state.value.value, STATE_CODES[snapshot.state]);
      assert.equal(read.idealCycleTime.value.value, snapshot.idealCycleMs, 'ms, like the Modbus point');
    }
    // The namespace URI form, resolved as the hub resolves it, finds the same variable.
    const nodeId = resolveNodeId(`nsu=${SIMULATOR_NAMESPACE};s=${labeller.name}/totalCount`, namespaces);
    const [byUri] = await client.session.read([{ nodeId, attributeId: AttributeIds.Value }]);
    assert.equal(byUri.value.value, labeller.snapshot().totalCount);
    // Security None for a demo on loopback; signed and encrypted for a hub configured that way.
    const endpoints = await client.client.getEndpoints();
    assert.deepEqual(
      endpoints.map((e) => `${MessageSecurityMode[e.securityMode]} ${(e.securityPolicyUri ?? '').split('#')[1]}`).sort(),
      ['None None', 'Sign Basic256Sha256', 'SignAndEncrypt Basic256Sha256'],
    );
    assert.ok(endpoints.every((e) => e.endpointUrl === server.url && e.server.applicationUri === SIMULATOR_NAMESPACE));
    // Browse path: Objects/demo/packaging/line1/labeller.
    const browse = await client.session.browse(`ns=1;s=${labeller.name}`);
    assert.ok(browse.references?.some((r) => r.browseName.name === 'goodCount'));
  });

  it('answers a read from the model as it is now, one instant for all variables', async () => {
    labeller.advance(3 * MIN);
    const snapshot = labeller.snapshot();
    const read = await readAll(client, labeller);
    for (const p of OPCUA_POINTS) assert.equal(read[p.name].value.value, p.read(snapshot), p.name);
    const changed = read.totalCount.sourceTimestamp;
    assert.equal(changed?.getTime(), snapshot.time, 'source timestamp = model time of the change');
  });

  it('pushes changes to monitored items, exception based and sampled', async () => {
    const subscription = ClientSubscription.create(client.session, {
      requestedPublishingInterval: 50,
      requestedLifetimeCount: 100,
      requestedMaxKeepAliveCount: 10,
      maxNotificationsPerPublish: 100,
      publishingEnabled: true,
      priority: 1,
    });
    try {
      // Different variables: a sampled item refreshes its own variable, which must not be what makes the
      // exception-based one see its changes.
      const watch = { totalCount: 0, goodCount: 250 } as const;
      const seen: Record<string, number[]> = { totalCount: [], goodCount: [] };
      for (const [name, samplingInterval] of Object.entries(watch)) {
        const item = ClientMonitoredItem.create(
          subscription,
          { nodeId: pointNodeId(labeller.name, name), attributeId: AttributeIds.Value },
          { samplingInterval, discardOldest: true, queueSize: 10 },
          TimestampsToReturn.Both,
        );
        item.on('changed', (dv: DataValue) => seen[name].push(dv.value.value as number));
      }
      // A refused write must not reach subscribers as a value: they see the model's values only.
      const rates: { value: unknown; status: string }[] = [];
      const rate = ClientMonitoredItem.create(
        subscription,
        { nodeId: pointNodeId(labeller.name, 'rejectRate'), attributeId: AttributeIds.Value },
        { samplingInterval: 0, discardOldest: true, queueSize: 10 },
        TimestampsToReturn.Both,
      );
      rate.on('changed', (dv: DataValue) => rates.push({ value: dv.value.value, status: dv.statusCode.name }));

      await until('initial values', () => seen.totalCount.length > 0 && seen.goodCount.length > 0 && rates.length > 0);
      const before = labeller.snapshot();
      assert.deepEqual([seen.totalCount.at(-1), seen.goodCount.at(-1)], [before.totalCount, before.goodCount]);
      labeller.advance(10_000);
      const after = labeller.snapshot();
      assert.notEqual(after.totalCount, before.totalCount);
      await until('the new counts', () => seen.totalCount.at(-1) === after.totalCount && seen.goodCount.at(-1) === after.goodCount);

      assert.equal((await write(client, labeller, 'rejectRate', DataType.Double, 1.5)).name, 'BadOutOfRange');
      assert.equal((await write(client, labeller, 'rejectRate', DataType.Double, 0.25)).name, 'Good');
      await until('the accepted rate', () => rates.at(-1)?.value === 0.25);
      assert.deepEqual(
        rates.filter((r) => r.value === 1.5 || r.status !== 'Good'),
        [],
      );
    } finally {
      await subscription.terminate();
    }
  });

  it('takes writes: reject rate, forced stop and its end, planned stop, speed, counter reset', async () => {
    assert.equal((await write(client, labeller, 'rejectRate', DataType.Double, 0.5)).name, 'Good');
    assert.equal(labeller.snapshot().rejectRate, 0.5);

    assert.equal((await write(client, labeller, 'forceStop', DataType.UInt16, 104)).name, 'Good');
    let s = labeller.snapshot();
    assert.equal(s.state, 'down');
    assert.equal(s.faultCode, 104);
    let read = await readAll(client, labeller);
    assert.deepEqual([read.state.value.value, read.faultCode.value.value, read.forceStop.value.value, read.fault.value.value], [2, 104, 104, true]);

    assert.equal((await write(client, labeller, 'forceStop', DataType.UInt16, 0)).name, 'Good');
    assert.equal(labeller.snapshot().forcedStop, false);
    assert.equal(labeller.snapshot().state, 'running');

    assert.equal((await write(client, casepacker, 'plannedStop', DataType.Boolean, true)).name, 'Good');
    assert.equal(casepacker.snapshot().state, 'planned');
    assert.equal((await write(client, casepacker, 'plannedStop', DataType.Boolean, false)).name, 'Good');

    assert.equal((await write(client, labeller, 'speedSetpoint', DataType.Double, 80)).name, 'Good');
    assert.equal(labeller.snapshot().speedFactor, 0.8);

    assert.ok(labeller.snapshot().goodCount > 0);
    assert.equal((await write(client, labeller, 'resetCounters', DataType.Boolean, true)).name, 'Good');
    s = labeller.snapshot();
    assert.deepEqual([s.totalCount, s.goodCount, s.rejectCount], [0, 0, 0]);
    read = await readAll(client, labeller);
    assert.equal(read.resetCounters.value.value, false, 'a pulse reads false again');
    assert.equal(read.goodCount.value.value, 0);
  });

  it('answers BadOutOfRange for values the machine refuses and BadNotWritable for read-only points', async () => {
    const before = labeller.snapshot();
    assert.equal((await write(client, labeller, 'rejectRate', DataType.Double, 1.5)).name, 'BadOutOfRange');
    assert.equal((await write(client, labeller, 'rejectRate', DataType.Double, -0.1)).name, 'BadOutOfRange');
    assert.equal((await write(client, labeller, 'speedSetpoint', DataType.Double, 200)).name, 'BadOutOfRange');
    assert.equal((await write(client, labeller, 'state', DataType.UInt16, 1)).name, 'BadNotWritable');
    const after = labeller.snapshot();
    assert.equal(after.rejectRate, before.rejectRate);
    assert.equal(after.speedFactor, before.speedFactor);
    const read = await readAll(client, labeller);
    assert.equal(read.rejectRate.value.value, before.rejectRate, 'the refused value is not what the variable shows');
    assert.equal(read.rejectRate.statusCode, StatusCodes.Good);
    assert.equal(read.speedSetpoint.value.value, before.speedFactor * 100);
  });

  it('is deterministic: the same seed gives the same values at the same simulated time', async () => {
    const twin = new Line({ seed: 7, startMs: 0 });
    const other = new Line({ seed: 8, startMs: 0 });
    for (const l of [twin, other]) l.advanceTo(20 * MIN);
    const twinServer = new MachineOpcuaServer([twin.machine('labeller'), other.machine('casepacker')], { port: 0, pkiDir: SIMULATOR_TEST_PKI });
    await twinServer.start();
    const twinClient = await connectClient(twinServer.url);
    try {
      // A fresh line of the same seed, read over OPC UA, equals the model of the first line at that time.
      const reference = new Line({ seed: 7, startMs: 0 });
      reference.advanceTo(20 * MIN);
      const expected = reference.machine('labeller').snapshot();
      const got = await readAll(twinClient, twin.machine('labeller'));
      for (const p of OPCUA_POINTS) assert.equal(got[p.name].value.value, p.read(expected), p.name);
      const otherGot = await readAll(twinClient, other.machine('casepacker'));
      const reference8 = reference.machine('casepacker').snapshot();
      assert.notDeepEqual(
        [otherGot.totalCount.value.value, otherGot.goodCount.value.value, otherGot.speed.value.value],
        [reference8.totalCount, reference8.goodCount, reference8.speed],
        'another seed gives another line',
      );
    } finally {
      await twinClient.close();
      await twinServer.stop();
    }
  });

  it('frees its port and leaves no timer when stopped', async () => {
    const machine = new Line({ seed: 1, startMs: 0 }).machine('filler');
    const own = new MachineOpcuaServer([machine], { port: 0, pkiDir: SIMULATOR_TEST_PKI });
    const { port } = await own.start();
    assert.equal(await canListen(port), false, 'listening');
    const c = await connectClient(own.url);
    await own.stop();
    await own.stop();
    await c.close();
    assert.equal(own.port, 0);
    assert.equal(await canListen(port), true, 'the port is free again');
  });
});
