/**
 * A UNS publisher: a broker connection, its store-and-forward buffer and one of the two forms (a Sparkplug
 * B edge node session, or the plain JSON namespace). Every accepted value goes through the buffer, so the
 * order on the broker is the order of acceptance, online or not:
 * accept → commit to SQLite → (when connected) publish in batches with QoS 1 → remove after the PUBACKs.
 * On each connection the Sparkplug births go first; rows accepted before that connection are then sent
 * with is_historical (JSON: "historical": true), the rest by exception. A batch cut by a lost connection
 * stays in the buffer and is sent again on the next one (at least once). No Node-RED here.
 */
import { BrokerConnection } from './broker-connection';
import type { BrokerOptions, OutgoingMessage } from './broker-connection';
import { StoreBuffer } from './buffer';
import type { BufferLimits, BufferedRow } from './buffer';
import { jsonPayload, jsonTopic } from './json-uns';
import type { MetricUpdate } from './metric';
import { EdgeSession } from './sparkplug-session';
import { sparkplugTopic } from './sparkplug-names';
import type { SparkplugIds } from './sparkplug-names';

/**
 * `primaryHost`: Sparkplug 3.0's primary host application id: the edge node publishes (births, data)
 * only while that host's STATE says online, and keeps values in its buffer otherwise.
 */
export type PublishForm = { readonly kind: 'sparkplug'; readonly ids: SparkplugIds; readonly primaryHost?: string } | { readonly kind: 'json' };

/** A STATE payload's verdict: 3.0 JSON `{"online": true, "timestamp": …}`, or 2.2's ONLINE/OFFLINE text. */
export function hostOnline(payload: Buffer): boolean {
  const text = payload.toString().trim();
  if (text === 'ONLINE' || text === 'OFFLINE') return text === 'ONLINE';
  try {
    return (JSON.parse(text) as { online?: unknown }).online === true;
  } catch {
    return false;
  }
}

export interface PublisherOptions {
  readonly form: PublishForm;
  readonly bufferFile: string;
  readonly limits: BufferLimits;
  /** Rows per batch (one Sparkplug DATA per device, or one JSON message per row). */
  readonly batch?: number;
}

/** A buffered row: the update, and its topic for the JSON form. */
interface Row {
  readonly u: MetricUpdate;
  readonly t?: string;
}

export interface PublisherEvents {
  /** A problem that is no one input's: a bad NCMD, a failed publish. */
  error(err: Error): void;
  /** State, buffer depth or drops changed. */
  changed(): void;
}

export interface PublisherStatus {
  readonly state: BrokerConnection['state'];
  readonly url: string;
  readonly lastError: string;
  readonly buffered: number;
  readonly dropped: number;
  readonly full: boolean;
  /** A primary host is configured and not online: values wait in the buffer. */
  readonly waitingForHost: boolean;
}

export class UnsPublisher {
  private readonly buffer: StoreBuffer<Row>;
  private readonly session: EdgeSession | undefined;
  private readonly connection: BrokerConnection;
  private readonly listeners = new Set<PublisherEvents>();
  private readonly batch: number;
  /** Rows up to this id were accepted before the current connection: historical. */
  private horizon = 0;
  private draining = false;
  private again = false;
  /** STATE topic of the primary host, when one is configured. */
  private readonly stateTopic: string | undefined;
  private hostIsOnline = false;

  constructor(broker: BrokerOptions, readonly options: PublisherOptions) {
    this.batch = options.batch ?? 1000;
    this.buffer = new StoreBuffer<Row>(options.bufferFile, options.limits);
    const form = options.form;
    if (form.kind === 'sparkplug') {
      const last = Number(this.buffer.getMeta('bdSeq'));
      const session = new EdgeSession(form.ids, { qos: 1, ...(Number.isInteger(last) ? { lastBdSeq: last } : {}) });
      // Values buffered before a restart are known metrics of the next birth.
      for (let after = 0; ; ) {
        const rows = this.buffer.peek(after, 5000);
        if (rows.length === 0) break;
        session.record(rows.map((r) => r.item.u));
        after = rows[rows.length - 1].id;
      }
      this.session = session;
    }
    this.stateTopic = form.kind === 'sparkplug' && form.primaryHost ? `spBv1.0/STATE/${form.primaryHost}` : undefined;
    const ncmd = form.kind === 'sparkplug' ? [sparkplugTopic(form.ids, 'NCMD'), ...(this.stateTopic ? [this.stateTopic] : [])] : [];
    this.connection = new BrokerConnection(
      broker,
      {
        will: () => this.will(),
        online: () => this.online(),
        offline: () => {
          this.hostIsOnline = false;
          this.session?.offline();
          this.emitChanged();
        },
        message: (topic, payload) => (topic === this.stateTopic ? this.hostState(payload) : this.command(payload)),
      },
      ncmd,
    );
    this.connection.onChange(() => this.emitChanged());
  }

