/**
 * Modbus value codec: typed values <-> 16-bit registers. Pure: no Node-RED, no sockets.
 *
 * Byte orders, with the value's big-endian bytes named A B C D (E F G H) and its big-endian
 * 16-bit words W1..W4 (W1 most significant); `sw(x)` swaps the two bytes of a word:
 *
 * | order | 32-bit registers [r0, r1] | 64-bit registers [r0, r1, r2, r3]  | name                    |
 * |-------|---------------------------|------------------------------------|-------------------------|
 * | ABCD  | AB CD                     | W1 W2 W3 W4                        | big endian (Modbus)     |
 * | CDAB  | CD AB                     | W2 W1 W4 W3                        | word swap               |
 * | BADC  | BA DC                     | sw(W1) sw(W2) sw(W3) sw(W4)        | byte swap               |
 * | DCBA  | DC BA                     | sw(W4) sw(W3) sw(W2) sw(W1)        | little endian           |
 *
 * 64-bit CDAB swaps the words inside each 32-bit half and keeps the halves big endian (the tag
 * contract's "2143"): what Kepware does with "first word low" on and "first DWord low" off.
 * DCBA is the fully little-endian image (the bytes of a little-endian PC/ARM PLC).
 * 16-bit values use the byte rule only: BADC and DCBA swap the bytes of the register.
 *
 * Strings: two ASCII characters per register, registers in address order (never word swapped);
 * high byte first for ABCD/CDAB, low byte first for BADC/DCBA. Decoding stops at the first NUL
 * (PLCs often leave stale bytes after the terminator of a shorter string), trims trailing spaces
 * and shows every byte outside printable ASCII (0x20..0x7E) as U+FFFD. Encoding accepts printable
 * ASCII only, so anything written reads back the same (except trailing spaces), and pads with NUL.
 *
 * Booleans: a coil/discrete input is one bit; a register bool with `bit` is that bit (0 = LSB);
 * a register bool without `bit` is `register !== 0` and is written as 0/1.
 *
 * Hot path: `compileDecoder`/`compileReader` run once per tag at deploy and return a function
 * specialised for the data type, byte order and scaling, so a scan does no type dispatch and
 * allocates nothing (except the unavoidable BigInt of 64-bit raw values).
 */
import { registerCount as registersOf } from '../tags/address';
import { valueRounding } from '../tags/precision';
import type { ByteOrder, DataType, Tag } from '../tags/tag';

/** A value as it sits in the device, before scaling. int64/uint64 are bigint. */
export type RawValue = number | bigint | boolean | string;
/** A value in engineering units: numbers after scaling (64-bit become number), bools, strings. */
export type EngValue = number | boolean | string;
/** Reads one tag out of a response, starting at `offset` (registers, or bits for coils/discrete). */
export type Decoder<T = RawValue> = (words: ArrayLike<number>, offset: number) => T;

/** A value that cannot be written to a tag; the message names the tag and says what is wrong. */
export class TagValueError extends Error {
  override readonly name = 'TagValueError';
  constructor(
    readonly tag: string,
    message: string,
  ) {
    super(message);
  }
}

// One scratch buffer for the whole module: JS is single threaded and no decoder re-enters another.
const scratch = new DataView(new ArrayBuffer(8));

const FLOAT32_MAX = 3.4028234663852886e38;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

type Range = readonly [number, number];
const INT16: Range = [-0x8000, 0x7fff];
const UINT16: Range = [0, 0xffff];
const INT32_RANGE: Range = [-0x80000000, 0x7fffffff];
const UINT32_RANGE: Range = [0, 0xffffffff];
const INT_RANGE: Readonly<Partial<Record<DataType, Range>>> = {
  int16: INT16,
  uint16: UINT16,
  int32: INT32_RANGE,
  uint32: UINT32_RANGE,
};

/** Bit inside a register, if the tag is a register bit. */
function bitOf(tag: Tag): number | undefined {
  return tag.address.protocol === 'modbus' ? tag.address.bit : undefined;
}

