/**
 * Guessing resisted, through the real HTTP API of one real hub: the same answer for an unknown user
 * name as for a wrong password (editor, Basic, the dashboard's login page); one limit per address over
 * every way in, answered 429 with Retry-After (never Node-RED's 500); the real admin, from the address
 * it logged in from before, still gets in after any number of guesses; every attempt in the login audit.
 * The steps build on each other (the address's failures add up), in order.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { HubProcess, ROLE_PASSWORDS, tempDir } from '../support/hub-process';

const TAB = 'a11ce00000000001';
const flow = [
  { id: TAB, type: 'tab', label: 'login' },
  { id: 'a11ce00000000002', type: 'http in', z: TAB, url: '/ping', method: 'get', wires: [['a11ce00000000003']] },
  { id: 'a11ce00000000003', type: 'http response', z: TAB, statusCode: '200', wires: [] },
];

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('logins that resist guessing', function () {
  this.timeout(120000);
  const hub = new HubProcess({ userDir: path.join(tempDir('login'), 'userdir') });
  let admin = '';

  before(async () => {
    await hub.start();
    admin = await hub.login('admin'); // the real admin, from this address: known-good from now on
    const res = await hub.api(admin, 'POST', '/flows', flow, { 'Node-RED-Deployment-Type': 'full' });
    assert.ok([200, 204].includes(res.status));
  });
  after(() => hub.stop());

  const editorLogin = (username: string, password: string): Promise<Response> =>
    hub.fetch('/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-editor', grant_type: 'password', scope: '', username, password }),
    });
  const dashboardLogin = (username: string, password: string): Promise<Response> =>
    hub.fetch('/factoryhub/login', {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: hub.url },
      body: new URLSearchParams({ username, password, next: '/ui/' }).toString(),
    });

  it('answers an unknown user name exactly as a wrong password (editor, Basic, login page)', async () => {
    const known = await editorLogin('admin', 'wrong-password-1');
    const unknown = await editorLogin('nosuchuser', 'wrong-password-1');
    assert.equal(known.status, 403);
    assert.equal(unknown.status, known.status);
    assert.equal(await unknown.text(), await known.text());

    const b1 = await hub.fetch('/ping', { headers: { authorization: basic('admin', 'wrong-password-2') } });
    const b2 = await hub.fetch('/ping', { headers: { authorization: basic('nosuchuser', 'wrong-password-2') } });
    assert.equal(b1.status, 401);
    assert.equal(b2.status, 401);
    assert.equal(await b2.text(), await b1.text());
    assert.equal(b2.headers.get('www-authenticate'), b1.headers.get('www-authenticate'));

    const d1 = await dashboardLogin('admin', 'wrong-password-3');
    const d2 = await dashboardLogin('nosuchuser', 'wrong-password-3');
    assert.equal(d1.status, 401);
    assert.equal(d2.status, 401);
    const page1 = (await d1.text()).replace('value="admin"', 'value=""');
    const page2 = (await d2.text()).replace('value="nosuchuser"', 'value=""');
    assert.equal(page2, page1);
    assert.match(page1, /Wrong user name or password/);
  });

  it('refuses the address after 10 failures with 429 and Retry-After, never 500', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await editorLogin('admin', `guess-${i}`)).status);
    assert.deepEqual(statuses, [403, 403, 403, 403], 'failures 7 to 10 (Node-RED alone would have locked admin after 5)');
    const limited = await editorLogin('integrator', 'guess-x');
    assert.equal(limited.status, 429);
    const wait = Number(limited.headers.get('retry-after'));
    assert.ok(wait > 0 && wait <= 15 * 60, `Retry-After ${limited.headers.get('retry-after')}`);
    assert.match(((await limited.json()) as { error_description: string }).error_description, /Too many failed logins from this address/);
    // The same limit on every way in: the right operator password from here is refused too (not known-good).
    const op = await editorLogin('operator', ROLE_PASSWORDS.operator);
    assert.equal(op.status, 429);
    const opBasic = await hub.fetch('/ping', { headers: { authorization: basic('operator', ROLE_PASSWORDS.operator) } });
    assert.equal(opBasic.status, 429);
    assert.ok(Number(opBasic.headers.get('retry-after')) > 0);
    const opPage = await dashboardLogin('operator', ROLE_PASSWORDS.operator);
    assert.equal(opPage.status, 429);
    assert.match(await opPage.text(), /Too many failed logins from this device/);
    const token = await hub.fetch('/ping', { headers: { authorization: 'Bearer fht_not-a-real-token' } });
    assert.equal(token.status, 429);
  });

  it('still lets the real admin in from the address it logged in from before', async () => {
    const wrong = await editorLogin('admin', 'guess-after-limit');
    assert.equal(wrong.status, 403, 'a wrong password from the known-good address is still checked, and wrong');
    const token = await hub.login('admin');
    assert.equal((await hub.api(token, 'GET', '/flows')).status, 200);
    assert.equal((await hub.fetch('/ping', { headers: { authorization: basic('admin', ROLE_PASSWORDS.admin) } })).status, 200);
  });

  it('audits every login, refusal and logout with user, address, way in and result', async () => {
    const token = await hub.login('admin');
    assert.equal((await hub.api(token, 'POST', '/auth/revoke', { token })).status, 200);
    type Entry = { event: string; how: string; user?: string; address?: string; result: string };
    let entries: Entry[] = [];
    const has = (want: Partial<Entry>): boolean => entries.some((e) => Object.entries(want).every(([k, v]) => e[k as keyof Entry] === v));
    for (let i = 0; i < 50; i++) {
      const res = await hub.api(admin, 'GET', '/factoryhub/audit/auth');
      assert.equal(res.status, 200);
      entries = ((await res.json()) as { entries: Entry[] }).entries;
      if (has({ event: 'logout' })) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(has({ event: 'login', how: 'editor', user: 'admin', address: '127.0.0.1', result: 'ok' }));
    assert.ok(has({ event: 'refused', how: 'editor', user: 'nosuchuser', result: 'wrong-password' }));
    assert.ok(has({ event: 'refused', how: 'basic', user: 'admin', result: 'wrong-password' }));
    assert.ok(has({ event: 'refused', how: 'dashboard', user: 'nosuchuser', result: 'wrong-password' }));
    assert.ok(has({ event: 'refused', how: 'editor', user: 'integrator', result: 'rate-limited' }));
    assert.ok(has({ event: 'refused', how: 'token', result: 'rate-limited' }));
    assert.ok(has({ event: 'logout', how: 'editor', user: 'admin', result: 'ok' }));
    assert.ok(!entries.some((e) => JSON.stringify(e).includes(ROLE_PASSWORDS.admin)), 'no password in the audit');
    // Rate-limited refusals of one kind from one address are written at most once a minute.
    assert.equal(entries.filter((e) => e.how === 'editor' && e.result === 'rate-limited').length, 1);
  });

  it('refuses a login form without Origin (CSRF) with 403; the login audit needs a login', async () => {
    const res = await hub.fetch('/factoryhub/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'admin', password: ROLE_PASSWORDS.admin }).toString(),
    });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /Origin/);
    assert.equal((await hub.api(undefined, 'GET', '/factoryhub/audit/auth')).status, 401);
    assert.ok(!/\[red\].*Too many login attempts|Error: Too many login attempts/.test(hub.log));
  });
});
