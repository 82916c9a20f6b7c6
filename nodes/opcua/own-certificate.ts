/**
 * The hub's own application certificate as a server's administrator needs it: what it says (subject,
 * application URI, thumbprint, validity), the file in DER (what many servers import) and PEM, the one
 * sentence of what that administrator must do, and a warning when it runs out within 30 days.
 * Reads the file only (no node-opcua), so the admin route and the status code both use it cheaply.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { SERVER_ADMIN_ACTION } from './faults';
import type { CertificateInfo } from './pki';
import { certificateInfo } from './pki';

/** Days before the end of validity from which the nodes warn. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

export interface OwnCertificate extends CertificateInfo {
  /** Whole days until the end of validity (negative once expired). */
  readonly daysLeft: number;
  /** The warning the nodes show, within EXPIRY_WARNING_DAYS of the end or after it. */
  readonly warning?: string;
  readonly serverAdminAction: string;
}

/** The warning for a certificate valid until `validTo`, or undefined while it has more than 30 days left. */
export function expiryWarning(validTo: Date, now: number): string | undefined {
  const days = Math.floor((validTo.getTime() - now) / DAY_MS);
  if (days > EXPIRY_WARNING_DAYS) return undefined;
  return days < 0 ? "the hub's certificate has expired: servers refuse it; renew it" : `the hub's certificate expires in ${days} day${days === 1 ? '' : 's'}: renew it`;
}

/** The certificate in `file` (PEM), or undefined when it is not made yet. */
export function readOwnCertificate(file: string, now = Date.now()): (OwnCertificate & { readonly der: Buffer; readonly pem: string }) | undefined {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const cert = new X509Certificate(pem);
  const info = certificateInfo(cert);
  const validTo = new Date(info.validTo);
  const warning = expiryWarning(validTo, now);
  return {
    ...info,
    daysLeft: Math.floor((validTo.getTime() - now) / DAY_MS),
    ...(warning ? { warning } : {}),
    serverAdminAction: SERVER_ADMIN_ACTION,
    der: cert.raw,
    pem: cert.toString(),
  };
}

/** Only the warning (for the session's status on connect); never throws. */
export function ownCertificateWarning(file: string): string | undefined {
  try {
    return readOwnCertificate(file)?.warning;
  } catch {
    return undefined;
  }
}
