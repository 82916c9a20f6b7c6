/**
 * fh-modbus-write: writes values to a device by tag name, with the tag's type, order and scaling
 * reversed. Only tags the tag map marks read-write are written; every write goes to the audit log.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { TagMapNode } from '../tags/tag-map';
import { tagMapProblem } from '../tags/tag-map';
import type { Tag } from '../tags/tag';
import { formatAddress } from '../tags/address';
import { AuditLog, auditDir, registerAuditEndpoint } from '../shared/audit-log';
import { getConfigNode } from '../shared/config-node';
import { messageOf } from '../shared/errors';
import type { ModbusClientNode } from './modbus-client';
import type { RawValue } from './codec';
import { checkWrite, confirmed, performWrite } from './writer';

export interface ModbusWriteDef extends NodeDef {
  client: string;
  tagMap: string;
  prefix: string;
  readBack: boolean;
}

interface WriteReport {
  tag: string;
  address: string;
  value: unknown;
  result: 'ok' | 'error';
  readBack?: unknown;
  error?: string;
}

/** The writes a message asks for: topic + payload, or (no topic) a payload object of tag name -> value. */
function requestedWrites(msg: NodeMessage): [string, unknown][] {
  if (typeof msg.topic === 'string' && msg.topic) return [[msg.topic, msg.payload]];
  const p = msg.payload;
  if (p && typeof p === 'object' && !Array.isArray(p)) return Object.entries(p as Record<string, unknown>);
  throw new Error('nothing to write: set msg.topic to a tag name and msg.payload to its value, or msg.payload to {tag: value}');
}

export default function register(RED: NodeAPI): void {
  const audit = new AuditLog(auditDir(RED.settings.userDir));
  registerAuditEndpoint(RED as unknown as Parameters<typeof registerAuditEndpoint>[0], audit);

  RED.nodes.registerType('fh-modbus-write', function (this: Node, def: ModbusWriteDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    let client: ModbusClientNode;
    let tags: ReadonlyMap<string, Tag>;
    try {
      client = getConfigNode<ModbusClientNode>(RED, def.client, 'fh-modbus-client', 'device');
      const map = getConfigNode<TagMapNode>(RED, def.tagMap, 'fh-tag-map', 'tag map');
      const problem = tagMapProblem(map);
      if (problem) throw new Error(problem);
      tags = new Map(map.select(def.prefix ?? '').map((t) => [t.name, t]));
      client.connection();
    } catch (err) {
      node.status({ fill: 'red', shape: 'ring', text: `config: ${messageOf(err)}`.slice(0, 120) });
      node.error(`configuration: ${messageOf(err)}`);
      return;
    }
    const writable = [...tags.values()].filter((t) => t.access === 'read-write' && t.address.protocol === 'modbus').length;
    node.status({ fill: 'grey', shape: 'dot', text: `${writable} writable tags` });

    const record = (tag: Tag, value: unknown, result: 'ok' | 'error', extra: { error?: string; readBack?: unknown }): Promise<void> =>
      audit.recordWrite(node, client.endpointName, { tag: tag.name, address: formatAddress(tag.address), value, result, ...extra });

    node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
      void (async () => {
        let checked: { tag: Tag; raw: RawValue; value: unknown }[];
        try {
          // Every write of the message is checked before the first is sent: nothing half-applied.
          checked = requestedWrites(msg).map(([name, value]) => ({ ...checkWrite(tags, name, value), value }));
        } catch (err) {
          node.status({ fill: 'red', shape: 'ring', text: messageOf(err).slice(0, 120) });
          done(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        const connection = client.connection();
        const reports: WriteReport[] = [];
        for (const { tag, raw, value } of checked) {
          const address = formatAddress(tag.address);
          try {
            const readBack = await performWrite((r) => connection.request(r), tag, raw, client.defaultUnitId, def.readBack === true);
            if (readBack !== undefined && !confirmed(tag, value, readBack)) {
              throw new Error(`read-back of ${tag.name} gave ${String(readBack)}, not ${String(value)}`);
            }
            await record(tag, value, 'ok', readBack !== undefined ? { readBack } : {});
            reports.push({ tag: tag.name, address, value, result: 'ok', ...(readBack !== undefined ? { readBack } : {}) });
          } catch (err) {
            const error = `write of ${tag.name} (${address}) to ${client.endpointName} failed: ${messageOf(err)}`;
            await record(tag, value, 'error', { error: messageOf(err) });
            reports.push({ tag: tag.name, address, value, result: 'error', error });
            node.status({ fill: 'red', shape: 'dot', text: error.slice(0, 120) });
            (msg as NodeMessage & { write?: WriteReport[] }).write = reports;
            done(new Error(error));
            return;
          }
        }
        const last = reports[reports.length - 1];
        node.status({ fill: 'green', shape: 'dot', text: `wrote ${last.tag.split('/').pop()} = ${String(last.value)}`.slice(0, 120) });
        (msg as NodeMessage & { write?: WriteReport[] }).write = reports;
        send(msg);
        done();
      })();
    });
  });
}
