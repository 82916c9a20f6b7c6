'use strict';
// `npm run seed-demo -- [--weeks 4] [--seed 1] [--until YYYY-MM-DD] [--file PATH]`: fills the demo's KPI store
// (SQLite, <user dir>/factoryhub/kpi/kpi.sqlite, as flows/demo-line.json's fh-kpi-store keeps it) with weeks of
// simulated history of the demo line, ending the night before --until (default: today in Europe/Berlin).
// Deterministic: the same seed, weeks and --until give the same store. Runs with the hub stopped or running.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const ZONE = 'Europe/Berlin';

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {Record<string, string>} */
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--(weeks|seed|until|file)$/.exec(argv[i]);
    if (!m || argv[i + 1] === undefined) throw new Error(`seed-demo: unknown or incomplete option ${argv[i]}; use --weeks N --seed N --until YYYY-MM-DD --file PATH`);
    out[m[1]] = argv[++i];
  }
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const weeks = Number(args.weeks ?? 4);
  const seed = Number(args.seed ?? 1);
  if (!Number.isSafeInteger(weeks) || weeks < 1 || weeks > 520) throw new Error(`seed-demo: --weeks must be a whole number from 1 to 520, not ${args.weeks}`);
  if (!Number.isSafeInteger(seed)) throw new Error(`seed-demo: --seed must be a whole number, not ${args.seed}`);
  if (!fs.existsSync(path.join(root, 'dist', 'simulator', 'seed-history.js'))) {
    if (process.env.HUB_BUILD === '0') throw new Error('seed-demo: dist/ is not built (HUB_BUILD=0): run npm run build first');
    execFileSync(process.execPath, [path.join(__dirname, 'build.js')], { stdio: 'inherit' });
  }
  const { DAY_MS, fromWall, localDay, parseDay } = require(path.join(root, 'dist', 'nodes', 'oee', 'time-zone.js'));
  const { SqliteKpiStore } = require(path.join(root, 'dist', 'nodes', 'kpi', 'sqlite-store.js'));
  const { DEFAULT_FILE } = require(path.join(root, 'dist', 'nodes', 'kpi', 'store-config.js'));
  const { seedHistory } = require(path.join(root, 'dist', 'simulator', 'seed-history.js'));
  const untilDay = args.until === undefined ? localDay(ZONE, Date.now()) : parseDay(args.until);
  if (untilDay === undefined) throw new Error(`seed-demo: --until must be a date YYYY-MM-DD, not ${args.until}`);
  const userDir = path.resolve(process.env.HUB_USER_DIR || path.join(root, 'data'));
  const file = path.resolve(args.file ?? path.join(userDir, DEFAULT_FILE));
  // The rows' write times are the end of the history, not the clock: two runs give the same store.
  const end = fromWall(ZONE, untilDay * DAY_MS);
  const store = new SqliteKpiStore(file, () => end);
  try {
    const r = await seedHistory(store, { seed, weeks, untilDay });
    console.log(`seed-demo: ${weeks} weeks (seed ${seed}) up to ${new Date(end).toISOString()}: ${r.shifts} shifts, ${r.stops} stops written to ${file}`);
  } finally {
    await store.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
