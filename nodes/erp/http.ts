/**
 * HTTP(S) for the ERP calls, on node:http(s) rather than fetch because exactly-once needs one fact fetch
 * hides: whether a failed request had already been sent. A failure before the connection was made is safe
 * to retry; a timeout or reset after the request left is ambiguous (the ERP may have booked it).
 * TLS verification is on unless the connection explicitly turns it off; a custom CA may be given.
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { messageOf } from '../shared/errors';
import { guarded } from '../shared/guard';

export interface HttpRequest {
  readonly method: string;
  /** Absolute URL. */
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface HttpResponse {
  readonly status: number;
  /** Header names in lower case; repeated headers joined with ", " (except set-cookie, see below). */
  readonly headers: Readonly<Record<string, string>>;
  readonly setCookies: readonly string[];
  readonly body: string;
}

export interface HttpOptions {
  /** Longest wait for the TCP (and TLS) connection. */
  readonly connectTimeoutMs: number;
  /** Longest wait for the whole answer, from the start of the request. */
  readonly timeoutMs: number;
  /** Verify the server certificate (default true). */
  readonly tlsVerify?: boolean;
  /** Extra trusted CA certificates (PEM), e.g. the company's own CA. */
  readonly ca?: string;
  /** Parallel connections kept open to the ERP. */
  readonly maxSockets?: number;
}

/**
 * A request that got no HTTP answer. `sent` is false only when it certainly did not reach the server
 * (no connection was made), so a retry cannot book twice.
 */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly sent: boolean,
    readonly code: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

const MAX_BODY = 8 * 1024 * 1024;

export class HttpClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly open = new Set<http.ClientRequest>();

  constructor(readonly options: HttpOptions) {
    const max = options.maxSockets ?? 8;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: max });
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets: max,
      rejectUnauthorized: options.tlsVerify !== false,
      ...(options.ca ? { ca: options.ca } : {}),
    });
  }

  request(req: HttpRequest, signal?: AbortSignal): Promise<HttpResponse> {
    const url = new URL(req.url);
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') return Promise.reject(new TransportError(`unsupported URL scheme ${url.protocol}`, false, 'EPROTO'));
    const body = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8');
    const headers: Record<string, string> = { ...req.headers };
    if (body) headers['content-length'] = String(body.length);

    return new Promise<HttpResponse>((resolve, reject) => {
      let connected = false;
      let settled = false;
      const options: https.RequestOptions = {
        method: req.method,
        hostname: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || (secure ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        headers,
        agent: secure ? this.httpsAgent : this.httpAgent,
      };
      const creq = (secure ? https : http).request(options);
      this.open.add(creq);

      const fail = (message: string, code: string, sentOverride?: boolean): void => {
        if (settled) return;
        settled = true;
        cleanup();
        creq.destroy();
        // Once connected, bytes of the request may have reached the ERP: only "not connected" is safe.
        reject(new TransportError(message, sentOverride ?? connected, code));
      };
      // Every timer and event callback below is guarded: a throw in one ends this request (ambiguous once
      // connected) instead of escaping to the runtime and leaving the request unsettled.
      const guard = { error: (err: unknown): void => fail(`internal error: ${messageOf(err)}`, 'EINTERNAL') };
      const timer = setTimeout(
        guarded(guard, () => fail(connected ? `no answer within ${this.options.timeoutMs} ms` : `no connection within ${this.options.timeoutMs} ms`, 'ETIMEDOUT')),
        this.options.timeoutMs,
      );
      let connectTimer: NodeJS.Timeout | undefined;
      const onAbort = guarded(guard, () => fail('request aborted (the outbox is closing)', 'EABORTED'));
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = (): void => {
        clearTimeout(timer);
        clearTimeout(connectTimer);
        signal?.removeEventListener('abort', onAbort);
        this.open.delete(creq);
      };

      creq.on('socket', guarded(guard, (socket: Socket) => {
        const markConnected = (): void => {
          connected = true;
          clearTimeout(connectTimer);
        };
        // A kept-alive socket is connected already; a new one once TCP (and for https the TLS handshake,
        // before which no request byte leaves) is done.
        if (creq.reusedSocket) {
          markConnected();
        } else {
          connectTimer = setTimeout(guarded(guard, () => fail(`no connection within ${this.options.connectTimeoutMs} ms`, 'ECONNTIMEOUT', false)), this.options.connectTimeoutMs);
          socket.once(secure ? 'secureConnect' : 'connect', guarded(guard, markConnected));
        }
      }));
      creq.on('error', guarded(guard, (err: NodeJS.ErrnoException) => {
        const code = err.code ?? 'EIO';
        // TLS failures happen before any request byte is sent.
        const tls = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|EPROTO/.test(code);
        fail(`${code}: ${err.message}`, code, tls ? false : undefined);
      }));
      creq.on('response', guarded(guard, (res: http.IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', guarded(guard, (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) {
            fail(`answer larger than ${MAX_BODY} bytes`, 'E2BIG');
            return;
          }
          chunks.push(c);
        }));
        res.on('error', guarded(guard, (err: NodeJS.ErrnoException) => fail(`answer interrupted: ${err.message}`, err.code ?? 'ECONNRESET')));
        res.on('aborted', guarded(guard, () => fail('answer interrupted', 'ECONNRESET')));
        res.on('end', guarded(guard, () => {
          if (settled) return;
          // The answer is built before the request counts as settled, so a throw here still fails it.
          const out: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (name === 'set-cookie' || value === undefined) continue;
            out[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          const answer = { status: res.statusCode ?? 0, headers: out, setCookies: res.headers['set-cookie'] ?? [], body: Buffer.concat(chunks).toString('utf8') };
          settled = true;
          cleanup();
          resolve(answer);
        }));
      }));
      creq.end(body);
    });
  }

  /** Aborts open requests and closes kept-alive sockets. */
  close(): void {
    for (const req of this.open) req.destroy();
    this.open.clear();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
