/**
 * A Sparkplug B host application's view of the edge nodes it hears, as a pure state machine: it takes
 * (topic, payload) and gives the tag values to emit and the commands to publish. It keeps per edge node
 * its bdSeq, last seq, aliases and every metric's current value, quality and birth/death state;
 * - NBIRTH/DBIRTH: every metric, with its unit and range; NDATA/DDATA: by alias or name;
 * - NDEATH (with the bdSeq of the birth in force) and DDEATH: every metric of it emitted stale (bad);
 * - a seq gap, or data from a node (or alias) never born: a Node Control/Rebirth NCMD, once per birth.
 * Metric names become tag names: the tagPath property when the edge node gives one (fh-uns-publish
 * does), else `group/edge node/device/metric`. No Node-RED, no MQTT here.
 */
import type { Quality } from './metric';
import { decodePayload, encodePayload, num } from './sparkplug-codec';
import type { UMetric } from './sparkplug-codec';
import { parseTopic, sparkplugTopic } from './sparkplug-names';
import { REBIRTH } from './sparkplug-session';
import type { Packet } from './sparkplug-session';

export interface HostValue {
  readonly name: string;
  readonly value: unknown;
  readonly timestamp: number;
  readonly quality: Quality;
  readonly stale: boolean;
  readonly historical: boolean;
  readonly type: string;
  readonly unit?: string;
  readonly engLow?: number;
  readonly engHigh?: number;
  readonly group: string;
  readonly edgeNode: string;
  readonly device: string;
}

export interface HostOutcome {
  readonly values: HostValue[];
  readonly commands: Packet[];
  /** Why a rebirth was asked, for the status and the log. */
  readonly rebirthReason?: string;
}

interface Known {
  readonly name: string;
  readonly device: string;
  readonly type: string;
  readonly unit?: string;
  readonly engLow?: number;
  readonly engHigh?: number;
  value: unknown;
  timestamp: number;
  quality: Quality;
}

interface EdgeState {
  online: boolean;
  bdSeq: number | undefined;
  seq: number | undefined;
  readonly byName: Map<string, Known>;
  readonly byAlias: Map<number, Known>;
  readonly devices: Set<string>;
  rebirthAsked: boolean;
}

const CONTROL = /^(bdSeq$|Node Control\/|Properties\/)/;

function qualityOf(m: UMetric, fallback: Quality): Quality {
  const code = num(m.properties?.Quality?.value);
  if (code === undefined) return fallback;
  return code >= 192 && code < 256 ? 'good' : code === 0 || code >= 500 ? 'bad' : 'uncertain';
}

export class HostSession {
  private readonly edges = new Map<string, EdgeState>();

  /** What one message means; a payload that is no Sparkplug payload throws a clear error. */
  receive(topic: string, payload: Uint8Array, now = Date.now()): HostOutcome {
    const t = parseTopic(topic);
    if (!t || t.type === 'NCMD' || t.type === 'DCMD') return { values: [], commands: [] };
    const p = decodePayload(topic, payload);
    const key = `${t.group}/${t.edgeNode}`;
    let edge = this.edges.get(key);
    const ids = { group: t.group, edgeNode: t.edgeNode, deviceLevel: 0 };
    const rebirth = (reason: string): HostOutcome => {
      if (edge?.rebirthAsked) return { values: [], commands: [] };
      if (edge) edge.rebirthAsked = true;
      const cmd = encodePayload({ timestamp: now, metrics: [{ name: REBIRTH, type: 'Boolean', value: true }] });
      return { values: [], commands: [{ topic: sparkplugTopic(ids, 'NCMD'), payload: cmd, qos: 0, retain: false }], rebirthReason: `${key}: ${reason}` };
    };
    const seq = num(p.seq);

    if (t.type === 'NBIRTH') {
      edge = { online: true, bdSeq: num(p.metrics?.find((m) => m.name === 'bdSeq')?.value), seq, byName: new Map(), byAlias: new Map(), devices: new Set(), rebirthAsked: false };
      this.edges.set(key, edge);
      return { values: this.born(edge, t, '', p.metrics ?? []), commands: [] };
    }
    if (t.type === 'NDEATH') {
      const bdSeq = num(p.metrics?.find((m) => m.name === 'bdSeq')?.value);
      // An NDEATH of an older connection (its will, late) must not kill the newer one.
      if (!edge || (bdSeq !== undefined && edge.bdSeq !== undefined && bdSeq !== edge.bdSeq)) return { values: [], commands: [] };
      edge.online = false;
      return { values: this.stale(edge, t, undefined, now), commands: [] };
    }
    if (!edge || !edge.online) return rebirth(`${t.type} without a birth`);
    if (seq !== undefined && edge.seq !== undefined && seq !== (edge.seq + 1) % 256) {
      const last = edge.seq;
      edge.seq = seq;
      return rebirth(`seq gap: ${seq} after ${last}`);
    }
    edge.seq = seq ?? edge.seq;
    if (t.type === 'DBIRTH') {
      edge.devices.add(t.device);
      return { values: this.born(edge, t, t.device, p.metrics ?? []), commands: [] };
    }
    if (t.type === 'DDEATH') {
      edge.devices.delete(t.device);
      return { values: this.stale(edge, t, t.device, now), commands: [] };
    }
    if (t.type === 'DDATA' && !edge.devices.has(t.device)) return rebirth(`DDATA of device ${t.device} without a DBIRTH`);
    const values: HostValue[] = [];
    for (const m of p.metrics ?? []) {
      const alias = num(m.alias);
      const k = (alias !== undefined ? edge.byAlias.get(alias) : undefined) ?? (m.name ? edge.byName.get(`${t.device}|${m.name}`) : undefined);
      if (!k) return rebirth(`metric ${m.name ?? `alias ${alias}`} not in the birth`);
      const historical = m.isHistorical === true;
      const v = { value: m.isNull ? null : this.plain(m.value), timestamp: num(m.timestamp) ?? now, quality: qualityOf(m, historical ? k.quality : 'good') };
      if (!historical) Object.assign(k, v);
      values.push(this.out(k, t, v, false, historical));
    }
    return { values, commands: [] };
  }

