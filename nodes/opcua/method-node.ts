/**
 * The fh-opcua-method node once constructed: one call per message on the endpoint's shared session,
 * every call in the audit log. Loaded by opcua-method.ts on the first method node (lazy.ts).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import type { AuditLog } from '../shared/audit-log';
import { originOf } from '../shared/audit-log';
import { ConfigError, getConfigNode } from '../shared/config-node';
import { messageOf } from '../shared/errors';
import { guarded, onInput } from '../shared/guard';
import type { CallReport } from './method-call';
import { callMethod } from './method-call';
import { checkNodeId } from './node-id';
import type { OpcUaEndpointNode } from './opcua-endpoint';
import type { OpcUaMethodDef } from './opcua-method';
import type { SessionState } from './session';
import { configStatus, problemStatus, sessionStatus } from './status';

function optionalNodeId(value: string | undefined, what: string): string {
  if (value === undefined || value.trim() === '') return '';
  try {
    return checkNodeId(value);
  } catch (err) {
    throw new ConfigError(`${what}: ${messageOf(err)}`);
  }
}

/** The constructor body of fh-opcua-method, after RED.nodes.createNode; `audit` is the write audit log. */
export function startMethodNode(RED: NodeAPI, node: Node, def: OpcUaMethodDef, audit: AuditLog): void {
  let endpoint: OpcUaEndpointNode;
  let objectId: string;
  let methodId: string;
  try {
    endpoint = getConfigNode<OpcUaEndpointNode>(RED, def.endpoint, 'fh-opcua-endpoint', 'endpoint');
    const problem = endpoint.configProblem();
    if (problem) throw new ConfigError(`endpoint: ${problem}`);
    objectId = optionalNodeId(def.objectId, 'object');
    methodId = optionalNodeId(def.methodId, 'method');
    endpoint.session();
  } catch (err) {
    node.status(configStatus(messageOf(err)));
    node.error(`configuration: ${messageOf(err)}`);
    return;
  }
  const ready = methodId ? `connected: ${methodId}` : 'connected: method from msg.methodId';
  /** The last call's result; shown while that connection lasts, forgotten when the link changes. */
  let lastResult: { fill: 'green' | 'red'; text: string } | undefined;
  const show = (state: SessionState): void => {
    if (state.kind !== 'connected') lastResult = undefined;
    const status = sessionStatus(state, endpoint.session().describeState(), ready);
    node.status(state.kind === 'connected' && lastResult ? { ...status, fill: lastResult.fill, text: lastResult.text } : status);
  };
  const unwatch = endpoint.watch(guarded(node, show));

  const record = (r: CallReport, msg: NodeMessage): Promise<void> =>
    audit.recordWrite(
      node,
      endpoint.endpointName,
      { tag: `call ${r.method}`, address: `${r.objectId} ${r.methodId}`.trim(), value: r.inputs, result: r.result, ...(r.error ? { error: r.error } : {}) },
      originOf(msg),
    );

  onInput<(m: NodeMessage) => void>(node, async (msg, send, done) => {
    const m = msg as NodeMessage & { objectId?: unknown; methodId?: unknown };
    const session = endpoint.session();
    const report = await callMethod(session, objectId || m.objectId, methodId || m.methodId, msg.payload);
    await record(report, msg);
    if (report.result !== 'ok') {
      const what = `call of ${report.method}${report.method !== report.methodId && report.methodId ? ` (${report.methodId})` : ''} on ${endpoint.endpointName}`;
      const error = `${what} ${report.result === 'refused' ? 'refused, nothing sent' : 'failed'}: ${report.error ?? report.statusCode ?? 'error'}`;
      // Link down: the session's status says why, and changes when the link does.
      if (session.state.kind !== 'connected') show(session.state);
      else {
        lastResult = { fill: 'red', text: error.slice(0, 120) };
        node.status(problemStatus(error));
      }
      done(new Error(error));
      return;
    }
    const out = msg as NodeMessage & Record<string, unknown>;
    out.payload = report.outputs;
    out.outputArguments = report.outputList;
    out.statusCode = report.statusCode;
    out.method = { objectId: report.objectId, methodId: report.methodId, name: report.method };
    lastResult = { fill: 'green', text: `called ${report.method}: ${report.statusCode ?? 'Good'}` };
    node.status({ fill: 'green', shape: 'dot', text: lastResult.text.slice(0, 120) });
    send(out);
    done();
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    unwatch();
    done();
  });
}