function isBitArea(tag: Tag): boolean {
  return tag.address.protocol === 'modbus' && (tag.address.area === 'coil' || tag.address.area === 'discrete');
}

function stringLength(tag: Tag): number {
  const n = tag.length;
  if (n === undefined || !Number.isInteger(n) || n < 1) {
    throw new RangeError(`tag ${tag.name} is string: length must be a positive integer, got ${String(n)}`);
  }
  return n;
}

/** Registers the tag occupies (for coils/discrete inputs: bits, always 1); a string needs its length. */
export function registerCount(tag: Tag): number {
  return registersOf(tag.dataType, tag.dataType === 'string' ? stringLength(tag) : undefined);
}

// ---------------------------------------------------------------------------------------------
// Loaders: put the tag's registers into `scratch` as the big-endian image of the value.
// setUint16(.., true) writes the word little endian, i.e. byte swapped.

type Loader = (w: ArrayLike<number>, o: number) => void;

const LOAD32: Readonly<Record<ByteOrder, Loader>> = {
  ABCD: (w, o) => {
    scratch.setUint16(0, w[o]);
    scratch.setUint16(2, w[o + 1]);
  },
  CDAB: (w, o) => {
    scratch.setUint16(0, w[o + 1]);
    scratch.setUint16(2, w[o]);
  },
  BADC: (w, o) => {
    scratch.setUint16(0, w[o], true);
    scratch.setUint16(2, w[o + 1], true);
  },
  DCBA: (w, o) => {
    scratch.setUint16(0, w[o + 1], true);
    scratch.setUint16(2, w[o], true);
  },
};

const LOAD64: Readonly<Record<ByteOrder, Loader>> = {
  ABCD: (w, o) => {
    scratch.setUint16(0, w[o]);
    scratch.setUint16(2, w[o + 1]);
    scratch.setUint16(4, w[o + 2]);
    scratch.setUint16(6, w[o + 3]);
  },
  CDAB: (w, o) => {
    scratch.setUint16(0, w[o + 1]);
    scratch.setUint16(2, w[o]);
    scratch.setUint16(4, w[o + 3]);
    scratch.setUint16(6, w[o + 2]);
  },
  BADC: (w, o) => {
    scratch.setUint16(0, w[o], true);
    scratch.setUint16(2, w[o + 1], true);
    scratch.setUint16(4, w[o + 2], true);
    scratch.setUint16(6, w[o + 3], true);
  },
  DCBA: (w, o) => {
    scratch.setUint16(0, w[o + 3], true);
    scratch.setUint16(2, w[o + 2], true);
    scratch.setUint16(4, w[o + 1], true);
    scratch.setUint16(6, w[o], true);
  },
};

