/**
 * What a CSV import would do, computed before anything changes: the parsed rows, the difference to the
 * table (added, changed with columns, removed), and every error that must block it. Pure, no DOM.
 */
import { formatCsvError, parseCsv } from '../csv';
import type { CsvSeparator } from '../csv';
import { diffRows } from '../diff';
import type { RowDiff } from '../diff';
import type { TagRow } from '../tag';

export interface ImportPreview {
  readonly rows: TagRow[];
  readonly separator: CsvSeparator;
  /** Undefined when the file could not be read as a table at all (nothing to compare). */
  readonly diff?: RowDiff;
  /** Errors that block the import, each naming its line in the file (header = line 1) and column. */
  readonly errors: string[];
}

/**
 * `check` judges the table as it would be after the import and returns the errors to block on
 * (the caller decides which errors count: see TagMapEditor).
 */
export function previewImport(current: readonly TagRow[], input: Uint8Array | string, check: (rows: TagRow[]) => string[]): ImportPreview {
  const parsed = parseCsv(input);
  const unreadable = parsed.rows.length === 0 && parsed.errors.length > 0;
  if (unreadable) return { rows: [], separator: parsed.separator, errors: parsed.errors.map(formatCsvError) };
  const errors = [...parsed.errors.map(formatCsvError)];
  for (const text of check(parsed.rows)) if (!errors.includes(text)) errors.push(text);
  return { rows: parsed.rows, separator: parsed.separator, diff: diffRows(current, parsed.rows), errors };
}
