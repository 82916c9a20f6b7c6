/**
 * TagRow[] (what a technician edits) -> Tag[] (what the protocol nodes use), with every problem
 * reported at its row and column. Pure; 10,000 rows validate in a few milliseconds.
 *
 * Callers must treat a non-empty `errors` as "reject the whole map": `tags` then holds only the rows
 * that are not named by any error, which is handy for previews but not a map to deploy.
 */
import { MAX_REGISTER, areaNoun, formatAddress, parseAddress, registerCount } from './address';
import { MAX_DECIMALS } from './precision';
import { BYTE_ORDERS, DATA_TYPES, TAG_COLUMNS } from './tag';
import type { Access, ByteOrder, DataType, ModbusAddress, Scaling, Tag, TagAddress, TagColumn, TagRow } from './tag';

export interface TagError {
  /** 1-based data row as the technician sees it (header not counted); 0 = the header or the file as a whole. */
  readonly row: number;
  readonly column: TagColumn | null;
  readonly message: string;
}

export interface ValidateOptions {
  /** More rows than this give a single error and no tags (default 10,000). */
  readonly maxRows?: number;
}

export interface ValidationResult {
  readonly tags: Tag[];
  readonly errors: TagError[];
}

export const DEFAULT_MAX_ROWS = 10_000;
/** 123 registers: the most one Modbus read (FC3/FC4) returns. */
export const MAX_STRING_LENGTH = 246;
/** A string identifier limit is the OPC UA server's business; this only stops nonsense. */
const MAX_OPCUA_STRING_LENGTH = 65535;
export const MAX_UNIT_LENGTH = 32;
export const MAX_DESCRIPTION_LENGTH = 256;
export const MIN_NAME_SEGMENTS = 2;
export const MAX_NAME_SEGMENTS = 8;

const COLUMN_INDEX: ReadonlyMap<string, number> = new Map(TAG_COLUMNS.map((c, i) => [c, i]));

export function isTagColumn(name: string): name is TagColumn {
  return COLUMN_INDEX.has(name);
}

/** `row 12, column "dataType": unknown data type ...`; row 0 (header/file) gets no row prefix. */
export function formatTagError(e: TagError): string {
  const where: string[] = [];
  if (e.row > 0) where.push(`row ${e.row}`);
  if (e.column !== null) where.push(`column "${e.column}"`);
  return where.length === 0 ? e.message : `${where.join(', ')}: ${e.message}`;
}

/** Sorts by row, then by column in TAG_COLUMNS order (row-level errors first); stable otherwise. */
export function sortErrors<E extends TagError>(errors: E[]): E[] {
  const col = (c: TagColumn | null): number => (c === null ? -1 : (COLUMN_INDEX.get(c) ?? -1));
  return errors.sort((a, b) => a.row - b.row || col(a.column) - col(b.column));
}

export function validateRows(rows: readonly TagRow[], options: ValidateOptions = {}): ValidationResult {
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  if (rows.length > maxRows) {
    return {
      tags: [],
      errors: [
        {
          row: maxRows + 1,
          column: null,
          message: `too many rows: ${rows.length} (the limit is ${maxRows}); split the tag map`,
        },
      ],
    };
  }

  const errors: TagError[] = [];
  const built: { row: number; tag: Tag }[] = [];
  const names: { row: number; name: string }[] = [];
  // One reporter for all rows (not a closure per row): this loop must stay cheap for 10,000 rows.
  let row = 0;
  const fail: Fail = (column, message) => {
    errors.push({ row, column, message });
    return undefined;
  };
  for (let i = 0; i < rows.length; i++) {
    row = i + 1;
    const before = errors.length;
    const result = checkRow(rows[i], fail);
    if (result === undefined) continue;
    names.push({ row, name: result.name });
    if (errors.length === before && result.tag !== undefined) built.push({ row, tag: result.tag });
  }
  // Rows in a cross-row conflict get one message (on the later row); the earlier row is only held back.
  const conflicted = new Set<number>();
  checkDuplicateNames(names, errors, conflicted);
  checkOverlaps(built, errors, conflicted);

  const badRows = new Set([...errors.map((e) => e.row), ...conflicted]);
  return {
    tags: built.filter((b) => !badRows.has(b.row)).map((b) => b.tag),
    errors: sortErrors(errors),
  };
}

