/**
 * fh-mqtt-broker's connection faces: fail-over down the URL list and back to the primary, and TLS against
 * a Mosquitto with a certificate of a self-signed CA: refused unless that CA is trusted explicitly, and a
 * broker that asks for client certificates accepts the configured one. Real Mosquitto processes.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import helper from 'node-red-node-test-helper';
import type { TestFlows } from 'node-red-node-test-helper';
import { get } from 'sparkplug-payload';
import brokerNode from '../../nodes/uns/mqtt-broker';
import publishNode from '../../nodes/uns/uns-publish';
import { until } from '../erp/support/harness';
import { tempDir } from '../support/hub-process';
import { statusMatching, useTestRuntime } from '../support/node-red';
import { Mosquitto, collector } from './mosquitto';

const tahu = get('spBv1.0')!;
const n = (v: unknown): number => (typeof v === 'number' ? v : (v as { toNumber(): number }).toNumber());

function flow(urls: string, broker: Record<string, unknown> = {}): TestFlows {
  return [
    { id: 'tab', type: 'tab' },
    { id: 'broker', type: 'fh-mqtt-broker', urls, retry: 0.1, connectTimeout: 2, ...broker },
    { id: 'pub', type: 'fh-uns-publish', z: 'tab', broker: 'broker', form: 'sparkplug', group: 'plant1', edgeNode: 'line1', wires: [[]] },
  ] as TestFlows;
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
function pki(): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', string> {
  const dir = tempDir('uns-pki');
  const f = (name: string): string => path.join(dir, name);
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=Test Plant CA');
  for (const [who, subj, ext] of [['server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1'], ['client', '/CN=line1-hub', 'extendedKeyUsage=clientAuth']]) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`), '-subj', subj);
    fs.writeFileSync(f(`${who}.ext`), `${ext}\n`);
    ssl('x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${who}.pem`), '-days', '2', '-extfile', f(`${who}.ext`));
  }
  // Mosquitto started as root reads its files as the mosquitto user: a test key may be readable to all.
  for (const key of ['server.key', 'client.key']) fs.chmodSync(f(key), 0o644);
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') };
}

describe('fh-mqtt-broker: fail-over and TLS against real Mosquitto', function () {
  this.timeout(60_000);
  useTestRuntime('uns-broker');
  const brokers: Mosquitto[] = [];

  afterEach(async () => {
    await helper.unload();
    for (const b of brokers.splice(0)) await b.kill();
  });

  it('moves to the next broker when the primary is lost, and back to the primary when that one is lost', async () => {
    const primary = await Mosquitto.start();
    const standby = await Mosquitto.start();
    brokers.push(primary, standby);
    let onPrimary = await collector(primary.url, 'spBv1.0/#');
    const onStandby = await collector(standby.url, 'spBv1.0/#');
    await helper.load([brokerNode, publishNode], flow(`${primary.url}, ${standby.url}`));
    const pub = helper.getNode('pub');
    await until(() => onPrimary.received.some((r) => r.topic.includes('/NBIRTH/')), 'NBIRTH on the primary');
    await primary.kill();
    await until(() => onStandby.received.some((r) => r.topic.includes('/NBIRTH/')), 'NBIRTH on the standby');
    await statusMatching(pub, new RegExp(`${standby.url.replace(/[.]/g, '\\.')}, 0 to send`));
    pub.receive({ topic: 'acme/pack/line1/filler/count', payload: 7 });
    await until(() => onStandby.received.some((r) => r.topic.includes('/DBIRTH/')), 'the value on the standby');
    await primary.restart();
    onPrimary = await collector(primary.url, 'spBv1.0/#');
    await standby.kill();
    await until(() => onPrimary.received.some((r) => r.topic.includes('/NBIRTH/')), 'NBIRTH on the primary again');
    const dbirth = onPrimary.received.find((r) => r.topic.includes('/DBIRTH/'));
    assert.ok(dbirth, 'the device born again on the primary');
    assert.equal(n(tahu.decodePayload(dbirth.payload).metrics?.[0].value), 7);
    onPrimary.client.end(true);
    onStandby.client.end(true);
  });

  it('TLS: refuses a broker whose CA is not trusted, connects with the CA given, and with a client certificate', async function () {
    let certs: ReturnType<typeof pki>;
    try {
      certs = pki();
    } catch (err) {
      // Only a machine without openssl skips this; any other failure must show.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.skip();
      throw err;
    }
    const tls = await Mosquitto.start(`cafile ${certs.ca}\ncertfile ${certs.serverCert}\nkeyfile ${certs.serverKey}\nrequire_certificate true\n`);
    brokers.push(tls);
    const url = `mqtts://127.0.0.1:${tls.port}`;
    const read = (file: string): string => fs.readFileSync(file, 'utf8');

    await helper.load([brokerNode, publishNode], flow(url));
    await statusMatching(helper.getNode('pub'), /broker unreachable \(mqtts:\/\/127\.0\.0\.1:\d+: .*(self[- ]signed|unable to get local issuer|certificate)/i);
    await helper.unload();

    // The CA trusted, but no client certificate: this broker requires one.
    await helper.load([brokerNode, publishNode], flow(url, { ca: read(certs.ca) }));
    await statusMatching(helper.getNode('pub'), /broker unreachable/);
    await helper.unload();

    await helper.load([brokerNode, publishNode], flow(url, { ca: read(certs.ca), cert: read(certs.clientCert) }), { broker: { key: read(certs.clientKey) } });
    await statusMatching(helper.getNode('pub'), /mqtts:\/\/127\.0\.0\.1:\d+, 0 to send/);
  });
});
