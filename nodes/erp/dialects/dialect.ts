/** What every ERP dialect provides to the outbox. */
import type { Send } from '../auth';
import type { ErpRecord } from '../record';
import type { Booked } from '../outcome';

export type DialectName = 'sap-odata' | 'odoo' | 'erpnext' | 'rest';
export const DIALECT_NAMES: readonly DialectName[] = ['sap-odata', 'odoo', 'erpnext', 'rest'];

export interface Dialect {
  readonly name: DialectName;
  /**
   * Throws a RecordError when this ERP cannot take the record (a kind it has no API for, a field too
   * long for it, a template it cannot fill): checked at the node, before the record is queued.
   */
  check(record: ErpRecord): void;
  /** Books the record with the reconciliation key in it; throws an ErpFailure that says what to do next. */
  post(record: ErpRecord, send: Send): Promise<Booked>;
  /** The ERP's booking carrying the record's key, or undefined when it has none (then a resend is safe). */
  find(record: ErpRecord, send: Send): Promise<Booked | undefined>;
}
