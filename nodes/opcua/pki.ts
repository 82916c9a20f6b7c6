/**
 * The hub's OPC UA certificate store: `<userDir>/opcua/pki` in node-opcua's layout (own/, trusted/,
 * rejected/, issuers/). One store per folder in the whole process, shared by every session that uses it.
 *
 * The client's application certificate is made on first use and kept. A server certificate is never
 * accepted silently: an unknown one is refused and filed under rejected/, where the user sees it (admin
 * endpoint) and trusts it by thumbprint. No Node-RED here.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { restoreOpensslConf } from './openssl-env';

/** What the editor shows of a certificate. */
export interface CertificateInfo {
  /** SHA-1 of the DER, lower-case hex without separators (as OPC UA tools show it). */
  readonly thumbprint: string;
  readonly subject: string;
  readonly issuer: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly applicationUri?: string;
  readonly selfSigned: boolean;
}

export interface CertificateLists {
  /** The hub's own application certificate, once made; install it on servers that must trust the hub. */
  readonly own?: CertificateInfo & { readonly pem: string };
  readonly trusted: CertificateInfo[];
  readonly rejected: CertificateInfo[];
}

export const APPLICATION_NAME = 'Factory Hub';

/** The first certificate of a PEM or DER buffer (a chain's leaf). */
function parseCertificate(data: Buffer): X509Certificate {
  return new X509Certificate(data);
}

export function certificateInfo(cert: X509Certificate): CertificateInfo {
  const uri = /URI:([^,\s]+)/.exec(cert.subjectAltName ?? '')?.[1];
  return {
    thumbprint: cert.fingerprint.replace(/:/g, '').toLowerCase(),
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: new Date(cert.validTo).toISOString(),
    ...(uri ? { applicationUri: uri } : {}),
    selfSigned: cert.subject === cert.issuer,
  };
}

/** SHA-1 thumbprint of a DER certificate (or the leaf of a DER chain). */
export function thumbprintOf(der: Buffer): string {
  return certificateInfo(parseCertificate(der)).thumbprint;
}

export function isThumbprint(text: unknown): text is string {
  return typeof text === 'string' && /^[0-9a-f]{40}$/.test(text);
}

interface Filed {
  readonly file: string;
  readonly cert: X509Certificate;
}

function readFolder(dir: string): Filed[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: Filed[] = [];
  for (const name of names) {
    if (!/\.(pem|der|crt|cer)$/i.test(name)) continue;
    const file = path.join(dir, name);
    try {
      out.push({ file, cert: parseCertificate(fs.readFileSync(file)) });
    } catch {
      // Not a certificate (a stray file): listing must not fail because of it.
    }
  }
  return out;
}

export class CertificateStore {
  readonly manager: OPCUACertificateManager;
  private opened: Promise<void> | undefined;

  constructor(readonly rootFolder: string) {
    // No file watchers: they would outlive a redeploy; the store is re-read before each connection.
    this.manager = new OPCUACertificateManager({
      rootFolder,
      automaticallyAcceptUnknownCertificate: false,
      disableFileWatchers: true,
      name: 'FactoryHubPKI',
    });
  }

  get certificateFile(): string {
    return path.join(this.rootFolder, 'own', 'certs', 'client_certificate.pem');
  }

  /** SHA-1 thumbprint of the hub's own certificate (what a server's trust list shows), if made yet. */
  ownThumbprint(): string | undefined {
    try {
      return certificateInfo(parseCertificate(fs.readFileSync(this.certificateFile))).thumbprint;
    } catch {
      return undefined;
    }
  }

  get privateKeyFile(): string {
    return this.manager.privateKey;
  }

  /** The application URI in our certificate (the URI must match it, or servers refuse the hub). */
  applicationUri(): string {
    try {
      const uri = certificateInfo(parseCertificate(fs.readFileSync(this.certificateFile))).applicationUri;
      if (uri) return uri;
    } catch {
      // no certificate yet
    }
    return `urn:${os.hostname()}:FactoryHub`;
  }

