/**
 * The monitored items of one session: what the nodes want (registrations, kept across reconnects) and
 * what the server has now (subscriptions of the current connection).
 *
 * - One subscription per publishing interval, however many nodes and items use it.
 * - Items are created in batches (one CreateMonitoredItems per chunk of the server's limit), never one
 *   request per item; notifications are dispatched by index, O(1) per value.
 * - After a reconnect everything is created again from the registrations: recovery never depends on the
 *   server still holding our subscriptions or on TransferSubscriptions.
 * - A watchdog rebuilds a subscription that delivers neither data nor keep-alives for `missedKeepAlives`
 *   keep-alive periods; a second silence in a row gives up on the connection (the caller reconnects).
 *
 * No Node-RED here.
 */
import type { ClientMonitoredItemBase, ClientSession, DataValue, MonitoringParametersOptions } from 'node-opcua-client';
import {
  AttributeIds,
  ClientMonitoredItemGroup,
  ClientSubscription,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  TimestampsToReturn,
} from 'node-opcua-client';
import { messageOf } from '../shared/errors';
import { isSessionLost } from './faults';
import { resolveNodeId } from './node-id';

export interface Deadband {
  readonly type: 'absolute' | 'percent';
  /** Absolute: in the variable's raw units; percent: of its EURange (0..100). */
  readonly value: number;
}

export interface ItemSpec {
  readonly nodeId: string;
  readonly samplingInterval: number;
  readonly queueSize: number;
  readonly deadband?: Deadband;
}

export interface MonitorListener {
  /** A notification for item `index` (value, status and timestamps). */
  data(index: number, dv: DataValue): void;
  /** Item `index` could not be monitored; `why` starts with the status code name. */
  failed(index: number, why: string): void;
  /** The subscription went silent and is being rebuilt ('stale'), or delivers again ('ok'). */
  health(state: 'ok' | 'stale', detail: string): void;
  /** The items now exist on the server (after each creation: deploy, reconnect, rebuild); `created` = how many. */
  ready?(created: number): void;
  /** The server answered a publish of this subscription (data or keep-alive): the link is alive. */
  alive?(): void;
}

export interface MonitorHandle {
  close(): void;
}

/** The part of a connection the subscriptions need. */
export interface LiveConnection {
  readonly id: number;
  readonly session: ClientSession;
  readonly namespaces: readonly string[];
  /** Items per CreateMonitoredItems request. */
  readonly itemsPerCall: number;
  readonly dead: boolean;
}

export interface SubscriptionTiming {
  /** Aim for a keep-alive at least this often when nothing changes. */
  readonly keepAliveTargetMs: number;
  /** Keep-alive periods without any publish response before the subscription counts as dead. */
  readonly missedKeepAlives: number;
  readonly requestTimeoutMs: number;
}

class Registration {
  closed = false;
  stale = false;
  constructor(
    readonly interval: number,
    readonly items: readonly ItemSpec[],
    readonly listener: MonitorListener,
  ) {}
}

interface Live {
  readonly interval: number;
  readonly sub: ClientSubscription;
  /** Groups of monitored items per registration (several when it has several parameter sets or chunks). */
  readonly groups: Map<Registration, ClientMonitoredItemGroup[]>;
  lastActivity: number;
  gone: boolean;
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function paramsKey(item: ItemSpec): string {
  return `${item.samplingInterval}|${item.queueSize}|${item.deadband ? `${item.deadband.type}:${item.deadband.value}` : ''}`;
}

function parametersOf(item: ItemSpec): MonitoringParametersOptions {
  return {
    samplingInterval: item.samplingInterval,
    queueSize: item.queueSize,
    discardOldest: true,
    filter: item.deadband
      ? new DataChangeFilter({
          trigger: DataChangeTrigger.StatusValue,
          deadbandType: item.deadband.type === 'percent' ? DeadbandType.Percent : DeadbandType.Absolute,
          deadbandValue: item.deadband.value,
        })
      : null,
  };
}

export class Subscriptions {
  private readonly wanted = new Map<number, Set<Registration>>();
  private conn: LiveConnection | undefined;
  private live = new Map<number, Live>();
  /** Watchdog firings in a row per interval, reset by any publish response. */
  private readonly strikes = new Map<number, number>();
  private running = false;
  private dirty = false;
  private closed = false;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly timing: SubscriptionTiming,
    /** The connection must be dropped and made again. */
    private readonly onLost: (conn: LiveConnection, cause: string) => void,
  ) {}

