/**
 * A real hub for tests: Node-RED 4 started as a child process with settings/settings.js, exactly as
 * `npm start` runs it, on 127.0.0.1 and an ephemeral port, with its own user directory, serving HTTPS
 * (unless the test sets HUB_HTTP=1). Tests trust exactly that hub's certificate, nothing else.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { certificateFile } from '../../settings/tls';
import type { RawAnswer } from './https-fetch';
import { rawRequest, spkiHash, trustedFetch } from './https-fetch';

export const repoRoot = path.resolve(__dirname, '..', '..');

export interface HubOptions {
  /** User directory (created if missing); kept between start() calls so restarts can be tested. */
  readonly userDir: string;
  /** Directory of the package whose nodes are loaded (default: the repository). */
  readonly nodesDir?: string;
  readonly env?: Record<string, string>;
}

export const ROLE_PASSWORDS = {
  admin: `admin-${randomBytes(6).toString('hex')}`,
  integrator: `integrator-${randomBytes(6).toString('hex')}`,
  technician: `technician-${randomBytes(6).toString('hex')}`,
  operator: `operator-${randomBytes(6).toString('hex')}`,
} as const;

export type Role = keyof typeof ROLE_PASSWORDS;

/** Node-RED's line once it listens; the URL is the hub's base (no trailing slash). */
export const SERVER_RUNNING = /Server now running at (https?:\/\/\S+?)\/?\s/;

/**
 * The certificate a hub with this user directory and environment serves (HUB_TLS_CERT, or the one it
 * generated in its user directory), undefined for plain HTTP or before the hub made it.
 */
export function hubCertificate(userDir: string, env: Record<string, string | undefined> = {}): Buffer | undefined {
  const where = certificateFile({ userDir, env });
  if (!where) return undefined;
  try {
    return fs.readFileSync(where.file);
  } catch {
    return undefined;
  }
}

export class HubProcess {
  private child: ChildProcessWithoutNullStreams | undefined;
  private output = '';
  private exit_: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  url = '';

  constructor(readonly options: HubOptions) {}

  /** Process id of the running hub (for CPU and memory readings), undefined when stopped. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** How the last started hub process ended (exit code or signal), undefined while it runs or before a start. */
  get exit(): { readonly code: number | null; readonly signal: NodeJS.Signals | null } | undefined {
    return this.exit_;
  }

  /** Whether the hub process is up (started and not exited). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Everything the hub printed so far. */
  get log(): string {
    return this.output;
  }

  async start(timeoutMs = 30000): Promise<void> {
    fs.mkdirSync(this.options.userDir, { recursive: true });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      HUB_USER_DIR: this.options.userDir,
      HUB_NODES_DIR: this.options.nodesDir ?? repoRoot,
      HUB_PORT: '0',
      HUB_HOST: '127.0.0.1',
      HUB_CREDENTIAL_SECRET: 'test-secret-not-for-production',
      HUB_ADMIN_PASSWORD: ROLE_PASSWORDS.admin,
      HUB_INTEGRATOR_PASSWORD: ROLE_PASSWORDS.integrator,
      HUB_TECHNICIAN_PASSWORD: ROLE_PASSWORDS.technician,
      HUB_OPERATOR_PASSWORD: ROLE_PASSWORDS.operator,
      ...this.options.env,
    };
    const red = require.resolve('node-red/red.js');
    const child = spawn(process.execPath, [red, '--settings', path.join(repoRoot, 'settings', 'settings.js')], {
      cwd: repoRoot,
      env,
    });
    this.child = child;
    this.exit_ = undefined;
    child.once('exit', (code, signal) => {
      this.exit_ = { code, signal };
    });
    const collect = (chunk: Buffer): void => {
      this.output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const from = this.output.length;
    this.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hub did not start within ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      const look = (): void => {
        const m = SERVER_RUNNING.exec(this.output.slice(from));
        if (m) {
          clearTimeout(timer);
          child.stdout.off('data', look);
          resolve(m[1]);
        }
      };
      child.stdout.on('data', look);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`hub exited with code ${code}:\n${this.output}`));
      });
    });
  }

  /** Waits until the log, from `from` on, matches `re`. */
  async waitForLog(re: RegExp, from = 0, timeoutMs = 15000): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const m = re.exec(this.output.slice(from));
      if (m) return m[0];
      if (Date.now() > until) throw new Error(`log never matched ${re}:\n${this.output.slice(from)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 15000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }

  /**
   * A request to this hub: every test reaches the hub through here, so how the hub is reached (scheme,
   * which certificate is trusted) is decided in one place.
   */
  fetch(route: string, init: RequestInit = {}): Promise<Response> {
    return trustedFetch(`${this.url}${route}`, init, this.certificate());
  }

  /** A request fetch() refuses to make (a body on GET), through the same trust; the answer in full. */
  request(method: string, route: string, headers: Record<string, string> = {}, body?: string): Promise<RawAnswer> {
    const ca = this.certificate();
    return rawRequest(`${this.url}${route}`, { method, headers, ...(body !== undefined ? { body } : {}), ...(ca ? { ca } : {}) });
  }

  /**
   * The certificate this hub serves (read now: a test may replace it), undefined on plain HTTP.
   */
  certificate(): Buffer | undefined {
    return this.url.startsWith('https:') ? hubCertificate(this.options.userDir, { ...process.env, ...this.options.env }) : undefined;
  }

  /**
   * Chromium arguments that trust this hub's certificate, and only it, by its public key (never
   * ignoreHTTPSErrors): give them to chromium.launch after the hub has started.
   */
  browserArgs(): string[] {
    const cert = this.certificate();
    return cert ? [`--ignore-certificate-errors-spki-list=${spkiHash(cert)}`] : [];
  }

  /** An editor access token for a role's account. */
  async login(role: Role): Promise<string> {
    const res = await this.fetch('/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_id: 'node-red-editor',
        grant_type: 'password',
        scope: '',
        username: role,
        password: ROLE_PASSWORDS[role],
      }),
    });
    if (res.status !== 200) throw new Error(`login as ${role} failed: HTTP ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { access_token: string };
    return body.access_token;
  }

  /** Admin API call with a bearer token. */
  api(token: string | undefined, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return this.fetch(route, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
}

export function basicAuth(role: Role): string {
  return `Basic ${Buffer.from(`${role}:${ROLE_PASSWORDS[role]}`).toString('base64')}`;
}

/** A fresh directory under the repository's .tmp/ (inside the repo so packages resolve from its node_modules). */
export function tempDir(name: string): string {
  const dir = path.join(repoRoot, '.tmp', `${name}-${process.pid}-${randomBytes(3).toString('hex')}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
