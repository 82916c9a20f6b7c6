/**
 * fh-erp-post: accepts a record (msg.payload, or fields mapped from the message) into the connection's
 * outbox. Output 1: the message once the record is on disk (msg.erp.key, .seq, .duplicate). Output 2:
 * later, one message per delivery event of this node's records (delivered, dead letter, retrying), the
 * alarm when the outbox is full, and the outbox's figures (topic `outbox`) when they change, for a
 * dashboard. Bad input is refused with a specific error and never queued.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import type { ErpConnectionNode } from './erp-connection';
import type { FieldMapping } from './input';
import { parseMapping, recordInput } from './input';
import type { OutboxEvent, OutboxStats } from './outbox';
import type { RecordKind } from './record';
import { RECORD_KINDS, parseRecord } from './record';
import { checkRecordSize } from './record-size';
import { getConfigNode } from '../shared/config-node';
import { messageOf } from '../shared/errors';
import { guarded, onInput } from '../shared/guard';

export interface ErpPostDef extends NodeDef {
  connection: string;
  kind: string;
  mapping: string;
}

type Send = (msgs: (NodeMessage | null)[]) => void;

/** Status texts (English); the editor catalog locales/en-US/erp-post.json holds the same under status.*. */
const STATUS = {
  config: 'config: __error__',
  idle: 'all delivered (__delivered__ since start)',
  queued: '__depth__ queued, oldest __age__',
  retrying: '__depth__ queued, oldest __age__, retrying: __error__',
  waiting: 'ERP asks to wait __seconds__ s (__status__), __depth__ queued',
  dead: '__dead__ dead letters, __depth__ queued',
  alarm: 'ALARM __alarm__',
} as const;

