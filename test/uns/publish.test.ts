/**
 * fh-mqtt-broker and fh-uns-publish in a real Node-RED runtime against real Mosquitto brokers started on
 * free loopback ports: births and data decoded with Eclipse Tahu's decoder, the tag map's metadata in the
 * birth, a broker killed and restarted mid-stream (nothing lost, order kept, buffered values historical),
 * rebirth on an NCMD, bad payloads on the subscribed NCMD topic, bad input, and the JSON namespace.
 */
import assert from 'node:assert/strict';
import type { EventEmitter } from 'node:events';
import helper from 'node-red-node-test-helper';
import type { TestFlows } from 'node-red-node-test-helper';
import type { Node } from 'node-red';
import { get } from 'sparkplug-payload';
import type { UPayload } from 'sparkplug-payload/lib/sparkplugbpayload';
import brokerNode, { livePublishers } from '../../nodes/uns/mqtt-broker';
import publishNode from '../../nodes/uns/uns-publish';
import tagMapNode from '../../nodes/tags/tag-map';
import { until } from '../erp/support/harness';
import { FaultProxy } from '../support/fault-proxy';
import { statusMatching, useTestRuntime } from '../support/node-red';
import { Mosquitto, collector } from './mosquitto';
import type { Received } from './mosquitto';

const tahu = get('spBv1.0')!;
const n = (v: unknown): number => (typeof v === 'number' ? v : (v as { toNumber(): number }).toNumber());
const decode = (r: Received): UPayload => tahu.decodePayload(r.payload);
const typeOf = (r: Received): string => r.topic.split('/')[2];

function flow(url: string, publish: Record<string, unknown> = {}, broker: Record<string, unknown> = {}): TestFlows {
  return [
    { id: 'tab', type: 'tab' },
    { id: 'broker', type: 'fh-mqtt-broker', name: 'site broker', urls: url, protocol: '4', retry: 0.1, connectTimeout: 2, ...broker },
    {
      id: 'map', type: 'fh-tag-map', name: 'line1',
      rows: [
        { name: 'acme/pack/line1/filler/temp', address: 'hr:0', dataType: 'int16', rawLow: '0', rawHigh: '1000', engLow: '0', engHigh: '100', unit: '°C' },
        { name: 'acme/pack/line1/filler/count', address: 'hr:2', dataType: 'uint32' },
      ],
    },
    { id: 'pub', type: 'fh-uns-publish', z: 'tab', broker: 'broker', form: 'sparkplug', group: 'plant1', edgeNode: 'line1', deviceLevel: 4, tagMap: 'map', wires: [['out']], ...publish },
    { id: 'out', type: 'helper', z: 'tab' },
  ] as TestFlows;
}

const NODES = [brokerNode, publishNode, tagMapNode];

/** Sends `msg`; resolves with 'accepted' or the error given to done(). */
function send(pub: Node, out: Node, msg: Record<string, unknown>): Promise<string> {
  return new Promise((resolve) => {
    const onOut = (): void => {
      cleanup();
      resolve('accepted');
    };
    const onError = (call: { args: unknown[] }): void => {
      cleanup();
      resolve(String(call.args[0]));
    };
    const cleanup = (): void => {
      out.removeListener('input', onOut);
      (pub as unknown as EventEmitter).removeListener('call:error', onError);
    };
    out.on('input', onOut);
    (pub as unknown as EventEmitter).on('call:error', onError);
    pub.receive(msg);
  });
}

