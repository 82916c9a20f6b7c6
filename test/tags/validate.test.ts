import assert from 'node:assert/strict';
import {
  formatTagError,
  parseNumberCell,
  rowOf,
  tagsByName,
  validateRows,
} from '../../nodes/tags/validate';
import type { TagError } from '../../nodes/tags/validate';
import type { Tag, TagColumn, TagRow } from '../../nodes/tags/tag';

const NAME = 'plant/line1/filler1/count';

/** A valid row on its own address, with cells replaced by `cells`. */
function row(cells: TagRow = {}, n = 0): TagRow {
  return { name: `plant/line1/filler1/tag${n}`, address: `hr:${n * 10}`, ...cells };
}

function tagOf(cells: TagRow): Tag {
  const { tags, errors } = validateRows([cells]);
  assert.deepEqual(errors, [], errors.map(formatTagError).join('\n'));
  assert.equal(tags.length, 1);
  return tags[0] ?? assert.fail('no tag');
}

/** Exactly one error, at this row and column, matching `message`. */
function oneError(rows: readonly TagRow[], at: number, column: TagColumn | null, message: RegExp | string): TagError {
  const { errors } = validateRows(rows);
  assert.equal(errors.length, 1, `expected one error, got:\n${errors.map(formatTagError).join('\n')}`);
  const e = errors[0] ?? assert.fail('no error');
  assert.equal(e.row, at, formatTagError(e));
  assert.equal(e.column, column, formatTagError(e));
  if (typeof message === 'string') assert.equal(e.message, message);
  else assert.match(e.message, message);
  return e;
}

/** Row 2 (after a good row 1) fails at `column`. */
function rejects(cells: TagRow, column: TagColumn | null, message: RegExp | string): TagError {
  return oneError([row({}, 1), row(cells, 2)], 2, column, message);
}

