/**
 * The `address` cell of a tag row: parse what technicians type, format one canonical spelling.
 *
 * A cell containing `=` is an OPC UA NodeId (`ns=2;s=...`), anything else is a Modbus address
 * (`hr:100`, `3:hr:100.3`, `40001`). Pure functions, no I/O.
 */
import type { DataType, ModbusAddress, ModbusArea, OpcUaAddress, TagAddress } from './tag';

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const fail = <T>(error: string): ParseResult<T> => ({ ok: false, error });

export const MAX_REGISTER = 65535;
export const MAX_UNIT_ID = 255;
export const MAX_BIT = 15;

/** Short area names used by the canonical format. */
export const AREA_SHORT: Readonly<Record<ModbusArea, string>> = {
  holding: 'hr',
  input: 'ir',
  coil: 'co',
  discrete: 'di',
};

const AREA_ALIASES: ReadonlyMap<string, ModbusArea> = new Map<string, ModbusArea>([
  ['holding', 'holding'],
  ['hr', 'holding'],
  ['input', 'input'],
  ['ir', 'input'],
  ['coil', 'coil'],
  ['co', 'coil'],
  ['discrete', 'discrete'],
  ['di', 'discrete'],
]);

/** Leading digit of a Modicon number -> area (0xxxx coils, 1xxxx discrete, 3xxxx input, 4xxxx holding). */
const MODICON_AREAS: ReadonlyMap<string, ModbusArea> = new Map<string, ModbusArea>([
  ['0', 'coil'],
  ['1', 'discrete'],
  ['3', 'input'],
  ['4', 'holding'],
]);

/** Human name of an area, with article, for messages ("a holding register"). */
export function areaNoun(area: ModbusArea): string {
  switch (area) {
    case 'holding':
      return 'a holding register';
    case 'input':
      return 'an input register';
    case 'coil':
      return 'a coil';
    case 'discrete':
      return 'a discrete input';
  }
}

/** Parses either protocol; see the module comment for how they are told apart. */
export function parseAddress(text: string): ParseResult<TagAddress> {
  const s = text.trim();
  if (s === '') return fail('address is empty');
  return s.includes('=') ? parseNodeId(s) : parseModbusAddress(s);
}

/** Canonical spelling: `hr:100`, `hr:100.3`, `3:hr:100`, `co:5`, or the NodeId as given. */
export function formatAddress(address: TagAddress): string {
  if (address.protocol === 'opcua') return address.nodeId;
  const unit = address.unitId === undefined ? '' : `${address.unitId}:`;
  const bit = address.bit === undefined ? '' : `.${address.bit}`;
  return `${unit}${AREA_SHORT[address.area]}:${address.address}${bit}`;
}

// ---------------------------------------------------------------- Modbus

const DIGITS = /^\d+$/;

/**
 * `[unit:]area:n[.bit]` or `[unit:]modicon[.bit]`.
 * Modicon numbers are 5 digits (`40001` = hr:0 .. `49999`) or 6 digits (`400001` = hr:0 .. `465536`);
 * the leading digit picks the area (4 holding, 3 input, 1 discrete, 0 coil).
 */
export function parseModbusAddress(text: string): ParseResult<ModbusAddress> {
  const s = text.trim();
  const fast = FAST_MODBUS.exec(s);
  if (fast !== null) {
    const area = AREA_ALIASES.get(fast[2].toLowerCase());
    const address = Number(fast[3]);
    const unitId = fast[1] === undefined ? undefined : Number(fast[1]);
    const bit = fast[4] === undefined ? undefined : Number(fast[4]);
    const bitOk = bit === undefined || (bit <= MAX_BIT && (area === 'holding' || area === 'input'));
    if (area !== undefined && address <= MAX_REGISTER && (unitId === undefined || unitId <= MAX_UNIT_ID) && bitOk) {
      return ok(modbusAddress(area, address, bit, unitId));
    }
  }
  return parseModbusSlowly(s);
}

/** The common spellings in one regex: 10,000 rows must validate in a few milliseconds. */
const FAST_MODBUS = /^(?:(\d{1,3}):)?([a-z]{2,8}):(\d{1,5})(?:\.(\d{1,2}))?$/i;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function modbusAddress(area: ModbusArea, address: number, bit: number | undefined, unitId: number | undefined): ModbusAddress {
  const result: Mutable<ModbusAddress> = { protocol: 'modbus', area, address };
  if (bit !== undefined) result.bit = bit;
  if (unitId !== undefined) result.unitId = unitId;
  return result;
}

