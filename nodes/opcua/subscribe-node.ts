/**
 * The fh-opcua-subscribe node once constructed: monitored items on the endpoint's shared session, sent
 * on every change. Loaded by opcua-subscribe.ts on the first subscribe node (lazy.ts).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import type { DataValue } from 'node-opcua-client';
import { ConfigError } from '../shared/config-node';
import { messageOf } from '../shared/errors';
import { guarded, onInput } from '../shared/guard';
import { objectMessage, valueMessage } from './messages';
import type { OpcUaNodeConfig } from './node-config';
import { intProperty, readNodeConfig } from './node-config';
import type { OpcUaSubscribeDef } from './opcua-subscribe';
import type { SessionState } from './session';
import { configStatus, sessionStatus, staleStatus } from './status';
import type { Deadband, ItemSpec, MonitorHandle } from './subscriptions';
import type { Target } from './targets';
import { TargetError, requestedTargets } from './targets';
import type { Reading } from './value';
import { readingOf } from './value';

/** Keep-alive messages at most this often, however often the server answers. */
const ALIVE_EVERY_MS = 5000;

interface Timing {
  readonly samplingInterval: number;
  readonly publishingInterval: number;
  readonly queueSize: number;
  readonly deadband?: Deadband;
}

function timingOf(def: OpcUaSubscribeDef): Timing {
  const samplingInterval = intProperty(def.samplingInterval, 500, 0, 86_400_000, 'sampling interval (ms)');
  const publishingInterval = intProperty(def.publishingInterval, 1000, 10, 86_400_000, 'publishing interval (ms)');
  const queueSize = intProperty(def.queueSize, 10, 1, 100_000, 'queue size');
  const type = def.deadbandType || 'none';
  if (type === 'none') return { samplingInterval, publishingInterval, queueSize };
  const value = Number(def.deadband);
  if (type !== 'absolute' && type !== 'percent') throw new ConfigError(`dead band type "${String(type)}" is not none, absolute or percent`);
  if (!Number.isFinite(value) || value < 0 || (type === 'percent' && value > 100)) {
    throw new ConfigError(`${type} dead band must be a number ${type === 'percent' ? 'from 0 to 100' : '>= 0'}, not "${String(def.deadband)}"`);
  }
  return { samplingInterval, publishingInterval, queueSize, deadband: { type, value } };
}

/** The node's filter, or else the tag's own dead band (engineering units, made raw for the server). */
function itemFor(target: Target, t: Timing): ItemSpec {
  const base = { nodeId: target.nodeId, samplingInterval: t.samplingInterval, queueSize: t.queueSize };
  if (t.deadband) return { ...base, deadband: t.deadband };
  const tag = target.tag;
  if (tag && tag.deadband > 0) {
    const gain = tag.scaling ? Math.abs(tag.scaling.gain) : 1;
    return { ...base, deadband: { type: 'absolute', value: tag.deadband / gain } };
  }
  return base;
}

function failureText(why: string, item: ItemSpec): string {
  if (item.deadband?.type === 'percent' && /Filter|Deadband|EURange/i.test(why)) {
    return `${why}: a percent dead band needs an EURange on the variable (an AnalogItem); use an absolute dead band`;
  }
  return why;
}

