import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { FaultProxy } from './fault-proxy';

/** An echo server: what the proxy does is then visible in what the client gets back. */
async function echoServer(): Promise<net.Server> {
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.on('data', (d) => s.write(d));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return server;
}

interface Client {
  readonly socket: net.Socket;
  readonly chunks: Buffer[];
  /** 'fin', 'rst' or undefined while open. */
  ended: 'fin' | 'rst' | undefined;
}

async function connect(port: number): Promise<Client> {
  const socket = net.connect(port, '127.0.0.1');
  const c: Client = { socket, chunks: [], ended: undefined };
  socket.on('data', (d: Buffer) => c.chunks.push(d));
  socket.on('error', (err: NodeJS.ErrnoException) => (c.ended = err.code === 'ECONNRESET' ? 'rst' : c.ended));
  socket.on('end', () => (c.ended ??= 'fin'));
  await new Promise<void>((r, j) => socket.once('connect', r).once('error', j));
  return c;
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('test support: fault proxy', () => {
  let server: net.Server;
  let proxy: FaultProxy;
  const clients: Client[] = [];
  beforeEach(async () => {
    server = await echoServer();
    proxy = await FaultProxy.start({ port: (server.address() as AddressInfo).port });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy();
    await proxy.close();
    await new Promise((r) => server.close(r));
  });
  const open = async (): Promise<Client> => {
    const c = await connect(proxy.port);
    clients.push(c);
    return c;
  };

  it('passes bytes through both ways', async () => {
    const c = await open();
    c.socket.write('hello');
    await until(() => Buffer.concat(c.chunks).toString() === 'hello');
    assert.equal(proxy.stats.bytesUp, 5);
  });

  it('splits replies into single bytes', async () => {
    proxy.setMode({ kind: 'split' });
    const c = await open();
    c.socket.write('abcd');
    await until(() => Buffer.concat(c.chunks).toString() === 'abcd');
    assert.ok(c.chunks.length >= 3, `got ${c.chunks.length} chunks`);
  });

  it('delays each chunk', async () => {
    proxy.setMode({ kind: 'delay', ms: 150 });
    const c = await open();
    const t0 = Date.now();
    c.socket.write('x');
    await until(() => c.chunks.length > 0);
    assert.ok(Date.now() - t0 >= 290, `echo came back after ${Date.now() - t0} ms`);
  });

  it('drops open connections with FIN or RST', async () => {
    const a = await open();
    const b = await open();
    await until(() => proxy.stats.open === 2);
    proxy.drop('fin');
    await until(() => a.ended !== undefined);
    assert.equal(a.ended, 'fin');
    const c = await open();
    await until(() => proxy.stats.open === 1);
    proxy.drop('rst');
    await until(() => c.ended !== undefined);
    assert.equal(c.ended, 'rst');
    assert.equal(b.ended, 'fin');
  });

  it('closes the connection in answer to the next request', async () => {
    const c = await open();
    proxy.dropOnNextRequest('rst');
    c.socket.write('q');
    await until(() => c.ended !== undefined);
    assert.equal(c.ended, 'rst');
    assert.equal(c.chunks.length, 0);
  });

  it('black-holes: accepts, never answers, never closes', async () => {
    proxy.setMode({ kind: 'blackhole' });
    const c = await open();
    c.socket.write('anyone?');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(c.chunks.length, 0);
    assert.equal(c.ended, undefined);
  });

  it('refuses new connections with RST', async () => {
    proxy.setMode({ kind: 'refuse' });
    const c = await open().catch(() => undefined);
    if (c) await until(() => c.ended !== undefined || c.socket.destroyed);
    assert.ok(!c || c.ended === 'rst' || c.socket.destroyed);
  });

  it('injects garbage and replaces or rewrites replies', async () => {
    const c = await open();
    proxy.inject(Buffer.from('!!'));
    proxy.replaceNextReply(Buffer.from('zz'));
    c.socket.write('ab');
    await until(() => Buffer.concat(c.chunks).toString() === '!!zz');
    proxy.rewriteReply = (b) => Buffer.from(b.toString().toUpperCase());
    c.socket.write('cd');
    await until(() => Buffer.concat(c.chunks).toString() === '!!zzCD');
    proxy.heal();
    c.socket.write('ef');
    await until(() => Buffer.concat(c.chunks).toString() === '!!zzCDef');
  });
});