/** Exact-name lookup (names are unique case-insensitively, so no two keys differ only in case). */
export function tagsByName(tags: readonly Tag[]): ReadonlyMap<string, Tag> {
  return new Map(tags.map((t) => [t.name, t]));
}

/** Data type an empty `dataType` cell means; undefined for OPC UA, where it must be given. */
export function defaultDataType(address: TagAddress): DataType | undefined {
  if (address.protocol === 'opcua') return undefined;
  return holdsOneBit(address) ? 'bool' : 'uint16';
}

/**
 * Tag -> canonical row holding only non-default cells (numbers in JS shortest form, canonical address).
 * validateRows(rowOf(t)) gives t back, so rows -> tags -> rows is stable after the first pass.
 */
export function rowOf(tag: Tag): TagRow {
  const row: TagRow = { name: tag.name, address: formatAddress(tag.address) };
  if (tag.device) row.device = tag.device;
  if (tag.dataType !== defaultDataType(tag.address)) row.dataType = tag.dataType;
  if (tag.order !== 'ABCD') row.order = tag.order;
  if (tag.length !== undefined) row.length = String(tag.length);
  if (tag.scaling !== undefined) {
    const { gain, offset, range } = tag.scaling;
    if (range !== undefined) {
      row.rawLow = String(range.rawLow);
      row.rawHigh = String(range.rawHigh);
      row.engLow = String(range.engLow);
      row.engHigh = String(range.engHigh);
    } else {
      if (gain !== 1) row.gain = String(gain);
      if (offset !== 0) row.offset = String(offset);
    }
  }
  if (tag.unit !== '') row.unit = tag.unit;
  if (tag.decimals !== undefined) row.decimals = String(tag.decimals);
  if (tag.access !== 'read') row.access = tag.access;
  if (tag.deadband !== 0) row.deadband = String(tag.deadband);
  if (tag.description !== '') row.description = tag.description;
  return row;
}

// ---------------------------------------------------------------- one row

type Cells = Partial<Record<TagColumn, string>>;
type Fail = (column: TagColumn | null, message: string) => undefined;

interface RowResult {
  /** Set when the name is well-formed, so duplicates are found even if other cells are wrong. */
  readonly name: string;
  /** Set when every cell is valid; the caller still discards it if `fail` was called. */
  readonly tag?: Tag;
}

/** Undefined when the row has no well-formed name (or is a blank spacer row). */
function checkRow(raw: unknown, fail: Fail): RowResult | undefined {
  const cells = readCells(raw, fail);
  // Blank rows are spacers (a technician grouping machines); they keep row numbers aligned with the file.
  if (cells === undefined || cells === BLANK) return undefined;

  const name = checkName(cells.name, fail);
  const device = checkDevice(cells.device, fail);
  const address = checkAddress(cells.address, fail);
  const dataType = checkDataType(cells.dataType, address, fail);
  const order = checkOrder(cells.order, dataType, address, fail);
  const length = checkLength(cells.length, dataType, address, fail);
  const scaling = checkScaling(cells, dataType, fail);
  const unit = checkText(cells.unit, 'unit', MAX_UNIT_LENGTH, fail);
  const decimals = checkDecimals(cells.decimals, dataType, fail);
  const access = checkAccess(cells.access, address, fail);
  const deadband = checkDeadband(cells.deadband, dataType, fail);
  const description = checkText(cells.description, 'description', MAX_DESCRIPTION_LENGTH, fail);
  if (address !== undefined && dataType !== undefined && address.protocol === 'modbus') {
    checkSpan(address, dataType, length, fail);
  }

  if (name === undefined) return undefined;
  if (
    device === undefined ||
    address === undefined ||
    dataType === undefined ||
    order === undefined ||
    unit === undefined ||
    decimals === null ||
    access === undefined ||
    deadband === undefined ||
    description === undefined
  ) {
    return { name };
  }
  const tag: Mutable<Tag> = { name, address, dataType, order, unit, access, deadband, description };
  if (device !== '') tag.device = device;
  if (length !== undefined) tag.length = length;
  if (scaling !== undefined) tag.scaling = scaling;
  if (decimals !== undefined) tag.decimals = decimals;
  return { name, tag };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Returned by readCells for a row without any non-empty cell (and no unknown columns). */
const BLANK: Cells = Object.freeze({});

/**
 * Trimmed non-empty cells (BLANK when there are none); unknown keys and non-text values are errors.
 * Numbers are accepted as text, since hand-written flow JSON often has `"length": 10`.
 */
function readCells(raw: unknown, fail: Fail): Cells | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail(null, 'row is not an object of cells');
  }
  const source = raw as Readonly<Record<string, unknown>>;
  let cells: Cells | undefined;
  let problems = false;
  for (const key in source) {
    if (!Object.hasOwn(source, key)) continue;
    if (!isTagColumn(key)) {
      problems = true;
      fail(null, `unknown column "${key}" (expected ${TAG_COLUMNS.join(', ')})`);
      continue;
    }
    const value = source[key];
    let text: string;
    if (typeof value === 'string') text = value.trim();
    else if (value === undefined || value === null) text = '';
    else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
    else {
      problems = true;
      fail(key, `cell must be text, not ${typeof value}`);
      continue;
    }
    if (text !== '') (cells ??= {})[key] = text;
  }
  return cells ?? (problems ? {} : BLANK);
}

