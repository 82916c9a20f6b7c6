/**
 * Secrets stored in clear in a flow: by the property's name (password, token, apiKey, ...) and by the
 * look of the value (JWT, `Bearer ...`, a PEM private key, a URL with a password, well-known token
 * formats, long random-looking strings). Messages never repeat the secret. Pure.
 */
import { isPlainObject } from './flow';

/** Lower-case names with `-`, `_`, `.` and spaces removed; a secret name ends with one of these. */
const SECRET_NAME_ENDINGS = [
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'privatekey',
  'authorization',
  'bearer',
  'accesskey',
] as const;

export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.\s]/g, '');
}

/** `password`, `clientSecret`, `api_key`, `X-Api-Key`, `Authorization` ...; not `tokenUrl` or `passwordType`. */
export function isSecretName(name: string): boolean {
  const n = normalizeName(name);
  return SECRET_NAME_ENDINGS.some((ending) => n.endsWith(ending));
}

/**
 * A value that is not a secret though it sits under a secret name: empty, a placeholder, or a
 * reference resolved at run time (`${ENV_VAR}`, `$env(...)`, `{{mustache}}`, `env.get(...)`).
 */
export function isReference(value: string): boolean {
  const v = value.trim();
  if (v === '' || /^\*+$|^x+$|^(?:changeme|__PWRD__|<[^>]*>)$/i.test(v)) return true;
  return /^\$\{[^}]+\}$|^\$env\(.+\)$|^\{\{\{?[^}]+\}\}\}?$|^env\.get\(.+\)$/.test(v);
}

interface ValuePattern {
  readonly re: RegExp;
  readonly what: string;
}

