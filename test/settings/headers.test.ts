/**
 * Security headers, CORS and error answers of a real hub (the demo flow on the simulated line, so the
 * dashboard is the product's), through its HTTP API: every answer (editor, admin API, /ui, http-in,
 * errors) carries the anti-framing, nosniff, referrer and content-security policies; no answer grants
 * another origin, and a cross-origin request is refused before it has an effect; error answers (bad
 * JSON to /flows and to an http-in endpoint, 404s, an exception in a route, /ui) show no stack trace
 * and no file path. HSTS: absent on plain HTTP, and present when the request came over TLS (the same
 * middleware in an Express app behind a TLS-terminating proxy). The dashboard's pages, every tab, run
 * in Chromium without a Content-Security-Policy violation.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { basicAuth, repoRoot } from '../support/hub-process';
import { launchBrowser } from '../support/browser';
import { startDemo } from '../support/demo-line';
import type { RunningDemo } from '../support/demo-line';
import { securityHeaders } from '../../settings/security-headers';

const TAB = 'he00000000000001';
const EVIL = 'https://evil.example';
/** What a stack trace or a path looks like in an answer. */
const LEAK = /\n\s+at |node_modules|\.[cm]?[jt]s:\d+|\/work\/|[A-Z]:\\\\/;

/** The headers every answer must carry. */
function assertSecure(res: Response, what: string): void {
  const csp = res.headers.get('content-security-policy') ?? '';
  assert.match(csp, /frame-ancestors 'none'/, `${what}: CSP frame-ancestors`);
  assert.equal(res.headers.get('x-frame-options'), 'DENY', `${what}: X-Frame-Options`);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
  assert.equal(res.headers.get('referrer-policy'), 'same-origin', `${what}: Referrer-Policy`);
  // The hub serves HTTPS (the default): HSTS on every answer; absence on plain HTTP is the test below.
  assert.equal(res.headers.get('strict-transport-security'), 'max-age=31536000', `${what}: HSTS`);
  assert.equal(res.headers.get('access-control-allow-origin'), null, `${what}: no CORS grant`);
}

