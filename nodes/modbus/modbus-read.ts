/**
 * fh-modbus-read: polls the tags of a tag map (optionally one machine's, by name prefix) from one device
 * and sends named engineering values. Thin adapter: planning and decoding live in scanner.ts.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import type { TagMapNode } from '../tags/tag-map';
import { tagMapProblem } from '../tags/tag-map';
import { getConfigNode } from '../shared/config-node';
import { messageOf } from '../shared/errors';
import { guarded, onInput } from '../shared/guard';
import { formatAddress } from '../tags/address';
import type { ConnectionState, ModbusConnection } from './connection';
import type { ModbusClientNode } from './modbus-client';
import type { Requester, ScanResult, TagReading } from './scanner';
import type { PollClass } from './scanner';
import { ChangeFilter, DEFAULT_CLASS, Scanner } from './scanner';
import { MAX_SCANS_AT_ONCE, ScanSlots, scansAtOnce } from './scan-slots';
import type { ObjectBuilder } from './object-builder';
import { objectBuilder } from './object-builder';

export interface ModbusReadDef extends NodeDef {
  client: string;
  tagMap: string;
  prefix: string;
  interval: string | number;
  output: 'changes' | 'all' | 'scan';
  staleAfter: string | number;
  maxGap: string | number;
  /** Tags of the slow poll class: names, or name prefixes ending in *, separated by commas or spaces. */
  slowTags?: string;
  /** The slow class is read every Nth scan. */
  slowEvery?: string | number;
  /** Answer timeout (ms) of the slow class's requests; empty = the device's. */
  slowTimeout?: string | number;
}

/** The slow poll class of a read node, or none when no tag is named for it. */
export function slowClass(def: Pick<ModbusReadDef, 'slowTags' | 'slowEvery' | 'slowTimeout'>): { matches: (name: string) => boolean; cls: PollClass } | undefined {
  const entries = String(def.slowTags ?? '')
    .split(/[\s,]+/)
    .filter(Boolean);
  if (entries.length === 0) return undefined;
  const every = def.slowEvery === undefined || def.slowEvery === '' ? 10 : Number(def.slowEvery);
  if (!Number.isInteger(every) || every < 1 || every > 10000) throw new Error(`slow tags: "read every" must be a whole number of scans from 1 to 10000, not "${def.slowEvery}"`);
  const timeout = def.slowTimeout === undefined || def.slowTimeout === '' ? undefined : Number(def.slowTimeout);
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 10 || timeout > 60000)) {
    throw new Error(`slow tags: timeout must be a whole number of ms from 10 to 60000, not "${def.slowTimeout}"`);
  }
  const exact = new Set(entries.filter((e) => !e.endsWith('*')));
  const prefixes = entries.filter((e) => e.endsWith('*')).map((e) => e.slice(0, -1));
  return {
    matches: (name) => exact.has(name) || prefixes.some((p) => name.startsWith(p)),
    cls: { name: 'slow', every, ...(timeout !== undefined ? { timeoutMs: timeout } : {}) },
  };
}

type Output = ModbusReadDef['output'];

function tagMessage(r: TagReading): NodeMessage {
  const msg: NodeMessage & Record<string, unknown> = {
    topic: r.tag.name,
    payload: r.value,
    timestamp: r.timestamp,
    quality: r.quality,
    tag: { unit: r.tag.unit, address: formatAddress(r.tag.address), dataType: r.tag.dataType, description: r.tag.description },
  };
  if (r.error) msg.error = r.error;
  return msg;
}

function scanMessage(scanner: Scanner, build: ObjectBuilder, result: ScanResult, base: NodeMessage): NodeMessage {
  const payload = build(result.values);
  let errors: Record<string, string> | undefined;
  if (result.failingTags > 0) {
    const tags = scanner.tags;
    for (let i = 0; i < tags.length; i++) {
      const error = result.errors[i];
      if (error !== undefined) (errors ??= {})[tags[i].name] = error;
    }
  }
  const quality = result.blocksFailed === 0 ? 'good' : result.blocksOk === 0 ? 'bad' : 'uncertain';
  const msg: NodeMessage & Record<string, unknown> = { ...base, payload, quality, timestamp: result.finishedAt };
  if (errors) msg.errors = errors;
  return msg;
}

