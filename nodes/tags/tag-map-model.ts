/**
 * A tag map as the fh-tag-map node stores it (own rows, machine templates, their instances) -> the
 * tags the protocol nodes use, with every error traced back to where the technician can fix it: a row
 * of the map, or an instance/template/tag. Pure; shared by the runtime node, the admin endpoints and
 * the editor bundle, so all three judge a map the same way.
 */
import { TAG_COLUMNS } from './tag';
import type { Tag, TagColumn, TagRow } from './tag';
import { expandTemplates } from './template';
import type { TagTemplate, TemplateInstance, TemplateSource } from './template';
import { DEFAULT_MAX_ROWS, formatTagError, isTagColumn, validateRows } from './validate';
import type { ValidateOptions } from './validate';

export interface TagMapConfig {
  readonly rows: readonly TagRow[];
  readonly templates: readonly TagTemplate[];
  readonly instances: readonly TemplateInstance[];
}

export interface TagMapError {
  /** 1-based row of the map's own `rows`; 0 when the error is elsewhere (template, instance, whole map). */
  readonly row: number;
  readonly column: TagColumn | null;
  /** 1-based instance the error comes from; 0 = none. */
  readonly instance: number;
  readonly template: string | null;
  /** Relative tag name inside the template. */
  readonly tag: string | null;
  readonly message: string;
  /** The error as one line that says where: `row 3, column "address": ...`. */
  readonly text: string;
}

export interface TagMapModel {
  /** Tags of every row without an error; a map with errors must not be used (see validateRows). */
  readonly tags: Tag[];
  readonly errors: TagMapError[];
  /** How many tags the templates made (before validation). */
  readonly templateRows: number;
}

/** The stored properties as they come from a flow file or a request body: anything may be wrong. */
export interface TagMapSource {
  readonly rows?: unknown;
  readonly templates?: unknown;
  readonly instances?: unknown;
}

export interface ReadResult {
  /** Normalised (see cleanRow); parts with shape errors are left out. */
  readonly config: TagMapConfig;
  readonly errors: TagMapError[];
  /** The number each kept instance is known by (its position before broken ones were left out). */
  readonly instanceNumbers: number[];
}

export interface BuildOptions extends ValidateOptions {
  /**
   * The number to show for each instance of the config (default: its 1-based position). Lets a caller
   * that left out broken instances keep the numbers the technician sees.
   */
  readonly instanceNumbers?: readonly number[];
}

// ---------------------------------------------------------------- cleaning

/**
 * The row as stored: known columns first in TAG_COLUMNS order, text trimmed, empty cells left out,
 * numbers as text. Anything it cannot make sense of (unknown keys, objects as cells, a row that is not
 * an object) is kept as is, so validateRows reports it at its row and column instead of it vanishing.
 * A fixed key order makes a one-cell edit a one-line diff in a pretty-printed flow file.
 */
export function cleanRow(raw: unknown): TagRow {
  if (!isPlainObject(raw)) return raw as TagRow;
  const row: Record<string, unknown> = {};
  for (const column of TAG_COLUMNS) {
    const value = raw[column];
    if (typeof value === 'string') {
      if (value.trim() !== '') row[column] = value.trim();
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      row[column] = String(value);
    } else if (value !== undefined && value !== null) {
      row[column] = value;
    }
  }
  for (const key of Object.keys(raw)) if (!isTagColumn(key)) row[key] = raw[key];
  return row;
}

export function cleanRows(rows: readonly unknown[]): TagRow[] {
  return rows.map(cleanRow);
}

// ---------------------------------------------------------------- reading the stored shape

const TEMPLATE_KEYS = new Set(['name', 'rows']);
const INSTANCE_KEYS = new Set(['template', 'namePrefix', 'baseAddress', 'unitId', 'nodeIdPrefix', 'overrides']);

/**
 * Checks the shape of what a node stores (lists, objects, text and numbers where expected) and
 * normalises it. Whether the content makes sense is buildTagMap's job.
 */
export function readTagMapConfig(source: TagMapSource, numbers: readonly number[] = []): ReadResult {
  const errors: TagMapError[] = [];
  const push = (where: Where, message: string): void => {
    errors.push(makeError(where, message));
  };
  const rows = listOf(source.rows, 'rows', push).map(cleanRow);
  const templates: TagTemplate[] = [];
  listOf(source.templates, 'templates', push).forEach((raw, i) => {
    const template = readTemplate(raw, i + 1, push);
    if (template !== undefined) templates.push(template);
  });
  const instances: TemplateInstance[] = [];
  const instanceNumbers: number[] = [];
  listOf(source.instances, 'instances', push).forEach((raw, i) => {
    const number = numbers[i] ?? i + 1;
    const instance = readInstance(raw, number, push);
    if (instance === undefined) return;
    instances.push(instance);
    instanceNumbers.push(number);
  });
  return { config: { rows, templates, instances }, errors, instanceNumbers };
}

type Push = (where: Where, message: string) => void;

