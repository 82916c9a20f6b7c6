/**
 * The work of the OPC UA admin endpoints (routes and permissions: opcua-admin.ts). Loaded on the first
 * request to one of them (lazy.ts), so a hub without OPC UA nodes does not load node-opcua.
 */
import type { Request, Response } from 'express';
import type { NodeAPI } from 'node-red';
import { messageOf } from '../shared/errors';
import { HttpError, sendError } from '../shared/http-route';
import { MAX_BROWSE_LIMIT, OBJECTS_FOLDER, browseLevel } from './browse';
import { NodeIdError, checkNodeId } from './node-id';
import type { OpcUaEndpointNode } from './opcua-endpoint';
import { readOwnCertificate } from './own-certificate';
import { acquireStore, isThumbprint, pkiFolder } from './pki';
import { retryUntrusted } from './pool';
import { NotConnectedError } from './session';

export type AdminHandler = (req: Request, res: Response) => void;

/** One handler per admin endpoint; each answers the request itself (errors as JSON). */
export interface AdminHandlers {
  readonly browse: AdminHandler;
  readonly state: AdminHandler;
  readonly certificates: AdminHandler;
  readonly trust: AdminHandler;
  readonly untrust: AdminHandler;
  /** The hub's own certificate: what it says, and as DER and PEM files. */
  readonly own: AdminHandler;
  readonly ownDer: AdminHandler;
  readonly ownPem: AdminHandler;
}

function intParam(value: unknown, fallback: number, min: number, max: number, what: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new HttpError(400, `${what} must be a whole number from ${min} to ${max}`);
  return n;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HttpError(504, `the server did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function adminHandlers(RED: NodeAPI): AdminHandlers {
  const handle = (work: (req: Request, res: Response) => Promise<void>): AdminHandler => (req, res) => {
    work(req, res).catch((err: unknown) => sendError(res, err, (m) => RED.log.warn(m), `opcua admin: ${req.method} ${req.path}`));
  };

  const endpointNode = (req: Request): OpcUaEndpointNode => {
    const id = String(req.params.id);
    const node = RED.nodes.getNode(id) as OpcUaEndpointNode | null;
    if (!node || node.type !== 'fh-opcua-endpoint') {
      throw new HttpError(404, `there is no deployed OPC UA endpoint ${id}: deploy it first (browsing uses the deployed settings)`);
    }
    return node;
  };

  const browse = handle(async (req, res) => {
    const node = endpointNode(req);
    let nodeId: string;
    try {
      nodeId = req.query.nodeId === undefined || req.query.nodeId === '' ? OBJECTS_FOLDER : checkNodeId(req.query.nodeId);
    } catch (err) {
      throw new HttpError(400, err instanceof NodeIdError ? err.message : messageOf(err));
    }
    const limit = intParam(req.query.limit, 200, 1, MAX_BROWSE_LIMIT, 'limit');
    const timeoutMs = intParam(req.query.timeout, 10000, 100, 30000, 'timeout');
    const started = Date.now();
    let session;
    try {
      session = node.browseSession();
    } catch (err) {
      throw new HttpError(400, `endpoint configuration: ${messageOf(err)}`);
    }
    try {
      await session.whenConnected(timeoutMs);
    } catch (err) {
      const s = session.state;
      throw new HttpError(503, err instanceof NotConnectedError ? err.message : messageOf(err), {
        state: s.kind,
        ...(s.kind === 'error' && s.thumbprint ? { thumbprint: s.thumbprint } : {}),
      });
    }
    const left = Math.max(100, timeoutMs - (Date.now() - started));
    try {
      res.json(await withTimeout(browseLevel(session.access(), nodeId, limit), left));
    } catch (err) {
      if (err instanceof HttpError) throw err;
      if (err instanceof NodeIdError) throw new HttpError(400, err.message);
      throw new HttpError(502, `browse of ${nodeId} failed: ${messageOf(err)}`);
    }
  });

  const state = handle(async (req, res) => {
    const node = endpointNode(req);
    await Promise.resolve();
    const problem = node.configProblem();
    if (problem) {
      res.json({ state: 'config', text: problem });
      return;
    }
    // Only reports: opening a dialog must not open a session to the server.
    const session = node.openSession();
    if (!session) {
      res.json({ state: 'idle', text: 'no session open (no node uses the endpoint yet)' });
      return;
    }
    const s = session.state;
    res.json({ state: s.kind, text: session.describeState(), ...(s.kind === 'error' && s.thumbprint ? { thumbprint: s.thumbprint } : {}) });
  });

  const withStore = async <T>(work: (store: ReturnType<typeof acquireStore>['store']) => Promise<T>): Promise<T> => {
    const lease = acquireStore(pkiFolder(RED.settings.userDir));
    try {
      return await work(lease.store);
    } finally {
      await lease.release();
    }
  };

  const certificates = handle(async (_req, res) => {
    res.json(await withStore((store) => Promise.resolve(store.list())));
  });

  const trust = handle(async (req, res) => {
    const thumbprint = (req.body as { thumbprint?: unknown } | undefined)?.thumbprint;
    if (!isThumbprint(thumbprint)) throw new HttpError(400, 'body must be {"thumbprint": "<40 hex digits, lower case>"}');
    const trusted = await withStore((store) => store.trust(thumbprint));
    if (!trusted) throw new HttpError(404, `no rejected certificate has thumbprint ${thumbprint}`);
    RED.log.info(`OPC UA server certificate ${thumbprint} (${trusted.subject}) trusted by ${userName(req)}`);
    res.json({ certificate: trusted, retried: retryUntrusted(thumbprint) });
  });

  const untrust = handle(async (req, res) => {
    const thumbprint = String(req.params.thumbprint);
    if (!isThumbprint(thumbprint)) throw new HttpError(400, 'the thumbprint must be 40 hex digits, lower case');
    const removed = await withStore((store) => store.untrust(thumbprint));
    if (!removed) throw new HttpError(404, `no trusted certificate has thumbprint ${thumbprint}`);
    RED.log.info(`OPC UA server certificate ${thumbprint} (${removed.subject}) no longer trusted, by ${userName(req)}`);
    res.json({ certificate: removed });
  });

  /** The hub's certificate, made now if no session made it yet (a server's admin may want it first). */
  const ownCertificate = (): Promise<NonNullable<ReturnType<typeof readOwnCertificate>>> =>
    withStore(async (store) => {
      await store.open();
      const own = readOwnCertificate(store.certificateFile);
      if (!own) throw new HttpError(503, `the hub's certificate could not be made in ${store.certificateFile}`);
      return own;
    });
  const own = handle(async (_req, res) => {
    const { der: _der, pem: _pem, ...info } = await ownCertificate();
    res.json(info);
  });
  const download = (ext: 'der' | 'pem', type: string): AdminHandler =>
    handle(async (_req, res) => {
      const cert = await ownCertificate();
      res.set('Content-Disposition', `attachment; filename="factory-hub-${cert.thumbprint.slice(0, 8)}.${ext}"`);
      res.type(type).send(ext === 'der' ? cert.der : Buffer.from(cert.pem));
    });
  return { browse, state, certificates, trust, untrust, own, ownDer: download('der', 'application/pkix-cert'), ownPem: download('pem', 'application/x-pem-file') };
}

function userName(req: Request): string {
  const user = (req as Request & { user?: { username?: unknown } }).user;
  return typeof user?.username === 'string' ? user.username : 'an anonymous user';
}
