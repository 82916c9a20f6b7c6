/**
 * fh-modbus-write: writes values to a device by tag name, with the tag's type, order and scaling
 * reversed. Only tags the tag map marks read-write are written; every attempt goes to the audit log:
 * refused (never sent: unknown or read-only tag, bad value, link down), error (sent, failed) or ok.
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import type { TagMapNode } from '../tags/tag-map';
import { tagMapProblem } from '../tags/tag-map';
import type { Tag } from '../tags/tag';
import { formatAddress } from '../tags/address';
import { AuditLog, auditDir, originOf } from '../shared/audit-log';
import { registerAuditEndpoint } from '../shared/audit-route';
import { getConfigNode } from '../shared/config-node';
import { messageOf } from '../shared/errors';
import { guarded, onInput } from '../shared/guard';
import type { ConnectionState } from './connection';
import { ModbusRequestError } from './connection';
import type { ModbusClientNode } from './modbus-client';
import type { RawValue } from './codec';
import { checkWrites, confirmed, performWrite, requestedWrites } from './writer';

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
  result: 'ok' | 'error' | 'refused';
  readBack?: unknown;
  error?: string;
}

/** Errors of requests that never reached the device (link down, queue full, unit skipped, closing). */
function neverSent(err: unknown): boolean {
  return err instanceof ModbusRequestError && (err.code === 'not-connected' || err.code === 'queue-full' || err.code === 'unit-silent' || err.code === 'closed');
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
    type Status = { fill: 'grey' | 'green' | 'yellow' | 'red'; shape: 'dot' | 'ring'; text: string };
    // The last write's result while the link is up; the link's state while it is down.
    let lastResult: Status = { fill: 'grey', shape: 'dot', text: `${writable} writable tags` };
    let linkUp = true;
    const showResult = (status: Status): void => {
      lastResult = { ...status, text: status.text.slice(0, 120) };
      if (linkUp) node.status(lastResult);
    };
    const unwatch = client.watch(
      guarded(node, (state: ConnectionState) => {
        linkUp = state.kind === 'connected';
        if (linkUp) node.status(lastResult);
        else if (state.kind === 'closed') node.status({ fill: 'grey', shape: 'ring', text: 'closed' });
        else node.status({ fill: 'yellow', shape: 'ring', text: `writes refused: ${client.connection().describeState()}`.slice(0, 120) });
      }),
    );
    node.on('close', (_removed: boolean, done: () => void) => {
      unwatch();
      done();
    });

    onInput(node, async (msg, send: (m: NodeMessage) => void, done) => {
      const origin = originOf(msg);
      const reports: WriteReport[] = [];
      // Every attempt is audited, refused ones included: IT must see what was asked of a machine.
      const report = async (r: WriteReport): Promise<void> => {
        reports.push(r);
        const { tag, address, value, result, readBack, error } = r;
        await audit.recordWrite(node, client.endpointName, { tag, address, value, result, ...(readBack !== undefined ? { readBack } : {}), ...(error ? { error } : {}) }, origin);
      };
      const fail = (text: string): void => {
        showResult({ fill: 'red', shape: 'ring', text });
        (msg as NodeMessage & { write?: WriteReport[] }).write = reports;
        done(new Error(text));
      };

      let requested: [string, unknown][];
      try {
        requested = requestedWrites(msg);
      } catch (err) {
        const error = `${client.endpointName}: ${messageOf(err)}`;
        await report({ tag: typeof msg.topic === 'string' ? msg.topic : '', address: '', value: msg.payload, result: 'refused', error });
        fail(error);
        return;
      }
      // Every write of the message is checked before the first is sent: nothing half-applied.
      const checked = checkWrites(tags, requested);
      const bad = checked.find((c) => c.error !== undefined);
      const connection = client.connection();
      const refusal = bad
        ? `write of ${bad.name} to ${client.endpointName} refused: ${bad.error}`
        : connection.state.kind !== 'connected'
          ? `write to ${client.endpointName} refused: the link is down (${connection.describeState()})`
          : undefined;
      if (refusal) {
        for (const c of checked) {
          const address = c.tag ? formatAddress(c.tag.address) : '';
          const error = c.error ?? (bad ? `not sent: ${bad.name} in the same message was refused` : refusal);
          await report({ tag: c.name, address, value: c.value, result: 'refused', error });
        }
        fail(refusal);
        return;
      }

      for (let i = 0; i < checked.length; i++) {
        const { tag, raw, value } = checked[i] as { tag: Tag; raw: RawValue; value: unknown };
        const address = formatAddress(tag.address);
        try {
          const readBack = await performWrite((r) => connection.request(r), tag, raw, client.defaultUnitId, def.readBack === true);
          if (readBack !== undefined && !confirmed(tag, value, readBack)) {
            throw new Error(`read-back of ${tag.name} gave ${String(readBack)}, not ${String(value)}`);
          }
          await report({ tag: tag.name, address, value, result: 'ok', ...(readBack !== undefined ? { readBack } : {}) });
        } catch (err) {
          const error = `write of ${tag.name} (${address}) to ${client.endpointName} failed: ${messageOf(err)}`;
          await report({ tag: tag.name, address, value, result: neverSent(err) ? 'refused' : 'error', error });
          for (const rest of checked.slice(i + 1)) {
            await report({ tag: rest.name, address: formatAddress(rest.tag!.address), value: rest.value, result: 'refused', error: `not sent: the write of ${tag.name} failed` });
          }
          fail(error);
          return;
        }
      }
      const last = reports[reports.length - 1];
      showResult({ fill: 'green', shape: 'dot', text: `wrote ${last.tag.split('/').pop()} = ${String(last.value)}` });
      (msg as NodeMessage & { write?: WriteReport[] }).write = reports;
      send(msg);
      done();
    });
  });
}
