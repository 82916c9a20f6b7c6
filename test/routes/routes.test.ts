/**
 * Every admin HTTP route of the package against a real hub (Node-RED child process with settings/ and
 * its accounts): oversized and malformed bodies as every role, and the inputs that crashed the hub
 * (a calendar of 200 shifts, a tag map whose templates expand to millions of rows, parallel reads of
 * a large audit day file). Each answer has the right status for the role, no stack trace or path, and
 * the hub answers afterwards with no uncaught exception in its log.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { HubProcess, tempDir } from '../support/hub-process';
import type { Role } from '../support/hub-process';

const MAP = 'ad00000000000002';
const ROLES: readonly Role[] = ['admin', 'integrator', 'technician', 'operator'];
type Caller = Role | 'nobody';
const CALLERS: readonly Caller[] = [...ROLES, 'nobody'];

/** Who holds each permission the routes ask for (settings/roles.js, which lists each role's exactly). */
const HOLDERS: Record<string, readonly Role[]> = {
  'flows.read': ROLES,
  'tagmaps.read': ROLES,
  'tagmaps.write': ['admin', 'integrator', 'technician'],
  'opcua.read': ['admin', 'integrator', 'technician'],
  'opcua.write': ['admin', 'integrator'],
  'erp.read': ['admin', 'integrator'],
  'erp.write': ['admin', 'integrator'],
  'audit.read': ['admin'],
  'kpi.read': ROLES,
};

interface RouteCase {
  readonly method: string;
  readonly path: string;
  readonly permission: keyof typeof HOLDERS;
}

/** Every route the package registers (grep httpAdmin in nodes/). */
const ROUTES: readonly RouteCase[] = [
  { method: 'POST', path: '/factoryhub/oee/calendar/validate', permission: 'flows.read' },
  { method: 'POST', path: '/factoryhub/oee/node/validate', permission: 'flows.read' },
  { method: 'GET', path: '/factoryhub/opcua/endpoints/nope/browse', permission: 'opcua.read' },
  { method: 'GET', path: '/factoryhub/opcua/endpoints/nope/state', permission: 'opcua.read' },
  { method: 'GET', path: '/factoryhub/opcua/certificates', permission: 'opcua.read' },
  { method: 'POST', path: '/factoryhub/opcua/certificates/trusted', permission: 'opcua.write' },
  { method: 'DELETE', path: `/factoryhub/opcua/certificates/trusted/${'a'.repeat(40)}`, permission: 'opcua.write' },
  { method: 'GET', path: '/factoryhub/erp/outboxes', permission: 'erp.read' },
  { method: 'GET', path: '/factoryhub/erp/outboxes/nope', permission: 'erp.read' },
  { method: 'GET', path: '/factoryhub/erp/outboxes/nope/dead-letters', permission: 'erp.read' },
  { method: 'POST', path: '/factoryhub/erp/outboxes/nope/retry', permission: 'erp.write' },
  { method: 'POST', path: '/factoryhub/erp/outboxes/nope/purge', permission: 'erp.write' },
  { method: 'GET', path: '/factoryhub/tag-maps', permission: 'tagmaps.read' },
  { method: 'GET', path: `/factoryhub/tag-maps/${MAP}`, permission: 'tagmaps.read' },
  { method: 'PUT', path: `/factoryhub/tag-maps/${MAP}`, permission: 'tagmaps.write' },
  { method: 'GET', path: '/factoryhub/audit/writes', permission: 'audit.read' },
  { method: 'GET', path: '/factoryhub/audit/tag-maps', permission: 'audit.read' },
  { method: 'GET', path: '/factoryhub/kpi/stores', permission: 'kpi.read' },
  { method: 'GET', path: '/factoryhub/kpi/stores/nope/query', permission: 'kpi.read' },
];

const deep = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);

/** Bodies that are too big or not what any route takes; `expect` is the status for a caller with the permission. */
const BODIES: readonly { name: string; body: string; expect: readonly number[] }[] = [
  { name: 'not JSON', body: '{"timeZone": ', expect: [400] },
  { name: 'a JSON string', body: '"calendar"', expect: [400] },
  { name: 'JSON null', body: 'null', expect: [400] },
  { name: 'an array', body: '[1, 2, 3]', expect: [200, 400, 404] },
  { name: '10,000 levels deep', body: deep(10_000), expect: [400, 413] },
  { name: 'a __proto__ key', body: '{"__proto__": {"isAdmin": true}, "timeZone": "UTC", "shifts": []}', expect: [400] },
  { name: 'a 4 MB string', body: JSON.stringify({ timeZone: 'x'.repeat(4 * 1024 * 1024), shifts: [] }), expect: [413] },
  { name: 'a 1e6-element array', body: JSON.stringify({ timeZone: 'UTC', shifts: new Array<number>(1_000_000).fill(0) }), expect: [400, 413] },
  { name: 'over apiMaxLength (6 MB)', body: JSON.stringify({ rows: 'y'.repeat(6 * 1024 * 1024) }), expect: [413] },
];

