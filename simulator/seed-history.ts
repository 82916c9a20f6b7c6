/**
 * Seeds a KPI store with the simulated history of the demo line (history.ts), through the store's own
 * write path: each fh-oee message becomes records as fh-kpi-write makes them (recordsOfOee), written
 * in batches with KpiStore.write, so a seeded store is what a line running for those weeks would leave.
 * Written once: seeding again with the same seed replaces the same rows.
 */
import { recordsOfOee } from '../nodes/kpi/from-oee';
import type { KpiStore } from '../nodes/kpi/store';
import { historyMessages } from './history';
import type { HistoryOptions } from './history';

export interface SeedResult {
  readonly shifts: number;
  readonly stops: number;
  readonly records: number;
}

export async function seedHistory(store: KpiStore, o: HistoryOptions): Promise<SeedResult> {
  await store.migrate();
  const zone = o.timeZone ?? 'Europe/Berlin';
  const records = historyMessages(o).flatMap((m) => recordsOfOee(m, zone) ?? []);
  for (let i = 0; i < records.length; i += 500) await store.write(records.slice(i, i + 500));
  return { shifts: records.filter((r) => r.kind === 'shift').length, stops: records.filter((r) => r.kind === 'stop').length, records: records.length };
}
