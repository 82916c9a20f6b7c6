/**
 * The Modbus register map of a simulated machine, in the hub's own tag model.
 *
 * One table (REGISTER_POINTS) is the single source: the tag rows a technician would type (TagRow,
 * strings), the typed Tag objects and the register image are all generated from it, so they cannot
 * drift. Values are encoded with the hub's codec (encodeValue / compileReader), so the simulator
 * puts every byte exactly where the hub's reader expects it; it never re-implements an encoding.
 *
 * The map is contiguous (hr:0..hr:20, co:0..co:3), so a client that bridges gaps reads it in one
 * request per area; any address outside it answers exception 2, like a real PLC.
 */
import { compileReader, encodeValue } from '../nodes/modbus/codec';
import type { EngValue } from '../nodes/modbus/codec';
import { AREA_SHORT, registerCount } from '../nodes/tags/address';
import type { Access, ByteOrder, DataType, ModbusArea, Tag, TagRow } from '../nodes/tags/tag';
import type { Machine, MachineSnapshot, MachineState } from './machine';

/** Value of the `state` register. */
export const STATE_CODES: Readonly<Record<MachineState, number>> = {
  idle: 0,
  running: 1,
  down: 2,
  planned: 3,
  changeover: 4,
};

/** `state` register value -> state (index = code). */
export const STATE_BY_CODE: readonly MachineState[] = ['idle', 'running', 'down', 'planned', 'changeover'];

export const PRODUCT_NAME_LENGTH = 16;

/** One point of the map, with how to read it from the model and, if writable, how a write acts on it. */
export interface PointSpec {
  /** Relative tag name (the machine's path is put in front). */
  readonly name: string;
  readonly area: ModbusArea;
  /** Zero-based protocol address. */
  readonly address: number;
  readonly dataType: DataType;
  readonly order?: ByteOrder;
  readonly length?: number;
  /** engineering = raw * gain. */
  readonly gain?: number;
  readonly unit?: string;
  readonly access: Access;
  readonly description: string;
  readonly read: (s: MachineSnapshot) => EngValue;
  /** Acts on the machine; throws RangeError for a value the machine refuses (Modbus exception 3). */
  readonly write?: (m: Machine, value: EngValue) => void;
}

/** Printable ASCII of at most PRODUCT_NAME_LENGTH characters (the register cannot hold more). */
function registerText(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, PRODUCT_NAME_LENGTH);
}

/** The number a write carries; anything else is a value the machine refuses. */
export function numberOf(value: EngValue, what: string): number {
  if (typeof value !== 'number') throw new RangeError(`${what} must be a number`);
  return value;
}

