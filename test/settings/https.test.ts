/**
 * HTTPS by default (settings/tls.js) on real hubs: the certificate generated on the first run (served, its
 * fingerprint printed, its names, its key private, reused on a restart, replaced when expired, trusted by
 * Chromium by its key and by nothing else), IT's certificate from HUB_TLS_CERT/HUB_TLS_KEY (served, swapped
 * without a restart when the files change, a broken pair refused at start with the file named), HUB_HTTP=1,
 * and plain HTTP to the HTTPS port.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { CertificatePurpose, createSelfSignedCertificate, generateKeyPair, privateKeyToPEM } from 'node-opcua-crypto';
import { HubProcess, tempDir } from '../support/hub-process';
import { launchBrowser } from '../support/browser';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

/** The certificate a TLS server at `url` presents, verified against `ca` (and the URL's host). */
function served(url: string, ca: Buffer | Buffer[]): Promise<X509Certificate> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: hostname, port: Number(port), ca }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(new X509Certificate(raw));
    });
    socket.once('error', reject);
  });
}

/** A pair as IT would give it (here self-signed for 127.0.0.1), written as PEM files. */
async function itPair(dir: string, name: string, days = 30, notBefore = new Date()): Promise<{ cert: string; key: string; pem: Buffer }> {
  const { privateKey } = await generateKeyPair(2048);
  const { privPem } = await privateKeyToPEM(privateKey);
  const { cert } = await createSelfSignedCertificate({
    privateKey,
    subject: `/CN=${name}`,
    dns: ['localhost'],
    ip: ['127.0.0.1'],
    notBefore,
    notAfter: new Date(notBefore.getTime() + days * 86_400_000),
    purpose: CertificatePurpose.ForApplication,
  });
  const files = { cert: path.join(dir, `${name}-cert.pem`), key: path.join(dir, `${name}-key.pem`) };
  fs.writeFileSync(files.cert, cert);
  fs.writeFileSync(files.key, privPem, { mode: 0o600 });
  return { ...files, pem: Buffer.from(cert) };
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 40_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > end) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Starts a hub that must refuse to start, and returns what it printed. */
async function refusedStart(env: Record<string, string>): Promise<string> {
  const hub = new HubProcess({ userDir: path.join(tempDir('https-refused'), 'userdir'), env });
  await assert.rejects(hub.start(), /hub exited with code 1/);
  return hub.log;
}

