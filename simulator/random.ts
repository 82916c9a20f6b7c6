/**
 * Seeded pseudo-random numbers for the simulator: the same seed gives the same sequence on every
 * run and platform (integer arithmetic only; Math.log in `exponential` is V8's fdlibm port).
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128-bit state, passes PractRand,
 * and is a few lines of Math.imul. Not for cryptography.
 */

/** A 32-bit hash of the parts (FNV-1a over their text, then a murmur3 finaliser to spread the bits). */
export function hashSeed(...parts: readonly (number | string)[]): number {
  let h = 0x811c9dc5;
  const text = parts.map(String).join('\u0000');
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Any number or string is a seed; streams with different labels from one seed are independent. */
  constructor(seed: number | string, label = '') {
    this.a = hashSeed(seed, label, 'a');
    this.b = hashSeed(seed, label, 'b');
    this.c = hashSeed(seed, label, 'c');
    this.d = 1;
    // The first outputs of a freshly seeded sfc32 are still correlated with the seed: skip them.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Uniform integer in 0 .. 2^32 - 1. */
  nextUint32(): number {
    this.d = (this.d + 1) | 0;
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x100000000;
  }

  /** Uniform in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** True with probability p (p <= 0 never, p >= 1 always, and neither draws a number then). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  /** Exponentially distributed with the given mean (> 0): the waiting time of a Poisson process. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Index drawn with probability proportional to its weight (weights >= 0, at least one > 0). */
  weightedIndex(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    if (!(total > 0)) throw new RangeError('weightedIndex needs at least one positive weight');
    let x = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i];
      if (x < 0) return i;
    }
    // Rounding can leave x at 0 after the last weight: take the last positive one.
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
    return weights.length - 1;
  }
}
