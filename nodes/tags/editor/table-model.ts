/**
 * The state behind an editable table (tag rows, template rows, instances): rows with stable keys,
 * add / duplicate / remove, a filtered and sorted view, and the rows to store. Sorting and filtering
 * only change the view, never the stored order, so row numbers in errors stay those of the stored map
 * (and of its CSV export) and sorting alone never shows up in a flow diff. Pure, no DOM.
 */

export type Cells<C extends string> = Partial<Record<C, string>>;

export interface SortOrder<C extends string> {
  readonly column: C;
  readonly descending: boolean;
}

export interface ViewOptions<C extends string> {
  /** Case-insensitive text every shown row contains in some cell. */
  readonly filter?: string;
  readonly sort?: SortOrder<C>;
  /** Rows shown whatever the filter (rows just added, so they do not vanish while empty). */
  readonly pinned?: ReadonlySet<number>;
}

interface Row<C extends string> {
  readonly key: number;
  cells: Cells<C>;
  /** Properties that are not columns (hand-written flows): kept, so validation can name them. */
  readonly extra: Readonly<Record<string, unknown>>;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export class TableModel<C extends string> {
  private rows: Row<C>[] = [];
  private nextKey = 1;

  constructor(
    readonly columns: readonly C[],
    rows: readonly unknown[] = [],
  ) {
    this.replaceAll(rows);
  }

  get size(): number {
    return this.rows.length;
  }

  /** Keys in stored order. */
  keys(): number[] {
    return this.rows.map((r) => r.key);
  }

  /** 0-based stored position of a row, -1 if there is none. */
  indexOf(key: number): number {
    return this.rows.findIndex((r) => r.key === key);
  }

  keyAt(index: number): number | undefined {
    return this.rows[index]?.key;
  }

  cell(key: number, column: C): string {
    return this.find(key)?.cells[column] ?? '';
  }

  setCell(key: number, column: C, value: string): void {
    const row = this.find(key);
    if (row === undefined) return;
    if (value === '') delete row.cells[column];
    else row.cells[column] = value;
  }

  /** Adds a row after `afterKey` (default: at the end); returns its key. */
  add(cells: Cells<C> = {}, afterKey?: number): number {
    const row = this.make(cells, {});
    const at = afterKey === undefined ? -1 : this.indexOf(afterKey);
    if (at < 0) this.rows.push(row);
    else this.rows.splice(at + 1, 0, row);
    return row.key;
  }

  /** Copies each row right after itself, `change` adjusting the copy; returns the new keys. */
  duplicate(keys: Iterable<number>, change: (cells: Cells<C>) => Cells<C> = (c) => c): number[] {
    const wanted = new Set(keys);
    const added: number[] = [];
    const next: Row<C>[] = [];
    for (const row of this.rows) {
      next.push(row);
      if (!wanted.has(row.key)) continue;
      const copy = this.make(change({ ...row.cells }), row.extra);
      next.push(copy);
      added.push(copy.key);
    }
    this.rows = next;
    return added;
  }

  remove(keys: Iterable<number>): void {
    const gone = new Set(keys);
    this.rows = this.rows.filter((r) => !gone.has(r.key));
  }

  /** Replaces every row (an accepted import); non-text cells become text, unknown keys are kept aside. */
  replaceAll(rows: readonly unknown[]): void {
    this.rows = rows.map((raw) => {
      const source = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Readonly<Record<string, unknown>>) : {};
      const cells: Cells<C> = {};
      const extra: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(source)) {
        if (this.isColumn(key)) {
          const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : value === undefined || value === null ? '' : JSON.stringify(value);
          if (text !== '') cells[key] = text;
        } else {
          extra[key] = value;
        }
      }
      return this.make(cells, extra);
    });
  }

  /** Keys of the rows to show, in the order to show them. */
  view(options: ViewOptions<C> = {}): number[] {
    const needle = (options.filter ?? '').trim().toLowerCase();
    let rows = this.rows;
    if (needle !== '') {
      rows = rows.filter(
        (r) => options.pinned?.has(r.key) === true || this.columns.some((c) => (r.cells[c] ?? '').toLowerCase().includes(needle)),
      );
    }
    const sort = options.sort;
    if (sort !== undefined) {
      const sign = sort.descending ? -1 : 1;
      // Empty cells last in both directions: they are the unfinished rows.
      rows = [...rows].sort((a, b) => {
        const x = a.cells[sort.column] ?? '';
        const y = b.cells[sort.column] ?? '';
        if (x === '' || y === '') return x === y ? 0 : x === '' ? 1 : -1;
        return sign * collator.compare(x, y);
      });
    }
    return rows.map((r) => r.key);
  }

  /** The rows to store: cells trimmed, empty ones left out, columns in column order, extras after. */
  toRows(): Record<string, unknown>[] {
    return this.rows.map((row) => {
      const out: Record<string, unknown> = {};
      for (const column of this.columns) {
        const value = (row.cells[column] ?? '').trim();
        if (value !== '') out[column] = value;
      }
      return { ...out, ...row.extra };
    });
  }

  private find(key: number): Row<C> | undefined {
    return this.rows.find((r) => r.key === key);
  }

  private make(cells: Cells<C>, extra: Readonly<Record<string, unknown>>): Row<C> {
    return { key: this.nextKey++, cells, extra };
  }

  private isColumn(key: string): key is C {
    return (this.columns as readonly string[]).includes(key);
  }
}
