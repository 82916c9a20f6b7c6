/**
 * Machine templates (like Ignition UDTs): describe a machine's tags once, place it many times.
 *
 * Expansion rules, applied per instance and template row, in this order:
 * 1. Merge: the instance's override for the tag (matched by relative name, case-insensitive) replaces
 *    cells; an empty override cell resets that cell to its default. `name` cannot be overridden.
 * 2. Name: `<namePrefix>/<relative name>`.
 * 3. Address (the template's or the override's; both are relative):
 *    - Modbus: `baseAddress` is added to the register/coil number in every area (bits keep their
 *      index); `unitId` is set when the row has none (a row with a different unit id is an error).
 *      The result is written in canonical form (`3:hr:1100.2`).
 *    - OPC UA: with `nodeIdPrefix`, the prefix is put in front of the string identifier, verbatim:
 *      `ns=2;s=.Count` + `Line1.Filler1` -> `ns=2;s=Line1.Filler1.Count`. The template carries the
 *      separator (here the leading `.`), so any server's naming style works (`/`, `.`, `"DB".x`).
 *      Only `s=` NodeIds can be prefixed; a prefix with an `i=`, `g=` or `b=` NodeId is an error,
 *      because every instance would silently read the same node. Without a prefix NodeIds pass as-is.
 * The rows returned still go through validateRows; `sources[i]` says where `rows[i]` came from, so its
 * errors can be shown as "instance 2, tag count".
 */
import { formatAddress, parseAddress, parseNodeIdParts, MAX_REGISTER, MAX_UNIT_ID } from './address';
import { TAG_COLUMNS } from './tag';
import type { TagColumn, TagRow } from './tag';
import { isTagColumn } from './validate';

export interface TagTemplate {
  readonly name: string;
  /** Names relative to the instance (`count`, `motor/speed`); Modbus addresses relative to 0. */
  readonly rows: readonly TagRow[];
}

export interface TemplateInstance {
  readonly template: string;
  /** ISA-95 path of the machine, e.g. `plant/packaging/line1/filler1`. */
  readonly namePrefix: string;
  /** Added to every Modbus register/coil number (0..65535). */
  readonly baseAddress?: number;
  /** Modbus unit id for rows without one (0..255). */
  readonly unitId?: number;
  /** Put in front of `s=` identifiers, see the module comment. */
  readonly nodeIdPrefix?: string;
  /** Cells to replace, by relative tag name. */
  readonly overrides?: Readonly<Record<string, TagRow>>;
}

export interface TemplateError {
  /** 1-based position in `instances`; 0 = a problem of the template itself. */
  readonly instance: number;
  readonly template: string;
  /** Relative tag name, or null for the instance/template as a whole. */
  readonly tag: string | null;
  readonly column: TagColumn | null;
  readonly message: string;
}

export interface TemplateSource {
  /** 1-based position in `instances`. */
  readonly instance: number;
  readonly template: string;
  readonly tag: string;
}

export interface ExpandResult {
  readonly rows: TagRow[];
  /** Parallel to `rows`. */
  readonly sources: TemplateSource[];
  readonly errors: TemplateError[];
}

/** `instance 2 (plant/line1/filler2), template "filler", tag "count", column "address": ...` */
export function formatTemplateError(e: TemplateError): string {
  const where = [e.instance > 0 ? `instance ${e.instance}` : null, `template "${e.template}"`];
  if (e.tag !== null) where.push(`tag "${e.tag}"`);
  if (e.column !== null) where.push(`column "${e.column}"`);
  return `${where.filter((w) => w !== null).join(', ')}: ${e.message}`;
}

export function expandTemplates(templates: readonly TagTemplate[], instances: readonly TemplateInstance[]): ExpandResult {
  const errors: TemplateError[] = [];
  const byName = indexTemplates(templates, errors);
  const rows: TagRow[] = [];
  const sources: TemplateSource[] = [];
  instances.forEach((instance, index) => {
    const number = index + 1;
    const template = byName.get(instance.template.trim().toLowerCase());
    if (template === undefined) {
      const known = [...byName.values()].map((t) => t.name).join(', ');
      errors.push({
        instance: number,
        template: instance.template,
        tag: null,
        column: null,
        message: `unknown template "${instance.template}" (known: ${known === '' ? 'none' : known})`,
      });
      return;
    }
    if (template.broken) return; // already reported once, at instance 0
    for (const expanded of expandInstance(template, instance, number, errors)) {
      rows.push(expanded.row);
      sources.push({ instance: number, template: template.name, tag: expanded.tag });
    }
  });
  return { rows, sources, errors: errors.sort((a, b) => a.instance - b.instance) };
}

interface IndexedTemplate {
  readonly name: string;
  /** Rows by lower-case relative name. */
  readonly rows: ReadonlyMap<string, { readonly name: string; readonly row: TagRow }>;
  readonly broken: boolean;
}

