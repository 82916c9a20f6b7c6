/**
 * SAP S/4HANA production order confirmations: OData V2 API_PROD_ORDER_CONFIRMATION_2_SRV, entity set
 * ProdnOrdConf2, one confirmation per request (no $batch: one failure would roll back unrelated records).
 *
 * - Formats: decimals as strings, dates `/Date(ms)/` at UTC midnight of the plant-local day, times
 *   `PThhHmmMss` (plant-local wall clock), activities into OpConfirmedWorkQuantity1..6 by slot.
 * - Reconciliation: ConfirmationText = `FH-<key>` (39 of 40 characters) and, when creatable on the system,
 *   ExternalSystemConfirmation = a GUID of the key; after an ambiguous outcome
 *   `$filter=ConfirmationText eq 'FH-<key>' and OrderID eq '<order>'`.
 * - Downtime: a confirmation of the order with no quantity, its duration as ConfirmedBreakDuration and the
 *   reason as VarianceReasonCode (the reference's option without a second service). Shift OEE has no
 *   standard SAP entity: refused here (post it to a customer service with the REST dialect).
 * - CSRF handshake and cookies: auth.ts (CsrfSession).
 */
import { createHash } from 'node:crypto';
import type { Send } from '../auth';
import { CsrfSession } from '../auth';
import type { HttpResponse } from '../http';
import type { Booked, Failure } from '../outcome';
import { excerpt, fail, jsonOf, statusFailure } from '../outcome';
import type { ErpRecord } from '../record';
import { RecordError, durationMinutes, keyToken } from '../record';
import { two, wallTime } from '../time-format';
import type { Dialect } from './dialect';

export interface SapOptions {
  /** Service root, e.g. `/sap/opu/odata/sap/API_PROD_ORDER_CONFIRMATION_2_SRV`. */
  readonly servicePath: string;
  /** SAP client (`sap-client` query parameter), empty for the system default. */
  readonly sapClient: string;
  /** Also write ExternalSystemConfirmation (check `sap:creatable` in the service's $metadata). */
  readonly useExternalId: boolean;
  /** Activity name -> OpConfirmedWorkQuantity slot 1..6 (the operation's standard value key decides). */
  readonly activitySlots: Readonly<Record<string, number>>;
  /** Plant time zone (IANA) for dates and times. */
  readonly timeZone: string;
}

export const DEFAULT_SAP_OPTIONS: SapOptions = {
  servicePath: '/sap/opu/odata/sap/API_PROD_ORDER_CONFIRMATION_2_SRV',
  sapClient: '',
  useExternalId: true,
  activitySlots: { setup: 1, machine: 2, labour: 3 },
  timeZone: 'UTC',
};

/** Edm.Decimal as SAP wants it: a string, no exponent, at most 3 decimals. */
export function sapDecimal(n: number): string {
  return n.toFixed(3).replace(/\.?0+$/, '') || '0';
}

/** Edm.DateTime of a day: `/Date(<UTC midnight ms>)/`. */
export function sapDate(day: string): string {
  return `/Date(${Date.parse(`${day}T00:00:00Z`)})/`;
}

/** Edm.Time: `PT06H00M00S`. */
export function sapTime(hour: number, minute: number, second: number): string {
  return `PT${two(hour)}H${two(minute)}M${two(second)}S`;
}

/** A stable GUID for a key: the key itself when it is one, else one made from its SHA-1. */
export function keyGuid(key: string): string {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(key)) return key.toLowerCase();
  const h = createHash('sha1').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Operation number as SAP shows it: 4 digits, "10" -> "0010". */
function operationOf(op: string): string {
  return /^\d{1,4}$/.test(op) ? op.padStart(4, '0') : op;
}

