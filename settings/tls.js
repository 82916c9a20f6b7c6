'use strict';
// HTTPS for the hub (Node-RED's `https` setting). IT's certificate and key (HUB_TLS_CERT, HUB_TLS_KEY, PEM)
// when given; otherwise a self-signed certificate made on the first run for this host's names and addresses
// and kept in <userDir>/tls. Either pair is re-read when its files change, and Node-RED swaps it into the
// running server (httpsRefreshInterval), so a renewed certificate needs no restart. Plain HTTP only with
// HUB_HTTP=1 (behind a TLS proxy).
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { X509Certificate, createPrivateKey } = require('node:crypto');

/** How often the files are checked for a new pair (two stat calls): about 10 s. */
const REFRESH_SECONDS = 10;
/** The same in hours, which Node-RED takes (and prints), rounded so that its log line stays readable. */
const REFRESH_HOURS = Number((REFRESH_SECONDS / 3600).toFixed(5));
/** Days a generated certificate is valid: 825 is the longest that Apple's TLS clients accept. */
const GENERATED_DAYS = 825;

/** @typedef {{ key: Buffer, cert: Buffer }} TlsPair */
/** @typedef {{ cert: string, key: string }} PairFiles */
/** @typedef {{ cert: string, key: string }} PairLabels names of the files in messages, e.g. the environment variables */

/** A refusal to start: its message says which file and what is wrong. */
class TlsError extends Error {}

/**
 * The names and addresses a generated certificate covers: localhost, this host's name, the loopback
 * addresses, every non-internal interface address, and HUB_HOST when it names one host.
 * @param {NodeJS.ProcessEnv} env
 * @returns {{ dns: string[], ip: string[] }}
 */
function hostNames(env) {
  const dns = new Set(['localhost', os.hostname().toLowerCase()]);
  const ip = new Set(['127.0.0.1', '::1']);
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      // A link-local IPv6 address needs a zone (fe80::1%eth0) that no URL a browser takes can carry.
      if (!a.internal && !/^fe80:/i.test(a.address)) ip.add(a.address);
    }
  }
  const host = (env.HUB_HOST || '').trim();
  if (host && host !== '0.0.0.0' && host !== '::') (net.isIP(host) ? ip : dns).add(net.isIP(host) ? host : host.toLowerCase());
  return { dns: [...dns].filter(Boolean), ip: [...ip] };
}

/**
 * What a user checks a certificate by.
 * @param {X509Certificate} x509
 */
function describe(x509) {
  return {
    fingerprint: x509.fingerprint256,
    subject: x509.subject.replace(/\n/g, ', '),
    names: (x509.subjectAltName || '').replace(/IP Address:/g, 'IP:'),
    validTo: new Date(x509.validTo),
  };
}

/**
 * Reads and checks a pair of PEM files: a certificate, a private key (unencrypted), and that the key is the
 * certificate's.
 * @param {PairFiles} files
 * @param {PairLabels} labels
 * @returns {{ pair: TlsPair, x509: X509Certificate }}
 */
function readPair(files, labels) {
  /** @param {string} file @param {string} label */
  const read = (file, label) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      const code = /** @type {NodeJS.ErrnoException} */ (err).code;
      throw new TlsError(`${label} ${file} cannot be read (${code === 'ENOENT' ? 'no such file' : code || String(err)})`);
    }
  };
  const cert = read(files.cert, labels.cert);
  const key = read(files.key, labels.key);
  let x509;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    throw new TlsError(`${labels.cert} ${files.cert} is not a PEM certificate`);
  }
  let keyObject;
  try {
    keyObject = createPrivateKey(key);
  } catch (err) {
    const encrypted = /passphrase/i.test(String(err));
    throw new TlsError(`${labels.key} ${files.key} is not ${encrypted ? 'an unencrypted' : 'a PEM'} private key${encrypted ? ' (it has a passphrase)' : ''}`);
  }
  if (!x509.checkPrivateKey(keyObject)) {
    throw new TlsError(`${labels.key} ${files.key} is not the private key of the certificate in ${labels.cert} ${files.cert}`);
  }
  return { pair: { key, cert }, x509 };
}

