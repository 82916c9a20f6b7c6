/**
 * Template instances as table rows of text cells and back. Numbers and the overrides object are typed
 * as text in the table; what does not convert is an error at the instance and column. Pure, no DOM.
 */
import type { TemplateInstance } from '../template';
import type { Cells } from './table-model';

export const INSTANCE_COLUMNS = ['template', 'namePrefix', 'baseAddress', 'unitId', 'nodeIdPrefix', 'overrides'] as const;
export type InstanceColumn = (typeof INSTANCE_COLUMNS)[number];

export interface CellError<C extends string> {
  readonly column: C | null;
  readonly message: string;
}

/** A stored instance (possibly hand-written, so anything) as table cells. */
export function instanceCells(raw: unknown): Cells<InstanceColumn> {
  const source = typeof raw === 'object' && raw !== null ? (raw as Readonly<Record<string, unknown>>) : {};
  const cells: Cells<InstanceColumn> = {};
  for (const column of INSTANCE_COLUMNS) {
    const value = source[column];
    if (value === undefined || value === null || value === '') continue;
    cells[column] = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  }
  return cells;
}

export type InstanceResult =
  | { readonly ok: true; readonly instance: TemplateInstance }
  | { readonly ok: false; readonly errors: CellError<InstanceColumn>[] };

/** Table cells -> the instance to store, or the cells that do not convert. */
export function cellsInstance(cells: Cells<InstanceColumn>): InstanceResult {
  const errors: CellError<InstanceColumn>[] = [];
  const text = (column: InstanceColumn): string => (cells[column] ?? '').trim();
  const whole = (column: 'baseAddress' | 'unitId'): number | undefined => {
    const value = text(column);
    if (value === '') return undefined;
    if (/^\d+$/.test(value)) return Number(value);
    errors.push({ column, message: `${column} "${value}" is not a whole number` });
    return undefined;
  };
  const baseAddress = whole('baseAddress');
  const unitId = whole('unitId');
  let overrides: Record<string, Record<string, string>> | undefined;
  const overridesText = text('overrides');
  if (overridesText !== '') {
    try {
      const parsed = JSON.parse(overridesText) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('expected an object');
      overrides = parsed as Record<string, Record<string, string>>;
    } catch (err) {
      errors.push({
        column: 'overrides',
        message: `overrides must be JSON like {"count": {"address": "hr:5"}}: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const instance: { -readonly [K in keyof TemplateInstance]: TemplateInstance[K] } = { template: text('template'), namePrefix: text('namePrefix') };
  if (baseAddress !== undefined) instance.baseAddress = baseAddress;
  if (unitId !== undefined) instance.unitId = unitId;
  if (text('nodeIdPrefix') !== '') instance.nodeIdPrefix = text('nodeIdPrefix');
  if (overrides !== undefined) instance.overrides = overrides;
  return { ok: true, instance };
}
