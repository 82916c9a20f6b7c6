/**
 * Column widths of an editable table, sized to what the cells hold: the tag name column as wide as the
 * longest name (so `…/filler/speed` and `…/filler/speedSetpoint` never look alike), short columns (order,
 * length, decimals) narrow, so that every column fits the tray or is one scroll away. The technician can
 * drag a header edge; a double click fits the column again. Pure: the view measures nothing but one
 * character. The CSS freezes the tick box, the row number and the first column (the name) on the left.
 */

/** Width of one character of the cells' monospace font at 12 px, when the browser cannot measure it. */
export const DEFAULT_CHAR_PX = 7.3;
/** Input padding, border and the sort arrow's room. */
const CELL_EXTRA_PX = 14;
export const MIN_COLUMN_PX = 44;
/** The longest a column grows on its own (a longer text scrolls inside its cell); dragging may go beyond. */
const MAX_FIT_PX: Readonly<Record<string, number>> = { name: 640, namePrefix: 480, description: 320, overrides: 320 };
const MAX_FIT_DEFAULT_PX = 240;
/** The frozen tick-box and row-number columns (the row number holds up to 5 digits). */
export const SELECT_PX = 24;
export const ROWNUM_PX = 46;

/** The width that shows `chars` characters of a column whose header is `column` (and a sort arrow). */
export function fitWidth(column: string, chars: number, charPx = DEFAULT_CHAR_PX): number {
  const wanted = Math.max(chars, column.length + 2) * charPx + CELL_EXTRA_PX;
  return Math.round(Math.min(MAX_FIT_PX[column] ?? MAX_FIT_DEFAULT_PX, Math.max(MIN_COLUMN_PX, wanted)));
}

/** Longest text per column over every row (not only the page shown), placeholders counted too. */
export function longestTexts<C extends string>(columns: readonly C[], rows: Iterable<(column: C) => string>, placeholders: Partial<Record<C, string>> = {}): Map<C, number> {
  const longest = new Map<C, number>(columns.map((c) => [c, placeholders[c]?.length ?? 0]));
  for (const cell of rows) {
    for (const c of columns) {
      const n = cell(c).length;
      if (n > (longest.get(c) ?? 0)) longest.set(c, n);
    }
  }
  return longest;
}

/**
 * CSS of one table (its elements under `.${scope}`): each column's width, and the tick box, row number
 * and `frozen` column kept in view while the table scrolls sideways.
 */
export function columnCss(scope: string, widths: ReadonlyMap<string, number>, frozen: string | undefined): string {
  const s = `.${scope}`;
  const rules = [...widths].map(([c, w]) => `${s} .fh-tm-table input[data-column="${c}"] { width: ${w}px; }`);
  const sticky = `position: sticky; z-index: 2; background: var(--red-ui-secondary-background, #fff);`;
  rules.push(
    `${s} .fh-tm-select { ${sticky} left: 0; min-width: ${SELECT_PX}px; max-width: ${SELECT_PX}px; box-sizing: border-box; }`,
    `${s} .fh-tm-rownum { ${sticky} left: ${SELECT_PX}px; min-width: ${ROWNUM_PX}px; box-sizing: border-box; }`,
  );
  if (frozen !== undefined) {
    rules.push(
      `${s} td[data-column="${frozen}"], ${s} th[data-column="${frozen}"] { ${sticky} left: ${SELECT_PX + ROWNUM_PX}px; box-shadow: 2px 0 0 var(--red-ui-secondary-border-color, #ddd); }`,
    );
  }
  // Header cells stay above the body cells when both stick, the frozen ones above the header cells scrolled under them.
  const frozenHeads = [`${s} thead th.fh-tm-select`, `${s} thead th.fh-tm-rownum`, ...(frozen !== undefined ? [`${s} thead th[data-column="${frozen}"]`] : [])];
  rules.push(`${s} thead th { position: sticky; top: 0; z-index: 3; background: var(--red-ui-tertiary-background, #f3f3f3); }`);
  rules.push(`${frozenHeads.join(', ')} { z-index: 4; }`);
  rules.push(`${s} .fh-tm-resize { position: absolute; top: 0; right: 0; width: 6px; height: 100%; cursor: col-resize; z-index: 4; }`);
  return rules.join('\n');
}
