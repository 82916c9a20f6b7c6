/**
 * The fh-opcua-write node once constructed: writes on each message on the endpoint's shared session,
 * every write (done or refused) in the audit log. Loaded by opcua-write.ts on the first write node (lazy.ts).
 */
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { AuditLog } from '../shared/audit-log';
import { messageOf } from '../shared/errors';
import type { OpcUaNodeConfig } from './node-config';
import { readNodeConfig } from './node-config';
import type { OpcUaWriteDef } from './opcua-write';
import type { SessionState } from './session';
import { configStatus, problemStatus, sessionStatus } from './status';
import { requestedWrites } from './targets';
import type { WriteReport } from './writer';
import { performWrites } from './writer';

/** The constructor body of fh-opcua-write, after RED.nodes.createNode; `audit` is the runtime's OPC UA audit log. */
export function startWriteNode(RED: NodeAPI, node: Node, def: OpcUaWriteDef, audit: AuditLog): void {
  let config: OpcUaNodeConfig;
  try {
    config = readNodeConfig(RED, def);
    config.endpoint.session();
  } catch (err) {
    node.status(configStatus(messageOf(err)));
    node.error(`configuration: ${messageOf(err)}`);
    return;
  }
  const { endpoint, tags } = config;
  const writable = tags ? `${tags.targets.filter((t) => t.tag?.access === 'read-write').length} writable tags` : 'by NodeId';
  let lastResult: { fill: 'green' | 'red'; text: string } | undefined;
  const show = (state: SessionState): void => {
    const status = sessionStatus(state, endpoint.session().describeState(), `connected: ${writable}`);
    node.status(state.kind === 'connected' && lastResult ? { ...status, fill: lastResult.fill, text: lastResult.text } : status);
  };
  const unwatch = endpoint.watch(show);

  const record = (r: WriteReport): Promise<void> =>
    audit.recordWrite(node, endpoint.endpointName, { tag: r.tag, address: r.address, value: r.value, result: r.result, ...(r.error ? { error: r.error } : {}) });

  node.on('input', (msg: NodeMessageInFlow, send: (m: NodeMessage) => void, done: (err?: Error) => void) => {
    void (async () => {
      const out = msg as NodeMessage & { write?: WriteReport[]; nodeId?: unknown };
      try {
        const requests = requestedWrites(out, tags);
        const { reports, sent } = await performWrites(endpoint.session(), requests);
        await Promise.all(reports.map(record));
        out.write = reports;
        const failure = reports.find((r) => r.result === 'error');
        if (failure) {
          const what = `write of ${failure.tag}${failure.address !== failure.tag ? ` (${failure.address})` : ''} to ${endpoint.endpointName}`;
          const error = `${what} ${sent ? 'failed' : 'refused, nothing written'}: ${failure.error ?? failure.status ?? 'error'}`;
          lastResult = { fill: 'red', text: error.slice(0, 120) };
          node.status(problemStatus(error));
          done(new Error(error));
          return;
        }
        const last = reports[reports.length - 1];
        lastResult = { fill: 'green', text: `wrote ${last.tag.split('/').pop() ?? last.tag} = ${String(last.value)}`.slice(0, 120) };
        node.status({ fill: 'green', shape: 'dot', text: lastResult.text });
        send(out);
        done();
      } catch (err) {
        // Never out of the runtime: a message that cannot be understood is this message's error.
        lastResult = { fill: 'red', text: messageOf(err).slice(0, 120) };
        node.status(problemStatus(messageOf(err)));
        done(new Error(`write to ${endpoint.endpointName}: ${messageOf(err)}`));
      }
    })();
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    unwatch();
    done();
  });
}
