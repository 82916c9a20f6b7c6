/**
 * The register layout of the Modbus benchmark: 500 mixed-type tags over 1,000 holding registers,
 * deterministic, with the register image a device would hold and the engineering value each tag must
 * decode to.
 *
 * 25 machines of 20 tags, 40 registers each (machine m starts at register 40 m):
 *
 * | reg   | tag            | type     | order                          | scaling / note                 |
 * |-------|----------------|----------|--------------------------------|--------------------------------|
 * | 0     | state          | uint16   |                                |                                |
 * | 1     | count16        | uint16   |                                |                                |
 * | 2     | temperature    | int16    |                                | gain 0.1, °C                   |
 * | 3     | pressure       | int16    |                                | gain 0.01, bar                 |
 * | 4-5   | goodCount      | uint32   | ABCD / CDAB                    |                                |
 * | 6-7   | position       | int32    | CDAB / DCBA / BADC / ABCD      |                                |
 * | 8-9   | speed          | float32  | ABCD                           |                                |
 * | 10-11 | flow           | float32  | CDAB                           |                                |
 * | 12-13 | level          | float32  | BADC / DCBA                    |                                |
 * | 14-17 | energy         | float64  | ABCD / CDAB / DCBA / BADC      |                                |
 * | 18    | running, fault, door, estop | bool | bits 0, 3, 7, 15      |                                |
 * | 19    | tank           | uint16   |                                | range 0..27648 -> 0..100 %     |
 * | 20-21 | energyCounter  | uint32   | DCBA                           |                                |
 * | 22    | torque         | int16    | BADC (byte swap)               |                                |
 * | 23-30 | product        | string   | 16 chars, ABCD / BADC          | every 5th machine              |
 * | 23-26 | totalizer      | float64  | cycling                        | the other machines (27-30 gap) |
 * | 31-32 | setpoint       | float32  | DCBA                           |                                |
 * | 33    | alarms         | uint16   |                                |                                |
 * | 34-39 | (gap)          |          |                                | unused registers               |
 *
 * The image is encoded here with Buffer, independently of the hub's codec, so checking a contender's
 * values against `expected` checks its decoding.
 */
import type { ByteOrder, DataType, TagRow } from '../../nodes/tags/tag';

export const MACHINES = 25;
export const TAGS_PER_MACHINE = 20;
export const REGISTERS_PER_MACHINE = 40;
export const REGISTERS = MACHINES * REGISTERS_PER_MACHINE;
export const UNIT_ID = 1;

export type Value = number | boolean | string;

export interface BenchTag {
  readonly name: string;
  readonly address: number;
  readonly bit?: number;
  readonly dataType: DataType;
  readonly order: ByteOrder;
  readonly length?: number;
  /** engineering = raw / divisor (gains like 0.1 are written as a division, as the hub applies them). */
  readonly divisor?: number;
  /** engineering = raw * gain + offset (range scaling). */
  readonly linear?: { readonly gain: number; readonly offset: number };
  readonly unit: string;
  readonly row: TagRow;
  readonly expected: Value;
}

export interface Layout {
  readonly tags: readonly BenchTag[];
  /** Holding registers 0..REGISTERS-1. */
  readonly image: Uint16Array;
}

const ORDERS4: readonly ByteOrder[] = ['ABCD', 'CDAB', 'DCBA', 'BADC'];

/** Big-endian bytes of a value (A B C D [E F G H]) -> registers in the device's order. */
function wordsOf(bytes: Buffer, order: ByteOrder): number[] {
  const n = bytes.length / 2;
  const be: number[] = [];
  for (let i = 0; i < n; i++) be.push(bytes.readUInt16BE(2 * i));
  const sw = (w: number): number => ((w & 0xff) << 8) | (w >>> 8);
  switch (order) {
    case 'ABCD':
      return be;
    case 'CDAB': {
      // 32-bit: CD AB; 64-bit: W2 W1 W4 W3 (words swapped inside each 32-bit half).
      const out: number[] = [];
      for (let i = 0; i < n; i += 2) out.push(be[i + 1], be[i]);
      return n === 1 ? be : out;
    }
    case 'BADC':
      return be.map(sw);
    case 'DCBA':
      return be.reverse().map(sw);
  }
}

function bytes(write: (b: Buffer) => void, size: number): Buffer {
  const b = Buffer.alloc(size);
  write(b);
  return b;
}

