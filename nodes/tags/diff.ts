/**
 * What an import would change, for "show the changes, apply nothing until accepted".
 *
 * Rows are matched by tag name (case-insensitive, trimmed). Cells are compared as text after trimming,
 * with empty and missing equal; no other normalisation, so `40001` vs `hr:0` is a change. To compare
 * meaning instead of spelling, diff the canonical rows (`rowOf` of validated tags).
 */
import { TAG_COLUMNS } from './tag';
import type { TagColumn, TagRow } from './tag';

export interface RowChange {
  /** The name in `after` (its spelling may differ in case from `before`). */
  readonly name: string;
  readonly before: TagRow;
  readonly after: TagRow;
  /** Changed columns, in TAG_COLUMNS order; includes `name` when only its case changed. */
  readonly columns: TagColumn[];
}

export interface RowDiff {
  /** In `after` order. */
  readonly added: TagRow[];
  /** In `before` order. */
  readonly removed: TagRow[];
  /** In `after` order. */
  readonly changed: RowChange[];
  readonly unchanged: number;
}

/**
 * Blank rows are ignored. Rows without a name cannot be matched and count as added/removed;
 * a name repeated within one side (an invalid map) matches only its first occurrence.
 */
export function diffRows(before: readonly TagRow[], after: readonly TagRow[]): RowDiff {
  const old = new Map<string, TagRow>();
  const unmatched = new Set<TagRow>();
  for (const row of before) {
    if (isBlank(row)) continue;
    const key = keyOf(row);
    if (key === '' || old.has(key)) unmatched.add(row);
    else old.set(key, row);
  }

  const added: TagRow[] = [];
  const changed: RowChange[] = [];
  const matched = new Set<string>();
  let unchanged = 0;
  for (const row of after) {
    if (isBlank(row)) continue;
    const key = keyOf(row);
    const previous = key === '' || matched.has(key) ? undefined : old.get(key);
    if (previous === undefined) {
      added.push(row);
      continue;
    }
    matched.add(key);
    const columns = changedColumns(previous, row);
    if (columns.length === 0) unchanged++;
    else changed.push({ name: cell(row, 'name'), before: previous, after: row, columns });
  }

  const removed = before.filter((row) => !isBlank(row) && (unmatched.has(row) || !matched.has(keyOf(row))));
  return { added, removed, changed, unchanged };
}

export function changedColumns(a: TagRow, b: TagRow): TagColumn[] {
  return TAG_COLUMNS.filter((c) => cell(a, c) !== cell(b, c));
}

function cell(row: TagRow, column: TagColumn): string {
  return row[column]?.trim() ?? '';
}

function keyOf(row: TagRow): string {
  return cell(row, 'name').toLowerCase();
}

function isBlank(row: TagRow): boolean {
  return TAG_COLUMNS.every((c) => cell(row, c) === '');
}