describe('fh-uns-publish against a real Mosquitto', function () {
  this.timeout(60_000);
  useTestRuntime('uns-publish');
  let broker: Mosquitto;

  beforeEach(async () => {
    broker = await Mosquitto.start();
  });

  afterEach(async () => {
    await helper.unload();
    await broker.kill();
    assert.equal(livePublishers(), 0, 'every publisher closed with its nodes');
  });

  it('publishes NBIRTH, DBIRTH with the tag map metadata, then DDATA by exception, all decoded with Tahu', async () => {
    const { client, received } = await collector(broker.url, 'spBv1.0/plant1/#');
    await helper.load(NODES, flow(broker.url));
    const pub = helper.getNode('pub');
    const out = helper.getNode('out');
    await statusMatching(pub, /127\.0\.0\.1.*0 to send/);
    const temp = 'acme/pack/line1/filler/temp';
    assert.equal(await send(pub, out, { topic: temp, payload: 21.5, timestamp: 1000 }), 'accepted');
    assert.equal(await send(pub, out, { topic: 'acme/pack/line1/filler/count', payload: 5, timestamp: 1000 }), 'accepted');
    await until(() => received.some((r) => typeOf(r) === 'DBIRTH' && decode(r).metrics?.length === 2), 'a DBIRTH with both metrics');
    assert.equal(await send(pub, out, { topic: temp, payload: 21.5, timestamp: 2000 }), 'accepted');
    assert.equal(await send(pub, out, { topic: temp, payload: 22, timestamp: 3000 }), 'accepted');
    await until(() => received.some((r) => typeOf(r) === 'DDATA' && decode(r).metrics?.some((m) => m.value === 22)), 'DDATA with 22');
    client.end(true);

    assert.equal(typeOf(received[0]), 'NBIRTH');
    const nbirth = decode(received[0]);
    assert.equal(n(nbirth.seq), 0);
    assert.ok(nbirth.metrics?.some((m) => m.name === 'bdSeq'));
    const dbirth = decode(received.filter((r) => typeOf(r) === 'DBIRTH').at(-1)!);
    const t = dbirth.metrics?.find((m) => m.name === 'temp');
    const c = dbirth.metrics?.find((m) => m.name === 'count');
    assert.ok(t && c);
    assert.equal(t.type, 'Double', 'a scaled int16 is a Double');
    assert.equal(c.type, 'UInt32', 'an unscaled uint32 keeps its type');
    const props = Object.fromEntries(Object.entries(t.properties ?? {}).map(([k, p]): [string, unknown] => [k, p.value]));
    assert.deepEqual(props, { Quality: 192, engUnit: '°C', engLow: 0, engHigh: 100, tagPath: 'acme/pack/line1/filler/temp' });
    const data = received.filter((r) => typeOf(r) === 'DDATA').flatMap((r) => decode(r).metrics ?? []);
    assert.deepEqual(data.map((m): unknown[] => [n(m.alias), m.value, n(m.timestamp)]), [[n(t.alias), 22, 3000]], 'the unchanged 21.5 is not sent again');
    const seqs = received.map((r) => decode(r)).filter((p) => p.seq !== undefined && p.seq !== null).map((p) => n(p.seq));
    assert.deepEqual(seqs.slice(-3), [seqs.at(-3)!, seqs.at(-3)! + 1, seqs.at(-3)! + 2].map((s) => s % 256));
  });

  it('refuses bad input with an error that names the tag, and buffers nothing of it', async () => {
    const { client, received } = await collector(broker.url, 'spBv1.0/#');
    await helper.load(NODES, flow(broker.url));
    const pub = helper.getNode('pub');
    const out = helper.getNode('out');
    await statusMatching(pub, /0 to send/);
    assert.match(await send(pub, out, { topic: 'acme/pack/line1/filler/count', payload: 1.5 }), /tag acme\/pack\/line1\/filler\/count: value is 1\.5, not a whole number \(UInt32\)/);
    assert.match(await send(pub, out, { payload: 3 }), /msg\.topic must be the tag name/);
    assert.match(await send(pub, out, { topic: 'acme/x', payload: [1] }), /tag acme\/x: value is an array/);
    assert.equal(await send(pub, out, { topic: 'acme/pack/line1/filler/count', payload: 9 }), 'accepted');
    await until(() => received.some((r) => typeOf(r) === 'DBIRTH'), 'the DBIRTH of the good value');
    client.end(true);
    const all = received.flatMap((r) => decode(r).metrics ?? []);
    assert.ok(!all.some((m) => m.value === 1.5 || m.value === 3), 'refused values never published');
  });

  it('loses nothing when the broker is killed and restarted mid-stream: order kept, buffered values historical', async () => {
    // The hub reaches the broker through a proxy, so the test's subscriber is back before the hub is.
    const proxy = await FaultProxy.start({ port: broker.port });
    let sub = await collector(broker.url, 'spBv1.0/plant1/#');
    const before = sub.received;
    await helper.load(NODES, flow(`mqtt://127.0.0.1:${proxy.port}`, { tagMap: '' }));
    const pub = helper.getNode('pub');
    const out = helper.getNode('out');
    await statusMatching(pub, /0 to send/);
    const name = 'acme/pack/line1/filler/count';
    let v = 0;
    const sendSome = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) assert.equal(await send(pub, out, { topic: name, payload: ++v, timestamp: 10_000 + v }), 'accepted');
    };
    await sendSome(50);
    await broker.kill();
    proxy.setMode({ kind: 'refuse' });
    await sendSome(50); // accepted while the broker is down
    await statusMatching(pub, /broker unreachable.*buffered/);
    await broker.restart();
    sub = await collector(broker.url, 'spBv1.0/plant1/#');
    proxy.setMode({ kind: 'pass' });
    await until(() => sub.received.some((r) => typeOf(r) === 'NBIRTH'), 'the hub back on the broker');
    await sendSome(50);
    const values = (rs: Received[], types = ['DDATA']): { value: number; historical: boolean }[] =>
      rs.filter((r) => types.includes(typeOf(r))).flatMap((r) => (decode(r).metrics ?? []).map((m) => ({ value: n(m.value), historical: m.isHistorical === true })));
    await until(() => values(sub.received).some((x) => x.value === 150), 'the last value after the restart', 30_000);
    sub.client.end(true);
    await proxy.close();

    // Values cut with the connection before their PUBACK are sent again (at least once): count firsts.
    // The first value made the metric: the first DBIRTH carried it.
    const firsts: number[] = [];
    for (const x of [...values(before, ['DBIRTH', 'DDATA']), ...values(sub.received)]) if (!firsts.includes(x.value)) firsts.push(x.value);
    assert.deepEqual(firsts, Array.from({ length: 150 }, (_x, i) => i + 1), 'every accepted value reached the broker, in order');
    const again = values(sub.received);
    assert.ok(again.filter((x) => x.value > 50 && x.value <= 100).every((x) => x.historical), 'values buffered during the outage are is_historical');
    assert.ok(again.some((x) => x.value > 100 && !x.historical), 'values after the reconnection are live');
    const nbirths = sub.received.filter((r) => typeOf(r) === 'NBIRTH').map((r) => decode(r));
    assert.equal(n(nbirths[0]?.seq), 0);
  });

  it('publishes its births again on an NCMD Node Control/Rebirth, and reports a bad NCMD payload without stopping', async () => {
    const { client, received } = await collector(broker.url, 'spBv1.0/plant1/#');
    await helper.load(NODES, flow(broker.url));
    const pub = helper.getNode('pub');
    const out = helper.getNode('out');
    await statusMatching(pub, /0 to send/);
    assert.equal(await send(pub, out, { topic: 'acme/pack/line1/filler/count', payload: 1 }), 'accepted');
    await until(() => received.some((r) => typeOf(r) === 'DBIRTH'), 'DBIRTH');
    const firstBdSeq = n(decode(received[0]).metrics?.find((m) => m.name === 'bdSeq')?.value);

    const errors: string[] = [];
    (pub as unknown as EventEmitter).on('call:error', (call: { args: unknown[] }) => errors.push(String(call.args[0])));
    client.publish('spBv1.0/plant1/NCMD/line1', Buffer.from([0xff, 0xff, 0xff, 0x01, 0x02]));
    await until(() => errors.length > 0, 'the error of the bad NCMD');
    assert.match(errors[0], /spBv1\.0\/plant1\/NCMD\/line1: payload is not a Sparkplug B payload/);

    const births = received.filter((r) => typeOf(r) === 'NBIRTH').length;
    client.publish('spBv1.0/plant1/NCMD/line1', Buffer.from(tahu.encodePayload({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] })));
    await until(() => received.filter((r) => typeOf(r) === 'NBIRTH').length > births && received.filter((r) => typeOf(r) === 'DBIRTH').length > 1, 'the rebirth');
    const rebirth = decode(received.filter((r) => typeOf(r) === 'NBIRTH').at(-1)!);
    assert.equal(n(rebirth.seq), 0);
    assert.equal(n(rebirth.metrics?.find((m) => m.name === 'bdSeq')?.value), firstBdSeq, 'same connection, same bdSeq');
    assert.equal(await send(pub, out, { topic: 'acme/pack/line1/filler/count', payload: 2 }), 'accepted', 'still working');
    await until(() => received.some((r) => typeOf(r) === 'DDATA'), 'DDATA after the rebirth');
    client.end(true);
  });

  it('publishes the will NDEATH with the bdSeq of the NBIRTH when the connection is lost', async () => {
    const proxy = await FaultProxy.start({ port: broker.port });
    const { client, received } = await collector(broker.url, 'spBv1.0/plant1/#');
    await helper.load(NODES, flow(`mqtt://127.0.0.1:${proxy.port}`));
    const pub = helper.getNode('pub');
    await statusMatching(pub, /0 to send/);
    await until(() => received.some((r) => typeOf(r) === 'NBIRTH'), 'NBIRTH');
    const bdSeq = n(decode(received[0]).metrics?.find((m) => m.name === 'bdSeq')?.value);
    proxy.setMode({ kind: 'refuse' });
    proxy.drop('rst');
    await until(() => received.some((r) => typeOf(r) === 'NDEATH'), 'NDEATH');
    assert.equal(n(decode(received.find((r) => typeOf(r) === 'NDEATH')!).metrics?.find((m) => m.name === 'bdSeq')?.value), bdSeq);
    proxy.setMode({ kind: 'pass' });
    await until(() => received.filter((r) => typeOf(r) === 'NBIRTH').length === 2, 'the NBIRTH of the next connection');
    const next = n(decode(received.filter((r) => typeOf(r) === 'NBIRTH')[1]).metrics?.find((m) => m.name === 'bdSeq')?.value);
    // Sparkplug 3.0: bdSeq goes up with every CONNECT, also the refused ones in between.
    assert.notEqual(next, bdSeq, 'each connection its own bdSeq');
    client.end(true);
    await proxy.close();
  });

  it('publishes the plain JSON namespace: retained values with timestamp, quality and unit', async () => {
    await helper.load(NODES, flow(broker.url, { form: 'json', root: 'uns', tagMap: '' }));
    const pub = helper.getNode('pub');
    const out = helper.getNode('out');
    await statusMatching(pub, /0 to send/);
    assert.equal(await send(pub, out, { topic: 'acme/pack/line1/filler/temp', payload: 21.5, timestamp: 1234, quality: 'uncertain', tag: { unit: '°C' } }), 'accepted');
    assert.equal(await send(pub, out, { payload: { 'acme/pack/line1/filler/a': 1, 'acme/pack/line1/filler/b': true }, timestamp: 99, errors: { 'acme/pack/line1/filler/b': 'timeout' } }), 'accepted');
    await statusMatching(pub, /, 0 to send/);
    // A client that comes later gets the retained current values.
    const { client, received } = await collector(broker.url, 'uns/#');
    await until(() => received.length === 3, 'three retained values');
    client.end(true);
    const byTopic = Object.fromEntries(received.map((r) => [r.topic, { retain: r.retain, body: JSON.parse(r.payload.toString()) as unknown }]));
    assert.deepEqual(byTopic, {
      'uns/acme/pack/line1/filler/temp': { retain: true, body: { value: 21.5, timestamp: 1234, quality: 'uncertain', unit: '°C' } },
      'uns/acme/pack/line1/filler/a': { retain: true, body: { value: 1, timestamp: 99, quality: 'good' } },
      'uns/acme/pack/line1/filler/b': { retain: true, body: { value: true, timestamp: 99, quality: 'bad' } },
    });
  });

  it('shows a broker that cannot be reached, and a configuration error', async () => {
    await helper.load(NODES, flow('mqtt://127.0.0.1:1', { edgeNode: 'line/1' }));
    await statusMatching(helper.getNode('pub'), /config: edge node id "line\/1" contains \//);
    await helper.unload();
    await helper.load(NODES, flow('mqtt://127.0.0.1:1', { edgeNode: 'line8' }));
    const pub = helper.getNode('pub');
    const out = helper.getNode('out');
    assert.equal(await send(pub, out, { topic: 'acme/pack/line1/filler/count', payload: 1 }), 'accepted', 'accepted into the buffer while the broker is down');
    await statusMatching(pub, /broker unreachable \(mqtt:\/\/127\.0\.0\.1:1: .*ECONNREFUSED.*\), 1 buffered/);
  });

  it('raises the alarm when the buffer is full and drops the oldest values', async () => {
    // An edge node of its own: its own buffer file, empty.
    await helper.load(NODES, flow('mqtt://127.0.0.1:1', { maxValues: 2, edgeNode: 'line9' }));
    const pub = helper.getNode('pub');
    const out = helper.getNode('out');
    const warnings: string[] = [];
    (pub as unknown as EventEmitter).on('call:warn', (call: { args: unknown[] }) => warnings.push(String(call.args[0])));
    for (let v = 1; v <= 3; v++) assert.equal(await send(pub, out, { topic: 'acme/pack/line1/filler/count', payload: v }), 'accepted');
    await statusMatching(pub, /ALARM buffer full, oldest dropped \(1\), 2 buffered/);
    await until(() => warnings.length > 0, 'the warning');
    assert.match(warnings[0], /UNS buffer full \(2 values\): the oldest are dropped/);
  });
});
