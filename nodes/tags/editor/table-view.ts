/// <reference lib="dom" />
/**
 * An editable table in the DOM over a TableModel: a toolbar (add, duplicate, remove, filter, extra
 * tools such as CSV), sortable headers, 100 rows a page, and error marks per cell or row. Typing only
 * updates the model and the marks; the table is rebuilt only when rows, order or page change, so the
 * cell being typed in keeps its focus. Columns are sized to their content and resizable by their header
 * edge (column-widths.ts); the first column stays in view while the table scrolls sideways.
 */
import { DEFAULT_CHAR_PX, MIN_COLUMN_PX, columnCss, fitWidth, longestTexts } from './column-widths';
import { clear, el, plural } from './dom';
import type { Cells, SortOrder, TableModel } from './table-model';

export const PAGE_SIZE = 100;

export interface TableViewOptions<C extends string> {
  readonly model: TableModel<C>;
  /** Suggestions offered while typing a column (a datalist), e.g. the data types. */
  readonly suggestions?: Partial<Record<C, readonly string[]>>;
  readonly placeholders?: Partial<Record<C, string>>;
  /** Cells of a copy made by Duplicate. */
  readonly duplicate?: (cells: Cells<C>) => Cells<C>;
  /** Called after every change of the model made through the table. */
  readonly onChange: () => void;
  /** More toolbar controls (CSV import/export). */
  readonly tools?: readonly HTMLElement[];
  readonly label: string;
}

/** Error texts by row key, then by column ('' = the row as a whole). */
export type Marks = ReadonlyMap<number, ReadonlyMap<string, readonly string[]>>;

let lists = 0;
let tables = 0;

/** Width of one character of the cells' font, measured once (the browser's monospace may differ). */
let charPx: number | undefined;
function measureChar(): number {
  if (charPx !== undefined) return charPx;
  const context = document.createElement('canvas').getContext('2d');
  if (context === null) return DEFAULT_CHAR_PX;
  context.font = '12px monospace';
  const width = context.measureText('0123456789').width / 10;
  charPx = width > 0 ? width : DEFAULT_CHAR_PX;
  return charPx;
}

export class TableView<C extends string> {
  readonly element: HTMLElement;
  private readonly model: TableModel<C>;
  private readonly body: HTMLTableSectionElement;
  private readonly head: HTMLTableRowElement;
  private readonly scroller: HTMLElement;
  private readonly pager: HTMLElement;
  private readonly count: HTMLElement;
  private readonly filterInput: HTMLInputElement;
  private readonly removeButton: HTMLButtonElement;
  private readonly duplicateButton: HTMLButtonElement;
  private readonly listIds = new Map<string, string>();
  private readonly selected = new Set<number>();
  private readonly pinned = new Set<number>();
  private inputs = new Map<number, Map<string, HTMLElement>>();
  private marks: Marks = new Map();
  private sort: SortOrder<C> | undefined;
  private page = 0;
  private shown: number[] = [];
  private readonly scope = `fh-tm-tv-${++tables}`;
  private readonly columnStyle: HTMLStyleElement;
  /** Current width per column; the ones a technician dragged are in `dragged` and are not refitted. */
  private readonly widths = new Map<string, number>();
  private readonly dragged = new Set<string>();

  constructor(private readonly options: TableViewOptions<C>) {
    this.model = options.model;
    const datalists: HTMLElement[] = [];
    for (const [column, values] of Object.entries(options.suggestions ?? {}) as [string, readonly string[]][]) {
      const id = `fh-tm-list-${++lists}`;
      this.listIds.set(column, id);
      datalists.push(el('datalist', { id }, ...values.map((v) => el('option', { value: v }))));
    }
    this.filterInput = el('input', {
      type: 'search',
      class: 'fh-tm-filter',
      placeholder: 'filter',
      'aria-label': `filter ${options.label}`,
      oninput: () => {
        // Rows added earlier stay visible under the filter they were added in, not under a new one.
        this.pinned.clear();
        this.page = 0;
        this.render();
      },
    });
    this.duplicateButton = el('button', { type: 'button', class: 'red-ui-button fh-tm-duplicate', title: 'duplicate the selected rows', onclick: () => this.duplicateSelected() }, el('i', { class: 'fa fa-copy' }), ' duplicate');
    this.removeButton = el('button', { type: 'button', class: 'red-ui-button fh-tm-remove', title: 'remove the selected rows', onclick: () => this.removeSelected() }, el('i', { class: 'fa fa-trash' }), ' remove');
    this.count = el('span', { class: 'fh-tm-count' });
    const toolbar = el(
      'div',
      { class: 'fh-tm-toolbar' },
      el('button', { type: 'button', class: 'red-ui-button fh-tm-add', title: 'add a row', onclick: () => this.addRow() }, el('i', { class: 'fa fa-plus' }), ' add'),
      this.duplicateButton,
      this.removeButton,
      this.filterInput,
      ...(options.tools ?? []),
      this.count,
    );
    this.head = el('tr');
    this.body = el('tbody');
    this.scroller = el('div', { class: 'fh-tm-scroll' }, el('table', { class: 'fh-tm-table' }, el('thead', {}, this.head), this.body));
    this.pager = el('div', { class: 'fh-tm-pager' });
    this.columnStyle = el('style');
    this.element = el('div', { class: `fh-tm-tableview ${this.scope}` }, this.columnStyle, toolbar, this.scroller, this.pager, ...datalists);
    this.render();
  }

