import assert from 'node:assert/strict';
import ModbusRTU from 'modbus-serial';
import { LINE_MACHINES } from '../../simulator/line';
import { registerMapTable, startLine } from '../../simulator/run';
import { STATE_CODES } from '../../simulator/registers';

function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap').length;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('simulator run', () => {
  it('starts the line on four ports, advances it in real time and stops leaving nothing behind', async () => {
    const before = tcpHandles();
    const running = await startLine({ seed: 1, basePort: 0, tickMs: 20 });
    const client = new ModbusRTU();
    client.on('error', () => undefined);
    try {
      const ports = running.line.machines.map((m) => running.ports[m.name]);
      assert.deepEqual(
        running.line.machines.map((m) => m.name),
        LINE_MACHINES.map((n) => `demo/packaging/line1/${n}`),
      );
      assert.equal(new Set(ports).size, 4);
      const t0 = running.line.machines[0].time;
      await sleep(1500);
      assert.ok(running.line.machines[0].time - t0 >= 1000, 'the timer advances the model');
      assert.ok(running.line.snapshot().reduce((n, s) => n + s.partsMade, 0) > 0, 'parts are made');

      await client.connectTCP('127.0.0.1', { port: running.ports['demo/packaging/line1/labeller'] });
      client.setID(1);
      client.setTimeout(2000);
      const { data } = await client.readHoldingRegisters(0, 21);
      assert.equal(data[0], STATE_CODES[running.line.machine('labeller').snapshot().state]);
      assert.equal(data[11], 650, 'labeller ideal cycle time (low word of hr:10)');
    } finally {
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

  it('prints the register map', () => {
    const table = registerMapTable();
    assert.match(table, /^address\s+name\s+type/);
    assert.match(table, /hr:4\s+goodCount\s+uint32\s+CDAB/);
    assert.match(table, /hr:20\s+speedSetpoint\s+uint16\s+ABCD\s+% \(x0\.1\)\s+read-write/);
  });
});