// Letters and digits in any script (e.g. `Öl-Temperatur`), plus `_`, `-` and `.`.
const SEGMENT = /^[\p{L}\p{N}_.-]+$/u;
const NOT_SEGMENT_CHAR = /[^\p{L}\p{N}_.-]/u;

// Fast path for the usual ASCII names (a segment starting with "." goes the slow way, to catch "..").
const ASCII_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9_.-]*){1,7}$/;

function checkName(value: string | undefined, fail: Fail): string | undefined {
  if (value === undefined) return fail('name', 'name is required');
  if (ASCII_NAME.test(value)) return value;
  const segments = value.split('/');
  if (segments.length < MIN_NAME_SEGMENTS) {
    return fail('name', `name "${value}" needs at least ${MIN_NAME_SEGMENTS} path segments separated by "/", e.g. plant/line1/filler/count`);
  }
  if (segments.length > MAX_NAME_SEGMENTS) {
    return fail('name', `name "${value}" has ${segments.length} path segments; at most ${MAX_NAME_SEGMENTS} are allowed`);
  }
  for (const segment of segments) {
    if (segment === '') return fail('name', `name "${value}" has an empty path segment (check for "//" or a "/" at either end)`);
    if (segment === '.' || segment === '..') return fail('name', `name "${value}" has a path segment "${segment}"`);
    if (!SEGMENT.test(segment)) {
      const bad = NOT_SEGMENT_CHAR.exec(segment)?.[0] ?? '';
      const what = /\s/.test(bad) ? 'a space' : `"${bad}"`;
      return fail('name', `name "${value}": segment "${segment}" contains ${what}; use letters, digits, _, - or .`);
    }
  }
  return value;
}

function checkAddress(value: string | undefined, fail: Fail): TagAddress | undefined {
  if (value === undefined) return fail('address', 'address is required');
  const parsed = parseAddress(value);
  return parsed.ok ? parsed.value : fail('address', parsed.error);
}

function holdsOneBit(address: ModbusAddress): boolean {
  return address.area === 'coil' || address.area === 'discrete' || address.bit !== undefined;
}

function isDataType(value: string): value is DataType {
  return (DATA_TYPES as readonly string[]).includes(value);
}

function checkDataType(value: string | undefined, address: TagAddress | undefined, fail: Fail): DataType | undefined {
  let dataType: DataType | undefined;
  if (value !== undefined) {
    const lower = value.toLowerCase();
    if (!isDataType(lower)) {
      return fail('dataType', `unknown data type "${value}" (expected one of ${DATA_TYPES.join(', ')})`);
    }
    dataType = lower;
  }
  if (address === undefined) return dataType;
  if (address.protocol === 'opcua') {
    return dataType ?? fail('dataType', 'dataType is required for OPC UA tags');
  }
  if (dataType === undefined) return defaultDataType(address);
  if (holdsOneBit(address) && dataType !== 'bool') {
    const what = address.bit === undefined ? areaNoun(address.area) : 'a register bit';
    return fail('dataType', `${what} holds one bit, so dataType must be bool (not ${dataType})`);
  }
  if (!holdsOneBit(address) && dataType === 'bool') {
    const example = formatAddress({ ...address, bit: 3 });
    return fail('dataType', `bool on ${areaNoun(address.area)} needs a bit, e.g. ${example}`);
  }
  return dataType;
}

