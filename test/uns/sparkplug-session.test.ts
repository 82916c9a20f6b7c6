/**
 * The Sparkplug B edge node session and the JSON UNS mapping, pure: every packet decoded with Eclipse
 * Tahu's decoder (sparkplug-payload), as a host application would read it.
 */
import assert from 'node:assert/strict';
import { get } from 'sparkplug-payload';
import type { UMetric, UPayload } from 'sparkplug-payload/lib/sparkplugbpayload';
import { jsonPayload, jsonRoot, jsonTopic, parseJsonValue } from '../../nodes/uns/json-uns';
import { updatesOf } from '../../nodes/uns/metric';
import type { MetricMeta, MetricUpdate } from '../../nodes/uns/metric';
import { EdgeSession, REBIRTH } from '../../nodes/uns/sparkplug-session';
import type { Packet } from '../../nodes/uns/sparkplug-session';
import { checkIds, metricAddress } from '../../nodes/uns/sparkplug-names';

const tahu = get('spBv1.0')!;
const decode = (p: Packet): UPayload => tahu.decodePayload(p.payload);
const n = (v: unknown): number => (typeof v === 'number' ? v : (v as { toNumber(): number }).toNumber());
const IDS = checkIds({ group: 'plant1', edgeNode: 'line1', deviceLevel: 4 });
const noMap = (): MetricMeta | undefined => undefined;

function u(name: string, value: MetricUpdate['value'], extra: Partial<MetricUpdate> = {}): MetricUpdate {
  return { name, value, timestamp: 1000, quality: 'good', type: typeof value === 'boolean' ? 'Boolean' : 'Double', ...extra };
}

function byName(p: UPayload, name: string): UMetric {
  const m = (p.metrics ?? []).find((x) => x.name === name);
  assert.ok(m, `metric ${name} in ${JSON.stringify(p.metrics?.map((x) => x.name))}`);
  return m;
}

