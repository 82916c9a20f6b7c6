/**
 * One OPC UA session per endpoint, shared by every node that uses it (see pool.ts), kept alive by
 * itself: connect, lose the link, wait (capped exponential backoff), connect again with a fresh client
 * and session, and re-create every subscription and monitored item (subscriptions.ts).
 *
 * node-opcua's own reconnection is switched off (maxRetry 0): a reconnect here always starts from
 * scratch, so it works the same whether the server kept our session, lost it in a restart, or never
 * implemented TransferSubscriptions. The price: a session orphaned by a network cut stays on the server
 * until its timeout (60 s); servers with very few sessions may answer BadTooManySessions meanwhile, which
 * shows as the cause and is retried.
 *
 * For Sign and SignAndEncrypt the server certificate is checked against the hub's trust list before
 * anything is sent: an unknown certificate is refused and filed under rejected/ until a person trusts
 * it. No Node-RED here.
 */
import { EventEmitter } from 'node:events';
import type { ClientSession, DataValue, EndpointDescription, StatusCode, UserIdentityInfo, Variant } from 'node-opcua-client';
import {
  AttributeIds,
  DataValue as DataValueClass,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  UserTokenType,
  VariableIds,
  crypto_utils,
  makeNodeId,
} from 'node-opcua-client';
import { messageOf } from '../shared/errors';
import type { VariableInfo } from './convert';
import type { EndpointSettings, Identity } from './endpoint-settings';
import type { Fault } from './faults';
import { CLIENT_REFUSALS, ConnectFault, clientNotTrusted, faultOf, isPeerClose } from './faults';
import { resolveNodeId } from './node-id';
import type { StoreLease } from './pki';
import { APPLICATION_NAME, acquireStore, thumbprintOf } from './pki';
import type { ItemSpec, LiveConnection, MonitorHandle, MonitorListener } from './subscriptions';
import { Subscriptions } from './subscriptions';
import { VariableCatalog } from './variables';
import { guardOpensslConf, restoreOpensslConf } from './openssl-env';
import { ownCertificateWarning } from './own-certificate';

export interface SessionOptions {
  readonly settings: EndpointSettings;
  /** The hub's PKI folder (`<userDir>/opcua/pki`). */
  readonly pkiDir: string;
  /** First reconnect delay; doubles per failed attempt up to reconnectMaxMs. */
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  /** Longest wait for the TCP connection, secure channel and session together. */
  readonly connectTimeoutMs: number;
  /** Longest wait for one service call (read, write, browse, subscription services). */
  readonly requestTimeoutMs: number;
  /** Session timeout asked of the server: how long an orphaned session lingers there. */
  readonly sessionTimeoutMs: number;
  /** Subscriptions send a keep-alive at least this often. */
  readonly keepAliveTargetMs: number;
  /** Keep-alive periods of silence after which the watchdog rebuilds a subscription. */
  readonly missedKeepAlives: number;
}

export const DEFAULT_SESSION_OPTIONS: Omit<SessionOptions, 'settings' | 'pkiDir'> = {
  reconnectMinMs: 1000,
  reconnectMaxMs: 30000,
  connectTimeoutMs: 15000,
  requestTimeoutMs: 10000,
  sessionTimeoutMs: 60000,
  keepAliveTargetMs: 2000,
  missedKeepAlives: 3,
};

export type SessionState =
  | { readonly kind: 'connecting' }
  /** `warning`: connected, but something needs care soon (the hub's certificate runs out). */
  | { readonly kind: 'connected'; readonly warning?: string }
  /** Waiting to try again; time will likely fix it (server down, network). */
  | { readonly kind: 'reconnecting'; readonly cause: string; readonly retryAt: number }
  /**
   * Waiting too, but a person must act first (password, certificate trust, security settings).
   * `thumbprint`: the server certificate to trust here; `detail`: what to do, in full (file paths).
   */
  | { readonly kind: 'error'; readonly cause: string; readonly retryAt: number; readonly thumbprint?: string; readonly detail?: string }
  | { readonly kind: 'closed' };

