import assert from 'node:assert/strict';
import { expandTemplates, formatTemplateError } from '../../nodes/tags/template';
import type { TagTemplate, TemplateError, TemplateInstance } from '../../nodes/tags/template';
import { validateRows } from '../../nodes/tags/validate';
import type { TagRow } from '../../nodes/tags/tag';

const FILLER: TagTemplate = {
  name: 'filler',
  rows: [
    { name: 'count', address: 'hr:0', dataType: 'uint32', description: 'Good bottles' },
    { name: 'state/running', address: 'hr:2.0' },
    { name: 'state/fault', address: 'hr:2.1' },
    { name: 'motor/speed', address: '40004', dataType: 'float32', gain: '0,1', unit: 'rpm' },
    { name: 'reset', address: 'co:0', access: 'rw' },
  ],
};

const OPC_FILLER: TagTemplate = {
  name: 'filler-opc',
  rows: [
    { name: 'count', address: 'ns=2;s=.Count', dataType: 'uint32' },
    { name: 'speed', address: 'nsu=urn:plc;s=/Speed', dataType: 'float64' },
    { name: 'server-time', address: 'i=2258', dataType: 'int64' },
  ],
};

function expand(instances: TemplateInstance[], templates: TagTemplate[] = [FILLER, OPC_FILLER]) {
  return expandTemplates(templates, instances);
}

function okRows(instances: TemplateInstance[], templates?: TagTemplate[]): TagRow[] {
  const { rows, errors } = expand(instances, templates);
  assert.deepEqual(errors, [], errors.map(formatTemplateError).join('\n'));
  return rows;
}

