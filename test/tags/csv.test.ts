import assert from 'node:assert/strict';
import { formatCsvError, parseCsv, quoteField, toCsv } from '../../nodes/tags/csv';
import { formatTagError, validateRows } from '../../nodes/tags/validate';
import { TAG_COLUMNS } from '../../nodes/tags/tag';
import type { TagRow } from '../../nodes/tags/tag';

const HEADER = TAG_COLUMNS.join(',');

/** Rows that exercise every quoting rule and some unicode. */
const ROWS: TagRow[] = [
  { name: 'werk1/abfüllung/linie1/füller1/Öl-Temperatur', address: 'hr:100', dataType: 'float32', gain: '0,1', unit: '°C', description: 'Öl, vor dem "Kühler"' },
  { name: 'werk1/abfüllung/linie1/füller1/dicke', address: '3:ir:7', offset: '-12.5', unit: 'µm', description: 'line one\r\nline two\nline three' },
  { name: 'werk1/abfüllung/linie1/füller1/status', address: 'hr:5.3', description: '  padded  ' },
  { name: 'werk1/abfüllung/linie1/füller1/formel', address: 'ns=2;s=Filler;1', dataType: 'string', description: '=SUM(A1:A3); +1 @x' },
  { name: 'werk1/abfüllung/linie1/füller1/leer', address: 'co:1', description: '"' },
];

function ok(text: string | Uint8Array): TagRow[] {
  const { rows, errors } = parseCsv(text);
  assert.deepEqual(errors, [], errors.map(formatTagError).join('\n'));
  return rows;
}

