/**
 * fh-opcua-write: writes values by tag name (read-write tags of the tag map only) or, without a tag map,
 * by NodeId. Each value is converted to the variable's own DataType and value rank; a value that does
 * not fit is refused with nothing written. Every write, done or refused, goes to the audit log.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { AuditLog, auditDir } from '../shared/audit-log';
import { registerAuditEndpoint } from '../shared/audit-route';
import { lazy } from './lazy';
import type { OpcUaNodeDef } from './node-config';
import type * as WriteNodeModule from './write-node';

/** The node's code, with node-opcua, loaded by the first write node (lazy.ts says why). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- on first use, not at start-up (lazy.ts)
const impl = lazy(() => require('./write-node') as typeof WriteNodeModule);

export type OpcUaWriteDef = NodeDef & OpcUaNodeDef;

export default function register(RED: NodeAPI): void {
  const audit = new AuditLog(auditDir(RED.settings.userDir));
  registerAuditEndpoint(RED as unknown as Parameters<typeof registerAuditEndpoint>[0], audit);

  RED.nodes.registerType('fh-opcua-write', function (this: Node, def: OpcUaWriteDef) {
    RED.nodes.createNode(this, def);
    impl().startWriteNode(RED, this, def, audit);
  });
}
