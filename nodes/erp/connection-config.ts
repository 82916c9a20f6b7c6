/**
 * The settings of an ERP connection (the fh-erp-connection config node's properties and credentials),
 * checked and turned into what the core needs. Pure: the adapter passes its definition and credentials.
 */
import type { AuthConfig } from './auth';
import type { DeliveryOptions } from './delivery';
import type { DialectName } from './dialects/dialect';
import { DIALECT_NAMES } from './dialects/dialect';
import type { ErpnextOptions } from './dialects/erpnext';
import type { OdooOptions } from './dialects/odoo';
import type { RestOptions } from './dialects/rest';
import { restConfigProblems } from './dialects/rest';
import type { SapOptions } from './dialects/sap-odata';
import { DEFAULT_SAP_OPTIONS } from './dialects/sap-odata';
import type { HttpOptions } from './http';
import type { RecordKind } from './record';
import { RECORD_KINDS } from './record';
import { DEFAULT_MAX_RECORD_BYTES } from './record-size';
import { isTimeZone } from './time-format';
import { ConfigError } from '../shared/config-node';

/** The node's properties as Node-RED stores them (numbers may arrive as strings from the editor). */
export interface ConnectionDef {
  readonly dialect?: string;
  readonly baseUrl?: string;
  readonly authType?: string;
  readonly apiKeyHeader?: string;
  readonly tokenUrl?: string;
  readonly scope?: string;
  readonly clientAuth?: string;
  readonly tlsVerify?: boolean | string;
  readonly ca?: string;
  readonly connectTimeout?: string | number;
  readonly timeout?: string | number;
  readonly concurrency?: string | number;
  readonly retryBase?: string | number;
  readonly retryCap?: string | number;
  readonly settle?: string | number;
  readonly maxAttempts500?: string | number;
  readonly maxRecords?: string | number;
  readonly maxMB?: string | number;
  /** Largest record in KiB of JSON. */
  readonly maxRecordKB?: string | number;
  readonly timeZone?: string;
  readonly sapServicePath?: string;
  readonly sapClient?: string;
  readonly sapExternalId?: boolean | string;
  readonly sapActivitySlots?: string;
  readonly odooApi?: string;
  readonly odooDatabase?: string;
  readonly odooKeyField?: string;
  readonly odooOeeModel?: string;
  readonly erpnextKeyField?: string;
  readonly erpnextConfirmAs?: string;
  readonly erpnextOeeDocType?: string;
  readonly restMethod?: string;
  readonly restUrl?: string;
  readonly restBody?: string;
  readonly restLookupUrl?: string;
  readonly restKinds?: string;
  readonly restIdempotent?: boolean | string;
}

/** Secrets, from Node-RED's credential store only. */
export interface ConnectionCredentials {
  readonly username?: string;
  readonly password?: string;
  readonly token?: string;
  readonly apiKey?: string;
  readonly apiSecret?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
}

export type DialectConfig =
  | { readonly name: 'sap-odata'; readonly options: SapOptions }
  | { readonly name: 'odoo'; readonly options: OdooOptions; readonly login: string; readonly password: string }
  | { readonly name: 'erpnext'; readonly options: ErpnextOptions }
  | { readonly name: 'rest'; readonly options: RestOptions };

export interface ConnectionConfig {
  readonly baseUrl: string;
  readonly dialect: DialectConfig;
  readonly auth: AuthConfig;
  readonly http: HttpOptions;
  readonly delivery: DeliveryOptions;
  readonly maxRecords: number;
  readonly maxBytes: number;
  /** Largest record (bytes of its JSON). */
  readonly maxRecordBytes: number;
}

/** Authentication each dialect accepts (Odoo JSON-RPC authenticates in the protocol, not in headers). */
export const AUTH_BY_DIALECT: Readonly<Record<DialectName, readonly AuthConfig['type'][]>> = {
  'sap-odata': ['basic', 'bearer', 'oauth2'],
  odoo: ['none', 'bearer'],
  erpnext: ['frappe-token', 'bearer', 'oauth2'],
  rest: ['none', 'basic', 'bearer', 'api-key', 'oauth2'],
};

function num(v: string | number | undefined, what: string, min: number, max: number, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new ConfigError(`${what} must be a number from ${min} to ${max}, not "${String(v)}"`);
  return n;
}

function flag(v: boolean | string | undefined, fallback: boolean): boolean {
  if (v === undefined || v === '') return fallback;
  return v === true || v === 'true';
}

