/** CSV of a query result as Excel opens it: BOM, CRLF, the decimal separator option, quoting, no formulas. */
import assert from 'node:assert/strict';
import { BOM, toCsv } from '../../nodes/kpi/csv';
import type { QueryResult } from '../../nodes/kpi/queries';

const result: QueryResult = {
  type: 'pareto',
  columns: ['reason', 'name', 'durationMs', 'share'],
  rows: [
    { reason: 'jam', name: 'Stau; "Förderband"', durationMs: 1_800_000, share: 0.375 },
    { reason: null, name: '=HYPERLINK("x")', durationMs: 300_000, share: 0.0625 },
  ],
};

describe('KPI CSV export', () => {
  it('writes UTF-8 with a BOM, CRLF lines and a decimal point by default', () => {
    const csv = toCsv(result);
    assert.ok(csv.startsWith(BOM));
    assert.equal(csv.slice(1), 'reason,name,durationMs,share\r\njam,"Stau; ""Förderband""",1800000,0.375\r\n,"\'=HYPERLINK(""x"")",300000,0.0625\r\n');
    assert.equal(Buffer.from(csv, 'utf8').subarray(0, 3).toString('hex'), 'efbbbf');
  });

  it('with a decimal comma separates fields by semicolons', () => {
    assert.equal(toCsv(result, { decimal: ',' }).slice(1), 'reason;name;durationMs;share\r\njam;"Stau; ""Förderband""";1800000;0,375\r\n;"\'=HYPERLINK(""x"")";300000;0,0625\r\n');
  });
});
