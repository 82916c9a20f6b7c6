/**
 * The fh-opcua-read node once constructed: reads on each message on the endpoint's shared session.
 * Loaded by opcua-read.ts on the first read node (lazy.ts).
 */
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import { messageOf } from '../shared/errors';
import { guarded, onInput } from '../shared/guard';
import { objectMessage, valueMessage } from './messages';
import type { OpcUaNodeConfig } from './node-config';
import { readNodeConfig } from './node-config';
import type { OpcUaReadDef } from './opcua-read';
import type { SessionState } from './session';
import { NotConnectedError } from './session';
import { configStatus, problemStatus, sessionStatus } from './status';
import { requestedTargets } from './targets';
import { readingOf } from './value';

/** The constructor body of fh-opcua-read, after RED.nodes.createNode. */
export function startReadNode(RED: NodeAPI, node: Node, def: OpcUaReadDef): void {
  const output = def.output === 'object' ? 'object' : 'each';
  let config: OpcUaNodeConfig;
  try {
    config = readNodeConfig(RED, def);
    config.endpoint.session(); // opens the shared session now, not at the first message
  } catch (err) {
    node.status(configStatus(messageOf(err)));
    node.error(`configuration: ${messageOf(err)}`);
    return;
  }
  const { endpoint, tags } = config;
  const what = tags ? `${tags.size} tags` : 'by NodeId';
  /** The last message's problem; shown while that connection lasts, forgotten when the link changes. */
  let lastProblem: string | undefined;
  const show = (state: SessionState): void => {
    // A problem of a message read on an earlier connection says nothing about this one.
    if (state.kind !== 'connected') lastProblem = undefined;
    if (state.kind === 'connected' && lastProblem) node.status(problemStatus(lastProblem));
    else node.status(sessionStatus(state, endpoint.session().describeState(), `connected: ${what}`));
  };
  const unwatch = endpoint.watch(guarded(node, show));

  onInput<(m: NodeMessage[][]) => void>(node, async (msg, send, done) => {
    try {
      const targets = requestedTargets(msg, tags);
      const session = endpoint.session();
      const values = await session.read(targets.map((t) => t.nodeId));
      const now = Date.now();
      const items = targets.map((target, i) => ({ target, reading: readingOf(values[i], now, target.tag) }));
      const base = msg as NodeMessage & Record<string, unknown>;
      const out = output === 'object' ? [{ ...base, ...objectMessage(items) }] : items.map((i) => ({ ...base, ...valueMessage(i.target, i.reading) }));
      send([out as NodeMessage[]]);
      const bad = items.filter((i) => i.reading.quality === 'bad');
      if (bad.length > 0) {
        const first = bad[0];
        lastProblem = `${bad.length} of ${items.length} bad: ${first.reading.statusCode}`;
        node.status(problemStatus(lastProblem));
        done(new Error(`read of ${first.target.name}${first.target.tag ? ` (${first.target.nodeId})` : ''} from ${endpoint.endpointName}: ${first.reading.statusCode}${bad.length > 1 ? ` (and ${bad.length - 1} more)` : ''}`));
        return;
      }
      if (lastProblem) {
        lastProblem = undefined;
        show(session.state);
      }
      done();
    } catch (err) {
      // Not connected: the session's own status already says why, and it changes when the link does.
      if (err instanceof NotConnectedError) show(endpoint.session().state);
      else {
        lastProblem = messageOf(err);
        node.status(problemStatus(lastProblem));
      }
      done(new Error(`read from ${endpoint.endpointName}: ${messageOf(err)}`));
    }
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    unwatch();
    done();
  });
}
