/**
 * One session per endpoint in the whole runtime: every node of an endpoint, and endpoint config nodes
 * with the same URL, security, user and PKI, share it. Embedded servers often allow 2 to 10 sessions;
 * a session per node is what makes the peers fail with BadTooManySessions. No Node-RED here.
 */
import { sessionKey } from './endpoint-settings';
import type { SessionOptions } from './session';
import { EndpointSession } from './session';
import type { Lease } from '../shared/shared-pool';
import { SharedPool } from '../shared/shared-pool';

const pool = new SharedPool<EndpointSession>();

export type SessionLease = Lease<EndpointSession>;

export function acquireSession(options: SessionOptions): SessionLease {
  // Settings that change how the session behaves (timeouts, backoff) are part of the key too: a config
  // node redeployed with other timings gets a session with those timings.
  const { settings, pkiDir, ...timing } = options;
  const key = `${sessionKey(settings, pkiDir)}|${JSON.stringify(timing)}`;
  return pool.acquire(key, () => {
    const session = new EndpointSession(options);
    session.start();
    return session;
  });
}

/** Sessions alive in this process (leak tests, health page). */
export function openSessionCount(): number {
  return pool.size;
}

/** Sessions waiting on a certificate with this thumbprint try again now (it was just trusted). */
export function retryUntrusted(thumbprint: string): number {
  let n = 0;
  for (const session of pool.resources()) {
    const s = session.state;
    if (s.kind === 'error' && s.thumbprint === thumbprint) {
      session.retryNow();
      n++;
    }
  }
  return n;
}