describe('settings: security headers, CORS limited to the hub, errors without stacks', function () {
  this.timeout(180000);
  let demo: RunningDemo;
  let token: string;
  const hubFetch = (route: string, init?: RequestInit): Promise<Response> => demo.hub.fetch(route, init);

  before(async () => {
    demo = await startDemo({ name: 'headers' });
    token = await demo.hub.login('admin');
    // A tab of our own next to the demo: an http-in endpoint that takes JSON and counts its calls.
    const tab = {
      id: TAB,
      label: 'headers test',
      nodes: [
        { id: 'he00000000000002', type: 'http in', z: TAB, url: '/fh-echo', method: 'post', wires: [['he00000000000003']] },
        { id: 'he00000000000005', type: 'http in', z: TAB, url: '/fh-echo', method: 'get', wires: [['he00000000000003']] },
        { id: 'he00000000000003', type: 'change', z: TAB, rules: [{ t: 'set', p: 'calls', pt: 'global', to: '($globalContext("calls") ? $globalContext("calls") : 0) + 1', tot: 'jsonata' }], wires: [['he00000000000004']] },
        { id: 'he00000000000004', type: 'http response', z: TAB, statusCode: '200', wires: [] },
      ],
    };
    const res = await demo.hub.api(token, 'POST', '/flow', tab);
    assert.equal(res.status, 200, await res.text());
  });
  after(() => demo?.stop());

  it('puts the headers on the editor, the admin API, the dashboard and http-in answers', async () => {
    const editor = await hubFetch('/');
    assertSecure(editor, 'editor page');
    assert.match(editor.headers.get('content-security-policy') ?? '', /script-src 'self' 'unsafe-inline'(;|$)/, 'the editor runs without eval');
    assertSecure(await demo.hub.api(token, 'GET', '/settings'), 'admin API');
    assertSecure(await demo.hub.api(undefined, 'GET', '/flows'), 'admin API refusal');
    const ui = await hubFetch('/ui/', { headers: { authorization: basicAuth('operator') } });
    assert.equal(ui.status, 200);
    assertSecure(ui, 'dashboard');
    assert.match(ui.headers.get('content-security-policy') ?? '', /'unsafe-eval'/, 'the dashboard (AngularJS) has its own policy');
    assertSecure(await hubFetch('/ui/'), 'dashboard login refusal');
    const echo = await hubFetch('/fh-echo', { method: 'POST', headers: { authorization: basicAuth('operator'), 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.equal(echo.status, 200);
    assertSecure(echo, 'http-in');
  });

  it('sends HSTS only over TLS', async () => {
    // The hub's middleware in an Express app behind a TLS-terminating proxy (X-Forwarded-Proto), so
    // `req.secure` is what a TLS connection makes it, and plain HTTP (HUB_HTTP=1 behind a proxy) has none.
    const app = express();
    app.set('trust proxy', 'loopback');
    app.use(securityHeaders({ dashboardPath: '/ui' }));
    app.get('/', (_req, res) => void res.send('ok'));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      assert.equal((await fetch(url, { headers: { 'x-forwarded-proto': 'https' } })).headers.get('strict-transport-security'), 'max-age=31536000');
      assert.equal((await fetch(url)).headers.get('strict-transport-security'), null);
    } finally {
      server.close();
    }
  });

  it('refuses cross-origin requests before they have an effect, grants no preflight, lets same-origin and Origin-less requests through', async () => {
    const own = new URL(demo.hub.url).origin;
    // A preflight from another site: Node-RED's cors('*') would answer 204 with Access-Control-Allow-Origin: *.
    const preflight = await hubFetch('/flows', { method: 'OPTIONS', headers: { origin: EVIL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
    assert.equal(preflight.status, 403);
    assertSecure(preflight, 'preflight');
    assert.equal(preflight.headers.get('access-control-allow-methods'), null);
    assert.match(((await preflight.json()) as { message: string }).message, /only pages of its own origin/);
    // Even with a valid token, another origin's request does nothing: a deploy is refused, and so is an http-in call.
    const before = (await (await demo.hub.api(token, 'GET', '/flows', undefined, { 'Node-RED-API-Version': 'v2' })).json()) as { rev: string };
    const deploy = await demo.hub.api(token, 'POST', '/flows', { flows: [], rev: before.rev }, { origin: EVIL, 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' });
    assert.equal(deploy.status, 403);
    const after = (await (await demo.hub.api(token, 'GET', '/flows', undefined, { 'Node-RED-API-Version': 'v2' })).json()) as { rev: string };
    assert.equal(after.rev, before.rev, 'nothing deployed');
    const calls = async (): Promise<unknown> => ((await (await demo.hub.api(token, 'GET', '/context/global/calls')).json()) as { msg?: unknown }).msg;
    const callsBefore = await calls();
    const echo = (origin: string, extra: Record<string, string> = {}): Promise<Response> =>
      hubFetch('/fh-echo', { method: 'POST', headers: { origin, authorization: basicAuth('operator'), 'content-type': 'application/json', ...extra }, body: '{}' });
    assert.equal((await echo(EVIL)).status, 403, 'http-in from another origin');
    assert.equal((await echo('null')).status, 403, 'http-in from an opaque origin (sandboxed page, file:)');
    assert.equal(await calls(), callsBefore, 'the refused calls never reached the flow');
    // Another site's page without an Origin header (an <img> or a GET form): Fetch metadata says so.
    assert.equal((await hubFetch('/settings', { headers: { authorization: `Bearer ${token}`, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'image' } })).status, 403);
    // (A link from another site, a top-level navigation, still opens the dashboard: Node's fetch always
    // says sec-fetch-mode cors, so Chromium checks that below.)
    // Same origin, and scripts that send no Origin, work.
    assert.equal((await echo(own, { 'sec-fetch-site': 'same-origin' })).status, 200);
    assert.equal(Number(await calls()), Number(callsBefore ?? 0) + 1, 'the same-origin call reached the flow');
    const plain = await demo.hub.api(token, 'GET', '/settings');
    assert.equal(plain.status, 200);
    assertSecure(plain, 'request without Origin');
  });

  it('answers errors without stack traces or file paths', async () => {
    const cases: { what: string; res: Promise<Response>; status: number }[] = [
      { what: 'malformed JSON to /flows', status: 400, res: hubFetch('/flows', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"flows": [' }) },
      { what: 'a JSON string to /flows', status: 400, res: hubFetch('/flows', { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '"x"' }) },
      { what: 'malformed JSON to an http-in endpoint', status: 400, res: hubFetch('/fh-echo', { method: 'POST', headers: { authorization: basicAuth('operator'), 'content-type': 'application/json' }, body: '{bad' }) },
      { what: 'malformed JSON to the login', status: 400, res: hubFetch('/auth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' }) },
      { what: 'a 404', status: 404, res: hubFetch('/no-such-page') },
      { what: 'an exception in an admin route (a path parameter that is not UTF-8)', status: 400, res: hubFetch('/nodes/%E0%A4%A', { headers: { authorization: `Bearer ${token}` } }) },
      { what: 'an exception in a hub route', status: 400, res: hubFetch('/factoryhub/tag-maps/%E0%A4%A', { headers: { authorization: `Bearer ${token}` } }) },
      { what: 'a dashboard 404', status: 404, res: hubFetch('/ui/no-such.js', { headers: { authorization: basicAuth('operator') } }) },
      { what: 'a dashboard path that is not UTF-8', status: 404, res: hubFetch('/ui/%E0%A4%A', { headers: { authorization: basicAuth('operator') } }) },
      { what: 'a dashboard socket with a bad handshake', status: 400, res: hubFetch('/ui/socket.io/?EIO=9&transport=polling', { headers: { authorization: basicAuth('operator') } }) },
    ];
    for (const c of cases) {
      const res = await c.res;
      const body = await res.text();
      assert.equal(res.status, c.status, `${c.what}: HTTP ${res.status} ${body.slice(0, 200)}`);
      assert.doesNotMatch(body, LEAK, `${c.what}: ${body.slice(0, 500)}`);
      assert.ok(!body.includes(repoRoot), `${c.what}: no path`);
      if (!c.what.includes('socket')) assertSecure(res, c.what);
    }
  });

  it('runs every dashboard tab in Chromium without a Content-Security-Policy violation', async () => {
    const browser = await launchBrowser(demo.hub);
    try {
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, extraHTTPHeaders: { authorization: basicAuth('operator') } });
      await context.route((url) => url.origin !== new URL(demo.hub.url).origin, (route) => route.abort());
      await context.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
          const w = globalThis as unknown as { fhCsp?: string[] };
          (w.fhCsp ??= []).push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
        });
      });
      const page = await context.newPage();
      // Another site's page (a plant portal, served on this host as "localhost", another site than
      // 127.0.0.1 for the browser): its link to the dashboard opens it; its image and its script's POST
      // to the hub are refused by the hub.
      const hub = demo.hub.url;
      const portalPage = `<a id="go" href="${hub}/ui/">Line dashboard</a><img src="${hub}/fh-echo?img">
        <script>fetch(${JSON.stringify(`${hub}/fh-echo`)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((r) => (window.posted = 'HTTP ' + r.status), (e) => (window.posted = 'refused'));</script>`;
      const portalServer = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(portalPage)).listen(0, '127.0.0.1');
      await new Promise((r) => portalServer.once('listening', r));
      const portal = `http://localhost:${(portalServer.address() as AddressInfo).port}/`;
      await context.route(portal, (route) => route.continue());
      const calls = async (): Promise<unknown> => ((await (await demo.hub.api(token, 'GET', '/context/global/calls')).json()) as { msg?: unknown }).msg;
      const callsBefore = await calls();
      const image = page.waitForEvent('requestfailed', (r) => r.url().includes('/fh-echo?img'));
      await page.goto(portal);
      await page.waitForFunction(() => (globalThis as unknown as { posted?: string }).posted !== undefined);
      assert.equal(await page.evaluate(() => (globalThis as unknown as { posted?: string }).posted), 'refused', "another site's script may not call the hub");
      await image;
      assert.equal(await calls(), callsBefore, "neither the portal's image nor its POST reached the flow");
      await Promise.all([page.waitForURL(`${hub}/ui/**`), page.click('#go')]);
      await page.waitForSelector('md-card', { timeout: 30000 });
      const violations: string[] = [];
      page.on('console', (m) => {
        if (/Refused to|Content Security Policy/i.test(m.text())) violations.push(m.text());
      });
      for (const tab of [0, 1, 2, 3]) {
        await page.goto(`${demo.hub.url}/ui/#!/${tab}`, { waitUntil: 'domcontentloaded' });
        // The dashboard is up when Angular has drawn the tab's cards and the socket has brought values.
        await page.waitForSelector('md-card', { timeout: 30000 });
        await page.waitForTimeout(2000);
        const seen = await page.evaluate(() => (globalThis as unknown as { fhCsp?: string[] }).fhCsp ?? []);
        assert.deepEqual([...violations, ...seen], [], `dashboard tab ${tab}: no CSP violations`);
      }
      portalServer.close();
    } finally {
      await browser.close();
    }
  });
});
