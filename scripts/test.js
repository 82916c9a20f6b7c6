'use strict';
// The test suite in parallel: most test files wait on devices, timers, child hubs and a browser, not on the
// CPU, so the files are split between TEST_JOBS mocha processes (default 3), balanced by the time each file
// took when last recorded (test/durations.json). Separate processes rather than mocha --parallel: a worker
// of that hung in this suite (it reuses one process for many files, and some files leave servers to --exit).
// Each job's report goes to test-artifacts/test-job-N.log and is printed whole when the job ends; the run
// fails if any job fails. `node scripts/test.js --record` also writes the times measured to test/durations.json.
// Files may be named on the command line to run only those (still split between jobs).
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const artifacts = path.join(root, 'test-artifacts');
const durationsFile = path.join(root, 'test', 'durations.json');
const record = process.argv.includes('--record');
const named = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const jobs = Math.max(1, Number.parseInt(process.env.TEST_JOBS ?? '3', 10) || 3);

/** @param {string} dir @returns {string[]} repository-relative paths with forward slashes */
function testFiles(dir) {
  /** @type {string[]} */
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(full));
    else if (entry.name.endsWith('.test.ts')) out.push(path.relative(root, full).split(path.sep).join('/'));
  }
  return out.sort();
}

/** Longest first, each to the job with the least time so far. @param {string[]} files */
function split(files) {
  /** @type {Record<string, number>} */
  const known = fs.existsSync(durationsFile) ? JSON.parse(fs.readFileSync(durationsFile, 'utf8')) : {};
  const guess = 10; // seconds, for a file not yet recorded
  const time = (/** @type {string} */ f) => known[f] ?? guess;
  const shards = Array.from({ length: Math.min(jobs, files.length) }, () => ({ files: /** @type {string[]} */ ([]), seconds: 0 }));
  for (const file of [...files].sort((a, b) => time(b) - time(a))) {
    const shard = shards.reduce((least, s) => (s.seconds < least.seconds ? s : least));
    shard.files.push(file);
    shard.seconds += time(file);
  }
  return shards;
}

/** The options of .mocharc.json, given on the command line so that only the job's files run. */
function mochaArgs() {
  const rc = JSON.parse(fs.readFileSync(path.join(root, '.mocharc.json'), 'utf8'));
  const args = ['--no-config'];
  for (const r of rc.require ?? []) args.push('--require', r);
  for (const e of rc.extension ?? []) args.push('--extension', e);
  if (rc.timeout !== undefined) args.push('--timeout', String(rc.timeout));
  if (rc.exit) args.push('--exit');
  args.push('--reporter', path.join(root, 'test', 'support', 'timing-reporter.js'));
  return args;
}

/** @param {{files: string[], seconds: number}} shard @param {number} index @returns {Promise<{code: number, log: string, timings: string}>} */
function run(shard, index) {
  const log = path.join(artifacts, `test-job-${index + 1}.log`);
  const timings = path.join(artifacts, `test-job-${index + 1}.durations.json`);
  fs.rmSync(timings, { force: true });
  const out = fs.openSync(log, 'w');
  const child = spawn(process.execPath, [require.resolve('mocha/bin/mocha.js'), ...mochaArgs(), ...shard.files], {
    cwd: root,
    stdio: ['ignore', out, out],
    // TEST_JOB lets a file keep per-job copies of state it would otherwise share with a file in another job.
    // HUB_BUILD=0 and FACTORYHUB_TEST_RUN: nothing a test starts may rebuild dist/ (npm test built it), as a rebuild
    // empties it under the hubs of the other jobs; scripts/build.js refuses and names who asked.
    env: { ...process.env, TEST_JOB: String(index + 1), TEST_TIMINGS: timings, HUB_BUILD: '0', FACTORYHUB_TEST_RUN: '1' },
  });
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      fs.closeSync(out);
      resolve({ code: code ?? (signal ? 1 : 0), log, timings });
    });
  });
}

async function main() {
  fs.mkdirSync(artifacts, { recursive: true });
  const all = testFiles(path.join(root, 'test'));
  const files = named.length > 0 ? named.map((f) => path.relative(root, path.resolve(f)).split(path.sep).join('/')) : all;
  const shards = split(files);
  const started = Date.now();
  console.log(`Running ${files.length} test files in ${shards.length} parallel jobs (TEST_JOBS=${jobs}); reports in test-artifacts/test-job-N.log`);
  shards.forEach((s, i) => console.log(`  job ${i + 1}: ${s.files.length} files, about ${Math.round(s.seconds)} s by the last recorded times`));
  const results = await Promise.all(
    shards.map((shard, i) =>
      run(shard, i).then((result) => {
        console.log(`\n===== job ${i + 1} (${shard.files.length} files) ended with code ${result.code} after ${Math.round((Date.now() - started) / 1000)} s =====`);
        process.stdout.write(fs.readFileSync(result.log, 'utf8'));
        return result;
      }),
    ),
  );
  const failed = results.filter((r) => r.code !== 0).length;
  const count = (/** @type {string} */ word) =>
    results.reduce((sum, r) => sum + Number((fs.readFileSync(r.log, 'utf8').match(new RegExp(`^ +(\\d+) ${word}\\b`, 'm')) ?? [0, 0])[1]), 0);
  console.log(`\nTotal: ${count('passing')} passing, ${count('failing')} failing, ${count('pending')} pending.`);
  console.log(`\n${failed === 0 ? 'All' : `${failed} of`} ${results.length} jobs ${failed === 0 ? 'passed' : 'failed'} in ${Math.round((Date.now() - started) / 1000)} s.`);
  if (record) {
    /** @type {Record<string, number>} */
    const merged = fs.existsSync(durationsFile) && named.length > 0 ? JSON.parse(fs.readFileSync(durationsFile, 'utf8')) : {};
    for (const r of results) if (fs.existsSync(r.timings)) Object.assign(merged, JSON.parse(fs.readFileSync(r.timings, 'utf8')));
    const sorted = Object.fromEntries(Object.keys(merged).filter((f) => all.includes(f)).sort().map((f) => [f, merged[f]]));
    fs.writeFileSync(durationsFile, JSON.stringify(sorted, null, 2) + '\n');
    console.log(`Recorded the times of ${Object.keys(sorted).length} files in test/durations.json.`);
  }
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
