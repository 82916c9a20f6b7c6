import assert from 'node:assert/strict';
import ModbusRTU from 'modbus-serial';
import { AttributeIds } from 'node-opcua-client';
import { LINE_MACHINES } from '../../simulator/line';
import { opcuaPointTable, registerMapTable, startLine } from '../../simulator/run';
import { STATE_CODES } from '../../simulator/registers';
import type { TestClient } from './opcua-client';
import { SIMULATOR_TEST_PKI, connectClient } from './opcua-client';

function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap').length;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('simulator run', function () {
  this.timeout(30000);

  it('starts filler and capper over Modbus, labeller and case packer over OPC UA, in real time, and stops leaving nothing behind', async () => {
    const before = tcpHandles();
    // basePort 0 also gives the OPC UA server a free port.
    const running = await startLine({ seed: 1, basePort: 0, pkiDir: SIMULATOR_TEST_PKI, tickMs: 20 });
    const client = new ModbusRTU();
    client.on('error', () => undefined);
    let opcua: TestClient | undefined;
    try {
      assert.deepEqual(
        running.line.machines.map((m) => m.name),
        LINE_MACHINES.map((n) => `demo/packaging/line1/${n}`),
      );
      assert.deepEqual(Object.keys(running.ports), ['demo/packaging/line1/filler', 'demo/packaging/line1/capper']);
      assert.deepEqual(
        running.servers.map((s) => s.machine.name),
        Object.keys(running.ports),
      );
      assert.equal(new Set(Object.values(running.ports)).size, 2);
      assert.ok(running.opcua, 'an OPC UA server');
      assert.deepEqual(running.opcua.machines, ['demo/packaging/line1/labeller', 'demo/packaging/line1/casepacker']);
      assert.equal(running.opcua.url, `opc.tcp://127.0.0.1:${running.opcua.port}`);
      assert.notEqual(running.opcua.port, 4840);
      assert.deepEqual(running.endpoints['demo/packaging/line1/capper'], { protocol: 'modbus', host: '127.0.0.1', port: running.ports['demo/packaging/line1/capper'] });
      assert.deepEqual(running.endpoints['demo/packaging/line1/labeller'], {
        protocol: 'opcua',
        url: running.opcua.url,
        nodeIdPrefix: 'ns=1;s=demo/packaging/line1/labeller/',
      });

      const t0 = running.line.machines[0].time;
      await sleep(1500);
      assert.ok(running.line.machines[0].time - t0 >= 1000, 'the timer advances the model');
      assert.ok(running.line.snapshot().reduce((n, s) => n + s.partsMade, 0) > 0, 'parts are made');

      await client.connectTCP('127.0.0.1', { port: running.ports['demo/packaging/line1/capper'] });
      client.setID(1);
      client.setTimeout(2000);
      const { data } = await client.readHoldingRegisters(0, 21);
      assert.equal(data[0], STATE_CODES[running.line.machine('capper').snapshot().state]);
      assert.equal(data[11], 600, 'capper ideal cycle time (low word of hr:10)');

      opcua = await connectClient(running.opcua.url);
      const labeller = running.endpoints['demo/packaging/line1/labeller'];
      assert.equal(labeller.protocol, 'opcua');
      if (labeller.protocol !== 'opcua') return;
      const [state, ideal] = await opcua.session.read([
        { nodeId: `${labeller.nodeIdPrefix}state`, attributeId: AttributeIds.Value },
        { nodeId: `${labeller.nodeIdPrefix}idealCycleTime`, attributeId: AttributeIds.Value },
      ]);
      assert.equal(state.value.value, STATE_CODES[running.line.machine('labeller').snapshot().state]);
      assert.equal(ideal.value.value, 650, 'labeller ideal cycle time (ms)');
    } finally {
      await opcua?.close();
      await new Promise<void>((resolve) => client.close(() => resolve()));
      await running.stop();
      await running.stop();
    }
    for (let i = 0; i < 50 && tcpHandles() !== before; i++) await sleep(10);
    assert.equal(tcpHandles(), before);
    const t = running.line.machines[0].time;
    await sleep(100);
    assert.equal(running.line.machines[0].time, t, 'the timer is gone');
  });

  it('serves every machine over Modbus with opcuaMachines [] (basePort + position in the line)', async () => {
    const running = await startLine({ seed: 1, basePort: 0, opcuaMachines: [] });
    try {
      assert.equal(running.opcua, undefined);
      assert.deepEqual(
        Object.keys(running.ports),
        LINE_MACHINES.map((n) => `demo/packaging/line1/${n}`),
      );
      assert.ok(Object.values(running.endpoints).every((e) => e.protocol === 'modbus'));
    } finally {
      await running.stop();
    }
    await assert.rejects(startLine({ basePort: 0, opcuaMachines: ['mixer'] }), /no machine mixer/);
  });

  it('prints the register map', () => {
    const table = registerMapTable();
    assert.match(table, /^address\s+name\s+type/);
    assert.match(table, /hr:4\s+goodCount\s+uint32\s+CDAB/);
    assert.match(table, /hr:20\s+speedSetpoint\s+uint16\s+ABCD\s+% \(x0\.1\)\s+read-write/);
    const opcua = opcuaPointTable();
    assert.match(opcua, /^name\s+type/);
    assert.match(opcua, /speedSetpoint\s+Double\s+%\s+read-write/);
    assert.match(opcua, /forceStop\s+UInt16\s+read-write/);
  });
});