/** @param {PairFiles} files */
function filesStamp(files) {
  return [files.cert, files.key]
    .map((f) => {
      try {
        const s = fs.statSync(f);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

/**
 * The served pair, re-read when either file changes (inode, size or mtime, then content). A changed pair that
 * does not check out is reported once and the previous one kept: a renewal writes cert and key one after the
 * other, and a half-written renewal must not take the hub down.
 * @param {PairFiles} files
 * @param {PairLabels} labels
 * @param {{ pair: TlsPair, x509: X509Certificate }} first
 * @param {(line: string) => void} say
 * @returns {() => TlsPair}
 */
function watchedPair(files, labels, first, say) {
  let current = first.pair;
  let stamp = filesStamp(files);
  return () => {
    const now = filesStamp(files);
    if (now === stamp) return current;
    stamp = now;
    try {
      const next = readPair(files, labels);
      if (!next.pair.cert.equals(current.cert) || !next.pair.key.equals(current.key)) {
        current = next.pair;
        say(`TLS: new certificate from ${files.cert}, SHA-256 fingerprint ${next.x509.fingerprint256}`);
      }
    } catch (err) {
      say(`TLS: ${err instanceof Error ? err.message : String(err)}; still serving the previous certificate.`);
    }
    return current;
  };
}

/** @param {string} file @param {Buffer | string} data @param {number} mode */
function writeAtomic(file, data, mode) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}

/**
 * A new self-signed server certificate (RSA 2048, SHA-256; SAN with the names and addresses; EKU serverAuth)
 * written to `files`, the key with mode 0600.
 * @param {PairFiles} files
 * @param {{ dns: string[], ip: string[] }} names
 */
async function generate(files, names) {
  // node-opcua-crypto (a dependency of node-opcua-client already) builds X.509 in pure JS: no openssl binary.
  const c = require('node-opcua-crypto');
  const { privateKey } = await c.generateKeyPair(2048);
  const { privPem } = await c.privateKeyToPEM(privateKey);
  const host = os.hostname().replace(/[/=,+]/g, '-');
  const { cert } = await c.createSelfSignedCertificate({
    privateKey,
    subject: `/CN=Factory Hub ${host}/O=Factory Hub`,
    dns: names.dns,
    ip: names.ip,
    validity: GENERATED_DAYS,
    // "application": CA:FALSE, EKU serverAuth (and clientAuth), SAN as given.
    purpose: c.CertificatePurpose.ForApplication,
  });
  fs.mkdirSync(path.dirname(files.key), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.dirname(files.key), 0o700);
  writeAtomic(files.key, privPem.endsWith('\n') ? privPem : `${privPem}\n`, 0o600);
  // Public, but the user directory is the hub's alone (private-files.js): 0600 like everything in it.
  writeAtomic(files.cert, cert, 0o600);
}

/**
 * Why the kept generated certificate cannot serve, or '' when it can.
 * @param {PairFiles} files
 * @param {NodeJS.ProcessEnv} env
 */
function staleReason(files, env) {
  if (!fs.existsSync(files.cert) && !fs.existsSync(files.key)) return 'first run';
  let x509;
  try {
    x509 = readPair(files, { cert: 'certificate', key: 'key' }).x509;
  } catch (err) {
    return `the kept one is unusable: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (new Date(x509.validTo).getTime() <= Date.now()) return `the kept one expired on ${x509.validTo}`;
  const host = (env.HUB_HOST || '').trim().toLowerCase();
  if (host && host !== '0.0.0.0' && host !== '::' && !x509.checkHost(host) && !x509.checkIP(host)) {
    return `the kept one does not cover HUB_HOST ${host}`;
  }
  return '';
}

/**
 * Where the served certificate is, or undefined for plain HTTP (for `npm start`'s banner and the tests).
 * @param {{ userDir: string, env: NodeJS.ProcessEnv }} options
 * @returns {{ file: string, generated: boolean } | undefined}
 */
function certificateFile({ userDir, env }) {
  if (env.HUB_HTTP === '1') return undefined;
  if (env.HUB_TLS_CERT) return { file: path.resolve(env.HUB_TLS_CERT), generated: false };
  return { file: path.join(userDir, 'tls', 'hub-cert.pem'), generated: true };
}

/**
 * The `https` and `httpsRefreshInterval` settings. Throws a TlsError (a clear message, nothing to trace) when
 * IT's files do not make a pair.
 * @param {{ userDir: string, env: NodeJS.ProcessEnv, say: (line: string) => void }} options
 * @returns {{ https?: () => TlsPair | Promise<TlsPair>, httpsRefreshInterval?: number }}
 */
function hubTls({ userDir, env, say }) {
  if (env.HUB_HTTP === '1') {
    say('Plain HTTP (HUB_HTTP=1): logins and tokens cross the network unencrypted; use it only behind a TLS proxy.');
    return {};
  }
  const refresh = { httpsRefreshInterval: REFRESH_HOURS };
  /** @param {X509Certificate} x509 @param {string} what */
  const announce = (x509, what) => {
    const d = describe(x509);
    say(`HTTPS with ${what}; SHA-256 fingerprint ${d.fingerprint}`);
    say(`    ${d.subject}; ${d.names}; valid until ${d.validTo.toISOString().slice(0, 10)}`);
    if (d.validTo.getTime() <= Date.now()) say('Warning: this certificate has expired; browsers and clients will refuse it.');
  };

  if (env.HUB_TLS_CERT || env.HUB_TLS_KEY) {
    if (!env.HUB_TLS_CERT || !env.HUB_TLS_KEY) {
      throw new TlsError(`${env.HUB_TLS_CERT ? 'HUB_TLS_KEY' : 'HUB_TLS_CERT'} is not set: give both the certificate and its key (PEM files), or neither`);
    }
    const files = { cert: path.resolve(env.HUB_TLS_CERT), key: path.resolve(env.HUB_TLS_KEY) };
    const labels = { cert: 'HUB_TLS_CERT', key: 'HUB_TLS_KEY' };
    const first = readPair(files, labels);
    announce(first.x509, `the certificate of HUB_TLS_CERT ${files.cert}`);
    if ((fs.statSync(files.key).mode & 0o077) !== 0) say(`Warning: HUB_TLS_KEY ${files.key} can be read by other users of this host (chmod 600 it).`);
    return { https: watchedPair(files, labels, first, say), ...refresh };
  }

  const dir = path.join(userDir, 'tls');
  const files = { cert: path.join(dir, 'hub-cert.pem'), key: path.join(dir, 'hub-key.pem') };
  const labels = { cert: 'certificate', key: 'key' };
  /** @type {(() => TlsPair) | undefined} */
  let serve;
  /** @type {Promise<void> | undefined} */
  let ready;
  const prepare = async () => {
    const why = staleReason(files, env);
    if (why) {
      await generate(files, hostNames(env));
      say(`Generated a self-signed certificate (${why}).`);
    } else if ((fs.statSync(files.key).mode & 0o777) !== 0o600) {
      fs.chmodSync(files.key, 0o600);
    }
    const first = readPair(files, labels);
    announce(first.x509, `the self-signed certificate in ${files.cert}`);
    say('Check that fingerprint against the one your browser shows before you log in; to use your own, set HUB_TLS_CERT and HUB_TLS_KEY.');
    serve = watchedPair(files, labels, first, say);
  };
  return {
    https: () => {
      if (serve) return serve();
      ready ??= prepare().catch((err) => {
        // Node-RED would print this with a stack and then wait forever without a server.
        say(`Cannot start: no certificate for HTTPS in ${dir}: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      });
      return ready.then(() => /** @type {() => TlsPair} */ (serve)());
    },
    ...refresh,
  };
}

module.exports = { hubTls, certificateFile, hostNames, TlsError, REFRESH_SECONDS };
