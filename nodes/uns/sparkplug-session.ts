/**
 * A Sparkplug B 3.0 edge node session, as a pure state machine: it says which packets to publish, the
 * publisher sends them. It keeps every metric's definition (alias, datatype, unit, range) and its current
 * and last published value, and gives
 * - the will (NDEATH with this connection's bdSeq) before each connect,
 * - the births once connected: NBIRTH (seq 0, bdSeq, Node Control/Rebirth, node metrics) and a DBIRTH per
 *   live device, each metric with its name, alias, datatype and properties (engUnit, engLow, engHigh,
 *   Quality, and tagPath: the full tag name when the metric name is only its last part),
 * - NDATA/DDATA by exception (only what changed since it was last published), by alias; buffered values
 *   with is_historical and never filtered,
 * - a rebirth when a metric appears that was not born, DDEATH when every metric of a device turned bad and
 *   DBIRTH when one is good again, and the births again on an NCMD Node Control/Rebirth.
 * seq runs 0–255 over every packet after the NBIRTH. No Node-RED, no MQTT here.
 */
import type { MetricUpdate, MetricValue, Quality, SparkplugType } from './metric';
import { decodePayload, encodePayload, num } from './sparkplug-codec';
import type { UMetric, UPayload } from './sparkplug-codec';
import { metricAddress, sparkplugTopic } from './sparkplug-names';
import type { SparkplugIds } from './sparkplug-names';

export interface Packet {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1;
  readonly retain: boolean;
}

/** Sparkplug 3.0's Quality property: 0 bad, 192 good (500 stale is a host's to set); uncertain as OPC's 64. */
export const QUALITY_CODE: Readonly<Record<Quality, number>> = { good: 192, uncertain: 64, bad: 0 };

export const REBIRTH = 'Node Control/Rebirth';

interface MetricState {
  readonly device: string;
  readonly metric: string;
  readonly alias: number;
  meta: MetricUpdate;
  /** Included in the birth now in force. */
  born: boolean;
  sentValue?: MetricValue;
  sentQuality?: Quality;
}

export interface SessionOptions {
  /** bdSeq of the last connection (persisted by the publisher), so a restart uses the next one. */
  readonly lastBdSeq?: number;
  /** QoS of data and births; Sparkplug asks 0, 1 makes store and forward know what the broker has. */
  readonly qos?: 0 | 1;
}

export class EdgeSession {
  private readonly metrics = new Map<string, MetricState>();
  /** Devices in force (DBIRTH published, no DDEATH since). */
  private readonly liveDevices = new Set<string>();
  private nextAlias = 2; // 1 is Node Control/Rebirth's
  private seq = 0;
  private nodeBorn = false;
  private bdSeqNow: number;
  private readonly qos: 0 | 1;

  constructor(
    readonly ids: SparkplugIds,
    options: SessionOptions = {},
  ) {
    this.bdSeqNow = options.lastBdSeq ?? 255;
    this.qos = options.qos ?? 0;
  }

  get bdSeq(): number {
    return this.bdSeqNow;
  }

  get born(): boolean {
    return this.nodeBorn;
  }

  /** Next connection: the next bdSeq and its will (NDEATH, QoS 1, not retained, no seq). */
  connecting(now = Date.now()): Packet {
    this.offline();
    this.bdSeqNow = (this.bdSeqNow + 1) % 256;
    return this.packet('NDEATH', '', { timestamp: now, metrics: [this.bdSeqMetric()] }, false, 1);
  }

  /** The connection was lost: nothing is in force until the next birth. */
  offline(): void {
    this.nodeBorn = false;
    this.liveDevices.clear();
    for (const m of this.metrics.values()) m.born = false;
  }

  /** Takes new current values (and definitions) in: called when values are accepted, online or not. */
  record(updates: readonly MetricUpdate[]): void {
    for (const u of updates) {
      const known = this.metrics.get(u.name);
      if (!known) {
        const { device, metric } = metricAddress(u.name, this.ids.deviceLevel);
        this.metrics.set(u.name, { device, metric, alias: this.nextAlias++, meta: u, born: false });
        continue;
      }
      if (!sameDefinition(known.meta, u)) known.born = false;
      known.meta = u;
    }
  }

  /** NBIRTH and the DBIRTH of every device with a metric not bad. */
  birth(now = Date.now()): Packet[] {
    this.seq = 0;
    this.nodeBorn = true;
    this.liveDevices.clear();
    const node: UMetric[] = [this.bdSeqMetric(), { name: REBIRTH, alias: 1, type: 'Boolean', value: false, timestamp: now }];
    const devices = new Map<string, MetricState[]>();
    for (const m of this.metrics.values()) {
      if (m.device === '') node.push(this.born1(m));
      else {
        m.born = false;
        const list = devices.get(m.device);
        if (list) list.push(m);
        else devices.set(m.device, [m]);
      }
    }
    const out = [this.packet('NBIRTH', '', { timestamp: now, metrics: node })];
    for (const [device, list] of devices) if (list.some((m) => m.meta.quality !== 'bad')) out.push(this.deviceBirth(device, now));
    return out;
  }