  /** Starts monitoring `items` on the subscription for `publishingInterval` (now, or once connected). */
  add(publishingInterval: number, items: readonly ItemSpec[], listener: MonitorListener): MonitorHandle {
    const reg = new Registration(publishingInterval, items, listener);
    let set = this.wanted.get(publishingInterval);
    if (!set) this.wanted.set(publishingInterval, (set = new Set()));
    set.add(reg);
    this.kick();
    return {
      close: () => {
        if (reg.closed) return;
        reg.closed = true;
        const s = this.wanted.get(publishingInterval);
        s?.delete(reg);
        if (s && s.size === 0) this.wanted.delete(publishingInterval);
        this.kick();
      },
    };
  }

  /** A new connection: create every subscription and item on it. */
  attach(conn: LiveConnection): void {
    this.conn = conn;
    this.live = new Map();
    this.strikes.clear();
    clearInterval(this.watchdog);
    this.watchdog = setInterval(() => this.check(), 250);
    this.kick();
  }

  /** The connection is gone; its subscriptions went with it. */
  detach(): void {
    this.conn = undefined;
    for (const live of this.live.values()) live.gone = true;
    this.live = new Map();
    clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  close(): void {
    this.closed = true;
    this.detach();
    this.wanted.clear();
  }

  /** Subscriptions and monitored items the server holds for us now (tests, status). */
  counts(): { subscriptions: number; items: number } {
    let items = 0;
    for (const live of this.live.values()) {
      for (const groups of live.groups.values()) for (const g of groups) items += g.monitoredItems.filter((i) => i.statusCode.isGood()).length;
    }
    return { subscriptions: this.live.size, items };
  }

  private kick(): void {
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.running = true;
    void (async () => {
      try {
        do {
          this.dirty = false;
          await this.sync();
        } while (this.dirty && !this.closed);
      } catch {
        // sync() settles its own faults (onLost); nothing may escape as an unhandled rejection
      } finally {
        this.running = false;
      }
    })();
  }

  /** Makes the server's subscriptions match the registrations (serialized: one sync at a time). */
  private async sync(): Promise<void> {
    const conn = this.conn;
    if (!conn || conn.dead || this.closed) return;
    try {
      for (const [interval, live] of [...this.live]) {
        const want = this.wanted.get(interval);
        if (!want || want.size === 0) {
          this.live.delete(interval);
          await this.terminate(live);
          continue;
        }
        for (const [reg, groups] of [...live.groups]) {
          if (want.has(reg)) continue;
          live.groups.delete(reg);
          // Deleting items is housekeeping: a failure must not stop the others being created.
          await Promise.all(groups.map((g) => withTimeout(g.terminate(), this.timing.requestTimeoutMs, 'DeleteMonitoredItems').catch(() => undefined)));
        }
      }
      for (const [interval, regs] of [...this.wanted]) {
        let live = this.live.get(interval);
        for (const reg of [...regs]) {
          if (reg.closed || live?.groups.has(reg)) continue;
          if (!live) {
            live = await this.createSubscription(conn, interval);
            if (this.conn !== conn) return;
            this.live.set(interval, live);
          }
          await this.createItems(conn, live, reg);
          if (this.conn !== conn || live.gone) break;
        }
      }
    } catch (err) {
      if (this.conn !== conn || this.closed) return;
      // A refused or unanswered subscription service means the session cannot be trusted any more.
      this.onLost(conn, `subscription service failed: ${messageOf(err)}`);
    }
  }

  private async createSubscription(conn: LiveConnection, interval: number): Promise<Live> {
    const keepAlive = Math.min(1000, Math.max(3, Math.ceil(this.timing.keepAliveTargetMs / interval)));
    // Not session.createSubscription2: its "started" handler asserts the session is still there, and a
    // link lost between the answer and that handler threw out of node-opcua (an uncaught exception).
    const sub = ClientSubscription.create(conn.session, {
      requestedPublishingInterval: interval,
      requestedMaxKeepAliveCount: keepAlive,
      requestedLifetimeCount: keepAlive * 10,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 1,
    });
    sub.on('error', () => undefined); // an EventEmitter 'error' without a listener would throw
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        sub.once('started', () => resolve());
        sub.once('error', (err: Error) => reject(err));
      }),
      this.timing.requestTimeoutMs,
      'CreateSubscription',
    );
    const live: Live = { interval, sub, groups: new Map(), lastActivity: Date.now(), gone: false };
    // Every publish response, keep-alives included, proves the subscription alive.
    sub.on('raw_notification', () => this.activity(live));
    sub.on('terminated', () => {
      // Ended by the server (e.g. BadTimeout): build it again.
      if (live.gone || this.live.get(interval) !== live) return;
      live.gone = true;
      this.live.delete(interval);
      this.kick();
    });
    return live;
  }

  private async createItems(conn: LiveConnection, live: Live, reg: Registration): Promise<void> {
    const groups: ClientMonitoredItemGroup[] = [];
    live.groups.set(reg, groups);
    let created = 0;
    const byParams = new Map<string, number[]>();
    reg.items.forEach((item, i) => {
      const key = paramsKey(item);
      const list = byParams.get(key);
      if (list) list.push(i);
      else byParams.set(key, [i]);
    });
    for (const indices of byParams.values()) {
      const resolved: { index: number; nodeId: ReturnType<typeof resolveNodeId> }[] = [];
      for (const index of indices) {
        try {
          resolved.push({ index, nodeId: resolveNodeId(reg.items[index].nodeId, conn.namespaces) });
        } catch (err) {
          reg.listener.failed(index, messageOf(err));
        }
      }
      const params = parametersOf(reg.items[indices[0]]);
      for (let start = 0; start < resolved.length; start += conn.itemsPerCall) {
        if (reg.closed || live.gone || this.conn !== conn) return;
        const chunk = resolved.slice(start, start + conn.itemsPerCall);
        const group = ClientMonitoredItemGroup.create(
          live.sub,
          chunk.map((r) => ({ nodeId: r.nodeId, attributeId: AttributeIds.Value })),
          params,
          TimestampsToReturn.Both,
        );
        // Listening before the items exist: the first notification may come with the next publish.
        group.on('changed', (_item: ClientMonitoredItemBase, dv: DataValue, k: number) => {
          if (!reg.closed) reg.listener.data(chunk[k].index, dv);
        });
        groups.push(group);
        await withTimeout(
          new Promise<void>((resolve, reject) => {
            group.once('initialized', () => resolve());
            group.once('terminated', (err?: Error) => reject(err ?? new Error('CreateMonitoredItems failed')));
          }),
          this.timing.requestTimeoutMs,
          'CreateMonitoredItems',
        ).catch((err: unknown) => {
          if (isSessionLost(err)) throw err;
          // The request itself was refused (e.g. BadTooManyMonitoredItems): every item of it failed.
          for (const r of chunk) reg.listener.failed(r.index, messageOf(err));
        });
        group.monitoredItems.forEach((item, k) => {
          if (item.statusCode.isGood()) created++;
          else reg.listener.failed(chunk[k].index, item.statusCode.name);
        });
      }
    }
    if (!reg.closed && !live.gone && this.conn === conn) reg.listener.ready?.(created);
  }

  private async terminate(live: Live): Promise<void> {
    live.gone = true;
    await withTimeout(live.sub.terminate(), this.timing.requestTimeoutMs, 'DeleteSubscriptions').catch(() => undefined);
  }

  private activity(live: Live): void {
    live.lastActivity = Date.now();
    if (live.gone) return;
    this.strikes.set(live.interval, 0);
    for (const reg of this.wanted.get(live.interval) ?? []) {
      if (reg.closed) continue;
      reg.listener.alive?.();
      if (!reg.stale) continue;
      reg.stale = false;
      reg.listener.health('ok', 'delivering again');
    }
  }

  /** Longest silence allowed: `missedKeepAlives` keep-alive periods plus one publishing interval. */
  private deadline(live: Live): number {
    const interval = live.sub.publishingInterval || live.interval;
    const keepAlive = interval * (live.sub.maxKeepAliveCount || 3);
    return keepAlive * this.timing.missedKeepAlives + interval;
  }

  private check(): void {
    const conn = this.conn;
    if (!conn || conn.dead || this.closed) return;
    const now = Date.now();
    for (const [interval, live] of this.live) {
      const silent = now - live.lastActivity;
      if (silent <= this.deadline(live)) continue;
      const strikes = (this.strikes.get(interval) ?? 0) + 1;
      this.strikes.set(interval, strikes);
      const detail = `no data or keep-alive for ${(silent / 1000).toFixed(1)} s; rebuilding the subscription`;
      for (const reg of this.wanted.get(interval) ?? []) {
        reg.stale = true;
        reg.listener.health('stale', detail);
      }
      if (strikes >= 2) {
        this.onLost(conn, `subscription (${interval} ms) silent again after a rebuild`);
        return;
      }
      this.live.delete(interval);
      void this.terminate(live);
      this.kick();
    }
  }
}
