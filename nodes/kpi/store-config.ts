/**
 * The fh-kpi-store node's settings, checked. Pure: every problem is named, so the node says what to fix.
 */
import path from 'node:path';
import { canonicalZone } from '../oee/time-zone';
import { checkUrl } from './postgres-store';
import type { Retention } from './store';

export interface StoreDef {
  readonly name?: string;
  readonly backend?: string;
  /** SQLite file, relative to the user directory. */
  readonly file?: string;
  readonly url?: string;
  /** true (default): TLS with the server's certificate verified; false: no TLS. */
  readonly tlsVerify?: boolean | string;
  readonly ca?: string;
  readonly timeZone?: string;
  readonly retainShiftsDays?: number | string;
  readonly retainStopsDays?: number | string;
  readonly retainOrdersDays?: number | string;
  readonly retainSamplesDays?: number | string;
  /** Downsampling interval of tag samples, s. */
  readonly sampleInterval?: number | string;
  readonly maxQueued?: number | string;
}

export interface StoreCredentials {
  readonly password?: string;
}

export type Backend = { readonly kind: 'sqlite'; readonly file: string } | { readonly kind: 'postgres'; readonly url: string; readonly password?: string; readonly tls: 'verify' | 'off'; readonly ca?: string };

export interface StoreConfig {
  readonly backend: Backend;
  readonly timeZone: string;
  readonly retention: Retention;
  readonly sampleIntervalMs: number;
  readonly maxQueued: number;
  /** Label for status and logs (never the password). */
  readonly label: string;
}

export const DEFAULT_FILE = path.join('factoryhub', 'kpi', 'kpi.sqlite');

function count(v: unknown, what: string, fallback: number, issues: string[], min = 0): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) {
    issues.push(`${what} must be a whole number from ${min}, not ${JSON.stringify(v)}`);
    return fallback;
  }
  return n;
}

export function parseStore(def: StoreDef, creds: StoreCredentials, userDir: string): StoreConfig {
  const issues: string[] = [];
  const zone = canonicalZone(def.timeZone || 'UTC');
  if (zone === undefined) issues.push(`time zone "${def.timeZone}" is not an IANA zone like Europe/Berlin`);
  let backend: Backend;
  let label: string;
  if ((def.backend ?? 'sqlite') === 'sqlite') {
    const rel = def.file?.trim() || DEFAULT_FILE;
    const file = path.resolve(userDir, rel);
    backend = { kind: 'sqlite', file };
    label = `SQLite ${rel}`;
  } else if (def.backend === 'postgres') {
    const url = def.url?.trim() ?? '';
    try {
      checkUrl(url);
    } catch (err) {
      issues.push((err as Error).message);
    }
    const verify = def.tlsVerify !== false && def.tlsVerify !== 'false';
    const ca = def.ca?.trim() || undefined;
    if (ca !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----')) issues.push('CA must be a PEM certificate (-----BEGIN CERTIFICATE-----)');
    backend = { kind: 'postgres', url, tls: verify ? 'verify' : 'off', ...(creds.password ? { password: creds.password } : {}), ...(ca ? { ca } : {}) };
    label = `PostgreSQL ${url.replace(/^postgres(ql)?:\/\//, '')}`;
  } else {
    issues.push(`back end must be sqlite or postgres, not ${JSON.stringify(def.backend)}`);
    backend = { kind: 'sqlite', file: DEFAULT_FILE };
    label = '';
  }
  const retention: Retention = {
    shiftsDays: count(def.retainShiftsDays, 'keep shifts (days)', 0, issues),
    stopsDays: count(def.retainStopsDays, 'keep stops (days)', 0, issues),
    ordersDays: count(def.retainOrdersDays, 'keep order runs (days)', 0, issues),
    samplesDays: count(def.retainSamplesDays, 'keep tag samples (days)', 90, issues),
  };
  const sampleIntervalMs = count(def.sampleInterval, 'sample interval (s)', 60, issues, 1) * 1000;
  const maxQueued = count(def.maxQueued, 'most records queued', 1_000_000, issues, 1000);
  if (issues.length > 0) throw new Error(issues.join('; '));
  return { backend, timeZone: zone ?? 'UTC', retention, sampleIntervalMs, maxQueued, label };
}
