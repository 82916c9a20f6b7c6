/**
 * fh-uns-subscribe: a host application on an MQTT broker. It subscribes to a Sparkplug B group (or all)
 * or a JSON namespace and sends the package's tag messages (topic = tag name, payload, timestamp,
 * quality, tag: {unit, dataType, engLow, engHigh}), so that the OEE node, the KPI store and the dashboard
 * work on a plant hub as on a line hub. Deaths make every metric of the node or device stale (quality
 * bad, msg.stale); a seq gap or data without a birth asks that edge node for a rebirth. A payload that is
 * not what its topic promises is reported with a clear error and dropped. Thin adapter: host-session.ts.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { BrokerConnection } from './broker-connection';
import type { MqttBrokerNode } from './mqtt-broker';
import { HostSession } from './host-session';
import type { HostValue } from './host-session';
import { jsonRoot, parseJsonValue } from './json-uns';
import { NAMESPACE } from './sparkplug-names';
import { getConfigNode } from '../shared/config-node';
import { messageOf } from '../shared/errors';
import { guarded } from '../shared/guard';

export interface UnsSubscribeDef extends NodeDef {
  broker: string;
  form: string;
  group: string;
  root: string;
}

function tagMessage(v: HostValue): NodeMessage {
  return {
    topic: v.name,
    payload: v.value,
    timestamp: v.timestamp,
    quality: v.quality,
    ...(v.stale ? { stale: true } : {}),
    ...(v.historical ? { historical: true } : {}),
    tag: { dataType: v.type, ...(v.unit !== undefined ? { unit: v.unit } : {}), ...(v.engLow !== undefined ? { engLow: v.engLow } : {}), ...(v.engHigh !== undefined ? { engHigh: v.engHigh } : {}) },
    uns: { group: v.group, edgeNode: v.edgeNode, device: v.device },
  };
}

export default function register(RED: NodeAPI): void {
  RED.nodes.registerType('fh-uns-subscribe', function (this: Node, def: UnsSubscribeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    let connection: BrokerConnection | undefined;
    let received = 0;
    try {
      const broker = getConfigNode<MqttBrokerNode>(RED, def.broker, 'fh-mqtt-broker', 'broker');
      const r = broker.ready;
      if ('error' in r) throw r.error;
      const json = def.form === 'json';
      const group = (def.group ?? '').trim() || '+';
      if (/[/#]/.test(group) || (group.includes('+') && group !== '+')) throw new Error(`group id "${group}" must be one group id, or + for all`);
      const root = json ? jsonRoot(def.root ?? '') : '';
      const filter = json ? (root === '' ? '#' : `${root}/#`) : `${NAMESPACE}/${group}/#`;
      const host = new HostSession();
      const onMessage = guarded(node, (topic: string, payload: Buffer) => {
        try {
          if (json) {
            const v = parseJsonValue(topic, payload);
            const name = root === '' ? topic : topic.slice(root.length + 1);
            node.send({ topic: name, payload: v.value, timestamp: v.timestamp, quality: v.quality, ...(v.historical ? { historical: true } : {}), tag: v.unit !== undefined ? { unit: v.unit } : {} });
            received++;
            return;
          }
          const out = host.receive(topic, payload);
          for (const c of out.commands) connection?.publish(c).catch(() => undefined);
          if (out.rebirthReason) node.warn(`asked for a rebirth: ${out.rebirthReason}`);
          for (const v of out.values) node.send(tagMessage(v));
          received += out.values.length;
        } catch (err) {
          node.error(messageOf(err), { topic, payload: null });
        }
      });
      const show = (): void => {
        const c = connection;
        if (!c) return;
        if (c.state === 'connected') node.status({ fill: 'green', shape: 'dot', text: `${c.url}, ${received} values` });
        else if (c.state === 'down') node.status({ fill: 'red', shape: 'ring', text: `broker unreachable (${c.lastError})` });
        else node.status({ fill: 'yellow', shape: 'ring', text: `connecting to ${c.url}` });
      };
      connection = new BrokerConnection(
        { ...r.options, clientId: `${r.options.clientId}-host-${node.id}` },
        { online: () => undefined, offline: () => undefined, message: onMessage },
        [filter],
      );
      connection.onChange(guarded(node, show));
      show();
    } catch (err) {
      node.status({ fill: 'red', shape: 'ring', text: `config: ${messageOf(err)}` });
      node.error(messageOf(err));
    }
    node.on('close', (_removed: boolean, done: () => void) => {
      void (connection?.close() ?? Promise.resolve()).finally(() => done());
    });
  });
}