export const REGISTER_POINTS: readonly PointSpec[] = [
  {
    name: 'state',
    area: 'holding',
    address: 0,
    dataType: 'uint16',
    access: 'read',
    description: '0 idle (small stop), 1 running, 2 down, 3 planned stop, 4 changeover',
    read: (s) => STATE_CODES[s.state],
  },
  {
    name: 'faultCode',
    area: 'holding',
    address: 1,
    dataType: 'uint16',
    access: 'read',
    description: 'PLC fault code while down (101 jam, 102 motor overload, 103 low material, 104 door open), else 0',
    read: (s) => s.faultCode,
  },
  {
    name: 'totalCount',
    area: 'holding',
    address: 2,
    dataType: 'uint16',
    unit: 'parts',
    access: 'read',
    description: 'parts made, 16-bit counter that wraps from 65535 to 0',
    read: (s) => s.totalCount,
  },
  {
    name: 'productId',
    area: 'holding',
    address: 3,
    dataType: 'uint16',
    access: 'read',
    description: 'product running now',
    read: (s) => s.product.id,
  },
  {
    name: 'goodCount',
    area: 'holding',
    address: 4,
    dataType: 'uint32',
    order: 'CDAB',
    unit: 'parts',
    access: 'read',
    description: 'good parts, uint32, low word first (CDAB)',
    read: (s) => s.goodCount,
  },
  {
    name: 'rejectCount',
    area: 'holding',
    address: 6,
    dataType: 'uint32',
    unit: 'parts',
    access: 'read',
    description: 'rejected parts, uint32',
    read: (s) => s.rejectCount,
  },
  {
    name: 'speed',
    area: 'holding',
    address: 8,
    dataType: 'float32',
    unit: 'parts/min',
    access: 'read',
    description: 'actual speed, 0 unless running',
    read: (s) => s.speed,
  },
  {
    name: 'idealCycleTime',
    area: 'holding',
    address: 10,
    dataType: 'uint32',
    unit: 'ms',
    access: 'read',
    description: 'ideal cycle time of the current product at 100 % speed',
    read: (s) => s.idealCycleMs,
  },
  {
    name: 'productName',
    area: 'holding',
    address: 12,
    dataType: 'string',
    length: PRODUCT_NAME_LENGTH,
    access: 'read',
    description: 'product running now',
    read: (s) => registerText(s.product.name),
  },
  {
    name: 'speedSetpoint',
    area: 'holding',
    address: 20,
    dataType: 'uint16',
    gain: 0.1,
    unit: '%',
    access: 'read-write',
    description: 'speed setpoint, 10.0..150.0 % of nominal; other values answer exception 3',
    read: (s) => s.speedFactor * 100,
    write: (m, v) => m.setSpeedFactor(numberOf(v, 'speedSetpoint') / 100),
  },
  {
    name: 'running',
    area: 'coil',
    address: 0,
    dataType: 'bool',
    access: 'read',
    description: 'machine is running',
    read: (s) => s.state === 'running',
  },
  {
    name: 'fault',
    area: 'coil',
    address: 1,
    dataType: 'bool',
    access: 'read',
    description: 'machine is down on a fault',
    read: (s) => s.state === 'down',
  },
  {
    name: 'resetCounters',
    area: 'coil',
    address: 2,
    dataType: 'bool',
    access: 'read-write',
    description: 'write 1 to zero totalCount, goodCount and rejectCount; reads 0 (a pulse)',
    read: () => false,
    write: (m, v) => {
      if (v === true) m.resetCounters();
    },
  },
  {
    name: 'plannedStop',
    area: 'coil',
    address: 3,
    dataType: 'bool',
    access: 'read-write',
    description: 'planned stop (break, meeting, no order): 1 holds the machine in state 3',
    read: (s) => s.plannedStop,
    write: (m, v) => m.setPlannedStop(v === true),
  },
];

/** A point of one machine's map: its spec, its Tag and the registers (or bits) it spans. */
export interface RegisterPoint {
  readonly spec: PointSpec;
  readonly tag: Tag;
  readonly span: number;
  /** Compiled once: reads the engineering value from words at an offset. */
  readonly reader: (words: ArrayLike<number>, offset: number) => EngValue;
}

export interface MachineRegisterMap {
  /** Tag names are `<machine>/<relative name>`; rows and tags are in REGISTER_POINTS order. */
  readonly rows: readonly TagRow[];
  readonly tags: readonly Tag[];
  readonly points: readonly RegisterPoint[];
  /** Registers (or bits) each area needs: highest used address + 1. */
  readonly size: Readonly<Record<ModbusArea, number>>;
  /** The point covering an address, per area (undefined = outside the map). */
  pointAt(area: ModbusArea, address: number): RegisterPoint | undefined;
}

function spanOf(spec: PointSpec): number {
  return spec.area === 'coil' || spec.area === 'discrete' ? 1 : registerCount(spec.dataType, spec.length);
}

/** `hr:20`, `co:2`: the canonical address spelling of the tag model. */
export function addressText(spec: PointSpec): string {
  return `${AREA_SHORT[spec.area]}:${spec.address}`;
}

const joinName = (prefix: string, name: string): string => (prefix === '' ? name : `${prefix}/${name}`);