function isByteOrder(value: string): value is ByteOrder {
  return (BYTE_ORDERS as readonly string[]).includes(value);
}

function checkOrder(
  value: string | undefined,
  dataType: DataType | undefined,
  address: TagAddress | undefined,
  fail: Fail,
): ByteOrder | undefined {
  if (value === undefined) return 'ABCD';
  const upper = value.toUpperCase();
  if (!isByteOrder(upper)) return fail('order', `unknown byte order "${value}" (expected one of ${BYTE_ORDERS.join(', ')})`);
  // Only ABCD (the default) is allowed where order means nothing, so rowOf() can drop it without loss.
  if (upper !== 'ABCD') {
    if (address?.protocol === 'opcua') return fail('order', 'byte order applies to Modbus tags only');
    if (dataType === 'bool') return fail('order', 'byte order does not apply to bool');
  }
  return upper;
}

function checkLength(
  value: string | undefined,
  dataType: DataType | undefined,
  address: TagAddress | undefined,
  fail: Fail,
): number | undefined {
  if (dataType === undefined) return undefined;
  const opcua = address?.protocol === 'opcua';
  if (dataType !== 'string') {
    return value === undefined ? undefined : fail('length', `length applies only to string tags, not ${dataType}`);
  }
  const max = opcua ? MAX_OPCUA_STRING_LENGTH : MAX_STRING_LENGTH;
  if (value === undefined) {
    // An OPC UA server sends strings with their length; a Modbus string must say how many registers to read.
    return opcua ? undefined : fail('length', `a string tag needs a length (characters, 1..${max})`);
  }
  const n = parseNumberCell(value);
  if (n === undefined || !Number.isInteger(n) || n <= 0) {
    return fail('length', `length "${value}" must be a whole number of characters, 1..${max}`);
  }
  if (n > max) {
    return fail('length', opcua ? `length ${n} is above ${max}` : `length ${n} is above ${max} characters (123 registers, the most one Modbus read returns)`);
  }
  return n;
}

const LINEAR_COLUMNS = ['gain', 'offset'] as const;
const RANGE_COLUMNS = ['rawLow', 'rawHigh', 'engLow', 'engHigh'] as const;
const SCALING_COLUMNS = [...LINEAR_COLUMNS, ...RANGE_COLUMNS] as const;

function firstSet(cells: Cells, columns: readonly TagColumn[]): TagColumn | undefined {
  for (const column of columns) if (cells[column] !== undefined) return column;
  return undefined;
}

/** The number in a cell, or undefined after reporting why not. */
function numberCell(cells: Cells, column: TagColumn, fail: Fail): number | undefined {
  const text = cells[column] ?? '';
  return parseNumberCell(text) ?? fail(column, `${column} "${text}" is not a number`);
}

