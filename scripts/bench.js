'use strict';
// `npm run bench` runs every benchmark in bench/; `npm run bench -- NAME` runs bench/NAME.ts only.
// Each prints its figures and ends with one line: BENCH <name> <metric>=<ours> peer_<metric>=<theirs> ratio=...
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const dir = path.resolve(__dirname, '..', 'bench');
const wanted = process.argv.slice(2);
const all = fs.readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace(/\.bench\.ts$/, ''));
const chosen = wanted.length ? wanted : all;
const unknown = chosen.filter((name) => !all.includes(name));
if (unknown.length) {
  console.error(`bench: no benchmark named ${unknown.join(', ')}; have: ${all.join(', ') || 'none yet'}`);
  process.exit(2);
}
if (!chosen.length) console.log('bench: no benchmarks yet');
for (const name of chosen) {
  console.log(`\n== ${name}`);
  execFileSync(process.execPath, ['--import', 'tsx', path.join(dir, `${name}.bench.ts`)], { stdio: 'inherit', cwd: path.dirname(dir) });
}
