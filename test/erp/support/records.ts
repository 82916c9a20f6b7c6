/** Records for tests. */
import type { ErpRecord } from '../../../nodes/erp/record';
import { parseRecord } from '../../../nodes/erp/record';

export const T0 = Date.parse('2024-06-15T06:00:00Z');

export function confirmation(key: string, order = '1000036971', fields: Record<string, unknown> = {}): ErpRecord {
  return parseRecord({ kind: 'confirmation', key, order, operation: '10', workCenter: 'ASSEMBLY', yield: 95, scrap: 5, unit: 'PC', start: T0, end: T0 + 8 * 3600_000, activities: { setup: 30, machine: 420 }, ...fields });
}

export function downtime(key: string, fields: Record<string, unknown> = {}): ErpRecord {
  return parseRecord({ kind: 'downtime', key, order: '1000036971', workCenter: 'Line-1', start: T0, end: T0 + 22 * 60_000, reason: 'JAM', employee: 'HR-EMP-00007', ...fields });
}