/** Undefined for "no scaling" and for errors (which are reported through `fail`). No allocation unless scaled. */
function checkScaling(cells: Cells, dataType: DataType | undefined, fail: Fail): Scaling | undefined {
  const first = firstSet(cells, SCALING_COLUMNS);
  if (first === undefined) return undefined;
  if (dataType === 'bool' || dataType === 'string') return fail(first, `scaling does not apply to ${dataType} tags`);
  const firstRange = firstSet(cells, RANGE_COLUMNS);
  const linear = cells.gain !== undefined || cells.offset !== undefined;
  if (linear && firstRange !== undefined) {
    return fail(firstRange, 'use either gain/offset or rawLow/rawHigh/engLow/engHigh, not both');
  }

  if (linear) {
    const gain = cells.gain === undefined ? 1 : numberCell(cells, 'gain', fail);
    const offset = cells.offset === undefined ? 0 : numberCell(cells, 'offset', fail);
    if (gain === undefined || offset === undefined) return undefined;
    if (gain === 0) return fail('gain', 'gain must not be 0 (every value would read as the offset)');
    return gain === 1 && offset === 0 ? undefined : { gain, offset };
  }

  const [rawLow, rawHigh, engLow, engHigh] = RANGE_COLUMNS.map((c) => (cells[c] === undefined ? undefined : numberCell(cells, c, fail)));
  const missing = RANGE_COLUMNS.filter((c) => cells[c] === undefined);
  if (missing.length > 0) {
    return fail(missing[0] ?? null, `range scaling needs all of rawLow, rawHigh, engLow, engHigh; missing ${missing.join(', ')}`);
  }
  if (rawLow === undefined || rawHigh === undefined || engLow === undefined || engHigh === undefined) return undefined;
  if (rawLow === rawHigh) return fail('rawHigh', `rawHigh must differ from rawLow (both ${rawLow})`);
  if (engLow === engHigh) return fail('engHigh', `engHigh must differ from engLow (both ${engLow})`);
  const gain = (engHigh - engLow) / (rawHigh - rawLow);
  return { gain, offset: engLow - rawLow * gain, range: { rawLow, rawHigh, engLow, engHigh } };
}

const ACCESS: ReadonlyMap<string, Access> = new Map<string, Access>([
  ['read', 'read'],
  ['r', 'read'],
  ['read-write', 'read-write'],
  ['rw', 'read-write'],
]);

function checkAccess(value: string | undefined, address: TagAddress | undefined, fail: Fail): Access | undefined {
  if (value === undefined) return 'read';
  const access = ACCESS.get(value.toLowerCase());
  if (access === undefined) return fail('access', `unknown access "${value}" (expected read or read-write; r and rw also work)`);
  if (access === 'read-write' && address?.protocol === 'modbus' && (address.area === 'input' || address.area === 'discrete')) {
    return fail('access', `${areaNoun(address.area)} is read-only in Modbus, so access cannot be read-write`);
  }
  return access;
}

function checkDeadband(value: string | undefined, dataType: DataType | undefined, fail: Fail): number | undefined {
  if (value === undefined) return 0;
  const n = parseNumberCell(value);
  if (n === undefined) return fail('deadband', `deadband "${value}" is not a number`);
  if (n < 0) return fail('deadband', `deadband ${n} is negative`);
  if (n > 0 && (dataType === 'bool' || dataType === 'string')) {
    return fail('deadband', `deadband does not apply to ${dataType} tags`);
  }
  return n;
}

/** Undefined = not declared (derived at run time, precision.ts); null = an error, reported through `fail`. */
function checkDecimals(value: string | undefined, dataType: DataType | undefined, fail: Fail): number | undefined | null {
  if (value === undefined) return undefined;
  const n = parseNumberCell(value);
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > MAX_DECIMALS) {
    fail('decimals', `decimals "${value}" must be a whole number from 0 to ${MAX_DECIMALS}`);
    return null;
  }
  if (dataType === 'bool' || dataType === 'string') {
    fail('decimals', `decimals do not apply to ${dataType} tags`);
    return null;
  }
  return n;
}

/** A device name: what a read or write node's device is called in the map, e.g. `filler-plc`. */
function checkDevice(value: string | undefined, fail: Fail): string | undefined {
  if (value === undefined) return '';
  if (/^[\p{L}\p{N}_.-]{1,64}$/u.test(value)) return value;
  return fail('device', `device "${value}" must be 1-64 letters, digits, '_', '-' or '.'`);
}

function checkText(value: string | undefined, column: TagColumn, max: number, fail: Fail): string | undefined {
  if (value === undefined) return '';
  if (value.length <= max) return value; // UTF-16 units >= code points
  const length = [...value].length; // code points, so an emoji counts 1 like a person would
  return length > max ? fail(column, `${column} is ${length} characters long; at most ${max} are allowed`) : value;
}