/** Inverse of the loaders: the big-endian image of `n` words in `scratch` -> registers in device order. */
function storeWords(order: ByteOrder, n: number): number[] {
  const swapBytes = order === 'BADC' || order === 'DCBA';
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = scratch.getUint16(2 * i, swapBytes);
  if (order === 'DCBA') out.reverse();
  else if (order === 'CDAB') {
    for (let i = 0; i < n; i += 2) {
      const t = out[i];
      out[i] = out[i + 1];
      out[i + 1] = t;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Specialised decoders (module level: no closure per tag where the order is the only variable).

const swap16 = (x: number): number => ((x & 0xff) << 8) | ((x >>> 8) & 0xff);

const int16 = (w: ArrayLike<number>, o: number): number => (w[o] << 16) >> 16;
const int16Swapped = (w: ArrayLike<number>, o: number): number => (swap16(w[o]) << 16) >> 16;
const uint16 = (w: ArrayLike<number>, o: number): number => w[o] & 0xffff;
const uint16Swapped = (w: ArrayLike<number>, o: number): number => swap16(w[o]);

const INT32: Readonly<Record<ByteOrder, Decoder<number>>> = {
  ABCD: (w, o) => (w[o] << 16) | (w[o + 1] & 0xffff),
  CDAB: (w, o) => (w[o + 1] << 16) | (w[o] & 0xffff),
  BADC: (w, o) => (swap16(w[o]) << 16) | swap16(w[o + 1]),
  DCBA: (w, o) => (swap16(w[o + 1]) << 16) | swap16(w[o]),
};

const UINT32: Readonly<Record<ByteOrder, Decoder<number>>> = {
  ABCD: (w, o) => (w[o] & 0xffff) * 0x10000 + (w[o + 1] & 0xffff),
  CDAB: (w, o) => (w[o + 1] & 0xffff) * 0x10000 + (w[o] & 0xffff),
  BADC: (w, o) => swap16(w[o]) * 0x10000 + swap16(w[o + 1]),
  DCBA: (w, o) => swap16(w[o + 1]) * 0x10000 + swap16(w[o]),
};

function float32Decoder(load: Loader): Decoder<number> {
  return (w, o) => {
    load(w, o);
    return scratch.getFloat32(0);
  };
}

function float64Decoder(load: Loader): Decoder<number> {
  return (w, o) => {
    load(w, o);
    return scratch.getFloat64(0);
  };
}

function int64Decoder(load: Loader, signed: boolean): Decoder<bigint> {
  return signed
    ? (w, o) => {
        load(w, o);
        return scratch.getBigInt64(0);
      }
    : (w, o) => {
        load(w, o);
        return scratch.getBigUint64(0);
      };
}

const bitArea: Decoder<boolean> = (w, o) => (w[o] ? true : false);
const wordNonZero: Decoder<boolean> = (w, o) => (w[o] & 0xffff) !== 0;

function boolDecoder(tag: Tag): Decoder<boolean> {
  if (isBitArea(tag)) return bitArea;
  const bit = bitOf(tag);
  if (bit === undefined) return wordNonZero;
  if (!Number.isInteger(bit) || bit < 0 || bit > 15) {
    throw new RangeError(`tag ${tag.name}: bit must be 0..15, got ${bit}`);
  }
  const mask = 1 << bit;
  return (w, o) => (w[o] & mask) !== 0;
}

function printable(byte: number): string {
  return byte >= 0x20 && byte <= 0x7e ? String.fromCharCode(byte) : '\uFFFD';
}

function stringDecoder(length: number, lowFirst: boolean): Decoder<string> {
  return (w, o) => {
    let s = '';
    for (let i = 0; i < length; i++) {
      const word = w[o + (i >> 1)];
      const byte = (i & 1) === (lowFirst ? 0 : 1) ? word & 0xff : (word >>> 8) & 0xff;
      if (byte === 0) break;
      s += printable(byte);
    }
    let end = s.length;
    while (end > 0 && s.charCodeAt(end - 1) === 0x20) end--;
    return end === s.length ? s : s.slice(0, end);
  };
}

/** Number-valued decoder for every numeric type except the 64-bit integers. */
function numberDecoder(tag: Tag): Decoder<number> {
  const order = tag.order;
  const swapped = order === 'BADC' || order === 'DCBA';
  switch (tag.dataType) {
    case 'int16':
      return swapped ? int16Swapped : int16;
    case 'uint16':
      return swapped ? uint16Swapped : uint16;
    case 'int32':
      return INT32[order];
    case 'uint32':
      return UINT32[order];
    case 'float32':
      return float32Decoder(LOAD32[order]);
    case 'float64':
      return float64Decoder(LOAD64[order]);
    default:
      throw new TypeError(`tag ${tag.name}: ${tag.dataType} is not a number type`);
  }
}

function textDecoder(tag: Tag): Decoder<string> {
  return stringDecoder(stringLength(tag), tag.order === 'BADC' || tag.order === 'DCBA');
}

/**
 * Deploy-time: a decoder of the tag's RAW value (no scaling) from `words` at `offset`.
 * For coils/discrete inputs `words` holds one entry per bit (truthy = on).
 */
export function compileDecoder(tag: Tag): Decoder {
  switch (tag.dataType) {
    case 'bool':
      return boolDecoder(tag);
    case 'string':
      return textDecoder(tag);
    case 'int64':
    case 'uint64':
      return int64Decoder(LOAD64[tag.order], tag.dataType === 'int64');
    default:
      return numberDecoder(tag);
  }
}

/**
 * A gain like 0.1 is applied as a division by 10: 1234 / 10 gives 123.4 exactly as written,
 * where 1234 * 0.1 gives 123.40000000000001. Returns the integer divisor, or undefined.
 */
function integerDivisor(gain: number): number | undefined {
  if (gain === 0 || Math.abs(gain) >= 1) return undefined;
  const inv = 1 / gain;
  return Number.isInteger(inv) && Math.abs(inv) <= Number.MAX_SAFE_INTEGER ? inv : undefined;
}

function scaled(raw: Decoder<number>, gain: number, offset: number): Decoder<number> {
  const div = integerDivisor(gain);
  if (div !== undefined) return (w, o) => raw(w, o) / div + offset;
  return (w, o) => raw(w, o) * gain + offset;
}

/**
 * Deploy-time: a decoder of the tag's ENGINEERING value (decode and scale in one call).
 * 64-bit integers become number here: exact up to 2^53, rounded to the nearest double beyond.
 */
export function compileReader(tag: Tag): Decoder<EngValue> {
  const type = tag.dataType;
  if (type === 'bool') return boolDecoder(tag);
  if (type === 'string') return textDecoder(tag);
  let num: Decoder<number>;
  if (type === 'int64' || type === 'uint64') {
    const big = int64Decoder(LOAD64[tag.order], type === 'int64');
    num = (w, o) => Number(big(w, o));
  } else {
    num = numberDecoder(tag);
  }
  const s = tag.scaling;
  const eng = s === undefined || (s.gain === 1 && s.offset === 0) ? num : scaled(num, s.gain, s.offset);
  const round = valueRounding(tag);
  return round === undefined ? eng : (w, o) => round(eng(w, o));
}

// Plain functions: thin wrappers over the compiled decoders, cached per tag object.
const decoders = new WeakMap<Tag, Decoder>();

function cachedDecoder(tag: Tag): Decoder {
  let d = decoders.get(tag);
  if (d === undefined) {
    d = compileDecoder(tag);
    decoders.set(tag, d);
  }
  return d;
}

/** RAW value of a tag from its own registers (`words[0]` is the tag's first register). */
export function decodeRegisters(tag: Tag, words: ArrayLike<number>): RawValue {
  const need = registerCount(tag);
  if (words.length < need) {
    throw new RangeError(`tag ${tag.name} needs ${need} register(s), got ${words.length}`);
  }
  return cachedDecoder(tag)(words, 0);
}

/** Coil/discrete input response -> booleans (accepts booleans or 0/1). */
export function decodeBits(bits: ArrayLike<boolean | number>): boolean[] {
  const out = new Array<boolean>(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i] ? true : false;
  return out;
}

/** engineering = raw * gain + offset; numbers (and bigint) become number, bools and strings pass. */
export function toEngineering(tag: Tag, raw: RawValue): EngValue {
  if (typeof raw === 'boolean' || typeof raw === 'string') return raw;
  const n = Number(raw);
  const s = tag.scaling;
  if (s === undefined) return n;
  const div = integerDivisor(s.gain);
  return div !== undefined ? n / div + s.offset : n * s.gain + s.offset;
}

// ---------------------------------------------------------------------------------------------
// Writes: engineering value -> raw (validated) -> registers.

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string': {
      const s = value.length > 40 ? `${value.slice(0, 40)}...` : value;
      return `string '${s}'`;
    }
    case 'number':
      return `number ${String(value)}`;
    case 'bigint':
      return `bigint ${value}n`;
    case 'boolean':
      return `boolean ${String(value)}`;
    case 'undefined':
      return 'undefined';
    default:
      return typeof value;
  }
}