function need(v: string | undefined, what: string): string {
  if (v === undefined || v.trim() === '') throw new ConfigError(`${what} is not set`);
  return v.trim();
}

/** "setup=1, machine=2" -> {setup: 1, machine: 2}. */
export function parseSlots(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(/[,;\n]/).map((p) => p.trim()).filter(Boolean)) {
    const m = /^([A-Za-z][\w-]*)\s*=\s*([1-6])$/.exec(part);
    if (!m) throw new ConfigError(`activity slot "${part}" is not name=1..6`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

function authOf(def: ConnectionDef, creds: ConnectionCredentials, dialect: DialectName, odooApi: string): AuthConfig {
  const type = (def.authType || (dialect === 'erpnext' ? 'frappe-token' : dialect === 'odoo' ? (odooApi === 'json2' ? 'bearer' : 'none') : 'basic')) as AuthConfig['type'];
  if (!AUTH_BY_DIALECT[dialect].includes(type)) throw new ConfigError(`authentication "${type}" is not offered for ${dialect}; use ${AUTH_BY_DIALECT[dialect].join(', ')}`);
  if (dialect === 'odoo' && odooApi === 'json2' && type !== 'bearer') throw new ConfigError('the Odoo JSON-2 API needs a bearer API key');
  switch (type) {
    case 'none':
      return { type };
    case 'basic':
      return { type, username: need(creds.username, 'user name'), password: creds.password ?? '' };
    case 'bearer':
      return { type, token: need(creds.token, 'token (API key)') };
    case 'api-key':
      return { type, header: need(def.apiKeyHeader, 'API key header name'), value: need(creds.apiKey, 'API key') };
    case 'frappe-token':
      return { type, apiKey: need(creds.apiKey, 'API key'), apiSecret: need(creds.apiSecret, 'API secret') };
    case 'oauth2': {
      const tokenUrl = need(def.tokenUrl, 'token URL');
      if (!/^https?:\/\//.test(tokenUrl)) throw new ConfigError(`token URL "${tokenUrl}" is not an http(s) URL`);
      return {
        type,
        tokenUrl,
        clientId: need(creds.clientId, 'client id'),
        clientSecret: need(creds.clientSecret, 'client secret'),
        ...(def.scope ? { scope: def.scope } : {}),
        clientAuth: def.clientAuth === 'body' ? 'body' : 'basic',
      };
    }
    default:
      throw new ConfigError(`unknown authentication "${String(type)}"`);
  }
}

function dialectOf(name: DialectName, def: ConnectionDef, creds: ConnectionCredentials, timeZone: string): DialectConfig {
  switch (name) {
    case 'sap-odata': {
      const servicePath = (def.sapServicePath || DEFAULT_SAP_OPTIONS.servicePath).trim();
      if (!servicePath.startsWith('/')) throw new ConfigError(`SAP service path "${servicePath}" must start with /`);
      const sapClient = (def.sapClient ?? '').trim();
      if (sapClient && !/^\d{3}$/.test(sapClient)) throw new ConfigError(`SAP client "${sapClient}" must be 3 digits`);
      const slots = def.sapActivitySlots ? parseSlots(def.sapActivitySlots) : DEFAULT_SAP_OPTIONS.activitySlots;
      return { name, options: { servicePath, sapClient, useExternalId: flag(def.sapExternalId, true), activitySlots: slots, timeZone } };
    }
    case 'odoo': {
      const api = def.odooApi === 'json2' ? 'json2' : 'jsonrpc';
      const database = (def.odooDatabase ?? '').trim();
      if (api === 'jsonrpc' && !database) throw new ConfigError('Odoo database is not set');
      const keyField = (def.odooKeyField ?? '').trim();
      if (keyField && !/^x_\w+$/.test(keyField)) throw new ConfigError(`Odoo key field "${keyField}" must be a custom field (x_...)`);
      const options: OdooOptions = { api, database, keyField, oeeModel: (def.odooOeeModel ?? '').trim() };
      if (api === 'json2') return { name, options, login: '', password: '' };
      return { name, options, login: need(creds.username, 'Odoo login'), password: need(creds.password, 'Odoo password or API key') };
    }
    case 'erpnext': {
      const keyField = (def.erpnextKeyField ?? '').trim();
      if (keyField && !/^[a-z][a-z0-9_]*$/.test(keyField)) throw new ConfigError(`ERPNext key field "${keyField}" is not a field name`);
      return { name, options: { keyField, confirmAs: def.erpnextConfirmAs === 'stock-entry' ? 'stock-entry' : 'job-card', oeeDocType: (def.erpnextOeeDocType ?? '').trim(), timeZone } };
    }
    case 'rest': {
      const method = (def.restMethod || 'POST').toUpperCase();
      if (method !== 'POST' && method !== 'PUT' && method !== 'PATCH') throw new ConfigError(`REST method must be POST, PUT or PATCH, not ${method}`);
      const kinds = (def.restKinds || RECORD_KINDS.join(',')).split(',').map((k) => k.trim()).filter(Boolean);
      for (const k of kinds) if (!RECORD_KINDS.includes(k as RecordKind)) throw new ConfigError(`REST record kind "${k}" is not one of ${RECORD_KINDS.join(', ')}`);
      const options: RestOptions = { method, url: def.restUrl ?? '', body: def.restBody ?? '', lookupUrl: def.restLookupUrl ?? '', kinds: kinds as RecordKind[] };
      const problems = restConfigProblems(options, flag(def.restIdempotent, false));
      if (problems.length) throw new ConfigError(problems.join('; '));
      return { name, options };
    }
  }
}

export function parseConnection(def: ConnectionDef, creds: ConnectionCredentials): ConnectionConfig {
  const name = (def.dialect || '') as DialectName;
  if (!DIALECT_NAMES.includes(name)) throw new ConfigError(`dialect must be one of ${DIALECT_NAMES.join(', ')}, not "${def.dialect ?? ''}"`);
  const baseUrl = need(def.baseUrl, 'base URL').replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ConfigError(`base URL "${baseUrl}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfigError(`base URL must be http(s), not ${url.protocol}`);
  const timeZone = (def.timeZone || 'UTC').trim();
  if (!isTimeZone(timeZone)) throw new ConfigError(`time zone "${timeZone}" is not an IANA zone such as Europe/Berlin`);
  const ca = (def.ca ?? '').trim();
  if (ca && !ca.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError('the custom CA must be PEM text (-----BEGIN CERTIFICATE-----)');
  const concurrency = num(def.concurrency, 'parallel orders', 1, 64, 4);
  const timeoutMs = num(def.timeout, 'answer timeout (s)', 0.1, 600, 30) * 1000;
  const retryBaseMs = num(def.retryBase, 'first retry delay (s)', 0.01, 3600, 1) * 1000;
  const retryCapMs = num(def.retryCap, 'longest retry delay (s)', 0.05, 86400, 300) * 1000;
  if (retryCapMs < retryBaseMs) throw new ConfigError('the longest retry delay is shorter than the first');
  const dialect = dialectOf(name, def, creds, timeZone);
  const maxBytes = num(def.maxMB, 'outbox size (MB)', 0.001, 100_000, 256) * 1024 * 1024;
  const maxRecordKiB = num(def.maxRecordKB, 'largest record (KiB)', 1, 64 * 1024, Math.min(DEFAULT_MAX_RECORD_BYTES, maxBytes) / 1024);
  if (maxRecordKiB * 1024 > maxBytes) throw new ConfigError(`the largest record (${maxRecordKiB} KiB) is larger than the outbox (${maxBytes / 1024} KiB)`);
  return {
    baseUrl,
    dialect,
    auth: authOf(def, creds, name, dialect.name === 'odoo' ? dialect.options.api : ''),
    http: {
      connectTimeoutMs: num(def.connectTimeout, 'connect timeout (s)', 0.1, 120, 10) * 1000,
      timeoutMs,
      tlsVerify: flag(def.tlsVerify, true),
      ...(ca ? { ca } : {}),
      maxSockets: concurrency + 2,
    },
    delivery: {
      concurrency,
      retry: { baseMs: retryBaseMs, capMs: retryCapMs },
      settleMs: num(def.settle, 'settle time (s)', 0, 600, Math.min(timeoutMs / 1000, 10)) * 1000,
      maxLimitedAttempts: num(def.maxAttempts500, 'attempts on HTTP 500', 1, 1000, 10),
    },
    maxRecords: num(def.maxRecords, 'outbox size (records)', 1, 10_000_000, 100_000),
    maxBytes,
    maxRecordBytes: Math.round(maxRecordKiB * 1024),
  };
}
