/**
 * Why a connection attempt failed, in words a technician can act on, and whether waiting helps
 * (reconnecting) or a person must fix something first (error). No Node-RED here.
 */
import { messageOf } from '../shared/errors';

export interface Fault {
  /** Short cause for a status text, e.g. `ECONNREFUSED`, `BadUserAccessDenied`. */
  readonly cause: string;
  /** True when retrying alone will not help: credentials, certificates, security settings. */
  readonly needsAction: boolean;
  /** The server certificate to trust, when that is the fault. */
  readonly thumbprint?: string;
  /** What to do, in full (file paths and all), for error messages; the cause stays short for a status. */
  readonly detail?: string;
}

/** A fault found by our own checks (endpoint discovery, certificate trust), already worded. */
export class ConnectFault extends Error implements Fault {
  constructor(
    override readonly cause: string,
    readonly needsAction: boolean,
    readonly thumbprint?: string,
  ) {
    super(cause);
    this.name = 'ConnectFault';
  }
}

/** The OPC UA status code name in a node-opcua error text, e.g. `BadUserAccessDenied (0x801f0000)`. */
export function statusNameIn(text: string): string | undefined {
  return /\b(Bad[A-Za-z]+|Uncertain[A-Za-z]+)\b/.exec(text)?.[1];
}

const NEEDS_ACTION = new Set([
  'BadUserAccessDenied',
  'BadIdentityTokenInvalid',
  'BadIdentityTokenRejected',
  'BadSecurityChecksFailed',
  'BadSecurityPolicyRejected',
  'BadSecurityModeRejected',
  'BadCertificateUntrusted',
  'BadCertificateInvalid',
  'BadCertificateTimeInvalid',
  'BadCertificateIssuerTimeInvalid',
  'BadCertificateHostNameInvalid',
  'BadCertificateUriInvalid',
  'BadCertificateUseNotAllowed',
  'BadCertificateRevoked',
  'BadCertificateIssuerRevoked',
  'BadCertificateChainIncomplete',
  'BadNoValidCertificates',
  'BadApplicationSignatureInvalid',
  'BadUserSignatureInvalid',
]);

const HINTS: Record<string, string> = {
  BadUserAccessDenied: 'BadUserAccessDenied: user name or password refused',
  BadIdentityTokenRejected: 'BadIdentityTokenRejected: the server does not accept this kind of user',
  BadIdentityTokenInvalid: 'BadIdentityTokenInvalid: user identity refused',
  BadCertificateUntrusted: 'BadCertificateUntrusted',
  BadTooManySessions: 'BadTooManySessions: the server allows no more sessions',
};

/** Classifies anything thrown while connecting. */
export function faultOf(err: unknown): Fault {
  if (err instanceof ConnectFault) return err;
  const text = messageOf(err);
  const code = (err as { code?: unknown } | null)?.code;
  const status = statusNameIn(text);
  if (status) return { cause: HINTS[status] ?? status, needsAction: NEEDS_ACTION.has(status) };
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return { cause: code, needsAction: code === 'ENOTFOUND' };
  const errno = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EPIPE|EAI_AGAIN)\b/.exec(text)?.[1];
  if (errno) return { cause: errno, needsAction: errno === 'ENOTFOUND' };
  return { cause: text.replace(/\s+/g, ' ').slice(0, 160) || 'unknown error', needsAction: false };
}

/** What a server's administrator must do when the server refuses the hub: one sentence, for error and dialog. */
export const SERVER_ADMIN_ACTION =
  "The server's administrator must add the hub's certificate (DER or PEM, from GET /factoryhub/opcua/certificates/own.der or own.pem) to the server's trusted certificates, or accept it in the server's rejected list.";

/** The status names with which servers refuse a client's application certificate. */
export const CLIENT_REFUSALS = ['BadSecurityChecksFailed', 'BadCertificateUntrusted'] as const;

/**
 * The server refused the hub's application certificate (`status`, or a secured channel closed by the
 * server as soon as the hub presented its certificate): its administrator must trust it. The cause is
 * short for a status text (the status name, who must act, the thumbprint's start); the detail says it in full.
 */
export function clientNotTrusted(thumbprint: string | undefined, certificateFile: string, closedOnly = false, status: string = CLIENT_REFUSALS[0]): Fault {
  return {
    cause: `${status}: the server's admin must trust the hub's certificate${thumbprint ? ` (${thumbprint.slice(0, 8)}…)` : ''}`,
    needsAction: true,
    detail:
      (closedOnly ? 'the server closed the connection when the hub presented its certificate. ' : '') +
      `${SERVER_ADMIN_ACTION} The hub's certificate${thumbprint ? ` has thumbprint ${thumbprint} and` : ''} is in ${certificateFile}; the hub retries by itself.`,
  };
}

/** The peer closed or reset the connection (as opposed to a refused connection or a timeout). */
export function isPeerClose(err: unknown): boolean {
  return /disconnected by third party|rejected by server|ECONNRESET|EPIPE|socket hang up|premature/i.test(messageOf(err));
}

/** True for errors that mean the session or its connection is gone (as opposed to a refused request). */
export function isSessionLost(err: unknown): boolean {
  const text = messageOf(err);
  return /BadSession(IdInvalid|Closed|NotActivated)|BadSecureChannel(Closed|IdInvalid)|BadConnectionClosed|BadCommunicationError|BadNotConnected|not connected|Connection Break|socket has been disconnected|premature|has been closed|timed out|BadTimeout|BadRequestTimeout/i.test(text);
}