function listOf(value: unknown, what: string, push: Push): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value as unknown[];
  push({}, `${what} must be a list, not ${describe(value)}`);
  return [];
}

function readTemplate(raw: unknown, number: number, push: Push): TagTemplate | undefined {
  const where = (name: string | null): Where => ({ template: name ?? `#${number}` });
  if (!isPlainObject(raw)) {
    push(where(null), `template ${number} must be an object with a name and rows, not ${describe(raw)}`);
    return undefined;
  }
  const name = typeof raw.name === 'string' ? raw.name : null;
  let ok = true;
  const fail = (message: string, tag: string | null = null, column: TagColumn | null = null): void => {
    push({ ...where(name), tag, column }, message);
    ok = false;
  };
  for (const key of Object.keys(raw)) if (!TEMPLATE_KEYS.has(key)) fail(`unknown property "${key}" (expected name, rows)`);
  if (name === null) fail(`name must be text, not ${describe(raw.name)}`);
  if (!Array.isArray(raw.rows)) {
    fail(`rows must be a list, not ${describe(raw.rows)}`);
    return undefined;
  }
  const rows = (raw.rows as unknown[]).map((row, i) => {
    const tag = isPlainObject(row) && typeof row.name === 'string' ? row.name : `row ${i + 1}`;
    if (!isPlainObject(row)) {
      fail(`row ${i + 1} must be an object of cells, not ${describe(row)}`);
      return {};
    }
    checkCells(row, (column, message) => fail(message, tag, column));
    return cleanRow(row);
  });
  return ok && name !== null ? { name, rows } : undefined;
}

function readInstance(raw: unknown, number: number, push: Push): TemplateInstance | undefined {
  if (!isPlainObject(raw)) {
    push({ instance: number }, `must be an object (template, namePrefix, ...), not ${describe(raw)}`);
    return undefined;
  }
  const template = typeof raw.template === 'string' ? raw.template : null;
  const namePrefix = typeof raw.namePrefix === 'string' ? raw.namePrefix : '';
  let ok = true;
  const fail = (message: string, tag: string | null = null, column: TagColumn | null = null): void => {
    push({ instance: number, prefix: namePrefix, template, tag, column }, message);
    ok = false;
  };
  for (const key of Object.keys(raw)) {
    if (!INSTANCE_KEYS.has(key)) fail(`unknown property "${key}" (expected ${[...INSTANCE_KEYS].join(', ')})`);
  }
  if (template === null) fail(`template must be a template name, not ${describe(raw.template)}`);
  if (raw.namePrefix !== undefined && typeof raw.namePrefix !== 'string') fail(`namePrefix must be text, not ${describe(raw.namePrefix)}`);
  if (raw.nodeIdPrefix !== undefined && typeof raw.nodeIdPrefix !== 'string') fail(`nodeIdPrefix must be text, not ${describe(raw.nodeIdPrefix)}`);
  const baseAddress = wholeNumber(raw.baseAddress, 'baseAddress', fail);
  const unitId = wholeNumber(raw.unitId, 'unitId', fail);
  let overrides: Record<string, TagRow> | undefined;
  if (raw.overrides !== undefined && raw.overrides !== null) {
    if (!isPlainObject(raw.overrides)) {
      fail(`overrides must be an object of tag name -> cells, not ${describe(raw.overrides)}`);
    } else {
      overrides = {};
      for (const [tag, cells] of Object.entries(raw.overrides)) {
        if (!isPlainObject(cells)) {
          fail(`override must be an object of cells, not ${describe(cells)}`, tag);
          continue;
        }
        checkCells(cells, (column, message) => fail(message, tag, column));
        overrides[tag] = overrideCells(cells);
      }
    }
  }
  if (!ok || template === null) return undefined;
  const instance: { -readonly [K in keyof TemplateInstance]: TemplateInstance[K] } = { template, namePrefix };
  if (baseAddress !== undefined) instance.baseAddress = baseAddress;
  if (unitId !== undefined) instance.unitId = unitId;
  if (typeof raw.nodeIdPrefix === 'string' && raw.nodeIdPrefix !== '') instance.nodeIdPrefix = raw.nodeIdPrefix;
  if (overrides !== undefined && Object.keys(overrides).length > 0) instance.overrides = overrides;
  return instance;
}

/** Override cells keep empty strings: in an override, an empty cell resets the template's value. */
function overrideCells(cells: Readonly<Record<string, unknown>>): TagRow {
  const row: Record<string, string> = {};
  for (const [key, value] of Object.entries(cells)) {
    row[key] = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  }
  return row;
}

/** Template rows and overrides are merged cell by cell, so each cell must be text (or a number). */
function checkCells(cells: Readonly<Record<string, unknown>>, fail: (column: TagColumn | null, message: string) => void): void {
  for (const [key, value] of Object.entries(cells)) {
    if (!isTagColumn(key)) fail(null, `unknown column "${key}" (expected ${TAG_COLUMNS.join(', ')})`);
    else if (value !== undefined && value !== null && typeof value !== 'string' && !(typeof value === 'number' && Number.isFinite(value))) {
      fail(key, `cell must be text, not ${describe(value)}`);
    }
  }
}

