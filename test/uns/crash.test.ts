/**
 * Nothing accepted is lost across a SIGKILL of the hub: a publisher process takes values and is killed
 * mid-stream, once while connected to a real Mosquitto and once while the broker is unreachable; a third
 * process on the same buffer file sends what is left. Every value the killed processes reported
 * accepted reaches the broker, in order (values cut before their PUBACK may come twice).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { get } from 'sparkplug-payload';
import { until } from '../erp/support/harness';
import { tempDir } from '../support/hub-process';
import { freePort } from '../support/opcua-server';
import { Mosquitto, collector } from './mosquitto';

const tahu = get('spBv1.0')!;
const n = (v: unknown): number => (typeof v === 'number' ? v : (v as { toNumber(): number }).toNumber());

interface Child {
  readonly lines: string[];
  kill(): Promise<void>;
}

function child(env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(__dirname, 'crash-child.ts')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let rest = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n');
    rest = parts.pop() ?? '';
    lines.push(...parts);
  });
  return {
    lines,
    kill: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGKILL');
      }),
  };
}

describe('UNS publisher: SIGKILL of the hub', function () {
  this.timeout(120_000);
  let broker: Mosquitto;
  after(async () => broker?.kill());

  it('loses no accepted value, killed while connected and while the broker is unreachable', async () => {
    broker = await Mosquitto.start();
    const { client, received } = await collector(broker.url, 'spBv1.0/plant1/#');
    const FILE = path.join(tempDir('uns-crash'), 'buffer.sqlite');

    const first = child({ BROKER_URL: broker.url, FILE, START: '1', COUNT: '100000' });
    await until(() => first.lines.length >= 300, 'the first 300 accepted', 60_000);
    await first.kill();
    const lastFirst = Number(first.lines.at(-1));

    const deadPort = await freePort();
    const second = child({ BROKER_URL: `mqtt://127.0.0.1:${deadPort}`, FILE, START: String(lastFirst + 1), COUNT: '100000' });
    await until(() => second.lines.length >= 300, '300 more accepted, broker unreachable', 60_000);
    await second.kill();
    const lastSecond = Number(second.lines.at(-1));

    const third = child({ BROKER_URL: broker.url, FILE, START: '0', COUNT: '0' });
    await until(() => third.lines.includes('drained'), 'the buffer drained', 60_000);
    await third.kill();
    client.end(true);

    const values = received
      .filter((r) => /\/(DDATA|DBIRTH)\//.test(r.topic))
      .flatMap((r) => (tahu.decodePayload(r.payload).metrics ?? []).map((m) => n(m.value)));
    const firsts: number[] = [];
    const seen = new Set<number>();
    for (const v of values) if (!seen.has(v)) seen.add(v), firsts.push(v);
    const accepted = Array.from({ length: lastSecond }, (_x, i) => i + 1);
    assert.deepEqual(accepted.filter((v) => !seen.has(v)), [], `every value up to ${lastSecond} (first process to ${lastFirst}) reached the broker`);
    // The births after a restart carry the current (newest) value: the order is that of the data messages.
    const dataFirsts: number[] = [];
    const dataSeen = new Set<number>();
    for (const r of received.filter((x) => x.topic.includes('/DDATA/'))) {
      for (const m of tahu.decodePayload(r.payload).metrics ?? []) {
        const v = n(m.value);
        if (!dataSeen.has(v)) dataSeen.add(v), dataFirsts.push(v);
      }
    }
    assert.deepEqual(dataFirsts, [...dataFirsts].sort((a, b) => a - b), 'in order');
  });
});