  /** Rebuilds the visible page (after rows were added, removed, replaced, sorted or filtered). */
  render(): void {
    const keep = this.scroller.scrollLeft;
    this.shown = this.model.view({ filter: this.filterInput.value, sort: this.sort, pinned: this.pinned });
    const pages = Math.max(1, Math.ceil(this.shown.length / PAGE_SIZE));
    this.page = Math.min(this.page, pages - 1);
    for (const key of this.selected) if (this.model.indexOf(key) < 0) this.selected.delete(key);
    this.fitColumns();
    this.renderHead();
    clear(this.body);
    this.inputs = new Map();
    const positions = new Map(this.model.keys().map((k, i) => [k, i]));
    for (const key of this.shown.slice(this.page * PAGE_SIZE, (this.page + 1) * PAGE_SIZE)) {
      this.body.appendChild(this.renderRow(key, (positions.get(key) ?? 0) + 1));
    }
    this.renderPager(pages);
    this.updateButtons();
    this.applyMarks();
    this.scroller.scrollLeft = keep;
  }

  setMarks(marks: Marks): void {
    this.marks = marks;
    this.applyMarks();
  }

  /** Shows the page holding the row and focuses the cell (or the row's first cell). */
  reveal(key: number, column: string | null): void {
    let at = this.shown.indexOf(key);
    if (at < 0) {
      this.filterInput.value = '';
      this.render();
      at = this.shown.indexOf(key);
    }
    if (at < 0) return;
    if (Math.floor(at / PAGE_SIZE) !== this.page) {
      this.page = Math.floor(at / PAGE_SIZE);
      this.render();
    }
    const cells = this.inputs.get(key);
    const target = (column === null ? undefined : cells?.get(column)) ?? cells?.values().next().value;
    target?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    target?.focus();
  }

  /** The table fills this height (a short table too: the dialog or tray is used to its bottom). */
  setHeight(height: number): void {
    const px = `${Math.max(120, Math.floor(height))}px`;
    this.scroller.style.height = px;
    this.scroller.style.maxHeight = px;
  }

  /** The scrolling table's height now (the rest of the editor is what it leaves for it). */
  get tableHeight(): number {
    return this.scroller.getBoundingClientRect().height;
  }

  /** Sizes every column not dragged by hand to its longest text in any row. */
  private fitColumns(): void {
    const columns = this.model.columns.filter((c) => !this.dragged.has(c));
    const rows = this.model.keys().map((key) => (column: C) => this.model.cell(key, column));
    const longest = longestTexts(columns, rows, this.options.placeholders);
    for (const c of columns) this.widths.set(c, fitWidth(c, longest.get(c) ?? 0, measureChar()));
    this.applyWidths();
  }

  /** A cell typed longer than its column widens the column (never narrows it while typing). */
  private growColumn(column: C, text: string): void {
    if (this.dragged.has(column)) return;
    const wanted = fitWidth(column, text.length, measureChar());
    if (wanted <= (this.widths.get(column) ?? 0)) return;
    this.widths.set(column, wanted);
    this.applyWidths();
  }

  private applyWidths(): void {
    this.columnStyle.textContent = columnCss(this.scope, this.widths, this.model.columns[0]);
  }

  /** Dragging a header's right edge sets the column's width; a double click fits it to its content again. */
  private resizeHandle(column: C): HTMLElement {
    const handle = el('span', { class: 'fh-tm-resize', title: `drag to resize ${column}; double-click to fit`, 'data-resize': column });
    handle.addEventListener('pointerdown', (down: PointerEvent) => {
      down.preventDefault();
      const start = down.clientX;
      const from = this.widths.get(column) ?? MIN_COLUMN_PX;
      const move = (e: PointerEvent): void => {
        this.dragged.add(column);
        this.widths.set(column, Math.max(MIN_COLUMN_PX, Math.round(from + e.clientX - start)));
        this.applyWidths();
      };
      const up = (): void => {
        window.removeEventListener('pointermove', move);
        window.removeEventListener('pointerup', up);
      };
      window.addEventListener('pointermove', move);
      window.addEventListener('pointerup', up);
    });
    handle.addEventListener('dblclick', () => {
      this.dragged.delete(column);
      this.fitColumns();
    });
    // A click on the edge must not sort the column.
    handle.addEventListener('click', (e) => e.stopPropagation());
    return handle;
  }

