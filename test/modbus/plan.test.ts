import assert from 'node:assert/strict';
import type { DataType, ModbusArea, Scaling, Tag } from '../../nodes/tags/tag';
import type { EngValue, RawValue } from '../../nodes/modbus/codec';
import { registerCount } from '../../nodes/modbus/codec';
import type { PlanOptions, ReadPlan } from '../../nodes/modbus/plan';
import { PlanError, compileDecoders, decodeBlock, planReads, planStats } from '../../nodes/modbus/plan';

interface Spec {
  area?: ModbusArea;
  type?: DataType;
  bit?: number;
  unitId?: number;
  length?: number;
  scaling?: Scaling;
}

let serial = 0;
function mb(address: number, spec: Spec = {}): Tag {
  const area = spec.area ?? 'holding';
  const type = spec.type ?? (area === 'coil' || area === 'discrete' ? 'bool' : 'uint16');
  return {
    name: `plant/l1/m1/t${serial++}`,
    address: {
      protocol: 'modbus',
      area,
      address,
      ...(spec.bit === undefined ? {} : { bit: spec.bit }),
      ...(spec.unitId === undefined ? {} : { unitId: spec.unitId }),
    },
    dataType: type,
    order: 'ABCD',
    ...(spec.length === undefined ? {} : { length: spec.length }),
    ...(spec.scaling === undefined ? {} : { scaling: spec.scaling }),
    unit: '',
    access: 'read',
    deadband: 0,
    description: '',
  };
}

const OPTS: PlanOptions = { defaultUnitId: 1 };

/** [start, count] per block, the shape most tests care about. */
function spans(plan: ReadPlan): [number, number][] {
  return plan.blocks.map((b) => [b.start, b.count]);
}

/** Invariants every plan must satisfy, whatever the layout. */
function checkPlan(tags: readonly Tag[], plan: ReadPlan, options: PlanOptions): void {
  const seen = new Array<number>(tags.length).fill(0);
  const maxGap = options.maxGap ?? 10;
  for (const b of plan.blocks) {
    const bits = b.functionCode <= 2;
    assert.ok(b.count <= (bits ? (options.maxBits ?? 2000) : (options.maxRegisters ?? 125)), `block too large: ${b.count}`);
    let covered = 0;
    for (const it of b.items) {
      const t = tags[it.tagIndex];
      assert.ok(t.address.protocol === 'modbus');
      seen[it.tagIndex]++;
      assert.equal(b.start + it.offset, t.address.address, 'offset points at the tag');
      assert.equal(it.count, registerCount(t));
      assert.ok(it.offset >= 0 && it.offset + it.count <= b.count, 'tag straddles the block end');
      assert.ok(it.offset - covered <= maxGap || covered === 0, `gap ${it.offset - covered} > ${maxGap}`);
      covered = Math.max(covered, it.offset + it.count);
      assert.equal(t.address.unitId ?? options.defaultUnitId, b.unitId);
      assert.equal(t.address.area, b.area);
    }
    assert.equal(covered, b.count, 'block ends with a tag');
    assert.equal(b.items[0].offset, 0, 'block starts with a tag');
  }
  assert.deepEqual(seen, new Array<number>(tags.length).fill(1), 'every tag read exactly once');
  const keys = plan.blocks.map((b) => [b.unitId, b.functionCode, b.start]);
  const sorted = [...keys].sort((x, y) => x[0] - y[0] || x[1] - y[1] || x[2] - y[2]);
  assert.deepEqual(keys, sorted, 'blocks sorted by unit, FC, start');
}

function plan(tags: readonly Tag[], options: PlanOptions = OPTS): ReadPlan {
  const p = planReads(tags, options);
  checkPlan(tags, p, options);
  return p;
}

