/**
 * fh-kpi-query: runs a KPI query (msg.query over the node's own query) on the store and sends the result:
 * rows as objects, or CSV that Excel opens (UTF-8 BOM, the plant's decimal separator).
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { toCsv } from './csv';
import { storeService } from './store-node';
import type { KpiService } from './service';
import { statusTexts } from './status-text';
import { messageOf } from '../shared/errors';
import { onInput } from '../shared/guard';

interface Def extends NodeDef {
  store: string;
  /** JSON of the query, e.g. {"type":"oee","by":"machine","period":"day"}. */
  query?: string;
  format?: 'json' | 'csv';
  decimal?: '.' | ',';
}

const STATUS = {
  config: 'config: __error__',
  rows: '__rows__ rows (__type__)',
  error: '__error__',
} as const;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export default function register(RED: NodeAPI): void {
  RED.nodes.registerType('fh-kpi-query', function (this: Node, def: Def) {
    RED.nodes.createNode(this, def);
    const node = this;
    const t = statusTexts(RED, 'fh-kpi-query', STATUS);
    let service: KpiService;
    let base: Record<string, unknown> = {};
    try {
      service = storeService(RED, def.store).service;
      if (def.query?.trim()) {
        const parsed: unknown = JSON.parse(def.query);
        if (!isObj(parsed)) throw new Error('the query must be a JSON object like {"type": "oee", "by": "machine", "period": "day"}');
        base = parsed;
      }
    } catch (err) {
      node.status({ fill: 'red', shape: 'ring', text: t('config', { error: messageOf(err) }) });
      node.error(`configuration: ${messageOf(err)}`);
      return;
    }
    const format = def.format === 'csv' ? 'csv' : 'json';
    const decimal = def.decimal === ',' ? ',' : '.';

    onInput(node, async (msg, send: (m: NodeMessage) => void, done) => {
      const given = (msg as { query?: unknown }).query;
      try {
        if (given !== undefined && !isObj(given)) throw new Error('msg.query must be an object {type, from, to, ...}');
        // A msg.query of another type is a query of its own; else its fields go over the node's.
        const query = given !== undefined && given.type !== undefined && given.type !== base.type ? given : { ...base, ...(given ?? {}) };
        const result = await service.query(query);
        const out = msg as NodeMessage & Record<string, unknown>;
        out.query = query;
        out.columns = result.columns;
        if (format === 'csv') {
          out.payload = toCsv(result, { decimal });
          out.filename = `kpi-${result.type}.csv`;
          out.headers = { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="kpi-${result.type}.csv"` };
        } else out.payload = result.rows;
        node.status({ fill: 'green', shape: 'dot', text: t('rows', { rows: result.rows.length, type: result.type }) });
        send(out);
        done();
      } catch (err) {
        node.status({ fill: 'red', shape: 'dot', text: t('error', { error: messageOf(err) }) });
        done(err instanceof Error ? err : new Error(messageOf(err)));
      }
    });
  });
}
