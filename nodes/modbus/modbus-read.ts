/**
 * fh-modbus-read: polls the tags of a tag map (optionally one machine's, by name prefix) from one device
 * and sends named engineering values. Thin adapter: planning and decoding live in scanner.ts.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { TagMapNode } from '../tags/tag-map';
import { tagMapProblem } from '../tags/tag-map';
import { getConfigNode } from '../shared/config-node';
import { messageOf } from '../shared/errors';
import { formatAddress } from '../tags/address';
import type { ConnectionState } from './connection';
import type { ModbusClientNode } from './modbus-client';
import type { ScanResult, TagReading } from './scanner';
import { ChangeFilter, Scanner } from './scanner';

export interface ModbusReadDef extends NodeDef {
  client: string;
  tagMap: string;
  prefix: string;
  interval: string | number;
  output: 'changes' | 'all' | 'scan';
  staleAfter: string | number;
  maxGap: string | number;
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

function scanMessage(result: ScanResult, base: NodeMessage): NodeMessage {
  const payload: Record<string, unknown> = {};
  const readings: Record<string, unknown> = {};
  for (const r of result.readings) {
    payload[r.tag.name] = r.value;
    readings[r.tag.name] = { value: r.value, quality: r.quality, timestamp: r.timestamp, unit: r.tag.unit, ...(r.error ? { error: r.error } : {}) };
  }
  const quality = result.blocksFailed === 0 ? 'good' : result.blocksOk === 0 ? 'bad' : 'uncertain';
  return { ...base, payload, readings, quality, timestamp: result.finishedAt };
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
      scanner = new Scanner(tags, { defaultUnitId: client.defaultUnitId, maxGap: positive(def.maxGap, 10) });
      client.connection(); // surfaces a bad device config now, not at the first poll
    } catch (err) {
      node.status({ fill: 'red', shape: 'ring', text: `config: ${messageOf(err)}`.slice(0, 120) });
      node.error(`configuration: ${messageOf(err)}`);
      return;
    }

    const filter = new ChangeFilter();
    let closed = false;
    let scanning = false;
    let lastGood = Date.now();
    let reportedError: string | undefined;
    const requests = scanner.plan.blocks.length;
    const tagCount = scanner.tags.length;

    const showConnection = (state: ConnectionState): void => {
      if (closed) return;
      if (state.kind === 'connected') node.status({ fill: 'green', shape: 'dot', text: `connected: ${tagCount} tags, ${requests} requests` });
      else if (state.kind === 'closed') node.status({ fill: 'grey', shape: 'ring', text: 'closed' });
      else node.status({ fill: 'yellow', shape: 'ring', text: client.connection().describeState() });
    };
    const unwatch = client.watch(showConnection);

    /** One scan; its messages go to `send`; returns the error to report for an input-triggered scan. */
    const scan = async (send: (msgs: NodeMessage[]) => void, base: NodeMessage): Promise<Error | undefined> => {
      const connection = client.connection();
      const result = await scanner.scan((req) => connection.request(req));
      if (closed) return undefined;
      const now = Date.now();
      if (result.blocksOk > 0) lastGood = now;
      const msgs =
        output === 'scan'
          ? [scanMessage(result, base)]
          : result.readings.filter((r) => output === 'all' || filter.changed(r)).map(tagMessage);
      if (msgs.length) send(msgs);

      const err = result.firstError;
      if (!err) {
        reportedError = undefined;
        node.status({ fill: 'green', shape: 'dot', text: `${tagCount} tags, ${requests} requests, ok` });
        return undefined;
      }
      const stale = now - lastGood > staleMs;
      if (connection.state.kind !== 'connected') showConnection(connection.state);
      else if (stale) node.status({ fill: 'red', shape: 'ring', text: `stale ${Math.round((now - lastGood) / 1000)} s: ${err}`.slice(0, 120) });
      else if (result.blocksOk > 0) node.status({ fill: 'yellow', shape: 'dot', text: `${result.blocksFailed} of ${requests} requests failed: ${err}`.slice(0, 120) });
      else node.status({ fill: 'red', shape: 'dot', text: `error: ${err}`.slice(0, 120) });
      return new Error(`${client.endpointName}: ${result.blocksFailed} of ${requests} requests failed: ${err}`);
    };

    // Polling: a scan still running when the next is due is not doubled up (no queue growth on a slow device).
    let timer: NodeJS.Timeout | undefined;
    const poll = (): void => {
      if (closed || scanning) return;
      scanning = true;
      scan((msgs) => node.send([msgs]), {})
        .then((err) => {
          // Logged once per distinct cause, not every poll: a dead device must not flood the log.
          const key = err?.message.replace(/\d+/g, '#');
          if (err && key !== reportedError) node.error(err.message, { topic: def.prefix || '', payload: null });
          reportedError = key;
        })
        .catch((err: unknown) => node.error(`scan failed: ${messageOf(err)}`))
        .finally(() => (scanning = false));
    };
    if (intervalMs > 0) timer = setInterval(poll, intervalMs);

    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessage | NodeMessage[][]) => void, done: (err?: Error) => void) => {
      const base = msg as NodeMessage;
      scan((msgs) => send([msgs.map((m) => (output === 'scan' ? m : { ...base, ...m }))]), base).then(
        (err) => (err ? done(err) : done()),
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      clearInterval(timer);
      unwatch();
      done();
    });
  });
}
