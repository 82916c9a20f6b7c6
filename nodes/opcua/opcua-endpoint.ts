/**
 * fh-opcua-endpoint: the config node of one OPC UA server. Its nodes share one session (pool.ts);
 * secrets (password, user certificate and key) live in Node-RED's credential store, not the flow.
 * Also registers the OPC UA admin endpoints (browse, certificates).
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import type * as EndpointNodeModule from './endpoint-node';
import { lazy } from './lazy';
import { registerOpcUaAdmin } from './opcua-admin';
import type { EndpointSession, SessionState } from './session';

/** The node's code, with node-opcua, loaded by the first endpoint node (lazy.ts says why). */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- on first use, not at start-up (lazy.ts)
const impl = lazy(() => require('./endpoint-node') as typeof EndpointNodeModule);

export interface OpcUaEndpointDef extends NodeDef {
  endpointUrl: string;
  securityMode: string;
  securityPolicy: string;
  authentication: string;
  reconnectMax: string | number;
}

export interface OpcUaEndpointCredentials {
  user?: string;
  password?: string;
  /** PEM text or the path of a PEM file. */
  userCertificate?: string;
  userPrivateKey?: string;
}

export interface OpcUaEndpointNode extends Node<OpcUaEndpointCredentials> {
  /** The endpoint URL (with security), for status, errors and the audit log. */
  readonly endpointName: string;
  /** The shared session, opened on first use; throws ConfigError for a bad configuration. */
  session(): EndpointSession;
  /** The session for the editor's browse: opened if needed, closed again after a minute unused. */
  browseSession(): EndpointSession;
  /** The session if one is open now (no side effect). */
  openSession(): EndpointSession | undefined;
  /** What is wrong with the configuration, if anything. */
  configProblem(): string | undefined;
  /** Calls listener now and on every state change until the returned function is called. */
  watch(listener: (state: SessionState) => void): () => void;
}

export default function register(RED: NodeAPI): void {
  registerOpcUaAdmin(RED);
  RED.nodes.registerType<OpcUaEndpointNode, OpcUaEndpointDef, unknown, OpcUaEndpointCredentials>(
    'fh-opcua-endpoint',
    function (this: OpcUaEndpointNode, def: OpcUaEndpointDef) {
      RED.nodes.createNode(this, def);
      impl().startEndpointNode(RED, this, def);
    },
    {
      credentials: {
        user: { type: 'text' },
        password: { type: 'password' },
        userCertificate: { type: 'text' },
        userPrivateKey: { type: 'password' },
      },
    },
  );
}