/** Problems that would make SAP refuse the record, found before it is queued. */
export function sapProblems(record: ErpRecord, options: SapOptions): string[] {
  const problems: string[] = [];
  if (record.kind === 'shift-oee') problems.push('SAP S/4HANA has no standard API for shift OEE; post it with the REST dialect to your own service');
  if (record.kind === 'downtime' && record.order === undefined) problems.push('order is missing: SAP books downtime on a production order confirmation');
  if (record.reason !== undefined && record.reason.length > 4) problems.push(`reason "${record.reason}" is longer than SAP's 4-character VarianceReasonCode`);
  for (const name of Object.keys(record.activities ?? {})) {
    const slot = options.activitySlots[name];
    if (slot === undefined) problems.push(`activity "${name}" has no SAP work quantity slot (known: ${Object.keys(options.activitySlots).join(', ') || 'none'})`);
  }
  if (record.order !== undefined && !/^[A-Za-z0-9]{1,12}$/.test(record.order)) problems.push(`order "${record.order}" is not an SAP order number (up to 12 letters or digits)`);
  return problems;
}

/** The JSON body of POST ProdnOrdConf2 for a record. */
export function sapConfirmationBody(record: ErpRecord, options: SapOptions, now: number): Record<string, unknown> {
  const body: Record<string, unknown> = { OrderID: record.order };
  if (record.operation !== undefined) {
    body.OrderOperation = operationOf(record.operation);
    body.Sequence = '0';
  }
  if (record.plant !== undefined) body.Plant = record.plant;
  if (record.workCenter !== undefined) body.WorkCenter = record.workCenter;
  // The posting day is the plant-local day of the end (or start, or now) unless the record names one.
  body.PostingDate = sapDate(record.postingDate ?? localDay(record.end ?? record.start ?? now, options.timeZone));
  if (record.unit !== undefined) body.ConfirmationUnit = record.unit;
  const downtime = record.kind === 'downtime';
  body.ConfirmationYieldQuantity = sapDecimal(downtime ? 0 : (record.yield ?? 0));
  body.ConfirmationScrapQuantity = sapDecimal(downtime ? 0 : (record.scrap ?? 0));
  body.ConfirmationReworkQuantity = sapDecimal(downtime ? 0 : (record.rework ?? 0));
  body.IsFinalConfirmation = record.final === true;
  if (record.final === true) body.FinalConfirmationType = 'X';
  for (const [edge, ms] of [['Start', record.start], ['End', record.end]] as const) {
    if (ms === undefined) continue;
    const w = wallTime(ms, options.timeZone);
    body[`ConfirmedExecution${edge}Date`] = sapDate(`${w.year}-${two(w.month)}-${two(w.day)}`);
    body[`ConfirmedExecution${edge}Time`] = sapTime(w.hour, w.minute, w.second);
  }
  for (const [name, minutes] of Object.entries(record.activities ?? {})) {
    const slot = options.activitySlots[name];
    body[`OpWorkQuantityUnit${slot}`] = 'MIN';
    body[`OpConfirmedWorkQuantity${slot}`] = minutes.toFixed(3);
  }
  if (downtime) {
    body.BreakDurationUnit = 'MIN';
    body.ConfirmedBreakDuration = sapDecimal(durationMinutes(record));
  }
  if (record.reason !== undefined) body.VarianceReasonCode = record.reason;
  body.ConfirmationText = keyToken(record.key);
  if (options.useExternalId) body.ExternalSystemConfirmation = keyGuid(record.key);
  return { ...body, ...record.extra };
}

function localDay(ms: number, timeZone: string): string {
  const w = wallTime(ms, timeZone);
  return `${w.year}-${two(w.month)}-${two(w.day)}`;
}

/** The readable text of an SAP Gateway error envelope (message may be an object, a string or an array). */
export function sapErrorMessage(body: string): string {
  const json = jsonOf(body) as { error?: { code?: unknown; message?: unknown; innererror?: { errordetails?: unknown } } } | undefined;
  const e = json?.error;
  if (e === undefined) return excerpt(body);
  const texts: string[] = [];
  const add = (m: unknown): void => {
    const t = typeof m === 'string' ? m : typeof m === 'object' && m !== null && typeof (m as { value?: unknown }).value === 'string' ? (m as { value: string }).value : undefined;
    if (t && !texts.includes(t)) texts.push(t);
  };
  if (Array.isArray(e.message)) e.message.forEach(add);
  else add(e.message);
  if (Array.isArray(e.innererror?.errordetails)) {
    for (const d of e.innererror.errordetails as { message?: unknown; severity?: unknown }[]) if (d.severity !== 'info') add(d.message);
  }
  const code = typeof e.code === 'string' ? `${e.code} ` : '';
  return `${code}${texts.join(' / ') || excerpt(body)}`;
}

