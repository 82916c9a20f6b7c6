/**
 * A query result as CSV that Excel opens as it is: UTF-8 with a byte-order mark, CRLF line ends, and
 * the plant's decimal separator. With a decimal comma the fields are separated by semicolons (what Excel
 * expects in those locales). Pure.
 */
import type { QueryResult } from './queries';

export interface CsvOptions {
  readonly decimal?: '.' | ',';
}

export const BOM = '\uFEFF';

function cell(v: unknown, sep: string, decimal: string): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? (decimal === ',' ? String(v).replace('.', ',') : String(v)) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  let s = typeof v === 'string' ? v : JSON.stringify(v);
  // A text starting like a formula would run as one in a spreadsheet (CSV injection): keep it text.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return s.includes(sep) || s.includes('"') || s.includes('\n') || s.includes('\r') ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(result: QueryResult, options: CsvOptions = {}): string {
  const decimal = options.decimal ?? '.';
  const sep = decimal === ',' ? ';' : ',';
  const lines = [result.columns.map((c) => cell(c, sep, decimal)).join(sep)];
  for (const row of result.rows) lines.push(result.columns.map((c) => cell(row[c], sep, decimal)).join(sep));
  return `${BOM}${lines.join('\r\n')}\r\n`;
}