  /** Metrics known now (current values), for a status or a query. */
  get metricCount(): number {
    let n = 0;
    for (const e of this.edges.values()) n += e.byName.size;
    return n;
  }

  private born(edge: EdgeState, t: { group: string; edgeNode: string }, device: string, metrics: UMetric[]): HostValue[] {
    const out: HostValue[] = [];
    for (const m of metrics) {
      if (!m.name || CONTROL.test(m.name)) continue;
      const tagPath: unknown = m.properties?.tagPath?.value;
      const name = typeof tagPath === 'string' && tagPath !== '' ? tagPath : [t.group, t.edgeNode, device, m.name].filter(Boolean).join('/');
      const props = m.properties ?? {};
      const k: Known = {
        name,
        device,
        type: m.type,
        ...(typeof props.engUnit?.value === 'string' ? { unit: props.engUnit.value } : {}),
        ...(num(props.engLow?.value) !== undefined ? { engLow: num(props.engLow?.value) } : {}),
        ...(num(props.engHigh?.value) !== undefined ? { engHigh: num(props.engHigh?.value) } : {}),
        value: m.isNull ? null : this.plain(m.value),
        timestamp: num(m.timestamp) ?? Date.now(),
        quality: qualityOf(m, 'good'),
      };
      edge.byName.set(`${device}|${m.name}`, k);
      const alias = num(m.alias);
      if (alias !== undefined) edge.byAlias.set(alias, k);
      out.push(this.out(k, t, k, false, false));
    }
    return out;
  }

  private stale(edge: EdgeState, t: { group: string; edgeNode: string }, device: string | undefined, now: number): HostValue[] {
    const out: HostValue[] = [];
    for (const k of edge.byName.values()) {
      if (device !== undefined && k.device !== device) continue;
      k.quality = 'bad';
      out.push(this.out(k, t, { value: k.value, timestamp: now, quality: 'bad' }, true, false));
    }
    return out;
  }

  private out(k: Known, t: { group: string; edgeNode: string }, v: { value: unknown; timestamp: number; quality: Quality }, stale: boolean, historical: boolean): HostValue {
    return {
      name: k.name, value: v.value, timestamp: v.timestamp, quality: v.quality, stale, historical, type: k.type,
      ...(k.unit !== undefined ? { unit: k.unit } : {}), ...(k.engLow !== undefined ? { engLow: k.engLow } : {}), ...(k.engHigh !== undefined ? { engHigh: k.engHigh } : {}),
      group: t.group, edgeNode: t.edgeNode, device: k.device,
    };
  }

  /** Longs (64-bit values) as numbers. */
  private plain(v: unknown): unknown {
    const n = typeof v === 'object' && v !== null ? num(v) : undefined;
    return n ?? v;
  }
}