interface Answer {
  readonly status: number;
  readonly type: string;
  readonly text: string;
}

/** One request (hub.request: fetch refuses a body on GET; the admin app parses one anyway). */
async function request(hub: HubProcess, method: string, route: string, token: string | undefined, body?: string): Promise<Answer> {
  const headers = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
  const res = await hub.request(method, route, headers, body);
  return { status: res.status, type: String(res.headers['content-type'] ?? ''), text: res.body.toString() };
}

/** No stack trace, no file path, and an error answer is JSON {error: string}. */
function assertClean(answer: Answer, what: string): void {
  assert.doesNotMatch(answer.text, /\bat [\w.<>]+ \(|\/work\/|node_modules|[\w-]+\.[jt]s:\d+|Error: /, `${what}: leaks internals: ${answer.text.slice(0, 300)}`);
  // Node-RED's own 401 (no login) is empty or the text "Unauthorized"; a 403 (no permission) is JSON like any error.
  if (answer.status === 401) assert.ok(['', 'Unauthorized'].includes(answer.text), `${what}: 401 with ${answer.text.slice(0, 200)}`);
  else if (answer.status >= 400) {
    assert.match(answer.type, /application\/json/, `${what}: error answered as ${answer.type}: ${answer.text.slice(0, 200)}`);
    const body = JSON.parse(answer.text) as { error?: unknown };
    assert.equal(typeof body.error, 'string', `${what}: ${answer.text.slice(0, 200)}`);
  }
  assert.ok(answer.status < 500, `${what}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
}

describe('admin routes: bounded, least permission, clean errors (real hub)', function () {
  this.timeout(120_000);
  const userDir = path.join(tempDir('routes'), 'userdir');
  const hub = new HubProcess({ userDir, env: { HUB_SIMULATOR: '0', HUB_DEMO_ERP: '0' } });
  const tokens = new Map<Caller, string | undefined>();

  before(async () => {
    await hub.start();
    for (const role of ROLES) tokens.set(role, await hub.login(role));
    tokens.set('nobody', undefined);
    const from = hub.log.length;
    const flows = [{ id: MAP, type: 'fh-tag-map', name: 'line1', rows: [{ name: 'plant/line1/filler/count', address: 'hr:0', dataType: 'uint16' }] }];
    const res = await hub.api(tokens.get('admin'), 'POST', '/flows', flows, { 'Node-RED-Deployment-Type': 'full' });
    assert.ok([200, 204].includes(res.status), `deploy: HTTP ${res.status}`);
    await hub.waitForLog(/Started flows/, from);
  });

  after(() => hub.stop());

  it('answers oversized and malformed bodies on every route, as every role, with the right status and no internals', async () => {
    const seen: string[] = [];
    for (const route of ROUTES) {
      for (const caller of CALLERS) {
        const allowed = caller !== 'nobody' && HOLDERS[route.permission].includes(caller);
        for (const { name, body, expect } of BODIES) {
          const what = `${route.method} ${route.path} as ${caller} with ${name}`;
          const answer = await request(hub, route.method, route.path, tokens.get(caller), body);
          assertClean(answer, what);
          if (!allowed) {
            // No login: 401; logged in without the permission: 403 naming it, whatever the body.
            assert.equal(answer.status, caller === 'nobody' ? 401 : 403, `${what}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
            if (caller !== 'nobody') assert.equal((JSON.parse(answer.text) as { permission?: unknown }).permission, route.permission, what);
          } else assert.ok(expect.includes(answer.status), `${what}: HTTP ${answer.status}, expected ${expect.join('/')}: ${answer.text.slice(0, 200)}`);
          seen.push(`${answer.status}`);
        }
        // And without a body, the way the editor calls them: allowed or not, never a 5xx.
        const plain = await request(hub, route.method, route.path, tokens.get(caller));
        assertClean(plain, `${route.method} ${route.path} as ${caller} without a body`);
        if (!allowed) assert.equal(plain.status, caller === 'nobody' ? 401 : 403, `${route.method} ${route.path} as ${caller}`);
        else assert.ok(![401, 403].includes(plain.status), `${route.method} ${route.path} as ${caller}: HTTP ${plain.status}`);
      }
    }
    assert.equal(seen.length, ROUTES.length * CALLERS.length * BODIES.length);
    await stillAnswers();
  });

  it('answers a calendar of 200 shifts with one clear issue, and one of 3,000 (300 kB) with 413, instead of crashing', async () => {
    const week = (count: number): unknown[] =>
      Array.from({ length: count }, (_, i) => ({ name: `s${i}`, days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '06:00', end: '14:00' }));
    for (const [count, status] of [[200, 200], [3000, 413]] as const) {
      const res = await hub.api(tokens.get('operator'), 'POST', '/factoryhub/oee/calendar/validate', { timeZone: 'UTC', shifts: week(count) });
      const text = await res.text();
      assertClean({ status: res.status, type: res.headers.get('content-type') ?? '', text }, `${count} shifts`);
      assert.equal(res.status, status, text.slice(0, 300));
      if (status === 200) assert.deepEqual(JSON.parse(text), { issues: [`shifts: ${count} given, at most 50 are allowed`] });
      else assert.match((JSON.parse(text) as { error: string }).error, /^the body is \d+ bytes; this route takes at most 262144$/);
    }
    // 50 shifts all on the same hours: every pair overlaps, the issues are listed up to 50 and counted.
    const same = Array.from({ length: 50 }, (_, i) => ({ name: `s${i}`, days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '06:00', end: '14:00' }));
    const res = await hub.api(tokens.get('operator'), 'POST', '/factoryhub/oee/calendar/validate', { timeZone: 'UTC', shifts: same });
    const { issues } = (await res.json()) as { issues: string[] };
    assert.equal(issues.length, 51);
    assert.match(issues[50], /^\.\.\. and \d+ more issues$/);
    await stillAnswers();
  });

  it('refuses a tag map whose templates expand past the row limit before expanding them, and changes nothing', async () => {
    const admin = tokens.get('admin');
    const before = (await (await hub.api(admin, 'GET', '/factoryhub/tag-maps')).json()) as { rev: string };
    const template = { name: 'filler', rows: Array.from({ length: 5000 }, (_, i) => ({ name: `t${i}`, address: `hr:${i}` })) };
    const instances = Array.from({ length: 2000 }, (_, i) => ({ template: 'filler', namePrefix: `plant/line1/m${i}` }));
    const res = await hub.api(tokens.get('technician'), 'PUT', `/factoryhub/tag-maps/${MAP}`, { rev: before.rev, rows: [], templates: [template], instances });
    const text = await res.text();
    assertClean({ status: res.status, type: res.headers.get('content-type') ?? '', text }, 'template expansion');
    assert.equal(res.status, 400, text.slice(0, 300));
    assert.match((JSON.parse(text) as { error: string }).error, /too many tags: 10000000 .*the limit is 10000/);
    // 10,000 rows on one address: every error is counted, the first 200 listed.
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ name: `plant/line1/m/t${i}`, address: 'hr:0', dataType: 'uint16' }));
    const overlapping = await hub.api(tokens.get('technician'), 'PUT', `/factoryhub/tag-maps/${MAP}`, { rev: before.rev, rows });
    assert.equal(overlapping.status, 400);
    const refused = (await overlapping.json()) as { error: string; errors: unknown[] };
    assert.match(refused.error, /has 9999 errors; nothing was changed/);
    assert.equal(refused.errors.length, 200);
    const after = (await (await hub.api(admin, 'GET', '/factoryhub/tag-maps')).json()) as { rev: string };
    assert.equal(after.rev, before.rev, 'nothing deployed');
    await stillAnswers();
  });

  it('records a tag-map change with its user, readable through the audit route', async () => {
    const technician = tokens.get('technician');
    const { rev } = (await (await hub.api(technician, 'GET', '/factoryhub/tag-maps')).json()) as { rev: string };
    const rows = [{ name: 'plant/line1/filler/count', address: 'hr:10', dataType: 'uint16' }];
    const put = await hub.api(technician, 'PUT', `/factoryhub/tag-maps/${MAP}`, { rev, rows });
    assert.equal(put.status, 200, await put.clone().text());
    const saved = (await put.json()) as { rev: string };
    const res = await hub.api(tokens.get('admin'), 'GET', '/factoryhub/audit/tag-maps');
    assert.equal(res.status, 200);
    const page = (await res.json()) as { entries: Record<string, unknown>[]; skipped: number; more: boolean };
    assert.equal(page.entries.length, 1);
    const diff = {
      rows: { added: 0, removed: 0, changed: 1, unchanged: 0 },
      listed: [{ op: 'changed', from: 'row', name: 'plant/line1/filler/count', before: { address: 'hr:0' }, after: { address: 'hr:10' } }],
      more: 0,
    };
    assert.deepEqual(
      { ...page.entries[0], time: undefined },
      { time: undefined, kind: 'tagmap', node: MAP, nodeName: 'line1', user: 'technician', revBefore: rev, rev: saved.rev, summary: '1 row changed', diff },
    );
  });

  it('pages a large audit day file: 10 parallel reads by the admin get at most 1,000 entries each', async () => {
    const dir = path.join(userDir, 'audit');
    fs.mkdirSync(dir, { recursive: true });
    const day = '2026-01-15';
    const line = (i: number): string => `${JSON.stringify({ time: `${day}T08:00:00.000Z`, flow: 'f', node: 'n', device: 'plc', tag: `t${i}`, address: 'hr:1', value: 'v'.repeat(1000), result: 'refused' })}\n`;
    const block = Array.from({ length: 1000 }, (_, i) => line(i)).join('');
    const file = path.join(dir, `writes-${day}.jsonl`);
    fs.writeFileSync(file, '');
    for (let b = 0; b < 30; b++) fs.appendFileSync(file, b === 3 ? `${block}not json\n{"torn": tr\n` : block);
    const reader = tokens.get('admin');
    const answers = await Promise.all(Array.from({ length: 10 }, () => hub.api(reader, 'GET', `/factoryhub/audit/writes?date=${day}`)));
    for (const res of answers) {
      assert.equal(res.status, 200);
      const page = (await res.json()) as { entries: { tag: string }[]; more: boolean; nextOffset: number; offset: number };
      assert.equal(page.entries.length, 1000);
      assert.equal(page.entries[999].tag, 't999');
      assert.equal(page.more, true);
      assert.equal(page.offset, 0);
      assert.equal(page.nextOffset, Buffer.byteLength(block));
    }
    // Walk the day page by page: every entry once, the two bad lines counted, not fatal.
    let offset = 0;
    let entries = 0;
    let skipped = 0;
    for (;;) {
      const res = await hub.api(reader, 'GET', `/factoryhub/audit/writes?date=${day}&offset=${offset}&limit=700`);
      const page = (await res.json()) as { entries: unknown[]; skipped: number; more: boolean; nextOffset: number };
      entries += page.entries.length;
      skipped += page.skipped;
      if (!page.more) break;
      offset = page.nextOffset;
    }
    assert.equal(entries, 30_000);
    assert.equal(skipped, 2);
    for (const query of ['date=yesterday', 'date=2026-01-15&limit=5000', 'date=2026-01-15&offset=-1', 'date=2026-01-15&date=2026-01-16']) {
      const res = await hub.api(reader, 'GET', `/factoryhub/audit/writes?${query}`);
      const text = await res.text();
      assert.equal(res.status, 400, `${query}: ${text}`);
      assertClean({ status: res.status, type: res.headers.get('content-type') ?? '', text }, query);
    }
    await stillAnswers();
  });

  it('answers a failure of its own with a generic 500 and logs the cause', async () => {
    // A day "file" that is a directory cannot be read: an internal error, not the caller's.
    fs.mkdirSync(path.join(userDir, 'audit', 'writes-2026-01-16.jsonl'), { recursive: true });
    const from = hub.log.length;
    const res = await hub.api(tokens.get('admin'), 'GET', '/factoryhub/audit/writes?date=2026-01-16');
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { error: 'internal error of the hub; its log has the details' });
    await hub.waitForLog(/GET \/factoryhub\/audit\/writes: EISDIR/, from);
    await stillAnswers();
  });

  /** The hub still serves the editor API, and its log shows no crash. */
  async function stillAnswers(): Promise<void> {
    const res = await hub.api(tokens.get('operator'), 'GET', '/factoryhub/tag-maps');
    assert.equal(res.status, 200);
    assert.doesNotMatch(hub.log, /Uncaught|uncaughtException|Maximum call stack|heap out of memory|FATAL ERROR/);
  }
});
