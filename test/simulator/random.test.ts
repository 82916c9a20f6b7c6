import assert from 'node:assert/strict';
import { Random, hashSeed } from '../../simulator/random';

const draw = (r: Random, n: number): number[] => Array.from({ length: n }, () => r.nextUint32());

describe('simulator random', () => {
  it('gives the same sequence for the same seed and label', () => {
    assert.deepEqual(draw(new Random(42, 'x'), 100), draw(new Random(42, 'x'), 100));
    assert.deepEqual(draw(new Random('line1', ''), 10), draw(new Random('line1'), 10));
  });

  it('gives different sequences for different seeds or labels', () => {
    assert.notDeepEqual(draw(new Random(42), 10), draw(new Random(43), 10));
    assert.notDeepEqual(draw(new Random(42, 'a'), 10), draw(new Random(42, 'b'), 10));
  });

  it('pins the first outputs, so a change of the generator is a deliberate one', () => {
    // Recorded once: demo seeds and test expectations rely on a seed reproducing the same line.
    assert.deepEqual(draw(new Random(1), 3), [3655234000, 2344717824, 2740983794]);
    assert.equal(hashSeed(1, 'a'), 286526736);
    assert.notEqual(hashSeed(1, 'a'), hashSeed('1a'));
  });

  it('draws uniform numbers in [0, 1) with a plausible mean', () => {
    const r = new Random(7);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      const x = r.next();
      assert.ok(x >= 0 && x < 1);
      sum += x;
    }
    assert.ok(Math.abs(sum / 20000 - 0.5) < 0.01);
  });

  it('draws exponential waiting times with the given mean', () => {
    const r = new Random(8);
    let sum = 0;
    for (let i = 0; i < 20000; i++) sum += r.exponential(1000);
    assert.ok(Math.abs(sum / 20000 - 1000) < 40, `mean ${sum / 20000}`);
  });

  it('picks indexes in proportion to their weights, never a zero weight', () => {
    const r = new Random(9);
    const hits = [0, 0, 0];
    for (let i = 0; i < 30000; i++) hits[r.weightedIndex([1, 0, 2])]++;
    assert.equal(hits[1], 0);
    assert.ok(Math.abs(hits[2] / hits[0] - 2) < 0.15, `ratio ${hits[2] / hits[0]}`);
    assert.throws(() => r.weightedIndex([0, 0]), RangeError);
  });

  it('chance(0) and chance(1) are certain', () => {
    const r = new Random(10);
    for (let i = 0; i < 100; i++) {
      assert.equal(r.chance(0), false);
      assert.equal(r.chance(1), true);
    }
  });
});
