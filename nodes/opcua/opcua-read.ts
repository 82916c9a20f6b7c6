/**
 * fh-opcua-read: on each message, reads tags of a tag map (all, or the one named in msg.topic) or the
 * NodeIds in msg.nodeId, and sends named, scaled values with the server's source timestamps.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { lazy } from './lazy';
import type { OpcUaNodeDef } from './node-config';
import type * as ReadNodeModule from './read-node';

/** The node's code, with node-opcua, loaded by the first read node (lazy.ts says why). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- on first use, not at start-up (lazy.ts)
const impl = lazy(() => require('./read-node') as typeof ReadNodeModule);

export interface OpcUaReadDef extends NodeDef, OpcUaNodeDef {
  /** `each`: a message per tag; `object`: one message with all values. */
  output: 'each' | 'object';
}

export default function register(RED: NodeAPI): void {
  RED.nodes.registerType('fh-opcua-read', function (this: Node, def: OpcUaReadDef) {
    RED.nodes.createNode(this, def);
    impl().startReadNode(RED, this, def);
  });
}
