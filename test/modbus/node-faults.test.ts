/**
 * fh-modbus-read and fh-modbus-write in a real Node-RED runtime, through a fault proxy in front of a real
 * Modbus TCP server and an RTU-over-TCP server: after FIN, RST or a black hole the read node keeps
 * sending (bad quality while down), tells the truth in its status (never green while no scan
 * completes), recovers by itself, and the flow's close leaves no connection or socket open.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { TestFlows } from 'node-red-node-test-helper';
import type { Node } from 'node-red';
import clientNode from '../../nodes/modbus/modbus-client';
import readNode from '../../nodes/modbus/modbus-read';
import writeNode from '../../nodes/modbus/modbus-write';
import tagMapNode from '../../nodes/tags/tag-map';
import { openConnectionCount } from '../../nodes/modbus/pool';
import { AuditLog } from '../../nodes/shared/audit-log';
import type { TagRow } from '../../nodes/tags/tag';
import { FaultProxy } from '../support/fault-proxy';
import { startModbusServer } from '../support/modbus-server';
import { startRtuOverTcpServer } from '../support/raw-modbus-server';
import { useTestRuntime } from '../support/node-red';

type Msg = Record<string, unknown> & { topic?: string; payload?: unknown; quality?: string; error?: string };
type Kind = 'tcp' | 'rtu-over-tcp';

const ROWS: TagRow[] = [
  { name: 'plant/line1/filler/state', address: 'hr:0', dataType: 'uint16' },
  { name: 'plant/line1/filler/count', address: 'hr:2', dataType: 'uint32' },
  { name: 'plant/line1/filler/setpoint', address: 'hr:10', dataType: 'uint16', access: 'read-write' },
];

function flow(kind: Kind, port: number): TestFlows {
  const nodes: Record<string, unknown>[] = [
    { id: 'tab', type: 'tab' },
    { id: 'dev', type: 'fh-modbus-client', name: 'filler', transport: kind, host: '127.0.0.1', port, unitId: 1, timeout: 300, reconnectMax: 1 },
    { id: 'map', type: 'fh-tag-map', name: 'line1', rows: ROWS },
    { id: 'read', type: 'fh-modbus-read', z: 'tab', client: 'dev', tagMap: 'map', prefix: '', interval: 100, output: 'all', staleAfter: 2, wires: [['out']] },
    { id: 'write', type: 'fh-modbus-write', z: 'tab', client: 'dev', tagMap: 'map', prefix: '', readBack: false, wires: [['out']] },
    { id: 'out', type: 'helper', z: 'tab' },
  ];
  return nodes as TestFlows;
}

interface Status {
  fill?: string;
  text?: string;
}

function statuses(node: Node): Status[] {
  return (node as unknown as { status: { args: [Status][] } }).status.args.map((a) => a[0]);
}

async function until(what: string, check: () => boolean, timeoutMs = 15000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const kind of ['tcp', 'rtu-over-tcp'] as const) {
  describe(`Modbus nodes through a fault proxy (${kind})`, function () {
    const userDir = useTestRuntime(`modbus-node-faults-${kind}`);
    this.timeout(60000);
    let device: { port: number; holding: Uint16Array; clientCount(): number; stop(): Promise<void> };
    let proxy: FaultProxy;
    let msgs: Msg[];

    beforeEach(async () => {
      device = kind === 'tcp' ? await startModbusServer() : await startRtuOverTcpServer();
      device.holding[0] = 5;
      device.holding[3] = 77;
      proxy = await FaultProxy.start({ port: device.port });
      await new Promise<void>((r) => helper.startServer(r));
      await helper.load([clientNode, tagMapNode, readNode, writeNode], flow(kind, proxy.port));
      msgs = [];
      helper.getNode('out').on('input', (m: Msg) => msgs.push(m));
      await until('first good value', () => msgs.some((m) => m.topic === 'plant/line1/filler/state' && m.quality === 'good'));
    });

    afterEach(async () => {
      await helper.unload();
      await new Promise<void>((r) => helper.stopServer(r));
      assert.equal(openConnectionCount(), 0, 'no connection left behind');
      await until('proxy connections closed', () => proxy.stats.open === 0);
      await proxy.close();
      await until('device connections closed', () => device.clientCount() === 0);
      await device.stop();
    });

    /** Waits for a good value of `state` equal to `value` sent after message index `from`. */
    const goodState = (from: number, value: number): Promise<void> =>
      until(`state ${value} read again`, () => msgs.slice(from).some((m) => m.topic === 'plant/line1/filler/state' && m.quality === 'good' && m.payload === value));

    for (const how of ['fin', 'rst'] as const) {
      it(`keeps reading after the device answers a request with ${how.toUpperCase()}`, async () => {
        const read = helper.getNode('read');
        for (let round = 0; round < 2; round++) {
          const from = msgs.length;
          proxy.dropOnNextRequest(how);
          await until('a bad value naming the lost link', () => msgs.slice(from).some((m) => m.quality === 'bad' && /link lost|not connected|reconnecting/.test(String(m.error))));
          const bad = msgs.slice(from).find((m) => m.quality === 'bad')!;
          assert.equal(bad.payload, bad.topic === 'plant/line1/filler/state' ? 5 + round : 77, 'the last good value is kept');
          device.holding[0] = 6 + round;
          await goodState(from, 6 + round);
          await until('status green again', () => statuses(read).at(-1)?.fill === 'green');
        }
      });
    }

    it('is never green while a black hole answers nothing, and recovers after it', async () => {
      const read = helper.getNode('read');
      const accepted = proxy.stats.accepted;
      proxy.setMode({ kind: 'blackhole' });
      const from = msgs.length;
      await until('a bad value', () => msgs.slice(from).some((m) => m.quality === 'bad'));
      const firstDown = statuses(read).length;
      // Long enough for the link to be reopened (three timeouts in a row) at least once.
      await until('link reopened', () => proxy.stats.accepted > accepted);
      await until('reopened link gave no answer', () => msgs.slice(from).filter((m) => m.quality === 'bad').length > 6);
      const down = statuses(read).slice(firstDown);
      assert.ok(down.length > 0, 'the status changed while down');
      assert.deepEqual(down.filter((s) => s.fill === 'green'), [], `no green status: ${down.map((s) => `${s.fill} ${s.text}`).join(' | ')}`);
      device.holding[0] = 9;
      proxy.heal();
      await goodState(from, 9);
      await until('status green again', () => statuses(read).at(-1)?.fill === 'green');
    });

    it('writes after an RST, and audits a write refused while the link is down', async () => {
      const write = helper.getNode('write');
      const errors: string[] = [];
      (write as unknown as NodeJS.EventEmitter).on('call:error', (call: { args: unknown[] }) => errors.push(String(call.args[0])));
      proxy.setMode({ kind: 'refuse' });
      proxy.drop('rst');
      const client = helper.getNode('dev') as unknown as { connection(): { state: { kind: string } } };
      await until('link down', () => client.connection().state.kind !== 'connected');
      await until('the write node shows the link down', () => /^writes refused: (reconnecting in \d+ s|connecting)/.test(statuses(write).at(-1)?.text ?? ''));
      assert.equal(statuses(write).at(-1)?.fill, 'yellow');
      write.receive({ topic: 'plant/line1/filler/setpoint', payload: 3, _client: { user: { username: 'olga' } } });
      await until('refused', () => errors.length > 0);
      assert.match(errors[0], /refused: the link is down \(/);
      proxy.heal();
      await until('link up', () => client.connection().state.kind === 'connected');
      const ok = new Promise<Msg>((resolve) => helper.getNode('out').on('input', (m: Msg) => m.write && resolve(m)));
      write.receive({ topic: 'plant/line1/filler/setpoint', payload: 4 });
      assert.equal(((await ok).write as { result: string }[])[0].result, 'ok');
      assert.equal(device.holding[10], 4);
      assert.deepEqual(statuses(write).at(-1), { fill: 'green', shape: 'dot', text: 'wrote setpoint = 4' });
      const entries = (await new AuditLog(path.join(userDir, 'audit')).read(new Date())).filter((e) => e.tag === 'plant/line1/filler/setpoint');
      assert.deepEqual(
        entries.slice(-2).map((e) => [e.result, e.value, e.user]),
        [
          ['refused', 3, 'olga'],
          ['ok', 4, undefined],
        ],
      );
    });
  });
}
