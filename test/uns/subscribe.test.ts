/**
 * fh-uns-subscribe as a host application against a real Mosquitto: a round trip with Eclipse Tahu's
 * sparkplug-client acting as another edge node; the line hub's own fh-uns-publish read back under the
 * same tag names, then stale on its NDEATH; a rebirth asked on a seq gap and on data without a birth;
 * bad payloads on subscribed topics reported, nothing crashing; the JSON namespace.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import mqtt from 'mqtt';
import helper from 'node-red-node-test-helper';
import type { TestFlows } from 'node-red-node-test-helper';
import type { Node } from 'node-red';
import { newClient } from 'sparkplug-client';
import { get } from 'sparkplug-payload';
import brokerNode from '../../nodes/uns/mqtt-broker';
import publishNode from '../../nodes/uns/uns-publish';
import subscribeNode from '../../nodes/uns/uns-subscribe';
import { until } from '../erp/support/harness';
import { FaultProxy } from '../support/fault-proxy';
import { statusMatching, useTestRuntime } from '../support/node-red';
import { Mosquitto, collector } from './mosquitto';

const tahu = get('spBv1.0')!;
type Msg = Record<string, unknown> & { topic: string; payload: unknown; quality: string };

function flow(url: string, sub: Record<string, unknown> = {}, extra: Record<string, unknown>[] = []): TestFlows {
  return [
    { id: 'tab', type: 'tab' },
    { id: 'broker', type: 'fh-mqtt-broker', urls: url, retry: 0.1, connectTimeout: 2 },
    { id: 'sub', type: 'fh-uns-subscribe', z: 'tab', broker: 'broker', form: 'sparkplug', group: '+', wires: [['out']], ...sub },
    { id: 'out', type: 'helper', z: 'tab' },
    ...extra,
  ] as TestFlows;
}

function collect(out: Node): Msg[] {
  const msgs: Msg[] = [];
  out.on('input', (m: Record<string, unknown>) => {
    msgs.push(m as Msg);
  });
  return msgs;
}

function errorsOf(node: Node): string[] {
  const errors: string[] = [];
  (node as unknown as EventEmitter).on('call:error', (call: { args: unknown[] }) => errors.push(String(call.args[0])));
  return errors;
}

const NODES = [brokerNode, publishNode, subscribeNode];

describe('fh-uns-subscribe against a real Mosquitto', function () {
  this.timeout(60_000);
  useTestRuntime('uns-subscribe');
  let broker: Mosquitto;

  beforeEach(async () => {
    broker = await Mosquitto.start();
  });

  afterEach(async () => {
    await helper.unload();
    await broker.kill();
  });

  it("reads an edge node of Tahu's sparkplug-client: births, data, and stale values on its NDEATH", async () => {
    await helper.load(NODES, flow(broker.url));
    const sub = helper.getNode('sub');
    const msgs = collect(helper.getNode('out'));
    await statusMatching(sub, /127\.0\.0\.1.*values/);
    const edge = newClient({ serverUrl: broker.url, username: '', password: '', groupId: 'plant2', edgeNode: 'tahuEdge', clientId: 'tahu-edge', version: 'spBv1.0', publishDeath: true });
    edge.on('birth', () => {
      edge.publishNodeBirth({ timestamp: 1000, metrics: [{ name: 'Line/Speed', type: 'Double', value: 12.5, properties: { engUnit: { type: 'String', value: 'm/min' } } }] });
      edge.publishDeviceBirth('press', { timestamp: 1000, metrics: [{ name: 'count', type: 'Int32', value: 1 }] });
      edge.publishDeviceData('press', { timestamp: 2000, metrics: [{ name: 'count', type: 'Int32', value: 2, timestamp: 2000 }] });
    });
    await until(() => msgs.some((m) => m.topic === 'plant2/tahuEdge/press/count' && m.payload === 2), 'the DDATA value');
    const speed = msgs.find((m) => m.topic === 'plant2/tahuEdge/Line/Speed');
    assert.deepEqual({ payload: speed?.payload, quality: speed?.quality, unit: (speed?.tag as { unit?: string })?.unit }, { payload: 12.5, quality: 'good', unit: 'm/min' });
    assert.deepEqual(msgs.filter((m) => m.topic === 'plant2/tahuEdge/press/count').map((m) => m.payload), [1, 2]);
    edge.stop();
    await until(() => msgs.some((m) => m.stale === true), 'stale values after the NDEATH');
    assert.deepEqual(msgs.filter((m) => m.stale === true).map((m) => [m.topic, m.quality]).sort(), [['plant2/tahuEdge/Line/Speed', 'bad'], ['plant2/tahuEdge/press/count', 'bad']]);
  });

  it("gives the line hub's values under their own tag names, and marks them stale when the hub's connection dies", async () => {
    const proxy = await FaultProxy.start({ port: broker.port });
    await helper.load(NODES, [
      ...flow(broker.url),
      { id: 'edgeBroker', type: 'fh-mqtt-broker', urls: `mqtt://127.0.0.1:${proxy.port}`, retry: 0.1, clientId: 'line-hub' },
      { id: 'pub', type: 'fh-uns-publish', z: 'tab', broker: 'edgeBroker', form: 'sparkplug', group: 'plant1', edgeNode: 'line1', wires: [[]] },
    ] as TestFlows);
    const msgs = collect(helper.getNode('out'));
    await statusMatching(helper.getNode('sub'), /values/);
    await statusMatching(helper.getNode('pub'), /0 to send/);
    helper.getNode('pub').receive({ topic: 'acme/pack/line1/filler/count', payload: 41, timestamp: 5000, tag: { unit: 'pcs' } });
    await until(() => msgs.some((m) => m.topic === 'acme/pack/line1/filler/count'), 'the value under its tag name');
    assert.deepEqual(msgs.map((m) => [m.topic, m.payload, m.timestamp, m.quality]), [['acme/pack/line1/filler/count', 41, 5000, 'good']]);
    proxy.setMode({ kind: 'refuse' });
    proxy.drop('rst');
    await until(() => msgs.some((m) => m.stale === true), 'stale on the NDEATH (the will)');
    assert.equal(msgs.find((m) => m.stale === true)?.quality, 'bad');
    await proxy.close();
  });

  it('asks for a rebirth on a seq gap and on data without a birth, once until the next birth', async () => {
    await helper.load(NODES, flow(broker.url));
    const sub = helper.getNode('sub');
    const msgs = collect(helper.getNode('out'));
    await statusMatching(sub, /values/);
    const cmds = await collector(broker.url, 'spBv1.0/+/NCMD/#');
    const raw = mqtt.connect(broker.url);
    await new Promise((r) => raw.once('connect', r));
    const pub = (type: string, seq: number, metrics: object[]): void => void raw.publish(`spBv1.0/g1/${type}/e1`, Buffer.from(tahu.encodePayload({ timestamp: 1, seq, metrics: metrics as never })));
    pub('NDATA', 4, [{ name: 'x', type: 'Int32', value: 1 }]);
    await until(() => cmds.received.length === 1, 'a rebirth request for data without a birth');
    assert.equal(cmds.received[0].topic, 'spBv1.0/g1/NCMD/e1');
    const asked = tahu.decodePayload(cmds.received[0].payload).metrics?.[0];
    assert.deepEqual([asked?.name, asked?.value], ['Node Control/Rebirth', true]);

    pub('NBIRTH', 0, [{ name: 'bdSeq', type: 'Int64', value: 0 }, { name: 'x', alias: 5, type: 'Int32', value: 1 }]);
    pub('NDATA', 1, [{ alias: 5, type: 'Int32', value: 2 }]);
    await until(() => msgs.some((m) => m.topic === 'g1/e1/x' && m.payload === 2), 'data by alias');
    pub('NDATA', 3, [{ alias: 5, type: 'Int32', value: 4 }]);
    pub('NDATA', 4, [{ alias: 5, type: 'Int32', value: 5 }]);
    await until(() => cmds.received.length === 2, 'a rebirth request for the seq gap');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(cmds.received.length, 2, 'asked once until the next birth');
    raw.end(true);
    cmds.client.end(true);
  });

  it('reports payloads that are not what their topic promises, and keeps working', async () => {
    await helper.load(NODES, flow(broker.url));
    const sub = helper.getNode('sub');
    const errors = errorsOf(sub);
    const msgs = collect(helper.getNode('out'));
    await statusMatching(sub, /values/);
    const raw = mqtt.connect(broker.url);
    await new Promise((r) => raw.once('connect', r));
    raw.publish('spBv1.0/g1/NBIRTH/e1', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
    raw.publish('spBv1.0/g1/NBIRTH/e1', Buffer.from('{"value": 1}'));
    await until(() => errors.length === 2, 'two errors');
    for (const e of errors) assert.match(e, /spBv1\.0\/g1\/NBIRTH\/e1: payload is not a Sparkplug B payload/);
    raw.publish('spBv1.0/g1/NBIRTH/e1', Buffer.from(tahu.encodePayload({ timestamp: 1, seq: 0, metrics: [{ name: 'ok', type: 'Boolean', value: true }] })));
    await until(() => msgs.some((m) => m.topic === 'g1/e1/ok'), 'a good birth after the bad payloads');
    raw.end(true);
  });

  it('reads the JSON namespace, and reports a bad JSON payload', async () => {
    await helper.load(NODES, flow(broker.url, { form: 'json', root: 'uns' }));
    const sub = helper.getNode('sub');
    const errors = errorsOf(sub);
    const msgs = collect(helper.getNode('out'));
    await statusMatching(sub, /values/);
    const raw = mqtt.connect(broker.url);
    await new Promise((r) => raw.once('connect', r));
    raw.publish('uns/acme/x/temp', 'not json');
    raw.publish('uns/acme/x/temp', JSON.stringify({ value: 20.5, timestamp: 7, quality: 'good', unit: '°C' }));
    await until(() => msgs.length === 1 && errors.length === 1, 'one value and one error');
    assert.deepEqual([msgs[0].topic, msgs[0].payload, msgs[0].timestamp, (msgs[0].tag as { unit?: string }).unit], ['acme/x/temp', 20.5, 7, '°C']);
    assert.match(errors[0], /uns\/acme\/x\/temp: payload is not JSON/);
    raw.end(true);
  });
});