/** Value shapes that are secrets wherever they appear, code and descriptions included. */
const VALUE_PATTERNS: readonly ValuePattern[] = [
  { re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/, what: 'a PEM private key' },
  { re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/, what: 'a JSON Web Token' },
  { re: /\bBearer\s+[A-Za-z0-9\-._~+/]{16,}=*/, what: 'a bearer token' },
  { re: /\bBasic\s+[A-Za-z0-9+/]{12,}={0,2}(?![A-Za-z0-9+/=])/, what: 'HTTP basic credentials' },
  { re: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/'"`]+:(?!\$\{|\{\{)[^\s@/'"`]+@/i, what: 'a URL with a password' },
  { re: /\bAKIA[0-9A-Z]{16}\b/, what: 'an AWS access key id' },
  { re: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/, what: 'a GitHub token' },
  { re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/, what: 'a Slack token' },
  { re: /\b[rs]k_live_[A-Za-z0-9]{16,}/, what: 'a Stripe live key' },
];

/** What secret a value contains by its shape, if any. */
export function secretShape(value: string): string | undefined {
  if (value.length < 16) return undefined;
  for (const { re, what } of VALUE_PATTERNS) if (re.test(value)) return what;
  return undefined;
}

/** Shannon entropy in bits per character. */
export function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * A long random-looking token: 32+ characters of base64/base64url, upper and lower case and digits,
 * at least 4.2 bits of entropy per character (random base64 has about 4.5 at this length; words,
 * paths and ids stay far below), and not a path (`a/b/c/d`).
 */
export function looksRandom(value: string): boolean {
  if (value.length < 32 || value.length > 4096) return false;
  if (!/^[A-Za-z0-9+/=_-]+$/.test(value)) return false;
  if (!/[a-z]/.test(value) || !/[A-Z]/.test(value) || !/[0-9]/.test(value)) return false;
  if ((value.match(/\//g) ?? []).length >= 3) return false;
  return entropy(value) >= 4.2;
}

/** Typed-input types whose value is looked up at run time, not a literal. */
const INDIRECT_TYPES = new Set(['env', 'msg', 'flow', 'global', 'jsonata', 'cred']);

/** Properties holding code or prose: checked for secret shapes but not for random-looking words. */
const TEXT_PROPERTIES = new Set(['info', 'func', 'initialize', 'finalize', 'template', 'format', 'rules', 'name', 'label', 'topic']);

export interface SecretFinding {
  /** Property path: `password`, `headers[0].valueValue`, `env[2].value`. */
  readonly property: string;
  readonly message: string;
}

/**
 * Every secret in clear in a node's properties. `credentials` is not looked into (the
 * credentials-in-file rule reports it); ids of other nodes in the file are never secrets.
 */
export function findSecrets(node: Readonly<Record<string, unknown>>, isNodeId: (value: string) => boolean): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const seen = new Set<string>();
  const add = (property: string, message: string): void => {
    if (seen.has(property)) return;
    seen.add(property);
    findings.push({ property, message });
  };

  const visit = (value: unknown, path: string, key: string, parent: Readonly<Record<string, unknown>> | undefined, top: string): void => {
    if (typeof value === 'string') {
      if (isNodeId(value)) return;
      const shape = secretShape(value);
      if (shape !== undefined) {
        add(path, `${path} holds ${shape} in clear (${value.length} characters)`);
        return;
      }
      const viaType = parent !== undefined && typeof parent[`${key}Type`] === 'string' && INDIRECT_TYPES.has(parent[`${key}Type`] as string);
      if (key !== '' && isSecretName(key) && !isReference(value) && !viaType) {
        add(path, `${path} holds a value in clear (${value.length} characters); use a credentials property or an environment variable`);
        return;
      }
      if (!TEXT_PROPERTIES.has(top) && looksRandom(value)) {
        add(path, `${path} holds a random-looking ${value.length}-character string that looks like a key or token`);
      }
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, `${path}[${i}]`, '', undefined, top));
      return;
    }
    if (!isPlainObject(value)) return;
    namedPairs(value, path, add);
    for (const [k, v] of Object.entries(value)) {
      if (path === '' && (k === 'credentials' || k === 'id' || k === 'type' || k === 'z' || k === 'g' || k === 'wires')) continue;
      visit(v, path === '' ? k : `${path}.${k}`, k, value, path === '' ? k : top);
    }
  };
  visit(node, '', '', undefined, '');
  return findings;
}

/**
 * Name/value pairs stored as objects: the HTTP request node's headers
 * (`{keyType, keyValue: 'Authorization', valueType: 'other', valueValue: '...'}`), the env lists of
 * tabs, groups, subflows and subflow instances (`{name: 'API_TOKEN', type: 'str', value: '...'}`;
 * type `cred` is Node-RED's encrypted kind and is fine), and message properties that change and inject
 * nodes set to literal text (`{p: 'password', to: '...', tot: 'str'}`, `{p: 'token', v: '...', vt: 'str'}`).
 */
function namedPairs(entry: Readonly<Record<string, unknown>>, path: string, add: (property: string, message: string) => void): void {
  if (typeof entry.keyValue === 'string' && typeof entry.valueValue === 'string' && isSecretName(entry.keyValue)) {
    const literal = entry.valueType === undefined || entry.valueType === 'other' || entry.valueType === 'str';
    if (literal && !isReference(entry.valueValue)) {
      add(`${path}.valueValue`, `header ${entry.keyValue} (${path}) holds a value in clear (${entry.valueValue.length} characters)`);
    }
  }
  if (typeof entry.name === 'string' && typeof entry.value === 'string' && typeof entry.type === 'string' && isSecretName(entry.name)) {
    if (entry.type !== 'cred' && !INDIRECT_TYPES.has(entry.type) && !isReference(entry.value)) {
      add(`${path}.value`, `environment variable ${entry.name} (${path}) holds a value in clear; give it the type "credential"`);
    }
  }
  if (typeof entry.p === 'string' && isSecretName(entry.p)) {
    for (const [field, typeField] of [
      ['to', 'tot'],
      ['v', 'vt'],
    ] as const) {
      const value = entry[field];
      const type = entry[typeField];
      if (typeof value === 'string' && (type === undefined || type === 'str') && !isReference(value)) {
        add(`${path}.${field}`, `sets msg.${entry.p} to text in clear (${path}, ${value.length} characters)`);
      }
    }
  }
}