function typeLabel(tag: Tag): string {
  return tag.dataType === 'string' ? `string(${String(tag.length)})` : tag.dataType;
}

function fail(tag: Tag, what: string): never {
  throw new TagValueError(tag.name, `tag ${tag.name} is ${typeLabel(tag)}: ${what}`);
}

/**
 * Round half away from zero. A fraction within a few ulps below .5 counts as .5, because it is
 * float noise of the unscaling: (0.15 - 0) / 0.1 = 1.4999999999999998 must write 2, not 1.
 */
export function roundHalfAway(x: number): number {
  const a = Math.abs(x);
  const f = Math.floor(a);
  const r = a - f >= 0.5 - a * 4 * Number.EPSILON ? f + 1 : f;
  return x < 0 && r !== 0 ? -r : r;
}

function rangeText(lo: number | bigint, hi: number | bigint): string {
  return `${String(lo)}..${String(hi)}`;
}

/** Applies the inverse scaling; unscaled values come back unchanged. */
function unscale(tag: Tag, value: number): number {
  const s = tag.scaling;
  if (s === undefined) return value;
  if (s.gain === 0 || !Number.isFinite(s.gain)) fail(tag, `scaling gain ${s.gain} cannot be inverted, the tag cannot be written`);
  const div = integerDivisor(s.gain);
  return div !== undefined ? (value - s.offset) * div : (value - s.offset) / s.gain;
}