function age(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3600_000)} h`;
}

export default function register(RED: NodeAPI): void {
  RED.nodes.registerType('fh-erp-post', function (this: Node, def: ErpPostDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const t = (id: keyof typeof STATUS, vars: Record<string, string | number>): string => {
      const text = RED._(`fh-erp-post.status.${id}`, vars);
      // Without the catalog (a runtime that did not load it) Node-RED returns the key: use the English text.
      return text.endsWith(`status.${id}`) ? STATUS[id].replace(/__(\w+)__/g, (_m, v: string) => String(vars[v] ?? '')) : text;
    };
    let ready: Extract<ErpConnectionNode['ready'], { outbox: unknown }>;
    let mapping: FieldMapping;
    const defaultKind = RECORD_KINDS.includes(def.kind as RecordKind) ? (def.kind as RecordKind) : undefined;
    try {
      const connection = getConfigNode<ErpConnectionNode>(RED, def.connection, 'fh-erp-connection', 'ERP connection');
      const r = connection.ready;
      if ('error' in r) throw r.error;
      ready = r;
      mapping = parseMapping(def.mapping);
    } catch (err) {
      node.status({ fill: 'red', shape: 'ring', text: t('config', { error: messageOf(err) }).slice(0, 120) });
      node.error(`configuration: ${messageOf(err)}`);
      return;
    }
    const { outbox, dialect } = ready;
    let closed = false;
    let lastError: string | undefined;
    let lastFigures = '';

    /** The outbox's figures on output 2 when they changed (the age of the oldest record in whole seconds). */
    const sendFigures = (s: OutboxStats): void => {
      const payload = {
        event: 'outbox',
        connection: ready.label,
        depth: s.depth,
        oldestAgeMs: s.oldestAgeMs,
        deadLetters: s.deadLetters,
        deliveredSinceStart: s.deliveredSinceStart,
        full: s.full,
        alarm: s.alarm ?? null,
        retrying: lastError !== undefined,
        lastError: lastError ?? null,
      };
      const figures = JSON.stringify({ ...payload, oldestAgeMs: Math.floor(s.oldestAgeMs / 1000) });
      if (figures === lastFigures) return;
      lastFigures = figures;
      node.send([null, { topic: 'outbox', payload }]);
    };

    const showStats = (s: OutboxStats = outbox.stats()): void => {
      if (closed || outbox.isClosed) return;
      sendFigures(s);
      const vars = { depth: s.depth, age: age(s.oldestAgeMs), dead: s.deadLetters };
      if (s.alarm) node.status({ fill: 'red', shape: 'dot', text: t('alarm', { ...vars, alarm: s.alarm }).slice(0, 120) });
      else if (s.deadLetters > 0) node.status({ fill: 'red', shape: 'ring', text: t('dead', vars) });
      else if (s.depth === 0) node.status({ fill: 'green', shape: 'dot', text: t('idle', { delivered: s.deliveredSinceStart }) });
      else if (s.erpAsksToWait) {
        const seconds = Math.max(1, Math.ceil((s.erpAsksToWait.until - Date.now()) / 1000));
        node.status({ fill: 'yellow', shape: 'ring', text: t('waiting', { ...vars, seconds, status: s.erpAsksToWait.status }) });
        // Count the wait down (and end it) on time, not at the next 5 s tick.
        waitTimer ??= setTimeout(guardedShow, Math.min(1000, Math.max(50, s.erpAsksToWait.until - Date.now())));
      }
      // Whatever the last attempt met (ERP down, no answer, a reset) until a record is delivered again.
      else if (lastError) node.status({ fill: 'yellow', shape: 'ring', text: t('retrying', { ...vars, error: lastError }).slice(0, 120) });
      else node.status({ fill: 'yellow', shape: 'dot', text: t('queued', vars) });
    };
    let waitTimer: NodeJS.Timeout | undefined;
    const guardedShow = guarded(node, () => {
      waitTimer = undefined;
      showStats();
    });
    // Status at most every half second: a burst of deliveries must not flood the editor.
    let statusTimer: NodeJS.Timeout | undefined;
    const statusSoon = (): void => {
      statusTimer ??= setTimeout(
        guarded(node, () => {
          statusTimer = undefined;
          showStats();
        }),
        500,
      );
    };
    const ticker = setInterval(guarded(node, () => showStats()), 5000);
    showStats();
    // Once more when the flow has started: figures sent while its nodes are still being created are lost.
    const firstFigures = setTimeout(
      guarded(node, () => {
        lastFigures = '';
        showStats();
      }),
      1000,
    );

    const onEvent = guarded(node, (e: OutboxEvent): void => {
      if (e.type === 'requeued' || e.type === 'purged') return statusSoon();
      if (e.type === 'full') {
        if (e.source === node.id) node.send([null, { topic: 'full', payload: { event: 'full', error: e.message } }]);
        return statusSoon();
      }
      if (e.type === 'retry') lastError = e.failure.message;
      else if (e.type === 'delivered') lastError = undefined;
      statusSoon();
      if (e.rec.source !== node.id) return;
      const r = e.rec.record;
      const payload: Record<string, unknown> = { event: e.type, key: r.key, kind: r.kind, order: r.order, attempts: e.type === 'delivered' ? e.attempts : e.rec.attempts };
      if (e.type === 'delivered') Object.assign(payload, { ref: e.ref, foundByLookup: e.foundByLookup });
      else if (e.type === 'dead') Object.assign(payload, { error: e.error, record: r });
      else Object.assign(payload, { error: e.failure.message, failure: e.failure.kind, nextAttemptAt: e.nextAt });
      node.send([null, { topic: e.type, payload }]);
    });
    outbox.on('event', onEvent);

    onInput<Send>(node, async (msg, send, done) => {
      let record;
      try {
        const input = recordInput(msg, mapping, (m, p) => RED.util.getMessageProperty(m, p) as unknown);
        record = parseRecord(input, defaultKind ? { defaultKind } : {});
        // The size first: it is bounded work, a dialect's check may fill templates with the whole record.
        checkRecordSize(record, outbox.maxRecordBytes);
        dialect.check(record);
      } catch (err) {
        node.status({ fill: 'red', shape: 'ring', text: messageOf(err).slice(0, 120) });
        throw err;
      }
      let accepted;
      try {
        accepted = await outbox.enqueue(record, node.id);
      } catch (err) {
        showStats();
        throw err;
      }
      (msg as NodeMessage & { erp?: unknown }).erp = { event: 'accepted', key: accepted.key, seq: accepted.seq, duplicate: accepted.duplicate, kind: record.kind, order: record.order };
      send([msg, null]);
      statusSoon();
      done();
    });

    node.on('close', (done: () => void) => {
      closed = true;
      clearInterval(ticker);
      clearTimeout(statusTimer);
      clearTimeout(firstFigures);
      clearTimeout(waitTimer);
      outbox.off('event', onEvent);
      done();
    });
  });
}
