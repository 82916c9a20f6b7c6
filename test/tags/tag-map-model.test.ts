import assert from 'node:assert/strict';
import { buildTagMap, cleanRow, compileTagMap, readTagMapConfig } from '../../nodes/tags/tag-map-model';
import type { TagMapConfig } from '../../nodes/tags/tag-map-model';
import type { TagTemplate } from '../../nodes/tags/template';
import { DATA_TYPES, TAG_COLUMNS } from '../../nodes/tags/tag';

const COLUMNS = TAG_COLUMNS.join(', ');

const FILLER: TagTemplate = {
  name: 'filler',
  rows: [
    { name: 'count', address: 'hr:0', dataType: 'uint32' },
    { name: 'running', address: 'hr:2.0' },
    { name: 'speed', address: 'hr:3', dataType: 'float32', unit: 'ppm' },
  ],
};

function config(partial: Partial<TagMapConfig>): TagMapConfig {
  return { rows: [], templates: [], instances: [], ...partial };
}

describe('tags/tag-map-model', () => {
  describe('cleanRow', () => {
    it('keeps non-empty cells in column order, trimmed, numbers as text', () => {
      const row = cleanRow({ unit: ' °C ', address: 'hr:1', name: 'a/b', description: '', length: 4, gain: undefined });
      assert.deepEqual(row, { name: 'a/b', address: 'hr:1', length: '4', unit: '°C' });
      assert.deepEqual(Object.keys(row), ['name', 'address', 'length', 'unit']);
    });

    it('keeps what it cannot understand, so validation reports it', () => {
      assert.deepEqual(cleanRow({ name: 'a/b', colour: 'red', gain: { x: 1 } }), { name: 'a/b', gain: { x: 1 }, colour: 'red' });
      assert.equal(cleanRow('text'), 'text');
      const { errors } = compileTagMap({ rows: [{ name: 'a/b', address: 'hr:1', colour: 'red' }] });
      assert.deepEqual(errors.map((e) => e.text), [`row 1: unknown column "colour" (expected ${COLUMNS})`]);
    });
  });

  describe('readTagMapConfig', () => {
    it('accepts absent parts and normalises instances', () => {
      const { config: c, errors } = readTagMapConfig({
        rows: [{ name: 'a/b', address: 'hr:1' }],
        instances: [{ template: 'filler', namePrefix: 'p/l/f1', baseAddress: '100', unitId: 2, nodeIdPrefix: '' }],
      });
      assert.deepEqual(errors, []);
      assert.deepEqual(c.templates, []);
      assert.deepEqual(c.instances, [{ template: 'filler', namePrefix: 'p/l/f1', baseAddress: 100, unitId: 2 }]);
    });

    it('names the instance, template, tag and column of shape errors', () => {
      const { errors } = readTagMapConfig({
        rows: {},
        templates: [{ name: 'filler', rows: [{ name: 'count', address: 'hr:0', gain: true }], colour: 1 }, 'x'],
        instances: [
          { template: 'filler', namePrefix: 'p/l/f1', baseAddress: -1 },
          { template: 7, namePrefix: 'p/l/f2', overrides: { count: { address: 'hr:1', speed: '1' } } },
        ],
      });
      assert.deepEqual(
        errors.map((e) => e.text),
        [
          'rows must be a list, not an object',
          'template "filler": unknown property "colour" (expected name, rows)',
          'template "filler", tag "count", column "gain": cell must be text, not boolean true',
          'template "#2": template 2 must be an object with a name and rows, not "x"',
          'instance 1 (p/l/f1), template "filler": baseAddress must be a whole number >= 0, not number -1',
          'instance 2 (p/l/f2): template must be a template name, not number 7',
          `instance 2 (p/l/f2), tag "count": unknown column "speed" (expected ${COLUMNS})`,
        ],
      );
    });
  });

  describe('buildTagMap', () => {
    it('validates own rows and template rows as one map', () => {
      const model = buildTagMap(
        config({
          rows: [{ name: 'plant/line1/counter', address: 'hr:50' }],
          templates: [FILLER],
          instances: [
            { template: 'filler', namePrefix: 'plant/line1/filler1', baseAddress: 0 },
            { template: 'filler', namePrefix: 'plant/line1/filler2', baseAddress: 10, unitId: 2 },
          ],
        }),
      );
      assert.deepEqual(model.errors, []);
      assert.equal(model.templateRows, 6);
      assert.deepEqual(
        model.tags.map((t) => t.name),
        [
          'plant/line1/counter',
          'plant/line1/filler1/count',
          'plant/line1/filler1/running',
          'plant/line1/filler1/speed',
          'plant/line1/filler2/count',
          'plant/line1/filler2/running',
          'plant/line1/filler2/speed',
        ],
      );
      assert.deepEqual(model.tags[4]?.address, { protocol: 'modbus', area: 'holding', address: 10, unitId: 2 });
    });

    it('traces errors of template-made tags to instance, template, tag and column', () => {
      const model = buildTagMap(
        config({
          rows: [{ name: 'plant/line1/counter', address: 'hr:3' }],
          templates: [FILLER],
          instances: [{ template: 'filler', namePrefix: 'plant/line1/filler1', overrides: { speed: { dataType: 'float99' } } }],
        }),
      );
      assert.deepEqual(
        model.errors.map((e) => [e.row, e.instance, e.template, e.tag, e.column]),
        [[0, 1, 'filler', 'speed', 'dataType']],
      );
      assert.equal(
        model.errors[0]?.text,
        `instance 1 (plant/line1/filler1), template "filler", tag "speed", column "dataType": unknown data type "float99" (expected one of ${DATA_TYPES.join(', ')})`,
      );
    });

    it('names a template-made row by instance and tag in cross-row messages', () => {
      const model = buildTagMap(
        config({
          rows: [{ name: 'plant/line1/filler1/count', address: 'hr:100' }, { name: 'plant/line1/other', address: 'hr:3' }],
          templates: [FILLER],
          instances: [{ template: 'filler', namePrefix: 'plant/line1/filler1' }],
        }),
      );
      assert.deepEqual(
        model.errors.map((e) => e.text),
        [
          'instance 1 (plant/line1/filler1), template "filler", tag "count", column "name": duplicate name "plant/line1/filler1/count": row 1 is already named "plant/line1/filler1/count" (names are case-insensitive)',
          'instance 1 (plant/line1/filler1), template "filler", tag "speed", column "address": hr:3..4 overlaps row 2 "plant/line1/other" (hr:3)',
        ],
      );
      // An own row that collides with an earlier template-made row cannot happen (own rows come first),
      // but two instances can: the message then names the other instance's tag, not a row number.
      const twice = buildTagMap(
        config({
          templates: [FILLER],
          instances: [
            { template: 'filler', namePrefix: 'plant/line1/filler1' },
            { template: 'filler', namePrefix: 'plant/line1/filler2' },
          ],
        }),
      );
      assert.match(twice.errors[0]?.text ?? '', /^instance 2 \(plant\/line1\/filler2\), template "filler", tag "count", column "address": hr:0\.\.1 overlaps instance 1 \(plant\/line1\/filler1\), tag "count" /);
    });

    it('reports template expansion errors with the instance', () => {
      const model = buildTagMap(config({ templates: [FILLER], instances: [{ template: 'mixer', namePrefix: 'p/l/m1' }] }));
      assert.deepEqual(model.errors.map((e) => e.text), ['instance 1 (p/l/m1), template "mixer": unknown template "mixer" (known: filler)']);
    });

    it('counts template rows against the row limit', () => {
      const model = buildTagMap(
        config({ rows: [{ name: 'a/b', address: 'hr:900' }], templates: [FILLER], instances: [{ template: 'filler', namePrefix: 'p/l/f' }] }),
        { maxRows: 3 },
      );
      assert.deepEqual(model.tags, []);
      assert.deepEqual(model.errors.map((e) => e.text), ['too many tags: 4 (1 rows + 3 from templates; the limit is 3); split the tag map']);
    });

    it('keeps instance numbers when a broken instance is left out', () => {
      const { errors, tags } = compileTagMap(
        {
          templates: [FILLER],
          instances: [
            { template: 'filler', namePrefix: 'p/l/f1', baseAddress: 'x' },
            { template: 'mixer', namePrefix: 'p/l/m1' },
          ],
        },
        { instanceNumbers: [3, 5] },
      );
      assert.deepEqual(tags, []);
      assert.deepEqual(
        errors.map((e) => [e.instance, e.text]),
        [
          [3, 'instance 3 (p/l/f1), template "filler": baseAddress must be a whole number >= 0, not "x"'],
          [5, 'instance 5 (p/l/m1), template "mixer": unknown template "mixer" (known: filler)'],
        ],
      );
    });

    it('own row errors keep their row and column', () => {
      const { errors } = compileTagMap({ rows: [{ name: 'a/b', address: 'hr:1.16' }, { name: 'a/b', address: 'hr:2' }] });
      assert.deepEqual(
        errors.map((e) => [e.row, e.column, e.text]),
        [
          [1, 'address', 'row 1, column "address": bit index 16 is above 15'],
          [2, 'name', 'row 2, column "name": duplicate name "a/b": row 1 is already named "a/b" (names are case-insensitive)'],
        ],
      );
    });
  });
});
