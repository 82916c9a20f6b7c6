import assert from 'node:assert/strict';
import { diffRows } from '../../nodes/tags/diff';
import type { TagRow } from '../../nodes/tags/tag';

const a: TagRow = { name: 'plant/l1/a', address: 'hr:1' };
const b: TagRow = { name: 'plant/l1/b', address: 'hr:2', unit: '°C' };
const c: TagRow = { name: 'plant/l1/c', address: 'hr:3' };

describe('tags/diff', () => {
  it('identical maps: nothing changes', () => {
    assert.deepEqual(diffRows([a, b, c], [a, b, c]), { added: [], removed: [], changed: [], unchanged: 3 });
  });

  it('finds added and removed rows by name', () => {
    const d: TagRow = { name: 'plant/l1/d', address: 'hr:4' };
    assert.deepEqual(diffRows([a, b, c], [d, a, c]), { added: [d], removed: [b], changed: [], unchanged: 2 });
    assert.deepEqual(diffRows([], [a]), { added: [a], removed: [], changed: [], unchanged: 0 });
    assert.deepEqual(diffRows([a], []), { added: [], removed: [a], changed: [], unchanged: 0 });
  });

  it('lists the changed columns in TAG_COLUMNS order', () => {
    const after: TagRow = { name: 'plant/l1/b', address: 'hr:20', unit: '°F', description: 'new' };
    assert.deepEqual(diffRows([a, b], [a, after]), {
      added: [],
      removed: [],
      changed: [{ name: 'plant/l1/b', before: b, after, columns: ['address', 'unit', 'description'] }],
      unchanged: 1,
    });
  });

  it('matches names case-insensitively and reports a case change as a name change', () => {
    const renamed: TagRow = { ...a, name: 'Plant/L1/A' };
    const result = diffRows([a], [renamed]);
    assert.deepEqual(result.changed, [{ name: 'Plant/L1/A', before: a, after: renamed, columns: ['name'] }]);
    assert.deepEqual([result.added, result.removed], [[], []]);
  });

  it('trims cells and treats empty and missing as equal', () => {
    const spaced: TagRow = { name: ' plant/l1/b ', address: 'hr:2 ', unit: '°C', dataType: '', description: '   ' };
    assert.deepEqual(diffRows([b], [spaced]), { added: [], removed: [], changed: [], unchanged: 1 });
  });

  it('compares spelling, not meaning', () => {
    const modicon: TagRow = { name: 'plant/l1/a', address: '40002' };
    assert.deepEqual(diffRows([a], [modicon]).changed[0]?.columns, ['address']);
  });

  it('ignores blank rows; nameless and repeated rows cannot be matched', () => {
    const nameless: TagRow = { address: 'hr:9' };
    const again: TagRow = { ...a, unit: 'x' };
    const result = diffRows([a, {}, nameless], [{ name: ' ' }, a, again, nameless]);
    assert.deepEqual(result, { added: [again, nameless], removed: [nameless], changed: [], unchanged: 1 });
  });
});
