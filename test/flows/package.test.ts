/**
 * The flow check as users get it: the `factoryhub-flow-check` bin of the packed package, compiled by
 * the build into dist/tools/, runs from the unpacked package (as npm links it after an install) with
 * no TypeScript tooling. Needs `npm run build` first (npm test runs it).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, tempDir } from '../support/hub-process';

const BIN = 'factoryhub-flow-check';
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { bin?: Record<string, string>; scripts?: Record<string, string> };

describe('package: the flow check command', function () {
  this.timeout(120000);

  it(`declares the ${BIN} bin, built to dist/tools/flow-check/cli.js`, () => {
    assert.equal(pkg.bin?.[BIN], 'dist/tools/flow-check/cli.js', `package.json "bin": {"${BIN}": "dist/tools/flow-check/cli.js"}`);
    const built = path.join(repoRoot, pkg.bin[BIN]);
    assert.ok(fs.existsSync(built), `${pkg.bin[BIN]} is built (tsconfig.build.json "include" needs "tools/**/*.ts"; then npm run build)`);
    assert.match(fs.readFileSync(built, 'utf8'), /^#!\/usr\/bin\/env node\n/, 'starts with a shebang');
  });

  it('ships the command in the tarball, and the unpacked command checks and formats flows', () => {
    const work = tempDir('flow-check-pack');
    const tarball = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], { cwd: repoRoot, encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop() as string;
    execFileSync('tar', ['xzf', path.join(work, tarball), '-C', work]);
    const cli = path.join(work, 'package', pkg.bin?.[BIN] ?? 'dist/tools/flow-check/cli.js');
    assert.ok(fs.existsSync(cli), `the tarball holds ${pkg.bin?.[BIN]} (package.json "files" needs "dist/tools/")`);

    const demo = path.join(repoRoot, 'flows', 'demo-line.json');
    const check = spawnSync(process.execPath, [cli, '--json', demo], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.equal((JSON.parse(check.stdout) as { ok: boolean }).ok, true);
    const broken = spawnSync(process.execPath, [cli, path.join(__dirname, 'fixtures', 'broken.json')], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(broken.status, 1, broken.stderr);
    const format = spawnSync(process.execPath, [cli, '--format', demo], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(format.status, 0, format.stderr);
    assert.match(format.stdout, /^\[\n {4}\{\n {8}"id": "f4c70e0000000001",\n {8}"type": "tab",/);
  });

  it('has an npm script for the examples', () => {
    assert.match(pkg.scripts?.['check:flows'] ?? '', /tools\/flow-check\/cli\.js .*flows/, 'package.json "scripts": {"check:flows": "node dist/tools/flow-check/cli.js --examples flows/"}');
  });
});