  /**
   * The packets for `rows` (in order), after the births they need. Live rows are sent by exception;
   * historical ones (accepted before this birth) all, flagged is_historical.
   */
  data(rows: readonly MetricUpdate[], historical: boolean, now = Date.now()): Packet[] {
    if (!this.nodeBorn) throw new Error('Sparkplug session: data before the node birth');
    const out: Packet[] = [];
    const unborn = rows.map((r) => this.state(r.name)).filter((m) => !m.born);
    if (unborn.some((m) => m.device === '')) out.push(...this.birth(now));
    else for (const d of new Set(unborn.map((m) => m.device))) if (this.liveDevices.has(d)) out.push(this.deviceBirth(d, now));
    const groups = new Map<string, UMetric[]>();
    const touched = new Set<string>();
    for (const r of rows) {
      const m = this.state(r.name);
      if (m.device !== '') touched.add(m.device);
      if (!historical && (!m.born || (m.sentValue === r.value && m.sentQuality === r.quality))) continue;
      const metric: UMetric = { alias: m.alias, type: r.type, value: r.value, timestamp: r.timestamp };
      if (r.quality !== 'good' || (!historical && m.sentQuality !== 'good')) metric.properties = { Quality: { type: 'Int32', value: QUALITY_CODE[r.quality] } };
      if (historical) metric.isHistorical = true;
      else {
        m.sentValue = r.value;
        m.sentQuality = r.quality;
      }
      const list = groups.get(m.device);
      if (list) list.push(metric);
      else groups.set(m.device, [metric]);
    }
    for (const [device, metrics] of groups) out.push(this.packet(device === '' ? 'NDATA' : 'DDATA', device, { timestamp: now, metrics }));
    if (!historical) for (const d of touched) out.push(...this.deviceLiveness(d, now));
    return out;
  }

  /** What an NCMD asks: the births again for a Node Control/Rebirth (by name or alias), else nothing. */
  command(payload: Uint8Array, now = Date.now()): Packet[] {
    const p = decodePayload(sparkplugTopic(this.ids, 'NCMD'), payload);
    const rebirth = (p.metrics ?? []).some((m) => (m.name === REBIRTH || num(m.alias) === 1) && m.value === true);
    return rebirth && this.nodeBorn ? this.birth(now) : [];
  }

  /** DDEATH when all of a live device's metrics are bad, DBIRTH when a dead one has a metric not bad. */
  private deviceLiveness(device: string, now: number): Packet[] {
    const list = [...this.metrics.values()].filter((m) => m.device === device);
    const alive = list.some((m) => m.meta.quality !== 'bad');
    if (this.liveDevices.has(device) && !alive) {
      this.liveDevices.delete(device);
      for (const m of list) m.born = false;
      return [this.packet('DDEATH', device, { timestamp: now, metrics: [] })];
    }
    if (!this.liveDevices.has(device) && alive) return [this.deviceBirth(device, now)];
    return [];
  }

  private deviceBirth(device: string, now: number): Packet {
    const metrics: UMetric[] = [];
    for (const m of this.metrics.values()) if (m.device === device) metrics.push(this.born1(m));
    this.liveDevices.add(device);
    return this.packet('DBIRTH', device, { timestamp: now, metrics });
  }

  /** A metric as a birth gives it, marking it born with its current value sent. */
  private born1(m: MetricState): UMetric {
    const u = m.meta;
    m.born = true;
    m.sentValue = u.value;
    m.sentQuality = u.quality;
    const properties: NonNullable<UMetric['properties']> = { Quality: { type: 'Int32', value: QUALITY_CODE[u.quality] } };
    if (u.unit !== undefined) properties.engUnit = { type: 'String', value: u.unit };
    if (u.engLow !== undefined) properties.engLow = { type: 'Double', value: u.engLow };
    if (u.engHigh !== undefined) properties.engHigh = { type: 'Double', value: u.engHigh };
    if (u.description !== undefined) properties.Documentation = { type: 'String', value: u.description };
    // The full ISA-95 name, so that a host (fh-uns-subscribe) gives the plant hub the same tag names.
    if (u.name !== m.metric) properties.tagPath = { type: 'String', value: u.name };
    return { name: m.metric, alias: m.alias, type: u.type, value: u.value, timestamp: u.timestamp, properties };
  }

  private state(name: string): MetricState {
    const m = this.metrics.get(name);
    if (!m) throw new Error(`Sparkplug session: metric ${name} was never recorded`);
    return m;
  }

  private bdSeqMetric(): UMetric {
    return { name: 'bdSeq', type: 'Int64', value: this.bdSeqNow };
  }

  private packet(type: 'NBIRTH' | 'NDEATH' | 'NDATA' | 'DBIRTH' | 'DDEATH' | 'DDATA', device: string, p: UPayload, withSeq = true, qos = this.qos): Packet {
    if (withSeq) {
      p.seq = this.seq;
      this.seq = (this.seq + 1) % 256;
    }
    return { topic: sparkplugTopic(this.ids, type, device), payload: encodePayload(p), qos, retain: false };
  }
}

function sameDefinition(a: MetricUpdate, b: MetricUpdate): boolean {
  return a.type === b.type && a.unit === b.unit && a.engLow === b.engLow && a.engHigh === b.engHigh && a.description === b.description;
}

export type { SparkplugType };