describe('Sparkplug B edge node session', () => {
  it('names devices after the machine of the ISA-95 path and refuses ids Sparkplug forbids', () => {
    assert.deepEqual(metricAddress('acme/pack/line1/filler/count', 4), { device: 'filler', metric: 'count' });
    assert.deepEqual(metricAddress('acme/pack/line1/filler/motor/speed', 4), { device: 'filler', metric: 'motor/speed' });
    assert.deepEqual(metricAddress('acme/pack/line1/state', 4), { device: '', metric: 'acme/pack/line1/state' });
    assert.deepEqual(metricAddress('acme/pack/line1/filler/count', 0), { device: '', metric: 'acme/pack/line1/filler/count' });
    assert.throws(() => checkIds({ group: 'a/b', edgeNode: 'x', deviceLevel: 4 }), /group id "a\/b" contains \//);
    assert.throws(() => checkIds({ group: 'a', edgeNode: '', deviceLevel: 4 }), /edge node id "" is empty/);
  });

  it('births the node and its devices with every metric, datatype, alias and properties; the will carries the same bdSeq', () => {
    const s = new EdgeSession(IDS, { lastBdSeq: 6 });
    const will = s.connecting(5000);
    assert.equal(will.topic, 'spBv1.0/plant1/NDEATH/line1');
    assert.equal(n(byName(decode(will), 'bdSeq').value), 7);
    s.record([
      u('acme/pack/line1/filler/count', 41, { type: 'UInt32', unit: 'pcs' }),
      u('acme/pack/line1/filler/temp', 71.5, { type: 'Float', unit: '°C', engLow: 0, engHigh: 150, description: 'bowl' }),
      u('acme/pack/line1/state', 'running', { type: 'String' }),
    ]);
    const births = s.birth(6000);
    assert.deepEqual(births.map((p) => p.topic), ['spBv1.0/plant1/NBIRTH/line1', 'spBv1.0/plant1/DBIRTH/line1/filler']);
    const nb = decode(births[0]);
    assert.equal(n(nb.seq), 0);
    assert.equal(n(byName(nb, 'bdSeq').value), 7);
    assert.equal(byName(nb, REBIRTH).value, false);
    assert.equal(byName(nb, 'acme/pack/line1/state').value, 'running');
    const db = decode(births[1]);
    assert.equal(n(db.seq), 1);
    const temp = byName(db, 'temp');
    assert.equal(temp.type, 'Float');
    assert.equal(temp.value, 71.5);
    assert.deepEqual(Object.fromEntries(Object.entries(temp.properties ?? {}).map(([k, v]) => [k, v.value])), { Quality: 192, engUnit: '°C', engLow: 0, engHigh: 150, Documentation: 'bowl', tagPath: 'acme/pack/line1/filler/temp' });
    const count = byName(db, 'count');
    assert.equal(count.type, 'UInt32');
    assert.notEqual(n(count.alias), n(temp.alias));
  });

  it('sends data by exception, by alias, with seq running on and wrapping from 255 to 0', () => {
    const s = new EdgeSession(IDS);
    s.connecting();
    s.record([u('a/b/c/filler/count', 1), u('a/b/c/filler/temp', 20)]);
    const [, dbirth] = s.birth();
    const alias = n(byName(decode(dbirth), 'count').alias);
    s.record([u('a/b/c/filler/count', 2), u('a/b/c/filler/temp', 20)]);
    const [ddata] = s.data([u('a/b/c/filler/count', 2), u('a/b/c/filler/temp', 20)], false);
    assert.equal(ddata.topic, 'spBv1.0/plant1/DDATA/line1/filler');
    const p = decode(ddata);
    assert.equal(n(p.seq), 2);
    assert.equal(p.metrics?.length, 1, 'temp did not change: not sent');
    assert.equal(n(p.metrics?.[0].alias), alias);
    assert.equal(p.metrics?.[0].name, undefined);
    assert.equal(p.metrics?.[0].value, 2);
    let last = 2;
    for (let v = 3; v < 300; v++) {
      const [pk] = s.data([u('a/b/c/filler/count', v)], false);
      const seq = n(decode(pk).seq);
      assert.equal(seq, (last + 1) % 256);
      last = seq;
    }
    assert.deepEqual(s.data([u('a/b/c/filler/count', 299)], false), [], 'an unchanged value sends nothing');
  });

  it('flags buffered values is_historical and sends each of them, in order', () => {
    const s = new EdgeSession(IDS);
    s.connecting();
    const rows = [u('a/b/c/m/x', 1, { timestamp: 1 }), u('a/b/c/m/x', 1, { timestamp: 2 }), u('a/b/c/m/x', 3, { timestamp: 3 })];
    s.record(rows);
    s.birth();
    const [pk] = s.data(rows, true);
    const p = decode(pk);
    assert.deepEqual(p.metrics?.map((m): unknown[] => [m.value, n(m.timestamp), m.isHistorical]), [[1, 1, true], [1, 2, true], [3, 3, true]]);
  });

  it('rebirths for a metric that was not born: DBIRTH for a new device metric, NBIRTH for a new node metric', () => {
    const s = new EdgeSession(IDS);
    s.connecting();
    s.record([u('a/b/c/m/x', 1)]);
    s.birth();
    s.record([u('a/b/c/m/y', 5)]);
    assert.deepEqual(s.data([u('a/b/c/m/y', 5)], false).map((p) => p.topic.split('/')[2]), ['DBIRTH']);
    s.record([u('a/b/state', 'idle', { type: 'String' })]);
    const out = s.data([u('a/b/state', 'idle', { type: 'String' })], false);
    assert.deepEqual(out.map((p) => p.topic.split('/')[2]), ['NBIRTH', 'DBIRTH']);
    assert.equal(n(decode(out[0]).seq), 0);
  });

  it('sends DDEATH when every metric of a device is bad and DBIRTH when one is good again', () => {
    const s = new EdgeSession(IDS);
    s.connecting();
    s.record([u('a/b/c/m/x', 1), u('a/b/c/m/y', 2)]);
    s.birth();
    const bad = [u('a/b/c/m/x', 1, { quality: 'bad' }), u('a/b/c/m/y', 2, { quality: 'bad' })];
    s.record(bad);
    const out = s.data(bad, false);
    assert.deepEqual(out.map((p) => p.topic.split('/')[2]), ['DDATA', 'DDEATH']);
    assert.deepEqual(decode(out[0]).metrics?.map((m): unknown => m.properties?.Quality.value), [0, 0]);
    const back = [u('a/b/c/m/x', 4)];
    s.record(back);
    const again = s.data(back, false);
    assert.deepEqual(again.map((p) => p.topic.split('/')[2]), ['DBIRTH']);
    assert.equal(byName(decode(again[0]), 'x').value, 4);
  });

  it('rebirths on an NCMD Node Control/Rebirth, by name or alias, and ignores other commands', () => {
    const s = new EdgeSession(IDS);
    s.connecting();
    s.record([u('a/b/c/m/x', 1)]);
    s.birth();
    s.data([u('a/b/c/m/x', 2)], false);
    const cmd = (m: UMetric): Buffer => Buffer.from(tahu.encodePayload({ timestamp: 1, metrics: [m] }));
    const out = s.command(cmd({ name: REBIRTH, type: 'Boolean', value: true }));
    assert.deepEqual(out.map((p) => p.topic.split('/')[2]), ['NBIRTH', 'DBIRTH']);
    assert.equal(n(decode(out[0]).seq), 0);
    assert.equal(s.command(cmd({ alias: 1, type: 'Boolean', value: true })).length, 2);
    assert.deepEqual(s.command(cmd({ name: 'Node Control/Next Server', type: 'Boolean', value: true })), []);
    assert.throws(() => s.command(Buffer.from('not protobuf at all, surely')), /NCMD\/line1: payload is not a Sparkplug B payload/);
  });

  it('uses the next bdSeq for each connection and wraps it at 255', () => {
    const s = new EdgeSession(IDS, { lastBdSeq: 254 });
    assert.equal(n(byName(decode(s.connecting()), 'bdSeq').value), 255);
    assert.equal(n(byName(decode(s.connecting()), 'bdSeq').value), 0);
    assert.equal(s.born, false);
  });
});

describe('tag messages as metric updates', () => {
  it('reads value messages and scan messages, with quality, time, unit and datatype', () => {
    assert.deepEqual(updatesOf({ topic: 'a/b/c/m/count', payload: 7, timestamp: 5, quality: 'uncertain', tag: { unit: 'pcs', dataType: 'uint16' } }, noMap), [
      { name: 'a/b/c/m/count', value: 7, timestamp: 5, quality: 'uncertain', type: 'Double', unit: 'pcs' },
    ]);
    assert.equal(updatesOf({ topic: 'a/t', payload: 21.5, tag: { dataType: 'int16' } }, noMap)[0].type, 'Double', 'a Modbus type is the raw one: the value may be scaled');
    assert.equal(updatesOf({ topic: 'a/t', payload: 2, tag: { dataType: 'float32' } }, noMap)[0].type, 'Float');
    const scan = updatesOf({ payload: { 'a/x': 1.5, 'a/y': true }, timestamp: 9, errors: { 'a/x': 'timeout' } }, noMap);
    assert.deepEqual(scan.map((s) => [s.name, s.type, s.quality, s.timestamp]), [['a/x', 'Double', 'bad', 9], ['a/y', 'Boolean', 'good', 9]]);
  });

  it('takes datatype and engineering range from the tag map when given', () => {
    const [m] = updatesOf({ topic: 'a/t', payload: 3 }, () => ({ type: 'Int16', unit: 'bar', engLow: 0, engHigh: 10 }), 77);
    assert.deepEqual(m, { name: 'a/t', value: 3, timestamp: 77, quality: 'good', type: 'Int16', unit: 'bar', engLow: 0, engHigh: 10 });
  });

  it('refuses what no metric can hold, naming the tag', () => {
    assert.throws(() => updatesOf({ payload: 1 }, noMap), /msg.topic must be the tag name/);
    assert.throws(() => updatesOf({ topic: 'a/t', payload: [1] }, noMap), /tag a\/t: value is an array/);
    assert.throws(() => updatesOf({ topic: 'a/t', payload: 1.5 }, () => ({ type: 'Int16' })), /tag a\/t: value is 1.5, not a whole number \(Int16\)/);
    assert.throws(() => updatesOf({ topic: 'a/t', payload: 'x', tag: { dataType: 'float32' } }, noMap), /not a finite number/);
    assert.throws(() => updatesOf({ topic: 'a/t', payload: 1, quality: 'ok' }, noMap), /quality must be good, uncertain or bad/);
    assert.throws(() => updatesOf({ topic: 'a/t', payload: 1, timestamp: 'now' }, noMap), /timestamp must be a time in ms/);
  });
});

describe('JSON UNS mapping', () => {
  it('puts each tag on its ISA-95 topic under the root with value, timestamp, quality and unit', () => {
    assert.equal(jsonTopic(jsonRoot(' uns '), 'acme/pack/line1/filler/count'), 'uns/acme/pack/line1/filler/count');
    assert.equal(jsonTopic('', 'acme/x'), 'acme/x');
    const body = jsonPayload(u('acme/x', 3, { unit: 'pcs', quality: 'uncertain', timestamp: 12 }));
    assert.deepEqual(JSON.parse(body), { value: 3, timestamp: 12, quality: 'uncertain', unit: 'pcs' });
    assert.deepEqual(parseJsonValue('t', body), { value: 3, timestamp: 12, quality: 'uncertain', unit: 'pcs' });
    assert.equal((JSON.parse(jsonPayload(u('acme/x', 3), true)) as { historical?: boolean }).historical, true);
  });

  it('refuses topics MQTT cannot publish and payloads that are not UNS values', () => {
    assert.throws(() => jsonRoot('uns/#'), /contains \+, # or NUL/);
    assert.throws(() => jsonTopic('', 'a//b'), /tag a\/\/b: topic "a\/\/b" has an empty level/);
    assert.throws(() => parseJsonValue('t', '{'), /t: payload is not JSON/);
    assert.throws(() => parseJsonValue('t', '[1]'), /not a \{value, timestamp, quality\} object/);
    assert.throws(() => parseJsonValue('t', '{"value":{},"timestamp":1}'), /value must be a number/);
  });
});