export class NotConnectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotConnectedError';
  }
}

interface Connection extends LiveConnection {
  readonly client: OPCUAClient;
  readonly catalog: VariableCatalog;
  readonly nodesPerRead: number;
  readonly nodesPerWrite: number;
  dead: boolean;
}

/** What a browse needs: the live session and its catalog. */
export interface SessionAccess {
  readonly session: ClientSession;
  readonly namespaces: readonly string[];
  readonly catalog: VariableCatalog;
  readonly nodesPerRead: number;
}

const DEFAULT_PER_CALL = 1000;

function perCall(limit: number | undefined): number {
  return limit && limit > 0 ? Math.min(limit, DEFAULT_PER_CALL) : DEFAULT_PER_CALL;
}

const LIMITS = [
  VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead,
  VariableIds.Server_ServerCapabilities_OperationLimits_MaxNodesPerWrite,
  VariableIds.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall,
].map((id) => ({ nodeId: makeNodeId(id), attributeId: AttributeIds.Value }));

/** MaxNodesPerRead, MaxNodesPerWrite, MaxMonitoredItemsPerCall; 0 where the server does not say. */
async function operationLimits(session: ClientSession): Promise<number[]> {
  const values = await session.read(LIMITS);
  return values.map((dv) => (dv.statusCode.isGood() && typeof dv.value.value === 'number' ? dv.value.value : 0));
}

export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function userIdentity(id: Identity): UserIdentityInfo {
  switch (id.kind) {
    case 'anonymous':
      return { type: UserTokenType.Anonymous };
    case 'username':
      return { type: UserTokenType.UserName, userName: id.user, password: id.password };
    case 'certificate':
      return {
        type: UserTokenType.Certificate,
        certificateData: id.certificate,
        keyOperations: crypto_utils.keyOperationsFromPrivateKey(crypto_utils.makePrivateKeyFromPem(id.privateKey)),
      };
  }
}

const TOKEN_TYPE: Record<Identity['kind'], UserTokenType> = {
  anonymous: UserTokenType.Anonymous,
  username: UserTokenType.UserName,
  certificate: UserTokenType.Certificate,
};

/** The first certificate of a DER chain (the server's own; issuers may follow). */
function leafCertificate(chain: Buffer): Buffer {
  if (chain.length < 4 || chain[0] !== 0x30) return chain;
  const lenByte = chain[1];
  if (lenByte < 0x80) return chain.subarray(0, 2 + lenByte);
  const n = lenByte & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + chain[2 + i];
  return chain.subarray(0, Math.min(chain.length, 2 + n + len));
}

export class EndpointSession extends EventEmitter {
  private state_: SessionState = { kind: 'connecting' };
  private current: Connection | undefined;
  /** The client of a connect attempt in progress (so close() can abort it). */
  private pending: OPCUAClient | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;
  private releaseOpensslGuard: (() => void) | undefined;
  private attempt = 0;
  private nextId = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Teardowns of lost connections still running (close() waits for them: nothing left behind). */
  private readonly disposing = new Set<Promise<void>>();
  private readonly store: StoreLease;
  private readonly subscriptions: Subscriptions;
  readonly name: string;

  constructor(readonly options: SessionOptions) {
    super();
    this.setMaxListeners(0); // every node of the endpoint watches the state
    this.name = options.settings.url;
    this.store = acquireStore(options.pkiDir);
    this.subscriptions = new Subscriptions(
      { keepAliveTargetMs: options.keepAliveTargetMs, missedKeepAlives: options.missedKeepAlives, requestTimeoutMs: options.requestTimeoutMs },
      (conn, cause) => this.lost(conn.id, cause),
    );
  }

  get state(): SessionState {
    return this.state_;
  }

