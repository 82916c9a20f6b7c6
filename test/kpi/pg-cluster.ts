/**
 * A PostgreSQL cluster of the test's own (initdb, pg_ctl of the installed PostgreSQL) on a free port, so
 * that a test may stop the server and start it again. Runs as the postgres user when the tests run as root
 * (PostgreSQL refuses to run as root).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (fs.existsSync(path.join(root, v, 'bin', 'pg_ctl'))) return path.join(root, v, 'bin');
  throw new Error('no PostgreSQL installation under /usr/lib/postgresql');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export class PgCluster {
  private readonly bin = binDir();
  readonly dir: string;
  private readonly asRoot = process.getuid?.() === 0;

  private constructor(readonly port: number) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kpi-pg-'));
    if (this.asRoot) execFileSync('chown', ['postgres:postgres', this.dir]);
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}`;
  }

  private exec(tool: string, args: readonly string[]): void {
    const cmd = path.join(this.bin, tool);
    if (this.asRoot) execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
    else execFileSync(cmd, [...args], { stdio: 'pipe' });
  }

  static async create(): Promise<PgCluster> {
    const c = new PgCluster(await freePort());
    c.exec('initdb', ['-D', path.join(c.dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
    c.start();
    return c;
  }

  start(): void {
    const opts = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off`;
    this.exec('pg_ctl', ['-D', path.join(this.dir, 'data'), '-o', opts, '-l', path.join(this.dir, 'log'), '-w', 'start']);
  }

  /** mode immediate: the server dies as in a crash (no checkpoint, connections cut). */
  stop(mode: 'fast' | 'immediate' = 'immediate'): void {
    this.exec('pg_ctl', ['-D', path.join(this.dir, 'data'), '-m', mode, '-w', 'stop']);
  }

  destroy(): void {
    try {
      this.stop('immediate');
    } catch {
      // already stopped
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
