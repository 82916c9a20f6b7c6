/**
 * The tag-map write gate and the tag-map audit diff. Pure: which changes move, open or close a write path
 * (write-gate.ts), and the bounded before/after record (change-record.ts). Then against a real hub: a
 * technician (tagmaps.write) keeps fixing read-only tags but is refused, with 403 naming flows.write and
 * the tags, every change that alters where a write lands, in rows and through templates; an integrator
 * makes them; every change is in GET /factoryhub/audit/tag-maps with its diff, which only the admin reads.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { compileTagMap } from '../../nodes/tags/tag-map-model';
import { writeTargetChanges } from '../../nodes/tags/write-gate';
import { MAX_LISTED, changeRecord } from '../../nodes/tags/change-record';
import type { TagRow } from '../../nodes/tags/tag';
import { HubProcess, tempDir } from '../support/hub-process';
import type { Role } from '../support/hub-process';

const tags = (rows: TagRow[], templates: unknown[] = [], instances: unknown[] = []): ReturnType<typeof compileTagMap>['tags'] => {
  const model = compileTagMap({ rows, templates, instances });
  assert.deepEqual(model.errors.map((e) => e.text), []);
  return model.tags;
};
const gated = (before: TagRow[], after: TagRow[]): string[] => writeTargetChanges(tags(before), tags(after)).map((c) => c.text);

const SETPOINT: TagRow = { name: 'plant/line1/filler/setpoint', address: 'hr:10', dataType: 'uint16', access: 'read-write' };
const SPEED: TagRow = { name: 'plant/line1/capper/speed', address: 'hr:20', dataType: 'uint16', access: 'read-write' };
const COUNT: TagRow = { name: 'plant/line1/filler/count', address: 'hr:0', dataType: 'uint32' };

describe('tags/write-gate: changes that alter where a write lands', () => {
  it('lets read-only tags change freely: address, type, scaling, rename, add, remove', () => {
    assert.deepEqual(gated([COUNT, SETPOINT], [{ ...COUNT, address: 'hr:4', dataType: 'int32', gain: '0.1' }, SETPOINT]), []);
    assert.deepEqual(gated([COUNT, SETPOINT], [{ ...COUNT, name: 'plant/line1/filler/total' }, SETPOINT]), []);
    assert.deepEqual(gated([COUNT, SETPOINT], [SETPOINT]), []);
    assert.deepEqual(gated([SETPOINT], [SETPOINT, COUNT]), []);
  });

  it("lets a writable tag's unit, dead band and description change", () => {
    assert.deepEqual(gated([SETPOINT], [{ ...SETPOINT, unit: 'ml', deadband: '2', description: 'fill volume' }]), []);
  });

  it('gates making writable, adding, removing, renaming and making read-only a writable tag', () => {
    assert.deepEqual(gated([COUNT], [{ ...COUNT, access: 'read-write' }]), ['plant/line1/filler/count: made writable (hr:0)']);
    assert.deepEqual(gated([COUNT], [COUNT, SETPOINT]), ['plant/line1/filler/setpoint: writable tag added (hr:10)']);
    assert.deepEqual(gated([COUNT, SETPOINT], [COUNT]), ['plant/line1/filler/setpoint: writable tag removed or renamed']);
    assert.deepEqual(gated([SETPOINT], [{ ...SETPOINT, name: 'plant/line1/filler/volume' }]), [
      'plant/line1/filler/setpoint: writable tag removed or renamed',
      'plant/line1/filler/volume: writable tag added (hr:10)',
    ]);
    assert.deepEqual(gated([SETPOINT], [{ ...SETPOINT, access: 'read' }]), ['plant/line1/filler/setpoint: made read-only']);
  });

  it("gates a writable tag's device, address, type, length, order and scaling, and a swap of two addresses", () => {
    assert.deepEqual(gated([SETPOINT], [{ ...SETPOINT, address: '2:hr:10' }]), ['plant/line1/filler/setpoint: address hr:10 -> 2:hr:10']);
    assert.deepEqual(gated([SETPOINT], [{ ...SETPOINT, device: 'capper' }]), ['plant/line1/filler/setpoint: device (none) -> capper']);
    assert.deepEqual(gated([SETPOINT], [{ ...SETPOINT, dataType: 'int32', order: 'CDAB' }]), ['plant/line1/filler/setpoint: dataType uint16 -> int32, order ABCD -> CDAB']);
    assert.deepEqual(gated([SETPOINT], [{ ...SETPOINT, gain: '10' }]), ['plant/line1/filler/setpoint: scaling none -> gain 10, offset 0']);
    assert.deepEqual(gated([SETPOINT, SPEED], [{ ...SETPOINT, address: 'hr:20' }, { ...SPEED, address: 'hr:10' }]), [
      'plant/line1/filler/setpoint: address hr:10 -> hr:20',
      'plant/line1/capper/speed: address hr:20 -> hr:10',
    ]);
    const opc = (nodeId: string): TagRow => ({ name: 'plant/line1/labeller/target', address: nodeId, dataType: 'float64', access: 'read-write' });
    assert.deepEqual(gated([opc('ns=2;s=Labeller.Target')], [opc('ns=2;s=Capper.Target')]), [
      'plant/line1/labeller/target: address ns=2;s=Labeller.Target -> ns=2;s=Capper.Target',
    ]);
  });

  it('gates the same changes made through a template or an instance', () => {
    const template = (access: string): unknown[] => [{ name: 'filler', rows: [{ name: 'setpoint', address: 'hr:10', dataType: 'uint16', access }] }];
    const at = (baseAddress: number): unknown[] => [{ template: 'filler', namePrefix: 'plant/line1/filler1', baseAddress }];
    const g = (b: ReturnType<typeof tags>, a: ReturnType<typeof tags>): string[] => writeTargetChanges(b, a).map((c) => c.text);
    assert.deepEqual(g(tags([], template('read-write'), at(0)), tags([], template('read-write'), at(100))), ['plant/line1/filler1/setpoint: address hr:10 -> hr:110']);
    assert.deepEqual(g(tags([], template('read'), at(0)), tags([], template('read-write'), at(0))), ['plant/line1/filler1/setpoint: made writable (hr:10)']);
    assert.deepEqual(g(tags([], template('read'), at(0)), tags([], template('read'), at(100))), []);
  });
});

describe('tags/change-record: the bounded before/after diff of a tag-map change', () => {
  it('lists changed rows with the cells that changed, added and removed rows whole', () => {
    const record = changeRecord({ before: [COUNT, SETPOINT], after: [{ ...COUNT, address: 'hr:4' }, SPEED] });
    assert.deepEqual(record, {
      rows: { added: 1, removed: 1, changed: 1, unchanged: 0 },
      listed: [
        { op: 'changed', from: 'row', name: COUNT.name, before: { address: 'hr:0' }, after: { address: 'hr:4' } },
        { op: 'added', from: 'row', name: SPEED.name, after: SPEED },
        { op: 'removed', from: 'row', name: SETPOINT.name, before: SETPOINT },
      ],
      more: 0,
    });
  });

  it(`lists at most ${MAX_LISTED} rows and cells of at most 200 characters, and counts the rest`, () => {
    const rows = Array.from({ length: 500 }, (_, i): TagRow => ({ name: `plant/line1/m/t${i}`, address: `hr:${i}` }));
    const short = changeRecord({ before: rows, after: rows.map((r, i) => ({ ...r, address: `hr:${i + 1000}` })) });
    assert.equal(short.rows.changed, 500);
    assert.equal(short.listed.length, MAX_LISTED);
    assert.equal(short.more, 500 - MAX_LISTED);
    // Long cells: fewer rows fit in the record's 8 kB; still all counted.
    const long = changeRecord({ before: rows, after: rows.map((r) => ({ ...r, description: 'e'.repeat(5000), unit: 'u'.repeat(5000), device: 'v'.repeat(5000) })) });
    assert.equal(long.listed[0]?.after?.description, `${'e'.repeat(200)}…[5000 characters]`);
    assert.ok(long.listed.length > 0 && long.listed.length < MAX_LISTED, `${long.listed.length} listed`);
    assert.equal(long.more, 500 - long.listed.length);
    assert.ok(JSON.stringify(long).length < 9 * 1024, `${JSON.stringify(long).length} bytes`);
  });
});

const MAP = 'ea00000000000002';
const ROWS: TagRow[] = [COUNT, SETPOINT, SPEED];
const TEMPLATES = [{ name: 'labeller', rows: [{ name: 'target', address: 'hr:0', dataType: 'uint16', access: 'read-write' }, { name: 'count', address: 'hr:1', dataType: 'uint16' }] }];
const INSTANCES = [{ template: 'labeller', namePrefix: 'plant/line1/labeller1', baseAddress: 100 }];

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('tags/tag-map admin: the write gate and the audit diff (real hub)', function () {
  this.timeout(120_000);
  const hub = new HubProcess({ userDir: path.join(tempDir('write-gate'), 'userdir'), env: { HUB_SIMULATOR: '0', HUB_DEMO_ERP: '0' } });
  const tokens = new Map<Role, string>();
  const current = async (): Promise<{ rev: string; rows: TagRow[]; instances: unknown }> => {
    const res = await hub.api(tokens.get('admin'), 'GET', `/factoryhub/tag-maps/${MAP}`);
    const body = (await res.json()) as { rev: string; tagMap: { rows: TagRow[]; instances: unknown } };
    return { rev: body.rev, rows: body.tagMap.rows, instances: body.tagMap.instances };
  };
  const put = async (role: Role, edit: Record<string, unknown>): Promise<Answer> => {
    const { rev } = await current();
    const res = await hub.api(tokens.get(role), 'PUT', `/factoryhub/tag-maps/${MAP}`, { rev, ...edit });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const refused = async (edit: Record<string, unknown>, changes: string[]): Promise<void> => {
    const before = await current();
    const answer = await put('technician', edit);
    assert.equal(answer.status, 403, JSON.stringify(answer.body));
    assert.equal(answer.body.permission, 'flows.write');
    assert.equal(answer.body.code, 'permission_denied');
    assert.equal(answer.body.user, 'technician');
    assert.deepEqual((answer.body.changes as { text: string }[]).map((c) => c.text), changes);
    assert.match(String(answer.body.error), /^nothing was changed: .* needs the permission flows\.write \(an integrator\), and the account "technician" lacks it: /);
    assert.deepEqual(await current(), before, 'nothing deployed');
  };

  before(async () => {
    await hub.start();
    for (const role of ['admin', 'integrator', 'technician', 'operator'] as const) tokens.set(role, await hub.login(role));
    const from = hub.log.length;
    const flows = [{ id: MAP, type: 'fh-tag-map', name: 'line1', rows: ROWS, templates: TEMPLATES, instances: INSTANCES }];
    const res = await hub.api(tokens.get('admin'), 'POST', '/flows', flows, { 'Node-RED-Deployment-Type': 'full' });
    assert.ok([200, 204].includes(res.status), `deploy: HTTP ${res.status}`);
    await hub.waitForLog(/Started flows/, from);
  });

  after(() => hub.stop());

  it("lets the technician fix a read-only tag's address, type and scaling, and a writable tag's unit", async () => {
    const rows = [{ ...COUNT, address: 'hr:4', dataType: 'int32', gain: '0.5' }, { ...SETPOINT, unit: 'ml' }, SPEED];
    const answer = await put('technician', { rows });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual((await current()).rows, rows);
  });

  it('refuses the technician every change to where a write lands, naming flows.write and the tags', async () => {
    const { rows } = await current();
    const swap = rows.map((r) => (r.name === SETPOINT.name ? { ...r, address: SPEED.address } : r.name === SPEED.name ? { ...r, address: SETPOINT.address } : r));
    await refused({ rows: swap }, [`${SETPOINT.name}: address hr:10 -> hr:20`, `${SPEED.name}: address hr:20 -> hr:10`]);
    await refused({ rows: rows.map((r) => (r.name === COUNT.name ? { ...r, access: 'read-write' } : r)) }, [`${COUNT.name}: made writable (hr:4)`]);
    await refused({ rows: rows.map((r) => (r.name === SETPOINT.name ? { ...r, device: 'capper' } : r)) }, [`${SETPOINT.name}: device (none) -> capper`]);
    await refused({ rows: rows.filter((r) => r.name !== SPEED.name) }, [`${SPEED.name}: writable tag removed or renamed`]);
    await refused({ rows: [...rows, { name: 'plant/line1/filler/valve', address: 'co:5', access: 'read-write' }] }, ['plant/line1/filler/valve: writable tag added (co:5)']);
    await refused({ rows, instances: [{ ...INSTANCES[0], baseAddress: 200 }] }, ['plant/line1/labeller1/target: address hr:100 -> hr:200']);
    // The operator may not change tag maps at all: the 403 names tagmaps.write.
    const operator = await put('operator', { rows });
    assert.equal(operator.status, 403);
    assert.equal(operator.body.permission, 'tagmaps.write');
  });

  it('lets the integrator swap two writable addresses, and records the change with its diff for the admin', async () => {
    const before = await current();
    const swap = before.rows.map((r) => (r.name === SETPOINT.name ? { ...r, address: SPEED.address } : r.name === SPEED.name ? { ...r, address: SETPOINT.address } : r));
    const answer = await put('integrator', { rows: swap });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual((await current()).rows, swap);

    const res = await hub.api(tokens.get('admin'), 'GET', '/factoryhub/audit/tag-maps');
    assert.equal(res.status, 200);
    const { entries } = (await res.json()) as { entries: Record<string, unknown>[] };
    assert.equal(entries.length, 2, 'the technician\'s fix and the integrator\'s swap; refusals change nothing');
    const [fix, swapped] = entries;
    assert.equal(fix?.user, 'technician');
    assert.deepEqual(fix?.diff, {
      rows: { added: 0, removed: 0, changed: 2, unchanged: 1 },
      listed: [
        { op: 'changed', from: 'row', name: COUNT.name, before: { address: 'hr:0', dataType: 'uint32' }, after: { address: 'hr:4', dataType: 'int32', gain: '0.5' } },
        { op: 'changed', from: 'row', name: SETPOINT.name, before: {}, after: { unit: 'ml' } },
      ],
      more: 0,
    });
    assert.equal(swapped?.user, 'integrator');
    assert.equal(swapped?.summary, '2 rows changed');
    assert.deepEqual(swapped?.writeTargets, [`${SETPOINT.name}: address hr:10 -> hr:20`, `${SPEED.name}: address hr:20 -> hr:10`]);
    assert.deepEqual((swapped?.diff as { listed: unknown[] }).listed, [
      { op: 'changed', from: 'row', name: SETPOINT.name, before: { address: 'hr:10' }, after: { address: 'hr:20' } },
      { op: 'changed', from: 'row', name: SPEED.name, before: { address: 'hr:20' }, after: { address: 'hr:10' } },
    ]);
    for (const role of ['integrator', 'technician', 'operator'] as const) {
      const denied = await hub.api(tokens.get(role), 'GET', '/factoryhub/audit/tag-maps');
      assert.equal(denied.status, 403, role);
      assert.equal(((await denied.json()) as { permission: string }).permission, 'audit.read');
    }
  });

  it('bounds the diff of a large change: at most 20 rows (8 kB) listed, every row counted, template tags too', async () => {
    const before = await current();
    const many = Array.from({ length: 300 }, (_, i): TagRow => ({ name: `plant/line1/bulk/t${i}`, address: `ir:${i}`, description: 'x'.repeat(250) }));
    const answer = await put('technician', { rows: [...before.rows, ...many], instances: [{ ...INSTANCES[0], namePrefix: 'plant/line1/labeller2' }] });
    // A new instance prefix renames the template's writable tag: gated.
    assert.equal(answer.status, 403);
    const ok = await put('integrator', { rows: [...before.rows, ...many], instances: [{ ...INSTANCES[0], namePrefix: 'plant/line1/labeller2' }] });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const { entries } = (await (await hub.api(tokens.get('admin'), 'GET', '/factoryhub/audit/tag-maps')).json()) as { entries: Record<string, unknown>[] };
    const last = entries.at(-1) as { diff: { rows: unknown; templateTags: unknown; listed: { op: string; from: string; after?: TagRow }[]; more: number }; writeTargets: string[] };
    assert.deepEqual(last.diff.rows, { added: 300, removed: 0, changed: 0, unchanged: 3 });
    assert.deepEqual(last.diff.templateTags, { added: 2, removed: 2, changed: 0, unchanged: 0 });
    assert.equal(last.diff.listed[0]?.after?.description, 'x'.repeat(200) + '…[250 characters]');
    assert.ok(last.diff.listed.length > 0 && last.diff.listed.length <= 20);
    assert.equal(last.diff.more, 304 - last.diff.listed.length);
    assert.deepEqual(last.writeTargets, ['plant/line1/labeller1/target: writable tag removed or renamed', 'plant/line1/labeller2/target: writable tag added (hr:100)']);
  });
});