/** The row a technician would type for a point; empty prefix = relative name (a template row). */
export function rowOfPoint(spec: PointSpec, prefix = ''): TagRow {
  const row: TagRow = { name: joinName(prefix, spec.name), address: addressText(spec), dataType: spec.dataType };
  if (spec.order !== undefined) row.order = spec.order;
  if (spec.length !== undefined) row.length = String(spec.length);
  if (spec.gain !== undefined) row.gain = String(spec.gain);
  if (spec.unit !== undefined) row.unit = spec.unit;
  row.access = spec.access;
  row.description = spec.description;
  return row;
}

/** The typed Tag of a point, as the hub's validator would make it from rowOfPoint. */
export function tagOfPoint(spec: PointSpec, prefix: string): Tag {
  const tag: { -readonly [K in keyof Tag]: Tag[K] } = {
    name: joinName(prefix, spec.name),
    address: { protocol: 'modbus', area: spec.area, address: spec.address },
    dataType: spec.dataType,
    order: spec.order ?? 'ABCD',
    unit: spec.unit ?? '',
    access: spec.access,
    deadband: 0,
    description: spec.description,
  };
  if (spec.length !== undefined) tag.length = spec.length;
  if (spec.gain !== undefined) tag.scaling = { gain: spec.gain, offset: 0 };
  return tag;
}

/** Template rows with relative names (`state`, `goodCount`...), for a tag-map template. */
export function registerTemplateRows(): TagRow[] {
  return REGISTER_POINTS.map((p) => rowOfPoint(p));
}

/** The register map of the machine named `machineName` (its ISA-95 path). */
export function machineRegisterMap(machineName: string): MachineRegisterMap {
  const points: RegisterPoint[] = REGISTER_POINTS.map((spec) => {
    const tag = tagOfPoint(spec, machineName);
    return { spec, tag, span: spanOf(spec), reader: compileReader(tag) };
  });
  const size: Record<ModbusArea, number> = { holding: 0, input: 0, coil: 0, discrete: 0 };
  for (const p of points) size[p.spec.area] = Math.max(size[p.spec.area], p.spec.address + p.span);
  const owners: Record<ModbusArea, (RegisterPoint | undefined)[]> = {
    holding: new Array<RegisterPoint | undefined>(size.holding),
    input: new Array<RegisterPoint | undefined>(size.input),
    coil: new Array<RegisterPoint | undefined>(size.coil),
    discrete: new Array<RegisterPoint | undefined>(size.discrete),
  };
  for (const p of points) {
    for (let i = 0; i < p.span; i++) {
      const at = p.spec.address + i;
      if (owners[p.spec.area][at] !== undefined) throw new Error(`register map: ${p.spec.name} overlaps at ${addressText(p.spec)}+${i}`);
      owners[p.spec.area][at] = p;
    }
  }
  return {
    rows: REGISTER_POINTS.map((spec) => rowOfPoint(spec, machineName)),
    tags: points.map((p) => p.tag),
    points,
    size,
    pointAt: (area, address) => owners[area][address],
  };
}

/** What a Modbus device holds: 16-bit registers and bits (1 = on). */
export interface RegisterImage {
  readonly holding: Uint16Array;
  readonly input: Uint16Array;
  readonly coils: Uint8Array;
  readonly discrete: Uint8Array;
}

export function createImage(map: MachineRegisterMap): RegisterImage {
  return {
    holding: new Uint16Array(map.size.holding),
    input: new Uint16Array(map.size.input),
    coils: new Uint8Array(map.size.coil),
    discrete: new Uint8Array(map.size.discrete),
  };
}

function wordsOf(image: RegisterImage, area: ModbusArea): Uint16Array | Uint8Array {
  switch (area) {
    case 'holding':
      return image.holding;
    case 'input':
      return image.input;
    case 'coil':
      return image.coils;
    case 'discrete':
      return image.discrete;
  }
}

