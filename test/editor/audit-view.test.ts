/**
 * The editor plugin's pure parts: the refusal texts from an account's role or permissions, one line
 * per audit entry, and DayPages showing a day newest first over a route that pages oldest first.
 */
import assert from 'node:assert/strict';
import { DayPages, MAX_SCAN_PAGES, entryLine } from '../../nodes/editor/browser/audit-view';
import type { AuditPageBody } from '../../nodes/editor/browser/audit-view';
import { deployRefusal, roleText } from '../../nodes/editor/browser/refusal';

/** A day of `n` entries served as the audit route does: `size` entries a page from an offset (entry index x 10 bytes). */
function route(n: number, size: number): { fetch: (offset: number) => Promise<AuditPageBody>; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    fetch: (offset) => {
      calls.push(offset);
      const start = offset / 10;
      const entries = Array.from({ length: Math.max(0, Math.min(size, n - start)) }, (_, i) => ({ i: start + i }));
      const next = (start + entries.length) * 10;
      return Promise.resolve({ entries, nextOffset: next, more: start + entries.length < n });
    },
  };
}

describe('editor plugin: refusal texts and the audit view', () => {
  it('names the role when the hub gives it, else the permissions', () => {
    assert.equal(deployRefusal({ role: 'technician', permissions: ['read', 'tagmaps.write'] }), 'Deploy needs permission flows.write (your role: technician)');
    assert.equal(roleText({ permissions: ['read', 'tagmaps.write'] }), 'permissions read, tagmaps.write');
    assert.equal(roleText({ permissions: [] }), 'no permissions');
  });

  it('writes one line per entry, whatever the entry holds', () => {
    const write = entryLine('writes', { time: '2026-12-01T08:04:09.000Z', user: 'operator', tag: 'a/b', value: 3, device: '10.0.0.5:502', address: 'hr:10', result: 'refused', error: 'not writable' });
    assert.deepEqual(write, { time: '08:04:09', user: 'operator', result: 'refused', text: 'refused: a/b = 3 → 10.0.0.5:502 hr:10 (not writable)' });
    assert.equal(entryLine('tag-maps', { time: 'x', nodeName: 'line1', summary: '1 row changed' }).text, 'line1: 1 row changed');
    assert.equal(entryLine('tag-maps', { time: 'x' }).user, '(unknown user)');
    const auth = entryLine('auth', { time: '2026-12-01T09:00:00Z', user: 'admin', event: 'login', result: 'ok', address: '10.1.1.1' });
    assert.deepEqual(auth, { time: '09:00:00', user: 'admin', result: 'ok', text: 'event login, result ok, address 10.1.1.1' });
    assert.equal(entryLine('auth', 'not an object').text, 'value not an object');
    assert.equal(entryLine('writes', { value: 10n }).text.includes('(bigint)'), true, 'a value JSON cannot show is named, not thrown');
    assert.ok(entryLine('writes', { value: 'x'.repeat(5000) }).text.length < 300, 'long values are cut');
  });

  it('shows the newest page first, newest entry first, and pages to older and back', async () => {
    const day = route(450, 200);
    const pages = new DayPages(day.fetch);
    await pages.scan();
    assert.deepEqual(day.calls, [0, 2000, 4000]);
    assert.deepEqual(pages.position, { page: 1, pages: 3 });
    assert.deepEqual(pages.shown.map((e) => (e as { i: number }).i).slice(0, 3), [449, 448, 447]);
    assert.equal(pages.shown.length, 50);
    assert.equal(pages.hasNewer, false);
    await pages.older();
    assert.deepEqual(pages.position, { page: 2, pages: 3 });
    assert.deepEqual([(pages.shown[0] as { i: number }).i, (pages.shown[199] as { i: number }).i], [399, 200]);
    await pages.older();
    await pages.older(); // no older page: stays
    assert.deepEqual(pages.position, { page: 3, pages: 3 });
    assert.equal(pages.hasOlder, false);
    await pages.newer();
    assert.deepEqual(pages.position, { page: 2, pages: 3 });
  });

  it('shows an empty day as one empty page, and stops a scan at MAX_SCAN_PAGES', async () => {
    const empty = new DayPages(route(0, 200).fetch);
    await empty.scan();
    assert.deepEqual(empty.position, { page: 1, pages: 1 });
    assert.deepEqual(empty.shown, []);
    const huge = route(MAX_SCAN_PAGES * 2 + 5, 2);
    const pages = new DayPages(huge.fetch);
    await pages.scan();
    assert.equal(huge.calls.length, MAX_SCAN_PAGES);
    assert.equal(pages.truncated, true);
  });
});