function valueText(tag: Tag, value: number | bigint, raw: number | bigint): string {
  return tag.scaling === undefined ? `value ${String(value)}` : `value ${String(value)} gives raw ${String(raw)} after scaling, which`;
}

function toBool(tag: Tag, value: unknown): boolean {
  if (value === true || value === 1) return true;
  if (value === false || value === 0) return false;
  return fail(tag, `expected true, false, 0 or 1, got ${describe(value)}`);
}

function toAscii(tag: Tag, value: unknown): string {
  if (typeof value !== 'string') return fail(tag, `expected a string, got ${describe(value)}`);
  const max = stringLength(tag);
  if (value.length > max) fail(tag, `'${value}' has ${value.length} characters, at most ${max} fit`);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      const hex = c.toString(16).toUpperCase().padStart(4, '0');
      fail(tag, `character ${JSON.stringify(value[i])} (U+${hex}) at position ${i} is not printable ASCII (0x20..0x7E)`);
    }
  }
  return value;
}

function toInt64(tag: Tag, value: number | bigint): bigint {
  let raw: bigint;
  if (typeof value === 'bigint' && tag.scaling === undefined) raw = value;
  else {
    const n = unscale(tag, Number(value));
    if (!Number.isFinite(n)) fail(tag, `value ${String(value)} gives raw ${n} after scaling`);
    raw = BigInt(roundHalfAway(n));
  }
  const [lo, hi] = tag.dataType === 'int64' ? [INT64_MIN, INT64_MAX] : [0n, UINT64_MAX];
  if (raw < lo || raw > hi) fail(tag, `${valueText(tag, value, raw)} is out of range ${rangeText(lo, hi)}`);
  return raw;
}

/**
 * Engineering value -> raw value for a write, or a TagValueError naming the tag.
 * Numbers (bigint accepted too) are unscaled with raw = (value - offset) / gain; integer types
 * then round half away from zero and are range checked; float32 must stay within ±3.4028e38.
 */
export function fromEngineering(tag: Tag, value: unknown): RawValue {
  const type = tag.dataType;
  if (type === 'bool') return toBool(tag, value);
  if (type === 'string') return toAscii(tag, value);
  if (typeof value !== 'number' && typeof value !== 'bigint') return fail(tag, `expected a number, got ${describe(value)}`);
  if (typeof value === 'number' && !Number.isFinite(value)) fail(tag, `expected a finite number, got ${String(value)}`);
  if (type === 'int64' || type === 'uint64') return toInt64(tag, value);

  const raw = unscale(tag, Number(value));
  if (!Number.isFinite(raw)) fail(tag, `value ${String(value)} gives raw ${raw} after scaling`);
  if (type === 'float64') return raw;
  if (type === 'float32') {
    if (Math.abs(raw) > FLOAT32_MAX) fail(tag, `${valueText(tag, value, raw)} is out of range ±${FLOAT32_MAX}`);
    return raw;
  }
  const range = INT_RANGE[type];
  if (range === undefined) return fail(tag, `unknown data type`);
  const rounded = roundHalfAway(raw);
  if (rounded < range[0] || rounded > range[1]) {
    fail(tag, `${valueText(tag, value, rounded)} is out of range ${rangeText(range[0], range[1])}`);
  }
  return rounded;
}