/** Every accepted form, with a precise message for what is wrong. */
function parseModbusSlowly(s: string): ParseResult<ModbusAddress> {
  const parts = s.split(':').map((p) => p.trim());
  let unitId: number | undefined;
  let areaText: string | undefined;
  let numberText: string;
  if (parts.length === 3) {
    const [unitText, area, number] = parts as [string, string, string];
    areaText = area;
    numberText = number;
    const unit = parseUnitId(unitText);
    if (!unit.ok) return unit;
    unitId = unit.value;
  } else if (parts.length === 2) {
    const [first, second] = parts as [string, string];
    if (DIGITS.test(first)) {
      // `3:40001`: unit id + Modicon number.
      const unit = parseUnitId(first);
      if (!unit.ok) return unit;
      unitId = unit.value;
      numberText = second;
    } else {
      areaText = first;
      numberText = second;
    }
  } else if (parts.length === 1) {
    numberText = s;
  } else {
    return fail(`malformed Modbus address '${s}': expected area:number like hr:100`);
  }

  const dot = numberText.indexOf('.');
  const mainText = dot < 0 ? numberText : numberText.slice(0, dot);
  const bitText = dot < 0 ? undefined : numberText.slice(dot + 1);

  let area: ModbusArea;
  let address: number;
  if (areaText !== undefined) {
    const found = AREA_ALIASES.get(areaText.toLowerCase());
    if (found === undefined) {
      return fail(`unknown Modbus area '${areaText}' (expected hr/holding, ir/input, co/coil or di/discrete)`);
    }
    area = found;
    if (!DIGITS.test(mainText)) return fail(`malformed Modbus address '${s}': '${mainText}' is not a register number`);
    address = Number(mainText);
    if (address > MAX_REGISTER) return fail(`address ${mainText} is above ${MAX_REGISTER}`);
  } else {
    const modicon = parseModicon(mainText);
    if (!modicon.ok) return modicon;
    ({ area, address } = modicon.value);
  }

  let bit: number | undefined;
  if (bitText !== undefined) {
    if (!DIGITS.test(bitText)) return fail(`malformed Modbus address '${s}': bit index '${bitText}' is not a number 0..15`);
    bit = Number(bitText);
    if (bit > MAX_BIT) return fail(`bit index ${bitText} is above ${MAX_BIT}`);
    if (area !== 'holding' && area !== 'input') {
      return fail(`a bit index applies only to holding and input registers, not to ${areaNoun(area)} ('${s}')`);
    }
  }

  return ok(modbusAddress(area, address, bit, unitId));
}

function parseUnitId(text: string): ParseResult<number> {
  if (!DIGITS.test(text)) return fail(`unit id '${text}' is not a number 0..${MAX_UNIT_ID}`);
  const unit = Number(text);
  if (unit > MAX_UNIT_ID) return fail(`unit id ${text} is above ${MAX_UNIT_ID}`);
  return ok(unit);
}

function parseModicon(text: string): ParseResult<{ area: ModbusArea; address: number }> {
  if (!DIGITS.test(text) || (text.length !== 5 && text.length !== 6)) {
    return fail(`Modbus address '${text}' needs an area, e.g. hr:${DIGITS.test(text) ? text : '100'} (or a Modicon number like 40001)`);
  }
  const area = MODICON_AREAS.get(text.charAt(0));
  if (area === undefined) {
    return fail(`'${text}' is not a Modicon address: the first digit must be 0 (coil), 1 (discrete), 3 (input) or 4 (holding)`);
  }
  // Modicon numbers are 1-based: 40001 is the first holding register, protocol address 0.
  const register = Number(text.slice(1));
  if (register === 0) return fail(`Modicon number ${text} is invalid: numbering starts at 1 (${text.charAt(0)}${'0'.repeat(text.length - 2)}1 = address 0)`);
  if (register > MAX_REGISTER + 1) return fail(`Modicon number ${text} is above ${text.charAt(0)}${MAX_REGISTER + 1}`);
  return ok({ area, address: register - 1 });
}