describe('modbus read planner', () => {
  it('plans nothing for no tags', () => {
    assert.deepEqual(planReads([], OPTS), { blocks: [] });
  });

  it('merges adjacent tags into one request', () => {
    const p = plan([mb(0), mb(1), mb(2), mb(3, { type: 'float32' }), mb(5, { type: 'float64' })]);
    assert.deepEqual(spans(p), [[0, 9]]);
    assert.equal(p.blocks[0].functionCode, 3);
    assert.equal(p.blocks[0].unitId, 1);
    assert.deepEqual(
      p.blocks[0].items.map((i) => i.offset),
      [0, 1, 2, 3, 5],
    );
  });

  it('bridges gaps up to maxGap (default 10) and no further', () => {
    assert.deepEqual(spans(plan([mb(0), mb(11)])), [[0, 12]]); // gap of 10
    assert.deepEqual(spans(plan([mb(0), mb(12)])), [
      [0, 1],
      [12, 1],
    ]); // gap of 11
    assert.deepEqual(spans(plan([mb(0, { type: 'float32' }), mb(12)])), [[0, 13]]);
  });

  it('maxGap 0 joins only adjacent or overlapping tags', () => {
    const o = { ...OPTS, maxGap: 0 };
    assert.deepEqual(spans(plan([mb(0), mb(1)], o)), [[0, 2]]);
    assert.deepEqual(spans(plan([mb(0), mb(2)], o)), [
      [0, 1],
      [2, 1],
    ]);
    assert.deepEqual(spans(plan([mb(0, { type: 'uint32' }), mb(1)], o)), [[0, 2]]); // a word inside a dword
  });

  it('honours a custom maxGap', () => {
    const o = { ...OPTS, maxGap: 50 };
    assert.deepEqual(spans(plan([mb(0), mb(51)], o)), [[0, 52]]);
    assert.deepEqual(spans(plan([mb(0), mb(52)], o)), [
      [0, 1],
      [52, 1],
    ]);
  });

  it('fits exactly 125 registers in one request and splits at 126', () => {
    const o = { ...OPTS, maxGap: 1000 };
    assert.deepEqual(spans(plan([mb(0), mb(124)], o)), [[0, 125]]);
    assert.deepEqual(spans(plan([mb(0), mb(125)], o)), [
      [0, 1],
      [125, 1],
    ]);
    const contiguous = Array.from({ length: 126 }, (_, i) => mb(1000 + i));
    assert.deepEqual(spans(plan(contiguous)), [
      [1000, 125],
      [1125, 1],
    ]);
  });

  it('fits exactly 2000 bits in one request and splits at 2001', () => {
    const o = { ...OPTS, maxGap: 5000 };
    const p = plan([mb(0, { area: 'coil' }), mb(1999, { area: 'coil' })], o);
    assert.deepEqual(spans(p), [[0, 2000]]);
    assert.equal(p.blocks[0].functionCode, 1);
    assert.deepEqual(spans(plan([mb(0, { area: 'discrete' }), mb(2000, { area: 'discrete' })], o)), [
      [0, 1],
      [2000, 1],
    ]);
    const contiguous = Array.from({ length: 2001 }, (_, i) => mb(i, { area: 'discrete' }));
    const q = plan(contiguous);
    assert.deepEqual(spans(q), [
      [0, 2000],
      [2000, 1],
    ]);
    assert.equal(q.blocks[0].functionCode, 2);
  });

  it('honours lower device limits', () => {
    const tags = Array.from({ length: 30 }, (_, i) => mb(i));
    assert.deepEqual(spans(plan(tags, { ...OPTS, maxRegisters: 16 })), [
      [0, 16],
      [16, 14],
    ]);
    const coils = Array.from({ length: 30 }, (_, i) => mb(i, { area: 'coil' }));
    assert.deepEqual(spans(plan(coils, { ...OPTS, maxBits: 8 })), [
      [0, 8],
      [8, 8],
      [16, 8],
      [24, 6],
    ]);
  });

  it('never lets a tag straddle two requests', () => {
    const o = { ...OPTS, maxRegisters: 10 };
    const tags = [...Array.from({ length: 8 }, (_, i) => mb(i)), mb(8, { type: 'float64' }), mb(12, { type: 'float32' })];
    assert.deepEqual(spans(plan(tags, o)), [
      [0, 8],
      [8, 6],
    ]);
    // A 123-register string fills a request; the 125-register limit is never split across tags.
    const str = mb(0, { type: 'string', length: 246 });
    assert.deepEqual(spans(plan([str, mb(123, { type: 'float32' })])), [
      [0, 125],
    ]);
    assert.deepEqual(spans(plan([str, mb(123, { type: 'float64' })])), [
      [0, 123],
      [123, 4],
    ]);
  });

  it('reads up to the last address 65535', () => {
    assert.deepEqual(spans(plan([mb(65534, { type: 'float32' }), mb(65535, { area: 'coil' })])), [
      [65535, 1],
      [65534, 2],
    ]);
  });

  it('never merges different unit ids or areas', () => {
    const tags = [
      mb(0),
      mb(1, { unitId: 2 }),
      mb(2, { unitId: 1 }), // same as the default unit: merged with the first
      mb(3, { area: 'input' }),
      mb(4, { area: 'coil' }),
      mb(5, { area: 'discrete' }),
      mb(0, { area: 'coil', unitId: 3 }),
    ];
    const p = plan(tags);
    assert.deepEqual(
      p.blocks.map((b) => [b.unitId, b.functionCode, b.area, b.start, b.count]),
      [
        [1, 1, 'coil', 4, 1],
        [1, 2, 'discrete', 5, 1],
        [1, 3, 'holding', 0, 3],
        [1, 4, 'input', 3, 1],
        [2, 3, 'holding', 1, 1],
        [3, 1, 'coil', 0, 1],
      ],
    );
  });

  it('lets bit tags of one register share the read', () => {
    const tags = [mb(10, { type: 'bool', bit: 0 }), mb(10, { type: 'bool', bit: 5 }), mb(10, { type: 'bool', bit: 15 })];
    const p = plan(tags, { ...OPTS, maxGap: 0 });
    assert.deepEqual(spans(p), [[10, 1]]);
    assert.deepEqual(
      p.blocks[0].items.map((i) => [i.tagIndex, i.offset]),
      [
        [0, 0],
        [1, 0],
        [2, 0],
      ],
    );
    assert.equal(planStats(p).registersRead, 1);
  });

  it('gives the same plan whatever the input order', () => {
    const tags: Tag[] = [];
    for (let i = 0; i < 300; i++) {
      const kind = i % 6;
      if (kind === 0) tags.push(mb(i * 3, { type: 'float32' }));
      else if (kind === 1) tags.push(mb(i * 3, { type: 'bool', bit: i % 16 }), mb(i * 3, { type: 'bool', bit: (i + 1) % 16 }));
      else if (kind === 2) tags.push(mb(i * 7, { area: 'coil', unitId: 1 + (i % 3) }));
      else if (kind === 3) tags.push(mb(i * 2, { area: 'input', type: 'int64', unitId: 2 }));
      else if (kind === 4) tags.push(mb(i * 5, { area: 'discrete' }));
      else tags.push(mb(i * 3 + 1, { type: 'uint16' }));
    }
    const canonical = (p: ReadPlan, list: readonly Tag[]): unknown =>
      p.blocks.map((b) => ({ ...b, items: b.items.map((it) => ({ ...it, tagIndex: list[it.tagIndex].name })) }));
    const expected = canonical(plan(tags), tags);

    let seed = 1;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let round = 0; round < 5; round++) {
      const shuffled = [...tags];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      const got = canonical(plan(shuffled), shuffled) as { items: { tagIndex: string }[] }[];
      // Items with the same offset may list in another order; compare them as sets per offset.
      const norm = (blocks: unknown): unknown =>
        (blocks as { items: { offset: number; tagIndex: string }[] }[]).map((b) => ({
          ...b,
          items: [...b.items].sort((x, y) => x.offset - y.offset || x.tagIndex.localeCompare(y.tagIndex)),
        }));
      assert.deepEqual(norm(got), norm(expected));
    }
  });

  it('plans a 500-tag / 1000-register mixed layout in 9 requests', () => {
    // Repeating 10-register pattern: float32, int64, uint16, int16, uint32 (5 tags).
    const pattern: [DataType, number][] = [
      ['float32', 0],
      ['int64', 2],
      ['uint16', 6],
      ['int16', 7],
      ['uint32', 8],
    ];
    const tags: Tag[] = [];
    for (let base = 0; base < 1000; base += 10) for (const [type, at] of pattern) tags.push(mb(base + at, { type }));
    assert.equal(tags.length, 500);
    const p = plan(tags);
    // ceil(1000 / 125) = 8 is the floor; tag boundaries cost one more request.
    assert.equal(p.blocks.length, 9);
    const stats = planStats(p);
    assert.deepEqual(stats, {
      requests: 9,
      tags: 500,
      registersRead: 1000,
      registersWasted: 0,
      bitsRead: 0,
      bitsWasted: 0,
    });
  });

  it('bridges reserved holes of a realistic map', () => {
    // 50 machines x 10 tags, each machine at a 20-register stride using 12 registers (8 reserved).
    const tags: Tag[] = [];
    for (let m = 0; m < 50; m++) {
      const base = m * 20;
      tags.push(mb(base, { type: 'float32' }), mb(base + 2, { type: 'uint32' }));
      for (let k = 0; k < 8; k++) tags.push(k < 4 ? mb(base + 4 + k) : mb(base + 8, { type: 'bool', bit: k }));
      tags.push(mb(base + 9), mb(base + 10, { type: 'int32' }));
    }
    const p = plan(tags);
    assert.equal(tags.length, 600);
    assert.equal(p.blocks.length, 8); // span 0..991: the floor is ceil(992 / 125) = 8
    const s = planStats(p);
    // Holes inside a block are read (wasted); holes at a block boundary are not read at all.
    assert.ok(s.registersRead < 992 && s.registersRead > 600);
    assert.equal(s.registersRead - s.registersWasted, 50 * 12);
    assert.equal(plan(tags, { ...OPTS, maxGap: 0 }).blocks.length, 50);
  });

  it('counts reads and gap waste', () => {
    const p = plan([
      mb(0),
      mb(5),
      mb(5, { type: 'uint32' }),
      mb(0, { area: 'coil' }),
      mb(3, { area: 'coil' }),
      mb(100, { area: 'input' }),
    ]);
    assert.deepEqual(planStats(p), {
      requests: 3,
      tags: 6,
      registersRead: 8,
      registersWasted: 4,
      bitsRead: 4,
      bitsWasted: 2,
    });
  });

  describe('errors', () => {
    const cases: [string, () => unknown, RegExp][] = [
      [
        'non-Modbus tag',
        () => planReads([{ ...mb(0), address: { protocol: 'opcua', nodeId: 'ns=2;s=x' } }], OPTS),
        /is not a Modbus tag/,
      ],
      ['coil with a word type', () => planReads([mb(0, { area: 'coil', type: 'uint16' })], OPTS), /must be bool, not uint16/],
      ['bit on a coil', () => planReads([mb(0, { area: 'coil', bit: 1 })], OPTS), /only for bool tags in input\/holding/],
      ['bit on a word type', () => planReads([mb(0, { type: 'int16', bit: 1 })], OPTS), /only for bool tags/],
      ['bit 16', () => planReads([mb(0, { type: 'bool', bit: 16 })], OPTS), /bit \(0..15\)/],
      ['address past 65535', () => planReads([mb(65535, { type: 'float32' })], OPTS), /outside 0..65535/],
      ['negative address', () => planReads([mb(-1)], OPTS), /outside 0..65535/],
      ['unit id 256', () => planReads([mb(0, { unitId: 256 })], OPTS), /unit id must be 0..255/],
      [
        'tag larger than a request',
        () => planReads([mb(0, { type: 'string', length: 252 })], OPTS),
        /needs 126 registers; one read request carries at most 125/,
      ],
      [
        'tag larger than the device limit',
        () => planReads([mb(0, { type: 'float64' })], { ...OPTS, maxRegisters: 3 }),
        /needs 4 registers; one read request carries at most 3/,
      ],
      ['maxRegisters 126', () => planReads([], { ...OPTS, maxRegisters: 126 }), /maxRegisters must be an integer 1..125, got 126/],
      ['maxBits 2001', () => planReads([], { ...OPTS, maxBits: 2001 }), /maxBits must be an integer 1..2000/],
      ['maxGap -1', () => planReads([], { ...OPTS, maxGap: -1 }), /maxGap must be an integer/],
      ['defaultUnitId 300', () => planReads([], { defaultUnitId: 300 }), /defaultUnitId must be an integer 0..255/],
    ];
    for (const [label, fn, re] of cases) {
      it(label, () => {
        assert.throws(fn, (e: unknown) => e instanceof PlanError && re.test(e.message));
      });
    }
  });

  describe('decodeBlock', () => {
    const tags = [
      mb(0, { type: 'float32' }),
      mb(2, { type: 'int16', scaling: { gain: 0.1, offset: 0 } }),
      mb(3, { type: 'bool', bit: 0 }),
      mb(3, { type: 'bool', bit: 1 }),
      mb(5, { type: 'uint64' }),
      mb(0, { area: 'coil' }),
      mb(2, { area: 'coil' }),
    ];
    const p = planReads(tags, OPTS);
    const holding = p.blocks.find((b) => b.area === 'holding');
    const coils = p.blocks.find((b) => b.area === 'coil');
    const words = [0x42f6, 0xe979, 0xfff6, 0x0002, 0xdead, 0, 0, 0, 7];
    const bits = [true, false, false, false, false, false, false, false];

    it('writes raw values by tag index into a preallocated array', () => {
      assert.ok(holding && coils);
      const out = new Array<RawValue>(tags.length);
      const raw = compileDecoders(tags, 'raw');
      decodeBlock(holding, raw, words, out);
      decodeBlock(coils, raw, bits, out);
      assert.deepEqual(out, [Math.fround(123.456), -10, false, true, 7n, true, false]);
    });

    it('writes engineering values (scaled, 64-bit as number)', () => {
      assert.ok(holding && coils);
      const out = new Array<EngValue>(tags.length);
      const eng = compileDecoders(tags, 'engineering');
      decodeBlock(holding, eng, words, out);
      decodeBlock(coils, eng, [1, 0, 0], out);
      // Engineering values keep the tag's precision: a float32 its 7 significant digits (tags/precision.ts).
      assert.deepEqual(out, [123.456, -1, false, true, 7, true, false]);
    });

    it('rejects a short response', () => {
      assert.ok(holding);
      assert.throws(
        () => decodeBlock(holding, compileDecoders(tags, 'raw'), words.slice(0, 8), []),
        /unit 1 FC3 @0: expected 9 values, got 8/,
      );
    });
  });

  it('plans 10,000 tags of four units correctly', () => {
    const tags: Tag[] = [];
    const types: DataType[] = ['uint16', 'float32', 'int32', 'float64', 'int16'];
    for (let i = 0; i < 10_000; i++) {
      const unitId = 1 + (i % 4);
      if (i % 10 === 9) tags.push(mb((i * 3) % 60000, { area: 'coil', unitId }));
      else tags.push(mb((i * 7) % 60000, { type: types[i % types.length], unitId, area: i % 3 === 0 ? 'input' : 'holding' }));
    }
    // Planning speed is a benchmark figure, not a test assertion.
    checkPlan(tags, planReads(tags, OPTS), OPTS);
  });
});
