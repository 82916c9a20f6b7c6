/**
 * Values rounded to the tag's precision: a `decimals` column, else derived from the scaling, else
 * float32's 7 significant digits; applied where the Modbus codec decodes and scales (the OPC UA side is
 * in test/opcua/convert.test.ts).
 */
import assert from 'node:assert/strict';
import { compileReader, encodeRegisters } from '../../nodes/modbus/codec';
import { decimalsOf, roundSignificant, roundTo, scalingDecimals, valueRounding } from '../../nodes/tags/precision';
import type { Tag, TagRow } from '../../nodes/tags/tag';
import { formatTagError, rowOf, validateRows } from '../../nodes/tags/validate';

function tagOf(row: TagRow): Tag {
  const { tags, errors } = validateRows([row]);
  assert.deepEqual(errors.map(formatTagError), []);
  return tags[0];
}

/** The engineering value a Modbus read gives for `raw` (encoded as the device holds it). */
function read(row: TagRow, raw: number): unknown {
  const tag = tagOf(row);
  return compileReader(tag)(encodeRegisters(tag, raw), 0);
}

describe('tags/precision', () => {
  it('counts the decimals of a number as written', () => {
    assert.deepEqual([0.1, 0.25, 3, 1e-7, 0.0036168981481481, -2.5].map(decimalsOf), [1, 2, 0, 7, 16, 1]);
    assert.equal(scalingDecimals({ gain: 0.1, offset: 0 }), 1);
    assert.equal(scalingDecimals({ gain: 0.25, offset: 0.5 }), 2);
    assert.equal(scalingDecimals({ gain: 1 / 3, offset: 0 }), undefined, 'not a short decimal: nothing derived');
  });

  it('rounds half away from zero, as the decimal is written', () => {
    assert.deepEqual([roundTo(1.005, 2), roundTo(-1.005, 2), roundTo(12.300000000000001, 1), roundTo(-0.04, 1), roundTo(5, 0), roundTo(2.5, 0)], [1.01, -1.01, 12.3, 0, 5, 3]);
    assert.equal(roundTo(1e300, 2), 1e300, 'nothing to round at that size');
    assert.deepEqual([1000.0001, 999.99997, 123456789, -0.00012345678, Math.fround(3.14)].map((v) => roundSignificant(v, 7)), [1000, 1000, 123456800, -0.0001234568, 3.14]);
  });

  it('reads a float32 at 7 significant digits when nothing else is declared', () => {
    assert.equal(Math.fround(100.67), 100.66999816894531);
    assert.equal(read({ name: 'a/speed', address: 'hr:0', dataType: 'float32' }, 100.67), 100.67);
    assert.equal(read({ name: 'a/speed', address: 'hr:0', dataType: 'float32' }, 0.000123456789), 0.0001234568);
  });

  it('reads a declared number of decimals, which wins over the scaling', () => {
    assert.equal(read({ name: 'a/speed', address: 'hr:0', dataType: 'float32', decimals: '1' }, 100.67), 100.7);
    assert.equal(read({ name: 'a/t', address: 'hr:0', dataType: 'int16', gain: '0.01', decimals: '1' }, 1234), 12.3);
    assert.equal(read({ name: 'a/n', address: 'hr:0', dataType: 'uint16', decimals: '0' }, 42), 42);
  });

  it('derives the decimals from the scaling, and leaves unscaled integers and doubles alone', () => {
    assert.equal(read({ name: 'a/t', address: 'hr:0', dataType: 'int16', gain: '0.3' }, 41), 12.3, '41 * 0.3 = 12.299999999999999 unrounded');
    assert.equal(read({ name: 'a/t', address: 'hr:0', dataType: 'float64' }, 100.66999816894531), 100.66999816894531);
    assert.equal(read({ name: 'a/t', address: 'hr:0', dataType: 'float32', gain: '0.5', offset: '10' }, 1.25), 10.625, 'a float times 0.5 keeps its own digits');
    assert.equal(read({ name: 'a/t', address: 'hr:0', dataType: 'float32', gain: '0.5' }, 100.67), 50.335, 'float32 scaled: 7 significant digits');
    assert.equal(valueRounding(tagOf({ name: 'a/n', address: 'hr:0', dataType: 'int32' })), undefined, 'no per-value call for plain integers');
    assert.equal(valueRounding(tagOf({ name: 'a/b', address: 'co:0' })), undefined);
  });

  it('validates the decimals column and keeps it through rowOf', () => {
    const errors = (row: TagRow): string[] => validateRows([row]).errors.map(formatTagError);
    assert.deepEqual(errors({ name: 'a/b', address: 'hr:0', decimals: '1.5' }), ['row 1, column "decimals": decimals "1.5" must be a whole number from 0 to 12']);
    assert.deepEqual(errors({ name: 'a/b', address: 'hr:0', decimals: '-1' }), ['row 1, column "decimals": decimals "-1" must be a whole number from 0 to 12']);
    assert.deepEqual(errors({ name: 'a/b', address: 'co:0', decimals: '2' }), ['row 1, column "decimals": decimals do not apply to bool tags']);
    const tag = tagOf({ name: 'a/b', address: 'hr:0', dataType: 'float32', decimals: '2' });
    assert.equal(tag.decimals, 2);
    assert.deepEqual(rowOf(tag), { name: 'a/b', address: 'hr:0', dataType: 'float32', decimals: '2' });
  });
});
