/**
 * The package installs into an existing Node-RED user directory the way users install nodes
 * (`npm install <tarball>` in ~/.node-red, production dependencies only, outside this repository),
 * and a plain Node-RED 4 started on that directory, with its own settings, loads every node.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../support/hub-process';

interface NodeSet {
  id: string;
  module: string;
  types: string[];
  err?: string;
}

const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  'node-red': { nodes: Record<string, string> };
};

describe('package: npm install into an existing Node-RED user directory', function () {
  this.timeout(240000);
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fh-user-'));
  let red: ReturnType<typeof spawn> | undefined;
  let log = '';

  after(async () => {
    if (red && red.exitCode === null) {
      await new Promise<void>((resolve) => {
        red!.once('exit', () => resolve());
        red!.kill('SIGTERM');
      });
    }
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('installs from the packed tarball with production dependencies only', () => {
    const tarball = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', userDir], { cwd: repoRoot, encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop()!;
    // What Node-RED creates in a new user directory.
    fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }));
    fs.writeFileSync(path.join(userDir, 'settings.js'), "module.exports = { uiHost: '127.0.0.1', uiPort: 0, flowFile: 'flows.json' };\n");
    // Native dependencies normally arrive as prebuilt binaries (or build in about a minute); the test
    // skips install scripts and copies this checkout's binaries (same platform and Node ABI) instead.
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', '--prefer-offline', '--ignore-scripts', path.join(userDir, tarball)], {
      cwd: userDir,
      stdio: 'pipe',
    });
    for (const native of ['better-sqlite3/build/Release/better_sqlite3.node']) {
      const from = path.join(repoRoot, 'node_modules', native);
      const to = path.join(userDir, 'node_modules', native);
      if (fs.existsSync(path.dirname(path.dirname(path.dirname(to))))) {
        fs.mkdirSync(path.dirname(to), { recursive: true });
        fs.copyFileSync(from, to);
      }
    }
    const installed = path.join(userDir, 'node_modules', ...pkg.name.split('/'));
    assert.ok(fs.existsSync(path.join(installed, 'package.json')));
    const deps = (JSON.parse(fs.readFileSync(path.join(userDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies;
    assert.ok(deps[pkg.name], 'recorded in the user directory like a palette install');
    assert.ok(!fs.existsSync(path.join(userDir, 'node_modules', 'node-red')), 'does not drag in a second Node-RED');
  });

  it('loads every node type in a plain Node-RED 4 started on that directory', async () => {
    red = spawn(process.execPath, [require.resolve('node-red/red.js'), '-u', userDir, '-s', path.join(userDir, 'settings.js')], { cwd: userDir });
    red.stdout!.on('data', (c: Buffer) => (log += c.toString()));
    red.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Node-RED did not start:\n${log}`)), 60000);
      const look = (): void => {
        const m = /Server now running at (http:\/\/\S+?)\/?\s/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      red!.stdout!.on('data', look);
    });
    const sets = (await (await fetch(`${url}/nodes`, { headers: { accept: 'application/json' } })).json()) as NodeSet[];
    const ours = sets.filter((s) => s.module === pkg.name);
    assert.deepEqual(ours.map((s) => s.id.split('/').pop()).sort(), Object.keys(pkg['node-red'].nodes).sort());
    for (const s of ours) assert.equal(s.err, undefined, `${s.id}: ${s.err}`);
    assert.doesNotMatch(log, /\[error\]/);
  });
});
