/**
 * Modbus read planner: coalesces the tags of a poll group into as few read requests as the
 * protocol limits allow, and decodes block responses on the scan hot path. Pure: no sockets.
 *
 * Why bridge gaps at all: on TCP a request costs a network round trip (ms), while a gap register
 * costs 2 bytes. Why not bridge every gap: many devices answer exception 02 (illegal data
 * address) when a read touches a hole in their register map, so the default stays moderate
 * (10 registers, or 10 bits for coils/discrete inputs) and 0 means "adjacent/overlapping only".
 */
import type { ModbusAddress, ModbusArea, Tag } from '../tags/tag';
import type { Decoder, EngValue, RawValue } from './codec';
import { compileDecoder, compileReader, registerCount } from './codec';

/** Protocol maximum of FC3/FC4 (registers per request). */
export const MAX_READ_REGISTERS = 125;
/** Protocol maximum of FC1/FC2 (bits per request). */
export const MAX_READ_BITS = 2000;
/** Default largest run of unused registers (or bits) read to join two tags into one request. */
export const DEFAULT_MAX_GAP = 10;

export type FunctionCode = 1 | 2 | 3 | 4;

export interface PlanOptions {
  /** Registers per FC3/FC4 request, 1..125 (default 125); lower it for devices with a smaller limit. */
  readonly maxRegisters?: number;
  /** Bits per FC1/FC2 request, 1..2000 (default 2000). */
  readonly maxBits?: number;
  /** Largest run of unused registers/bits bridged inside one request (default 10; 0 = adjacent only). */
  readonly maxGap?: number;
  /** Unit id for tags whose address has none (0..255). */
  readonly defaultUnitId: number;
}

export interface ReadItem {
  /** Index of the tag in the array given to planReads. */
  readonly tagIndex: number;
  /** First register (or bit) of the tag, relative to the block start. */
  readonly offset: number;
  /** Registers (or bits) the tag occupies. */
  readonly count: number;
}

export interface ReadBlock {
  readonly unitId: number;
  readonly area: ModbusArea;
  readonly functionCode: FunctionCode;
  /** Zero-based protocol address of the first register/bit. */
  readonly start: number;
  /** Registers (FC3/FC4) or bits (FC1/FC2) to read. */
  readonly count: number;
  /** Sorted by offset, then tag index. Bit tags of the same register share an offset. */
  readonly items: readonly ReadItem[];
}

export interface ReadPlan {
  /** Sorted by unit id, function code, start address. */
  readonly blocks: readonly ReadBlock[];
}

export interface PlanStats {
  /** Read requests per scan. */
  readonly requests: number;
  readonly tags: number;
  /** Registers read per scan by FC3/FC4, and those of them no tag uses (gaps bridged). */
  readonly registersRead: number;
  readonly registersWasted: number;
  /** Bits read per scan by FC1/FC2, and those of them no tag uses. */
  readonly bitsRead: number;
  readonly bitsWasted: number;
}

/** A tag map that cannot be planned (wrong address, tag larger than a request...). */
export class PlanError extends Error {
  override readonly name = 'PlanError';
}

const FUNCTION_CODE: Readonly<Record<ModbusArea, FunctionCode>> = { coil: 1, discrete: 2, holding: 3, input: 4 };
const AREA_OF: readonly ModbusArea[] = ['coil', 'coil', 'discrete', 'holding', 'input'];

function isBitArea(area: ModbusArea): boolean {
  return area === 'coil' || area === 'discrete';
}

function intIn(value: number, lo: number, hi: number): boolean {
  return Number.isInteger(value) && value >= lo && value <= hi;
}

function option(name: string, value: number | undefined, fallback: number, lo: number, hi: number): number {
  if (value === undefined) return fallback;
  if (!intIn(value, lo, hi)) throw new PlanError(`${name} must be an integer ${lo}..${hi}, got ${value}`);
  return value;
}

/** One tag's footprint: [start, start + count) in (unit, function code). */
interface Span {
  readonly group: number; // unitId * 8 + function code: sorts by unit, then FC
  readonly start: number;
  readonly count: number;
  readonly tagIndex: number;
}

function spanOf(tag: Tag, tagIndex: number, defaultUnitId: number, maxRegisters: number, maxBits: number): Span {
  const a = tag.address;
  if (a.protocol !== 'modbus') throw new PlanError(`tag ${tag.name} is not a Modbus tag`);
  const addr: ModbusAddress = a;
  const unitId = addr.unitId ?? defaultUnitId;
  if (!intIn(unitId, 0, 255)) throw new PlanError(`tag ${tag.name}: unit id must be 0..255, got ${unitId}`);
  const bits = isBitArea(addr.area);
  if (bits && tag.dataType !== 'bool') {
    throw new PlanError(`tag ${tag.name}: a ${addr.area} holds one bit, the data type must be bool, not ${tag.dataType}`);
  }
  if (addr.bit !== undefined && (bits || tag.dataType !== 'bool' || !intIn(addr.bit, 0, 15))) {
    throw new PlanError(`tag ${tag.name}: a bit (0..15) is only for bool tags in input/holding registers`);
  }
  const count = registerCount(tag);
  const limit = bits ? maxBits : maxRegisters;
  if (count > limit) {
    throw new PlanError(`tag ${tag.name} needs ${count} registers; one read request carries at most ${limit}`);
  }
  if (!intIn(addr.address, 0, 65535) || addr.address + count > 65536) {
    throw new PlanError(`tag ${tag.name}: address ${addr.address} (+${count}) is outside 0..65535`);
  }
  return { group: unitId * 8 + FUNCTION_CODE[addr.area], start: addr.address, count, tagIndex };
}