describe('settings: HTTPS by default (real hubs)', function () {
  this.timeout(180_000);

  describe('the generated certificate', () => {
    const userDir = path.join(tempDir('https-generated'), 'userdir');
    const hub = new HubProcess({ userDir });
    const certFile = path.join(userDir, 'tls', 'hub-cert.pem');
    before(() => hub.start());
    after(() => hub.stop());

    it('is served, and the fingerprint printed at start is the served one', async () => {
      assert.match(hub.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.match(hub.log, /Generated a self-signed certificate \(first run\)/);
      const cert = await served(hub.url, fs.readFileSync(certFile));
      const printed = /HTTPS with the self-signed certificate in \S+; SHA-256 fingerprint ([0-9A-F:]{95})/.exec(hub.log);
      assert.ok(printed, hub.log);
      assert.equal(printed[1], cert.fingerprint256);
      const res = await hub.fetch('/');
      assert.equal(res.status, 200);
      assert.match(await res.text(), /Factory Hub/);
    });

    it("names this host's names and addresses, is a server certificate, and keeps its key private", () => {
      const cert = new X509Certificate(fs.readFileSync(certFile));
      const names = cert.subjectAltName ?? '';
      for (const name of ['DNS:localhost', `DNS:${os.hostname().toLowerCase()}`, 'IP Address:127.0.0.1']) assert.ok(names.includes(name), `${name} in ${names}`);
      assert.ok(cert.checkIP('::1'), names);
      for (const list of Object.values(os.networkInterfaces())) {
        for (const a of list ?? []) if (!a.internal && !a.address.startsWith('fe80:')) assert.ok(cert.checkIP(a.address), `${a.address} in ${names}`);
      }
      assert.ok(cert.keyUsage?.includes(SERVER_AUTH), `EKU ${cert.keyUsage?.join(', ')}`);
      assert.equal(cert.ca, false);
      assert.equal(fs.statSync(path.join(userDir, 'tls', 'hub-key.pem')).mode & 0o777, 0o600);
      assert.equal(fs.statSync(path.join(userDir, 'tls')).mode & 0o777, 0o700);
    });

    it('is trusted by Chromium by its key only: without hub.browserArgs() the page does not load', async () => {
      const trusting = await launchBrowser(hub);
      const plain = await launchBrowser();
      try {
        const page = await trusting.newPage();
        const res = await page.goto(`${hub.url}/`, { waitUntil: 'domcontentloaded' });
        assert.equal(res?.status(), 200);
        assert.equal(await page.title(), 'Factory Hub');
        const refused = await plain.newPage();
        await assert.rejects(refused.goto(`${hub.url}/`), /ERR_CERT_AUTHORITY_INVALID/);
      } finally {
        await Promise.all([trusting.close(), plain.close()]);
      }
    });

    it('is reused on a restart', async () => {
      const before = new X509Certificate(fs.readFileSync(certFile)).fingerprint256;
      await hub.stop();
      const from = hub.log.length;
      await hub.start();
      assert.doesNotMatch(hub.log.slice(from), /Generated a self-signed certificate/);
      assert.equal((await served(hub.url, fs.readFileSync(certFile))).fingerprint256, before);
      assert.match(hub.log.slice(from), new RegExp(`SHA-256 fingerprint ${before}`));
    });

    it('answers plain HTTP on the HTTPS port with nothing of the editor', async () => {
      const { hostname, port } = new URL(hub.url);
      const answer = await new Promise<string>((resolve, reject) => {
        let text = '';
        const socket = net.connect(Number(port), hostname, () => socket.write(`GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`));
        socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
        socket.once('close', () => resolve(text));
        socket.once('error', reject);
        socket.setTimeout(10_000, () => socket.destroy());
      });
      assert.doesNotMatch(answer, /Factory Hub|<html|HTTP\/1\.1 200/i, answer.slice(0, 300));
    });
  });

  it('replaces a kept certificate that has expired, and says so', async () => {
    const userDir = path.join(tempDir('https-expired'), 'userdir');
    fs.mkdirSync(path.join(userDir, 'tls'), { recursive: true });
    const old = await itPair(userDir, 'old', 1, new Date(Date.now() - 3 * 86_400_000));
    fs.renameSync(old.cert, path.join(userDir, 'tls', 'hub-cert.pem'));
    fs.renameSync(old.key, path.join(userDir, 'tls', 'hub-key.pem'));
    const hub = new HubProcess({ userDir });
    await hub.start();
    try {
      assert.match(hub.log, /Generated a self-signed certificate \(the kept one expired on /);
      const now = fs.readFileSync(path.join(userDir, 'tls', 'hub-cert.pem'));
      assert.notEqual(new X509Certificate(now).fingerprint256, new X509Certificate(old.pem).fingerprint256);
      assert.equal((await served(hub.url, now)).fingerprint256, new X509Certificate(now).fingerprint256);
    } finally {
      await hub.stop();
    }
  });

  describe("IT's certificate (HUB_TLS_CERT, HUB_TLS_KEY)", () => {
    const dir = tempDir('https-given');
    const userDir = path.join(dir, 'userdir');
    let a: Awaited<ReturnType<typeof itPair>>;
    let b: Awaited<ReturnType<typeof itPair>>;
    const live = { cert: path.join(dir, 'hub.crt'), key: path.join(dir, 'hub.key') };
    let hub: HubProcess;

    before(async () => {
      [a, b] = await Promise.all([itPair(dir, 'a'), itPair(dir, 'b')]);
      fs.copyFileSync(a.cert, live.cert);
      fs.copyFileSync(a.key, live.key);
      hub = new HubProcess({ userDir, env: { HUB_TLS_CERT: live.cert, HUB_TLS_KEY: live.key } });
      await hub.start();
    });
    after(() => hub?.stop());

    it('is served, with its fingerprint printed; no certificate is generated', async () => {
      const fingerprint = new X509Certificate(a.pem).fingerprint256;
      assert.equal((await served(hub.url, a.pem)).fingerprint256, fingerprint);
      assert.match(hub.log, new RegExp(`HTTPS with the certificate of HUB_TLS_CERT ${live.cert}; SHA-256 fingerprint ${fingerprint}`));
      assert.ok(!fs.existsSync(path.join(userDir, 'tls')));
      assert.equal((await hub.fetch('/')).status, 200);
    });

    it('is replaced without a restart when the files change, keeping the old one while the pair does not match', async () => {
      const pid = hub.pid;
      let from = hub.log.length;
      // A renewal that has written the new certificate but not yet its key.
      fs.copyFileSync(b.cert, live.cert);
      await hub.waitForLog(/HUB_TLS_KEY \S+ is not the private key of the certificate in HUB_TLS_CERT \S+; still serving the previous certificate/, from, 40_000);
      assert.equal((await served(hub.url, a.pem)).fingerprint256, new X509Certificate(a.pem).fingerprint256);
      from = hub.log.length;
      fs.copyFileSync(b.key, live.key);
      const fingerprint = new X509Certificate(b.pem).fingerprint256;
      await until('the new certificate served', async () => (await served(hub.url, b.pem)).fingerprint256 === fingerprint);
      assert.match(hub.log.slice(from), new RegExp(`TLS: new certificate from ${live.cert}, SHA-256 fingerprint ${fingerprint}`));
      assert.equal(hub.pid, pid, 'the same process');
      assert.equal((await hub.fetch('/')).status, 200, 'hub.fetch trusts the new one');
    });

    it('refuses to start with a key that is not the certificate\'s, a missing file, or only one of the two, naming what is wrong', async () => {
      const mismatched = await refusedStart({ HUB_TLS_CERT: a.cert, HUB_TLS_KEY: b.key });
      assert.match(mismatched, new RegExp(`Cannot start: HUB_TLS_KEY ${b.key} is not the private key of the certificate in HUB_TLS_CERT ${a.cert}\\.`));
      const missing = path.join(dir, 'nope.pem');
      assert.match(await refusedStart({ HUB_TLS_CERT: missing, HUB_TLS_KEY: a.key }), new RegExp(`Cannot start: HUB_TLS_CERT ${missing} cannot be read \\(no such file\\)`));
      assert.match(await refusedStart({ HUB_TLS_CERT: a.key, HUB_TLS_KEY: a.key }), new RegExp(`Cannot start: HUB_TLS_CERT ${a.key} is not a PEM certificate`));
      const one = await refusedStart({ HUB_TLS_CERT: a.cert });
      assert.match(one, /Cannot start: HUB_TLS_KEY is not set: give both the certificate and its key/);
      for (const log of [mismatched, one]) assert.doesNotMatch(log, /\n\s+at /, 'no stack trace');
    });
  });

  it('serves plain HTTP with HUB_HTTP=1 (behind a TLS proxy), and says so at start', async () => {
    const userDir = path.join(tempDir('https-plain'), 'userdir');
    const hub = new HubProcess({ userDir, env: { HUB_HTTP: '1' } });
    await hub.start();
    try {
      assert.match(hub.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(hub.log, /Plain HTTP \(HUB_HTTP=1\): logins and tokens cross the network unencrypted/);
      assert.equal((await hub.fetch('/')).status, 200);
      assert.deepEqual(hub.browserArgs(), []);
      assert.ok(!fs.existsSync(path.join(userDir, 'tls')), 'no certificate made');
    } finally {
      await hub.stop();
    }
  });
});