/** A value must not run past the last register (e.g. a float32 at hr:65535). */
function checkSpan(address: ModbusAddress, dataType: DataType, length: number | undefined, fail: Fail): void {
  if (dataType === 'string' && length === undefined) return;
  const last = address.address + registerCount(dataType, length) - 1;
  if (last > MAX_REGISTER) {
    fail('address', `${dataType} at ${formatAddress(address)} needs registers up to ${last}, past the last address ${MAX_REGISTER}`);
  }
}

/**
 * Number cells: `.` or a single `,` as decimal mark (European Excel writes `0,1`), optional sign and exponent.
 * Thousands separators are refused: `1,000` would be ambiguous.
 */
export function parseNumberCell(text: string): number | undefined {
  const s = text.trim();
  if (!/^[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?$/.test(s)) return undefined;
  const n = Number(s.replace(',', '.'));
  return Number.isFinite(n) ? n : undefined;
}

// ---------------------------------------------------------------- across rows

function checkDuplicateNames(
  names: readonly { row: number; name: string }[],
  errors: TagError[],
  conflicted: Set<number>,
): void {
  const first = new Map<string, { row: number; name: string }>();
  for (const entry of names) {
    const key = entry.name.toLowerCase();
    const seen = first.get(key);
    if (seen === undefined) {
      first.set(key, entry);
      continue;
    }
    errors.push({
      row: entry.row,
      column: 'name',
      message: `duplicate name "${entry.name}": row ${seen.row} is already named "${seen.name}" (names are case-insensitive)`,
    });
    conflicted.add(seen.row);
  }
}

interface Span {
  readonly row: number;
  readonly name: string;
  readonly address: ModbusAddress;
  readonly first: number;
  readonly last: number;
}

/**
 * Two tags on the same device, unit id and area must not share a register, except bool tags on different bits
 * of one register. Sort by start, then sweep keeping the whole-register span that reaches furthest:
 * O(n log n). An empty unit id is its own group (it means "the client's default", which may or may not
 * equal an explicit one).
 */
function checkOverlaps(built: readonly { row: number; tag: Tag }[], errors: TagError[], conflicted: Set<number>): void {
  const groups = new Map<string, Span[]>();
  for (const { row, tag } of built) {
    const address = tag.address;
    if (address.protocol !== 'modbus') continue;
    const key = `${tag.device ?? ''}|${address.unitId ?? ''}:${address.area}`;
    const span: Span = {
      row,
      name: tag.name,
      address,
      first: address.address,
      last: address.address + registerCount(tag.dataType, tag.length) - 1,
    };
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [span]);
    else group.push(span);
  }

  for (const spans of groups.values()) {
    // Whole-register spans before bit spans at the same start, so a bit under a register is always caught.
    spans.sort(
      (a, b) =>
        a.first - b.first ||
        (a.address.bit === undefined ? -1 : a.address.bit) - (b.address.bit === undefined ? -1 : b.address.bit) ||
        a.row - b.row,
    );
    let cover: Span | undefined; // the whole-register span seen so far that reaches furthest
    let bitRegister = -1;
    const bitsOnRegister = new Map<number, Span>();
    for (const span of spans) {
      if (cover !== undefined && cover.last >= span.first) {
        reportOverlap(span, cover, errors, conflicted);
      } else if (span.address.bit !== undefined) {
        if (span.first !== bitRegister) {
          bitRegister = span.first;
          bitsOnRegister.clear();
        }
        const other = bitsOnRegister.get(span.address.bit);
        if (other !== undefined) reportOverlap(span, other, errors, conflicted);
        else bitsOnRegister.set(span.address.bit, span);
      }
      if (span.address.bit === undefined && (cover === undefined || span.last > cover.last)) cover = span;
    }
  }
}

function describeSpan(span: Span): string {
  const start = formatAddress(span.address);
  return span.last > span.first ? `${start}..${span.last}` : start;
}

/** The error goes on the later row and names the earlier one. */
function reportOverlap(a: Span, b: Span, errors: TagError[], conflicted: Set<number>): void {
  const [early, late] = a.row < b.row ? [a, b] : [b, a];
  errors.push({
    row: late.row,
    column: 'address',
    message: `${describeSpan(late)} overlaps row ${early.row} "${early.name}" (${describeSpan(early)})`,
  });
  conflicted.add(early.row);
}
