/**
 * Lifecycle of the Modbus nodes in a real Node-RED runtime: a flow redeployed 100 times leaves no
 * socket, timer, connection or memory behind; and RTU on a serial line works end to end through a
 * virtual serial pair (socat) against a Modbus RTU server.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import helper from 'node-red-node-test-helper';
import type { TestFlows } from 'node-red-node-test-helper';
import { ServerSerial } from 'modbus-serial';
import type { Node } from 'node-red';
import clientNode from '../../nodes/modbus/modbus-client';
import readNode from '../../nodes/modbus/modbus-read';
import writeNode from '../../nodes/modbus/modbus-write';
import tagMapNode from '../../nodes/tags/tag-map';
import { openConnectionCount } from '../../nodes/modbus/pool';
import type { TagRow } from '../../nodes/tags/tag';
import { startModbusServer } from '../support/modbus-server';
import type { ModbusTestServer } from '../support/modbus-server';
import { tempDir } from '../support/hub-process';
import { useTestRuntime } from '../support/node-red';


v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

const ROWS: TagRow[] = [
  { name: 'plant/line1/filler/state', address: 'hr:0', dataType: 'uint16' },
  { name: 'plant/line1/filler/count', address: 'hr:2', dataType: 'uint32' },
  { name: 'plant/line1/filler/setpoint', address: 'hr:10', dataType: 'float32', access: 'read-write' },
];

function flow(endpoint: Record<string, unknown>, interval: number): TestFlows {
  const nodes: Record<string, unknown>[] = [
    { id: 'tab', type: 'tab' },
    { id: 'dev', type: 'fh-modbus-client', name: 'filler', unitId: 1, timeout: 500, reconnectMax: 1, ...endpoint },
    { id: 'map', type: 'fh-tag-map', name: 'line1', rows: ROWS },
    { id: 'read', type: 'fh-modbus-read', z: 'tab', client: 'dev', tagMap: 'map', prefix: '', interval, output: 'all', staleAfter: 5, wires: [['out']] },
    { id: 'write', type: 'fh-modbus-write', z: 'tab', client: 'dev', tagMap: 'map', prefix: '', readBack: true, wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab' },
  ];
  return nodes as TestFlows;
}

/** Sockets, servers and timers alive in this process (Node 20 has no public API for this). */
function handles(): number {
  return (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function nextMessage(node: Node, timeoutMs = 5000): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message')), timeoutMs);
    node.once('input', (msg: Record<string, unknown>) => {
      clearTimeout(timer);
      resolve(msg);
    });
  });
}

