/**
 * fh-opcua-subscribe: monitors the tags of a tag map (and NodeIds sent to it in messages) on the
 * endpoint's shared session and sends every change with the server's source timestamp. Items come back
 * by themselves after reconnects and subscription rebuilds; the status says when data is stale.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { lazy } from './lazy';
import type { OpcUaNodeDef } from './node-config';
import type * as SubscribeNodeModule from './subscribe-node';

/** The node's code, with node-opcua, loaded by the first subscribe node (lazy.ts says why). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- on first use, not at start-up (lazy.ts)
const impl = lazy(() => require('./subscribe-node') as typeof SubscribeNodeModule);

export interface OpcUaSubscribeDef extends NodeDef, OpcUaNodeDef {
  samplingInterval: string | number;
  publishingInterval: string | number;
  queueSize: string | number;
  deadbandType: 'none' | 'absolute' | 'percent';
  deadband: string | number;
  /** `each`: a message per change; `batch`: one message per publish with every change in it. */
  output: 'each' | 'batch';
  /** Also send `{topic: "alive"}` while the server answers (keep-alives included), at most every 5 s. */
  keepAlive?: boolean | string;
}

export default function register(RED: NodeAPI): void {
  RED.nodes.registerType('fh-opcua-subscribe', function (this: Node, def: OpcUaSubscribeDef) {
    RED.nodes.createNode(this, def);
    impl().startSubscribeNode(RED, this, def);
  });
}