function checkInteger(tag: Tag, raw: RawValue, range: readonly [number, number]): number {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < range[0] || raw > range[1]) {
    return fail(tag, `raw ${describe(raw)} is not an integer in ${rangeText(range[0], range[1])}`);
  }
  return raw;
}

function checkNumber(tag: Tag, raw: RawValue): number {
  if (typeof raw !== 'number') return fail(tag, `raw ${describe(raw)} is not a number`);
  return raw;
}

function encodeString(tag: Tag, raw: RawValue): number[] {
  const text = toAscii(tag, raw);
  const n = registerCount(tag);
  const lowFirst = tag.order === 'BADC' || tag.order === 'DCBA';
  const out = new Array<number>(n).fill(0);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[i >> 1] |= (i & 1) === (lowFirst ? 0 : 1) ? c : c << 8;
  }
  return out;
}

/**
 * Raw value -> the tag's registers in device order; the exact inverse of decodeRegisters.
 * Register bits (`bit` set) cannot be written as a whole register without clobbering the other
 * 15 bits: use withBit (read-modify-write) or maskWriteFor (FC22) instead.
 */
export function encodeRegisters(tag: Tag, raw: RawValue): number[] {
  const order = tag.order;
  const swapped = order === 'BADC' || order === 'DCBA';
  switch (tag.dataType) {
    case 'bool': {
      if (typeof raw !== 'boolean') return fail(tag, `raw ${describe(raw)} is not a boolean`);
      if (bitOf(tag) !== undefined) {
        throw new TypeError(`tag ${tag.name} is a register bit: write it with withBit (read-modify-write) or maskWriteFor`);
      }
      return [raw ? 1 : 0];
    }
    case 'int16':
    case 'uint16': {
      const w = checkInteger(tag, raw, tag.dataType === 'int16' ? INT16 : UINT16) & 0xffff;
      return [swapped ? swap16(w) : w];
    }
    case 'int32':
    case 'uint32':
      scratch.setUint32(0, checkInteger(tag, raw, tag.dataType === 'int32' ? INT32_RANGE : UINT32_RANGE) >>> 0);
      break;
    case 'float32':
      scratch.setFloat32(0, checkNumber(tag, raw));
      break;
    case 'float64':
      scratch.setFloat64(0, checkNumber(tag, raw));
      break;
    case 'int64':
    case 'uint64': {
      if (typeof raw !== 'bigint' && !(typeof raw === 'number' && Number.isInteger(raw))) {
        return fail(tag, `raw ${describe(raw)} is not an integer`);
      }
      const big = BigInt(raw);
      const [lo, hi] = tag.dataType === 'int64' ? [INT64_MIN, INT64_MAX] : [0n, UINT64_MAX];
      if (big < lo || big > hi) fail(tag, `raw ${String(big)} is out of range ${rangeText(lo, hi)}`);
      scratch.setBigUint64(0, BigInt.asUintN(64, big));
      break;
    }
    case 'string':
      return encodeString(tag, raw);
  }
  return storeWords(order, registerCount(tag));
}

/** Engineering value -> registers: fromEngineering then encodeRegisters. */
export function encodeValue(tag: Tag, value: unknown): number[] {
  return encodeRegisters(tag, fromEngineering(tag, value));
}

/** The register `word` with bit `bit` (0 = LSB) set or cleared: read-modify-write of a bit tag. */
export function withBit(word: number, bit: number, value: boolean): number {
  const mask = 1 << bit;
  return (value ? word | mask : word & ~mask) & 0xffff;
}

/**
 * Masks for FC22 "mask write register", which sets one bit atomically in the device:
 * result = (current AND andMask) OR (orMask AND NOT andMask).
 */
export function maskWriteFor(bit: number, value: boolean): { andMask: number; orMask: number } {
  const mask = 1 << bit;
  return { andMask: ~mask & 0xffff, orMask: value ? mask : 0 };
}
