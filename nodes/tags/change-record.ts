/**
 * The before/after diff of a tag-map change, as the audit log keeps it: the map's own rows (as stored,
 * diff.ts) and, when templates or instances changed, the tags they make (canonical rows). Bounded, since
 * one change may touch 10,000 rows: at most MAX_LISTED rows listed and MAX_RECORD_BYTES of them, each
 * cell at most MAX_CELL characters; the counts always cover every row, and `more` says how many were
 * not listed. Pure.
 */
import { diffRows } from './diff';
import type { RowDiff } from './diff';
import type { TagColumn, TagRow } from './tag';

export const MAX_LISTED = 20;
export const MAX_RECORD_BYTES = 8 * 1024;
export const MAX_CELL = 200;

/** One listed row: added or removed with its cells, changed with the cells that changed, before and after. */
export interface ListedRow {
  readonly op: 'added' | 'removed' | 'changed';
  /** `row`: the map's own rows; `template`: a tag that templates and instances make. */
  readonly from: 'row' | 'template';
  readonly name: string;
  readonly before?: TagRow;
  readonly after?: TagRow;
}

export interface ChangeRecord {
  readonly rows: { readonly added: number; readonly removed: number; readonly changed: number; readonly unchanged: number };
  /** Present when templates or instances changed. */
  readonly templateTags?: { readonly added: number; readonly removed: number; readonly changed: number; readonly unchanged: number };
  readonly listed: ListedRow[];
  /** Rows changed but not listed (over MAX_LISTED or MAX_RECORD_BYTES). */
  readonly more: number;
}

function cut(row: TagRow, columns?: readonly TagColumn[]): TagRow {
  const out: TagRow = {};
  for (const [key, value] of Object.entries(row) as [TagColumn, string | undefined][]) {
    if (columns !== undefined && !columns.includes(key)) continue;
    const text = typeof value === 'string' ? value : String(value);
    out[key] = text.length > MAX_CELL ? `${text.slice(0, MAX_CELL)}…[${text.length} characters]` : text;
  }
  return out;
}

function counts(diff: RowDiff): ChangeRecord['rows'] {
  return { added: diff.added.length, removed: diff.removed.length, changed: diff.changed.length, unchanged: diff.unchanged };
}

function* listed(diff: RowDiff, from: ListedRow['from']): Generator<ListedRow> {
  for (const c of diff.changed) yield { op: 'changed', from, name: c.name, before: cut(c.before, c.columns), after: cut(c.after, c.columns) };
  for (const r of diff.added) yield { op: 'added', from, name: r.name ?? '', after: cut(r) };
  for (const r of diff.removed) yield { op: 'removed', from, name: r.name ?? '', before: cut(r) };
}

/**
 * The record of one change. `templateTags` are the tags made by templates before and after (canonical
 * rows), or undefined when templates and instances did not change.
 */
export function changeRecord(
  rows: { readonly before: readonly TagRow[]; readonly after: readonly TagRow[] },
  templateTags?: { readonly before: readonly TagRow[]; readonly after: readonly TagRow[] },
): ChangeRecord {
  const own = diffRows(rows.before, rows.after);
  const made = templateTags === undefined ? undefined : diffRows(templateTags.before, templateTags.after);
  const total = (d: RowDiff | undefined): number => (d === undefined ? 0 : d.added.length + d.removed.length + d.changed.length);
  const list: ListedRow[] = [];
  let bytes = 0;
  const sources: [RowDiff | undefined, ListedRow['from']][] = [[own, 'row'], [made, 'template']];
  outer: for (const [diff, from] of sources) {
    if (diff === undefined) continue;
    for (const row of listed(diff, from)) {
      const size = JSON.stringify(row).length;
      if (list.length >= MAX_LISTED || bytes + size > MAX_RECORD_BYTES) break outer;
      list.push(row);
      bytes += size;
    }
  }
  return {
    rows: counts(own),
    ...(made !== undefined ? { templateTags: counts(made) } : {}),
    listed: list,
    more: total(own) + total(made) - list.length,
  };
}
