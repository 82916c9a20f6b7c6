/**
 * A real hub for the crash tests: Node-RED started as a child process with the hub's settings
 * (settings/settings.js, logins and roles), loading the ERP nodes from their TypeScript sources through a
 * small node package made for the test (package.json listing fh-erp-connection and fh-erp-post, each
 * file a two-line wrapper that registers tsx and requires the source, with the .html, locales and icons
 * beside it). Unlike test/support/hub-process.ts it can be killed with SIGKILL.
 */
import { spawn } from 'node:child_process';
import bcrypt from 'bcryptjs';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Role } from '../../support/hub-process';
import { ROLE_PASSWORDS, SERVER_RUNNING, basicAuth, hubCertificate, repoRoot, tempDir } from '../../support/hub-process';
import { trustedFetch } from '../../support/https-fetch';

const NODES = ['erp-connection', 'erp-post'];

/**
 * The accounts' passwords as cheap bcrypt hashes (the settings accept a hash in HUB_<NAME>_PASSWORD):
 * hashing the plain passwords at the settings' cost would add seconds to every one of the many restarts.
 */
const HASHED = Object.fromEntries(Object.entries(ROLE_PASSWORDS).map(([role, pw]) => [`HUB_${role.toUpperCase()}_PASSWORD`, bcrypt.hashSync(pw, 4)]));

/** The test package of the ERP nodes (made once per test process). */
export function erpNodesPackage(): string {
  const dir = tempDir('erp-nodes');
  const src = path.join(repoRoot, 'nodes', 'erp');
  const nodes: Record<string, string> = {};
  for (const name of NODES) {
    nodes[`fh-${name}`] = `${name}.js`;
    fs.writeFileSync(path.join(dir, `${name}.js`), `require('tsx/cjs');\nmodule.exports = require(${JSON.stringify(path.join(src, `${name}.ts`))});\n`);
    fs.copyFileSync(path.join(src, `${name}.html`), path.join(dir, `${name}.html`));
  }
  fs.cpSync(path.join(src, 'locales'), path.join(dir, 'locales'), { recursive: true });
  fs.cpSync(path.join(repoRoot, 'nodes', 'icons'), path.join(dir, 'icons'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'fh-erp-under-test', version: '0.0.0', 'node-red': { nodes } }, null, 2));
  return dir;
}

export class ErpHub {
  private child: ChildProcessWithoutNullStreams | undefined;
  private output = '';
  url = '';
  starts = 0;

  constructor(
    readonly userDir: string,
    readonly nodesDir: string,
  ) {}

  get log(): string {
    return this.output;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(timeoutMs = 30_000): Promise<void> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HUB_USER_DIR: this.userDir,
      HUB_NODES_DIR: this.nodesDir,
      HUB_PORT: '0',
      HUB_HOST: '127.0.0.1',
      HUB_CREDENTIAL_SECRET: 'test-secret-not-for-production',
      ...HASHED,
    };
    const child = spawn(process.execPath, [require.resolve('node-red/red.js'), '--settings', path.join(repoRoot, 'settings', 'settings.js')], { cwd: repoRoot, env });
    this.child = child;
    this.starts++;
    const from = this.output.length;
    child.stdout.on('data', (c: Buffer) => (this.output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (this.output += c.toString()));
    this.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hub did not start within ${timeoutMs} ms:\n${this.output.slice(from)}`)), timeoutMs);
      const look = (): void => {
        const m = SERVER_RUNNING.exec(this.output.slice(from));
        if (m) {
          clearTimeout(timer);
          child.stdout.off('data', look);
          child.off('exit', exited);
          resolve(m[1]);
        }
      };
      const exited = (code: number | null): void => {
        clearTimeout(timer);
        reject(new Error(`hub exited with code ${code}:\n${this.output.slice(from)}`));
      };
      child.stdout.on('data', look);
      child.once('exit', exited);
    });
  }

  /** SIGKILL: no close handler runs, nothing is flushed. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** SIGTERM: Node-RED closes its nodes (our close handlers) and exits. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /** A request to this hub over HTTPS, trusting its certificate only (as HubProcess.fetch). */
  fetch(route: string, init: RequestInit = {}): Promise<Response> {
    return trustedFetch(`${this.url}${route}`, init, hubCertificate(this.userDir));
  }

  async token(role: Role): Promise<string> {
    const res = await this.fetch('/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-editor', grant_type: 'password', scope: '', username: role, password: ROLE_PASSWORDS[role] }),
    });
    if (res.status !== 200) throw new Error(`login as ${role}: HTTP ${res.status}`);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  api(token: string, method: string, route: string, body?: unknown): Promise<Response> {
    return this.fetch(route, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  async deploy(flows: unknown[]): Promise<void> {
    const res = await this.api(await this.token('admin'), 'POST', '/flows', flows);
    if (res.status !== 204 && res.status !== 200) throw new Error(`deploy: HTTP ${res.status} ${await res.text()}`);
  }
}

export { basicAuth };