  private renderHead(): void {
    clear(this.head);
    const visible = this.shown.slice(this.page * PAGE_SIZE, (this.page + 1) * PAGE_SIZE);
    const all = el('input', {
      type: 'checkbox',
      class: 'fh-tm-select-all',
      title: 'select the rows shown',
      onchange: (e) => {
        const on = (e.target as HTMLInputElement).checked;
        for (const key of visible) {
          if (on) this.selected.add(key);
          else this.selected.delete(key);
        }
        this.render();
      },
    });
    all.checked = visible.length > 0 && visible.every((k) => this.selected.has(k));
    this.head.appendChild(el('th', { class: 'fh-tm-select' }, all));
    this.head.appendChild(el('th', { class: 'fh-tm-rownum', title: 'row number (as in errors and the CSV file)' }, '#'));
    for (const column of this.model.columns) {
      const arrow = this.sort?.column === column ? (this.sort.descending ? ' ▼' : ' ▲') : '';
      this.head.appendChild(
        el(
          'th',
          { 'data-column': column },
          el('button', { type: 'button', class: 'fh-tm-sort', title: `sort by ${column}`, onclick: () => this.toggleSort(column) }, column + arrow),
          this.resizeHandle(column),
        ),
      );
    }
  }

  private renderRow(key: number, number: number): HTMLTableRowElement {
    const check = el('input', {
      type: 'checkbox',
      class: 'fh-tm-select-row',
      'aria-label': `select row ${number}`,
      onchange: (e) => {
        if ((e.target as HTMLInputElement).checked) this.selected.add(key);
        else this.selected.delete(key);
        this.updateButtons();
      },
    });
    check.checked = this.selected.has(key);
    const row = el('tr', { 'data-key': key }, el('td', { class: 'fh-tm-select' }, check), el('td', { class: 'fh-tm-rownum' }, String(number)));
    const cells = new Map<string, HTMLElement>();
    cells.set('', row);
    for (const column of this.model.columns) {
      const input = el('input', {
        type: 'text',
        'data-column': column,
        list: this.listIds.get(column),
        placeholder: this.options.placeholders?.[column],
        'aria-label': `row ${number} ${column}`,
        oninput: (e) => {
          const value = (e.target as HTMLInputElement).value;
          this.model.setCell(key, column, value);
          this.growColumn(column, value);
          this.options.onChange();
        },
      });
      input.value = this.model.cell(key, column);
      cells.set(column, input);
      row.appendChild(el('td', { 'data-column': column }, input));
    }
    this.inputs.set(key, cells);
    return row;
  }

  private renderPager(pages: number): void {
    clear(this.pager);
    const total = this.model.size;
    const from = this.shown.length === 0 ? 0 : this.page * PAGE_SIZE + 1;
    const to = Math.min(this.shown.length, (this.page + 1) * PAGE_SIZE);
    const filtered = this.shown.length !== total ? ` (filtered from ${total})` : '';
    this.count.textContent = plural(total, 'row');
    if (pages > 1) {
      this.pager.appendChild(el('button', { type: 'button', class: 'red-ui-button red-ui-button-small', disabled: this.page === 0, onclick: () => this.goTo(this.page - 1) }, '‹'));
    }
    this.pager.appendChild(el('span', {}, ` rows ${from}–${to} of ${this.shown.length}${filtered} `));
    if (pages > 1) {
      this.pager.appendChild(el('button', { type: 'button', class: 'red-ui-button red-ui-button-small', disabled: this.page >= pages - 1, onclick: () => this.goTo(this.page + 1) }, '›'));
    }
  }

  private goTo(page: number): void {
    this.page = page;
    this.render();
  }

  private toggleSort(column: C): void {
    // ascending -> descending -> stored order
    if (this.sort?.column !== column) this.sort = { column, descending: false };
    else if (!this.sort.descending) this.sort = { column, descending: true };
    else this.sort = undefined;
    this.render();
  }

  private addRow(): void {
    const key = this.model.add();
    this.pinned.add(key);
    this.options.onChange();
    this.render();
    this.reveal(key, this.model.columns[0] ?? null);
  }

  private duplicateSelected(): void {
    const copies = this.model.duplicate(this.selected, this.options.duplicate);
    this.selected.clear();
    for (const key of copies) {
      this.pinned.add(key);
      this.selected.add(key);
    }
    this.options.onChange();
    this.render();
    if (copies[0] !== undefined) this.reveal(copies[0], this.model.columns[0] ?? null);
  }

  private removeSelected(): void {
    this.model.remove(this.selected);
    this.selected.clear();
    this.options.onChange();
    this.render();
  }

  private updateButtons(): void {
    this.removeButton.disabled = this.selected.size === 0;
    this.duplicateButton.disabled = this.selected.size === 0;
  }

  private applyMarks(): void {
    for (const [key, cells] of this.inputs) {
      const marks = this.marks.get(key);
      for (const [column, element] of cells) {
        const texts = marks?.get(column);
        // A row is marked when any of its cells is; its tooltip holds only the row's own errors.
        element.classList.toggle(column === '' ? 'fh-tm-row-invalid' : 'fh-tm-invalid', column === '' ? marks !== undefined : texts !== undefined);
        if (texts !== undefined) element.title = texts.join('\n');
        else element.removeAttribute('title');
      }
    }
  }
}