describe('tags/csv', () => {
  describe('toCsv', () => {
    it('writes BOM, the header in TAG_COLUMNS order, CRLF, and quotes only what needs it', () => {
      const text = toCsv([{ name: 'a/b', address: 'hr:1', unit: '°C', offset: '-5', description: 'x, "y"' }]);
      assert.equal(
        text,
        `\uFEFF${HEADER}\r\na/b,hr:1,,,,,"-5",,,,,°C,,,,"x, ""y""",\r\n`,
      );
    });

    it('honours separator, bom and eol options', () => {
      const text = toCsv([{ name: 'a/b', address: 'hr:1', gain: '0,5' }], { separator: ';', bom: false, eol: '\n' });
      assert.equal(text, `${TAG_COLUMNS.join(';')}\na/b;hr:1;;;;0,5;;;;;;;;;;;\n`);
    });

    it('quoteField quotes separator, quotes, newlines, outer spaces and formula starts', () => {
      assert.equal(quoteField('plain text', ','), 'plain text');
      assert.equal(quoteField('a;b', ','), 'a;b');
      assert.equal(quoteField('a;b', ';'), '"a;b"');
      assert.equal(quoteField('a,b', ','), '"a,b"');
      assert.equal(quoteField('say "hi"', ','), '"say ""hi"""');
      assert.equal(quoteField('a\nb', ','), '"a\nb"');
      assert.equal(quoteField('a\rb', ','), '"a\rb"');
      assert.equal(quoteField(' a', ','), '" a"');
      assert.equal(quoteField('a\t', ','), '"a\t"');
      for (const f of ['=1+2', '+1', '-1', '@SUM(A1)']) assert.equal(quoteField(f, ','), `"${f}"`);
      assert.equal(quoteField('', ','), '');
    });
  });

  describe('round trip rows -> toCsv -> parseCsv', () => {
    for (const separator of [',', ';'] as const) {
      for (const bom of [true, false]) {
        for (const eol of ['\r\n', '\n'] as const) {
          it(`is exact with "${separator}", bom=${bom}, eol=${JSON.stringify(eol)}`, () => {
            const text = toCsv(ROWS, { separator, bom, eol });
            const parsed = parseCsv(text);
            assert.deepEqual(parsed.errors, []);
            assert.deepEqual(parsed.rows, ROWS);
            assert.equal(parsed.separator, separator);
          });
        }
      }
    }

    it('is exact through UTF-8 bytes', () => {
      const bytes = new TextEncoder().encode(toCsv(ROWS, { separator: ';' }));
      assert.equal(bytes[0], 0xef); // the BOM survives encoding
      assert.deepEqual(ok(bytes), ROWS);
    });

    it('keeps blank rows between data so row numbers match, drops them at the end', () => {
      const rows: TagRow[] = [{ name: 'a/b', address: 'hr:1' }, {}, { name: 'a/c', address: 'hr:2' }];
      assert.deepEqual(ok(toCsv(rows)), rows);
      assert.deepEqual(ok(toCsv([...rows, {}, {}])), rows);
    });
  });

  describe('parseCsv', () => {
    it('reads an Excel (German) export: BOM, ";", CRLF, decimal comma, quoted cells', () => {
      const text =
        '\uFEFFName;Address;DataType;Gain;Unit;Description\r\n' +
        'werk/linie1/füller/temp;hr:100;float32;0,1;°C;"Temperatur; vorne"\r\n' +
        'werk/linie1/füller/zähler;40011;uint32;;;"sagt ""Hallo""\r\nzweite Zeile"\r\n' +
        ';;;;;\r\n' +
        '\r\n';
      const rows = ok(text);
      assert.deepEqual(rows, [
        { name: 'werk/linie1/füller/temp', address: 'hr:100', dataType: 'float32', gain: '0,1', unit: '°C', description: 'Temperatur; vorne' },
        { name: 'werk/linie1/füller/zähler', address: '40011', dataType: 'uint32', description: 'sagt "Hallo"\r\nzweite Zeile' },
      ]);
      const { tags, errors } = validateRows(rows);
      assert.deepEqual(errors, []);
      assert.deepEqual(tags[0]?.scaling, { gain: 0.1, offset: 0 });
    });

    it('auto-detects "," and ";" from the header, ignoring quoted separators', () => {
      assert.equal(parseCsv('name,address\na/b,hr:1\n').separator, ',');
      assert.equal(parseCsv('name;address;unit\na/b;hr:1;x,y\n').separator, ';');
      assert.equal(parseCsv('"name;x",address\n').separator, ',');
    });

    it('honours an Excel "sep=" line', () => {
      const { rows, separator } = parseCsv('sep=;\r\nname;address;description\r\na/b;hr:1;x,y\r\n');
      assert.equal(separator, ';');
      assert.deepEqual(rows, [{ name: 'a/b', address: 'hr:1', description: 'x,y' }]);
    });

    it('matches header names case-insensitively and tolerates spaces', () => {
      assert.deepEqual(ok(' NAME , Address ,  datatype\na/b,hr:1,INT16\n'), [{ name: 'a/b', address: 'hr:1', dataType: 'INT16' }]);
    });

    it('accepts lone LF and CR line ends and a missing final newline', () => {
      assert.deepEqual(ok('name,address\na/b,hr:1\na/c,hr:2'), [
        { name: 'a/b', address: 'hr:1' },
        { name: 'a/c', address: 'hr:2' },
      ]);
      assert.deepEqual(ok('name,address\ra/b,hr:1\r'), [{ name: 'a/b', address: 'hr:1' }]);
    });

    it('trims unquoted cells, keeps quoted cells exact, tolerates spaces around quotes', () => {
      assert.deepEqual(ok('name,address,description\n a/b , hr:1 ,  " x "  \n'), [{ name: 'a/b', address: 'hr:1', description: ' x ' }]);
    });

    it('accepts fewer cells than the header', () => {
      assert.deepEqual(ok('name,address,unit\na/b,hr:1\n'), [{ name: 'a/b', address: 'hr:1' }]);
    });

    it('ignores empty extra cells and an empty header cell while its column stays empty', () => {
      assert.deepEqual(ok('name,address,\na/b,hr:1,,,\n'), [{ name: 'a/b', address: 'hr:1' }]);
    });

    it('rejects a row with more cells than the header, at its row', () => {
      const { errors } = parseCsv('name,address\na/b,hr:1\na/c,hr:2,surprise\n');
      assert.deepEqual(errors, [{ row: 2, column: null, message: 'cell 3 ("surprise") is beyond the 2 header columns' }]);
    });

    it('rejects data under an unnamed header cell', () => {
      const { errors } = parseCsv('name,,address\na/b,x,hr:1\n');
      assert.deepEqual(errors, [{ row: 1, column: null, message: 'cell 2 ("x") is under a column without a header' }]);
    });

    it('rejects missing required columns, naming them', () => {
      const { rows, errors } = parseCsv('dataType,unit\nint16,°C\n');
      assert.deepEqual(rows, []);
      assert.deepEqual(errors, [{ row: 0, column: null, message: 'the header is missing the required columns "name", "address"' }]);
      assert.equal(parseCsv('name,unit\n').errors[0]?.message, 'the header is missing the required column "address"');
    });

    it('rejects unknown header names, naming them', () => {
      const { rows, errors } = parseCsv('name,address,Adresse,Typ\na/b,hr:1,,\n');
      assert.deepEqual(rows, []);
      assert.equal(errors.length, 1);
      assert.match(errors[0]?.message ?? '', /^unknown columns "Adresse", "Typ" in the header \(expected name, address, dataType/);
      assert.equal(formatTagError(errors[0] ?? { row: 0, column: null, message: '' }).startsWith('unknown columns'), true);
    });

    it('rejects a column named twice', () => {
      assert.deepEqual(parseCsv('name,address,Name\n').errors, [{ row: 0, column: null, message: 'column "Name" appears twice in the header' }]);
    });

    it('rejects an empty file', () => {
      assert.match(parseCsv('').errors[0]?.message ?? '', /the file is empty/);
      assert.match(parseCsv('\uFEFF\r\n').errors[0]?.message ?? '', /the file is empty/);
    });

    it('reports an unclosed quote at its row and column', () => {
      const { errors } = parseCsv('name,address,description\na/b,hr:1,ok\na/c,hr:2,"never closed\na/d,hr:3,x\n');
      assert.deepEqual(errors, [{ row: 2, column: 'description', message: 'a quoted cell is never closed (a " is missing)' }]);
    });

    it('reports text after a closing quote', () => {
      const { errors } = parseCsv('name,address,description\na/b,hr:1,"say "hi" there"\n');
      assert.deepEqual(errors, [
        { row: 1, column: 'description', message: 'unexpected text after a closing quote (a quote inside a cell must be doubled: "")' },
      ]);
    });

    it('row numbers count data rows; an error about the file names the line a spreadsheet shows (header = line 1)', () => {
      const { rows } = parseCsv('name;address;dataType\r\na/b;hr:1;int16\r\n;;\r\na/c;hr:2;float\r\na/b;hr:3\r\n');
      const { errors } = validateRows(rows);
      assert.deepEqual(errors.map(formatTagError), [
        'row 3, column "dataType": unknown data type "float" (expected one of bool, int16, uint16, int32, uint32, int64, uint64, float32, float64, string)',
        'row 4, column "name": duplicate name "a/b": row 1 is already named "a/b" (names are case-insensitive)',
      ]);
      assert.deepEqual(errors.map(formatCsvError), [
        'line 4, column "dataType": unknown data type "float" (expected one of bool, int16, uint16, int32, uint32, int64, uint64, float32, float64, string)',
        'line 5, column "name": duplicate name "a/b": line 2 is already named "a/b" (names are case-insensitive)',
      ]);
      assert.equal(formatCsvError(parseCsv('name,address,description\na/b,hr:1,"never closed\n').errors[0]), 'line 2, column "description": a quoted cell is never closed (a " is missing)');
      assert.equal(formatCsvError({ row: 0, column: null, message: 'the file is empty' }), 'the file is empty', 'a file-wide error has no line');
    });
  });

  describe('bad files', () => {
    it('rejects a binary file (PNG header + random bytes) with one clear error', () => {
      const bytes = new Uint8Array(4096);
      bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      let seed = 12345; // deterministic pseudo-random bytes
      for (let i = 8; i < bytes.length; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        bytes[i] = seed >>> 24;
      }
      const { rows, errors } = parseCsv(bytes);
      assert.deepEqual(rows, []);
      assert.equal(errors.length, 1);
      assert.equal(errors[0]?.row, 0);
      assert.match(errors[0]?.message ?? '', /^not a CSV text file: it contains NUL bytes/);
    });

    it('rejects invalid UTF-8 (an old ANSI Excel export) with a hint', () => {
      const bytes = new Uint8Array([...new TextEncoder().encode('name;address;unit\r\na/b;hr:1;'), 0xb0, 0x43, 0x0d, 0x0a]);
      assert.deepEqual(parseCsv(bytes).errors, [
        { row: 0, column: null, message: 'not a CSV text file: it is not valid UTF-8 text (an old Excel "CSV" export? save it as "CSV UTF-8" instead)' },
      ]);
    });

    it('rejects UTF-16 text', () => {
      assert.match(parseCsv(new Uint8Array([0xff, 0xfe, 0x6e, 0x00])).errors[0]?.message ?? '', /UTF-16/);
    });

    it('rejects a string of mostly control characters, and NUL in a string', () => {
      const junk = Array.from({ length: 200 }, (_, i) => String.fromCharCode(1 + (i % 8), 0x41 + (i % 26))).join(''); // 50% \x01..\x08
      assert.match(parseCsv(`name,address\n${junk}`).errors[0]?.message ?? '', /^not a CSV text file: it is mostly non-printable/);
      assert.match(parseCsv('name,address\na\0b,hr:1\n').errors[0]?.message ?? '', /^not a CSV text file: it contains NUL/);
    });

    it('100,000 rows are rejected with one message', () => {
      const text = `name,address\r\n${'plant/line/m/t,hr:1\r\n'.repeat(100_000)}`;
      const { rows, errors } = parseCsv(text);
      assert.deepEqual(rows, []);
      assert.deepEqual(errors, [{ row: 10_001, column: null, message: 'too many rows: more than 10000 (the limit is 10000); split the tag map' }]);
    });

    it('exactly maxRows rows are fine', () => {
      const { rows, errors } = parseCsv(`name,address\n${'a/b,hr:1\n'.repeat(3)}`, { maxRows: 3 });
      assert.deepEqual(errors, []);
      assert.equal(rows.length, 3);
    });
  });
});