/**
 * The outcome of a POST ProdnOrdConf2 answer that is not 201. A 400 is a business error (dead letter),
 * except the transient "locked by another user" family, which SAP also answers with 400: retried.
 */
export function classifySapFailure(res: HttpResponse, now = Date.now()): Failure {
  const message = sapErrorMessage(res.body);
  if (res.status === 400 && /\block(ed)?\b|gesperrt|blocked by/i.test(message)) return { kind: 'retry', scope: 'record', message: `SAP: ${message}` };
  return statusFailure(res, `SAP: ${message}`, now);
}

function bookedOf(entity: { ConfirmationGroup?: unknown; ConfirmationCount?: unknown } | undefined): Booked | undefined {
  if (entity === undefined || typeof entity.ConfirmationGroup !== 'string') return undefined;
  return { ref: `${entity.ConfirmationGroup}/${String(entity.ConfirmationCount)}` };
}

export class SapOdataDialect implements Dialect {
  readonly name = 'sap-odata' as const;
  readonly session: CsrfSession;

  constructor(
    readonly options: SapOptions = DEFAULT_SAP_OPTIONS,
    private readonly now: () => number = Date.now,
  ) {
    // The SAP Cloud SDK fetches on the service root with a trailing slash; some on-premise systems need it.
    this.session = new CsrfSession(this.path('/'));
  }

  private path(rest: string, query: Record<string, string> = {}): string {
    const q = new URLSearchParams(query);
    if (this.options.sapClient) q.set('sap-client', this.options.sapClient);
    const qs = q.toString().replace(/\+/g, '%20');
    return `${this.options.servicePath.replace(/\/+$/, '')}${rest}${qs ? `?${qs}` : ''}`;
  }

  check(record: ErpRecord): void {
    const problems = sapProblems(record, this.options);
    if (problems.length) throw new RecordError(problems);
  }

  async post(record: ErpRecord, send: Send): Promise<Booked> {
    const body = JSON.stringify(sapConfirmationBody(record, this.options, this.now()));
    const res = await this.session.write(send, { method: 'POST', path: this.path('/ProdnOrdConf2'), headers: { 'content-type': 'application/json', accept: 'application/json' }, body });
    if (res.status === 201 || res.status === 200) {
      const booked = bookedOf((jsonOf(res.body) as { d?: { ConfirmationGroup?: unknown; ConfirmationCount?: unknown } } | undefined)?.d);
      // Created, but an unreadable answer: the look-up will find the number.
      return booked ?? { ref: `(created, HTTP ${res.status})` };
    }
    fail(classifySapFailure(res, this.now()));
  }

  async find(record: ErpRecord, send: Send): Promise<Booked | undefined> {
    const token = keyToken(record.key);
    const literal = (v: string): string => `'${v.replace(/'/g, "''")}'`;
    const filter = `ConfirmationText eq ${literal(token)}${record.order !== undefined ? ` and OrderID eq ${literal(record.order)}` : ''}`;
    const res = await this.session.call(send, {
      method: 'GET',
      path: this.path('/ProdnOrdConf2', { $filter: filter, $select: 'ConfirmationGroup,ConfirmationCount,ConfirmationText', $format: 'json' }),
      headers: { accept: 'application/json' },
    });
    if (res.status !== 200) fail(classifySapFailure(res, this.now()));
    const results = (jsonOf(res.body) as { d?: { results?: unknown } } | undefined)?.d?.results;
    if (!Array.isArray(results)) fail({ kind: 'retry', scope: 'server', message: `SAP look-up answer has no d.results: ${excerpt(res.body)}`, limited: true });
    // `eq` is exact, but the hub decides, as for every ERP: a system comparing without case cannot mislead it.
    const rows = results as { ConfirmationGroup?: unknown; ConfirmationText?: unknown }[];
    return bookedOf(rows.find((row) => row.ConfirmationText === undefined || row.ConfirmationText === token));
  }
}
