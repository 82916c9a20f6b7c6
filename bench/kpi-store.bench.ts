/**
 * KPI store benchmark (`npm run bench -- kpi-store`).
 *
 * 1. A year of history for 50 machines (3 shifts a day, 30 stops per machine and shift, each with a
 *    reason: a stop row and a reason-history row) written through KpiStore.write in batches of 500
 *    records, as the queue's pump writes them; per back end: the write rate and the store size.
 * 2. Queries on that year (after ANALYZE, as autovacuum keeps the statistics): Pareto by reason for one
 *    month and OEE by day for the whole year, for one machine and for the plant (median of 5 runs).
 *    Target: each under 200 ms.
 * 3. Tag samples: 500 machines at one sample per second for an hour through the downsampler and the
 *    durable queue (what fh-kpi-write does): samples per second taken, against the 500 needed.
 *
 * BENCH_MACHINES (50), BENCH_DAYS (365), BENCH_STOPS (30), BENCH_BACKENDS (sqlite,postgres). Deterministic
 * (seeded). PostgreSQL: a database of its own on 127.0.0.1:5432, dropped at the end. No peer to compare.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { recordsOfOee } from '../nodes/kpi/from-oee';
import { PostgresKpiStore } from '../nodes/kpi/postgres-store';
import { runQuery } from '../nodes/kpi/queries';
import { parseQuery } from '../nodes/kpi/query-types';
import { KpiQueue } from '../nodes/kpi/queue';
import type { KpiRecord } from '../nodes/kpi/records';
import { Sampler } from '../nodes/kpi/sampler';
import { SqliteKpiStore } from '../nodes/kpi/sqlite-store';
import type { KpiStore } from '../nodes/kpi/store';
import { fromWall, formatDay, parseDay, DAY_MS } from '../nodes/oee/time-zone';
import { shiftEnd, stopEvent } from '../test/kpi/fixtures';
import { Random } from '../simulator/random';

const MACHINES = Number(process.env.BENCH_MACHINES ?? 50);
const DAYS = Number(process.env.BENCH_DAYS ?? 365);
const STOPS = Number(process.env.BENCH_STOPS ?? 30);
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'sqlite,postgres').split(',');
const ZONE = 'Europe/Berlin';
const FIRST_DAY = parseDay('2025-01-01') ?? 0;
const HOUR = 3_600_000;
const REASONS = [
  { id: 'jam', category: 'Mechanical', name: 'Jam' },
  { id: 'motor', category: 'Mechanical', name: 'Motor overload' },
  { id: 'material', category: 'Logistics', name: 'Low material' },
  { id: 'label', category: 'Quality', name: 'Label misplaced' },
  { id: 'clean', category: 'Organisation', name: 'Cleaning' },
];


const machine = (m: number): string => `acme/pack/line${1 + (m % 5)}/m${String(m).padStart(3, '0')}`;

/** The records of one day of every machine. */
function day(d: number, rnd: () => number): KpiRecord[] {
  const out: KpiRecord[] = [];
  const date = formatDay(FIRST_DAY + d);
  const midnight = fromWall(ZONE, (FIRST_DAY + d) * DAY_MS);
  for (let m = 0; m < MACHINES; m++) {
    const name = machine(m);
    for (const [s, label] of ['Early', 'Late', 'Night'].entries()) {
      const start = midnight + (6 + 8 * s) * HOUR;
      const shift = { id: `${date}/${label}`, name: label, start, end: start + 8 * HOUR };
      let downtime = 0;
      for (let i = 0; i < STOPS; i++) {
        const at = start + Math.floor(((i + rnd()) * 7.5 * HOUR) / STOPS);
        const len = 10_000 + Math.floor(rnd() * 600_000);
        downtime += len;
        const reason = REASONS[Math.floor(rnd() * REASONS.length)];
        out.push(...(recordsOfOee(stopEvent('stop-end', name, { id: d * 1000 + s * 100 + i, shiftId: shift.id, start: at, end: at + len, reason, kind: len < 300_000 ? 'small-stop' : 'downtime' }), ZONE) ?? []));
      }
      const ppt = 7.5 * HOUR;
      const run = Math.max(HOUR, ppt - downtime);
      const total = Math.floor((run / 1000) * (0.7 + 0.25 * rnd()));
      out.push(...(recordsOfOee(shiftEnd(name, shift, { ppt, run, net: total * 1000, total, good: total - Math.floor(total * 0.02 * rnd()) }), ZONE) ?? []));
    }
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeQuery(store: KpiStore, q: Record<string, unknown>): Promise<{ ms: number; rows: number }> {
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    const r = await runQuery(store, parseQuery(q, ZONE), ZONE);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    rows = r.rows.length;
  }
  return { ms: median(times), rows };
}

async function bench(name: string, store: KpiStore, size: () => Promise<number>): Promise<Record<string, number>> {
  await store.migrate();
  // The simulator's seeded generator: the same history on every run.
  const generator = new Random(42, 'kpi-store bench');
  const rnd = (): number => generator.next();
  let records = 0;
  let writeMs = 0;
  for (let d = 0; d < DAYS; d++) {
    const batch = day(d, rnd);
    const t = process.hrtime.bigint();
    for (let i = 0; i < batch.length; i += 500) await store.write(batch.slice(i, i + 500));
    writeMs += Number(process.hrtime.bigint() - t) / 1e6;
    records += batch.length;
    if ((d + 1) % 73 === 0) console.log(`  ${name}: day ${d + 1}/${DAYS}, ${records} records, ${Math.round(records / (writeMs / 1000))} records/s`);
  }
  // Planner statistics, as PostgreSQL's autovacuum (and SQLite's ANALYZE) keep them on a store that
  // grows by the day; right after a bulk load of a year they are missing.
  await store.run('ANALYZE');
  const mb = (await size()) / 1024 / 1024;
  const month = { from: formatDay(FIRST_DAY + 150), to: formatDay(FIRST_DAY + 181) };
  const year = { from: formatDay(FIRST_DAY), to: formatDay(FIRST_DAY + DAYS) };
  const q = {
    paretoMachine: await timeQuery(store, { type: 'pareto', ...month, machine: machine(7) }),
    paretoPlant: await timeQuery(store, { type: 'pareto', ...month }),
    oeeDayMachine: await timeQuery(store, { type: 'oee', by: 'machine', period: 'day', ...year, machine: machine(7) }),
    oeeDayPlant: await timeQuery(store, { type: 'oee', by: 'plant', period: 'day', ...year }),
  };
  console.log(`  ${name}: ${records} records in ${(writeMs / 1000).toFixed(1)} s = ${Math.round(records / (writeMs / 1000))} records/s; store ${mb.toFixed(0)} MB`);
  for (const [k, v] of Object.entries(q)) console.log(`  ${name}: ${k} ${v.ms.toFixed(1)} ms (${v.rows} rows)`);
  return { records_per_s: Math.round(records / (writeMs / 1000)), store_mb: Math.round(mb), ...Object.fromEntries(Object.entries(q).map(([k, v]) => [`${k}_ms`, Number(v.ms.toFixed(1))])) };
}

async function samples(dir: string): Promise<number> {
  const store = new SqliteKpiStore(path.join(dir, 'samples.sqlite'));
  const queue = new KpiQueue(store, { file: path.join(dir, 'samples-queue.sqlite') });
  queue.start();
  const sampler = new Sampler(60_000, 'bench');
  const tags = Array.from({ length: 500 }, (_v, m) => `${machine(m)}/speed`);
  const t0 = Date.UTC(2025, 0, 1);
  const start = process.hrtime.bigint();
  for (let s = 0; s < 3600; s++) {
    const closed: KpiRecord[] = [];
    for (let m = 0; m < 500; m++) {
      const b = sampler.add(tags[m], t0 + s * 1000, m + (s % 60));
      if (b) closed.push(b);
    }
    if (closed.length > 0) await queue.accept(closed);
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  await queue.drained();
  await queue.close();
  return Math.round((500 * 3600) / secs);
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kpi-bench-'));
  console.log(`KPI store: ${MACHINES} machines x ${DAYS} days x 3 shifts x ${STOPS} stops`);
  const out: string[] = [];
  try {
    for (const backend of BACKENDS) {
      if (backend === 'sqlite') {
        const file = path.join(dir, 'kpi.sqlite');
        const store = new SqliteKpiStore(file);
        const r = await bench('sqlite', store, () => Promise.resolve(['', '-wal'].reduce((s, x) => s + (fs.existsSync(file + x) ? fs.statSync(file + x).size : 0), 0)));
        await store.close();
        out.push(...Object.entries(r).map(([k, v]) => `sqlite_${k}=${v}`));
      } else if (backend === 'postgres') {
        const db = `kpi_bench_${randomBytes(4).toString('hex')}`;
        const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
        await admin.connect();
        await admin.query(`CREATE DATABASE ${db}`);
        const store = new PostgresKpiStore({ url: `postgres://postgres@127.0.0.1:5432/${db}`, tls: 'off', queryTimeoutMs: 120_000 });
        try {
          const r = await bench('postgres', store, async () => Number((await store.all<{ b: number }>('SELECT pg_database_size(current_database()) AS b'))[0].b));
          out.push(...Object.entries(r).map(([k, v]) => `postgres_${k}=${v}`));
        } finally {
          await store.close();
          await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
          await admin.end();
        }
      }
    }
    const rate = await samples(dir);
    console.log(`  tag samples: ${rate} samples/s taken through the downsampler and the durable queue (500 needed)`);
    out.push(`samples_per_s=${rate}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`BENCH kpi-store machines=${MACHINES} days=${DAYS} ${out.join(' ')}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
