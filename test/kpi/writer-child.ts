/**
 * A hub's KPI writer in a child process, for the SIGKILL test: accepts stops [from, to) of one machine
 * (fh-oee's stop-end events) through the durable queue into the KPI database, reporting each acceptance
 * to the parent (with the queue's depth and what it wrote), then that the queue is drained.
 */
import { recordsOfOee } from '../../nodes/kpi/from-oee';
import { PostgresKpiStore } from '../../nodes/kpi/postgres-store';
import { KpiQueue } from '../../nodes/kpi/queue';
import { SqliteKpiStore } from '../../nodes/kpi/sqlite-store';
import { stopEvent } from './fixtures';

export interface ChildArgs {
  readonly backend: 'sqlite' | 'postgres';
  /** SQLite file or PostgreSQL URL. */
  readonly target: string;
  readonly queueFile: string;
  readonly from: number;
  readonly to: number;
}

export type ChildMessage =
  | { readonly acked: number; readonly depth: number; readonly written: number }
  | { readonly progress: true; readonly depth: number; readonly written: number }
  | { readonly drained: true };

export const MACHINE = 'acme/pack/line1/filler';
export const T0 = Date.UTC(2026, 10, 2, 5);

export function stopRecords(i: number) {
  const start = T0 + i * 10_000;
  return recordsOfOee(stopEvent('stop-end', MACHINE, { id: i, shiftId: '2026-11-02/Early', start, end: start + 5000, reason: { id: 'jam', category: 'Mechanical', name: 'Jam' } }), 'Europe/Berlin') ?? [];
}

async function main(): Promise<void> {
  const a = JSON.parse(process.argv[2]) as ChildArgs;
  const store = a.backend === 'sqlite' ? new SqliteKpiStore(a.target) : new PostgresKpiStore({ url: a.target, tls: 'off' });
  const queue = new KpiQueue(store, { file: a.queueFile, batchSize: 40, retryBaseMs: 50, retryCapMs: 200 });
  queue.start();
  const tell = (m: ChildMessage): void => {
    process.send?.(m);
  };
  queue.onChange(() => {
    const s = queue.stats();
    tell({ progress: true, depth: s.depth, written: s.written });
  });
  // Bursts of 100 events, as a line's machines send them together: the queue fills while the pump writes.
  for (let i = a.from; i < a.to; i += 100) {
    const burst: Promise<number>[] = [];
    for (let j = i; j < Math.min(i + 100, a.to); j++) burst.push(queue.accept(stopRecords(j)).then(() => j));
    for (const j of await Promise.all(burst)) {
      const s = queue.stats();
      tell({ acked: j, depth: s.depth, written: s.written });
    }
  }
  await queue.drained();
  tell({ drained: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
