import assert from 'node:assert/strict';
import type { ByteOrder, DataType, ModbusArea, Scaling, Tag } from '../../nodes/tags/tag';
import type { RawValue } from '../../nodes/modbus/codec';
import {
  TagValueError,
  compileDecoder,
  compileReader,
  decodeBits,
  decodeRegisters,
  encodeRegisters,
  encodeValue,
  fromEngineering,
  maskWriteFor,
  registerCount,
  roundHalfAway,
  toEngineering,
  withBit,
} from '../../nodes/modbus/codec';

const ORDERS: readonly ByteOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];

interface TagSpec {
  dataType?: DataType;
  order?: ByteOrder;
  area?: ModbusArea;
  address?: number;
  bit?: number;
  length?: number;
  scaling?: Scaling;
  name?: string;
}

function tag(spec: TagSpec = {}): Tag {
  return {
    name: spec.name ?? 'plant/l1/m1/speed',
    address: {
      protocol: 'modbus',
      area: spec.area ?? 'holding',
      address: spec.address ?? 0,
      ...(spec.bit === undefined ? {} : { bit: spec.bit }),
    },
    dataType: spec.dataType ?? 'uint16',
    order: spec.order ?? 'ABCD',
    ...(spec.length === undefined ? {} : { length: spec.length }),
    ...(spec.scaling === undefined ? {} : { scaling: spec.scaling }),
    unit: '',
    access: 'read-write',
    deadband: 0,
    description: '',
  };
}

/** Deterministic PRNG (mulberry32) so a failing random case can be reproduced. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Known vectors: value -> registers per order. */
interface Vector {
  dataType: DataType;
  value: RawValue;
  words: Record<ByteOrder, number[]>;
}

