/**
 * fetch() to a hub that trusts exactly that hub's certificate (given as `ca`), not the system's CAs and not
 * "any certificate": the test fails if the hub serves another one. Built on node:https (the global fetch
 * takes no CA without an undici dispatcher, which Node does not expose), returning a WHATWG Response.
 */
import { X509Certificate, createHash } from 'node:crypto';
import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';

export interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

interface Send {
  readonly method: string;
  readonly headers: Record<string, string | string[]>;
  readonly body?: Buffer | string;
  readonly ca?: Buffer;
  readonly signal?: AbortSignal;
}

/** One request, no redirects; resolves with the response once its head has arrived. */
function send(url: URL, o: Send): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers = { ...o.headers, ...(o.body !== undefined ? { 'content-length': String(Buffer.byteLength(o.body)) } : {}) };
    const options = { method: o.method, headers, ...(o.signal ? { signal: o.signal } : {}) };
    const req = url.protocol === 'https:' ? https.request(url, { ...options, ca: o.ca }) : http.request(url, options);
    req.once('response', resolve);
    // The hub may answer (e.g. 413) before it has read all of a big body and close: the answer has come first.
    req.once('error', reject);
    req.end(o.body);
  });
}

/** A request that fetch() would refuse (a body on GET, as the admin app parses one anyway), answered in full. */
export async function rawRequest(url: string, o: Send): Promise<RawAnswer> {
  const res = await send(new URL(url), o);
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const NO_BODY = new Set([101, 103, 204, 205, 304]);

function decoded(res: IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder = encoding === 'gzip' ? zlib.createGunzip() : encoding === 'deflate' ? zlib.createInflate() : encoding === 'br' ? zlib.createBrotliDecompress() : undefined;
  if (!decoder) return res;
  res.once('error', (err) => decoder.destroy(err));
  return res.pipe(decoder);
}

/**
 * fetch(url, init) with `ca` as the only trusted certificate (for https: URLs). Follows redirects (at most 20)
 * within the same origin, as fetch does with redirect "follow"; "manual" returns the redirect itself.
 */
export async function trustedFetch(url: string, init: RequestInit, ca: Buffer | undefined): Promise<Response> {
  // A Request does what fetch does with init: header normalisation, body encoding and its content-type.
  const first = new Request(url, init);
  let method = first.method;
  let body: Buffer | undefined = first.body ? Buffer.from(await first.arrayBuffer()) : undefined;
  const headers: Record<string, string | string[]> = {};
  first.headers.forEach((value, name) => (headers[name] = value));
  let target = new URL(first.url);
  for (let hops = 0; ; hops++) {
    const res = await send(target, { method, headers, ...(body ? { body } : {}), ...(ca ? { ca } : {}), ...(init.signal ? { signal: init.signal } : {}) });
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (REDIRECTS.has(status) && location && first.redirect !== 'manual') {
      res.resume();
      const next = new URL(location, target);
      if (first.redirect === 'error') throw new TypeError(`fetch ${target.href}: redirected to ${next.href}`);
      if (next.origin !== target.origin) throw new TypeError(`fetch ${target.href}: redirected off the hub to ${next.href}`);
      if (hops >= 20) throw new TypeError(`fetch ${url}: more than 20 redirects`);
      if (status === 303 ? method !== 'HEAD' : (status === 301 || status === 302) && method === 'POST') {
        method = 'GET';
        body = undefined;
        delete headers['content-type'];
      }
      target = next;
      continue;
    }
    const answer = new Headers();
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) answer.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
    const empty = NO_BODY.has(status) || method === 'HEAD';
    if (empty) res.resume();
    const stream = empty ? null : (Readable.toWeb(decoded(res)) as unknown as ReadableStream<Uint8Array>);
    return new Response(stream, { status, statusText: res.statusMessage ?? '', headers: answer });
  }
}

/** What Chromium's --ignore-certificate-errors-spki-list takes: base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo. */
export function spkiHash(pem: Buffer | string): string {
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}