/** Undefined for absent/empty; a whole number from a number or a digit string; else an error. */
function wholeNumber(value: unknown, what: string, fail: (message: string) => void): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (Number.isInteger(n) && n >= 0) return n;
  fail(`${what} must be a whole number >= 0, not ${describe(value)}`);
  return undefined;
}

// ---------------------------------------------------------------- building

/** rows ++ expanded templates, validated as one map (names unique and addresses disjoint across both). */
export function buildTagMap(config: TagMapConfig, options: BuildOptions = {}): TagMapModel {
  const expanded = expandTemplates(config.templates, config.instances);
  const prefixes = config.instances.map((i) => i.namePrefix);
  // expandTemplates numbers instances by position (0 = the template itself); show the caller's numbers.
  const number = (position: number): number => (position === 0 ? 0 : (options.instanceNumbers?.[position - 1] ?? position));
  const errors: TagMapError[] = expanded.errors.map((e) =>
    makeError({ instance: number(e.instance), prefix: prefixes[e.instance - 1], template: e.template, tag: e.tag, column: e.column }, e.message),
  );
  const own = config.rows.length;
  const total = own + expanded.rows.length;
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  if (total > maxRows) {
    const message = `too many tags: ${total} (${own} rows + ${expanded.rows.length} from templates; the limit is ${maxRows}); split the tag map`;
    return { tags: [], errors: [...errors, makeError({}, message)], templateRows: expanded.rows.length };
  }

  const result = validateRows([...config.rows, ...expanded.rows], { maxRows });
  const sourceOf = (row: number): TemplateSource | undefined => expanded.sources[row - own - 1];
  const where = (row: number): string => {
    const source = sourceOf(row);
    return source === undefined ? `row ${row}` : `${instanceText(number(source.instance), prefixes[source.instance - 1])}, tag "${source.tag}"`;
  };
  const ownErrors: TagMapError[] = [];
  const made: TagMapError[] = [];
  for (const e of result.errors) {
    // Cross-row messages name the other row by number; a template-made row has no number the technician sees.
    const message = expanded.rows.length === 0 ? e.message : e.message.replace(/\brow (\d+)\b/g, (text, n: string) => (Number(n) > own ? where(Number(n)) : text));
    const source = e.row > own ? sourceOf(e.row) : undefined;
    if (source === undefined) {
      ownErrors.push(makeError({ row: e.row, column: e.column }, message));
    } else {
      made.push(
        makeError(
          { instance: number(source.instance), prefix: prefixes[source.instance - 1], template: source.template, tag: source.tag, column: e.column },
          message,
        ),
      );
    }
  }
  const byInstance = (a: TagMapError, b: TagMapError): number => a.instance - b.instance;
  return { tags: result.tags, errors: [...ownErrors, ...[...errors, ...made].sort(byInstance)], templateRows: expanded.rows.length };
}

/**
 * readTagMapConfig + buildTagMap: the one call the runtime needs. Parts with shape errors are left out
 * of the build (the other errors are still found), and the result then has no tags.
 */
export function compileTagMap(source: TagMapSource, options: BuildOptions = {}): TagMapModel & { readonly config: TagMapConfig } {
  const read = readTagMapConfig(source, options.instanceNumbers);
  const model = buildTagMap(read.config, { ...options, instanceNumbers: read.instanceNumbers });
  return { ...model, tags: read.errors.length > 0 ? [] : model.tags, errors: [...read.errors, ...model.errors], config: read.config };
}

// ---------------------------------------------------------------- errors

interface Where {
  readonly row?: number;
  readonly column?: TagColumn | null;
  readonly instance?: number;
  /** The instance's namePrefix, shown to tell instances apart. */
  readonly prefix?: string | undefined;
  readonly template?: string | null;
  readonly tag?: string | null;
}

function makeError(where: Where, message: string): TagMapError {
  const e = {
    row: where.row ?? 0,
    column: where.column ?? null,
    instance: where.instance ?? 0,
    template: where.template ?? null,
    tag: where.tag ?? null,
    message,
  };
  return { ...e, text: formatWhere(e, where.prefix) };
}

function formatWhere(e: Omit<TagMapError, 'text'>, prefix: string | undefined): string {
  if (e.instance === 0 && e.template === null) return formatTagError(e);
  const parts: string[] = [];
  if (e.instance > 0) parts.push(instanceText(e.instance, prefix));
  if (e.template !== null) parts.push(`template "${e.template}"`);
  if (e.tag !== null) parts.push(`tag "${e.tag}"`);
  if (e.column !== null) parts.push(`column "${e.column}"`);
  return `${parts.join(', ')}: ${e.message}`;
}

function instanceText(instance: number, prefix: string | undefined): string {
  return prefix ? `instance ${instance} (${prefix})` : `instance ${instance}`;
}

function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `"${value.length > 20 ? `${value.slice(0, 20)}...` : value}"`;
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} ${value}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}
