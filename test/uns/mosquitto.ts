/**
 * Real Mosquitto brokers for the UNS tests: each on a free loopback port with its own config, killed
 * (SIGKILL, as a crash) and started again on the same port for fault cases. And a test client that
 * collects what a broker delivers.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { tempDir } from '../support/hub-process';
import { freePort } from '../support/opcua-server';

const BINARY = '/usr/sbin/mosquitto';

export class Mosquitto {
  private proc: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly conf: string,
  ) {}

  static async start(extraConfig = ''): Promise<Mosquitto> {
    const port = await freePort();
    const dir = tempDir('mosquitto');
    const conf = path.join(dir, 'mosquitto.conf');
    fs.writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n${extraConfig}`);
    const m = new Mosquitto(port, conf);
    await m.restart();
    return m;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Starts the broker (again) and resolves when it accepts connections. */
  async restart(): Promise<void> {
    const proc = spawn(BINARY, ['-c', this.conf], { stdio: 'ignore' });
    this.proc = proc;
    const end = Date.now() + 10_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`mosquitto exited with ${proc.exitCode}`);
      const up = await new Promise<boolean>((resolve) => {
        const s = net.connect(this.port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
      if (up) return;
      if (Date.now() > end) throw new Error(`mosquitto did not listen on ${this.port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGKILL: a crash, nothing flushed, every connection cut. */
  async kill(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  }
}

export interface Received {
  readonly topic: string;
  readonly payload: Buffer;
  readonly retain: boolean;
}

/** A client subscribed to `filter` that keeps every message; resolves once the subscription holds. */
export async function collector(url: string, filter: string): Promise<{ client: MqttClient; received: Received[] }> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, clean: true });
  const received: Received[] = [];
  client.on('message', (topic, payload, packet) => received.push({ topic, payload, retain: packet.retain }));
  await new Promise<void>((resolve, reject) => {
    client.once('error', reject);
    client.once('connect', () => client.subscribe(filter, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  });
  client.on('error', () => undefined);
  return { client, received };
}
