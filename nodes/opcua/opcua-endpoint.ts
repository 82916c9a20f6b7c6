/**
 * fh-opcua-endpoint: the config node of one OPC UA server. Its nodes share one session (pool.ts);
 * secrets (password, user certificate and key) live in Node-RED's credential store, not the flow.
 * Also registers the OPC UA admin endpoints (browse, certificates).
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { ConfigError } from '../shared/config-node';
import { messageOf } from '../shared/errors';
import type { EndpointSettings } from './endpoint-settings';
import { checkEndpointSettings, describeEndpoint } from './endpoint-settings';
import { registerOpcUaAdmin } from './opcua-admin';
import { pkiFolder } from './pki';
import type { SessionLease } from './pool';
import { acquireSession } from './pool';
import type { EndpointSession, SessionState } from './session';
import { DEFAULT_SESSION_OPTIONS } from './session';

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

/** A session opened only for browsing is closed after this long without a browse. */
const BROWSE_IDLE_MS = 60_000;

function seconds(value: string | number | undefined, fallback: number, min: number, max: number, what: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(`${what} must be a number from ${min} to ${max}, not "${String(value)}"`);
  return n;
}

export default function register(RED: NodeAPI): void {
  registerOpcUaAdmin(RED);
  RED.nodes.registerType<OpcUaEndpointNode, OpcUaEndpointDef, unknown, OpcUaEndpointCredentials>(
    'fh-opcua-endpoint',
    function (this: OpcUaEndpointNode, def: OpcUaEndpointDef) {
      RED.nodes.createNode(this, def);
      const node = this as OpcUaEndpointNode & { endpointName: string };
      const creds = node.credentials ?? {};
      let settings: EndpointSettings | undefined;
      let configError: ConfigError | undefined;
      let reconnectMaxMs = DEFAULT_SESSION_OPTIONS.reconnectMaxMs;
      try {
        settings = checkEndpointSettings({
          url: def.endpointUrl,
          securityMode: def.securityMode,
          securityPolicy: def.securityPolicy,
          authentication: def.authentication,
          user: creds.user,
          password: creds.password,
          userCertificate: creds.userCertificate,
          userPrivateKey: creds.userPrivateKey,
        });
        reconnectMaxMs = seconds(def.reconnectMax, reconnectMaxMs / 1000, 1, 3600, 'longest reconnect delay (s)') * 1000;
      } catch (err) {
        configError = err instanceof ConfigError ? err : new ConfigError(messageOf(err));
      }
      node.endpointName = settings ? describeEndpoint(settings) : def.endpointUrl || def.name || def.id;

      let lease: SessionLease | undefined;
      let usedByNodes = false;
      let idleTimer: NodeJS.Timeout | undefined;
      const open = (): EndpointSession => {
        if (configError || !settings) throw configError ?? new ConfigError('no endpoint');
        lease ??= acquireSession({
          ...DEFAULT_SESSION_OPTIONS,
          reconnectMinMs: Math.min(DEFAULT_SESSION_OPTIONS.reconnectMinMs, reconnectMaxMs),
          reconnectMaxMs,
          settings,
          pkiDir: pkiFolder(RED.settings.userDir),
        });
        return lease.resource;
      };
      node.session = () => {
        usedByNodes = true;
        clearTimeout(idleTimer);
        return open();
      };
      node.browseSession = () => {
        const session = open();
        if (!usedByNodes) {
          clearTimeout(idleTimer);
          idleTimer = setTimeout(() => {
            const l = lease;
            lease = undefined;
            void l?.release();
          }, BROWSE_IDLE_MS);
        }
        return session;
      };
      node.openSession = () => lease?.resource;
      node.configProblem = () => configError?.message;
      node.watch = (listener) => {
        const session = node.session();
        listener(session.state);
        session.on('state', listener);
        return () => session.off('state', listener);
      };

      node.on('close', (_removed: boolean, done: () => void) => {
        clearTimeout(idleTimer);
        const l = lease;
        lease = undefined;
        // Time-boxed: Node-RED waits 15 s at most for done().
        const timer = setTimeout(done, 8000);
        void (l ? l.release() : Promise.resolve()).finally(() => {
          clearTimeout(timer);
          done();
        });
      });
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