function positive(value: string | number | undefined, fallback: number): number {
  const n = Number(value);
  return value === undefined || value === '' || !Number.isFinite(n) || n < 0 ? fallback : n;
}

export default function register(RED: NodeAPI): void {
  RED.nodes.registerType('fh-modbus-read', function (this: Node, def: ModbusReadDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const intervalMs = positive(def.interval, 1000);
    const staleMs = positive(def.staleAfter, 10) * 1000;
    const output: Output = def.output === 'all' || def.output === 'scan' ? def.output : 'changes';

    let client: ModbusClientNode;
    let scanner: Scanner;
    try {
      client = getConfigNode<ModbusClientNode>(RED, def.client, 'fh-modbus-client', 'device');
      const map = getConfigNode<TagMapNode>(RED, def.tagMap, 'fh-tag-map', 'tag map');
      const problem = tagMapProblem(map);
      if (problem) throw new Error(problem);
      const tags = map.select(def.prefix ?? '').filter((t) => t.address.protocol === 'modbus');
      if (tags.length === 0) throw new Error(`tag map "${map.name || map.id}" has no Modbus tags${def.prefix ? ` under ${def.prefix}` : ''}`);
      const slow = slowClass(def);
      if (slow && !tags.some((t) => slow.matches(t.name))) throw new Error(`slow tags: none of "${def.slowTags}" is a tag of this node`);
      scanner = new Scanner(tags, {
        defaultUnitId: client.defaultUnitId,
        maxGap: positive(def.maxGap, 10),
        ...(slow ? { classes: [DEFAULT_CLASS, slow.cls], classOf: (t) => (slow.matches(t.name) ? 1 : 0) } : {}),
      });
      client.connection(); // surfaces a bad device config now, not at the first poll
    } catch (err) {
      node.status({ fill: 'red', shape: 'ring', text: `config: ${messageOf(err)}`.slice(0, 120) });
      node.error(`configuration: ${messageOf(err)}`);
      return;
    }

    const filter = new ChangeFilter(scanner.tags);
    const buildPayload = output === 'scan' ? objectBuilder(scanner.tags.map((t) => t.name)) : undefined;
    let closed = false;
    let lastGood = Date.now();
    let reportedError: string | undefined;
    let shown = '';
    const requests = scanner.plan.blocks.length;
    const tagCount = scanner.tags.length;

    // Status only when it changes: a scan every few ms must not flood the editor.
    const show = (fill: 'green' | 'yellow' | 'red' | 'grey', shape: 'dot' | 'ring', text: string): void => {
      const t = text.slice(0, 120);
      const key = `${fill} ${shape} ${t}`;
      showingOk = -1;
      if (closed || key === shown) return;
      shown = key;
      node.status({ fill, shape, text: t });
    };
    /** The in-flight limit the green "ok" status shows now (-1: another status): good scans at it build no text. */
    let showingOk = -1;
    // Green only once a scan has completed on the link: a link that opens but answers nothing
    // (a black hole, a gateway whose device is off) must not look healthy.
    const showConnection = (state: ConnectionState): void => {
      if (state.kind === 'connected') show('yellow', 'dot', `connected: ${tagCount} tags, ${requests} requests, ${intervalMs > 0 ? 'first scan pending' : 'scans on input'}`);
      else if (state.kind === 'closed') show('grey', 'ring', 'closed');
      else show('yellow', 'ring', client.connection().describeState());
    };
    const unwatch = client.watch(guarded(node, showConnection));

    /** Sends one scan's messages and sets the status; called in scan order; returns the scan's error. */
    const deliver = (result: ScanResult, send: (msgs: NodeMessage[]) => void, base: NodeMessage): Error | undefined => {
      if (closed) return undefined;
      const connection = client.connection();
      const now = Date.now();
      if (result.blocksOk > 0) lastGood = now;
      if (buildPayload) send([scanMessage(scanner, buildPayload, result, base)]);
      else {
        const msgs: NodeMessage[] = [];
        for (let i = 0; i < tagCount; i++) {
          if (!result.readNow[i]) continue;
          if (output === 'all' || filter.changed(result, i)) msgs.push(tagMessage(scanner.reading(result, i)));
        }
        if (msgs.length) send(msgs);
      }

      const err = result.firstError;
      if (!err && showingOk === connection.inFlightLimit) return undefined;
      const p = connection.pacing;
      const paced = p.auto ? `, auto: ${p.limit} in flight` : p.limit < p.max ? `, ${p.limit} of ${p.max} in flight (paced)` : '';
      if (!err) {
        reportedError = undefined;
        show('green', 'dot', `${tagCount} tags, ${requests} requests, ok${paced}`);
        showingOk = p.limit;
        return undefined;
      }
      const staleFor = now - lastGood;
      if (connection.state.kind !== 'connected') showConnection(connection.state);
      else if (staleFor > staleMs) show('red', 'ring', `stale ${Math.round(staleFor / 1000)} s: ${err}`);
      else if (result.blocksOk > 0) show('yellow', 'dot', `${result.blocksFailed} of ${result.blocksOk + result.blocksFailed} requests failed${paced}: ${err}`);
      else show('red', 'dot', `error: ${err}`);
      return new Error(`${client.endpointName}: ${result.blocksFailed} of ${result.blocksOk + result.blocksFailed} requests failed: ${err}`);
    };

    // One requester per connection, not one closure per scan.
    let requesterOf: ModbusConnection | undefined;
    let requester: Requester = () => undefined;
    /** One scan; its messages go to `send` in scan order, even when scans overlap. */
    const scan = (send: (msgs: NodeMessage[]) => void, base: NodeMessage): Promise<Error | undefined> => {
      // A scan that waited its turn past close: asking the client for its connection would open a new one.
      if (closed) return Promise.resolve(undefined);
      const connection = client.connection();
      if (requesterOf !== connection) {
        requesterOf = connection;
        requester = (req, o, listener) => connection.submit(req, o, listener);
      }
      return scanner.scan(requester, (result) => deliver(result, send, base));
    };

    // Scans overlap up to what keeps the device's requests in flight busy (scan-slots.ts), fewer while
    // the connection is paced down. A poll due while every slot is taken is skipped; messages wait
    // their turn, but at most MAX_WAITING of them, so a flood of triggers cannot grow without bound
    // (as many as may run at once: a flow that keeps a device with many requests in flight busy).
    const MAX_WAITING = MAX_SCANS_AT_ONCE;
    // Once closed, waiting scans drain at once (each ends without a request); the client is not asked.
    const slots = new ScanSlots(() => (closed ? MAX_SCANS_AT_ONCE : scansAtOnce(client.connection().inFlightLimit, requests)), MAX_WAITING);

    let timer: NodeJS.Timeout | undefined;
    const poll = (): void => {
      if (closed || !slots.free) return;
      void slots
        .run(() => scan((msgs) => node.send([msgs]), {}))
        ?.then((err) => {
          // Logged once per distinct cause, not every poll: a dead device must not flood the log.
          const key = err?.message.replace(/\d+/g, '#');
          if (err && key !== reportedError) node.error(err.message, { topic: def.prefix || '', payload: null });
          reportedError = key;
        })
        .catch((err: unknown) => node.error(`scan failed: ${messageOf(err)}`));
    };
    if (intervalMs > 0) timer = setInterval(guarded(node, poll), intervalMs);

    onInput(node, async (msg, send: (m: NodeMessage[][]) => void, done) => {
      const base = msg as NodeMessage;
      const job = slots.run(() => scan((msgs) => send([output === 'scan' ? msgs : msgs.map((m) => ({ ...base, ...m }))]), base));
      if (!job) {
        done(new Error(`${client.endpointName}: ${slots.queued} scans already waiting; message dropped, device too slow for this trigger rate`));
        return;
      }
      done(await job);
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      clearInterval(timer);
      unwatch();
      done();
    });
  });
}
