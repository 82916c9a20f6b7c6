/**
 * The demo dashboard in a real browser (Debian's Chromium, headless, driven by playwright-core) against
 * a real hub running flows/demo-line.json on the simulated line and the demo ERP: log in as the operator
 * (HTTP Basic), open each dashboard page and check that live values appear and change, force a stop on
 * the labeller (an OPC UA machine without fault-code mapping, so the stop waits for a reason), assign
 * the reason on the operator page and find it in the machine's Pareto, its timeline and the ERP's
 * downtime bookings; the IT page's device and outbox figures; tablet layouts without horizontal scroll.
 *
 * Each test stands alone (`--grep` any one of them): the labeller's stop named jam, which the Machines,
 * ERP, IT and tablet tests look for, is made once, by the first test that needs it (jamStop()), through
 * the Operator page as the Operator test checks it. Screenshots go to test-artifacts/dashboard-*.png; on a
 * failure the page's screenshot and DOM go to test-artifacts/dashboard-failure-*. With
 * UPDATE_SCREENSHOT=1 the Line page's screenshot is also copied to docs/dashboard.png (the README's image).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Booking } from '../../simulator/erp-server';
import type { Machine } from '../../simulator/machine';
import { basicAuth, repoRoot } from '../support/hub-process';
import { launchBrowser } from '../support/browser';
import { TEST_SHIFT_NAME, startDemo } from '../support/demo-line';
import type { RunningDemo } from '../support/demo-line';

const ARTIFACTS = path.join(repoRoot, 'test-artifacts');
const MACHINES = ['filler', 'capper', 'labeller', 'casepacker'] as const;
const STATES = ['running', 'idle', 'down', 'planned', 'changeover', 'no data'];
/** The dashboard's tabs, in order. */
const TAB = { line: 0, machines: 1, operator: 2, it: 3 } as const;
/** A figure as the dashboard writes it: "72.4 %" (one decimal at most) or "–" when there is none yet. */
const PERCENT = /^(\d{1,3}([.,]\d)?\s?%|–)$/;
/** Stops shorter than this are small stops, not listed for a reason. */
const SMALL_STOP_MS = 30_000;
/** hub log [error] lines that are expected, each with why (none so far). */
const KNOWN_ERRORS: readonly { re: RegExp; why: string }[] = [];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** A number as the dashboard writes it ("1,234", "0.7", "12 %"); NaN for "–" or nothing. */
const num = (text: string | null | undefined): number => {
  const digits = (text ?? '').replace(/[^\d.-]/g, '');
  return digits === '' ? NaN : Number(digits);
};
const esc = (v: string): string => JSON.stringify(v);
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The labeller stop that jamStop() forces and names jam on the Operator page. */
interface JamStop {
  /** When the stop was forced and cleared (ms, the test's clock). */
  readonly forcedAt: number;
  readonly clearedAt: number;
  /** The stop's id as the Operator page shows it (data-stop). */
  readonly stopId: string;
}

/** Polls `probe` until it returns something other than undefined; on time-out the error shows `seen()`. */
async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, seen?: () => string | Promise<string>): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > end) {
      const shown = seen ? await Promise.resolve(seen()).catch((e: unknown) => `(could not read the page: ${message(e)})`) : '';
      throw new Error(`${what}: not within ${timeoutMs / 1000} s${lastError ? ` (last error: ${message(lastError)})` : ''}${shown ? `\nseen:\n${shown}` : ''}`);
    }
    await sleep(250);
  }
}

/** The outer HTML of what matches `selector` (or the dashboard's content), trimmed for an error message. */
async function dom(page: Page, selector = '#content, body'): Promise<string> {
  const html = await page.$$eval(selector, (els) => els.map((e) => e.outerHTML).join('\n'));
  const compact = html.replace(/<!--[\s\S]*?-->/g, '').replace(/\s+/g, ' ');
  return compact.length > 6000 ? `${compact.slice(0, 6000)} …(${compact.length} chars)` : compact || `(nothing matches ${selector})`;
}

