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

/**
 * The server refused the hub's application certificate (BadSecurityChecksFailed, or a secured channel
 * closed by the server as soon as the hub presented its certificate): trust it on the server.
 */
export function clientNotTrusted(thumbprint: string | undefined, certificateFile: string, closedOnly = false): Fault {
  const which = thumbprint ? ` (certificate ${thumbprint})` : '';
  return {
    cause: `BadSecurityChecksFailed: the server does not trust the hub${which}`,
    needsAction: true,
    detail:
      (closedOnly ? 'the server closed the connection when the hub presented its certificate; ' : '') +
      `trust the hub's application certificate on the server (copy ${certificateFile}` +
      `${thumbprint ? `, thumbprint ${thumbprint}` : ''} into the server's trusted certificates, or accept it in the server's rejected list), then wait for the retry`,
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
