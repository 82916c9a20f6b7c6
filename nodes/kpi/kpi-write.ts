/**
 * fh-kpi-write: takes fh-oee's outputs (events: stop-start, stop-end, stop-reason; shift end) and, when
 * turned on, tag values, and hands them to the KPI store's durable local queue. done() is called once the
 * records are on the local disk, whether the database is up or not; the database is written behind.
 * The status says how many records wait and whether the database takes them.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { storeService, age } from './store-node';
import type { KpiService } from './service';
import { statusTexts } from './status-text';
import { messageOf } from '../shared/errors';
import { guarded, onInput } from '../shared/guard';

interface Def extends NodeDef {
  store: string;
  /** Keep tag values (msg.topic, numeric msg.payload, msg.timestamp) as downsampled samples. */
  samples?: boolean;
}

const STATUS = {
  config: 'config: __error__',
  ok: 'database ok · __written__ written',
  queued: '__depth__ queued, oldest __age__',
  down: 'database down: __error__ · __depth__ queued, oldest __age__',
  error: '__error__',
} as const;

/** Who acted: msg.user as a name or {username}, when a dashboard gives it. */
function userOf(msg: NodeMessageInFlow): string | null {
  const u = (msg as { user?: unknown }).user;
  if (typeof u === 'string' && u !== '') return u;
  const name = (u as { username?: unknown } | null | undefined)?.username;
  return typeof name === 'string' && name !== '' ? name : null;
}

export default function register(RED: NodeAPI): void {
  RED.nodes.registerType('fh-kpi-write', function (this: Node, def: Def) {
    RED.nodes.createNode(this, def);
    const node = this;
    const t = statusTexts(RED, 'fh-kpi-write', STATUS);
    let service: KpiService;
    try {
      service = storeService(RED, def.store).service;
    } catch (err) {
      node.status({ fill: 'red', shape: 'ring', text: t('config', { error: messageOf(err) }) });
      node.error(`configuration: ${messageOf(err)}`);
      return;
    }
    const samples = def.samples === true;
    let shown = '';
    let errorUntil = 0;
    const show = (): void => {
      if (Date.now() < errorUntil) return;
      const s = service.queue.stats();
      const status =
        !s.databaseOk
          ? { fill: 'red' as const, shape: 'ring' as const, text: t('down', { error: s.lastError ?? '', depth: s.depth, age: age(s.oldestAgeMs) }) }
          : s.depth > 0
            ? { fill: 'yellow' as const, shape: 'dot' as const, text: t('queued', { depth: s.depth, age: age(s.oldestAgeMs) }) }
            : { fill: 'green' as const, shape: 'dot' as const, text: t('ok', { written: s.written }) };
      if (status.text === shown) return;
      shown = status.text;
      node.status(status);
    };
    show();
    const timer = setInterval(guarded(node, show), 1000);
    const off = service.queue.onChange(guarded(node, show));

    onInput(node, async (msg, _send, done) => {
      try {
        const p = msg.payload;
        if (typeof p === 'object' && p !== null && !Array.isArray(p) && 'event' in p) {
          await service.acceptOee(p, userOf(msg));
        } else if (samples && typeof msg.topic === 'string' && msg.topic !== '' && (typeof p === 'number' || typeof p === 'boolean')) {
          const ts = (msg as { timestamp?: unknown }).timestamp;
          const at = typeof ts === 'number' && Number.isSafeInteger(ts) && ts >= 0 ? ts : Date.now();
          await service.acceptSample(msg.topic, at, typeof p === 'boolean' ? Number(p) : p);
        } else {
          throw new Error(
            samples
              ? `msg.payload must be an fh-oee event or shift-end object, or a tag value (number or boolean with msg.topic the tag), not ${Array.isArray(p) ? 'an array' : typeof p}`
              : `msg.payload must be an fh-oee event or shift-end object (wire fh-oee's outputs 2 and 3), not ${Array.isArray(p) ? 'an array' : typeof p}; tag values need "keep tag samples"`,
          );
        }
        show();
        done();
      } catch (err) {
        node.status({ fill: 'red', shape: 'dot', text: t('error', { error: messageOf(err) }) });
        shown = '';
        errorUntil = Date.now() + 5000;
        done(err instanceof Error ? err : new Error(messageOf(err)));
      }
    });

    node.on('close', () => {
      clearInterval(timer);
      off();
    });
  });
}
