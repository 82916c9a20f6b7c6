/**
 * One MQTT connection to a broker (the `mqtt` package, MQTT 3.1.1 or 5), with fail-over over a list of
 * broker URLs. Each attempt is a fresh client with reconnection off, so that every connection carries the
 * will its owner gives for it (Sparkplug's NDEATH with a new bdSeq) and nothing mqtt.js kept from the last
 * one is sent again behind the owner's back (the owner resends from its buffer, after its births).
 * Attempts start at the primary URL and go down the list on failure, so a lost connection moves to the
 * next broker and comes back to the primary on the next loss or retry. TLS is verified (an explicit CA,
 * an optional client certificate). No Node-RED here.
 */
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';

export interface BrokerOptions {
  readonly urls: readonly string[];
  readonly protocolVersion: 4 | 5;
  readonly clientId: string;
  readonly username?: string;
  readonly password?: string;
  /** PEM CA certificate(s) trusted for mqtts:// (in addition to Node's roots). */
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** false only when the user opted out of verification explicitly. */
  readonly verifyTls: boolean;
  readonly keepaliveS: number;
  readonly connectTimeoutMs: number;
  /** Wait between two rounds over the list. */
  readonly retryMs: number;
}

export interface OutgoingMessage {
  readonly topic: string;
  readonly payload: Buffer | string;
  readonly qos: 0 | 1;
  readonly retain: boolean;
}

export type ConnectionState = 'connecting' | 'connected' | 'down' | 'closed';

export interface ConnectionHooks {
  /** The will of the next connection, asked before each attempt. */
  will?(): OutgoingMessage | undefined;
  /** Connected (to `url`); subscriptions are made, the owner publishes its births here. */
  online(url: string): void;
  /** Lost or failed (not called on close). */
  offline(reason: string): void;
  message?(topic: string, payload: Buffer): void;
}

const SCHEMES = /^(mqtts?|wss?|tcp|ssl):\/\/[^\s/]+/;

export function checkUrls(text: string): string[] {
  const urls = text.split(/[\s,]+/).filter(Boolean);
  if (urls.length === 0) throw new Error('broker URL is not set (e.g. mqtt://broker:1883)');
  for (const u of urls) if (!SCHEMES.test(u)) throw new Error(`broker URL "${u}" must start with mqtt://, mqtts://, ws:// or wss:// and name a host`);
  return urls;
}

export class BrokerConnection {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private state_: ConnectionState = 'connecting';
  private urlIndex = 0;
  private lastError_ = '';
  private url_ = '';
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly options: BrokerOptions,
    private readonly hooks: ConnectionHooks,
    private readonly subscriptions: readonly string[] = [],
  ) {
    this.attempt();
  }

  get state(): ConnectionState {
    return this.state_;
  }

  get url(): string {
    return this.url_;
  }

  get lastError(): string {
    return this.lastError_;
  }

  /** Called on every state change (status of the nodes). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Publishes on the current connection; resolves on PUBACK (QoS 1), rejects when there is none or it closes. */
  publish(m: OutgoingMessage): Promise<void> {
    const client = this.client;
    if (!client || this.state_ !== 'connected') return Promise.reject(new Error('not connected to the broker'));
    return new Promise((resolve, reject) => {
      client.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain }, (err) => (err ? reject(err) : resolve()));
    });
  }

  async close(): Promise<void> {
    this.state_ = 'closed';
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    if (client) await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
    this.changed();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  private attempt(): void {
    if (this.state_ === 'closed') return;
    const url = this.options.urls[this.urlIndex];
    this.url_ = url;
    this.state_ = 'connecting';
    this.changed();
    const o = this.options;
    const will = this.hooks.will?.();
    const opts: IClientOptions = {
      protocolVersion: o.protocolVersion,
      clientId: o.clientId,
      clean: true,
      keepalive: o.keepaliveS,
      connectTimeout: o.connectTimeoutMs,
      reconnectPeriod: 0,
      rejectUnauthorized: o.verifyTls,
      ...(o.username !== undefined && o.username !== '' ? { username: o.username } : {}),
      ...(o.password !== undefined && o.password !== '' ? { password: o.password } : {}),
      ...(o.ca ? { ca: o.ca } : {}),
      ...(o.cert ? { cert: o.cert } : {}),
      ...(o.key ? { key: o.key } : {}),
      ...(will ? { will: { topic: will.topic, payload: Buffer.from(will.payload), qos: will.qos, retain: will.retain } } : {}),
    };
    const client = mqtt.connect(url, opts);
    this.client = client;
    let settled = false;
    const lost = (reason: string): void => {
      if (settled || this.client !== client) return;
      settled = true;
      const wasUp = this.state_ === 'connected';
      this.client = undefined;
      client.end(true);
      if (this.state_ === 'closed') return;
      this.lastError_ = reason;
      this.state_ = 'down';
      this.changed();
      this.hooks.offline(reason);
      // A lost connection tries the next broker at once; a failed round waits before the next.
      this.urlIndex = (this.urlIndex + 1) % o.urls.length;
      const wait = wasUp || this.urlIndex !== 0 ? 0 : o.retryMs;
      this.timer = setTimeout(() => this.attempt(), wait);
    };
    client.on('error', (err) => lost(`${url}: ${err.message}`));
    client.on('close', () => lost(`${url}: connection closed`));
    client.on('message', (topic, payload) => this.hooks.message?.(topic, payload));
    client.on('connect', () => {
      if (this.client !== client) return;
      const go = (): void => {
        if (this.client !== client || this.state_ === 'closed') return;
        this.state_ = 'connected';
        this.lastError_ = '';
        this.changed();
        this.hooks.online(url);
      };
      if (this.subscriptions.length === 0) return go();
      client.subscribe([...this.subscriptions], { qos: 1 }, (err) => (err ? lost(`${url}: subscribe refused: ${err.message}`) : go()));
    });
  }
}
