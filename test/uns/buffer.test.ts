/** The store-and-forward buffer's file: order, bounds (oldest dropped, counted), age limit, reopening. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { StoreBuffer } from '../../nodes/uns/buffer';
import { tempDir } from '../support/hub-process';

describe('UNS store-and-forward buffer', () => {
  it('keeps the order, drops the oldest beyond its size, counts them, and keeps the rest across a reopen', () => {
    const file = path.join(tempDir('uns-buffer'), 'b.sqlite');
    const b = new StoreBuffer<number>(file, { maxRows: 3, maxAgeMs: 3600_000 });
    assert.deepEqual(b.append([1, 2], 1000), { dropped: 0 });
    assert.deepEqual(b.append([3, 4, 5], 1000), { dropped: 2 });
    assert.equal(b.full, true);
    assert.equal(b.dropped, 2);
    assert.deepEqual(b.peek(0, 10).map((r) => r.item), [3, 4, 5]);
    b.remove(b.peek(0, 1)[0].id);
    b.setMeta('bdSeq', '9');
    b.close();
    const again = new StoreBuffer<number>(file, { maxRows: 3, maxAgeMs: 3600_000 });
    assert.equal(again.size, 2);
    assert.deepEqual(again.peek(0, 10).map((r) => r.item), [4, 5]);
    assert.equal(again.getMeta('bdSeq'), '9');
    again.close();
  });

  it('drops values older than its age limit', () => {
    const b = new StoreBuffer<string>(path.join(tempDir('uns-buffer'), 'b.sqlite'), { maxRows: 100, maxAgeMs: 1000 });
    b.append(['old'], 0);
    assert.deepEqual(b.append(['new'], 5000), { dropped: 1 });
    assert.deepEqual(b.peek(0, 10).map((r) => r.item), ['new']);
    assert.throws(() => new StoreBuffer<string>(path.join(tempDir('uns-buffer'), 'c.sqlite'), { maxRows: 0, maxAgeMs: 1 }), /buffer size must be a whole number/);
    b.close();
  });
});
