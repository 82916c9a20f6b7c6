/**
 * What an OPC UA endpoint is: URL, security and the user identity, checked once at deploy with a
 * message per mistake, and the key under which sessions are shared. No Node-RED here.
 */
import { createHash, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { crypto_utils } from 'node-opcua-client';

export const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export type SecurityModeName = (typeof SECURITY_MODES)[number];

export const SECURITY_POLICIES = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;
export type SecurityPolicyName = (typeof SECURITY_POLICIES)[number];

export type Identity =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'username'; readonly user: string; readonly password: string }
  /** X.509 user certificate: DER of the certificate and the PEM private key. */
  | { readonly kind: 'certificate'; readonly certificate: Buffer; readonly privateKey: string };

export interface EndpointSettings {
  readonly url: string;
  readonly securityMode: SecurityModeName;
  readonly securityPolicy: SecurityPolicyName;
  readonly identity: Identity;
}

/** What the editor stores: properties in the flow, secrets in Node-RED's credential store. */
export interface EndpointInput {
  readonly url?: unknown;
  readonly securityMode?: unknown;
  readonly securityPolicy?: unknown;
  readonly authentication?: unknown;
  readonly user?: unknown;
  readonly password?: unknown;
  /** PEM text or a file path. */
  readonly userCertificate?: unknown;
  /** PEM text or a file path. */
  readonly userPrivateKey?: unknown;
}

export class EndpointSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EndpointSettingsError';
  }
}

const URL_PATTERN = /^opc\.tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?(\/[^\s]*)?$/;

export function checkEndpointUrl(value: unknown): string {
  const url = typeof value === 'string' ? value.trim() : '';
  if (!url) throw new EndpointSettingsError('endpoint URL is not set (e.g. opc.tcp://plc.line1:4840)');
  const m = URL_PATTERN.exec(url);
  if (!m) throw new EndpointSettingsError(`endpoint URL "${url}" is not opc.tcp://host[:port][/path]`);
  if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) throw new EndpointSettingsError(`port ${m[2]} in "${url}" is not 1..65535`);
  return url;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string, fallback: T): T {
  if (value === undefined || value === '') return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new EndpointSettingsError(`${what} ${JSON.stringify(value)} is not one of ${allowed.join(', ')}`);
}

/** PEM text as given, or the content of the file it names. */
function pemOrFile(value: unknown, what: string): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!text) throw new EndpointSettingsError(`${what} is not set: paste the PEM text or give the path of a PEM file`);
  if (text.startsWith('-----BEGIN')) return text;
  try {
    return fs.readFileSync(text, 'utf8');
  } catch (err) {
    throw new EndpointSettingsError(`${what}: cannot read "${text}" (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

export function checkEndpointSettings(input: EndpointInput): EndpointSettings {
  const url = checkEndpointUrl(input.url);
  const securityMode = oneOf(input.securityMode, SECURITY_MODES, 'security mode', 'None');
  const securityPolicy = oneOf(input.securityPolicy, SECURITY_POLICIES, 'security policy', securityMode === 'None' ? 'None' : 'Basic256Sha256');
  if (securityMode === 'None' && securityPolicy !== 'None') {
    throw new EndpointSettingsError(`security mode None goes with policy None, not ${securityPolicy}`);
  }
  if (securityMode !== 'None' && securityPolicy === 'None') {
    throw new EndpointSettingsError(`security mode ${securityMode} needs a policy (Basic256Sha256, Aes128_Sha256_RsaOaep or Aes256_Sha256_RsaPss)`);
  }
  return { url, securityMode, securityPolicy, identity: checkIdentity(input) };
}

function checkIdentity(input: EndpointInput): Identity {
  const kind = oneOf(input.authentication, ['anonymous', 'username', 'certificate'] as const, 'authentication', 'anonymous');
  if (kind === 'anonymous') return { kind };
  if (kind === 'username') {
    const user = typeof input.user === 'string' ? input.user.trim() : '';
    if (!user) throw new EndpointSettingsError('user name is not set');
    return { kind, user, password: typeof input.password === 'string' ? input.password : '' };
  }
  const certPem = pemOrFile(input.userCertificate, 'user certificate');
  const privateKey = pemOrFile(input.userPrivateKey, 'user private key');
  let certificate: Buffer;
  try {
    certificate = new X509Certificate(certPem).raw;
  } catch {
    throw new EndpointSettingsError('user certificate is not a PEM certificate');
  }
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(privateKey)) {
    throw new EndpointSettingsError('user private key is not an unencrypted PEM private key');
  }
  let matches: boolean;
  try {
    matches = crypto_utils.certificateMatchesPrivateKey(certificate, crypto_utils.makePrivateKeyFromPem(privateKey));
  } catch {
    throw new EndpointSettingsError('user private key cannot be read');
  }
  if (!matches) throw new EndpointSettingsError('user private key does not belong to the user certificate');
  return { kind, certificate, privateKey };
}

/**
 * Sessions are shared by endpoints with the same key: URL, security, user and the PKI they use.
 * Secrets enter only as a hash, so the key can be logged and compared safely.
 */
export function sessionKey(settings: EndpointSettings, pkiDir: string): string {
  const id = settings.identity;
  const secret =
    id.kind === 'username' ? `${id.user}\u0000${id.password}` : id.kind === 'certificate' ? `${id.certificate.toString('base64')}\u0000${id.privateKey}` : '';
  const hash = createHash('sha256').update(secret).digest('hex').slice(0, 16);
  return [settings.url, settings.securityMode, settings.securityPolicy, id.kind, id.kind === 'username' ? id.user : '', hash, pkiDir].join('|');
}

/** Short text for logs and the audit log: the URL with the security used. */
export function describeEndpoint(settings: EndpointSettings): string {
  return settings.securityMode === 'None' ? settings.url : `${settings.url} (${settings.securityMode}, ${settings.securityPolicy})`;
}
