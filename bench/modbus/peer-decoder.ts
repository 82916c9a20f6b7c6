/**
 * The decoding a user of node-red-contrib-modbus adds after each Modbus-Read node to get named
 * engineering values: one Function node per read block, written the way a careful user writes it
 * (straight-line Buffer reads of `msg.responseBuffer.buffer`, a scratch buffer for swapped word
 * orders, scaling as written in the tag list). Generated here from the layout so it cannot drift
 * from the tags, but it is ordinary hand-style code: print it with BENCH_SHOW_DECODER=1.
 */
import type { ReadBlock } from '../../nodes/modbus/plan';
import type { BenchTag } from './layout';

function expression(tag: BenchTag, o: number): string {
  const be = tag.order === 'ABCD' || tag.order === 'CDAB';
  let raw: string;
  switch (tag.dataType) {
    case 'bool':
      return `(b.readUInt16BE(${o}) & 0x${(1 << (tag.bit ?? 0)).toString(16)}) !== 0`;
    case 'string':
      return `str(${o}, ${tag.length ?? 0}, ${be ? 'false' : 'true'})`;
    case 'uint16':
      raw = `b.readUInt16${be ? 'BE' : 'LE'}(${o})`;
      break;
    case 'int16':
      raw = `b.readInt16${be ? 'BE' : 'LE'}(${o})`;
      break;
    case 'uint32':
      raw = {
        ABCD: `b.readUInt32BE(${o})`,
        DCBA: `b.readUInt32LE(${o})`,
        CDAB: `b.readUInt16BE(${o + 2}) * 65536 + b.readUInt16BE(${o})`,
        BADC: `b.readUInt16LE(${o}) * 65536 + b.readUInt16LE(${o + 2})`,
      }[tag.order];
      break;
    case 'int32':
      raw = {
        ABCD: `b.readInt32BE(${o})`,
        DCBA: `b.readInt32LE(${o})`,
        CDAB: `(b.readUInt16BE(${o + 2}) << 16) | b.readUInt16BE(${o})`,
        BADC: `(b.readUInt16LE(${o}) << 16) | b.readUInt16LE(${o + 2})`,
      }[tag.order];
      break;
    case 'float32':
      raw = {
        ABCD: `b.readFloatBE(${o})`,
        DCBA: `b.readFloatLE(${o})`,
        CDAB: `f32(${o + 2}, ${o + 3}, ${o}, ${o + 1})`,
        BADC: `f32(${o + 1}, ${o}, ${o + 3}, ${o + 2})`,
      }[tag.order];
      break;
    case 'float64':
      raw = {
        ABCD: `b.readDoubleBE(${o})`,
        DCBA: `b.readDoubleLE(${o})`,
        CDAB: `f64(${[2, 3, 0, 1, 6, 7, 4, 5].map((i) => o + i).join(', ')})`,
        BADC: `f64(${[1, 0, 3, 2, 5, 4, 7, 6].map((i) => o + i).join(', ')})`,
      }[tag.order];
      break;
    default:
      throw new Error(`peer decoder: ${tag.dataType} is not in the bench layout`);
  }
  if (tag.divisor !== undefined) return `${raw} / ${tag.divisor}`;
  if (tag.linear !== undefined) return `${raw} * 100 / 27648`; // the tank's 0..27648 -> 0..100 %
  return raw;
}

const HELPERS = `const b = msg.responseBuffer.buffer; // the registers as received, big endian
const s = Buffer.allocUnsafe(8);
function f32(i0, i1, i2, i3) {
  s[0] = b[i0]; s[1] = b[i1]; s[2] = b[i2]; s[3] = b[i3];
  return s.readFloatBE(0);
}
function f64(i0, i1, i2, i3, i4, i5, i6, i7) {
  s[0] = b[i0]; s[1] = b[i1]; s[2] = b[i2]; s[3] = b[i3]; s[4] = b[i4]; s[5] = b[i5]; s[6] = b[i6]; s[7] = b[i7];
  return s.readDoubleBE(0);
}
function str(o, n, lowFirst) {
  let t = '';
  for (let i = 0; i < n; i++) {
    const c = b[o + (lowFirst ? i ^ 1 : i)];
    if (c === 0) break;
    t += String.fromCharCode(c);
  }
  return t.trimEnd();
}
const v = {};
`;

/** Function-node source that decodes one read block's response into `msg.payload` = { name: value }. */
export function decoderSource(block: ReadBlock, tags: readonly BenchTag[]): string {
  const lines = [`// hr:${block.start} +${block.count}: ${block.items.length} tags`, HELPERS];
  for (const item of block.items) {
    const tag = tags[item.tagIndex];
    lines.push(`v[${JSON.stringify(tag.name)}] = ${expression(tag, item.offset * 2)};`);
  }
  lines.push('msg.payload = v;', 'return msg;');
  return lines.join('\n');
}
