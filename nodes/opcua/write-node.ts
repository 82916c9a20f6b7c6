/**
 * The fh-opcua-write node once constructed: writes on each message on the endpoint's shared session,
 * every write (done, failed or refused) in the audit log. Loaded by opcua-write.ts on the first write node (lazy.ts).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import type { AuditLog, WriteOrigin } from '../shared/audit-log';
import { originOf } from '../shared/audit-log';
import { messageOf } from '../shared/errors';
import { guarded, onInput } from '../shared/guard';
import type { OpcUaNodeConfig } from './node-config';
import { readNodeConfig } from './node-config';
import type { OpcUaWriteDef } from './opcua-write';
import type { SessionState } from './session';
import { NotConnectedError } from './session';
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
  /** The last message's result; shown while that connection lasts, forgotten when the link changes. */
  let lastResult: { fill: 'green' | 'red'; text: string } | undefined;
  const show = (state: SessionState): void => {
    // A result of a message written on an earlier connection says nothing about this one.
    if (state.kind !== 'connected') lastResult = undefined;
    const status = sessionStatus(state, endpoint.session().describeState(), `connected: ${writable}`);
    node.status(state.kind === 'connected' && lastResult ? { ...status, fill: lastResult.fill, text: lastResult.text } : status);
  };
  const unwatch = endpoint.watch(guarded(node, show));

  const record = (r: WriteReport, origin: WriteOrigin): Promise<void> =>
    audit.recordWrite(node, endpoint.endpointName, { tag: r.tag, address: r.address, value: r.value, result: r.result, ...(r.error ? { error: r.error } : {}) }, origin);

  onInput<(m: NodeMessage) => void>(node, async (msg, send, done) => {
    const out = msg as NodeMessage & { write?: WriteReport[]; nodeId?: unknown };
    const origin = originOf(msg);
    try {
      const requests = requestedWrites(out, tags);
      const { reports, sent } = await performWrites(endpoint.session(), requests);
      await Promise.all(reports.map((r) => record(r, origin)));
      out.write = reports;
      const failure = reports.find((r) => r.result !== 'ok');
      if (failure) {
        const what = `write of ${failure.tag}${failure.address !== failure.tag ? ` (${failure.address})` : ''} to ${endpoint.endpointName}`;
        const error = `${what} ${sent ? 'failed' : 'refused, nothing written'}: ${failure.error ?? failure.status ?? 'error'}`;
        // Link down: the session's status says why, and changes when the link does.
        if (endpoint.session().state.kind !== 'connected') show(endpoint.session().state);
        else {
          lastResult = { fill: 'red', text: error.slice(0, 120) };
          node.status(problemStatus(error));
        }
        done(new Error(error));
        return;
      }
      const last = reports[reports.length - 1];
      lastResult = { fill: 'green', text: `wrote ${last.tag.split('/').pop() ?? last.tag} = ${String(last.value)}`.slice(0, 120) };
      node.status({ fill: 'green', shape: 'dot', text: lastResult.text });
      send(out);
      done();
    } catch (err) {
      // A message that cannot be understood (nothing to write, a malformed NodeId) is this message's error.
      if (err instanceof NotConnectedError) show(endpoint.session().state);
      else {
        lastResult = { fill: 'red', text: messageOf(err).slice(0, 120) };
        node.status(problemStatus(messageOf(err)));
      }
      done(new Error(`write to ${endpoint.endpointName}: ${messageOf(err)}`));
    }
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    unwatch();
    done();
  });
}