  /** Initializes the folders and makes the private key and application certificate on first use. */
  open(): Promise<void> {
    this.opened ??= (async () => {
      await this.manager.initialize();
      if (!fs.existsSync(this.certificateFile) || fs.statSync(this.certificateFile).size === 0) {
        const host = os.hostname();
        await this.manager.createSelfSignedCertificate({
          applicationUri: `urn:${host}:FactoryHub`,
          subject: `/CN=${APPLICATION_NAME}@${host}/O=Factory Hub`,
          dns: [...new Set([host, 'localhost'])],
          // A day back: a server whose clock is a little behind must not find it "not yet valid".
          startDate: new Date(Date.now() - 86_400_000),
          validity: 3650,
          outputFile: this.certificateFile,
        });
      }
    })().finally(restoreOpensslConf);
    const opened = this.opened;
    opened.catch(() => {
      if (this.opened === opened) this.opened = undefined; // let the next attempt try again
    });
    return opened;
  }

  /** Picks up certificates a user copied into trusted/ or removed by hand. */
  async reload(): Promise<void> {
    await this.open();
    await this.manager.reloadCertificates();
  }

  /**
   * "Good" for a trusted, valid server certificate; otherwise the status name
   * (BadCertificateUntrusted, BadCertificateTimeInvalid, ...). An unknown certificate is filed in rejected/.
   */
  async check(der: Buffer): Promise<string> {
    await this.open();
    const status = await this.manager.checkCertificate(der);
    return status.name;
  }

  list(): CertificateLists {
    let own: CertificateLists['own'];
    try {
      const pem = fs.readFileSync(this.certificateFile, 'utf8');
      own = { ...certificateInfo(parseCertificate(Buffer.from(pem))), pem };
    } catch {
      own = undefined;
    }
    const info = (f: Filed): CertificateInfo => certificateInfo(f.cert);
    const trusted = readFolder(path.join(this.rootFolder, 'trusted', 'certs')).map(info);
    const trustedSet = new Set(trusted.map((c) => c.thumbprint));
    // A certificate trusted by hand may still have a copy in rejected/: it is trusted, not waiting.
    const rejected = readFolder(path.join(this.rootFolder, 'rejected'))
      .map(info)
      .filter((c) => !trustedSet.has(c.thumbprint));
    return { ...(own ? { own } : {}), trusted: unique(trusted), rejected: unique(rejected) };
  }

  /** Moves a rejected certificate to the trust list; undefined when no rejected one has that thumbprint. */
  async trust(thumbprint: string): Promise<CertificateInfo | undefined> {
    await this.open();
    const found = readFolder(path.join(this.rootFolder, 'rejected')).find((f) => certificateInfo(f.cert).thumbprint === thumbprint);
    if (!found) return undefined;
    await this.manager.trustCertificate(found.cert.raw);
    // trustCertificate files the trusted copy; the rejected copy must go, or the list would show it twice.
    await fs.promises.rm(found.file, { force: true });
    return certificateInfo(found.cert);
  }

  /** Takes a certificate off the trust list (back to rejected/); undefined when it was not trusted. */
  async untrust(thumbprint: string): Promise<CertificateInfo | undefined> {
    await this.open();
    const found = readFolder(path.join(this.rootFolder, 'trusted', 'certs')).find((f) => certificateInfo(f.cert).thumbprint === thumbprint);
    if (!found) return undefined;
    await this.manager.rejectCertificate(found.cert.raw);
    await fs.promises.rm(found.file, { force: true });
    return certificateInfo(found.cert);
  }

  async dispose(): Promise<void> {
    await this.manager.dispose();
  }
}

function unique(list: CertificateInfo[]): CertificateInfo[] {
  const seen = new Set<string>();
  return list.filter((c) => !seen.has(c.thumbprint) && (seen.add(c.thumbprint), true));
}

// ---------------------------------------------------------------- one store per folder, process-wide

interface Entry {
  readonly store: CertificateStore;
  users: number;
}

const stores = new Map<string, Entry>();

export interface StoreLease {
  readonly store: CertificateStore;
  release(): Promise<void>;
}

export function acquireStore(rootFolder: string): StoreLease {
  const key = path.resolve(rootFolder);
  let entry = stores.get(key);
  if (!entry) {
    entry = { store: new CertificateStore(key), users: 0 };
    stores.set(key, entry);
  }
  entry.users++;
  const held = entry;
  let released = false;
  return {
    store: held.store,
    release: async () => {
      if (released) return;
      released = true;
      held.users--;
      if (held.users > 0) return;
      if (stores.get(key) === held) stores.delete(key);
      await held.store.dispose();
    },
  };
}

/** Stores open in this process (for leak tests). */
export function openStoreCount(): number {
  return stores.size;
}

/** The hub's PKI folder in a Node-RED user directory. */
export function pkiFolder(userDir: string | undefined): string {
  return path.join(userDir ?? process.cwd(), 'opcua', 'pki');
}