function bySpan(a: Span, b: Span): number {
  return a.group - b.group || a.start - b.start || a.count - b.count || a.tagIndex - b.tagIndex;
}

function makeBlock(group: number, start: number, end: number, members: readonly Span[]): ReadBlock {
  const fc = (group & 7) as FunctionCode;
  return {
    unitId: group >> 3,
    area: AREA_OF[fc],
    functionCode: fc,
    start,
    count: end - start,
    items: members.map((m) => ({ tagIndex: m.tagIndex, offset: m.start - start, count: m.count })),
  };
}

/**
 * Plans the reads of one scan. Tags are grouped by unit id and area, sorted by address and
 * merged greedily while the block stays within the request limit and each gap is <= maxGap.
 * A tag is never split across blocks; overlapping tags (bits of one register, a word inside a
 * dword) share the read. Output depends only on the tag set, not on the order of `tags`.
 */
export function planReads(tags: readonly Tag[], options: PlanOptions): ReadPlan {
  const maxRegisters = option('maxRegisters', options.maxRegisters, MAX_READ_REGISTERS, 1, MAX_READ_REGISTERS);
  const maxBits = option('maxBits', options.maxBits, MAX_READ_BITS, 1, MAX_READ_BITS);
  const maxGap = option('maxGap', options.maxGap, DEFAULT_MAX_GAP, 0, 65535);
  const defaultUnitId = option('defaultUnitId', options.defaultUnitId, 0, 0, 255);

  const spans = tags.map((t, i) => spanOf(t, i, defaultUnitId, maxRegisters, maxBits));
  spans.sort(bySpan);

  const blocks: ReadBlock[] = [];
  let members: Span[] = [];
  let group = -1;
  let start = 0;
  let end = 0;
  for (const s of spans) {
    const limit = (s.group & 7) <= 2 ? maxBits : maxRegisters;
    const sEnd = s.start + s.count;
    const newEnd = sEnd > end ? sEnd : end;
    if (s.group === group && s.start - end <= maxGap && newEnd - start <= limit) {
      end = newEnd;
      members.push(s);
      continue;
    }
    if (members.length > 0) blocks.push(makeBlock(group, start, end, members));
    group = s.group;
    start = s.start;
    end = sEnd;
    members = [s];
  }
  if (members.length > 0) blocks.push(makeBlock(group, start, end, members));
  return { blocks };
}

/** Requests, registers/bits read and those read only to bridge gaps: for node status and bench. */
export function planStats(plan: ReadPlan): PlanStats {
  let registersRead = 0;
  let registersUsed = 0;
  let bitsRead = 0;
  let bitsUsed = 0;
  let tags = 0;
  for (const b of plan.blocks) {
    // Items are sorted by offset: a sweep gives the union of the tags' footprints.
    let used = 0;
    let covered = 0;
    for (const it of b.items) {
      const end = it.offset + it.count;
      if (end > covered) {
        used += end - Math.max(it.offset, covered);
        covered = end;
      }
    }
    tags += b.items.length;
    if (isBitArea(b.area)) {
      bitsRead += b.count;
      bitsUsed += used;
    } else {
      registersRead += b.count;
      registersUsed += used;
    }
  }
  return {
    requests: plan.blocks.length,
    tags,
    registersRead,
    registersWasted: registersRead - registersUsed,
    bitsRead,
    bitsWasted: bitsRead - bitsUsed,
  };
}

/**
 * Deploy-time: one decoder per tag, indexed like `tags`, producing raw values or engineering
 * values (decode and scaling fused). Feed the result to decodeBlock on every scan.
 */
export function compileDecoders(tags: readonly Tag[], mode: 'raw'): Decoder<RawValue>[];
export function compileDecoders(tags: readonly Tag[], mode: 'engineering'): Decoder<EngValue>[];
export function compileDecoders(tags: readonly Tag[], mode: 'raw' | 'engineering'): Decoder<RawValue>[] {
  return tags.map(mode === 'raw' ? compileDecoder : compileReader);
}

/**
 * Scan hot path: decodes one block response into `out[tagIndex]` (a preallocated array indexed
 * like the planned tags). `data` is the response: registers for FC3/FC4, bits (boolean or 0/1)
 * for FC1/FC2. Throws if the device returned fewer registers/bits than requested.
 */
export function decodeBlock<T>(
  block: ReadBlock,
  decoders: readonly Decoder<T>[],
  data: ArrayLike<number> | ArrayLike<boolean>,
  out: T[],
): void {
  if (data.length < block.count) {
    throw new RangeError(
      `unit ${block.unitId} FC${block.functionCode} @${block.start}: expected ${block.count} values, got ${data.length}`,
    );
  }
  // Bit decoders only test truthiness, so boolean bit responses are valid for them as well.
  const words = data as ArrayLike<number>;
  const items = block.items;
  for (let i = 0; i < items.length; i++) {
    const it = items[i];
    out[it.tagIndex] = decoders[it.tagIndex](words, it.offset);
  }
}
