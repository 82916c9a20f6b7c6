/**
 * Pure parts of each dialect: the request bodies (SAP formats, Odoo values, ERPNext documents, REST
 * templates), the error parsers (OData envelope, Odoo JSON-RPC error with HTTP 200, Frappe
 * `_server_messages`) and the classification of answers; the backoff.
 */
import assert from 'node:assert/strict';
import { DEFAULT_SAP_OPTIONS, SapOdataDialect, classifySapFailure, keyGuid, sapConfirmationBody, sapDecimal, sapErrorMessage } from '../../nodes/erp/dialects/sap-odata';
import { classifyOdooError, parseRpcReply } from '../../nodes/erp/dialects/odoo-rpc';
import { classifyJson2Failure, odooDescription } from '../../nodes/erp/dialects/odoo';
import { DEFAULT_ERPNEXT_OPTIONS, ErpnextDialect, downtimeDoc, frappeErrorMessage } from '../../nodes/erp/dialects/erpnext';
import { RestDialect, lookupFound, restConfigProblems } from '../../nodes/erp/dialects/rest';
import type { HttpResponse } from '../../nodes/erp/http';
import { parseRetryAfter, statusFailure } from '../../nodes/erp/outcome';
import { backoffMs } from '../../nodes/erp/retry';
import { parseConnection } from '../../nodes/erp/connection-config';
import { frappeErrorBody } from './servers/erpnext';
import { confirmation, downtime } from './support/records';

