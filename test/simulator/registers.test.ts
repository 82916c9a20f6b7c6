import assert from 'node:assert/strict';
import { compileReader, decodeRegisters, registerCount } from '../../nodes/modbus/codec';
import { expandTemplates } from '../../nodes/tags/template';
import { validateRows } from '../../nodes/tags/validate';
import type { Tag } from '../../nodes/tags/tag';
import { Machine } from '../../simulator/machine';
import type { MachineSnapshot } from '../../simulator/machine';
import { Line } from '../../simulator/line';
import {
  REGISTER_POINTS,
  STATE_BY_CODE,
  STATE_CODES,
  createImage,
  machineRegisterMap,
  readImage,
  registerTemplateRows,
  writeCoil,
  writeImage,
  writeRegisters,
} from '../../simulator/registers';
import type { MachineRegisterMap, RegisterImage } from '../../simulator/registers';

const NAME = 'demo/packaging/line1/filler';

function steady(): Machine {
  return new Machine({ name: NAME, idealCycleMs: 600, mtbfMs: 0, mttrMs: 60_000, speedNoise: 0, rejectRate: 0.2, seed: 1 });
}

function tagNamed(map: MachineRegisterMap, relative: string): Tag {
  const tag = map.tags.find((t) => t.name === `${NAME}/${relative}`);
  assert.ok(tag, relative);
  return tag;
}

/** The tag's own registers, sliced out of the image, decoded with the hub's plain decoder. */
function decoded(map: MachineRegisterMap, image: RegisterImage, relative: string): unknown {
  const tag = tagNamed(map, relative);
  if (tag.address.protocol !== 'modbus') throw new Error('modbus tag expected');
  const { area, address } = tag.address;
  if (area === 'coil') return image.coils[address] === 1;
  return decodeRegisters(tag, image.holding.subarray(address, address + registerCount(tag)));
}

function expectImageMatches(map: MachineRegisterMap, image: RegisterImage, s: MachineSnapshot): void {
  assert.equal(decoded(map, image, 'state'), STATE_CODES[s.state]);
  assert.equal(decoded(map, image, 'faultCode'), s.faultCode);
  assert.equal(decoded(map, image, 'totalCount'), s.totalCount);
  assert.equal(decoded(map, image, 'goodCount'), s.goodCount);
  assert.equal(decoded(map, image, 'rejectCount'), s.rejectCount);
  assert.equal(decoded(map, image, 'speed'), Math.fround(s.speed));
  assert.equal(decoded(map, image, 'productId'), s.product.id);
  assert.equal(decoded(map, image, 'productName'), s.product.name);
  assert.equal(decoded(map, image, 'idealCycleTime'), s.idealCycleMs);
  assert.equal(decoded(map, image, 'speedSetpoint'), Math.round(s.speedFactor * 1000), 'raw, before the 0.1 gain');
  assert.equal(decoded(map, image, 'running'), s.state === 'running');
  assert.equal(decoded(map, image, 'fault'), s.state === 'down');
  assert.equal(decoded(map, image, 'plannedStop'), s.plannedStop);
  assert.equal(decoded(map, image, 'resetCounters'), false);
}

