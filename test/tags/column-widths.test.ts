/** Column widths of the tag-map table: sized to the longest text, bounded, and the CSS that freezes the name. */
import assert from 'node:assert/strict';
import { MIN_COLUMN_PX, columnCss, fitWidth, longestTexts } from '../../nodes/tags/editor/column-widths';

describe('tags/editor column widths', () => {
  it('fits a column to its longest text in any row, its header and placeholder counted', () => {
    const rows = [{ name: 'demo/packaging/line1/filler/speed', order: '' }, { name: 'demo/packaging/line1/filler/speedSetpoint', order: 'CDAB' }];
    const longest = longestTexts(['name', 'order'] as const, rows.map((r) => (c: 'name' | 'order') => r[c]), { order: 'ABCD' });
    assert.deepEqual([...longest], [['name', 41], ['order', 4]]);
    assert.equal(fitWidth('name', 41, 7), 41 * 7 + 14, 'the longest name, whole');
    assert.equal(fitWidth('order', 4, 7), 7 * 7 + 14, 'the header "order" and its sort arrow');
    assert.equal(fitWidth('unit', 0, 1), MIN_COLUMN_PX);
    assert.equal(fitWidth('address', 500, 7), 240, 'a column grows to a bound on its own');
  });

  it('freezes the tick box, row number and first column, with each width scoped to one table', () => {
    const css = columnCss('t1', new Map([['name', 300]]), 'name');
    assert.match(css, /\.t1 \.fh-tm-table input\[data-column="name"\] \{ width: 300px; \}/);
    assert.match(css, /\.t1 td\[data-column="name"\], \.t1 th\[data-column="name"\] \{ position: sticky; [^}]*left: 70px;/);
    assert.match(css, /\.t1 thead th\.fh-tm-select, \.t1 thead th\.fh-tm-rownum, \.t1 thead th\[data-column="name"\] \{ z-index: 4; \}/);
  });
});