describe('tags/validate', () => {
  it('builds a typed tag with defaults from a minimal row', () => {
    assert.deepEqual(tagOf({ name: NAME, address: 'hr:100' }), {
      name: NAME,
      address: { protocol: 'modbus', area: 'holding', address: 100 },
      dataType: 'uint16',
      order: 'ABCD',
      unit: '',
      access: 'read',
      deadband: 0,
      description: '',
    });
  });

  it('builds a fully specified tag', () => {
    assert.deepEqual(
      tagOf({
        name: ' plant/line1/filler1/speed ',
        address: '2:hr:10',
        dataType: 'Float32',
        order: 'cdab',
        gain: '0,1',
        offset: '-5',
        unit: 'm/min',
        access: 'RW',
        deadband: '0,5',
        description: 'Line speed',
      }),
      {
        name: 'plant/line1/filler1/speed',
        address: { protocol: 'modbus', area: 'holding', address: 10, unitId: 2 },
        dataType: 'float32',
        order: 'CDAB',
        scaling: { gain: 0.1, offset: -5 },
        unit: 'm/min',
        access: 'read-write',
        deadband: 0.5,
        description: 'Line speed',
      },
    );
  });

  describe('name', () => {
    it('is required', () => {
      rejects({ name: ' ' }, 'name', 'name is required');
    });
    it('needs 2..8 path segments', () => {
      rejects({ name: 'count' }, 'name', /needs at least 2 path segments/);
      tagOf({ name: 'a/b', address: 'hr:1' });
      tagOf({ name: 'a/b/c/d/e/f/g/h', address: 'hr:1' });
      rejects({ name: 'a/b/c/d/e/f/g/h/i' }, 'name', 'name "a/b/c/d/e/f/g/h/i" has 9 path segments; at most 8 are allowed');
    });
    it('allows letters (any script), digits, _, - and . in segments', () => {
      tagOf({ name: 'Werk_1/Öl-Temperatur/v1.2', address: 'hr:1' });
    });
    it('rejects spaces, other characters, empty segments and . or ..', () => {
      rejects({ name: 'plant/line 1/count' }, 'name', 'name "plant/line 1/count": segment "line 1" contains a space; use letters, digits, _, - or .');
      rejects({ name: 'plant/line#1/count' }, 'name', /segment "line#1" contains "#"/);
      rejects({ name: 'plant//count' }, 'name', /empty path segment/);
      rejects({ name: 'plant/line1/' }, 'name', /empty path segment/);
      rejects({ name: 'plant/../count' }, 'name', /path segment "\.\."/);
    });
    it('must be unique, case-insensitively, and the error names both rows', () => {
      const rows = [row({}, 1), row({ name: 'plant/Line1/count' }, 2), row({}, 3), row({ name: 'PLANT/line1/COUNT' }, 4)];
      oneError(rows, 4, 'name', 'duplicate name "PLANT/line1/COUNT": row 2 is already named "plant/Line1/count" (names are case-insensitive)');
      // Neither of the two rows becomes a tag.
      assert.deepEqual(
        validateRows(rows).tags.map((t) => t.name),
        ['plant/line1/filler1/tag1', 'plant/line1/filler1/tag3'],
      );
    });
  });

  describe('address', () => {
    it('is required', () => {
      rejects({ address: '' }, 'address', 'address is required');
    });
    it('must parse, with the parser message', () => {
      rejects({ address: 'hx:100' }, 'address', /^unknown Modbus area 'hx'/);
      rejects({ address: 'hr:100.16', dataType: 'bool' }, 'address', 'bit index 16 is above 15');
      rejects({ address: 'ns=x;i=3', dataType: 'int32' }, 'address', "malformed NodeId 'ns=x;i=3': namespace must be a number");
    });
    it('accepts OPC UA NodeIds', () => {
      assert.deepEqual(tagOf({ name: NAME, address: 'ns=2;s=Filler1.Count', dataType: 'uint32' }).address, {
        protocol: 'opcua',
        nodeId: 'ns=2;s=Filler1.Count',
      });
    });
    it('rejects a value that runs past 65535', () => {
      rejects({ address: 'hr:65535', dataType: 'float32' }, 'address', 'float32 at hr:65535 needs registers up to 65536, past the last address 65535');
      rejects({ address: 'hr:65530', dataType: 'string', length: '20' }, 'address', /needs registers up to 65539/);
      tagOf({ name: NAME, address: 'hr:65534', dataType: 'float32' });
      tagOf({ name: NAME, address: 'hr:65532', dataType: 'float64' });
    });
  });

  describe('dataType', () => {
    it('accepts every type case-insensitively', () => {
      assert.equal(tagOf({ name: NAME, address: 'hr:1', dataType: 'INT32' }).dataType, 'int32');
      assert.equal(tagOf({ name: NAME, address: 'hr:1', dataType: 'Float64' }).dataType, 'float64');
    });
    it('rejects an unknown type and lists the known ones', () => {
      const e = rejects({ dataType: 'float' }, 'dataType', 'unknown data type "float" (expected one of bool, int16, uint16, int32, uint32, int64, uint64, float32, float64, string)');
      assert.equal(
        formatTagError(e),
        'row 2, column "dataType": unknown data type "float" (expected one of bool, int16, uint16, int32, uint32, int64, uint64, float32, float64, string)',
      );
    });
    it('defaults to uint16 on registers and bool on coils, discrete inputs and bits', () => {
      assert.equal(tagOf({ name: NAME, address: 'ir:1' }).dataType, 'uint16');
      assert.equal(tagOf({ name: NAME, address: 'co:1' }).dataType, 'bool');
      assert.equal(tagOf({ name: NAME, address: 'di:1' }).dataType, 'bool');
      assert.equal(tagOf({ name: NAME, address: 'hr:1.4' }).dataType, 'bool');
    });
    it('must be bool on coils, discrete inputs and bits', () => {
      rejects({ address: 'co:1', dataType: 'uint16' }, 'dataType', 'a coil holds one bit, so dataType must be bool (not uint16)');
      rejects({ address: 'di:1', dataType: 'int16' }, 'dataType', /a discrete input holds one bit/);
      rejects({ address: 'hr:5.1', dataType: 'int16' }, 'dataType', /a register bit holds one bit/);
    });
    it('rejects bool on a whole register', () => {
      rejects({ address: 'hr:100', dataType: 'bool' }, 'dataType', 'bool on a holding register needs a bit, e.g. hr:100.3');
      rejects({ address: '3:ir:7', dataType: 'bool' }, 'dataType', 'bool on an input register needs a bit, e.g. 3:ir:7.3');
      tagOf({ name: NAME, address: 'hr:100.3', dataType: 'bool' });
    });
    it('is required for OPC UA', () => {
      rejects({ address: 'ns=2;i=5' }, 'dataType', 'dataType is required for OPC UA tags');
      assert.equal(tagOf({ name: NAME, address: 'ns=2;i=5', dataType: 'bool' }).dataType, 'bool');
    });
  });

  describe('order', () => {
    it('defaults to ABCD and accepts the four orders case-insensitively', () => {
      assert.equal(tagOf({ name: NAME, address: 'hr:1', dataType: 'int32' }).order, 'ABCD');
      for (const order of ['ABCD', 'cdab', 'BaDc', 'DCBA']) {
        assert.equal(tagOf({ name: NAME, address: 'hr:1', dataType: 'int32', order }).order, order.toUpperCase());
      }
    });
    it('rejects unknown orders', () => {
      rejects({ dataType: 'int32', order: 'ABDC' }, 'order', 'unknown byte order "ABDC" (expected one of ABCD, CDAB, BADC, DCBA)');
    });
    it('rejects a non-default order where it means nothing', () => {
      rejects({ address: 'co:1', order: 'CDAB' }, 'order', 'byte order does not apply to bool');
      rejects({ address: 'ns=2;i=1', dataType: 'int32', order: 'DCBA' }, 'order', 'byte order applies to Modbus tags only');
      tagOf({ name: NAME, address: 'co:1', order: 'abcd' });
    });
  });

  describe('length', () => {
    it('is required for a Modbus string', () => {
      rejects({ dataType: 'string' }, 'length', 'a string tag needs a length (characters, 1..246)');
    });
    it('must be a whole number 1..246', () => {
      assert.equal(tagOf({ name: NAME, address: 'hr:1', dataType: 'string', length: '20' }).length, 20);
      assert.equal(tagOf({ name: NAME, address: 'hr:1', dataType: 'string', length: '246' }).length, 246);
      rejects({ dataType: 'string', length: '247' }, 'length', 'length 247 is above 246 characters (123 registers, the most one Modbus read returns)');
      rejects({ dataType: 'string', length: '0' }, 'length', 'length "0" must be a whole number of characters, 1..246');
      rejects({ dataType: 'string', length: '2,5' }, 'length', /whole number/);
      rejects({ dataType: 'string', length: 'ten' }, 'length', /whole number/);
    });
    it('is forbidden on other types', () => {
      rejects({ dataType: 'uint16', length: '4' }, 'length', 'length applies only to string tags, not uint16');
    });
    it('is optional for an OPC UA string', () => {
      assert.equal(tagOf({ name: NAME, address: 'ns=2;s=Batch', dataType: 'string' }).length, undefined);
      assert.equal(tagOf({ name: NAME, address: 'ns=2;s=Batch', dataType: 'string', length: '1000' }).length, 1000);
    });
  });

  describe('scaling', () => {
    it('gain/offset default to 1/0 and "none" is undefined', () => {
      assert.deepEqual(tagOf({ name: NAME, address: 'hr:1', gain: '2' }).scaling, { gain: 2, offset: 0 });
      assert.deepEqual(tagOf({ name: NAME, address: 'hr:1', offset: '-273,15' }).scaling, { gain: 1, offset: -273.15 });
      assert.equal(tagOf({ name: NAME, address: 'hr:1', gain: '1', offset: '0' }).scaling, undefined);
      assert.equal(tagOf({ name: NAME, address: 'hr:1' }).scaling, undefined);
    });
    it('gain must be a non-zero number', () => {
      rejects({ gain: '0' }, 'gain', 'gain must not be 0 (every value would read as the offset)');
      rejects({ gain: 'abc' }, 'gain', 'gain "abc" is not a number');
      rejects({ offset: '1.000,5' }, 'offset', 'offset "1.000,5" is not a number');
    });
    it('a range becomes gain/offset and keeps the range', () => {
      assert.deepEqual(
        tagOf({ name: NAME, address: 'hr:1', rawLow: '4000', rawHigh: '20000', engLow: '0', engHigh: '160' }).scaling,
        { gain: 0.01, offset: -40, range: { rawLow: 4000, rawHigh: 20000, engLow: 0, engHigh: 160 } },
      );
    });
    it('a range needs all four numbers, rawLow != rawHigh and engLow != engHigh', () => {
      rejects({ rawLow: '0', rawHigh: '100', engLow: '0' }, 'engHigh', 'range scaling needs all of rawLow, rawHigh, engLow, engHigh; missing engHigh');
      rejects({ rawLow: '0', rawHigh: 'x', engLow: '0', engHigh: '1' }, 'rawHigh', 'rawHigh "x" is not a number');
      rejects({ rawLow: '5', rawHigh: '5', engLow: '0', engHigh: '1' }, 'rawHigh', 'rawHigh must differ from rawLow (both 5)');
      rejects({ rawLow: '0', rawHigh: '5', engLow: '1', engHigh: '1' }, 'engHigh', 'engHigh must differ from engLow (both 1)');
    });
    it('is gain/offset or a range, never both', () => {
      rejects({ gain: '2', rawLow: '0', rawHigh: '1', engLow: '0', engHigh: '1' }, 'rawLow', 'use either gain/offset or rawLow/rawHigh/engLow/engHigh, not both');
    });
    it('is forbidden on bool and string', () => {
      rejects({ address: 'co:1', gain: '2' }, 'gain', 'scaling does not apply to bool tags');
      rejects({ dataType: 'string', length: '4', engLow: '1' }, 'engLow', 'scaling does not apply to string tags');
    });
    it('works on OPC UA numbers', () => {
      assert.deepEqual(tagOf({ name: NAME, address: 'i=2258', dataType: 'float64', gain: '2' }).scaling, { gain: 2, offset: 0 });
    });
  });

  describe('unit, description', () => {
    it('unit is free text up to 32 characters', () => {
      assert.equal(tagOf({ name: NAME, address: 'hr:1', unit: '°C' }).unit, '°C');
      tagOf({ name: NAME, address: 'hr:1', unit: 'µ'.repeat(32) });
      rejects({ unit: 'x'.repeat(33) }, 'unit', 'unit is 33 characters long; at most 32 are allowed');
    });
    it('description is free text up to 256 characters', () => {
      tagOf({ name: NAME, address: 'hr:1', description: 'Ö'.repeat(256) });
      rejects({ description: 'x'.repeat(257) }, 'description', 'description is 257 characters long; at most 256 are allowed');
    });
  });

  describe('access', () => {
    it('defaults to read and accepts r, rw, read-write', () => {
      assert.equal(tagOf({ name: NAME, address: 'hr:1' }).access, 'read');
      assert.equal(tagOf({ name: NAME, address: 'hr:1', access: 'R' }).access, 'read');
      assert.equal(tagOf({ name: NAME, address: 'hr:1', access: 'rw' }).access, 'read-write');
      assert.equal(tagOf({ name: NAME, address: 'co:1', access: 'Read-Write' }).access, 'read-write');
    });
    it('rejects unknown values', () => {
      rejects({ access: 'write' }, 'access', 'unknown access "write" (expected read or read-write; r and rw also work)');
    });
    it('read-write is forbidden on input registers and discrete inputs', () => {
      rejects({ address: 'ir:1', access: 'rw' }, 'access', 'an input register is read-only in Modbus, so access cannot be read-write');
      rejects({ address: 'di:1', access: 'read-write' }, 'access', 'a discrete input is read-only in Modbus, so access cannot be read-write');
      assert.equal(tagOf({ name: NAME, address: 'ns=2;i=1', dataType: 'int16', access: 'rw' }).access, 'read-write');
    });
  });

  describe('deadband', () => {
    it('defaults to 0 and accepts numbers >= 0, with a decimal comma', () => {
      assert.equal(tagOf({ name: NAME, address: 'hr:1' }).deadband, 0);
      assert.equal(tagOf({ name: NAME, address: 'hr:1', deadband: '0,25' }).deadband, 0.25);
    });
    it('rejects negatives, text, and a dead band on bool/string', () => {
      rejects({ deadband: '-1' }, 'deadband', 'deadband -1 is negative');
      rejects({ deadband: 'small' }, 'deadband', 'deadband "small" is not a number');
      rejects({ address: 'co:1', deadband: '1' }, 'deadband', 'deadband does not apply to bool tags');
    });
  });

  describe('cells', () => {
    it('unknown columns are a row error', () => {
      rejects({ adress: 'hr:1' } as TagRow, null, /^unknown column "adress" \(expected name, address, dataType/);
    });
    it('numbers are accepted as text, other values are not', () => {
      assert.equal(tagOf({ name: NAME, address: 'hr:1', gain: 2 } as unknown as TagRow).scaling?.gain, 2);
      rejects({ gain: true } as unknown as TagRow, 'gain', 'cell must be text, not boolean');
    });
    it('blank rows are skipped but keep their row numbers', () => {
      const { tags, errors } = validateRows([row({}, 1), {}, { name: ' ', address: '' }, row({ dataType: 'x' }, 4)]);
      assert.equal(tags.length, 1);
      assert.deepEqual(errors.map((e) => [e.row, e.column]), [[4, 'dataType']]);
    });
  });

  describe('overlapping Modbus addresses', () => {
    const at = (n: number, address: string, cells: TagRow = {}): TagRow => ({ name: `plant/line1/m/t${n}`, address, ...cells });

    it('rejects registers shared by two tags, naming both rows', () => {
      oneError(
        [at(1, 'hr:100', { dataType: 'float32' }), at(2, 'hr:101')],
        2,
        'address',
        'hr:101 overlaps row 1 "plant/line1/m/t1" (hr:100..101)',
      );
      oneError(
        [at(1, 'hr:103'), at(2, 'hr:100', { dataType: 'float64' })],
        2,
        'address',
        'hr:100..103 overlaps row 1 "plant/line1/m/t1" (hr:103)',
      );
      oneError([at(1, 'hr:100', { dataType: 'string', length: '5' }), at(2, 'hr:102')], 2, 'address', /overlaps row 1/);
    });

    it('accepts adjacent values', () => {
      const { errors } = validateRows([
        at(1, 'hr:100', { dataType: 'float32' }),
        at(2, 'hr:102', { dataType: 'uint64' }),
        at(3, 'hr:106', { dataType: 'string', length: '5' }),
        at(4, 'hr:109'),
      ]);
      assert.deepEqual(errors, []);
    });

    it('allows different bits of one register, rejects the same bit', () => {
      assert.deepEqual(validateRows([at(1, 'hr:100.0'), at(2, 'hr:100.1'), at(3, 'hr:100.15'), at(4, 'hr:101.0')]).errors, []);
      oneError([at(1, 'hr:100.3'), at(2, 'hr:100.4'), at(3, '40101.3')], 3, 'address', 'hr:100.3 overlaps row 1 "plant/line1/m/t1" (hr:100.3)');
    });

    it('rejects a bit of a register that a whole-register tag uses', () => {
      oneError([at(1, 'hr:100.3'), at(2, 'hr:99', { dataType: 'int32' })], 2, 'address', /^hr:99..100 overlaps row 1/);
      oneError([at(1, 'hr:100'), at(2, 'hr:100.3')], 2, 'address', /^hr:100.3 overlaps row 1/);
    });

    it('keeps devices apart: a line map with one PLC per machine reuses addresses', () => {
      const rows = [at(1, 'hr:0', { device: 'filler' }), at(2, 'hr:0', { device: 'capper' }), at(3, 'hr:0')];
      assert.deepEqual(validateRows(rows).errors, []);
      oneError([at(1, 'hr:0', { device: 'filler' }), at(2, 'hr:0', { device: 'filler' })], 2, 'address', /overlaps row 1/);
      rejects({ device: 'filler plc' }, 'device', `device "filler plc" must be 1-64 letters, digits, '_', '-' or '.'`);
      assert.equal(tagOf({ name: NAME, address: 'hr:1', device: 'filler' }).device, 'filler');
    });

    it('keeps areas and unit ids apart', () => {
      const rows = [at(1, 'hr:5'), at(2, 'ir:5'), at(3, 'co:5'), at(4, 'di:5'), at(5, '2:hr:5'), at(6, '3:hr:5')];
      assert.deepEqual(validateRows(rows).errors, []);
      oneError([at(1, '2:co:5'), at(2, '2:coil:5')], 2, 'address', '2:co:5 overlaps row 1 "plant/line1/m/t1" (2:co:5)');
    });

    it('reports each conflicting pair once, on the later row', () => {
      const rows = Array.from({ length: 50 }, (_, i) => at(i, `hr:${i}`));
      rows.push(at(100, 'hr:10', { dataType: 'float64' })); // row 51 covers hr:10..13 (rows 11..14)
      const { tags, errors } = validateRows(rows);
      assert.deepEqual(
        errors.map((e) => [e.row, e.message]),
        [11, 12, 13, 14].map((r) => [51, `hr:10..13 overlaps row ${r} "plant/line1/m/t${r - 1}" (hr:${r - 1})`]),
      );
      assert.equal(tags.length, 50 - 4); // the four rows under the float64 and the float64 itself are held back
    });
  });

  describe('limits and performance', () => {
    it('validates 10,000 rows in well under 100 ms', () => {
      const rows: TagRow[] = [];
      for (let i = 0; i < 10_000; i++) {
        rows.push({
          name: `plant/area${i % 7}/line${i % 13}/machine${i}/value`,
          address: `${(i % 4) + 1}:hr:${(i >> 2) * 4}`,
          dataType: i % 3 === 0 ? 'float32' : 'int16',
          gain: '0,1',
          unit: '°C',
          deadband: '0.5',
        });
      }
      // Speed is measured by the benchmark, not asserted here (a busy CI machine would make it flaky).
      const { tags, errors } = validateRows(rows);
      assert.deepEqual(errors, []);
      assert.equal(tags.length, 10_000);
    });

    it('100,000 rows give one error, without validating them', () => {
      const rows: TagRow[] = Array.from({ length: 100_000 }, (_, i) => ({ name: 'bad', address: `hr:${i}` }));
      const { tags, errors } = validateRows(rows);
      assert.deepEqual(tags, []);
      assert.deepEqual(errors, [{ row: 10_001, column: null, message: 'too many rows: 100000 (the limit is 10000); split the tag map' }]);
    });

    it('maxRows is configurable', () => {
      assert.equal(validateRows([row({}, 1), row({}, 2)], { maxRows: 1 }).errors[0]?.row, 2);
      assert.deepEqual(validateRows([row({}, 1), row({}, 2)], { maxRows: 2 }).errors, []);
    });
  });

  it('returns all errors, sorted by row then column', () => {
    const { errors } = validateRows([
      row({ dataType: 'float', access: 'x' }, 1),
      row({}, 2),
      { name: 'x', address: 'hx:1', unit: 'y'.repeat(40) },
      row({ name: 'plant/line1/filler1/tag2' }, 4),
    ]);
    assert.deepEqual(
      errors.map((e) => [e.row, e.column]),
      [
        [1, 'dataType'],
        [1, 'access'],
        [3, 'name'],
        [3, 'address'],
        [3, 'unit'],
        [4, 'name'],
      ],
    );
  });

  it('formatTagError handles row-level and file-level errors', () => {
    assert.equal(formatTagError({ row: 3, column: null, message: 'm' }), 'row 3: m');
    assert.equal(formatTagError({ row: 0, column: null, message: 'not a CSV text file' }), 'not a CSV text file');
  });

  it('parseNumberCell accepts . and , decimals and refuses thousands separators', () => {
    assert.equal(parseNumberCell('0,1'), 0.1);
    assert.equal(parseNumberCell('-0.5'), -0.5);
    assert.equal(parseNumberCell('+3'), 3);
    assert.equal(parseNumberCell(',5'), 0.5);
    assert.equal(parseNumberCell('1e-3'), 0.001);
    assert.equal(parseNumberCell('1,000.5'), undefined);
    assert.equal(parseNumberCell('1 000'), undefined);
    assert.equal(parseNumberCell('0x10'), undefined);
    assert.equal(parseNumberCell(''), undefined);
    assert.equal(parseNumberCell('1e999'), undefined);
  });

  describe('rowOf', () => {
    it('writes only non-default cells in canonical form', () => {
      const tag = tagOf({ name: NAME, address: '40101', dataType: 'UINT16', order: 'abcd', access: 'r', gain: '1', unit: '' });
      assert.deepEqual(rowOf(tag), { name: NAME, address: 'hr:100' });
      const bit = tagOf({ name: NAME, address: '3:40101.2', dataType: 'bool', access: 'rw' });
      assert.deepEqual(rowOf(bit), { name: NAME, address: '3:hr:100.2', access: 'read-write' });
      const opc = tagOf({ name: NAME, address: 'ns=2;s=X', dataType: 'Float64', deadband: '0,5' });
      assert.deepEqual(rowOf(opc), { name: NAME, address: 'ns=2;s=X', dataType: 'float64', deadband: '0.5' });
    });

    it('rows -> tags -> rows is stable', () => {
      const rows: TagRow[] = [
        { name: 'a/b/c', address: '2:hr:10', dataType: 'float32', order: 'CDAB', gain: '0,1', offset: '-5', unit: '°C', access: 'rw', deadband: '0.5', description: 'x, "y"' },
        { name: 'a/b/d', address: '30001', rawLow: '0', rawHigh: '27648', engLow: '0', engHigh: '100', unit: 'µm' },
        { name: 'a/b/e', address: 'hr:20', dataType: 'string', length: '20' },
        { name: 'a/b/f', address: 'co:1' },
        { name: 'a/b/g', address: 'ns=2;g=72962b91-fa75-4ae6-8d28-b404dc7daf63', dataType: 'uint32' },
      ];
      const once = validateRows(rows);
      assert.deepEqual(once.errors, []);
      const canonical = once.tags.map(rowOf);
      const twice = validateRows(canonical);
      assert.deepEqual(twice.tags, once.tags);
      assert.deepEqual(twice.tags.map(rowOf), canonical);
      assert.deepEqual(canonical[1], { name: 'a/b/d', address: 'ir:0', rawLow: '0', rawHigh: '27648', engLow: '0', engHigh: '100', unit: 'µm' });
    });
  });

  it('tagsByName maps exact names', () => {
    const { tags } = validateRows([row({}, 1), row({}, 2)]);
    const map = tagsByName(tags);
    assert.equal(map.get('plant/line1/filler1/tag2')?.address.protocol, 'modbus');
    assert.equal(map.size, 2);
  });
});