/** Writes the machine's current values into the image, encoded by the hub's codec. */
export function writeImage(map: MachineRegisterMap, snapshot: MachineSnapshot, image: RegisterImage): void {
  for (const p of map.points) {
    const value = p.spec.read(snapshot);
    const target = wordsOf(image, p.spec.area);
    if (p.spec.area === 'coil' || p.spec.area === 'discrete') target[p.spec.address] = value === true ? 1 : 0;
    else target.set(encodeValue(p.tag, value), p.spec.address);
  }
}

/** Engineering values of every point, by relative name, read back from an image with the hub's decoders. */
export function readImage(map: MachineRegisterMap, image: RegisterImage): Record<string, EngValue> {
  const out: Record<string, EngValue> = {};
  for (const p of map.points) out[p.spec.name] = p.reader(wordsOf(image, p.spec.area), p.spec.address);
  return out;
}

/** Modbus exception codes the map answers. */
export const ILLEGAL_DATA_ADDRESS = 2;
export const ILLEGAL_DATA_VALUE = 3;

export type WriteOutcome = { readonly ok: true } | { readonly ok: false; readonly exception: 2 | 3; readonly message: string };

const OK: WriteOutcome = { ok: true };

/** True when every address in [address, address + count) belongs to a point of the area. */
export function readable(map: MachineRegisterMap, area: ModbusArea, address: number, count: number): boolean {
  if (count < 1 || address + count > map.size[area]) return false;
  for (let a = address; a < address + count; a++) if (map.pointAt(area, a) === undefined) return false;
  return true;
}

function applyWrite(machine: Machine, p: RegisterPoint, value: EngValue): WriteOutcome {
  const write = p.spec.write;
  if (write === undefined) return { ok: false, exception: ILLEGAL_DATA_ADDRESS, message: `${p.tag.name} is read-only` };
  try {
    write(machine, value);
    return OK;
  } catch (err) {
    if (err instanceof RangeError) return { ok: false, exception: ILLEGAL_DATA_VALUE, message: `${p.tag.name}: ${err.message}` };
    throw err;
  }
}

/**
 * A write of `values` to holding registers from `address` (FC6 / FC16). Every register must belong
 * to a writable point and every point must be written whole (half of a 32-bit value is refused),
 * else exception 2 and nothing changes; a value the machine refuses answers exception 3 (points
 * before it in the same request stay written; today the map has one writable register).
 */
export function writeRegisters(map: MachineRegisterMap, machine: Machine, address: number, values: readonly number[]): WriteOutcome {
  const end = address + values.length;
  const touched: RegisterPoint[] = [];
  for (let a = address; a < end; a++) {
    const p = map.pointAt('holding', a);
    if (p === undefined) return { ok: false, exception: ILLEGAL_DATA_ADDRESS, message: `hr:${a} is not in the map` };
    if (p.spec.write === undefined) return { ok: false, exception: ILLEGAL_DATA_ADDRESS, message: `${p.tag.name} (hr:${a}) is read-only` };
    if (p.spec.address < address || p.spec.address + p.span > end) {
      return { ok: false, exception: ILLEGAL_DATA_ADDRESS, message: `${p.tag.name} spans ${p.span} registers: write all of them at once` };
    }
    if (touched[touched.length - 1] !== p) touched.push(p);
  }
  for (const p of touched) {
    const outcome = applyWrite(machine, p, p.reader(values, p.spec.address - address));
    if (!outcome.ok) return outcome;
  }
  return OK;
}

/** A write to one coil (FC5, or each coil of FC15). */
export function writeCoil(map: MachineRegisterMap, machine: Machine, address: number, value: boolean): WriteOutcome {
  const p = map.pointAt('coil', address);
  if (p === undefined) return { ok: false, exception: ILLEGAL_DATA_ADDRESS, message: `co:${address} is not in the map` };
  return applyWrite(machine, p, value);
}
