/**
 * A TCP fault proxy on 127.0.0.1 between a client of the package and a real server, for the faults real
 * devices, gateways and networks produce: delay, byte-by-byte splitting, FIN or RST (at once or in
 * answer to the next request), a black hole (accepts, never answers, never closes), refused
 * connections, garbage injected into the reply stream, and rewritten replies (a foreign transaction id).
 * Faults are set on command while an exchange runs; the proxy never interprets the protocol.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/** How bytes travel while no one-shot fault is armed. */
export type ProxyMode =
  | { readonly kind: 'pass' }
  /** Each chunk, both ways, waits `ms` (order kept). */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Replies reach the client one byte at a time, `gapMs` apart. */
  | { readonly kind: 'split'; readonly gapMs?: number }
  /** Connections are accepted and kept open; nothing is forwarded either way. */
  | { readonly kind: 'blackhole' }
  /** New connections are reset at once (a device switched off behind a gateway); open ones stay. */
  | { readonly kind: 'refuse' };

export type Drop = 'fin' | 'rst';

interface Pair {
  readonly client: net.Socket;
  upstream: net.Socket | undefined;
  /** Tail of the delay chain per direction, so delayed chunks keep their order. */
  toServer: Promise<void>;
  toClient: Promise<void>;
}

export interface FaultProxyStats {
  /** Client connections accepted since start. */
  accepted: number;
  /** Client connections open now. */
  open: number;
  /** Bytes forwarded client -> server and server -> client. */
  bytesUp: number;
  bytesDown: number;
  /** Faults applied (one-shot drops and injections, and connections refused or black-holed). */
  faults: number;
}

export class FaultProxy {
  private mode_: ProxyMode = { kind: 'pass' };
  private readonly pairs = new Set<Pair>();
  private dropOnRequest: Drop | undefined;
  private garbageOnReply: Buffer | undefined;
  /** Rewrites each server -> client chunk (e.g. a foreign transaction id); identity when unset. */
  rewriteReply: ((chunk: Buffer) => Buffer) | undefined;
  readonly stats: FaultProxyStats = { accepted: 0, open: 0, bytesUp: 0, bytesDown: 0, faults: 0 };

  private constructor(
    private readonly server: net.Server,
    readonly target: { readonly host: string; readonly port: number },
  ) {}

  /** Starts a proxy on a free loopback port in front of `target`. */
  static async start(target: { host?: string; port: number }): Promise<FaultProxy> {
    const server = net.createServer();
    const proxy = new FaultProxy(server, { host: target.host ?? '127.0.0.1', port: target.port });
    server.on('connection', (socket) => proxy.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get mode(): ProxyMode {
    return this.mode_;
  }

  /** Changes how bytes travel from now on; open connections keep running in the new mode. */
  setMode(mode: ProxyMode): void {
    this.mode_ = mode;
  }

  /** Closes every open connection now, with FIN (a device closing) or RST (a reboot, a firewall). */
  drop(how: Drop): number {
    const n = this.pairs.size;
    for (const p of [...this.pairs]) this.end(p, how);
    if (n) this.stats.faults++;
    return n;
  }

  /** The next request from a client is swallowed and its connection closed with FIN or RST. */
  dropOnNextRequest(how: Drop): void {
    this.dropOnRequest = how;
  }

  /** The next reply the server sends is replaced by `bytes` (garbage, a truncated frame). */
  replaceNextReply(bytes: Buffer): void {
    this.garbageOnReply = bytes;
  }

  /** Writes `bytes` to every client now, as if the server had sent them unasked. */
  inject(bytes: Buffer): void {
    for (const p of this.pairs) if (!p.client.destroyed) p.client.write(bytes);
    this.stats.faults++;
  }

  /** Back to plain forwarding: no mode, no armed one-shot fault, no rewrite. */
  heal(): void {
    this.mode_ = { kind: 'pass' };
    this.dropOnRequest = undefined;
    this.garbageOnReply = undefined;
    this.rewriteReply = undefined;
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    for (const p of [...this.pairs]) this.end(p, 'rst');
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.stats.accepted++;
    client.on('error', () => undefined);
    if (this.mode_.kind === 'refuse') {
      this.stats.faults++;
      client.resetAndDestroy();
      return;
    }
    const pair: Pair = { client, upstream: undefined, toServer: Promise.resolve(), toClient: Promise.resolve() };
    this.pairs.add(pair);
    this.stats.open = this.pairs.size;
    client.on('close', () => this.end(pair, 'fin'));
    if (this.mode_.kind === 'blackhole') {
      // Accept and read, never connect, answer or close: a dead route or a hung gateway.
      this.stats.faults++;
      client.on('data', () => undefined);
      return;
    }
    const upstream = net.connect(this.target.port, this.target.host);
    pair.upstream = upstream;
    client.pause();
    upstream.on('error', () => undefined);
    upstream.on('connect', () => client.resume());
    upstream.on('close', () => this.end(pair, 'fin'));
    client.on('data', (chunk: Buffer) => this.up(pair, chunk));
    upstream.on('data', (chunk: Buffer) => this.down(pair, chunk));
  }

  private up(pair: Pair, chunk: Buffer): void {
    if (this.dropOnRequest) {
      const how = this.dropOnRequest;
      this.dropOnRequest = undefined;
      this.stats.faults++;
      this.end(pair, how);
      return;
    }
    if (this.mode_.kind === 'blackhole') return;
    this.stats.bytesUp += chunk.length;
    const delay = this.mode_.kind === 'delay' ? this.mode_.ms : 0;
    pair.toServer = pair.toServer.then(async () => {
      if (delay) await sleep(delay);
      if (pair.upstream && !pair.upstream.destroyed) pair.upstream.write(chunk);
    });
  }

  private down(pair: Pair, chunk: Buffer): void {
    if (this.mode_.kind === 'blackhole') return;
    let bytes = chunk;
    if (this.garbageOnReply) {
      bytes = this.garbageOnReply;
      this.garbageOnReply = undefined;
      this.stats.faults++;
    } else if (this.rewriteReply) bytes = this.rewriteReply(chunk);
    this.stats.bytesDown += bytes.length;
    const mode = this.mode_;
    pair.toClient = pair.toClient.then(async () => {
      if (mode.kind === 'delay') await sleep(mode.ms);
      if (mode.kind === 'split') {
        for (let i = 0; i < bytes.length; i++) {
          if (pair.client.destroyed) return;
          pair.client.write(bytes.subarray(i, i + 1));
          await sleep(mode.gapMs ?? 1);
        }
        return;
      }
      if (!pair.client.destroyed) pair.client.write(bytes);
    });
  }

  private end(pair: Pair, how: Drop): void {
    if (!this.pairs.delete(pair)) return;
    this.stats.open = this.pairs.size;
    for (const s of [pair.client, pair.upstream]) {
      if (!s || s.destroyed) continue;
      if (how === 'rst') s.resetAndDestroy();
      else {
        s.end();
        // A peer that never closes its side must not keep the socket forever.
        setTimeout(() => s.destroy(), 1000).unref();
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