const VECTORS: Vector[] = [
  {
    dataType: 'float32',
    value: Math.fround(123.456),
    words: { ABCD: [0x42f6, 0xe979], CDAB: [0xe979, 0x42f6], BADC: [0xf642, 0x79e9], DCBA: [0x79e9, 0xf642] },
  },
  {
    dataType: 'float32',
    value: -1,
    words: { ABCD: [0xbf80, 0x0000], CDAB: [0x0000, 0xbf80], BADC: [0x80bf, 0x0000], DCBA: [0x0000, 0x80bf] },
  },
  {
    dataType: 'int32',
    value: -2,
    words: { ABCD: [0xffff, 0xfffe], CDAB: [0xfffe, 0xffff], BADC: [0xffff, 0xfeff], DCBA: [0xfeff, 0xffff] },
  },
  {
    dataType: 'uint32',
    value: 0xfffffffe,
    words: { ABCD: [0xffff, 0xfffe], CDAB: [0xfffe, 0xffff], BADC: [0xffff, 0xfeff], DCBA: [0xfeff, 0xffff] },
  },
  {
    dataType: 'int32',
    value: 0x12345678,
    words: { ABCD: [0x1234, 0x5678], CDAB: [0x5678, 0x1234], BADC: [0x3412, 0x7856], DCBA: [0x7856, 0x3412] },
  },
  {
    dataType: 'int32',
    value: -0x80000000,
    words: { ABCD: [0x8000, 0x0000], CDAB: [0x0000, 0x8000], BADC: [0x0080, 0x0000], DCBA: [0x0000, 0x0080] },
  },
  {
    dataType: 'uint32',
    value: 0x89abcdef,
    words: { ABCD: [0x89ab, 0xcdef], CDAB: [0xcdef, 0x89ab], BADC: [0xab89, 0xefcd], DCBA: [0xefcd, 0xab89] },
  },
  { dataType: 'int16', value: -2, words: { ABCD: [0xfffe], CDAB: [0xfffe], BADC: [0xfeff], DCBA: [0xfeff] } },
  { dataType: 'int16', value: -32768, words: { ABCD: [0x8000], CDAB: [0x8000], BADC: [0x0080], DCBA: [0x0080] } },
  { dataType: 'int16', value: 0x1234, words: { ABCD: [0x1234], CDAB: [0x1234], BADC: [0x3412], DCBA: [0x3412] } },
  { dataType: 'uint16', value: 0xabcd, words: { ABCD: [0xabcd], CDAB: [0xabcd], BADC: [0xcdab], DCBA: [0xcdab] } },
  { dataType: 'uint16', value: 65535, words: { ABCD: [0xffff], CDAB: [0xffff], BADC: [0xffff], DCBA: [0xffff] } },
  {
    dataType: 'uint64',
    value: 0x0102030405060708n,
    words: {
      ABCD: [0x0102, 0x0304, 0x0506, 0x0708],
      CDAB: [0x0304, 0x0102, 0x0708, 0x0506],
      BADC: [0x0201, 0x0403, 0x0605, 0x0807],
      DCBA: [0x0807, 0x0605, 0x0403, 0x0201],
    },
  },
  {
    dataType: 'int64',
    value: 0x0102030405060708n,
    words: {
      ABCD: [0x0102, 0x0304, 0x0506, 0x0708],
      CDAB: [0x0304, 0x0102, 0x0708, 0x0506],
      BADC: [0x0201, 0x0403, 0x0605, 0x0807],
      DCBA: [0x0807, 0x0605, 0x0403, 0x0201],
    },
  },
  {
    dataType: 'int64',
    value: -(2n ** 63n),
    words: {
      ABCD: [0x8000, 0, 0, 0],
      CDAB: [0, 0x8000, 0, 0],
      BADC: [0x0080, 0, 0, 0],
      DCBA: [0, 0, 0, 0x0080],
    },
  },
  {
    dataType: 'int64',
    value: 2n ** 63n - 1n,
    words: {
      ABCD: [0x7fff, 0xffff, 0xffff, 0xffff],
      CDAB: [0xffff, 0x7fff, 0xffff, 0xffff],
      BADC: [0xff7f, 0xffff, 0xffff, 0xffff],
      DCBA: [0xffff, 0xffff, 0xffff, 0xff7f],
    },
  },
  {
    dataType: 'int64',
    value: -1n,
    words: {
      ABCD: [0xffff, 0xffff, 0xffff, 0xffff],
      CDAB: [0xffff, 0xffff, 0xffff, 0xffff],
      BADC: [0xffff, 0xffff, 0xffff, 0xffff],
      DCBA: [0xffff, 0xffff, 0xffff, 0xffff],
    },
  },
  {
    dataType: 'uint64',
    value: 2n ** 64n - 1n,
    words: {
      ABCD: [0xffff, 0xffff, 0xffff, 0xffff],
      CDAB: [0xffff, 0xffff, 0xffff, 0xffff],
      BADC: [0xffff, 0xffff, 0xffff, 0xffff],
      DCBA: [0xffff, 0xffff, 0xffff, 0xffff],
    },
  },
  { dataType: 'uint64', value: 0n, words: { ABCD: [0, 0, 0, 0], CDAB: [0, 0, 0, 0], BADC: [0, 0, 0, 0], DCBA: [0, 0, 0, 0] } },
  {
    // 0x400921FB54442D18
    dataType: 'float64',
    value: Math.PI,
    words: {
      ABCD: [0x4009, 0x21fb, 0x5444, 0x2d18],
      CDAB: [0x21fb, 0x4009, 0x2d18, 0x5444],
      BADC: [0x0940, 0xfb21, 0x4454, 0x182d],
      DCBA: [0x182d, 0x4454, 0xfb21, 0x0940],
    },
  },
  {
    // 0xC004000000000000
    dataType: 'float64',
    value: -2.5,
    words: {
      ABCD: [0xc004, 0, 0, 0],
      CDAB: [0, 0xc004, 0, 0],
      BADC: [0x04c0, 0, 0, 0],
      DCBA: [0, 0, 0, 0x04c0],
    },
  },
  {
    // 0x3FF0000000000000
    dataType: 'float64',
    value: 1,
    words: {
      ABCD: [0x3ff0, 0, 0, 0],
      CDAB: [0, 0x3ff0, 0, 0],
      BADC: [0xf03f, 0, 0, 0],
      DCBA: [0, 0, 0, 0xf03f],
    },
  },
];

