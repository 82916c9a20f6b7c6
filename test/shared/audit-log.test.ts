/**
 * The audit log on a real directory: bounded fields and lines, one append queue per directory shared by
 * every AuditLog on it (the Modbus and the OPC UA write nodes each make one), and page reads that
 * skip bad lines and never hold more than a page.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { AuditLog, MAX_FIELD, MAX_LINE } from '../../nodes/shared/audit-log';
import type { AuditEntry, AuditWriter } from '../../nodes/shared/audit-log';
import { tempDir } from '../support/hub-process';

const warnings: string[] = [];
const writer = (id: string): AuditWriter => ({ id, z: 'flow1', name: `writer ${id}`, warn: (m) => warnings.push(m) });

function linesOf(file: string): string[] {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
}

describe('shared/audit-log', () => {
  let dir: string;
  beforeEach(() => {
    dir = path.join(tempDir('audit-log'), 'audit');
    warnings.length = 0;
  });

  it('keeps every line whole with 50 concurrent appends of 200 kB values from two logs on one directory, in call order', async () => {
    const modbus = new AuditLog(dir);
    const opcua = new AuditLog(dir);
    const big = (i: number): string => String(i % 10).repeat(200 * 1024);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 === 0 ? modbus : opcua).recordWrite(writer(i % 2 === 0 ? 'mb' : 'ua'), 'plc', { tag: `t${i}`, address: 'hr:1', value: big(i), result: 'refused', error: big(i) }),
      ),
    );
    assert.deepEqual(warnings, []);
    const file = modbus.fileFor(new Date());
    const lines = linesOf(file);
    assert.equal(lines.length, 50);
    const entries = lines.map((l) => JSON.parse(l) as AuditEntry);
    assert.deepEqual(entries.map((e) => e.tag), Array.from({ length: 50 }, (_, i) => `t${i}`), 'one queue: lines in the order of the calls');
    for (const [i, e] of entries.entries()) {
      assert.equal(e.value, `${String(i % 10).repeat(MAX_FIELD)}…[truncated, ${200 * 1024} bytes]`);
      assert.equal(e.error, e.value);
    }
    assert.ok(fs.statSync(file).size < 50 * 4 * 1024, `file of ${fs.statSync(file).size} bytes`);
  });

  it('bounds a refused write of a 5 MB value, a huge object, an unrenderable one and long names', async () => {
    const log = new AuditLog(dir);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const huge = { list: Array.from({ length: 100_000 }, (_, i) => i) };
    const values: unknown[] = ['x'.repeat(5 * 1024 * 1024), huge, cyclic, deep, Buffer.alloc(1 << 20), 12.5, { small: true }, 10n];
    for (const value of values) {
      await log.recordWrite({ ...writer('w'), name: 'n'.repeat(100_000) }, 'd'.repeat(50_000), { tag: 't'.repeat(50_000), address: 'hr:1', value, result: 'refused' }, { user: 'op', msgId: 'm' });
    }
    const lines = linesOf(log.fileFor(new Date()));
    assert.equal(lines.length, values.length);
    for (const line of lines) assert.ok(Buffer.byteLength(line) <= MAX_LINE, `line of ${Buffer.byteLength(line)} bytes`);
    const entries = lines.map((l) => JSON.parse(l) as AuditEntry);
    assert.equal(entries[0].value, `${'x'.repeat(MAX_FIELD)}…[truncated, ${5 * 1024 * 1024} bytes]`);
    assert.equal(entries[1].value, `${JSON.stringify(huge).slice(0, MAX_FIELD)}…[truncated, ${JSON.stringify(huge).length} bytes]`);
    assert.equal(entries[2].value, '[object that cannot be rendered as JSON]');
    assert.equal(entries[3].value, '[array that cannot be rendered as JSON]');
    assert.equal(entries[4].value, `Buffer…[truncated, ${1 << 20} bytes]`);
    assert.deepEqual(entries.slice(5).map((e) => e.value), [12.5, { small: true }, '10']);
    assert.equal(entries[0].tag, `${'t'.repeat(MAX_FIELD)}…[truncated, 50000 bytes]`);
    assert.equal(entries[0].nodeName, `${'n'.repeat(MAX_FIELD)}…[truncated, 100000 bytes]`);
    assert.equal(entries[0].user, 'op');
  });

  it('reads page by page from a byte offset, skipping and counting bad lines, and a 20 MB line without holding it', async () => {
    const log = new AuditLog(dir);
    const day = new Date('2026-02-03T10:00:00Z');
    const file = log.fileFor(day);
    fs.mkdirSync(dir, { recursive: true });
    const line = (i: number): string => `${JSON.stringify({ time: day.toISOString(), tag: `t${i}`, value: i })}\n`;
    const parts = [line(0), line(1), 'not json\n', '[1,2]\n', `{"value": "${'z'.repeat(20 * 1024 * 1024)}"}\n`, line(2), '\n', line(3), '{"torn": "no newline yet'];
    fs.writeFileSync(file, parts.join(''));

    const first = await log.readPage<{ tag: string }>(day, { limit: 2 });
    assert.deepEqual(first.entries.map((e) => e.tag), ['t0', 't1']);
    assert.equal(first.more, true);
    assert.equal(first.nextOffset, Buffer.byteLength(line(0) + line(1)));
    const tags: string[] = [];
    let skipped = 0;
    let offset = first.nextOffset;
    let pages = 0;
    for (;;) {
      const page = await log.readPage<{ tag: string }>(day, { offset });
      // Work per request is bounded: a page reads at most 16 MB of the file and the chunk (64 kB) it stops in, so the
      // 20 MB line takes more than one. (RSS is not measured: other tests share the process.)
      assert.ok(page.nextOffset - offset <= 17 * 1024 * 1024, `a page read ${page.nextOffset - offset} bytes`);
      tags.push(...page.entries.map((e) => e.tag));
      skipped += page.skipped;
      pages += 1;
      if (!page.more) break;
      offset = page.nextOffset;
    }
    assert.deepEqual(tags, ['t2', 't3'], 'the torn last line is not an entry yet');
    assert.equal(skipped, 3, 'not json, an array, the 20 MB line');
    assert.ok(pages >= 2, 'the huge line is skipped over more than one page');
    // An offset inside a line starts at the next line.
    const inside = await log.readPage<{ tag: string }>(day, { offset: 5 });
    assert.equal(inside.entries[0]?.tag, 't1');
    assert.deepEqual((await log.read(day)).map((e) => e.tag), ['t0', 't1', 't2', 't3']);
    assert.deepEqual(await log.readPage(new Date('2020-01-01'), {}), { entries: [], skipped: 0, offset: 0, nextOffset: 0, more: false });
  });

  it('keeps tag-map changes in their own daily file, with the user', async () => {
    const log = new AuditLog(dir);
    await log.recordTagMapChange({ node: 'map1', nodeName: 'line1', user: 'technician', revBefore: 'a', rev: 'b', summary: '1 row changed' });
    const [entry] = await log.read(new Date(), 'tagmaps');
    assert.deepEqual({ ...entry, time: undefined }, { time: undefined, kind: 'tagmap', node: 'map1', nodeName: 'line1', user: 'technician', revBefore: 'a', rev: 'b', summary: '1 row changed' });
    assert.ok(fs.existsSync(path.join(dir, `tagmaps-${new Date().toISOString().slice(0, 10)}.jsonl`)));
    assert.deepEqual(await log.read(new Date()), [], 'not among the writes');
  });
});