  subscribe(events: PublisherEvents): () => void {
    this.listeners.add(events);
    return () => this.listeners.delete(events);
  }

  get status(): PublisherStatus {
    const c = this.connection;
    return { state: c.state, url: c.url, lastError: c.lastError, buffered: this.buffer.size, dropped: this.buffer.dropped, full: this.buffer.full, waitingForHost: this.stateTopic !== undefined && !this.hostIsOnline };
  }

  /**
   * Takes `updates` in: on disk when this returns (or it throws). JSON topics are made under `root`
   * here, so a bad name is refused before it is accepted.
   */
  accept(updates: readonly MetricUpdate[], root = ''): { dropped: number } {
    const rows: Row[] = this.options.form.kind === 'json' ? updates.map((u) => ({ u, t: jsonTopic(root, u.name) })) : updates.map((u) => ({ u }));
    const outcome = this.buffer.append(rows);
    this.session?.record(updates);
    this.emitChanged();
    this.drain();
    return outcome;
  }

  async close(): Promise<void> {
    await this.connection.close();
    this.buffer.close();
  }

  private will(): OutgoingMessage | undefined {
    if (!this.session) return undefined;
    const will = this.session.connecting();
    this.buffer.setMeta('bdSeq', String(this.session.bdSeq));
    return will;
  }

  /** Publishing allowed: connected, and the primary host (if one is configured) online. */
  private get mayPublish(): boolean {
    return this.connection.state === 'connected' && (this.stateTopic === undefined || this.hostIsOnline);
  }

  private hostState(payload: Buffer): void {
    const online = hostOnline(payload);
    if (online === this.hostIsOnline) return;
    this.hostIsOnline = online;
    // Offline: nothing more until the host is back; then births again and the buffer as history.
    if (!online) this.session?.offline();
    else this.online();
    this.emitChanged();
  }

  private online(): void {
    if (!this.mayPublish) return;
    this.horizon = this.buffer.lastId();
    // A birth cut by a lost connection is made again on the next one.
    if (this.session) this.send(this.session.birth()).catch(() => undefined);
    this.drain();
  }

  /** An NCMD (the one topic subscribed): a rebirth request, or a clear error for a bad payload. */
  private command(payload: Buffer): void {
    if (!this.session) return;
    try {
      const births = this.session.command(payload);
      if (births.length > 0 && this.mayPublish) this.send(births).catch(() => undefined);
    } catch (err) {
      this.emitError(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Publishes in the order given (mqtt.js keeps it on the wire); resolves when all are acknowledged. */
  private send(messages: readonly OutgoingMessage[]): Promise<void> {
    return Promise.all(messages.map((m) => this.connection.publish(m))).then(() => undefined);
  }

  private drain(): void {
    if (this.draining) {
      this.again = true;
      return;
    }
    if (!this.mayPublish || this.buffer.size === 0) return;
    this.draining = true;
    void this.drainLoop().finally(() => {
      this.draining = false;
      if (this.again) {
        this.again = false;
        this.drain();
      }
    });
  }

  private async drainLoop(): Promise<void> {
    while (this.mayPublish) {
      this.again = false;
      const rows = this.buffer.peek(0, this.batch);
      if (rows.length === 0) return;
      try {
        await this.send(this.messagesOf(rows));
      } catch {
        // The connection went: the rows stay and go again after the next birth.
        return;
      }
      this.buffer.remove(rows[rows.length - 1].id);
      this.emitChanged();
    }
  }

  private messagesOf(rows: readonly BufferedRow<Row>[]): OutgoingMessage[] {
    const old = rows.filter((r) => r.id <= this.horizon);
    const live = rows.filter((r) => r.id > this.horizon);
    if (this.session) {
      return [...(old.length ? this.session.data(old.map((r) => r.item.u), true) : []), ...(live.length ? this.session.data(live.map((r) => r.item.u), false) : [])];
    }
    return rows.map((r) => ({ topic: r.item.t ?? r.item.u.name, payload: jsonPayload(r.item.u, r.id <= this.horizon), qos: 1 as const, retain: true }));
  }

  private emitChanged(): void {
    for (const l of this.listeners) l.changed();
  }

  private emitError(err: Error): void {
    for (const l of this.listeners) l.error(err);
  }
}