describe('modbus codec', () => {
  describe('registerCount', () => {
    it('counts registers per data type', () => {
      assert.equal(registerCount(tag({ dataType: 'bool', bit: 3 })), 1);
      assert.equal(registerCount(tag({ dataType: 'bool', area: 'coil' })), 1);
      assert.equal(registerCount(tag({ dataType: 'int16' })), 1);
      assert.equal(registerCount(tag({ dataType: 'uint16' })), 1);
      for (const t of ['int32', 'uint32', 'float32'] as const) assert.equal(registerCount(tag({ dataType: t })), 2);
      for (const t of ['int64', 'uint64', 'float64'] as const) assert.equal(registerCount(tag({ dataType: t })), 4);
      assert.equal(registerCount(tag({ dataType: 'string', length: 1 })), 1);
      assert.equal(registerCount(tag({ dataType: 'string', length: 5 })), 3);
      assert.equal(registerCount(tag({ dataType: 'string', length: 246 })), 123);
    });

    it('rejects a string without length', () => {
      assert.throws(() => registerCount(tag({ dataType: 'string' })), /length must be a positive integer/);
    });
  });

  describe('known vectors in every byte order', () => {
    for (const v of VECTORS) {
      for (const order of ORDERS) {
        it(`${v.dataType} ${String(v.value)} ${order}`, () => {
          const t = tag({ dataType: v.dataType, order });
          assert.equal(decodeRegisters(t, v.words[order]), v.value);
          assert.deepEqual(encodeRegisters(t, v.value), v.words[order]);
        });
      }
    }

    it('decodes at an offset inside a larger response with the compiled decoder', () => {
      const d = compileDecoder(tag({ dataType: 'float32', order: 'CDAB' }));
      assert.equal(d([9, 9, 9, 0xe979, 0x42f6, 9], 3), Math.fround(123.456));
    });

    it('returns bigint for 64-bit integers and number for the rest', () => {
      assert.equal(typeof decodeRegisters(tag({ dataType: 'int64' }), [0, 0, 0, 1]), 'bigint');
      assert.equal(typeof decodeRegisters(tag({ dataType: 'uint64' }), [0, 0, 0, 1]), 'bigint');
      assert.equal(typeof decodeRegisters(tag({ dataType: 'uint32' }), [0, 1]), 'number');
    });

    it('rejects too few registers', () => {
      assert.throws(() => decodeRegisters(tag({ dataType: 'float64' }), [0, 0, 0]), /needs 4 register\(s\), got 3/);
    });
  });

  describe('random round trips', () => {
    const next = rng(42);
    const word = (): number => Math.floor(next() * 0x10000);
    const randomValue = (type: DataType): RawValue => {
      switch (type) {
        case 'int16':
          return word() - 0x8000;
        case 'uint16':
          return word();
        case 'int32':
          return (word() << 16) | word();
        case 'uint32':
          return word() * 0x10000 + word();
        case 'int64':
          return BigInt.asIntN(64, (BigInt(word()) << 48n) | (BigInt(word()) << 32n) | (BigInt(word()) << 16n) | BigInt(word()));
        case 'uint64':
          return (BigInt(word()) << 48n) | (BigInt(word()) << 32n) | (BigInt(word()) << 16n) | BigInt(word());
        case 'float32':
          return Math.fround((next() - 0.5) * 10 ** Math.floor(next() * 70 - 35));
        case 'float64':
          return (next() - 0.5) * 10 ** Math.floor(next() * 600 - 300);
        default:
          throw new Error(type);
      }
    };
    const types: DataType[] = ['int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64'];
    for (const type of types) {
      for (const order of ORDERS) {
        it(`${type} ${order}: value -> registers -> value and registers -> value -> registers`, () => {
          const t = tag({ dataType: type, order });
          const n = registerCount(t);
          for (let i = 0; i < 500; i++) {
            const v = randomValue(type);
            const words = encodeRegisters(t, v);
            assert.equal(words.length, n);
            for (const w of words) assert.ok(Number.isInteger(w) && w >= 0 && w <= 0xffff, `word ${w}`);
            assert.equal(decodeRegisters(t, words), v);

            const raw = Array.from({ length: n }, word);
            const decoded = decodeRegisters(t, raw);
            if (typeof decoded === 'number' && Number.isNaN(decoded)) continue; // NaN payloads are not preserved
            assert.deepEqual(encodeRegisters(t, decoded), raw);
          }
        });
      }
    }
  });

  describe('bools', () => {
    it('reads one bit of a register, 0 = least significant', () => {
      for (let bit = 0; bit < 16; bit++) {
        const t = tag({ dataType: 'bool', bit });
        assert.equal(decodeRegisters(t, [1 << bit]), true);
        assert.equal(decodeRegisters(t, [~(1 << bit) & 0xffff]), false);
      }
    });

    it('reads a register bool without bit as register != 0', () => {
      const t = tag({ dataType: 'bool' });
      assert.equal(decodeRegisters(t, [0]), false);
      assert.equal(decodeRegisters(t, [0x8000]), true);
      assert.deepEqual(encodeRegisters(t, true), [1]);
      assert.deepEqual(encodeRegisters(t, false), [0]);
    });

    it('reads coils from booleans or 0/1', () => {
      const d = compileDecoder(tag({ dataType: 'bool', area: 'coil' }));
      assert.equal(d([0, 1, 0], 1), true);
      assert.equal(d([0, 1, 0], 2), false);
      assert.deepEqual(decodeBits([true, false, 1, 0]), [true, false, true, false]);
    });

    it('writes register bits by read-modify-write or FC22 masks, never as a whole register', () => {
      assert.equal(withBit(0x00f0, 0, true), 0x00f1);
      assert.equal(withBit(0x00f1, 4, false), 0x00e1);
      assert.equal(withBit(0xffff, 15, false), 0x7fff);
      assert.equal(withBit(0x0000, 15, true), 0x8000);
      assert.deepEqual(maskWriteFor(3, true), { andMask: 0xfff7, orMask: 0x0008 });
      assert.deepEqual(maskWriteFor(3, false), { andMask: 0xfff7, orMask: 0 });
      assert.throws(() => encodeRegisters(tag({ dataType: 'bool', bit: 3 }), true), /withBit/);
    });

    it('rejects a bit outside 0..15', () => {
      assert.throws(() => compileDecoder(tag({ dataType: 'bool', bit: 16 })), /bit must be 0..15/);
    });
  });

  describe('strings', () => {
    it('packs two characters per register, high byte first for ABCD/CDAB, low first for BADC/DCBA', () => {
      const words = { hi: [0x4845, 0x4c4c, 0x4f00], lo: [0x4548, 0x4c4c, 0x004f] };
      for (const order of ORDERS) {
        const t = tag({ dataType: 'string', length: 5, order });
        const w = order === 'ABCD' || order === 'CDAB' ? words.hi : words.lo;
        assert.deepEqual(encodeRegisters(t, 'HELLO'), w);
        assert.equal(decodeRegisters(t, w), 'HELLO');
      }
    });

    it('pads with NUL and trims trailing NULs and spaces, keeps leading spaces', () => {
      const t = tag({ dataType: 'string', length: 8 });
      assert.deepEqual(encodeRegisters(t, 'AB'), [0x4142, 0, 0, 0]);
      assert.equal(decodeRegisters(t, [0x4142, 0, 0, 0]), 'AB');
      assert.equal(decodeRegisters(t, [0x2041, 0x4220, 0x2020, 0x2020]), ' AB');
      assert.equal(decodeRegisters(t, [0, 0, 0, 0]), '');
      assert.deepEqual(encodeValue(t, ''), [0, 0, 0, 0]);
    });

    it('stops at the first NUL, ignoring stale bytes behind it', () => {
      const t = tag({ dataType: 'string', length: 8 });
      assert.equal(decodeRegisters(t, [0x4f4b, 0x0058, 0x5858, 0x5858]), 'OK');
    });

    it('reads only `length` characters of an odd-length string', () => {
      const t = tag({ dataType: 'string', length: 3 });
      assert.equal(decodeRegisters(t, [0x4142, 0x435a]), 'ABC');
      const lo = tag({ dataType: 'string', length: 3, order: 'DCBA' });
      assert.equal(decodeRegisters(lo, [0x4241, 0x5a43]), 'ABC');
    });

    it('shows bytes outside printable ASCII as U+FFFD', () => {
      const t = tag({ dataType: 'string', length: 4 });
      assert.equal(decodeRegisters(t, [0x41e9, 0x0742]), 'A\uFFFD\uFFFDB');
    });

    it('round trips random printable strings in every order', () => {
      const next = rng(7);
      for (const order of ORDERS) {
        for (let i = 0; i < 200; i++) {
          const length = 1 + Math.floor(next() * 20);
          const t = tag({ dataType: 'string', length, order });
          const n = Math.floor(next() * (length + 1));
          let s = '';
          for (let k = 0; k < n; k++) s += String.fromCharCode(0x21 + Math.floor(next() * 94)); // no trailing-space ambiguity
          assert.equal(decodeRegisters(t, encodeRegisters(t, s)), s);
        }
      }
    });
  });

  describe('scaling', () => {
    it('applies engineering = raw * gain + offset', () => {
      const t = tag({ dataType: 'int16', scaling: { gain: 0.5, offset: -10 } });
      assert.equal(toEngineering(t, 100), 40);
      assert.equal(fromEngineering(t, 40), 100);
    });

    it('applies a decimal gain without float noise', () => {
      const t = tag({ dataType: 'uint16', scaling: { gain: 0.1, offset: 0 } });
      assert.equal(toEngineering(t, 1234), 123.4);
      assert.equal(compileReader(t)([1234], 0), 123.4);
      assert.equal(fromEngineering(t, 123.4), 1234);
      const c = tag({ dataType: 'int32', scaling: { gain: 0.01, offset: 0 } });
      assert.equal(toEngineering(c, -2005), -20.05);
    });

    it('passes bools and strings, and unscaled numbers, through', () => {
      assert.equal(toEngineering(tag({ dataType: 'bool' }), true), true);
      assert.equal(toEngineering(tag({ dataType: 'string', length: 2 }), 'ab'), 'ab');
      assert.equal(toEngineering(tag({ dataType: 'float32' }), 1.5), 1.5);
    });

    it('turns 64-bit raw values into numbers', () => {
      const t = tag({ dataType: 'uint64' });
      assert.equal(toEngineering(t, 2n ** 53n), 2 ** 53);
      assert.equal(compileReader(t)([0x0020, 0, 0, 0], 0), 2 ** 53);
      const s = tag({ dataType: 'int64', scaling: { gain: 0.001, offset: 0 } });
      assert.equal(compileReader(s)([0xffff, 0xffff, 0xffff, 0xfc18], 0), -1);
    });

    it('compiled readers fuse decode and scaling', () => {
      const t = tag({ dataType: 'float32', order: 'DCBA', scaling: { gain: 2, offset: 1 } });
      assert.equal(compileReader(t)([0x0000, 0x80bf], 0), -1);
      const plain = tag({ dataType: 'float32', order: 'DCBA', scaling: { gain: 1, offset: 0 } });
      assert.equal(compileReader(plain)([0x0000, 0x80bf], 0), -1);
    });

    it('rounds integers half away from zero after unscaling', () => {
      const t = tag({ dataType: 'int16' });
      assert.equal(fromEngineering(t, 2.5), 3);
      assert.equal(fromEngineering(t, -2.5), -3);
      assert.equal(fromEngineering(t, 2.4999), 2);
      assert.equal(fromEngineering(t, -0.4), 0);
      const s = tag({ dataType: 'int16', scaling: { gain: 0.1, offset: 0 } });
      assert.equal(fromEngineering(s, 0.15), 2); // 0.15 / 0.1 = 1.4999999999999998 in doubles
      assert.equal(fromEngineering(s, -0.15), -2);
      assert.equal(roundHalfAway(1e300), 1e300);
    });

    it('keeps floats unrounded', () => {
      const t = tag({ dataType: 'float32', scaling: { gain: 2, offset: 0 } });
      assert.equal(fromEngineering(t, 3), 1.5);
    });

    it('writes exact bigints to unscaled 64-bit tags', () => {
      assert.equal(fromEngineering(tag({ dataType: 'uint64' }), 2n ** 64n - 1n), 2n ** 64n - 1n);
      assert.equal(fromEngineering(tag({ dataType: 'int64' }), -5), -5n);
      assert.deepEqual(encodeValue(tag({ dataType: 'int64', order: 'CDAB' }), -2), [0xffff, 0xffff, 0xfffe, 0xffff]);
    });

    it('accepts bools only as true, false, 0 or 1', () => {
      const t = tag({ dataType: 'bool', area: 'coil' });
      assert.equal(fromEngineering(t, true), true);
      assert.equal(fromEngineering(t, 0), false);
      assert.equal(fromEngineering(t, 1), true);
      assert.equal(fromEngineering(t, false), false);
    });
  });

  describe('fromEngineering errors', () => {
    const name = 'plant/l1/m1/speed';
    const cases: [string, Tag, unknown, string][] = [
      ['wrong JS type', tag({ dataType: 'float32' }), 'abc', `tag ${name} is float32: expected a number, got string 'abc'`],
      ['null', tag({ dataType: 'int16' }), null, `tag ${name} is int16: expected a number, got null`],
      ['undefined', tag({ dataType: 'uint32' }), undefined, `tag ${name} is uint32: expected a number, got undefined`],
      ['object', tag({ dataType: 'int64' }), {}, `tag ${name} is int64: expected a number, got object`],
      ['boolean', tag({ dataType: 'float64' }), true, `tag ${name} is float64: expected a number, got boolean true`],
      ['NaN', tag({ dataType: 'float64' }), NaN, `tag ${name} is float64: expected a finite number, got NaN`],
      ['Infinity', tag({ dataType: 'int32' }), -Infinity, `tag ${name} is int32: expected a finite number, got -Infinity`],
      ['int16 range', tag({ dataType: 'int16' }), 32768, `tag ${name} is int16: value 32768 is out of range -32768..32767`],
      ['int16 rounding', tag({ dataType: 'int16' }), 32767.5, `tag ${name} is int16: value 32767.5 is out of range -32768..32767`],
      ['uint16 negative', tag({ dataType: 'uint16' }), -1, `tag ${name} is uint16: value -1 is out of range 0..65535`],
      ['int32 range', tag({ dataType: 'int32' }), 2 ** 31, `tag ${name} is int32: value 2147483648 is out of range -2147483648..2147483647`],
      ['uint32 range', tag({ dataType: 'uint32' }), 2 ** 32, `tag ${name} is uint32: value 4294967296 is out of range 0..4294967295`],
      [
        'int64 range',
        tag({ dataType: 'int64' }),
        2n ** 63n,
        `tag ${name} is int64: value 9223372036854775808 is out of range -9223372036854775808..9223372036854775807`,
      ],
      ['uint64 negative', tag({ dataType: 'uint64' }), -1, `tag ${name} is uint64: value -1 is out of range 0..18446744073709551615`],
      ['float32 range', tag({ dataType: 'float32' }), 1e39, `tag ${name} is float32: value 1e+39 is out of range ±3.4028234663852886e+38`],
      [
        'range after scaling',
        tag({ dataType: 'uint16', scaling: { gain: 0.1, offset: 0 } }),
        6553.6,
        `tag ${name} is uint16: value 6553.6 gives raw 65536 after scaling, which is out of range 0..65535`,
      ],
      [
        'zero gain',
        tag({ dataType: 'uint16', scaling: { gain: 0, offset: 5 } }),
        5,
        `tag ${name} is uint16: scaling gain 0 cannot be inverted, the tag cannot be written`,
      ],
      ['string type', tag({ dataType: 'string', length: 4 }), 12, `tag ${name} is string(4): expected a string, got number 12`],
      ['string length', tag({ dataType: 'string', length: 4 }), 'abcde', `tag ${name} is string(4): 'abcde' has 5 characters, at most 4 fit`],
      [
        'string non-ASCII',
        tag({ dataType: 'string', length: 8 }),
        'caf\u00e9',
        `tag ${name} is string(8): character "\u00e9" (U+00E9) at position 3 is not printable ASCII (0x20..0x7E)`,
      ],
      [
        'string control character',
        tag({ dataType: 'string', length: 8 }),
        'a\nb',
        `tag ${name} is string(8): character "\\n" (U+000A) at position 1 is not printable ASCII (0x20..0x7E)`,
      ],
      ['bool 2', tag({ dataType: 'bool', area: 'coil' }), 2, `tag ${name} is bool: expected true, false, 0 or 1, got number 2`],
      ['bool string', tag({ dataType: 'bool', bit: 1 }), 'true', `tag ${name} is bool: expected true, false, 0 or 1, got string 'true'`],
    ];
    for (const [label, t, value, message] of cases) {
      it(label, () => {
        assert.throws(
          () => fromEngineering(t, value),
          (e: unknown) => {
            assert.ok(e instanceof TagValueError);
            assert.equal(e.name, 'TagValueError');
            assert.equal(e.tag, name);
            assert.equal(e.message, message);
            return true;
          },
        );
      });
    }

    it('truncates long strings in messages', () => {
      assert.throws(() => fromEngineering(tag({ dataType: 'int16' }), 'x'.repeat(100)), /got string 'x{40}\.\.\.'$/);
    });
  });

  describe('encodeRegisters checks raw values', () => {
    it('rejects raw values of the wrong type or range', () => {
      assert.throws(() => encodeRegisters(tag({ dataType: 'int16' }), 40000), TagValueError);
      assert.throws(() => encodeRegisters(tag({ dataType: 'uint32' }), 1.5), TagValueError);
      assert.throws(() => encodeRegisters(tag({ dataType: 'float32' }), 'x'), TagValueError);
      assert.throws(() => encodeRegisters(tag({ dataType: 'uint64' }), -1n), TagValueError);
      assert.throws(() => encodeRegisters(tag({ dataType: 'bool' }), 1), TagValueError);
    });
  });
});
