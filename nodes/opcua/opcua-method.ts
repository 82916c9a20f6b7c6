/**
 * fh-opcua-method: calls an OPC UA method (object and method NodeId) with input arguments from
 * msg.payload, converted to the method's declared argument types; output arguments and status code
 * on the output. Every call, done, failed or refused, goes to the audit log as writes do.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { AuditLog, auditDir } from '../shared/audit-log';
import { lazy } from './lazy';
import type * as MethodNodeModule from './method-node';

/** The node's code, with node-opcua, loaded by the first method node (lazy.ts says why). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- on first use, not at start-up (lazy.ts)
const impl = lazy(() => require('./method-node') as typeof MethodNodeModule);

export interface OpcUaMethodDef extends NodeDef {
  endpoint: string;
  /** The object the method is called on, e.g. `ns=2;s=Line1.Filler`; empty: msg.objectId. */
  objectId?: string;
  /** The method, e.g. `ns=2;s=Line1.Filler.Start`; empty: msg.methodId. */
  methodId?: string;
}

export default function register(RED: NodeAPI): void {
  // The same log as fh-opcua-write (its route is registered there and by Modbus write).
  const audit = new AuditLog(auditDir(RED.settings.userDir));
  RED.nodes.registerType('fh-opcua-method', function (this: Node, def: OpcUaMethodDef) {
    RED.nodes.createNode(this, def);
    impl().startMethodNode(RED, this, def, audit);
  });
}
