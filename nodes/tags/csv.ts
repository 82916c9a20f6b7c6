/**
 * Tag maps as CSV, the way technicians exchange them with Excel (RFC 4180 plus Excel's habits:
 * UTF-8 BOM, `;` separator in European locales, CRLF, a `sep=;` first line).
 *
 * parseCsv only splits cells; validateRows judges them. Row numbers in TagErrors are data rows
 * (the header is row 0), as in the editor's table; an error shown about a file names its line as a
 * spreadsheet does (header = line 1, so data row N is line N + 1): formatCsvError, csvLines.
 */
import { TAG_COLUMNS } from './tag';
import type { TagColumn, TagRow } from './tag';
import { DEFAULT_MAX_ROWS, formatTagError, sortErrors } from './validate';
import type { TagError } from './validate';

export type CsvSeparator = ',' | ';';

export interface ParseCsvOptions {
  /** More data rows than this give one error and no rows (default 10,000, as validateRows). */
  readonly maxRows?: number;
}

export interface ParseCsvResult {
  /**
   * One row per data record, cells that are empty left out. Blank records between data keep their place
   * as `{}` so row numbers match the file (validateRows skips them); blank records at the end are dropped.
   */
  readonly rows: TagRow[];
  readonly errors: TagError[];
  /** The separator found in the header, so an export can answer in the same dialect. */
  readonly separator: CsvSeparator;
}

export interface ToCsvOptions {
  readonly separator?: CsvSeparator;
  /** UTF-8 byte order mark; Excel needs it to read UTF-8 (`°C`, `Öl`) correctly. Default true. */
  readonly bom?: boolean;
  readonly eol?: '\r\n' | '\n';
}

const BOM = '\uFEFF';
const REQUIRED: readonly TagColumn[] = ['name', 'address'];
const HEADER_NAMES: ReadonlyMap<string, TagColumn> = new Map(TAG_COLUMNS.map((c) => [c.toLowerCase(), c]));

/** Header in TAG_COLUMNS order, every row with every column, trailing end of line as Excel writes it. */
export function toCsv(rows: readonly TagRow[], options: ToCsvOptions = {}): string {
  const separator = options.separator ?? ',';
  const eol = options.eol ?? '\r\n';
  const lines = [TAG_COLUMNS.join(separator)];
  for (const row of rows) {
    lines.push(TAG_COLUMNS.map((c) => quoteField(row[c] ?? '', separator)).join(separator));
  }
  return (options.bom === false ? '' : BOM) + lines.join(eol) + eol;
}

/**
 * Quotes a field only when it must be: separator, quote, CR/LF, surrounding whitespace (which the
 * parser trims from unquoted fields), or a leading `=`, `+`, `-`, `@` that a spreadsheet may read as a
 * formula. We quote those instead of prefixing `'` (the OWASP advice) because the file is data we read
 * back: a prefix would change the cell, and a tag map is written by the plant's own staff. Note that
 * Excel may still evaluate a quoted `=...` cell; the quotes keep the text exact for every CSV reader.
 */