function stringWords(text: string, length: number, lowFirst: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < length; i += 2) {
    const first = i < text.length ? text.charCodeAt(i) : 0;
    const second = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
    out.push(lowFirst ? (second << 8) | first : (first << 8) | second);
  }
  return out;
}

function fmt(n: number): string {
  return String(n);
}

/** The deterministic layout (same result on every call). */
export function buildLayout(): Layout {
  const tags: BenchTag[] = [];
  const image = new Uint16Array(REGISTERS);
  const put = (address: number, words: readonly number[]): void => {
    for (let i = 0; i < words.length; i++) {
      if (image[address + i] !== 0) throw new Error(`layout: register ${address + i} written twice`);
      image[address + i] = words[i];
    }
  };
  const add = (tag: Omit<BenchTag, 'row' | 'unit'> & { unit?: string }): void => {
    const row: TagRow = {
      name: tag.name,
      address: tag.bit === undefined ? `hr:${tag.address}` : `hr:${tag.address}.${tag.bit}`,
      dataType: tag.dataType,
    };
    if (tag.order !== 'ABCD') row.order = tag.order;
    if (tag.length !== undefined) row.length = fmt(tag.length);
    if (tag.divisor !== undefined) row.gain = fmt(1 / tag.divisor);
    if (tag.unit) row.unit = tag.unit;
    tags.push({ ...tag, unit: tag.unit ?? '', row });
  };

  for (let m = 0; m < MACHINES; m++) {
    const base = m * REGISTERS_PER_MACHINE;
    const path = `plant/bench/line1/m${String(m + 1).padStart(2, '0')}`;
    const name = (t: string): string => `${path}/${t}`;

    const state = (m * 7 + 3) % 6;
    add({ name: name('state'), address: base, dataType: 'uint16', order: 'ABCD', expected: state });
    put(base, [state]);

    const count16 = (m * 2654 + 12345) & 0xffff;
    add({ name: name('count16'), address: base + 1, dataType: 'uint16', order: 'ABCD', expected: count16 });
    put(base + 1, [count16]);

    const temp = -400 + m * 37;
    add({ name: name('temperature'), address: base + 2, dataType: 'int16', order: 'ABCD', divisor: 10, unit: '°C', expected: temp / 10 });
    put(base + 2, [temp & 0xffff]);

    const pressure = 1000 - m * 91;
    add({ name: name('pressure'), address: base + 3, dataType: 'int16', order: 'ABCD', divisor: 100, unit: 'bar', expected: pressure / 100 });
    put(base + 3, [pressure & 0xffff]);

    const good = 100000 + m * 1234567;
    const goodOrder: ByteOrder = m % 2 === 0 ? 'ABCD' : 'CDAB';
    add({ name: name('goodCount'), address: base + 4, dataType: 'uint32', order: goodOrder, expected: good });
    put(base + 4, wordsOf(bytes((b) => b.writeUInt32BE(good), 4), goodOrder));

    const position = (m % 2 === 1 ? -1 : 1) * (m * 98765 + 4321);
    const posOrder = (['CDAB', 'DCBA', 'BADC', 'ABCD'] as const)[m % 4];
    add({ name: name('position'), address: base + 6, dataType: 'int32', order: posOrder, unit: 'µm', expected: position });
    put(base + 6, wordsOf(bytes((b) => b.writeInt32BE(position), 4), posOrder));

    // float32 values exactly representable, so a float32 read gives the same double back.
    const speed = 12.5 + m * 0.25;
    add({ name: name('speed'), address: base + 8, dataType: 'float32', order: 'ABCD', unit: 'ppm', expected: speed });
    put(base + 8, wordsOf(bytes((b) => b.writeFloatBE(speed), 4), 'ABCD'));

    const flow = -3.75 * (m + 1);
    add({ name: name('flow'), address: base + 10, dataType: 'float32', order: 'CDAB', unit: 'l/min', expected: flow });
    put(base + 10, wordsOf(bytes((b) => b.writeFloatBE(flow), 4), 'CDAB'));

    const level = 1000.125 + m;
    const levelOrder: ByteOrder = m % 2 === 0 ? 'BADC' : 'DCBA';
    add({ name: name('level'), address: base + 12, dataType: 'float32', order: levelOrder, unit: 'mm', expected: level });
    put(base + 12, wordsOf(bytes((b) => b.writeFloatBE(level), 4), levelOrder));

    const energy = 123456.789 * (m + 1) + 0.001;
    const energyOrder = ORDERS4[m % 4];
    add({ name: name('energy'), address: base + 14, dataType: 'float64', order: energyOrder, unit: 'kWh', expected: energy });
    put(base + 14, wordsOf(bytes((b) => b.writeDoubleBE(energy), 8), energyOrder));

    const bits: [string, number, boolean][] = [
      ['running', 0, m % 3 !== 0],
      ['fault', 3, m % 4 === 1],
      ['door', 7, m % 2 === 0],
      ['estop', 15, m % 5 === 2],
    ];
    let word = 0;
    for (const [t, bit, on] of bits) {
      add({ name: name(t), address: base + 18, bit, dataType: 'bool', order: 'ABCD', expected: on });
      if (on) word |= 1 << bit;
    }
    put(base + 18, [word & 0xffff]);

    const tankRaw = (m * 1021) % 27649;
    const gain = 100 / 27648;
    tags.push({
      name: name('tank'),
      address: base + 19,
      dataType: 'uint16',
      order: 'ABCD',
      linear: { gain, offset: 0 },
      unit: '%',
      expected: tankRaw * gain + 0,
      row: { name: name('tank'), address: `hr:${base + 19}`, dataType: 'uint16', rawLow: '0', rawHigh: '27648', engLow: '0', engHigh: '100', unit: '%' },
    });
    put(base + 19, [tankRaw]);

    const counter = 4000000000 - m * 11111111;
    add({ name: name('energyCounter'), address: base + 20, dataType: 'uint32', order: 'DCBA', unit: 'Wh', expected: counter });
    put(base + 20, wordsOf(bytes((b) => b.writeUInt32BE(counter), 4), 'DCBA'));

    const torque = -1234 + m * 100;
    add({ name: name('torque'), address: base + 22, dataType: 'int16', order: 'BADC', unit: 'Nm', expected: torque });
    put(base + 22, wordsOf(bytes((b) => b.writeInt16BE(torque), 2), 'BADC'));

    if (m % 5 === 0) {
      const text = `PRODUCT-${m}-X${'ABCDEFG'.slice(0, m % 7)}`.slice(0, 16);
      const lowFirst = m % 10 === 5;
      add({ name: name('product'), address: base + 23, dataType: 'string', order: lowFirst ? 'BADC' : 'ABCD', length: 16, expected: text });
      put(base + 23, stringWords(text, 16, lowFirst));
    } else {
      const total = -98765.4321 * m;
      const order = ORDERS4[(m + 1) % 4];
      add({ name: name('totalizer'), address: base + 23, dataType: 'float64', order, unit: 'm³', expected: total });
      put(base + 23, wordsOf(bytes((b) => b.writeDoubleBE(total), 8), order));
    }

    const setpoint = 0.5 * m - 2;
    add({ name: name('setpoint'), address: base + 31, dataType: 'float32', order: 'DCBA', unit: 'bar', expected: setpoint });
    put(base + 31, wordsOf(bytes((b) => b.writeFloatBE(setpoint), 4), 'DCBA'));

    const alarms = 1 << (m % 16);
    add({ name: name('alarms'), address: base + 33, dataType: 'uint16', order: 'ABCD', expected: alarms });
    put(base + 33, [alarms]);
  }
  if (tags.length !== MACHINES * TAGS_PER_MACHINE) throw new Error(`layout: ${tags.length} tags`);
  return { tags, image };
}

/** Numbers equal to 1e-12 relative (scaled values may differ in the last bit by how a user writes the formula). */
export function sameValue(got: unknown, want: Value): boolean {
  if (typeof got !== typeof want) return false;
  if (typeof want === 'number' && typeof got === 'number') {
    return got === want || Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want));
  }
  return got === want;
}

/** Compares a contender's values (by tag name) with the layout; returns the mismatches as text. */
export function mismatches(tags: readonly BenchTag[], values: ReadonlyMap<string, unknown>): string[] {
  const out: string[] = [];
  for (const t of tags) {
    if (!values.has(t.name)) out.push(`${t.name}: missing`);
    else if (!sameValue(values.get(t.name), t.expected)) {
      out.push(`${t.name} (${t.dataType} ${t.order}): got ${JSON.stringify(values.get(t.name))}, want ${JSON.stringify(t.expected)}`);
    }
  }
  return out;
}