/** Registers (or coils/discrete inputs) a value occupies: bool 1, 16-bit 1, 32-bit 2, 64-bit 4, string ceil(length/2). */
export function registerCount(dataType: DataType, length?: number): number {
  if (dataType === 'string') return Math.max(1, Math.ceil((length ?? 0) / 2));
  return REGISTERS[dataType];
}

const REGISTERS: Readonly<Record<Exclude<DataType, 'string'>, number>> = {
  bool: 1,
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  int64: 4,
  uint64: 4,
  float64: 4,
};

// ---------------------------------------------------------------- OPC UA

export type NodeIdKind = 'i' | 's' | 'g' | 'b';

/** A NodeId split into its parts; `namespace` is the exact prefix (`ns=2;`, `nsu=urn:x;` or ''). */
export interface NodeIdParts {
  readonly namespace: string;
  readonly kind: NodeIdKind;
  readonly identifier: string;
}

const MAX_NAMESPACE = 65535;
const MAX_NUMERIC_ID = 4294967295;
/** OPC UA Part 3 caps string and ByteString identifiers at 4096 (characters / bytes). */
const MAX_ID_LENGTH = 4096;
const GUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The NodeId string forms of OPC UA Part 6 §5.3.1.10: `[ns=<n>;|nsu=<uri>;](i|s|g|b)=<id>`.
 * The prefixes are case-sensitive as in the specification. The returned nodeId is the trimmed input
 * (not re-spelled), so what the technician typed is what the server is asked for.
 */
export function parseNodeId(text: string): ParseResult<OpcUaAddress> {
  const parts = parseNodeIdParts(text);
  return parts.ok ? ok({ protocol: 'opcua', nodeId: text.trim() }) : parts;
}

export function parseNodeIdParts(text: string): ParseResult<NodeIdParts> {
  const s = text.trim();
  const bad = (why: string): ParseResult<NodeIdParts> => fail(`malformed NodeId '${s}': ${why}`);
  if (/^(?:nsu?|[isgb])=/i.test(s) && !/^(?:nsu?|[isgb])=/.test(s)) {
    return bad('prefixes are lower case (ns=, nsu=, i=, s=, g=, b=)');
  }
  let namespace = '';
  let rest = s;
  if (s.startsWith('ns=') || s.startsWith('nsu=')) {
    // `;` cannot occur in the namespace part (nsu URIs percent-encode it), so the first one ends it.
    const semi = s.indexOf(';');
    if (semi < 0) return bad('expected ns=<namespace>;<i|s|g|b>=<identifier>');
    const isUri = s.startsWith('nsu=');
    const ns = s.slice(isUri ? 4 : 3, semi);
    if (isUri) {
      if (ns.trim() === '') return bad('namespace URI is empty');
    } else {
      if (!DIGITS.test(ns)) return bad('namespace must be a number');
      if (Number(ns) > MAX_NAMESPACE) return bad(`namespace ${ns} is above ${MAX_NAMESPACE}`);
    }
    namespace = s.slice(0, semi + 1);
    rest = s.slice(semi + 1);
  }
  const kind = rest.charAt(0);
  if (rest.charAt(1) !== '=' || !isNodeIdKind(kind)) {
    return bad('identifier must start with i=, s=, g= or b=');
  }
  const identifier = rest.slice(2);
  switch (kind) {
    case 'i':
      if (!DIGITS.test(identifier) || Number(identifier) > MAX_NUMERIC_ID) {
        return bad(`numeric identifier must be an integer 0..${MAX_NUMERIC_ID}`);
      }
      break;
    case 's':
      if (identifier === '') return bad('string identifier is empty');
      if (identifier.length > MAX_ID_LENGTH) return bad(`string identifier is longer than ${MAX_ID_LENGTH} characters`);
      break;
    case 'g':
      if (!GUID.test(identifier)) return bad('GUID must look like 72962b91-fa75-4ae6-8d28-b404dc7daf63');
      break;
    case 'b':
      if (identifier === '' || !BASE64.test(identifier)) return bad('opaque identifier must be non-empty base64');
      if ((identifier.length / 4) * 3 > MAX_ID_LENGTH + 2) return bad(`opaque identifier is longer than ${MAX_ID_LENGTH} bytes`);
      break;
  }
  return ok({ namespace, kind, identifier });
}

function isNodeIdKind(kind: string): kind is NodeIdKind {
  return kind === 'i' || kind === 's' || kind === 'g' || kind === 'b';
}