  start(): void {
    this.releaseOpensslGuard ??= guardOpensslConf();
    this.connectNow();
  }

  /** Status text: `connected`, `reconnecting in 4 s (ECONNREFUSED)`, `error: BadUserAccessDenied (retry in 30 s)`. */
  describeState(): string {
    const s = this.state_;
    const secs = (at: number): number => Math.max(0, Math.ceil((at - Date.now()) / 1000));
    switch (s.kind) {
      case 'connected':
      case 'connecting':
      case 'closed':
        return s.kind;
      case 'reconnecting':
        return `reconnecting in ${secs(s.retryAt)} s (${s.cause})`;
      case 'error':
        return `error: ${s.cause} (retry in ${secs(s.retryAt)} s)`;
    }
  }

  /** The state in words for an error message: describeState() and, for an error, what to do in full. */
  private explainState(): string {
    const s = this.state_;
    return s.kind === 'error' && s.detail ? `${this.describeState()}; ${s.detail}` : this.describeState();
  }

  /** Skips the wait of a failed attempt (after the user trusted a certificate, for instance). */
  retryNow(): void {
    if (this.closed || (this.state_.kind !== 'reconnecting' && this.state_.kind !== 'error')) return;
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this.connectNow();
  }

  /** Monitors items on the subscription of `publishingInterval`; survives reconnects until closed. */
  monitor(publishingInterval: number, items: readonly ItemSpec[], listener: MonitorListener): MonitorHandle {
    return this.subscriptions.add(publishingInterval, items, listener);
  }

  subscriptionCounts(): { subscriptions: number; items: number } {
    return this.subscriptions.counts();
  }

