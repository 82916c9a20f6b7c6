/**
 * Any other system over REST: method, URL template and JSON body template filled from the record
 * (template.ts). The reconciliation key must be in the body or URL ({{key}} or {{token}}), and is also
 * sent as an `Idempotency-Key` header (draft-ietf-httpapi-idempotency-key-header) for middleware that
 * honours it. After an ambiguous outcome the look-up URL template is fetched: a 404, an empty list or an
 * empty `items`/`data`/`results` list means "not booked"; anything else found means booked.
 */
import type { Send } from '../auth';
import type { HttpResponse } from '../http';
import type { Booked, Failure } from '../outcome';
import { ErpFailure, excerpt, jsonOf, statusFailure } from '../outcome';
import type { ErpRecord } from '../record';
import { RecordError } from '../record';
import type { TemplateError} from '../template';
import { carriesKey, fillBody, fillUrl, parseBodyTemplate } from '../template';
import type { Dialect } from './dialect';

export interface RestOptions {
  readonly method: 'POST' | 'PUT' | 'PATCH';
  /** Path (appended to the base URL) or absolute URL, with {{placeholders}}. */
  readonly url: string;
  /** JSON text with {{placeholders}}. */
  readonly body: string;
  /** GET URL template that finds a booking by key; empty only when the server honours Idempotency-Key. */
  readonly lookupUrl: string;
  /** Record kinds this endpoint takes. */
  readonly kinds: readonly ErpRecord['kind'][];
}

/** Problems of the REST configuration itself (reported as a config error at deploy). */
export function restConfigProblems(options: RestOptions, idempotencyHonoured: boolean): string[] {
  const problems: string[] = [];
  if (!options.url.trim()) problems.push('the REST URL is empty');
  try {
    parseBodyTemplate(options.body);
  } catch (err) {
    problems.push((err as TemplateError).message);
  }
  if (!carriesKey(options.body) && !carriesKey(options.url)) problems.push('the body or URL template must carry {{key}} or {{token}}, so that the system stores the reconciliation key');
  if (!options.lookupUrl.trim() && !idempotencyHonoured) problems.push('a look-up URL template (e.g. /bookings?key={{key}}) is needed to settle ambiguous outcomes, unless the server honours Idempotency-Key');
  if (options.lookupUrl.trim() && !carriesKey(options.lookupUrl)) problems.push('the look-up URL must carry {{key}} or {{token}}');
  return problems;
}

function messageOf(res: HttpResponse): string {
  const json = jsonOf(res.body) as Record<string, unknown> | undefined;
  for (const name of ['message', 'error_description', 'detail', 'title', 'error']) {
    const v = json?.[name];
    if (typeof v === 'string') return v;
    if (typeof v === 'object' && v !== null && typeof (v as { message?: unknown }).message === 'string') return (v as { message: string }).message;
  }
  return excerpt(res.body);
}

export function classifyRestFailure(res: HttpResponse, now = Date.now()): Failure {
  // Idempotency-Key draft: 409 = the same key is still being processed; retry later.
  if (res.status === 409) return { kind: 'retry', scope: 'record', message: `HTTP 409: ${messageOf(res)}` };
  return statusFailure(res, messageOf(res), now);
}

function refOf(res: HttpResponse, fallback: string): string {
  const json = jsonOf(res.body) as Record<string, unknown> | undefined;
  for (const name of ['id', 'name', 'ref', 'number']) {
    const v = json?.[name];
    if (typeof v === 'string' || typeof v === 'number') return String(v);
  }
  return res.headers.location ?? fallback;
}

/** Whether a look-up answer found a booking. */
export function lookupFound(res: HttpResponse): Booked | undefined {
  if (res.status === 404) return undefined;
  const json = jsonOf(res.body);
  if (Array.isArray(json)) return json.length ? { ref: refOf({ ...res, body: JSON.stringify(json[0]) }, 'found') } : undefined;
  if (typeof json === 'object' && json !== null) {
    for (const name of ['items', 'data', 'results', 'value']) {
      const list = (json as Record<string, unknown>)[name];
      if (Array.isArray(list)) return list.length ? { ref: refOf({ ...res, body: JSON.stringify(list[0]) }, 'found') } : undefined;
    }
    return Object.keys(json).length ? { ref: refOf(res, 'found') } : undefined;
  }
  return undefined;
}

export class RestDialect implements Dialect {
  readonly name = 'rest' as const;
  private readonly template: unknown;

  constructor(
    readonly options: RestOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.template = parseBodyTemplate(options.body);
  }

  check(record: ErpRecord): void {
    if (!this.options.kinds.includes(record.kind)) throw new RecordError([`this REST connection takes ${this.options.kinds.join(', ')} records, not ${record.kind}`]);
    // Filling now surfaces a missing value as a refusal at the node instead of a dead letter later.
    fillUrl(this.options.url, record, this.now());
    fillBody(this.template, record, this.now());
    if (this.options.lookupUrl) fillUrl(this.options.lookupUrl, record, this.now());
  }

  async post(record: ErpRecord, send: Send): Promise<Booked> {
    const res = await send({
      method: this.options.method,
      path: fillUrl(this.options.url, record, this.now()),
      headers: { 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': `"${record.key}"` },
      body: JSON.stringify(fillBody(this.template, record, this.now())),
    });
    if (res.status >= 200 && res.status < 300) return { ref: refOf(res, `HTTP ${res.status}`) };
    throw new ErpFailure(classifyRestFailure(res, this.now()));
  }

  async find(record: ErpRecord, send: Send): Promise<Booked | undefined> {
    // Without a look-up the server's Idempotency-Key handling is what makes a resend safe.
    if (!this.options.lookupUrl) return undefined;
    const res = await send({ method: 'GET', path: fillUrl(this.options.lookupUrl, record, this.now()), headers: { accept: 'application/json' } });
    if (res.status !== 200 && res.status !== 404) throw new ErpFailure(classifyRestFailure(res, this.now()));
    return lookupFound(res);
  }
}
