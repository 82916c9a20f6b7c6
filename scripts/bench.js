'use strict';
// `npm run bench` runs every benchmark in bench/; `npm run bench -- NAME` runs bench/NAME.bench.ts only.
// Each prints its figures and ends with one line: BENCH <name> <metric>=<ours> peer_<metric>=<theirs> ratio=...
//
// The peers a benchmark compares against are bench/'s own dependencies (bench/package.json), never the
// hub's: Node-RED loads every node package in the node_modules it lives in. They are installed here with
// `npm ci` in bench/ when bench/node_modules is missing or older than bench/package-lock.json.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const dir = path.resolve(__dirname, '..', 'bench');
const wanted = process.argv.slice(2);
const all = fs.readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace(/\.bench\.ts$/, ''));
// Benchmarks that measure only the hub (no peer to install) and the soak, which runs for half an hour
// and so is run only by name.
const OWN_ONLY = ['soak', 'oee', 'oee-hub', 'kpi-store'];
const chosen = wanted.length ? wanted : all.filter((name) => name !== 'soak');
const unknown = chosen.filter((name) => !all.includes(name));
if (unknown.length) {
  console.error(`bench: no benchmark named ${unknown.join(', ')}; have: ${all.join(', ') || 'none yet'}`);
  process.exit(2);
}
if (!chosen.length) console.log('bench: no benchmarks yet');

/** True when bench/ has dependencies that npm has not installed (yet, or since its lock file changed). */
function benchDependenciesMissing() {
  const lock = path.join(dir, 'package-lock.json');
  // npm writes node_modules/.package-lock.json on every install; a node_modules without it is not one.
  const installed = path.join(dir, 'node_modules', '.package-lock.json');
  if (!fs.existsSync(lock)) return false;
  return !fs.existsSync(installed) || fs.statSync(installed).mtimeMs < fs.statSync(lock).mtimeMs;
}

if (chosen.some((name) => !OWN_ONLY.includes(name)) && benchDependenciesMissing()) {
  console.log('bench: installing the peers of bench/package.json (npm ci in bench/)');
  const args = ['ci', '--no-audit', '--no-fund'];
  // Under `npm run`, use the npm that runs us (node_modules/.bin may hold another npm, pulled in by a dependency).
  const npmCli = process.env.npm_execpath;
  if (npmCli && /npm-cli\.js$/.test(npmCli)) execFileSync(process.execPath, [npmCli, ...args], { stdio: 'inherit', cwd: dir });
  else execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { stdio: 'inherit', cwd: dir, shell: process.platform === 'win32' });
}

for (const name of chosen) {
  console.log(`\n== ${name}`);
  execFileSync(process.execPath, ['--import', 'tsx', path.join(dir, `${name}.bench.ts`)], { stdio: 'inherit', cwd: path.dirname(dir) });
}
