import assert from 'node:assert/strict';
import { applyTagMapEdit, listTagMaps, readTagMapEdit } from '../../nodes/tags/tag-map-flows';
import type { FlowNode, TagMapEdit } from '../../nodes/tags/tag-map-flows';
import { findRuntimeFlowsApi, isVersionMismatch } from '../../nodes/tags/runtime-flows';

function flows(): FlowNode[] {
  return [
    { id: 'tab', type: 'tab', label: 'Line 1' },
    {
      id: 'map',
      type: 'fh-tag-map',
      name: 'line1',
      rows: [
        { name: 'plant/line1/filler/count', address: 'hr:0', dataType: 'uint32' },
        { name: 'plant/line1/filler/speed', address: 'hr:2', dataType: 'float32', unit: 'ppm' },
      ],
      x: 1,
    },
    { id: 'other', type: 'fh-tag-map', name: '', z: 'tab', rows: [{ name: 'a/b', address: 'hr:1.16' }] },
    { id: 'read', type: 'fh-modbus-read', z: 'tab', tagMap: 'map', wires: [['debug']] },
    { id: 'debug', type: 'debug', z: 'tab', wires: [] },
  ];
}

function edit(partial: Partial<TagMapEdit>): TagMapEdit {
  return { rev: 'r1', rows: [], ...partial };
}

