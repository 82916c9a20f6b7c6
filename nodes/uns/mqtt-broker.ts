/**
 * fh-mqtt-broker: the config node of one MQTT broker (or a fail-over list of them). It holds the checked
 * settings and hands out publishers from one process-wide pool, one per broker and form: the JSON
 * namespace shares one connection per broker; each Sparkplug edge node has its own (its will is its
 * NDEATH). Buffers live in `<user dir>/factoryhub/uns/`. Thin adapter: see broker-config.ts, publisher.ts.
 */
import path from 'node:path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { BrokerOptions } from './broker-connection';
import type { BrokerCredentials, BrokerDef } from './broker-config';
import { parseBroker } from './broker-config';
import type { BufferLimits } from './buffer';
import { UnsPublisher } from './publisher';
import type { PublishForm } from './publisher';
import { ConfigError } from '../shared/config-node';
import { messageOf } from '../shared/errors';
import type { Lease } from '../shared/shared-pool';
import { SharedPool } from '../shared/shared-pool';

export interface MqttBrokerNode extends Node<BrokerCredentials> {
  readonly ready: { readonly options: BrokerOptions } | { readonly error: ConfigError };
  /** The publisher of `form` on this broker (created by the first lease, closed by the last release). */
  publisher(form: PublishForm, limits: BufferLimits): Lease<UnsPublisher>;
}

const publishers = new SharedPool<UnsPublisher>();

/** Publishers alive now (leak checks in tests). */
export function livePublishers(): number {
  return publishers.size;
}

function formKey(form: PublishForm): string {
  return form.kind === 'json' ? 'json' : `sparkplug-${form.ids.group}-${form.ids.edgeNode}`;
}

export function bufferFile(userDir: string | undefined, brokerId: string, form: PublishForm): string {
  return path.join(userDir ?? process.cwd(), 'factoryhub', 'uns', `${`${brokerId}-${formKey(form)}`.replace(/[^\w.-]/g, '_')}.sqlite`);
}

export default function register(RED: NodeAPI): void {
  RED.nodes.registerType<MqttBrokerNode, NodeDef & BrokerDef, unknown, BrokerCredentials>(
    'fh-mqtt-broker',
    function (this: MqttBrokerNode, def: NodeDef & BrokerDef) {
      RED.nodes.createNode(this, def);
      const node = this as MqttBrokerNode & { ready: MqttBrokerNode['ready']; publisher: MqttBrokerNode['publisher'] };
      try {
        node.ready = { options: parseBroker(def, node.credentials ?? {}, `fh-${node.id}`) };
      } catch (err) {
        node.ready = { error: new ConfigError(messageOf(err)) };
        // Config nodes have no status: each node using it shows this; the log says it once.
        node.error(`MQTT broker "${def.name || node.id}": ${messageOf(err)}`);
      }
      node.publisher = (form, limits) => {
        const r = node.ready;
        if ('error' in r) throw r.error;
        const key = `${node.id}|${formKey(form)}`;
        // One client id per connection: the broker drops a client whose id connects a second time.
        const options: BrokerOptions = { ...r.options, clientId: form.kind === 'json' ? r.options.clientId : `${r.options.clientId}-${form.ids.edgeNode}` };
        return publishers.acquire(key, () => new UnsPublisher(options, { form, limits, bufferFile: bufferFile(RED.settings.userDir, node.id, form) }));
      };
    },
    {
      credentials: { username: { type: 'text' }, password: { type: 'password' }, key: { type: 'password' } },
    },
  );
}
