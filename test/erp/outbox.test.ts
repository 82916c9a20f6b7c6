/**
 * The outbox file itself: a record is on disk when enqueue resolves (another connection to the file sees
 * it, and so does the outbox reopened after a close without delivery); group commit; a resent key is not
 * stored twice; the size limit refuses records (count and bytes) with an error and a `full` event and drops
 * nothing, and its alarm is raised again after a restart; the per-record size limit, checked before
 * anything is written and without a copy of the record; stats; dead letters kept across a reopen.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Outbox, OutboxFullError } from '../../nodes/erp/outbox';
import { RecordTooLargeError } from '../../nodes/erp/record-size';
import type { OutboxEvent } from '../../nodes/erp/outbox';
import { tempDir } from '../support/hub-process';
import { confirmation } from './support/records';

describe('ERP outbox (SQLite)', function () {
  this.timeout(20000);
  const dir = tempDir('erp-outbox-file');
  let n = 0;
  const file = (): string => path.join(dir, `o-${n++}.sqlite`);
  let outbox: Outbox | undefined;
  afterEach(() => outbox?.closeNow());

  it('is in WAL mode with synchronous=FULL, and a record is committed when enqueue resolves', async () => {
    const f = file();
    outbox = new Outbox({ file: f, maxRecords: 100, maxBytes: 1e6 });
    assert.equal(outbox.store.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(outbox.store.db.pragma('synchronous', { simple: true }), 2);
    const accepted = await outbox.enqueue(confirmation('d-1'));
    assert.deepEqual({ ...accepted }, { key: 'd-1', seq: 1, duplicate: false, state: 'queued' });
    // A second, independent connection sees the committed row at once.
    const other = new Database(f, { readonly: true });
    assert.equal((other.prepare('SELECT key FROM records').get() as { key: string }).key, 'd-1');
    other.close();
  });

  it('keeps everything across a close and reopen (no delivery): records, order, dead letters', async () => {
    const f = file();
    outbox = new Outbox({ file: f, maxRecords: 100, maxBytes: 1e6 });
    for (let i = 0; i < 5; i++) await outbox.enqueue(confirmation(`k-${i}`, i % 2 ? 'A' : 'B'));
    const head = outbox.store.head('order:A');
    assert.ok(head);
    outbox.store.settle(head, { state: 'dead', error: 'HTTP 400: nope', now: Date.now() });
    outbox.closeNow();
    outbox = new Outbox({ file: f, maxRecords: 100, maxBytes: 1e6 });
    const s = outbox.stats();
    assert.equal(s.depth, 4);
    assert.equal(s.deadLetters, 1);
    assert.deepEqual(outbox.deadLetters().map((d) => [d.key, d.error]), [['k-1', 'HTTP 400: nope']]);
    assert.deepEqual(outbox.store.pendingLanes().sort(), ['order:A', 'order:B']);
    assert.equal(outbox.store.head('order:B')?.key, 'k-0');
  });

  it('commits a burst of enqueues together (group commit) and takes each key once', async () => {
    outbox = new Outbox({ file: file(), maxRecords: 10_000, maxBytes: 1e8 });
    let commits = 0;
    const db = outbox.store.db;
    const original = db.transaction.bind(db);
    // Count outer transactions: nested ones are savepoints inside the batch.
    let depth = 0;
    (db as unknown as { transaction: typeof db.transaction }).transaction = ((fn: (...a: unknown[]) => unknown) => {
      const t = original(fn);
      return ((...a: unknown[]) => {
        if (depth++ === 0) commits++;
        try {
          return t(...a);
        } finally {
          depth--;
        }
      }) as unknown as ReturnType<typeof db.transaction>;
    }) as typeof db.transaction;
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => outbox!.enqueue(confirmation(`g-${i % 400}`))));
    assert.equal(results.filter((r) => r.duplicate).length, 100);
    assert.equal(outbox.stats().depth, 400);
    assert.ok(commits <= 2, `${commits} commits for 500 enqueues`);
  });

  it('when full, refuses new records with an error and a full event, and drops nothing', async () => {
    outbox = new Outbox({ file: file(), maxRecords: 3, maxBytes: 1e6 });
    const events: OutboxEvent[] = [];
    outbox.on('event', (e) => events.push(e));
    for (let i = 0; i < 3; i++) await outbox.enqueue(confirmation(`f-${i}`));
    await assert.rejects(outbox.enqueue(confirmation('f-3')), (err: Error) => err instanceof OutboxFullError && /outbox full \(3 of 3 records: 3 waiting, 0 dead letters\); record f-3 refused/.test(err.message));
    assert.equal(events[0]?.type, 'full');
    assert.match(outbox.stats().alarm ?? '', /outbox full/);
    assert.equal(outbox.stats().full, true);
    assert.equal(outbox.stats().depth, 3);
    // A resend of an accepted record is still recognised, not refused.
    assert.equal((await outbox.enqueue(confirmation('f-1'))).duplicate, true);
  });

  it('limits bytes too', async () => {
    outbox = new Outbox({ file: file(), maxRecords: 1000, maxBytes: 1500 });
    await outbox.enqueue(confirmation('b-0'));
    await outbox.enqueue(confirmation('b-1'));
    await assert.rejects(outbox.enqueue(confirmation('b-2', '1', { extra: { note: 'x'.repeat(1000) } })), /outbox full \(\d+ of 1 KiB/);
  });

  it('reports depth, the oldest record\'s age and dead letters', async () => {
    let now = 1_000_000;
    outbox = new Outbox({ file: file(), maxRecords: 10, maxBytes: 1e6, now: () => now });
    await outbox.enqueue(confirmation('s-0'));
    now += 5000;
    await outbox.enqueue(confirmation('s-1'));
    now += 1000;
    const s = outbox.stats();
    assert.equal(s.depth, 2);
    assert.equal(s.oldestAgeMs, 6000);
    assert.equal(s.deadLetters, 0);
    assert.ok(s.bytes > 0);
  });

  it('a second outbox on the same file closes the first (a redeploy racing a slow close)', async () => {
    const f = file();
    const first = new Outbox({ file: f, maxRecords: 10, maxBytes: 1e6 });
    await first.enqueue(confirmation('r-0'));
    outbox = new Outbox({ file: f, maxRecords: 10, maxBytes: 1e6 });
    assert.equal(first.isClosed, true);
    assert.equal(outbox.stats().depth, 1);
  });

  it('raises the outbox-full alarm again after a restart, until a record is accepted', async () => {
    const f = file();
    outbox = new Outbox({ file: f, maxRecords: 2, maxBytes: 1e6 });
    await outbox.enqueue(confirmation('a-0'));
    await outbox.enqueue(confirmation('a-1'));
    await assert.rejects(outbox.enqueue(confirmation('a-2')), OutboxFullError);
    outbox.closeNow();
    outbox = new Outbox({ file: f, maxRecords: 2, maxBytes: 1e6 });
    assert.match(outbox.stats().alarm ?? '', /^outbox full \(2 of 2 records/);
    // Room again (a larger outbox after a restart): the next accepted record ends the alarm, for good.
    outbox.closeNow();
    outbox = new Outbox({ file: f, maxRecords: 10, maxBytes: 1e6 });
    assert.match(outbox.stats().alarm ?? '', /^outbox full/);
    await outbox.enqueue(confirmation('a-3'));
    assert.equal(outbox.stats().alarm, undefined);
    outbox.closeNow();
    outbox = new Outbox({ file: f, maxRecords: 10, maxBytes: 1e6 });
    assert.equal(outbox.stats().alarm, undefined);
  });

  it('refuses a record over the size limit before writing anything, naming its size and the limit', async () => {
    const f = file();
    outbox = new Outbox({ file: f, maxRecords: 100, maxBytes: 256 * 1024 * 1024 });
    const big = confirmation('big-1', '1', { extra: { blob: 'x'.repeat(20 * 1024 * 1024) } });
    await assert.rejects(outbox.enqueue(big), (err: Error) => err instanceof RecordTooLargeError && /record big-1 refused, not queued: it is at least 20\.0 MiB as JSON, larger than the limit of 1\.0 MiB per record/.test(err.message));
    // Just under the limit is taken; just over is not (the exact size of the JSON counts).
    const json = (r: unknown): number => Buffer.byteLength(JSON.stringify(r));
    const base = json(confirmation('fit-1', '1', { extra: { note: '' } }));
    const need = 1024 * 1024 - base;
    const note = 'é'.repeat(Math.floor(need / 2)) + 'x'.repeat(need % 2);
    const fit = confirmation('fit-1', '1', { extra: { note } });
    assert.equal(json(fit), 1024 * 1024);
    assert.equal((await outbox.enqueue(fit)).duplicate, false);
    // Two quotes for one "é": the same text bytes, but JSON escapes each quote: only the exact size sees it.
    const over = confirmation('fit-2', '1', { extra: { note: `${note.slice(1)}""` } });
    await assert.rejects(outbox.enqueue(over), /record fit-2 refused, not queued: it is 1\.0 MiB as JSON/);
    assert.equal(outbox.stats().depth, 1);
    assert.equal(outbox.stats().alarm, undefined, 'a record too large is no outbox-full alarm');
    const other = new Database(f, { readonly: true });
    assert.deepEqual(other.prepare('SELECT key FROM records').all(), [{ key: 'fit-1' }]);
    other.close();
  });

  it('measures a 300 MB record without serializing it (no second 300 MB in memory)', async () => {
    outbox = new Outbox({ file: file(), maxRecords: 100, maxBytes: 256 * 1024 * 1024 });
    // A flat string, as JSON.parse or an HTTP body makes it ('x'.repeat makes a rope, flattened when read).
    const huge = confirmation('huge-1', '1', { extra: { blob: Buffer.alloc(300 * 1024 * 1024, 'x').toString('latin1') } });
    const before = process.memoryUsage().heapUsed;
    const err = await outbox.enqueue(huge).then(() => undefined, (e: unknown) => e);
    const grown = process.memoryUsage().heapUsed - before;
    assert.ok(err instanceof RecordTooLargeError, String(err));
    assert.match(err.message, /at least 300\.0 MiB as JSON, larger than the limit of 1\.0 MiB/);
    assert.ok(grown < 64 * 1024 * 1024, `the check took ${Math.round(grown / 1024 / 1024)} MB of heap`);
  });
});