export function quoteField(value: string, separator: CsvSeparator): string {
  const needsQuotes =
    value.includes(separator) || /["\r\n]/.test(value) || value !== value.trim() || /^[=+\-@]/.test(value);
  return needsQuotes ? `"${value.replace(/"/g, '""')}"` : value;
}

export function parseCsv(input: string | Uint8Array, options: ParseCsvOptions = {}): ParseCsvResult {
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const decoded = typeof input === 'string' ? { text: input } : decodeUtf8(input);
  const notText = decoded.error ?? binaryReason(decoded.text);
  if (notText !== undefined) {
    return { rows: [], errors: [fileError(`not a CSV text file: ${notText}`)], separator: ',' };
  }

  let text = decoded.text.startsWith(BOM) ? decoded.text.slice(BOM.length) : decoded.text;
  // Excel's own hint line, e.g. `sep=;`, written by some exports and honoured by Excel when opening.
  let separator: CsvSeparator | undefined;
  const hint = /^sep=([,;])[ \t]*(?:\r\n|\n|\r|$)/i.exec(text);
  if (hint !== null) {
    separator = hint[1] === ';' ? ';' : ',';
    text = text.slice(hint[0].length);
  }
  separator ??= detectSeparator(text);

  const reader = new RecordReader(text, separator);
  const header = reader.next();
  if (header === undefined || header.cells.every((c) => c.text === '')) {
    return { rows: [], errors: [fileError('the file is empty: expected a header line with at least name and address')], separator };
  }
  const mapped = mapHeader(header.cells.map((c) => c.text));
  if (mapped.errors.length > 0) return { rows: [], errors: mapped.errors, separator };
  const columns = mapped.columns;

  const rows: TagRow[] = [];
  const errors: TagError[] = [];
  let blanks = 0; // blank records not yet known to be followed by data
  for (let row = 1; ; row++) {
    const record = reader.next();
    if (record === undefined) break;
    if (record.error === undefined && record.cells.every((c) => c.text === '')) {
      blanks++;
      continue;
    }
    if (row > maxRows) {
      return {
        rows: [],
        errors: [{ row, column: null, message: `too many rows: more than ${maxRows} (the limit is ${maxRows}); split the tag map` }],
        separator,
      };
    }
    for (; blanks > 0; blanks--) rows.push({});
    const cells: TagRow = {};
    record.cells.forEach((cell, i) => {
      if (cell.text === '') return;
      const column = columns[i];
      if (i >= columns.length) {
        errors.push({ row, column: null, message: `cell ${i + 1} ("${clip(cell.text)}") is beyond the ${columns.length} header columns` });
      } else if (column === null || column === undefined) {
        errors.push({ row, column: null, message: `cell ${i + 1} ("${clip(cell.text)}") is under a column without a header` });
      } else {
        cells[column] = cell.text;
      }
    });
    if (record.error !== undefined) {
      const column = columns[record.error.cell] ?? null;
      errors.push({ row, column, message: record.error.message });
    }
    rows.push(cells);
  }
  return { rows, errors: sortErrors(errors), separator };
}

/**
 * An error text about data rows, renumbered as the file's lines: `row 15` becomes `line 16` (the header
 * is line 1), also where a message names another row ("row 3 is already named ...").
 */
export function csvLines(text: string): string {
  return text.replace(/\brow (\d+)\b/g, (_, n: string) => `line ${Number(n) + 1}`);
}

/** `line 16, column "dataType": ...`, the line a spreadsheet shows; file-wide errors have no line. */
export function formatCsvError(e: TagError): string {
  return csvLines(formatTagError(e));
}

function fileError(message: string): TagError {
  return { row: 0, column: null, message };
}

function clip(text: string): string {
  return text.length > 20 ? `${text.slice(0, 20)}...` : text;
}

// ---------------------------------------------------------------- header

/** Columns by cell position; null for an empty header cell (tolerated while its cells stay empty). */
function mapHeader(names: readonly string[]): { columns: (TagColumn | null)[]; errors: TagError[] } {
  const columns: (TagColumn | null)[] = [];
  const unknown: string[] = [];
  const duplicate: string[] = [];
  for (const raw of names) {
    const name = raw.trim();
    if (name === '') {
      columns.push(null);
      continue;
    }
    const column = HEADER_NAMES.get(name.toLowerCase());
    if (column === undefined) unknown.push(name);
    else if (columns.includes(column)) duplicate.push(name);
    columns.push(column ?? null);
  }
  const errors: TagError[] = [];
  const missing = REQUIRED.filter((c) => !columns.includes(c));
  const list = (names: readonly string[]): string => names.map((n) => `"${n}"`).join(', ');
  if (missing.length > 0) {
    errors.push(fileError(`the header is missing the required column${missing.length > 1 ? 's' : ''} ${list(missing)}`));
  }
  if (unknown.length > 0) {
    errors.push(fileError(`unknown column${unknown.length > 1 ? 's' : ''} ${list(unknown)} in the header (expected ${TAG_COLUMNS.join(', ')})`));
  }
  if (duplicate.length > 0) {
    errors.push(fileError(`column${duplicate.length > 1 ? 's' : ''} ${list(duplicate)} appear${duplicate.length > 1 ? '' : 's'} twice in the header`));
  }
  return { columns, errors };
}

/** The separator that occurs more often outside quotes in the first line; `,` on a tie. */
function detectSeparator(text: string): CsvSeparator {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (quoted) continue;
    else if (ch === '\n' || ch === '\r') break;
    else if (ch === ',') commas++;
    else if (ch === ';') semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}

// ---------------------------------------------------------------- records

interface Cell {
  readonly text: string;
}

interface CsvRecord {
  readonly cells: Cell[];
  /** A syntax problem in this record; `cell` is the 0-based position where it happened. */
  readonly error?: { readonly cell: number; readonly message: string };
}

/**
 * RFC 4180 records. Unquoted fields are trimmed (hand-written `a, b`); quoted fields are exact and may
 * hold separators, CR/LF and doubled quotes. Whitespace around a quoted field is tolerated.
 */
class RecordReader {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly separator: CsvSeparator,
  ) {}

  next(): CsvRecord | undefined {
    const text = this.text;
    if (this.pos >= text.length) return undefined;
    const cells: Cell[] = [];
    let error: CsvRecord['error'];
    for (;;) {
      const cellIndex = cells.length;
      const start = this.pos;
      this.skipBlanks();
      if (text[this.pos] === '"') {
        const value = this.readQuoted();
        if (value === undefined) {
          // Unclosed quote: it swallowed the rest of the file, so nothing after it can be trusted.
          cells.push({ text: text.slice(start).trim() });
          this.pos = text.length;
          return { cells, error: { cell: cellIndex, message: 'a quoted cell is never closed (a " is missing)' } };
        }
        cells.push({ text: value });
        this.skipBlanks();
        if (!this.atFieldEnd()) {
          error ??= { cell: cellIndex, message: 'unexpected text after a closing quote (a quote inside a cell must be doubled: "")' };
          this.skipToFieldEnd();
        }
      } else {
        this.pos = start;
        this.skipToFieldEnd();
        cells.push({ text: text.slice(start, this.pos).trim() });
      }
      if (text[this.pos] === this.separator) {
        this.pos++;
        continue;
      }
      this.skipEol();
      return error === undefined ? { cells } : { cells, error };
    }
  }

  private skipBlanks(): void {
    while (this.text[this.pos] === ' ' || this.text[this.pos] === '\t') this.pos++;
  }

  private atFieldEnd(): boolean {
    const ch = this.text[this.pos];
    return ch === undefined || ch === this.separator || ch === '\r' || ch === '\n';
  }

  private skipToFieldEnd(): void {
    while (!this.atFieldEnd()) this.pos++;
  }

  private skipEol(): void {
    if (this.text[this.pos] === '\r') this.pos++;
    if (this.text[this.pos] === '\n') this.pos++;
  }

  /** At an opening quote; returns the unescaped content, or undefined if the quote is never closed. */
  private readQuoted(): string | undefined {
    const text = this.text;
    let value = '';
    let from = this.pos + 1;
    for (;;) {
      const quote = text.indexOf('"', from);
      if (quote < 0) return undefined;
      value += text.slice(from, quote);
      if (text[quote + 1] === '"') {
        value += '"';
        from = quote + 2;
      } else {
        this.pos = quote + 1;
        return value;
      }
    }
  }
}

