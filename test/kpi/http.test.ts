/**
 * The KPI HTTP endpoint against a real hub (Node-RED child process with the hub's settings): a BI tool's
 * API token of the operator role reads OEE by day as JSON and the Pareto as CSV; no login is a 401; a bad
 * query a 400 naming the field; an unknown store a 404.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { recordsOfOee } from '../../nodes/kpi/from-oee';
import { SqliteKpiStore } from '../../nodes/kpi/sqlite-store';
import { HubProcess, repoRoot, tempDir } from '../support/hub-process';
import { BERLIN, HOUR, JAM, MIN, shiftEnd, stopEvent } from './fixtures';

const M = 'acme/pack/line1/filler';
const T0 = Date.UTC(2026, 10, 2, 5);
const SHIFT = { id: '2026-11-02/Early', start: T0, end: T0 + 8 * HOUR };
const STORE = 'k9e0000000000001';

describe('KPI HTTP endpoint for BI tools (real hub)', function () {
  this.timeout(120_000);
  const userDir = path.join(tempDir('kpi-http'), 'userdir');
  const hub = new HubProcess({ userDir, env: { HUB_SIMULATOR: '0', HUB_DEMO_ERP: '0' } });
  let bi = '';

  before(async () => {
    // Four weeks of history already in the store's file, as a hub that ran for a while left it.
    const store = new SqliteKpiStore(path.join(userDir, 'factoryhub', 'kpi', 'kpi.sqlite'));
    await store.migrate();
    await store.write([
      ...(recordsOfOee(shiftEnd(M, SHIFT, { ppt: 7 * HOUR, run: 6 * HOUR, net: 5 * HOUR, total: 1000, good: 900 }), BERLIN) ?? []),
      ...(recordsOfOee(stopEvent('stop-end', M, { id: 1, shiftId: SHIFT.id, start: T0 + HOUR, end: T0 + HOUR + 20 * MIN, reason: JAM }), BERLIN) ?? []),
    ]);
    await store.close();
    await hub.start();
    const admin = await hub.login('admin');
    const from = hub.log.length;
    const res = await hub.api(admin, 'POST', '/flows', [{ id: STORE, type: 'fh-kpi-store', name: 'line store', backend: 'sqlite', timeZone: BERLIN }], { 'Node-RED-Deployment-Type': 'full' });
    assert.ok([200, 204].includes(res.status), `deploy: HTTP ${res.status}`);
    await hub.waitForLog(/Started flows/, from);
    const made = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'hub-user.js'), 'token', 'add', 'powerbi', 'operator'], { env: { ...process.env, HUB_USER_DIR: userDir }, encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    bi = /fht_[A-Za-z0-9_-]+/.exec(made.stdout)?.[0] ?? '';
    assert.notEqual(bi, '');
  });
  after(() => hub.stop());

  const get = (route: string, token: string | undefined) => hub.request('GET', route, token ? { authorization: `Bearer ${token}` } : {});

  it('answers OEE by day as JSON and the Pareto as CSV to a BI token with kpi.read', async () => {
    const list = await get('/factoryhub/kpi/stores', bi);
    assert.equal(list.status, 200, list.body.toString());
    assert.deepEqual((JSON.parse(list.body.toString()) as { id: string }[]).map((s) => s.id), [STORE]);
    // The store migrates and opens in the background after the deploy.
    let res = await get(`/factoryhub/kpi/stores/${STORE}/query?type=oee&by=machine&period=day&from=2026-11-02`, bi);
    for (let i = 0; i < 50 && res.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 100));
      res = await get(`/factoryhub/kpi/stores/${STORE}/query?type=oee&by=machine&period=day&from=2026-11-02`, bi);
    }
    assert.equal(res.status, 200, res.body.toString());
    const body = JSON.parse(res.body.toString()) as { rows: { group: string; oee: number }[] };
    assert.deepEqual(body.rows.map((r) => [r.group, r.oee]), [[M, (6 / 7) * (5 / 6) * 0.9]]);
    const csv = await get(`/factoryhub/kpi/stores/${STORE}/query?type=pareto&from=2026-11-02&format=csv&decimal=,`, bi);
    assert.equal(csv.status, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv; charset=utf-8/);
    assert.equal(csv.body.toString('utf8'), '\uFEFFreason;name;category;stops;durationMs;share;cumulativeShare\r\njam;Jam;Mechanical;1;1200000;1;1\r\n');
  });

  it('refuses no login, a bad query and an unknown store with clear errors', async () => {
    assert.equal((await get(`/factoryhub/kpi/stores/${STORE}/query?from=2026-11-02`, undefined)).status, 401);
    const bad = await get(`/factoryhub/kpi/stores/${STORE}/query?type=oee&period=year&from=2026-11-02`, bi);
    assert.equal(bad.status, 400);
    assert.match((JSON.parse(bad.body.toString()) as { error: string }).error, /query.period must be one of shift, day, week, month, range, not "year"/);
    const none = await get('/factoryhub/kpi/stores/nope/query?from=2026-11-02', bi);
    assert.equal(none.status, 404);
  });
});