describe('simulator registers', () => {
  it('numbers the states 0 idle, 1 running, 2 down, 3 planned, 4 changeover', () => {
    assert.deepEqual(STATE_CODES, { idle: 0, running: 1, down: 2, planned: 3, changeover: 4 });
    STATE_BY_CODE.forEach((state, code) => assert.equal(STATE_CODES[state], code));
  });

  it('its rows pass the hub validator and give exactly the tags the simulator uses', () => {
    const map = machineRegisterMap(NAME);
    const { tags, errors } = validateRows(map.rows);
    assert.deepEqual(errors, []);
    assert.deepEqual(tags, map.tags);
  });

  it('its template rows expand through the hub template to the same tags', () => {
    const map = machineRegisterMap(NAME);
    const expanded = expandTemplates([{ name: 'packaging-machine', rows: registerTemplateRows() }], [{ template: 'packaging-machine', namePrefix: NAME }]);
    assert.deepEqual(expanded.errors, []);
    assert.deepEqual(validateRows(expanded.rows).tags, map.tags);
  });

  it('is contiguous: hr:0..20 and co:0..3, with goodCount word swapped', () => {
    const map = machineRegisterMap(NAME);
    assert.deepEqual(map.size, { holding: 21, input: 0, coil: 4, discrete: 0 });
    for (let a = 0; a < 21; a++) assert.ok(map.pointAt('holding', a), `hr:${a}`);
    assert.equal(map.pointAt('holding', 21), undefined);
    assert.equal(tagNamed(map, 'goodCount').order, 'CDAB');
    assert.deepEqual(
      REGISTER_POINTS.filter((p) => p.access === 'read-write').map((p) => p.name),
      ['speedSetpoint', 'resetCounters', 'plannedStop'],
    );
  });

  it('the image holds exactly what the model holds, in every state', () => {
    const m = new Machine({
      name: NAME,
      idealCycleMs: 600,
      products: [
        { id: 7, name: 'WATER 0.5L' },
        { id: 8, name: 'JUICE 1.0L', idealCycleMs: 700 },
      ],
      changeover: { everyParts: 300, durationMs: 30_000 },
      mtbfMs: 120_000,
      mttrMs: 20_000,
      smallStopProbability: 0.01,
      rejectRate: 0.03,
      seed: 'image',
      initialCounts: { total: 65_000, good: 70_000, reject: 1 },
    });
    const map = machineRegisterMap(NAME);
    const image = createImage(map);
    const seen = new Set<string>();
    for (let t = 0; t <= 2 * 3_600_000; t += 5000) {
      m.advanceTo(t);
      if (t === 3_000_000) m.setPlannedStop(true);
      if (t === 3_300_000) m.setPlannedStop(false);
      if (t === 4_000_000) m.setSpeedFactor(1.234);
      const s = m.snapshot();
      seen.add(s.state);
      writeImage(map, s, image);
      expectImageMatches(map, image, s);
    }
    assert.equal(seen.size, 5, `states seen: ${[...seen].join(', ')}`);
  });

  it('readImage decodes every point with the compiled readers (speedSetpoint in %)', () => {
    const m = steady();
    m.advanceTo(60_000);
    m.setSpeedFactor(0.75);
    const map = machineRegisterMap(NAME);
    const image = createImage(map);
    writeImage(map, m.snapshot(), image);
    const values = readImage(map, image);
    assert.equal(values.speedSetpoint, 75);
    assert.equal(values.totalCount, 100);
    assert.equal(values.state, 1);
    assert.equal(values.running, true);
  });

  it('puts the low word of goodCount first (CDAB), as the codec says', () => {
    const m = new Machine({ name: NAME, idealCycleMs: 600, mtbfMs: 0, mttrMs: 1000, seed: 1, initialCounts: { good: 0x0001_2345 } });
    const map = machineRegisterMap(NAME);
    const image = createImage(map);
    writeImage(map, m.snapshot(), image);
    assert.deepEqual([image.holding[4], image.holding[5]], [0x2345, 0x0001]);
    assert.equal(compileReader(tagNamed(map, 'goodCount'))(image.holding, 4), 0x12345);
  });

  it('a real line gives images that decode back to the snapshots', () => {
    const line = new Line({ seed: 3 });
    const maps = line.machines.map((m) => machineRegisterMap(m.name));
    for (let t = 0; t <= 3_600_000; t += 60_000) {
      line.advanceTo(t);
      line.machines.forEach((m, i) => {
        const image = createImage(maps[i]);
        const s = m.snapshot();
        writeImage(maps[i], s, image);
        const v = readImage(maps[i], image);
        assert.deepEqual(
          [v.state, v.totalCount, v.goodCount, v.rejectCount, v.productName, v.faultCode],
          [STATE_CODES[s.state], s.totalCount, s.goodCount, s.rejectCount, s.product.name, s.faultCode],
        );
      });
    }
  });

  describe('writes', () => {
    it('the speed setpoint sets the speed factor; out of range is exception 3', () => {
      const m = steady();
      const map = machineRegisterMap(NAME);
      assert.deepEqual(writeRegisters(map, m, 20, [500]), { ok: true });
      assert.equal(m.snapshot().speedFactor, 0.5);
      const low = writeRegisters(map, m, 20, [50]);
      assert.equal(low.ok, false);
      assert.equal(!low.ok && low.exception, 3);
      assert.equal(m.snapshot().speedFactor, 0.5, 'unchanged');
    });

    it('read-only and unmapped registers are exception 2, and nothing changes', () => {
      const m = steady();
      const map = machineRegisterMap(NAME);
      for (const [address, values] of [
        [0, [1]],
        [21, [1]],
        [19, [0, 800]], // productName's last register + the setpoint: all or nothing
      ] as const) {
        const outcome = writeRegisters(map, m, address, values);
        assert.equal(outcome.ok, false);
        assert.equal(!outcome.ok && outcome.exception, 2, `hr:${address}`);
      }
      assert.equal(m.snapshot().speedFactor, 1);
    });

    it('coils: resetCounters zeroes the counters, plannedStop holds, status coils are read-only', () => {
      const m = steady();
      m.advanceTo(60_000);
      const map = machineRegisterMap(NAME);
      assert.deepEqual(writeCoil(map, m, 2, false), { ok: true });
      assert.equal(m.snapshot().totalCount, 100, 'writing 0 does nothing');
      assert.deepEqual(writeCoil(map, m, 2, true), { ok: true });
      const s = m.snapshot();
      assert.deepEqual([s.totalCount, s.goodCount, s.rejectCount], [0, 0, 0]);
      assert.deepEqual(writeCoil(map, m, 3, true), { ok: true });
      assert.equal(m.snapshot().state, 'planned');
      assert.deepEqual(writeCoil(map, m, 3, false), { ok: true });
      assert.equal(m.snapshot().state, 'running');
      for (const address of [0, 1, 4]) {
        const outcome = writeCoil(map, m, address, true);
        assert.equal(!outcome.ok && outcome.exception, 2, `co:${address}`);
      }
    });
  });
});