  /** Resolves once connected; rejects after `timeoutMs` with the state (e.g. the certificate to trust). */
  whenConnected(timeoutMs: number): Promise<void> {
    if (this.state_.kind === 'connected') return Promise.resolve();
    // Waiting would not help: a person must act first (trust, password), and they should hear it now.
    if (this.state_.kind === 'error' || this.state_.kind === 'closed') return Promise.reject(new NotConnectedError(`${this.name}: ${this.explainState()}`));
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.off('state', onState);
        if (err) reject(err);
        else resolve();
      };
      const onState = (s: SessionState): void => {
        if (s.kind === 'connected') done();
        else if (s.kind === 'closed' || s.kind === 'error') done(new NotConnectedError(`${this.name}: ${this.explainState()}`));
      };
      const timer = setTimeout(() => done(new NotConnectedError(`${this.name}: ${this.explainState()}`)), timeoutMs);
      this.on('state', onState);
    });
  }

  /** The live connection, or NotConnectedError saying why there is none. */
  access(): SessionAccess {
    const c = this.connection();
    return { session: c.session, namespaces: c.namespaces, catalog: c.catalog, nodesPerRead: c.nodesPerRead };
  }

  /** Reads the Value of each NodeId text; an unresolvable one gets a BadNodeIdUnknown DataValue. */
  async read(nodeIds: readonly string[]): Promise<DataValue[]> {
    const conn = this.connection();
    const out: DataValue[] = new Array<DataValue>(nodeIds.length);
    const todo: { index: number; nodeId: ReturnType<typeof resolveNodeId> }[] = [];
    nodeIds.forEach((text, index) => {
      try {
        todo.push({ index, nodeId: resolveNodeId(text, conn.namespaces) });
      } catch {
        out[index] = new DataValueClass({ statusCode: StatusCodes.BadNodeIdUnknown, serverTimestamp: new Date() });
      }
    });
    for (let start = 0; start < todo.length; start += conn.nodesPerRead) {
      const chunk = todo.slice(start, start + conn.nodesPerRead);
      const values = await withTimeout(
        conn.session.read(chunk.map((t) => ({ nodeId: t.nodeId, attributeId: AttributeIds.Value })), 0),
        this.options.requestTimeoutMs,
        'Read',
      );
      chunk.forEach((t, k) => (out[t.index] = values[k]));
    }
    return out;
  }

  /** DataType, value rank and array dimensions of a variable (asked once per connection). */
  variableInfo(nodeId: string): Promise<VariableInfo> {
    const conn = this.connection();
    return withTimeout(conn.catalog.info(nodeId, resolveNodeId(nodeId, conn.namespaces)), this.options.requestTimeoutMs, 'reading the DataType');
  }

  /** Writes values already converted to their Variant; one status per item, in order. */
  async write(items: readonly { nodeId: string; value: Variant }[]): Promise<StatusCode[]> {
    const conn = this.connection();
    const out: StatusCode[] = [];
    for (let start = 0; start < items.length; start += conn.nodesPerWrite) {
      const chunk = items.slice(start, start + conn.nodesPerWrite);
      const statuses = await withTimeout(
        conn.session.write(chunk.map((i) => ({ nodeId: resolveNodeId(i.nodeId, conn.namespaces), attributeId: AttributeIds.Value, value: { value: i.value } }))),
        this.options.requestTimeoutMs,
        'Write',
      );
      out.push(...statuses);
    }
    return out;
  }

  /** Ends the session on the server and stops reconnecting; time-boxed so a redeploy never hangs. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.subscriptions.close();
    const conn = this.current;
    this.current = undefined;
    const pending = this.pending;
    if (pending) void pending.disconnect().catch(() => undefined); // aborts the attempt in progress
    if (conn) await this.dispose(conn, true);
    await Promise.all(this.disposing);
    if (this.connecting) await withTimeout(this.connecting, 5000, 'connect').catch(() => undefined);
    await this.store.release();
    this.releaseOpensslGuard?.();
    this.setState({ kind: 'closed' });
    this.removeAllListeners();
  }

  private connection(): Connection {
    const c = this.current;
    if (!c || c.dead) throw new NotConnectedError(`${this.name}: not connected (${this.explainState()})`);
    return c;
  }

  private setState(s: SessionState): void {
    this.state_ = s;
    // Listeners are the nodes' status updates: one that throws must not break a connect or a teardown.
    for (const listener of this.rawListeners('state') as ((state: SessionState) => void)[]) {
      try {
        listener(s);
      } catch {
        // the node adapters guard their own listeners (guarded()); this is for any other caller
      }
    }
  }

  private connectNow(): void {
    if (this.closed || this.connecting) return;
    this.connecting = this.connectOnce()
      // connectOnce settles its own faults; this is the net under it: whatever escapes still retries.
      .catch((err: unknown) => {
        try {
          this.scheduleRetry({ cause: messageOf(err), needsAction: false });
        } catch {
          // a listener that throws must not stop the session
        }
      })
      .finally(() => (this.connecting = undefined));
  }

  private async connectOnce(): Promise<void> {
    const id = ++this.nextId;
    const { settings } = this.options;
    // An error a person must fix stays on show while retrying; flickering to "connecting" would hide it.
    if (this.state_.kind !== 'error') this.setState({ kind: 'connecting' });
    let client: OPCUAClient | undefined;
    // How far the attempt got: a secured channel closed by the server right after discovery worked is
    // how many servers say they do not trust the hub (no ERR message, just a closed socket).
    let stage: 'discovery' | 'channel' | 'session' = 'discovery';
    try {
      const store = this.store.store;
      await store.reload();
      const serverCertificate = settings.securityMode === 'None' ? undefined : await this.checkedServerCertificate();
      if (this.closed) return;
      client = OPCUAClient.create({
        applicationName: APPLICATION_NAME,
        applicationUri: store.applicationUri(),
        clientName: 'FactoryHub',
        clientCertificateManager: store.manager,
        certificateFile: store.certificateFile,
        privateKeyFile: store.privateKeyFile,
        securityMode: MessageSecurityMode[settings.securityMode],
        securityPolicy: SecurityPolicy[settings.securityPolicy],
        ...(serverCertificate ? { serverCertificate } : {}),
        endpointMustExist: false,
        // One attempt per connect: the backoff here owns retries, and a lost link is rebuilt from scratch.
        connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
        keepSessionAlive: true,
        keepAliveInterval: Math.max(2000, this.options.keepAliveTargetMs),
        requestedSessionTimeout: this.options.sessionTimeoutMs,
        transportTimeout: this.options.connectTimeoutMs,
      });
      this.pending = client;
      stage = 'channel';
      client.on('connection_lost', () => this.lost(id, 'connection lost'));
      client.on('close', (err?: Error | null) => {
        if (err) this.lost(id, `connection closed: ${messageOf(err)}`);
      });
      await withTimeout(client.connect(settings.url), this.options.connectTimeoutMs, 'connect');
      stage = 'session';
      const session = await withTimeout(client.createSession(userIdentity(settings.identity)), this.options.connectTimeoutMs, 'CreateSession');
      session.on('session_closed', (status: StatusCode) => this.lost(id, `session closed by the server (${status.name})`));
      session.on('keepalive_failure', () => this.lost(id, 'keep-alive failed'));
      // Browse pages are cut by our own limit; this only caps what one BrowseRequest may return.
      session.requestedMaxReferencesPerNode = 1000;
      const namespaces = await withTimeout(session.readNamespaceArray(), this.options.requestTimeoutMs, 'reading the namespace table');
      const limits = await withTimeout(operationLimits(session), this.options.requestTimeoutMs, 'reading operation limits');
      const conn: Connection = {
        id,
        client,
        session,
        namespaces,
        catalog: new VariableCatalog(session),
        itemsPerCall: perCall(limits[2]),
        nodesPerRead: perCall(limits[0]),
        nodesPerWrite: perCall(limits[1]),
        dead: false,
      };
      this.pending = undefined;
      if (this.closed) {
        await this.dispose(conn, true);
        return;
      }
      this.current = conn;
      this.attempt = 0;
      const warning = ownCertificateWarning(store.certificateFile);
      this.setState(warning ? { kind: 'connected', warning } : { kind: 'connected' });
      this.subscriptions.attach(conn);
    } catch (err) {
      this.pending = undefined;
      if (client) await withTimeout(client.disconnect(), 3000, 'disconnect').catch(() => undefined);
      if (this.closed) return;
      this.scheduleRetry(this.explainFault(err, stage));
    } finally {
      restoreOpensslConf();
    }
  }

  /**
   * Asks the server for its endpoints over an unsecured discovery channel, picks the one with our
   * security, and checks its certificate against the trust list. Throws ConnectFault with what to do.
   */
  private async checkedServerCertificate(): Promise<Buffer> {
    const { settings } = this.options;
    const store = this.store.store;
    const discovery = OPCUAClient.create({
      applicationName: APPLICATION_NAME,
      applicationUri: store.applicationUri(),
      clientName: 'FactoryHub-discovery',
      clientCertificateManager: store.manager,
      certificateFile: store.certificateFile,
      privateKeyFile: store.privateKeyFile,
      endpointMustExist: false,
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      transportTimeout: this.options.connectTimeoutMs,
    });
    this.pending = discovery;
    let endpoints: EndpointDescription[];
    try {
      await withTimeout(discovery.connect(settings.url), this.options.connectTimeoutMs, 'connect');
      endpoints = await withTimeout(discovery.getEndpoints(), this.options.requestTimeoutMs, 'GetEndpoints');
    } finally {
      await withTimeout(discovery.disconnect(), 3000, 'disconnect').catch(() => undefined);
      restoreOpensslConf();
    }
    const mode = MessageSecurityMode[settings.securityMode];
    const policy: string = SecurityPolicy[settings.securityPolicy];
    const endpoint = endpoints.find((e) => e.securityMode === mode && e.securityPolicyUri === policy);
    if (!endpoint) {
      const offered = [...new Set(endpoints.map((e) => `${MessageSecurityMode[e.securityMode]}/${(e.securityPolicyUri ?? '').split('#')[1] ?? ''}`))];
      throw new ConnectFault(`the server has no ${settings.securityMode}/${settings.securityPolicy} endpoint; it offers ${offered.join(', ')}`, true);
    }
    const token = TOKEN_TYPE[settings.identity.kind];
    const tokens = endpoint.userIdentityTokens ?? [];
    if (!tokens.some((t) => t.tokenType === token)) {
      const accepted = tokens.map((t) => UserTokenType[t.tokenType]).join(', ') || 'none';
      throw new ConnectFault(`the server does not accept ${UserTokenType[token]} users on this endpoint (it accepts ${accepted})`, true);
    }
    const chain = endpoint.serverCertificate;
    if (!chain || chain.length === 0) throw new ConnectFault('the server sent no certificate for a secured endpoint', true);
    const leaf = leafCertificate(chain);
    const thumbprint = thumbprintOf(leaf);
    const verdict = await store.check(chain);
    if (verdict === 'BadCertificateUntrusted') throw new ConnectFault(`certificate not trusted: ${thumbprint}`, true, thumbprint);
    if (verdict !== 'Good') throw new ConnectFault(`server certificate ${thumbprint}: ${verdict}`, true, thumbprint);
    return chain;
  }

  /** The fault of a failed attempt, worded for a person; `stage` is how far the attempt got. */
  private explainFault(err: unknown, stage: 'discovery' | 'channel' | 'session'): Fault {
    const fault = faultOf(err);
    const secured = this.options.settings.securityMode !== 'None';
    const refusal = err instanceof ConnectFault ? undefined : CLIENT_REFUSALS.find((name) => fault.cause.startsWith(name));
    const closed = !refusal && secured && stage === 'channel' && isPeerClose(err);
    if (!refusal && !closed) return fault;
    const store = this.store.store;
    return clientNotTrusted(store.ownThumbprint(), store.certificateFile, closed, refusal);
  }

  private scheduleRetry(fault: Fault): void {
    if (this.closed) return;
    const { cause, needsAction, thumbprint, detail } = fault;
    const max = this.options.reconnectMaxMs;
    // What a person must fix waits the longest configured delay at once: a wrong password sent every
    // second locks accounts on some servers. Never longer: the endpoint's maximum is the user's promise.
    // Trusting a certificate retries at once anyway (retryNow).
    const base = needsAction ? max : Math.min(max, this.options.reconnectMinMs * 2 ** this.attempt);
    // Up to 10 % jitter below the delay, so the hubs of a line do not all knock at a restarted server in step.
    const delay = Math.max(1, Math.round(base * (1 - Math.random() * 0.1)));
    this.attempt++;
    const retryAt = Date.now() + delay;
    this.setState(
      needsAction
        ? { kind: 'error', cause, retryAt, ...(thumbprint ? { thumbprint } : {}), ...(detail ? { detail } : {}) }
        : { kind: 'reconnecting', cause, retryAt },
    );
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connectNow(), delay);
  }

  /** The connection `id` broke (or must be dropped): tear it down and reconnect. */
  private lost(id: number, cause: string): void {
    const conn = this.current;
    if (this.closed || !conn || conn.id !== id || conn.dead) return;
    conn.dead = true;
    this.current = undefined;
    this.subscriptions.detach();
    const teardown = this.dispose(conn, false).finally(() => this.disposing.delete(teardown));
    this.disposing.add(teardown);
    this.scheduleRetry({ cause, needsAction: false });
  }

  private async dispose(conn: Connection, closeSession: boolean): Promise<void> {
    conn.dead = true;
    if (closeSession) await withTimeout(conn.session.close(true), 2000, 'CloseSession').catch(() => undefined);
    await withTimeout(conn.client.disconnect(), 3000, 'disconnect').catch(() => undefined);
  }
}