describe('Modbus nodes: lifecycle', function () {
  useTestRuntime('modbus-lifecycle');
  this.timeout(120000);

  describe('a flow redeployed 100 times', () => {
    let server: ModbusTestServer;
    before(async () => {
      server = await startModbusServer();
      await new Promise<void>((r) => helper.startServer(r));
    });
    after(async () => {
      await new Promise<void>((r) => helper.stopServer(r));
      await server.stop();
    });

    it('leaves no socket, timer, connection or memory behind', async () => {
      const baseline = handles();
      const endpoint = { transport: 'tcp', host: '127.0.0.1', port: server.port };
      await helper.load([clientNode, tagMapNode, readNode, writeNode], flow(endpoint, 50));
      let heapAt20 = 0;
      for (let i = 0; i < 100; i++) {
        // Alternate the poll interval so every deploy really replaces the nodes and the connection.
        await helper.setFlows(flow({ ...endpoint, timeout: 500 + (i % 2) }, 50 + (i % 2)), 'full');
        if (i % 10 === 0) await nextMessage(helper.getNode('out'));
        if (i === 20) {
          gc();
          heapAt20 = process.memoryUsage().heapUsed;
        }
      }
      const out = await nextMessage(helper.getNode('out'));
      assert.equal(out.quality, 'good', 'still reading after 100 deploys');
      await helper.unload();
      await new Promise((r) => setTimeout(r, 300));
      gc();
      const growth = process.memoryUsage().heapUsed - heapAt20;
      assert.equal(openConnectionCount(), 0, 'every connection closed');
      // Deploys that waited for data connected; the others were replaced while still connecting.
      assert.ok(server.acceptedCount() >= 10, `deploys replaced the connection (${server.acceptedCount()} accepted)`);
      assert.equal(server.clientCount(), 0, 'the device sees no connection left open');
      assert.ok(handles() <= baseline, `handles: ${handles()} after, ${baseline} before`);
      assert.ok(growth < 8 * 1024 * 1024, `heap grew ${(growth / 1048576).toFixed(1)} MB over 80 deploys`);
    });
  });

  describe('RTU on a serial line (socat virtual pair)', () => {
    let socat: ChildProcess | undefined;
    let gateway: ChildProcess | undefined;
    let gatewayPort = 0;
    let rtuServer: ServerSerial | undefined;
    const dir = tempDir('rtu');
    const devicePty = path.join(dir, 'device');
    const hubPty = path.join(dir, 'hub');
    const holding = new Uint16Array(100);

    before(async function () {
      socat = spawn('socat', [`pty,raw,echo=0,link=${devicePty}`, `pty,raw,echo=0,link=${hubPty}`], { stdio: 'ignore' });
      // A serial-to-Ethernet gateway: RTU frames over TCP to the same serial line, one client at a time.
      gatewayPort = await freePort();
      gateway = spawn('socat', [`tcp-listen:${gatewayPort},bind=127.0.0.1,reuseaddr,fork`, `file:${hubPty},raw,echo=0`], { stdio: 'ignore' });
      const end = Date.now() + 5000;
      while (!(fs.existsSync(devicePty) && fs.existsSync(hubPty))) {
        if (Date.now() > end) throw new Error('socat did not create the pty pair (is socat installed?)');
        await new Promise((r) => setTimeout(r, 20));
      }
      holding[0] = 4;
      holding[2] = 0;
      holding[3] = 1234;
      rtuServer = new ServerSerial(
        {
          getHoldingRegister: (addr: number) => holding[addr],
          getMultipleHoldingRegisters: (addr: number, length: number) => Array.from(holding.subarray(addr, addr + length)),
          setRegister: (addr: number, value: number) => {
            holding[addr] = value;
          },
        },
        { path: devicePty, baudRate: 19200, unitID: 7 },
      );
      await new Promise((r) => setTimeout(r, 200));
      await new Promise<void>((r) => helper.startServer(r));
    });

    after(async () => {
      await helper.unload();
      await new Promise<void>((r) => helper.stopServer(r));
      await new Promise<void>((r) => (rtuServer ? rtuServer.close(() => r()) : r()));
      gateway?.kill();
      socat?.kill();
    });

    async function readAndWrite(endpoint: Record<string, unknown>): Promise<void> {
      await helper.load([clientNode, tagMapNode, readNode, writeNode], flow(endpoint, 200));
      const out = helper.getNode('out');
      const seen = new Map<string, unknown>();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${JSON.stringify([...seen])}`)), 8000);
        out.on('input', (msg: Record<string, unknown>) => {
          if (msg.quality === 'good') seen.set(msg.topic as string, msg.payload);
          if (seen.size >= 3) {
            clearTimeout(timer);
            out.removeAllListeners('input');
            resolve();
          }
        });
      });
      assert.equal(seen.get('plant/line1/filler/state'), 4);
      assert.equal(seen.get('plant/line1/filler/count'), 1234);
      const written = nextMessage(out);
      helper.getNode('write').receive({ topic: 'plant/line1/filler/setpoint', payload: 2.5 });
      let msg = await written;
      while (!msg.write) msg = await nextMessage(out);
      assert.deepEqual([holding[10], holding[11]], [0x4020, 0x0000], '2.5 as float32 ABCD');
      holding[10] = 0;
      await helper.unload();
    }

    it('reads and writes typed tags end to end over the serial port', async () => {
      await readAndWrite({ transport: 'rtu', serialPath: hubPty, baudRate: 19200, parity: 'none', dataBits: 8, stopBits: 1, unitId: 7 });
    });

    it('reads and writes through a serial gateway (RTU over TCP)', async () => {
      await readAndWrite({ transport: 'rtu-over-tcp', host: '127.0.0.1', port: gatewayPort, unitId: 7 });
    });
  });
});
