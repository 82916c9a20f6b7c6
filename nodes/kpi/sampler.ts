/**
 * Downsampling of tag samples: min, max, sum and count per tag and interval (aligned to the epoch), so
 * averages over any longer interval stay exact (sum / count). Pure. A bucket is handed out when a sample
 * of a later interval arrives, when time passes its end (tick), or at close (flush). Buckets written by
 * one writer carry its `part`: after a restart the rest of an interval is a second row of the same
 * interval, never an overwrite of the first.
 */
import type { TagBucket } from './records';
import { bucketOf, tagBucket } from './records';

interface Acc {
  bucket: number;
  min: number;
  max: number;
  sum: number;
  count: number;
  first: number;
  last: number;
}

export class Sampler {
  private readonly open = new Map<string, Acc>();

  constructor(
    readonly intervalMs: number,
    readonly part: string,
  ) {
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 1000) throw new Error(`sample interval must be at least 1 s, not ${intervalMs} ms`);
  }

  /** Adds a sample; returns the bucket it closed, if any. Samples older than the open bucket are dropped (null). */
  add(tag: string, t: number, value: number): TagBucket | null | undefined {
    const bucket = bucketOf(t, this.intervalMs);
    const acc = this.open.get(tag);
    if (acc === undefined || bucket > acc.bucket) {
      this.open.set(tag, { bucket, min: value, max: value, sum: value, count: 1, first: t, last: t });
      return acc === undefined ? undefined : this.out(tag, acc);
    }
    if (bucket < acc.bucket) return null;
    if (value < acc.min) acc.min = value;
    if (value > acc.max) acc.max = value;
    acc.sum += value;
    acc.count++;
    if (t < acc.first) acc.first = t;
    if (t > acc.last) acc.last = t;
    return undefined;
  }

  /** Buckets whose interval ended before `now`. */
  tick(now: number): TagBucket[] {
    const out: TagBucket[] = [];
    for (const [tag, acc] of this.open) {
      if (acc.bucket + this.intervalMs <= now) {
        out.push(this.out(tag, acc));
        this.open.delete(tag);
      }
    }
    return out;
  }

  /** Every open bucket (at close). */
  flush(): TagBucket[] {
    const out = [...this.open].map(([tag, acc]) => this.out(tag, acc));
    this.open.clear();
    return out;
  }

  private out(tag: string, a: Acc): TagBucket {
    return tagBucket(tag, a.bucket, this.intervalMs, this.part, { min: a.min, max: a.max, sum: a.sum, count: a.count, first: a.first, last: a.last });
  }
}