describe('tags/template', () => {
  it('prefixes names, adds the base address and unit id, writes canonical addresses', () => {
    const rows = okRows([{ template: 'filler', namePrefix: 'plant/packaging/line1/filler1', baseAddress: 1000, unitId: 3 }]);
    assert.deepEqual(rows, [
      { name: 'plant/packaging/line1/filler1/count', address: '3:hr:1000', dataType: 'uint32', description: 'Good bottles' },
      { name: 'plant/packaging/line1/filler1/state/running', address: '3:hr:1002.0' },
      { name: 'plant/packaging/line1/filler1/state/fault', address: '3:hr:1002.1' },
      { name: 'plant/packaging/line1/filler1/motor/speed', address: '3:hr:1003', dataType: 'float32', gain: '0,1', unit: 'rpm' },
      { name: 'plant/packaging/line1/filler1/reset', address: '3:co:1000', access: 'rw' },
    ]);
    assert.deepEqual(validateRows(rows).errors, []);
  });

  it('places many instances of one template without overlaps', () => {
    const instances = [1, 2, 3].map((n) => ({ template: 'FILLER', namePrefix: `plant/packaging/line1/filler${n}/`, baseAddress: n * 100 }));
    const { rows, sources } = expand(instances);
    assert.equal(rows.length, 15);
    assert.deepEqual(sources[5], { instance: 2, template: 'filler', tag: 'count' });
    assert.equal(rows[5]?.address, 'hr:200');
    assert.deepEqual(validateRows(rows).errors, []);
  });

  it('two instances on the same registers overlap in validateRows, and sources name the template tag', () => {
    const { rows, sources } = expand([
      { template: 'filler', namePrefix: 'plant/l1/f1' },
      { template: 'filler', namePrefix: 'plant/l1/f2' },
    ]);
    const { errors } = validateRows(rows);
    assert.equal(errors[0]?.row, 6);
    assert.deepEqual(sources[(errors[0]?.row ?? 0) - 1], { instance: 2, template: 'filler', tag: 'count' });
  });

  it('applies overrides: replaced cells, cleared cells, address overrides are relative', () => {
    const rows = okRows([
      {
        template: 'filler',
        namePrefix: 'plant/l1/f1',
        baseAddress: 100,
        overrides: {
          'Motor/Speed': { gain: '0,01', unit: '' },
          count: { access: 'read-write', description: '' },
          'state/fault': { address: 'hr:3.5' },
        },
      },
    ]);
    assert.deepEqual(rows[0], { name: 'plant/l1/f1/count', address: 'hr:100', dataType: 'uint32', access: 'read-write' });
    assert.deepEqual(rows[2], { name: 'plant/l1/f1/state/fault', address: 'hr:103.5' });
    assert.deepEqual(rows[3], { name: 'plant/l1/f1/motor/speed', address: 'hr:103', dataType: 'float32', gain: '0,01' });
  });

  it('prefixes OPC UA string identifiers verbatim and leaves them alone without a prefix', () => {
    const rows = okRows([{ template: 'filler-opc', namePrefix: 'plant/l1/f1', nodeIdPrefix: 'Line1.Filler1' }], [
      { ...OPC_FILLER, rows: OPC_FILLER.rows.slice(0, 2) },
    ]);
    assert.deepEqual(
      rows.map((r) => r.address),
      ['ns=2;s=Line1.Filler1.Count', 'nsu=urn:plc;s=Line1.Filler1/Speed'],
    );
    assert.deepEqual(
      okRows([{ template: 'filler-opc', namePrefix: 'plant/l1/f1' }]).map((r) => r.address),
      ['ns=2;s=.Count', 'nsu=urn:plc;s=/Speed', 'i=2258'],
    );
  });

  describe('errors', () => {
    type Expected = { [K in keyof TemplateError]?: TemplateError[K] | RegExp };

    function only(instances: TemplateInstance[], expected: Expected, templates?: TagTemplate[]): TemplateError {
      const { errors } = expand(instances, templates);
      assert.equal(errors.length, 1, errors.map(formatTemplateError).join('\n'));
      const e = errors[0];
      assert.ok(e);
      for (const key of Object.keys(expected) as (keyof TemplateError)[]) {
        const value = expected[key];
        if (value instanceof RegExp) assert.match(String(e[key]), value);
        else assert.equal(e[key], value, key);
      }
      return e;
    }

    it('an override of a tag the template lacks', () => {
      const e = only(
        [
          { template: 'filler', namePrefix: 'plant/l1/f1' },
          { template: 'filler', namePrefix: 'plant/l1/f2', baseAddress: 10, overrides: { spd: { gain: '2' } } },
        ],
        { instance: 2, template: 'filler', tag: 'spd', column: null, message: 'override for "spd", but template "filler" has no such tag' },
      );
      assert.equal(formatTemplateError(e), 'instance 2, template "filler", tag "spd": override for "spd", but template "filler" has no such tag');
    });

    it('an override that renames or has unknown columns', () => {
      only([{ template: 'filler', namePrefix: 'p/l', overrides: { count: { name: 'x' } } }], { tag: 'count', column: 'name', message: 'an override cannot rename a tag' });
      only([{ template: 'filler', namePrefix: 'p/l', overrides: { count: { gian: '2' } as TagRow } }], { tag: 'count', message: 'override has unknown column "gian"' });
    });

    it('an unknown template', () => {
      only([{ template: 'capper', namePrefix: 'p/l' }], { instance: 1, tag: null, message: 'unknown template "capper" (known: filler, filler-opc)' });
    });

    it('a missing name prefix, a bad base address or unit id', () => {
      only([{ template: 'filler', namePrefix: ' / ' }], { message: /^namePrefix is required/ });
      only([{ template: 'filler', namePrefix: 'p/l', baseAddress: -1 }], { message: 'baseAddress -1 must be a whole number 0..65535' });
      only([{ template: 'filler', namePrefix: 'p/l', baseAddress: 1.5 }], { message: /^baseAddress 1.5/ });
      only([{ template: 'filler', namePrefix: 'p/l', unitId: 256 }], { message: 'unitId 256 must be a whole number 0..255' });
    });

    it('a base address that pushes a tag past 65535, naming the tag', () => {
      // count lands on hr:65535 (fine as far as expansion goes), state/running would be hr:65537.
      only(
        [{ template: 'filler', namePrefix: 'p/l', baseAddress: 65535 }],
        { tag: 'state/running', column: 'address', message: 'hr:2.0 + baseAddress 65535 = 65537, above 65535' },
        [{ name: 'filler', rows: FILLER.rows.slice(0, 2) }],
      );
    });

    it('a template unit id that contradicts the instance', () => {
      only([{ template: 't', namePrefix: 'p/l', unitId: 2 }], { tag: 'a', message: '1:hr:0 has unit id 1, but the instance says unitId 2' }, [
        { name: 't', rows: [{ name: 'a', address: '1:hr:0' }] },
      ]);
      // Same unit id is fine.
      assert.equal(okRows([{ template: 't', namePrefix: 'p/l', unitId: 1 }], [{ name: 't', rows: [{ name: 'a', address: '1:hr:0' }] }])[0]?.address, '1:hr:0');
    });

    it('a NodeId prefix on a numeric NodeId', () => {
      only([{ template: 'filler-opc', namePrefix: 'p/l', nodeIdPrefix: 'L1' }], {
        tag: 'server-time',
        column: 'address',
        message: "nodeIdPrefix applies to string NodeIds (s=) only; 'i=2258' cannot be prefixed",
      });
    });

    it('a malformed template address, reported per instance', () => {
      only([{ template: 't', namePrefix: 'p/l' }], { tag: 'a', column: 'address', message: "unknown Modbus area 'hx' (expected hr/holding, ir/input, co/coil or di/discrete)" }, [
        { name: 't', rows: [{ name: 'a', address: 'hx:1' }] },
      ]);
    });

    it('template problems are reported once, as instance 0', () => {
      const { rows, errors } = expand(
        [
          { template: 't', namePrefix: 'p/a' },
          { template: 't', namePrefix: 'p/b' },
        ],
        [{ name: 't', rows: [{ name: 'a', address: 'hr:0' }, { name: 'A', address: 'hr:1' }, { address: 'hr:2' }] }, { name: 'T', rows: [] }],
      );
      assert.deepEqual(rows, []);
      assert.deepEqual(
        errors.map((e) => [e.instance, e.tag, e.message]),
        [
          [0, 'A', 'tag "A" is defined twice in the template'],
          [0, null, 'row 3 has no name'],
          [0, null, 'template name "T" is used twice (names are case-insensitive)'],
        ],
      );
      assert.equal(formatTemplateError(errors[0] ?? assert.fail('no error')), 'template "t", tag "A", column "name": tag "A" is defined twice in the template');
    });
  });
});