describe('dashboard in a real browser (Chromium)', function () {
  // About 2 minutes: the operator page lists a stop once it is 30 s old, the ERP gets it after it ends.
  this.timeout(180000);
  let demo: RunningDemo;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let flowsStartedAt = 0;
  let labeller: Machine;
  let failures = 0;

  const shot = (p: Page, name: string): Promise<Buffer> => p.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
  const open = async (p: Page, tab: number): Promise<void> => {
    await p.goto(`${demo.hub.url}/ui/#!/${tab}`, { waitUntil: 'domcontentloaded' });
  };

  before(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    // The browser trusts the hub's certificate, which the hub makes on its first start.
    demo = await startDemo({ name: 'dashboard' });
    browser = await launchBrowser(demo.hub);
    flowsStartedAt = demo.hub.log.search(/Started flows/);
    const found = demo.line.line.machines.find((m) => m.name.split('/').pop() === 'labeller');
    assert.ok(found, 'the simulated line has a labeller');
    labeller = found;
    context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, extraHTTPHeaders: { authorization: basicAuth('operator') } });
    // Nothing but the hub: the dashboard must not need the internet (a line network is often offline).
    await context.route((url) => url.origin !== new URL(demo.hub.url).origin, (route) => route.abort());
    page = await context.newPage();
    // Element look-ups that should be quick; the waits for the line name their own limits.
    page.setDefaultTimeout(10000);
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !page) return;
    const name = `dashboard-failure-${++failures}`;
    await shot(page, name).catch(() => undefined);
    const html = await page.content().catch((e: unknown) => String(e));
    fs.writeFileSync(path.join(ARTIFACTS, `${name}.html`), `<!-- ${this.currentTest.fullTitle()} at ${page.url()} -->\n${html}`);
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  it('asks for a login: the dashboard answers 401 without (or with wrong) credentials', async () => {
    const none = await demo.hub.fetch('/ui/');
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Basic /);
    const wrong = await demo.hub.fetch('/ui/', { headers: { authorization: `Basic ${Buffer.from('operator:wrong').toString('base64')}` } });
    assert.equal(wrong.status, 401);
    const operator = await demo.hub.fetch('/ui/', { headers: { authorization: basicAuth('operator') } });
    assert.equal(operator.status, 200);
  });

  it('Line page: a card per machine with live state and figures; the part count of a running machine rises', async () => {
    await open(page, TAB.line);
    const cards = '.fh-card[data-machine]';
    const seen = (): Promise<string> => dom(page, cards);
    await until(
      'a .fh-card for each machine',
      async () => {
        const shown = await page.$$eval(cards, (els) => els.map((e) => e.getAttribute('data-machine')));
        return MACHINES.every((m) => shown.includes(m)) ? shown : undefined;
      },
      30000,
      () => dom(page),
    );
    // Live values: every machine leaves "no data" and shows a part count once the hub has read it.
    const states = await until(
      'a live .fh-state and a .fh-total on every card',
      async () => {
        const s = await Promise.all(MACHINES.map(async (m) => (await page.textContent(`.fh-card[data-machine=${esc(m)}] .fh-state`))?.trim() ?? ''));
        const t = await Promise.all(MACHINES.map(async (m) => num(await page.textContent(`.fh-card[data-machine=${esc(m)}] .fh-total`))));
        return s.every((x) => x !== '' && x !== 'no data') && t.every(Number.isFinite) ? s : undefined;
      },
      30000,
      seen,
    );
    for (const [i, s] of states.entries()) assert.ok(STATES.includes(s), `${MACHINES[i]}: state ${JSON.stringify(s)} is one of ${STATES.join(', ')}`);
    for (const m of MACHINES) {
      const card = `.fh-card[data-machine=${esc(m)}]`;
      for (const figure of ['.fh-oee', '.fh-a', '.fh-p', '.fh-q']) {
        const t = (await page.textContent(`${card} ${figure}`))?.trim();
        assert.match(t ?? '(missing)', PERCENT, `${m} ${figure}`);
      }
    }
    assert.match((await page.textContent('.fh-shift'))?.trim() ?? '(missing)', new RegExp(TEST_SHIFT_NAME), '.fh-shift names the shift');
    const chart = page.locator('.nr-dashboard-chart-container', { has: page.locator('.nr-dashboard-chart-title', { hasText: 'OEE this shift' }) });
    assert.equal(await chart.count(), 1, 'the "OEE this shift" chart is on the Line page');
    assert.equal(await chart.locator('canvas').count(), 1, 'the chart draws on a canvas');

    // The part count of a machine that runs rises within a few seconds.
    const totals = async (): Promise<Record<string, number>> =>
      Object.fromEntries(await Promise.all(MACHINES.map(async (m) => [m, num(await page.textContent(`.fh-card[data-machine=${esc(m)}] .fh-total`))] as const)));
    const first = await totals();
    const rose = await until(
      'the .fh-total of a running machine rises',
      async () => {
        const now = await totals();
        const running = MACHINES.filter((m) => demo.line.line.machine(m).snapshot().state === 'running');
        return running.find((m) => now[m] > first[m]);
      },
      30000,
      seen,
    );
    assert.ok(rose);
    await shot(page, 'dashboard-line');
    if (process.env.UPDATE_SCREENSHOT === '1') {
      fs.mkdirSync(path.join(repoRoot, 'docs'), { recursive: true });
      fs.copyFileSync(path.join(ARTIFACTS, 'dashboard-line.png'), path.join(repoRoot, 'docs', 'dashboard.png'));
    }
  });

  /**
   * Forces a stop of the labeller (an OPC UA machine without fault-code mapping, so the stop waits for
   * a reason), waits until the Operator page lists it, assigns jam there, checks it moves to the named
   * stops, and ends the stop. Once per run, by whichever test needs it first: the Operator test checks
   * these steps, the Machines, ERP, IT and tablet tests need the stop they leave behind.
   */
  let jam: Promise<JamStop> | undefined;
  const jamStop = (): Promise<JamStop> => (jam ??= nameJamStop(page));
  async function nameJamStop(page: Page): Promise<JamStop> {
    await open(page, TAB.operator);
    const rows = '.fh-stop[data-machine="labeller"]';
    // A running labeller first, so that the forced stop is a new stop and not the tail of a natural one.
    await until(
      'the labeller runs',
      () => {
        if (labeller.snapshot().state === 'running') return true;
        labeller.clearStop();
        return undefined;
      },
      30000,
    );
    // Let the page render the stops it already lists (and the OEE see the labeller running).
    await sleep(2500);
    const before = new Set(await page.$$eval(rows, (els) => els.map((e) => e.getAttribute('data-stop') ?? '')));
    labeller.forceStop(101);
    const forcedAt = Date.now();
    let clearedAt = 0;
    // The stop ends whatever happens here, so that the steps after this one can see it booked.
    const endStop = (): void => {
      if (clearedAt !== 0) return;
      labeller.clearStop();
      clearedAt = Date.now();
    };
    try {
      // Listed once the stop is 30 s old (shorter ones are small stops).
      const stopId = await until(
        'a .fh-stop row for the labeller',
        async () => (await page.$$eval(rows, (els) => els.map((e) => e.getAttribute('data-stop') ?? ''))).find((id) => id !== '' && !before.has(id)),
        SMALL_STOP_MS + 45000,
        () => dom(page),
      );
      assert.ok(Date.now() - forcedAt >= SMALL_STOP_MS - 2000, `listed after ${Date.now() - forcedAt} ms, not before the stop is ${SMALL_STOP_MS / 1000} s old`);
      const ids = await page.$$eval(rows, (els) => els.map((e) => e.getAttribute('data-stop')));
      assert.equal(ids[0], stopId, 'the newest stop comes first');
      const row = `.fh-stop[data-machine="labeller"][data-stop=${esc(stopId)}]`;
      const options = await page.$$eval(`${row} select.fh-reason option`, (els) => els.map((e) => (e as HTMLOptionElement).value));
      for (const reason of ['jam', 'motor', 'material', 'door', 'cleaning', 'setup', 'waiting', 'quality']) assert.ok(options.includes(reason), `reason ${reason} offered: ${options.join(', ')}`);
      await shot(page, 'dashboard-operator');

      await page.selectOption(`${row} select.fh-reason`, 'jam');
      await page.click(`${row} button.fh-assign`);
      const named = `.fh-named[data-machine="labeller"][data-stop=${esc(stopId)}]`;
      const namedReason = (): Promise<string | undefined> => page.$eval(`${named} .fh-named-reason`, (e) => (e.textContent ?? '').trim() || undefined).catch(() => undefined);
      let reason: string | undefined;
      let failure: unknown;
      try {
        await until('the assigned stop leaves the list', async () => ((await page.$(row)) === null ? true : undefined), 15000, () => dom(page, rows));
        reason = await until('the stop (still going on) among the named ones', namedReason, 15000, () => dom(page, '.fh'));
      } catch (err) {
        failure = err;
      } finally {
        endStop();
      }
      if (failure !== undefined) {
        // Say whether it is only late (shown once the stop has ended) or missing altogether.
        const later = await until('named after the end', namedReason, 15000).catch(() => undefined);
        throw new Error(`${message(failure)}\n${later === undefined ? 'Not named after the stop ended either.' : `Once the stop had ended it was named: ${later}`}`);
      }
      assert.match(reason ?? '', /\bjam\b/i);
      endStop();
      return { forcedAt, clearedAt, stopId };
    } finally {
      endStop();
    }
  }

  it('Operator page: a stop of the labeller (no fault-code mapping) waits for a reason; assigning one moves it to the named stops', async () => {
    const stop = await jamStop();
    assert.notEqual(stop.stopId, '');
    assert.ok(stop.clearedAt >= stop.forcedAt);
  });

  it('Machines page: the labeller\'s Pareto has the jam minutes and its timeline the down segment', async () => {
    const { forcedAt, clearedAt } = await jamStop();
    await open(page, TAB.machines);
    await page.click('.fh-pick[data-machine="labeller"]', { timeout: 30000 });
    await until('.fh-machine-name shows the labeller', async () => (/labeller/i.test((await page.textContent('.fh-machine-name', { timeout: 500 })) ?? '') ? true : undefined), 15000, () => dom(page));
    const minutes = await until(
      'a .fh-pareto-row for jam with minutes > 0',
      async () => {
        const t = await page.$eval('.fh-pareto-row[data-reason="jam"] .fh-pareto-min', (e) => e.textContent ?? '').catch(() => undefined);
        return t !== undefined && num(t) > 0 ? num(t) : undefined;
      },
      30000,
      () => dom(page, '.fh-pareto-row'),
    );
    const held = (clearedAt - forcedAt) / 60000;
    assert.ok(minutes >= Math.min(0.5, held * 0.8) && minutes <= held + 1, `jam minutes ${minutes} for a stop of ${held.toFixed(2)} min`);
    assert.match((await page.textContent('.fh-oee'))?.trim() ?? '(missing)', PERCENT, '.fh-oee');
    const segments = await until(
      'a down segment in .fh-timeline',
      async () => {
        const s = await page.$$eval('.fh-timeline .fh-seg', (els) => els.map((e) => e.getAttribute('data-state') ?? ''));
        return s.includes('down') ? s : undefined;
      },
      15000,
      () => dom(page, '.fh-timeline'),
    );
    for (const s of segments) assert.ok(STATES.includes(s), `segment state ${JSON.stringify(s)}`);
    assert.ok((await page.$('.fh-trend')) !== null, '.fh-trend (OEE by shift) is on the page');
    await shot(page, 'dashboard-machine');
  });

  it('ERP: the labeller\'s stop arrives as a downtime booking with reason jam', async () => {
    const { forcedAt, clearedAt } = await jamStop();
    const isOurs = (b: Booking): boolean => b.kind === 'downtime' && b.doc.reason === 'jam' && b.doc.workCenter === 'demo/packaging/line1/labeller';
    const booking = await until('a downtime booking for the labeller with reason jam', () => demo.erp.bookings().find(isOurs), 60000, () =>
      JSON.stringify(demo.erp.bookings().map((b) => b.doc), null, 1).slice(0, 4000),
    );
    const time = (v: unknown): number => (typeof v === 'number' ? v : Date.parse(String(v)));
    const start = time(booking.doc.start);
    const end = time(booking.doc.end);
    assert.ok(Number.isFinite(start) && Number.isFinite(end), `start ${String(booking.doc.start)}, end ${String(booking.doc.end)}`);
    assert.ok(end - start >= SMALL_STOP_MS, `the booked stop lasted ${end - start} ms`);
    assert.ok(start <= clearedAt && end >= forcedAt, `booked ${new Date(start).toISOString()}..${new Date(end).toISOString()}, forced ${new Date(forcedAt).toISOString()}..${new Date(clearedAt).toISOString()}`);
    assert.ok(booking.key, 'the booking has a key');
  });

  it('IT page: every device and the ERP have a status; the outbox delivered', async () => {
    // A record to deliver: the named stop's downtime booking.
    await jamStop();
    await open(page, TAB.it);
    const devices = [...MACHINES, 'erp'];
    const statuses = await until(
      'a .fh-device-status for every device and the ERP',
      async () => {
        const s = await Promise.all(devices.map(async (d) => (await page.$eval(`.fh-device[data-device=${esc(d)}] .fh-device-status`, (e) => e.textContent ?? '').catch(() => ''))?.trim()));
        return s.every((x) => x !== '') ? s : undefined;
      },
      30000,
      () => dom(page, '.fh-device'),
    );
    for (const [i, s] of statuses.entries()) assert.doesNotMatch(s, /disconnect|error|fail|offline|timeout|refused/i, `${devices[i]}: status ${s}`);
    for (const m of MACHINES) {
      const last = (await page.textContent(`.fh-device[data-device=${esc(m)}] .fh-device-last`))?.trim() ?? '';
      assert.notEqual(last, '', `${m}: .fh-device-last shows the time of the last value`);
    }
    const delivered = await until(
      '.fh-outbox-delivered >= 1',
      async () => {
        const n = num(await page.textContent('.fh-outbox-delivered', { timeout: 500 }));
        return n >= 1 ? n : undefined;
      },
      30000,
      () => dom(page, '[class*="fh-outbox"]'),
    );
    assert.ok(delivered >= 1);
    for (const figure of ['.fh-outbox-depth', '.fh-outbox-dead']) {
      const t = (await page.textContent(figure))?.trim() ?? '';
      assert.ok(t !== '' && Number.isFinite(num(t)), `${figure} is a number: ${JSON.stringify(t)}`);
    }
    assert.equal(num(await page.textContent('.fh-outbox-dead')), 0, 'nothing in the dead letters');
    await shot(page, 'dashboard-it');
  });

  it('fits a tablet, landscape and portrait, without horizontal scrolling', async () => {
    // The Operator page with its rows: the named stop.
    await jamStop();
    const tablet = await (browser as Browser).newContext({ viewport: { width: 1024, height: 768 }, extraHTTPHeaders: { authorization: basicAuth('operator') } });
    try {
      await tablet.route((url) => url.origin !== new URL(demo.hub.url).origin, (route) => route.abort());
      const p = await tablet.newPage();
      const overflow = (): Promise<{ scroll: number; inner: number }> => p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
      for (const size of [{ width: 1024, height: 768 }, { width: 768, height: 1024 }]) {
        await p.setViewportSize(size);
        for (const [name, tab, selector] of [
          ['Line', TAB.line, '.fh-card[data-machine]'],
          ['Operator', TAB.operator, '.fh-named, .fh-stop'],
        ] as const) {
          await open(p, tab);
          await p.waitForSelector(selector, { timeout: 30000 });
          await sleep(500);
          const o = await overflow();
          assert.ok(o.scroll <= o.inner + 1, `${name} page at ${size.width}x${size.height}: scrollWidth ${o.scroll} > innerWidth ${o.inner}`);
          if (name === 'Line') await shot(p, size.width > size.height ? 'dashboard-tablet' : 'dashboard-tablet-portrait');
        }
      }
    } finally {
      await tablet.close();
    }
  });

  it('logged no errors after the flows started', () => {
    const errors = demo.hub.log
      .slice(flowsStartedAt)
      .split('\n')
      .filter((l) => /\[error\]/.test(l) && !KNOWN_ERRORS.some((k) => k.re.test(l)));
    assert.deepEqual(errors, []);
  });
});
