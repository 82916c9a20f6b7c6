/**
 * The settings of an fh-mqtt-broker node, checked: broker URLs (fail-over order), MQTT version, client
 * id, TLS (verification on unless turned off, a CA, a client certificate and key), timings. Credentials
 * (user, password, client key) never come from the flow. No Node-RED here.
 */
import type { BrokerOptions } from './broker-connection';
import { checkUrls } from './broker-connection';

export interface BrokerDef {
  readonly urls?: string;
  readonly protocol?: string;
  readonly clientId?: string;
  readonly keepalive?: string | number;
  readonly tlsVerify?: boolean | string;
  readonly ca?: string;
  readonly cert?: string;
  readonly connectTimeout?: string | number;
  readonly retry?: string | number;
}

export interface BrokerCredentials {
  readonly username?: string;
  readonly password?: string;
  readonly key?: string;
}

function seconds(v: string | number | undefined, fallback: number, min: number, max: number, what: string): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${what} must be from ${min} to ${max} s, not "${String(v)}"`);
  return n;
}

const PEM_CERT = '-----BEGIN CERTIFICATE-----';

export function parseBroker(def: BrokerDef, creds: BrokerCredentials, fallbackClientId: string): BrokerOptions {
  const urls = checkUrls(def.urls ?? '');
  const protocol = def.protocol === undefined || def.protocol === '' ? '4' : String(def.protocol);
  if (protocol !== '4' && protocol !== '5') throw new Error(`MQTT version must be 3.1.1 (4) or 5, not "${protocol}"`);
  const ca = def.ca?.trim() || undefined;
  if (ca && !ca.includes(PEM_CERT)) throw new Error('CA certificate must be PEM (-----BEGIN CERTIFICATE-----)');
  const cert = def.cert?.trim() || undefined;
  if (cert && !cert.includes(PEM_CERT)) throw new Error('client certificate must be PEM (-----BEGIN CERTIFICATE-----)');
  const key = creds.key?.trim() || undefined;
  if (Boolean(cert) !== Boolean(key)) throw new Error('a client certificate needs its private key (and a key its certificate)');
  const clientId = (def.clientId ?? '').trim() || fallbackClientId;
  if (/[\s+#/]/.test(clientId)) throw new Error(`client id "${clientId}" must have no spaces, /, + or #`);
  return {
    urls,
    protocolVersion: protocol === '5' ? 5 : 4,
    clientId,
    ...(creds.username ? { username: creds.username } : {}),
    ...(creds.password ? { password: creds.password } : {}),
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
    verifyTls: def.tlsVerify !== false && def.tlsVerify !== 'false',
    keepaliveS: seconds(def.keepalive, 30, 5, 3600, 'keep alive'),
    connectTimeoutMs: seconds(def.connectTimeout, 10, 0.1, 120, 'connect timeout') * 1000,
    retryMs: seconds(def.retry, 5, 0.05, 3600, 'retry') * 1000,
  };
}