/** Checks each template once (not once per instance): unique names, named rows, unique tag names. */
function indexTemplates(templates: readonly TagTemplate[], errors: TemplateError[]): Map<string, IndexedTemplate> {
  const byName = new Map<string, IndexedTemplate>();
  for (const template of templates) {
    const fail = (tag: string | null, message: string): void => {
      errors.push({ instance: 0, template: template.name, tag, column: tag === null ? null : 'name', message });
    };
    const key = template.name.trim().toLowerCase();
    if (key === '') {
      fail(null, 'a template needs a name');
      continue;
    }
    if (byName.has(key)) {
      fail(null, `template name "${template.name}" is used twice (names are case-insensitive)`);
      continue;
    }
    const before = errors.length;
    const rows = new Map<string, { name: string; row: TagRow }>();
    template.rows.forEach((row, i) => {
      const name = relativeName(row.name ?? '');
      if (name === '') fail(null, `row ${i + 1} has no name`);
      else if (rows.has(name.toLowerCase())) fail(name, `tag "${name}" is defined twice in the template`);
      else rows.set(name.toLowerCase(), { name, row });
    });
    byName.set(key, { name: template.name.trim(), rows, broken: errors.length !== before });
  }
  return byName;
}

function relativeName(name: string): string {
  return name.trim().replace(/^\/+/, '');
}

function expandInstance(
  template: IndexedTemplate,
  instance: TemplateInstance,
  number: number,
  errors: TemplateError[],
): { row: TagRow; tag: string }[] {
  const fail = (tag: string | null, column: TagColumn | null, message: string): void => {
    errors.push({ instance: number, template: template.name, tag, column, message });
  };
  const before = errors.length;

  const prefix = instance.namePrefix.trim().replace(/\/+$/, '');
  if (prefix === '') fail(null, null, 'namePrefix is required (the machine path, e.g. plant/packaging/line1/filler1)');
  const base = instance.baseAddress ?? 0;
  if (!Number.isInteger(base) || base < 0 || base > MAX_REGISTER) {
    fail(null, null, `baseAddress ${base} must be a whole number 0..${MAX_REGISTER}`);
  }
  const unitId = instance.unitId;
  if (unitId !== undefined && (!Number.isInteger(unitId) || unitId < 0 || unitId > MAX_UNIT_ID)) {
    fail(null, null, `unitId ${unitId} must be a whole number 0..${MAX_UNIT_ID}`);
  }
  const nodeIdPrefix = instance.nodeIdPrefix ?? '';

  const overrides = new Map<string, TagRow>();
  for (const [name, override] of Object.entries(instance.overrides ?? {})) {
    const key = relativeName(name).toLowerCase();
    if (!template.rows.has(key)) {
      fail(name, null, `override for "${name}", but template "${template.name}" has no such tag`);
      continue;
    }
    const unknown = Object.keys(override).filter((k) => !isTagColumn(k));
    if (unknown.length > 0) fail(name, null, `override has unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}`);
    if (override.name !== undefined) fail(name, 'name', 'an override cannot rename a tag');
    overrides.set(key, override);
  }
  if (errors.length !== before) return [];

  const out: { row: TagRow; tag: string }[] = [];
  for (const [key, { name, row }] of template.rows) {
    const merged: TagRow = { ...row, ...overrides.get(key) };
    const result: TagRow = {};
    for (const column of TAG_COLUMNS) {
      const value = merged[column]?.trim() ?? '';
      if (value !== '') result[column] = value;
    }
    result.name = `${prefix}/${name}`;
    if (result.address !== undefined) {
      const address = placeAddress(result.address, base, unitId, nodeIdPrefix);
      if (!address.ok) {
        fail(name, 'address', address.error);
        continue;
      }
      result.address = address.value;
    }
    out.push({ row: result, tag: name });
  }
  return out;
}

type Placed = { ok: true; value: string } | { ok: false; error: string };

/** Applies the instance's base address, unit id or NodeId prefix to one relative address cell. */
function placeAddress(text: string, base: number, unitId: number | undefined, nodeIdPrefix: string): Placed {
  const parsed = parseAddress(text);
  if (!parsed.ok) return parsed;
  const address = parsed.value;
  if (address.protocol === 'opcua') {
    if (nodeIdPrefix === '') return { ok: true, value: address.nodeId };
    const parts = parseNodeIdParts(address.nodeId);
    if (!parts.ok) return parts;
    if (parts.value.kind !== 's') {
      return { ok: false, error: `nodeIdPrefix applies to string NodeIds (s=) only; '${address.nodeId}' cannot be prefixed` };
    }
    const nodeId = `${parts.value.namespace}s=${nodeIdPrefix}${parts.value.identifier}`;
    const check = parseNodeIdParts(nodeId);
    return check.ok ? { ok: true, value: nodeId } : check;
  }
  const placed = address.address + base;
  if (placed > MAX_REGISTER) {
    return { ok: false, error: `${formatAddress(address)} + baseAddress ${base} = ${placed}, above ${MAX_REGISTER}` };
  }
  if (unitId !== undefined && address.unitId !== undefined && address.unitId !== unitId) {
    return { ok: false, error: `${formatAddress(address)} has unit id ${address.unitId}, but the instance says unitId ${unitId}` };
  }
  const unit = address.unitId ?? unitId;
  return {
    ok: true,
    value: formatAddress({ ...address, address: placed, ...(unit === undefined ? {} : { unitId: unit }) }),
  };
}