/** The constructor body of fh-opcua-subscribe, after RED.nodes.createNode. */
export function startSubscribeNode(RED: NodeAPI, node: Node, def: OpcUaSubscribeDef): void {
  const output = def.output === 'batch' ? 'batch' : 'each';
  let config: OpcUaNodeConfig;
  let timing: Timing;
  try {
    config = readNodeConfig(RED, def);
    timing = timingOf(def);
    config.endpoint.session();
  } catch (err) {
    node.status(configStatus(messageOf(err)));
    node.error(`configuration: ${messageOf(err)}`);
    return;
  }
  const { endpoint, tags } = config;
  const session = endpoint.session();
  let closed = false;
  let stale: string | undefined;
  /** Failed items by target name, with why; reported once per cause. */
  const failed = new Map<string, string>();
  /** Per registration: items asked for, and how many the server holds now (undefined until created). */
  const watched = new Set<{ items: number; created: number | undefined }>();
  const handles: MonitorHandle[] = [];
  /** Items added by messages (one registration per message), by NodeId so none is monitored twice. */
  interface Added {
    handle: MonitorHandle;
    targets: Target[];
  }
  const dynamic = new Map<string, Added>();

  const show = (state: SessionState = session.state): void => {
    if (closed) return;
    if (state.kind === 'connected' && stale) {
      node.status(staleStatus(stale));
      return;
    }
    let items = 0;
    let pending = false;
    for (const w of watched) {
      items += w.items;
      if (w.created === undefined) pending = true;
    }
    let text = pending ? `connected: creating ${items} items` : `connected: ${items} items`;
    if (failed.size > 0) text += `, ${failed.size} failed (${[...failed.values()][0]})`;
    const status = sessionStatus(state, session.describeState(), text);
    // Green only once the items exist: while they are being created no value can arrive yet.
    node.status(state.kind === 'connected' && (failed.size > 0 || pending) ? { ...status, fill: 'yellow' } : status);
  };

  // Keep-alive output: proof that the link is alive while no value changes (for fh-oee's no-data limit).
  const keepAlive = def.keepAlive === true || def.keepAlive === 'true';
  let lastAlive = 0;

  // Batch output: the changes of one publish response leave as one message.
  let batch: { target: Target; reading: Reading }[] = [];
  let flushing = false;
  const flush = (): void => {
    flushing = false;
    if (closed || batch.length === 0) return;
    const items = batch;
    batch = [];
    node.send({ topic: def.prefix || endpoint.endpointName, ...objectMessage(items) });
  };

  const monitor = (targets: readonly Target[]): MonitorHandle => {
    const items = targets.map((t) => itemFor(t, timing));
    const w = { items: items.length, created: undefined as number | undefined };
    watched.add(w);
    // Called from node-opcua's events: a throw here must end as node.error, never in the library.
    const handle = session.monitor(timing.publishingInterval, items, {
      ready: guarded(node, (created: number) => {
        w.created = created;
        show();
      }),
      data: guarded(node, (index: number, dv: DataValue) => {
        if (closed) return;
        const target = targets[index];
        if (failed.delete(target.name)) show();
        const reading = readingOf(dv, Date.now(), target.tag);
        if (output === 'batch') {
          batch.push({ target, reading });
          if (!flushing) {
            flushing = true;
            setImmediate(guarded(node, flush));
          }
        } else node.send(valueMessage(target, reading));
      }),
      failed: guarded(node, (index: number, why: string) => {
        if (closed) return;
        const target = targets[index];
        const text = failureText(why, items[index]);
        if (failed.get(target.name) === text) return;
        failed.set(target.name, text);
        node.error(`${target.name}${target.tag ? ` (${target.nodeId})` : ''} on ${endpoint.endpointName} cannot be monitored: ${text}`, { topic: target.name, payload: null });
        show();
      }),
      alive: guarded(node, () => {
        if (closed || !keepAlive) return;
        const now = Date.now();
        if (now - lastAlive < ALIVE_EVERY_MS) return;
        lastAlive = now;
        node.send({ topic: 'alive', payload: { endpoint: endpoint.endpointName }, timestamp: now });
      }),
      health: guarded(node, (state: 'ok' | 'stale', detail: string) => {
        stale = state === 'stale' ? detail : undefined;
        if (state === 'stale') node.warn(`${endpoint.endpointName}: ${detail}`);
        show();
      }),
    });
    return {
      close: () => {
        handle.close();
        watched.delete(w);
        for (const t of targets) failed.delete(t.name);
      },
    };
  };

  if (tags) handles.push(monitor(tags.targets));
  const unwatch = endpoint.watch(
    guarded(node, (s: SessionState) => {
      // Items and a stale verdict go with the connection; a new session creates them again.
      if (s.kind !== 'connected') {
        for (const w of watched) w.created = undefined;
        stale = undefined;
      }
      show(s);
    }),
  );

  const add = (targets: Target[]): void => {
    const added: Added = { handle: monitor(targets), targets };
    for (const t of targets) dynamic.set(t.nodeId, added);
  };

  onInput(node, (msg, _send, done) => {
    const m = msg as NodeMessage & { nodeId?: unknown; action?: unknown };
    if (m.action === 'unsubscribe') {
      const ids = new Set(m.nodeId === undefined ? [...dynamic.keys()] : requestedTargets(m, undefined).map((t) => t.nodeId));
      const affected = new Set([...ids].map((id) => dynamic.get(id)).filter((a): a is Added => a !== undefined));
      for (const added of affected) {
        added.handle.close();
        for (const t of added.targets) dynamic.delete(t.nodeId);
        // The other NodeIds of that message stay monitored (one new request for all of them).
        const keep = added.targets.filter((t) => !ids.has(t.nodeId));
        if (keep.length > 0) add(keep);
      }
      show();
      done();
      return;
    }
    if (m.nodeId === undefined && !(typeof m.topic === 'string' && m.topic.trim())) {
      throw new TargetError('nothing to subscribe to: set msg.nodeId (or msg.topic) to a NodeId or a list of them');
    }
    const seen = new Set<string>();
    const fresh = requestedTargets(m, tags).filter((t) => !dynamic.has(t.nodeId) && !seen.has(t.nodeId) && (seen.add(t.nodeId), true));
    if (fresh.length > 0) add(fresh);
    show();
    done();
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    closed = true;
    unwatch();
    for (const h of handles) h.close();
    for (const a of new Set(dynamic.values())) a.handle.close();
    dynamic.clear();
    done();
  });
}
