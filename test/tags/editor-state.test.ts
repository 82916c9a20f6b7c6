/** The editor's pure parts (no DOM): table state, instance cells, the editor's error placement, import preview. */
import assert from 'node:assert/strict';
import { DATA_TYPES, TAG_COLUMNS } from '../../nodes/tags/tag';
import { previewImport } from '../../nodes/tags/editor/csv-import';
import { cellsInstance, instanceCells } from '../../nodes/tags/editor/instance-cells';
import { TableModel } from '../../nodes/tags/editor/table-model';
import { TagMapState, validateTagMap } from '../../nodes/tags/editor/tag-map-state';

const ROWS = [
  { name: 'plant/l1/b', address: 'hr:10', unit: '°C' },
  { name: 'plant/l1/a', address: 'hr:2' },
  { name: 'plant/l1/c', address: 'co:1', description: 'door' },
];

describe('tags/editor state', () => {
  describe('TableModel', () => {
    it('sorts and filters a view without touching the stored order', () => {
      const model = new TableModel(TAG_COLUMNS, ROWS);
      const [b, a, c] = model.keys();
      assert.deepEqual(model.view({ sort: { column: 'name', descending: false } }), [a, b, c]);
      assert.deepEqual(model.view({ sort: { column: 'address', descending: true } }), [b, a, c], 'numeric-aware: hr:10 after hr:2');
      assert.deepEqual(model.view({ sort: { column: 'unit', descending: false } }), [b, a, c], 'empty cells last');
      assert.deepEqual(model.view({ filter: 'DOOR' }), [c]);
      assert.deepEqual(model.view({ filter: 'door', pinned: new Set([a ?? 0]) }), [a, c]);
      assert.deepEqual(model.toRows(), ROWS);
    });

    it('adds, duplicates, removes and edits rows; stores only filled cells in column order', () => {
      const model = new TableModel(TAG_COLUMNS, ROWS);
      const [b, a] = model.keys();
      const added = model.add({}, b);
      model.setCell(added, 'address', ' hr:20 ');
      model.setCell(added, 'name', 'plant/l1/new');
      const [copy] = model.duplicate([a ?? 0], (cells) => ({ ...cells, name: `${cells.name ?? ''}_copy` }));
      model.remove([b ?? 0]);
      model.setCell(copy ?? 0, 'address', '');
      assert.deepEqual(model.toRows(), [
        { name: 'plant/l1/new', address: 'hr:20' },
        { name: 'plant/l1/a', address: 'hr:2' },
        { name: 'plant/l1/a_copy' },
        { name: 'plant/l1/c', address: 'co:1', description: 'door' },
      ]);
      assert.deepEqual(Object.keys(model.toRows()[0] ?? {}), ['name', 'address']);
    });

    it('keeps numbers as text and unknown properties aside, so validation still names them', () => {
      const model = new TableModel(TAG_COLUMNS, [{ name: 'a/b', length: 4, colour: 'red' }]);
      assert.equal(model.cell(model.keyAt(0) ?? 0, 'length'), '4');
      assert.deepEqual(model.toRows(), [{ name: 'a/b', length: '4', colour: 'red' }]);
    });
  });

  describe('instance cells', () => {
    it('convert both ways', () => {
      const instance = { template: 'filler', namePrefix: 'p/l/f1', baseAddress: 100, unitId: 2, overrides: { count: { address: 'hr:5' } } };
      const cells = instanceCells(instance);
      assert.deepEqual(cells, { template: 'filler', namePrefix: 'p/l/f1', baseAddress: '100', unitId: '2', overrides: '{"count":{"address":"hr:5"}}' });
      assert.deepEqual(cellsInstance(cells), { ok: true, instance });
    });

    it('name the column that does not convert', () => {
      const result = cellsInstance({ template: 'filler', namePrefix: 'p', baseAddress: '1x', overrides: '{"count": ' });
      assert.ok(!result.ok);
      assert.deepEqual(result.errors.map((e) => e.column), ['baseAddress', 'overrides']);
      assert.match(result.errors[1]?.message ?? '', /^overrides must be JSON like/);
    });
  });

  describe('TagMapState', () => {
    const templates = [{ name: 'filler', rows: [{ name: 'count', address: 'hr:0', dataType: 'uint32' }] }];

    it('places errors on the table, row key and column to mark', () => {
      const state = new TagMapState({
        rows: [{ name: 'plant/l1/x', address: 'hr:0.16' }],
        templates: [{ name: 'filler', rows: [{ name: 'count', address: 'hr:0', dataType: 'uint99' }] }],
        instances: [{ template: 'filler', namePrefix: 'plant/l1/f1', baseAddress: 10 }, { template: 'filler', namePrefix: 'p', baseAddress: 'x' }],
      });
      const { errors, tags } = state.check();
      assert.equal(tags, 0);
      const rowKey = state.rows.keyAt(0);
      const [first, second] = state.instances.keys();
      assert.deepEqual(
        errors.map((e) => [e.text, e.at?.table, e.at?.key, e.at?.column, e.own]),
        [
          ['row 1, column "address": bit index 16 is above 15', 'rows', rowKey, 'address', true],
          ['instance 2, column "baseAddress": baseAddress "x" is not a whole number', 'instances', second, 'baseAddress', false],
          [
            `instance 1 (plant/l1/f1), template "filler", tag "count", column "dataType": unknown data type "uint99" (expected one of ${DATA_TYPES.join(', ')})`,
            'instances',
            first,
            null,
            false,
          ],
        ],
      );
    });

    it('renames a template in the instances that use it and stores typed instances', () => {
      const state = new TagMapState({ rows: [], templates, instances: [{ template: 'Filler', namePrefix: 'p/l/f1', baseAddress: 10 }] });
      state.renameTemplate(0, 'filler2');
      assert.deepEqual(state.value(), {
        rows: [],
        templates: [{ name: 'filler2', rows: [{ name: 'count', address: 'hr:0', dataType: 'uint32' }] }],
        instances: [{ template: 'filler2', namePrefix: 'p/l/f1', baseAddress: 10 }],
      });
      assert.equal(state.check().tags, 1);
    });

    it('keeps what was typed for an instance that does not convert, and the node stays invalid', () => {
      const state = new TagMapState({ rows: [], templates, instances: [{ template: 'filler', namePrefix: 'p/l/f1', baseAddress: 'ten' }] });
      const value = state.value();
      assert.deepEqual(value.instances, [{ template: 'filler', namePrefix: 'p/l/f1', baseAddress: 'ten' }]);
      assert.equal(validateTagMap(value), 'instance 1 (p/l/f1), template "filler": baseAddress must be a whole number >= 0, not "ten"');
      assert.equal(validateTagMap({ rows: ROWS }), true);
    });
  });

  describe('previewImport', () => {
    const noErrors = (): string[] => [];

    it('lists added, changed and removed rows and applies nothing', () => {
      const csv = '\uFEFFname;address;unit\r\nplant/l1/b;hr:10;°F\r\nplant/l1/a;hr:2;\r\nplant/l1/d;hr:30;\r\n';
      const preview = previewImport(ROWS, new TextEncoder().encode(csv), noErrors);
      assert.equal(preview.separator, ';');
      assert.deepEqual(preview.errors, []);
      assert.deepEqual(preview.diff?.added, [{ name: 'plant/l1/d', address: 'hr:30' }]);
      assert.deepEqual(preview.diff?.changed.map((c) => [c.name, c.columns]), [['plant/l1/b', ['unit']]]);
      assert.deepEqual(preview.diff?.removed, [ROWS[2]]);
    });

    it('reports parse and validation errors; an unreadable file has no diff', () => {
      // Parse errors name the file's line (header = line 1); the check's own texts are kept as given.
      const preview = previewImport(ROWS, 'name,address\n"plant/l1/a,hr:1\n', () => ['line 2, column "address": from the check']);
      assert.deepEqual(preview.errors, ['line 2, column "name": a quoted cell is never closed (a " is missing)', 'line 2, column "address": from the check']);
      const binary = previewImport(ROWS, new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0]), noErrors);
      assert.equal(binary.diff, undefined);
      assert.deepEqual(binary.errors, ['not a CSV text file: it contains NUL bytes, as binary files (images, xlsx, pdf) do']);
    });
  });
});