describe('tags/tag-map-flows', () => {
  it('lists tag maps with their content, tag count, errors and users', () => {
    const maps = listTagMaps(flows());
    assert.deepEqual(
      maps.map((m) => [m.id, m.name, m.z, m.tags, m.errors, m.users]),
      [
        ['map', 'line1', undefined, 2, [], 1],
        ['other', '', 'tab', 0, ['row 1, column "address": bit index 16 is above 15'], 0],
      ],
    );
    assert.deepEqual(maps[0]?.templates, []);
  });

  it('reads the request envelope: rev and rows required, nothing else but templates/instances', () => {
    assert.deepEqual(readTagMapEdit({ rev: 'r', rows: [] }), { ok: true, edit: { rev: 'r', rows: [] } });
    assert.match(String((readTagMapEdit({ rows: [] }) as { error: string }).error), /rev is required/);
    assert.match(String((readTagMapEdit({ rev: 'r', rows: {} }) as { error: string }).error), /rows must be a list/);
    assert.match(String((readTagMapEdit({ rev: 'r', rows: [], name: 'x', type: 'inject' }) as { error: string }).error), /remove "name", "type"/);
    assert.equal(readTagMapEdit([]).ok, false);
  });

  it('changes only the rows of the one tag map, keeping key order and every other node', () => {
    const before = flows();
    const rows = [
      { name: 'plant/line1/filler/count', address: 'hr:10', dataType: 'uint32' },
      { name: 'plant/line1/filler/speed', address: 'hr:2', dataType: 'float32', unit: 'ppm' },
    ];
    const result = applyTagMapEdit(before, 'map', edit({ rows }));
    assert.ok(result.ok);
    assert.equal(result.changed, true);
    assert.equal(result.tags, 2);
    assert.deepEqual(Object.keys(result.after), ['id', 'type', 'name', 'rows', 'x'], 'no templates/instances added');
    assert.deepEqual(result.after.rows, rows);
    result.flows.forEach((n, i) => {
      if (n.id !== 'map') assert.equal(n, before[i], `${n.id} is the same object`);
    });
    assert.deepEqual(before, flows(), 'the input is not modified');
    const pretty = (f: readonly FlowNode[]): string[] => JSON.stringify(f, null, 4).split('\n');
    const a = pretty(before);
    const b = pretty(result.flows);
    assert.equal(a.length, b.length);
    assert.deepEqual(
      a.flatMap((line, i) => (line === b[i] ? [] : [[line.trim(), b[i]?.trim()]])),
      [['"address": "hr:0",', '"address": "hr:10",']],
      'a one-cell edit is a one-line diff',
    );
  });

  it('stores rows cleaned and adds templates/instances only when given', () => {
    const result = applyTagMapEdit(
      flows(),
      'map',
      edit({
        rows: [{ address: ' hr:0 ', name: 'plant/line1/filler/count', unit: '' }],
        templates: [{ name: 'filler', rows: [{ name: 'count', address: 'hr:0' }] }],
        instances: [{ template: 'filler', namePrefix: 'plant/line1/filler2', baseAddress: 100 }],
      }),
    );
    assert.ok(result.ok);
    assert.deepEqual(result.after.rows, [{ name: 'plant/line1/filler/count', address: 'hr:0' }]);
    assert.deepEqual(Object.keys(result.after), ['id', 'type', 'name', 'rows', 'x', 'templates', 'instances']);
    assert.equal(result.tags, 2);
    const empty = applyTagMapEdit(flows(), 'map', edit({ rows: flows()[1]?.rows, templates: [], instances: [] }));
    assert.ok(empty.ok);
    assert.equal(empty.changed, false);
    assert.deepEqual(Object.keys(empty.after), ['id', 'type', 'name', 'rows', 'x']);
  });

  it('refuses other node types and unknown ids with 404', () => {
    for (const id of ['read', 'debug', 'tab', 'nope']) {
      const result = applyTagMapEdit(flows(), id, edit({ rows: [] }));
      assert.ok(!result.ok);
      assert.equal(result.status, 404, id);
    }
    const result = applyTagMapEdit(flows(), 'read', edit({ rows: [] }));
    assert.ok(!result.ok && /is a fh-modbus-read, not a fh-tag-map/.test(result.error));
  });

  it('refuses an invalid map with 400 and every error, changing nothing', () => {
    const result = applyTagMapEdit(
      flows(),
      'map',
      edit({
        rows: [
          { name: 'plant/line1/a', address: 'hr:1.16' },
          { name: 'plant/line1/a', address: 'hr:5' },
          { name: 'plant/line1/s', address: 'hr:6', dataType: 'string' },
        ],
      }),
    );
    assert.ok(!result.ok);
    assert.equal(result.status, 400);
    assert.match(result.error, /has 3 errors; nothing was changed/);
    assert.deepEqual(
      result.errors?.map((e) => e.text),
      [
        'row 1, column "address": bit index 16 is above 15',
        'row 2, column "name": duplicate name "plant/line1/a": row 1 is already named "plant/line1/a" (names are case-insensitive)',
        'row 3, column "length": a string tag needs a length (characters, 1..246)',
      ],
    );
  });

  describe('runtime-flows', () => {
    const api = { getFlows: () => Promise.resolve({ rev: '', flows: [] }), setFlows: () => Promise.resolve({ rev: '' }) };
    const admin = {};

    it('finds only the runtime whose admin app is ours', () => {
      const cache = {
        '/x/node_modules/@node-red/runtime/lib/index.js': { exports: { httpAdmin: {}, flows: { ...api } } },
        '/y/node_modules/@node-red/runtime/lib/index.js': { exports: { httpAdmin: admin, flows: api } },
        '/z/node_modules/other/lib/index.js': { exports: { httpAdmin: admin, flows: { ...api } } },
      };
      assert.equal(findRuntimeFlowsApi(admin, cache), api);
      assert.equal(findRuntimeFlowsApi({}, { 'C:\\nr\\@node-red\\runtime\\lib\\index.js': { exports: { httpAdmin: admin, flows: api } } }), undefined);
      assert.equal(findRuntimeFlowsApi(admin, { 'C:\\nr\\@node-red\\runtime\\lib\\index.js': { exports: { httpAdmin: admin, flows: api } } }), api);
      assert.equal(findRuntimeFlowsApi(admin, { '/y/@node-red/runtime/lib/index.js': { exports: { httpAdmin: admin, flows: {} } } }), undefined);
    });

    it('recognises the runtime stale-revision error', () => {
      assert.ok(isVersionMismatch(Object.assign(new Error(), { code: 'version_mismatch', status: 409 })));
      assert.ok(!isVersionMismatch(new Error('disk full')));
    });
  });
});
