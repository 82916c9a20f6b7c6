/**
 * The demo's KPI history in a real hub on the simulated line, with the dashboard in a real browser: the
 * demo flow's fh-kpi-write keeps the live line's stops in the SQLite store; a week seeded with
 * `npm run seed-demo` while the hub runs shows on the Machines page as the labeller's OEE by shift (the
 * store's figures, through the flow's fh-kpi-query), and still does after the hub restarts. The Line page's
 * OEE trend chart is drawn from the machines' OEE tag samples in the store, so after a restart it still
 * has the points from before it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { runQuery } from '../../nodes/kpi/queries';
import { parseQuery } from '../../nodes/kpi/query-types';
import { SqliteKpiStore } from '../../nodes/kpi/sqlite-store';
import { DEFAULT_FILE } from '../../nodes/kpi/store-config';
import { formatDay, localDay } from '../../nodes/oee/time-zone';
import { launchBrowser } from '../support/browser';
import { startDemo } from '../support/demo-line';
import type { RunningDemo } from '../support/demo-line';
import { basicAuth, repoRoot } from '../support/hub-process';
import { BERLIN } from './fixtures';

const LABELLER = 'demo/packaging/line1/labeller';
const MINUTE = 60_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs / 1000} s${last instanceof Error ? ` (${last.message})` : ''}`);
    await sleep(500);
  }
}

describe('demo line: KPI history in the store and on the dashboard', function () {
  this.timeout(240_000);
  let demo: RunningDemo;
  let browser: Browser | undefined;
  let page: Page;
  let file: string;

  before(async () => {
    demo = await startDemo({ name: 'kpi-demo' });
    browser = await launchBrowser(demo.hub);
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, extraHTTPHeaders: { authorization: basicAuth('operator') } });
    page = await context.newPage();
    const userDir = path.join(demo.dir, 'userdir');
    file = path.join(userDir, DEFAULT_FILE);
    await promisify(execFile)(process.execPath, [path.join(repoRoot, 'scripts', 'seed-demo.js'), '--weeks', '1', '--seed', '5'], { env: { ...process.env, HUB_USER_DIR: userDir } });
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  async function withStore<T>(fn: (s: SqliteKpiStore) => Promise<T>): Promise<T> {
    const store = new SqliteKpiStore(file);
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  /** The labeller's last 9 shifts in the store, as the Machines page labels them. */
  const expectedTrend = (): Promise<string[]> =>
    withStore(async (store) => {
      const today = localDay(BERLIN, Date.now());
      const q = parseQuery({ type: 'oee', by: 'machine', period: 'shift', machine: LABELLER, from: formatDay(today - 4), to: formatDay(today + 1) }, BERLIN);
      const rows = (await runQuery(store, q, BERLIN)).rows.slice(-9);
      return rows.map((r) => `${String(r.period).slice(11)} ${String(r.period).slice(5, 10)} ${(Math.round((r.oee as number) * 1000) / 10).toFixed(0)}%`);
    });

  async function shownTrend(): Promise<string[]> {
    await page.goto(`${demo.hub.url}/ui/#!/1`, { waitUntil: 'domcontentloaded' });
    await page.click('.fh-pick[data-machine="labeller"]', { timeout: 30_000 });
    return page.$$eval('.fh-trend > div:not(.live)', (els) => els.map((e) => `${e.querySelector('small')?.textContent?.trim() ?? ''} ${e.querySelector('em')?.textContent?.trim() ?? ''}`));
  }

  /** The bucket starts of the labeller's OEE samples in the store (a minute each) before `until`. */
  const storedTrend = (until: number): Promise<number[]> =>
    withStore(async (store) => {
      const q = parseQuery({ type: 'trend', tag: `${LABELLER}/oee`, from: until - 8 * 3600_000, to: until, intervalMs: MINUTE }, BERLIN);
      return (await runQuery(store, q, BERLIN)).rows.map((r) => r.t as number);
    });

  /** The points of the labeller's line in the Line page's OEE chart, as Chart.js draws them (a redraw is a new chart: the last). */
  const chartedTrend = (): Promise<{ x: number; y: number }[]> =>
    page.evaluate(() => {
      type Drawn = { canvas?: HTMLCanvasElement; chart?: { canvas: HTMLCanvasElement }; data: { datasets: { label: string; data: ({ x: number; y: number } | null)[] }[] } };
      const charts = Object.values((window as unknown as { Chart?: { instances: Record<string, Drawn> } }).Chart?.instances ?? {});
      const oee = charts.filter((c) => (c.canvas ?? c.chart?.canvas)?.closest('.nr-dashboard-chart-container')?.textContent?.includes('OEE this shift'));
      const line = oee.pop()?.data.datasets.find((d) => d.label === 'labeller');
      return (line?.data ?? []).filter((p) => p !== null).map((p) => ({ x: p.x, y: p.y }));
    });

  it('keeps the live line\'s stops in the store', async () => {
    const labeller = demo.line.line.machines.find((m) => m.name === LABELLER);
    assert.ok(labeller);
    labeller.forceStop(101);
    await sleep(3000);
    labeller.clearStop();
    const n = await until(
      'a live stop of the labeller in the store',
      () => withStore(async (s) => {
        const rows = await s.all<{ n: number }>('SELECT COUNT(*) AS n FROM kpi_stops WHERE machine = ? AND stop_id < 1000000000 AND end_ms IS NOT NULL', [LABELLER]);
        return Number(rows[0].n) > 0 ? Number(rows[0].n) : undefined;
      }),
      60_000,
    );
    assert.ok(n > 0);
  });

  it('shows the seeded week as the labeller\'s OEE by shift and the OEE trend, from the store, before and after a restart', async () => {
    const expected = await expectedTrend();
    assert.equal(expected.length, 9);
    const seen = await until('the seeded shifts on the Machines page', async () => {
      const shown = await shownTrend();
      return JSON.stringify(shown) === JSON.stringify(expected) ? shown : undefined;
    }, 60_000).catch(async (err: Error) => {
      throw new Error(`${err.message}\nexpected ${JSON.stringify(expected)}\nshown ${JSON.stringify(await shownTrend())}`);
    });
    assert.deepEqual(seen, expected);
    // The labeller counts parts, so its OEE is being sampled; the hub's stop writes the open minute.
    await until('the labeller running', () => Promise.resolve(demo.line.line.machine(LABELLER).snapshot().state === 'running' ? true : undefined), 60_000);
    await sleep(6000);
    await demo.hub.stop();
    const stoppedAt = Date.now();
    const since = demo.hub.log.length;
    await demo.hub.start(60_000);
    await demo.hub.waitForLog(/Started flows/, since, 60_000);
    // The stop queued the open minute in the store's local queue; the restarted hub writes it.
    const before = await until('the labeller\'s OEE samples from before the restart in the store', async () => {
      const t = await storedTrend(stoppedAt);
      return t.length > 0 ? t : undefined;
    }, 60_000);
    await until('the seeded shifts after the restart', async () => (JSON.stringify(await shownTrend()) === JSON.stringify(expected) ? true : undefined), 60_000);
    await page.goto('about:blank'); // the Line page afresh, not a change of the hash
    await page.goto(`${demo.hub.url}/ui/#!/0`, { waitUntil: 'domcontentloaded' });
    const drawn = await until('the OEE chart with the points from before the restart', async () => {
      const points = await chartedTrend();
      return before.every((t) => points.some((p) => p.x === t)) ? points : undefined;
    }, 60_000).catch(async (err: Error) => {
      throw new Error(`${err.message}\nstored ${JSON.stringify(before)}\ndrawn ${JSON.stringify(await chartedTrend())}`);
    });
    for (const p of drawn) assert.ok(p.y > 0 && p.y <= 100, `a drawn OEE of ${p.y} % at ${new Date(p.x).toISOString()} is a figure, not a line from 0`);
  });
});