const res = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({ status, headers, setCookies: [], body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('ERP dialects: mapping and classification', () => {
  describe('SAP S/4HANA', () => {
    it('maps a confirmation into ProdnOrdConf2 with SAP formats in the plant time zone', () => {
      const body = sapConfirmationBody(confirmation('7f3c2a91-5b6e-4c1d-9a0f-2b9e4d1c8a77', '1000036971', { final: true, plant: '1710' }), { ...DEFAULT_SAP_OPTIONS, timeZone: 'Europe/Berlin' }, 0);
      assert.equal(body.PostingDate, `/Date(${Date.UTC(2024, 5, 15)})/`);
      assert.equal(body.ConfirmedExecutionStartTime, 'PT08H00M00S');
      assert.equal(body.ConfirmationScrapQuantity, '5');
      assert.equal(body.FinalConfirmationType, 'X');
      assert.equal(body.IsFinalConfirmation, true);
      assert.equal(body.OpWorkQuantityUnit1, 'MIN');
      assert.equal(body.OpConfirmedWorkQuantity1, '30.000');
      assert.equal(body.ConfirmationText, 'FH-7f3c2a91-5b6e-4c1d-9a0f-2b9e4d1c8a77');
      assert.ok(String(body.ConfirmationText).length <= 40);
      assert.equal(body.ExternalSystemConfirmation, '7f3c2a91-5b6e-4c1d-9a0f-2b9e4d1c8a77');
      assert.equal(sapDecimal(12.5), '12.5');
      assert.equal(sapDecimal(1e-7), '0');
      assert.match(keyGuid('order-7-seq-3'), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });

    it('refuses what SAP has no API for, before it is queued', () => {
      const sap = new SapOdataDialect();
      assert.throws(() => sap.check({ kind: 'shift-oee', key: 'x', workCenter: 'L', shift: 'A' }), /no standard API for shift OEE/);
      assert.throws(() => sap.check(downtime('d', { reason: 'MOTOR FAILURE' })), /longer than SAP's 4-character VarianceReasonCode/);
      assert.throws(() => sap.check(confirmation('c', '1', { activities: { cleaning: 5 } })), /activity "cleaning" has no SAP work quantity slot/);
    });

    it('reads the OData error envelope (message object, string or array) and classifies 400/403/502', () => {
      const envelope = { error: { code: 'RU/505', message: { lang: 'en', value: 'Quantity too high' }, innererror: { errordetails: [{ message: 'Quantity too high', severity: 'error' }, { message: 'Check routing 0010', severity: 'warning' }] } } };
      assert.equal(sapErrorMessage(JSON.stringify(envelope)), 'RU/505 Quantity too high / Check routing 0010');
      assert.equal(sapErrorMessage(JSON.stringify({ error: { code: 'X', message: ['a', { value: 'b' }] } })), 'X a / b');
      assert.equal(classifySapFailure(res(400, envelope)).kind, 'permanent');
      assert.deepEqual(classifySapFailure(res(400, { error: { code: 'CO/071', message: { value: 'Order 1 is locked by user X' } } })), { kind: 'retry', scope: 'record', message: 'SAP: CO/071 Order 1 is locked by user X' });
      assert.equal(classifySapFailure(res(504, '<html>Gateway Timeout</html>')).kind, 'ambiguous');
      assert.equal(classifySapFailure(res(401, 'Logon failed')).kind, 'auth');
    });
  });

  describe('Odoo', () => {
    it('recognises JSON-RPC errors that arrive with HTTP 200 by error.data.name', () => {
      const reply = parseRpcReply(res(200, { jsonrpc: '2.0', id: 1, error: { code: 200, message: 'Odoo Server Error', data: { name: 'odoo.exceptions.ValidationError', message: 'Missing loss' } } }));
      assert.ok(!reply.ok);
      assert.deepEqual(reply.failure, { kind: 'permanent', message: 'Odoo odoo.exceptions.ValidationError: Missing loss' });
      assert.equal(classifyOdooError('odoo.http.SessionExpiredException', 'Session expired').kind, 'auth');
      assert.equal(classifyOdooError('psycopg2.errors.SerializationFailure', 'could not serialize access').kind, 'retry');
      assert.equal(parseRpcReply(res(200, { jsonrpc: '2.0', id: 1, result: [57] })).ok, true);
    });

    it('classifies JSON-2 errors: 401 key, 422 arguments, 5xx retry', () => {
      assert.equal(classifyJson2Failure(401, JSON.stringify({ name: 'werkzeug.exceptions.Unauthorized', message: 'Invalid apikey' }), undefined).kind, 'auth');
      assert.equal(classifyJson2Failure(422, JSON.stringify({ name: 'builtins.TypeError', message: 'bad kwarg' }), undefined).kind, 'permanent');
      assert.equal(classifyJson2Failure(503, 'down', '7').kind, 'retry');
      assert.equal(odooDescription(confirmation('k', 'A', { rework: 1, final: true })), 'FH-k yield 95 PC, scrap 5 PC, rework 1 PC, final');
    });
  });

  describe('ERPNext', () => {
    it('parses the doubly encoded _server_messages', () => {
      assert.equal(frappeErrorMessage(JSON.stringify(frappeErrorBody('ValidationError', 'To Date cannot be in the future'))), 'ValidationError: To Date cannot be in the future');
      assert.equal(frappeErrorMessage(JSON.stringify({ exc_type: 'PermissionError', exception: 'frappe.exceptions.PermissionError: Not permitted' })), 'PermissionError: Not permitted');
      assert.equal(frappeErrorMessage('<html>500</html>'), '500');
    });

    it('maps a downtime to a Downtime Entry and refuses one without an operator', () => {
      const doc = downtimeDoc(downtime('d', { reason: 'Electricity down' }), DEFAULT_ERPNEXT_OPTIONS);
      assert.deepEqual(doc, { workstation: 'Line-1', operator: 'HR-EMP-00007', from_time: '2024-06-15 06:00:00', to_time: '2024-06-15 06:22:00', stop_reason: 'Electricity down', more_details: 'FH-d' });
      assert.throws(() => new ErpnextDialect().check(downtime('d', { employee: undefined })), /operator/);
    });
  });

  describe('REST', () => {
    it('refuses a record the template cannot fill, at the node', () => {
      const rest = new RestDialect({ method: 'POST', url: '/b', body: '{"k": "{{key}}", "why": "{{reason}}"}', lookupUrl: '/b?k={{key}}', kinds: ['confirmation'] });
      assert.throws(() => rest.check(confirmation('c')), /the template needs \{\{reason\}\}, which the record does not have/);
      assert.throws(() => rest.check(downtime('d')), /takes confirmation records, not downtime/);
    });

    it('checks its configuration: JSON body, the key in it, a look-up or Idempotency-Key', () => {
      assert.deepEqual(restConfigProblems({ method: 'POST', url: '/b', body: '{"a": 1', lookupUrl: '', kinds: ['confirmation'] }, false).length, 3);
      assert.deepEqual(restConfigProblems({ method: 'POST', url: '/b/{{key}}', body: '{}', lookupUrl: '', kinds: ['confirmation'] }, true), []);
      assert.equal(lookupFound(res(200, { items: [] })), undefined);
      assert.deepEqual(lookupFound(res(200, [{ id: 7 }])), { ref: '7' });
      assert.equal(lookupFound(res(404, '')), undefined);
    });
  });

  describe('HTTP classification and backoff', () => {
    it('classifies statuses and reads Retry-After as seconds or a date', () => {
      assert.deepEqual(statusFailure(res(429, '', { 'retry-after': '3' }), 'slow down', 0), { kind: 'retry', scope: 'server', message: 'HTTP 429: slow down', status: 429, retryAfterMs: 3000 });
      assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')), 10_000);
      assert.equal(statusFailure(res(500, ''), 'x').kind, 'retry');
      assert.equal(statusFailure(res(422, ''), 'x').kind, 'permanent');
    });

    it('backs off exponentially with full jitter, capped, never below Retry-After', () => {
      const policy = { baseMs: 1000, capMs: 60_000 };
      assert.equal(backoffMs(policy, 1, undefined, () => 1), 1000);
      assert.equal(backoffMs(policy, 4, undefined, () => 1), 8000);
      assert.equal(backoffMs(policy, 30, undefined, () => 1), 60_000);
      assert.equal(backoffMs(policy, 30, undefined, () => 0), 100);
      assert.equal(backoffMs(policy, 1, 30_000, () => 0.5), 30_000);
      // A Retry-After beyond the cap is cut to the cap (an hour must not park the queue).
      assert.equal(backoffMs(policy, 1, 7 * 3600_000, () => 0.5), 60_000);
    });
  });

  describe('connection settings', () => {
    it('keeps TLS verification on unless turned off, checks the CA, and needs the credentials of the auth type', () => {
      const c = parseConnection({ dialect: 'sap-odata', baseUrl: 'https://s4.example.com/', authType: 'basic' }, { username: 'U', password: 'P' });
      assert.equal(c.http.tlsVerify, true);
      assert.equal(c.baseUrl, 'https://s4.example.com');
      assert.throws(() => parseConnection({ dialect: 'sap-odata', baseUrl: 'https://x', ca: 'not a cert' }, { username: 'U' }), /PEM/);
      assert.throws(() => parseConnection({ dialect: 'erpnext', baseUrl: 'https://x' }, {}), /API key is not set/);
      assert.throws(() => parseConnection({ dialect: 'sap-odata', baseUrl: 'https://x', authType: 'api-key' }, {}), /"api-key" is not offered for sap-odata/);
      assert.equal(parseConnection({ dialect: 'rest', baseUrl: 'http://x', authType: 'none', restUrl: '/b', restBody: '{"k":"{{key}}"}', restLookupUrl: '/b?k={{key}}', tlsVerify: false }, {}).http.tlsVerify, false);
    });

    it('has a largest record of 1 MiB by default, within the outbox size', () => {
      const rest = { dialect: 'rest', baseUrl: 'http://x', authType: 'none', restUrl: '/b', restBody: '{"k":"{{key}}"}', restLookupUrl: '/b?k={{key}}' };
      assert.equal(parseConnection(rest, {}).maxRecordBytes, 1024 * 1024);
      assert.equal(parseConnection({ ...rest, maxRecordKB: '64' }, {}).maxRecordBytes, 64 * 1024);
      assert.equal(parseConnection({ ...rest, maxMB: 0.5 }, {}).maxRecordBytes, 512 * 1024);
      assert.throws(() => parseConnection({ ...rest, maxMB: 1, maxRecordKB: 2048 }, {}), /largest record \(2048 KiB\) is larger than the outbox \(1024 KiB\)/);
      assert.throws(() => parseConnection({ ...rest, maxRecordKB: 'lots' }, {}), /largest record \(KiB\) must be a number/);
    });
  });
});
