/**
 * The technician role against a real hub (Node-RED child process with settings/): through the tag-map
 * admin endpoints a `technician` changes a deployed tag map, and nothing else; the change lands in the
 * running flows and as a one-line diff in the flow file; invalid maps, other nodes, stale revisions
 * and the `operator` (viewer) are refused with nothing changed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { HubProcess, tempDir } from '../support/hub-process';
import type { Role } from '../support/hub-process';

const TAB = 'ab00000000000001';
const MAP = 'ab00000000000002';
const INJECT = 'ab00000000000003';
const FUNCTION = 'ab00000000000004';
const DEBUG = 'ab00000000000005';

const ROWS = [
  { name: 'plant/line1/filler/count', address: 'hr:0', dataType: 'uint32' },
  { name: 'plant/line1/filler/speed', address: 'hr:2', dataType: 'float32', unit: 'ppm' },
  { name: 'plant/line1/filler/running', address: 'co:0' },
];

type FlowNode = Record<string, unknown> & { id: string; type: string };

function flow(): FlowNode[] {
  return [
    { id: TAB, type: 'tab', label: 'Line 1', disabled: false, info: '' },
    { id: MAP, type: 'fh-tag-map', name: 'line1', rows: ROWS },
    { id: INJECT, type: 'inject', z: TAB, name: 'tick', props: [{ p: 'payload' }], repeat: '', once: false, topic: '', payload: '1', payloadType: 'num', x: 100, y: 60, wires: [[FUNCTION]] },
    { id: FUNCTION, type: 'function', z: TAB, name: 'double', func: 'msg.payload *= 2;\nreturn msg;', outputs: 1, x: 260, y: 60, wires: [[DEBUG]] },
    { id: DEBUG, type: 'debug', z: TAB, name: 'out', active: true, complete: 'payload', x: 420, y: 60, wires: [] },
  ];
}

interface Flows {
  rev: string;
  flows: FlowNode[];
}

describe('tags/tag-map admin endpoints and the technician role (real hub)', function () {
  this.timeout(60000);
  const userDir = path.join(tempDir('tag-map-admin'), 'userdir');
  const flowFile = path.join(userDir, 'flows.json');
  const hub = new HubProcess({ userDir });
  const tokens = new Map<Role, string>();
  const token = async (role: Role): Promise<string> => {
    const known = tokens.get(role);
    if (known !== undefined) return known;
    const fresh = await hub.login(role);
    tokens.set(role, fresh);
    return fresh;
  };
  const deployed = async (): Promise<Flows> => {
    const res = await hub.api(await token('admin'), 'GET', '/flows', undefined, { 'Node-RED-API-Version': 'v2' });
    assert.equal(res.status, 200);
    return (await res.json()) as Flows;
  };
  const put = async (role: Role, id: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await hub.api(await token(role), 'PUT', `/factoryhub/tag-maps/${id}`, body);
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  /** Asserts flows and flow file are exactly as `before`. */
  const unchanged = async (before: { rev: string; file: string }): Promise<void> => {
    assert.equal((await deployed()).rev, before.rev, 'deployed flows unchanged');
    assert.equal(fs.readFileSync(flowFile, 'utf8'), before.file, 'flow file unchanged');
  };
  const snapshot = async (): Promise<{ rev: string; file: string }> => ({ rev: (await deployed()).rev, file: fs.readFileSync(flowFile, 'utf8') });

  before(async () => {
    await hub.start();
    const from = hub.log.length;
    const res = await hub.api(await token('admin'), 'POST', '/flows', flow(), { 'Node-RED-Deployment-Type': 'full' });
    assert.ok([200, 204].includes(res.status), `deploy: HTTP ${res.status}`);
    await hub.waitForLog(/Started flows/, from);
  });

  after(() => hub.stop());

  it('lists tag maps to the technician with the flows revision', async () => {
    const res = await hub.api(await token('technician'), 'GET', '/factoryhub/tag-maps');
    assert.equal(res.status, 200);
    const body = (await res.json()) as { rev: string; tagMaps: { id: string; name: string; rows: unknown; tags: number; errors: string[] }[] };
    assert.equal(body.rev, (await deployed()).rev);
    assert.deepEqual(
      body.tagMaps.map((m) => [m.id, m.name, m.rows, m.tags, m.errors]),
      [[MAP, 'line1', ROWS, 3, []]],
    );
    const one = await hub.api(await token('technician'), 'GET', `/factoryhub/tag-maps/${MAP}`);
    assert.equal(one.status, 200);
    assert.equal((await hub.api(undefined, 'GET', '/factoryhub/tag-maps')).status, 401, 'no login, no list');
  });

  it('lets the technician change one cell: deployed, saved as a one-line diff, nothing else touched', async () => {
    const before = await deployed();
    const fileBefore = fs.readFileSync(flowFile, 'utf8');
    const rows = ROWS.map((r) => (r.name === 'plant/line1/filler/speed' ? { ...r, address: 'hr:20' } : r));
    const from = hub.log.length;
    const res = await put('technician', MAP, { rev: before.rev, rows });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.changed, true);
    assert.equal(res.body.tags, 3);

    const after = await deployed();
    assert.equal(after.rev, res.body.rev);
    assert.notEqual(after.rev, before.rev);
    assert.deepEqual(after.flows.find((n) => n.id === MAP)?.rows, rows, 'the running flows hold the change');
    assert.deepEqual(
      after.flows.filter((n) => n.id !== MAP),
      before.flows.filter((n) => n.id !== MAP),
      'every other node is unchanged',
    );
    const withoutRows = (flows: FlowNode[]): Record<string, unknown> => {
      const { rows: _rows, ...rest } = flows.find((n) => n.id === MAP) ?? { id: '', type: '' };
      return rest;
    };
    assert.deepEqual(withoutRows(after.flows), withoutRows(before.flows), 'only rows of the tag map changed');

    const a = fileBefore.split('\n');
    const b = fs.readFileSync(flowFile, 'utf8').split('\n');
    assert.equal(b.length, a.length, 'same number of lines');
    const changed = a.flatMap((line, i) => (line === b[i] ? [] : [`-${line}\n+${b[i]}`]));
    assert.deepEqual(changed, ['-                "address": "hr:2",\n+                "address": "hr:20",'], 'exactly one changed line');

    // Deploy type "nodes": only the tag map (and its users) restart, not the whole hub.
    await hub.waitForLog(/Started modified nodes/, from);
    assert.doesNotMatch(hub.log.slice(from), /Stopping flows|Starting flows/);
    assert.match(hub.log.slice(from), /tag map "line1" \(ab00000000000002\) changed by technician: 1 row changed/);
  });

  it('keeps the technician from deploying flows', async () => {
    const current = await deployed();
    const res = await hub.api(await token('technician'), 'POST', '/flows', current.flows, { 'Node-RED-Deployment-Type': 'full' });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { permission: string }).permission, 'flows.write');
    const nodes = await hub.api(await token('technician'), 'POST', '/flows', [...current.flows, { id: 'ab00000000000009', type: 'debug', z: TAB, wires: [] }], {
      'Node-RED-Deployment-Type': 'nodes',
    });
    assert.equal(nodes.status, 403);
  });

  it('refuses an invalid map with every error by row and column, applying nothing', async () => {
    const before = await snapshot();
    const res = await put('technician', MAP, {
      rev: before.rev,
      rows: [
        { name: 'plant/line1/filler/count', address: 'hr:0.16' },
        { name: 'plant/line1/filler/count', address: 'hr:5' },
        { name: 'plant/line1/filler/label', address: 'hr:6', dataType: 'string' },
      ],
    });
    assert.equal(res.status, 400);
    assert.match(String(res.body.error), /has 3 errors; nothing was changed/);
    assert.deepEqual(
      (res.body.errors as { row: number; column: string; text: string }[]).map((e) => [e.row, e.column, e.text]),
      [
        [1, 'address', 'row 1, column "address": bit index 16 is above 15'],
        [2, 'name', 'row 2, column "name": duplicate name "plant/line1/filler/count": row 1 is already named "plant/line1/filler/count" (names are case-insensitive)'],
        [3, 'length', 'row 3, column "length": a string tag needs a length (characters, 1..246)'],
      ],
    );
    await unchanged(before);
  });

  it('cannot change any other node, nor other properties of the tag map', async () => {
    const before = await snapshot();
    for (const id of [INJECT, FUNCTION, DEBUG, TAB]) {
      const res = await put('technician', id, { rev: before.rev, rows: ROWS });
      assert.equal(res.status, 404, `${id}: ${JSON.stringify(res.body)}`);
    }
    assert.equal((await put('technician', 'ab0000000000ffff', { rev: before.rev, rows: ROWS })).status, 404);
    const renamed = await put('technician', MAP, { rev: before.rev, rows: ROWS, name: 'hijacked', type: 'function', func: 'process.exit()' });
    assert.equal(renamed.status, 400);
    assert.match(String(renamed.body.error), /only rows, templates and instances/);
    await unchanged(before);
  });

  it('gives 409 for a stale revision and never overwrites', async () => {
    const before = await snapshot();
    const stale = await put('technician', MAP, { rev: 'a'.repeat(64), rows: ROWS });
    assert.equal(stale.status, 409);
    assert.equal(stale.body.rev, before.rev, 'the current revision is returned to reload with');
    assert.equal((await put('technician', MAP, { rows: ROWS })).status, 400, 'a rev is required');
    await unchanged(before);
  });

  it('lets only one of two saves on the same revision through', async () => {
    const before = await snapshot();
    const edit = (unit: string): unknown => ({ rev: before.rev, rows: ROWS.map((r, i) => (i === 0 ? { ...r, unit } : r)) });
    const results = await Promise.all([put('technician', MAP, edit('pcs')), put('integrator', MAP, edit('bottles'))]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 409]);
    const winner = results.find((r) => r.status === 200);
    assert.equal((await deployed()).rev, winner?.body.rev);
  });

  it('accepts templates and instances, and traces their errors', async () => {
    const before = await snapshot();
    const templates = [{ name: 'filler', rows: [{ name: 'count', address: 'hr:0', dataType: 'uint32' }] }];
    const bad = await put('technician', MAP, { rev: before.rev, rows: ROWS, templates, instances: [{ template: 'filler', namePrefix: 'plant/line1/filler2' }] });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      (bad.body.errors as { text: string }[]).map((e) => e.text),
      ['instance 1 (plant/line1/filler2), template "filler", tag "count", column "address": hr:0..1 overlaps row 1 "plant/line1/filler/count" (hr:0..1)'],
    );
    await unchanged(before);
    const good = await put('technician', MAP, { rev: before.rev, rows: ROWS, templates, instances: [{ template: 'filler', namePrefix: 'plant/line1/filler2', baseAddress: 100 }] });
    assert.equal(good.status, 200, JSON.stringify(good.body));
    assert.equal(good.body.tags, 4);
    const map = (await deployed()).flows.find((n) => n.id === MAP);
    assert.deepEqual(map?.instances, [{ template: 'filler', namePrefix: 'plant/line1/filler2', baseAddress: 100 }]);
  });

  it('lets the operator (viewer) read but change nothing', async () => {
    const before = await snapshot();
    assert.equal((await hub.api(await token('operator'), 'GET', '/factoryhub/tag-maps')).status, 200);
    const res = await put('operator', MAP, { rev: before.rev, rows: [] });
    assert.equal(res.status, 403);
    assert.equal(res.body.permission, 'tagmaps.write');
    const anonymous = await hub.api(undefined, 'PUT', `/factoryhub/tag-maps/${MAP}`, { rev: before.rev, rows: [] });
    assert.equal(anonymous.status, 401);
    await unchanged(before);
  });
});
