/**
 * The fh-opcua-endpoint node once constructed: settings checked, the shared session (pool.ts) opened on
 * first use, closed with the node. Loaded by opcua-endpoint.ts on the first endpoint node (lazy.ts).
 */
import type { NodeAPI } from 'node-red';
import { ConfigError } from '../shared/config-node';
import { messageOf } from '../shared/errors';
import { guarded } from '../shared/guard';
import type { EndpointSettings } from './endpoint-settings';
import { checkEndpointSettings, describeEndpoint } from './endpoint-settings';
import type { OpcUaEndpointDef, OpcUaEndpointNode } from './opcua-endpoint';
import { pkiFolder } from './pki';
import type { SessionLease } from './pool';
import { acquireSession } from './pool';
import type { EndpointSession } from './session';
import { DEFAULT_SESSION_OPTIONS } from './session';

/** A session opened only for browsing is closed after this long without a browse. */
const BROWSE_IDLE_MS = 60_000;

function seconds(value: string | number | undefined, fallback: number, min: number, max: number, what: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(`${what} must be a number from ${min} to ${max}, not "${String(value)}"`);
  return n;
}

/** The constructor body of fh-opcua-endpoint, after RED.nodes.createNode. */
export function startEndpointNode(RED: NodeAPI, self: OpcUaEndpointNode, def: OpcUaEndpointDef): void {
  const node = self as OpcUaEndpointNode & { endpointName: string };
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
      idleTimer = setTimeout(
        guarded(node, async () => {
          const l = lease;
          lease = undefined;
          await l?.release();
        }),
        BROWSE_IDLE_MS,
      );
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
}
