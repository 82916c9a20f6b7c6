/**
 * One KPI store as the nodes use it: the back end, the durable queue in front of it, and the tag-sample
 * downsampler. No Node-RED: the config node builds it from its checked settings.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { RecordError, recordsOfOee } from './from-oee';
import { PostgresKpiStore } from './postgres-store';
import { runQuery } from './queries';
import type { QueryResult } from './queries';
import { parseQuery } from './query-types';
import type { KpiRecord } from './records';
import { Sampler } from './sampler';
import { SqliteKpiStore } from './sqlite-store';
import type { KpiStore } from './store';
import type { StoreConfig } from './store-config';
import { KpiQueue } from './queue';

export interface ServiceOptions {
  /** The local queue file. */
  readonly queueFile: string;
  readonly onIdleError?: (err: Error) => void;
  readonly retryBaseMs?: number;
  readonly retryCapMs?: number;
}

/** Where a store node keeps its local queue. */
export function queueFile(userDir: string, id: string): string {
  return path.join(userDir, 'factoryhub', 'kpi', `queue-${id.replace(/[^\w.-]/g, '_')}.sqlite`);
}

export function openStore(config: StoreConfig, onIdleError?: (err: Error) => void): KpiStore {
  const b = config.backend;
  if (b.kind === 'sqlite') return new SqliteKpiStore(b.file);
  return new PostgresKpiStore({ url: b.url, ...(b.password !== undefined ? { password: b.password } : {}), tls: b.tls, ...(b.ca !== undefined ? { ca: b.ca } : {}), ...(onIdleError ? { onIdleError } : {}) });
}

export class KpiService {
  readonly store: KpiStore;
  readonly queue: KpiQueue;
  readonly sampler: Sampler;
  private readonly tickTimer: NodeJS.Timeout;
  /** A second connection for queries, so a long write batch does not hold up a dashboard. */
  private readonly reader: KpiStore;

  constructor(
    readonly config: StoreConfig,
    options: ServiceOptions,
  ) {
    this.store = openStore(config, options.onIdleError);
    this.reader = config.backend.kind === 'sqlite' ? openStore(config) : this.store;
    this.queue = new KpiQueue(this.store, {
      file: options.queueFile,
      maxRecords: config.maxQueued,
      retention: config.retention,
      ...(options.retryBaseMs !== undefined ? { retryBaseMs: options.retryBaseMs } : {}),
      ...(options.retryCapMs !== undefined ? { retryCapMs: options.retryCapMs } : {}),
    });
    this.sampler = new Sampler(config.sampleIntervalMs, `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`);
    this.tickTimer = setInterval(() => {
      const closed = this.sampler.tick(Date.now() - 5000);
      if (closed.length > 0) this.queue.accept(closed).catch(() => undefined);
    }, Math.min(config.sampleIntervalMs, 10_000));
    this.tickTimer.unref();
    this.queue.start();
  }

  /** Queues the records of one fh-oee message (null: a message the store does not keep). */
  async acceptOee(payload: unknown, by: string | null): Promise<number | null> {
    const records = recordsOfOee(payload, this.config.timeZone, by);
    if (records === null) return null;
    await this.queue.accept(records);
    return records.length;
  }

  /** Adds a tag sample; a closed interval is queued. */
  async acceptSample(tag: string, t: number, value: number): Promise<void> {
    if (!Number.isFinite(value)) throw new RecordError(`tag sample of ${tag}: value must be a finite number`);
    const closed = this.sampler.add(tag, t, value);
    if (closed) await this.queue.accept([closed]);
  }

  accept(records: readonly KpiRecord[]): Promise<void> {
    return this.queue.accept(records);
  }

  async query(query: unknown): Promise<QueryResult> {
    const q = parseQuery(query, this.config.timeZone);
    if (this.queue.stats().schemaVersion === undefined) throw new Error(`the KPI database is not ready yet${this.queue.stats().lastError ? `: ${this.queue.stats().lastError}` : ''}`);
    return runQuery(this.reader, q, this.config.timeZone);
  }

  async close(): Promise<void> {
    clearInterval(this.tickTimer);
    const open = this.sampler.flush();
    if (open.length > 0) await this.queue.accept(open).catch(() => undefined);
    await this.queue.close();
    if (this.reader !== this.store) await this.reader.close();
  }
}
