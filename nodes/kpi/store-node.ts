/** The fh-kpi-store a node points at, with its service, or the error that says why there is none. */
import type { NodeAPI } from 'node-red';
import type { KpiStoreNode } from './kpi-store';
import type { KpiService } from './service';
import { getConfigNode } from '../shared/config-node';

export function storeService(RED: NodeAPI, id: string | undefined): { service: KpiService; label: string } {
  const store = getConfigNode<KpiStoreNode>(RED, id, 'fh-kpi-store', 'KPI store');
  const r = store.ready;
  if ('error' in r) throw r.error;
  return r;
}

/** "3 min", "40 s": the age of the oldest queued record, for the status. */
export function age(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