// ---------------------------------------------------------------- binary detection

function decodeUtf8(bytes: Uint8Array): { text: string; error?: string } {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { text: '', error: 'it is UTF-16 text (Excel "Unicode Text"); save it as "CSV UTF-8" instead' };
  }
  if (bytes.includes(0)) return { text: '', error: 'it contains NUL bytes, as binary files (images, xlsx, pdf) do' };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return {
      text: '',
      error: 'it is not valid UTF-8 text (an old Excel "CSV" export? save it as "CSV UTF-8" instead)',
    };
  }
}

const SAMPLE = 65536;

/**
 * Undefined for text; otherwise why not. A text that is more than 10% control characters (or U+FFFD
 * left by a lossy decoder) is a binary file read as a string.
 */
function binaryReason(text: string): string | undefined {
  if (text.includes('\0')) return 'it contains NUL characters, as binary files (images, xlsx, pdf) do';
  const sample = text.length > SAMPLE ? text.slice(0, SAMPLE) : text;
  let odd = 0;
  for (let i = 0; i < sample.length; i++) {
    const c = sample.charCodeAt(i);
    const control = (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f) || c === 0xfffd;
    if (control) odd++;
  }
  return odd * 10 > sample.length ? 'it is mostly non-printable characters' : undefined;
}
