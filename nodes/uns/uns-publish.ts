/**
 * fh-uns-publish: publishes the package's tag messages (one tag per message, or one scan with all values
 * in msg.payload) to an MQTT broker, as a Sparkplug B edge node or as the plain JSON namespace. A message
 * is passed on once its values are in the store-and-forward buffer (on disk); bad input is refused with a
 * clear error and never buffered. Thin adapter: metric.ts reads the messages, publisher.ts does the rest.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import type { MqttBrokerNode } from './mqtt-broker';
import type { MetaLookup, MetricMeta } from './metric';
import { tagMapMeta, updatesOf } from './metric';
import { jsonRoot } from './json-uns';
import type { PublishForm, PublisherStatus, UnsPublisher } from './publisher';
import { checkIds } from './sparkplug-names';
import type { TagMapNode } from '../tags/tag-map';
import { tagMapProblem } from '../tags/tag-map';
import { getConfigNode } from '../shared/config-node';
import { messageOf } from '../shared/errors';
import { guarded, onInput } from '../shared/guard';
import type { Lease } from '../shared/shared-pool';

export interface UnsPublishDef extends NodeDef {
  broker: string;
  form: string;
  group: string;
  edgeNode: string;
  deviceLevel: string | number;
  root: string;
  primaryHost: string;
  tagMap: string;
  maxValues: string | number;
  maxAgeH: string | number;
}

/** Status texts (English); locales/en-US/uns-publish.json holds the same under status.*. */
const STATUS = {
  config: 'config: __error__',
  connected: '__url__, __buffered__ to send',
  connecting: 'connecting to __url__, __buffered__ buffered',
  down: 'broker unreachable (__error__), __buffered__ buffered',
  full: 'ALARM buffer full, oldest dropped (__dropped__), __buffered__ buffered',
  host: 'primary host offline, __buffered__ buffered',
} as const;

function whole(v: string | number | undefined, fallback: number, min: number, max: number, what: string): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${what} must be from ${min} to ${max}, not "${String(v)}"`);
  return n;
}

function form(def: UnsPublishDef): PublishForm {
  if (def.form === 'json') return { kind: 'json' };
  if (def.form !== 'sparkplug' && def.form !== undefined && def.form !== '') throw new Error(`form must be sparkplug or json, not "${def.form}"`);
  const primaryHost = (def.primaryHost ?? '').trim();
  if (/[/+#]/.test(primaryHost)) throw new Error(`primary host id "${primaryHost}" contains /, + or #`);
  const ids = checkIds({ group: def.group ?? '', edgeNode: def.edgeNode ?? '', deviceLevel: whole(def.deviceLevel, 4, 0, 16, 'device level') });
  return { kind: 'sparkplug', ids, ...(primaryHost ? { primaryHost } : {}) };
}

export default function register(RED: NodeAPI): void {
  RED.nodes.registerType('fh-uns-publish', function (this: Node, def: UnsPublishDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const t = (id: keyof typeof STATUS, vars: Record<string, string | number>): string => {
      const text = RED._(`fh-uns-publish.status.${id}`, vars);
      return text.endsWith(`status.${id}`) ? STATUS[id].replace(/__(\w+)__/g, (_m, v: string) => String(vars[v] ?? '')) : text;
    };
    let lease: Lease<UnsPublisher> | undefined;
    let lookup: MetaLookup = () => undefined;
    let root = '';
    try {
      const broker = getConfigNode<MqttBrokerNode>(RED, def.broker, 'fh-mqtt-broker', 'broker');
      if (def.tagMap) {
        const map = getConfigNode<TagMapNode>(RED, def.tagMap, 'fh-tag-map', 'tag map');
        const problem = tagMapProblem(map);
        if (problem) throw new Error(problem);
        const metas = new Map<string, MetricMeta>();
        for (const tag of map.tags) metas.set(tag.name, tagMapMeta(tag));
        lookup = (name) => metas.get(name);
      }
      root = jsonRoot(def.root ?? '');
      const limits = { maxRows: whole(def.maxValues, 1_000_000, 1, 100_000_000, 'buffer size'), maxAgeMs: whole(def.maxAgeH, 168, 0.001, 8760, 'buffer age') * 3600_000 };
      lease = broker.publisher(form(def), limits);
    } catch (err) {
      node.status({ fill: 'red', shape: 'ring', text: t('config', { error: messageOf(err) }) });
      node.error(messageOf(err));
    }

    let wasFull = false;
    let statusTimer: NodeJS.Timeout | undefined;
    const showStatus = (s: PublisherStatus): void => {
      const vars = { url: s.url, buffered: s.buffered, dropped: s.dropped, error: s.lastError };
      if (s.full) node.status({ fill: 'red', shape: 'dot', text: t('full', vars) });
      else if (s.state === 'connected' && s.waitingForHost) node.status({ fill: 'yellow', shape: 'dot', text: t('host', vars) });
      else if (s.state === 'connected') node.status({ fill: 'green', shape: 'dot', text: t('connected', vars) });
      else if (s.state === 'down') node.status({ fill: 'red', shape: 'ring', text: t('down', vars) });
      else node.status({ fill: 'yellow', shape: 'ring', text: t('connecting', vars) });
      if (s.full && !wasFull) node.warn(`UNS buffer full (${s.buffered} values): the oldest are dropped while the broker is unreachable`);
      wasFull = s.full;
    };
    const publisher = lease?.resource;
    const unsubscribe = publisher?.subscribe({
      error: (err) => node.error(err),
      // Status at most every 250 ms: a 500-tag scan changes the depth 500 times.
      changed: () => {
        statusTimer ??= setTimeout(
          guarded(node, () => {
            statusTimer = undefined;
            showStatus(publisher.status);
          }),
          250,
        );
      },
    });
    if (publisher) showStatus(publisher.status);

    onInput(node, (msg, send: (m: NodeMessage) => void, done) => {
      if (!publisher) return done(new Error('not configured: see the node status'));
      const updates = updatesOf(msg, lookup);
      publisher.accept(updates, root);
      send(msg);
      done();
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      clearTimeout(statusTimer);
      unsubscribe?.();
      void (lease?.release() ?? Promise.resolve())
        .catch((err: unknown) => node.warn(`closing the broker connection: ${messageOf(err)}`))
        .finally(() => done());
    });
  });
}
