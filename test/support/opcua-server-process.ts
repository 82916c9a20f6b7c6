/**
 * The OPC UA test server in a child process, for tests that must crash it (SIGKILL) and start it again
 * on the same port, as a PLC or SCADA server restart looks to the hub.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { testPki } from './opcua-pki';

export class OpcUaServerProcess {
  private child: ChildProcess | undefined;
  private output = '';

  constructor(readonly port: number) {}

  get url(): string {
    return `opc.tcp://127.0.0.1:${this.port}`;
  }

  get log(): string {
    return this.output;
  }

  async start(timeoutMs = 30000): Promise<void> {
    await testPki(); // made here, not raced by the child
    const child = fork(path.join(__dirname, 'opcua-server-main.ts'), [], {
      execArgv: ['-r', 'tsx/cjs'],
      env: { ...process.env, OPCUA_TEST_PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`test server did not start within ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      child.once('message', (m: { ready?: string; error?: string }) => {
        clearTimeout(timer);
        if (m.ready) resolve();
        else reject(new Error(`test server failed: ${m.error ?? 'unknown'}`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`test server exited with ${String(code)}:\n${this.output}`));
      });
    });
  }

  /** SIGKILL: no goodbye to the clients, sessions and subscriptions lost. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }
}
