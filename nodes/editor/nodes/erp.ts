/// <reference lib="dom" />
/** The edit dialogs of the ERP family: the connection (dialect, authentication, outbox) and erp post. */
import { ERP_CREDENTIALS } from '../../erp/credentials';
import { dialogValue, namedStyle, text } from './definition';
import type { EditorNode, NodeDefinition, NodeEditor } from './definition';
import { NAME_ROW, keyedOptions } from './form-rows';
import type { RowSpec, RowSpecs } from './form-rows';
import { $ } from './jquery';
import { filled, numberIn, oneOf, pattern, when, withNode } from './validators';

/** The authentications each dialect accepts, the first its default. */
const AUTH: Readonly<Record<string, readonly string[]>> = {
  'sap-odata': ['basic', 'bearer', 'oauth2'],
  odoo: ['none', 'bearer'],
  erpnext: ['frappe-token', 'bearer', 'oauth2'],
  rest: ['none', 'basic', 'bearer', 'api-key', 'oauth2'],
};
const KEY_PLACEHOLDER = /\{\{\s*(key|token)\s*\}\}/;

const value = (node: EditorNode, property: string): unknown => dialogValue(node, property, true);
const dialectIs = (name: string) => (node: EditorNode): boolean => value(node, 'dialect') === name;

const secret: RowSpec = { input: 'password', noAutofill: true };
const plain: RowSpec = {};

const connectionRows: RowSpecs = {
  name: NAME_ROW,
  dialect: { icon: 'language', input: 'select', options: keyedOptions('dialect', Object.keys(AUTH)) },
  baseUrl: { icon: 'globe', placeholder: 'https://erp.example.com' },
  authType: { icon: 'key', input: 'select', options: keyedOptions('auth', ['none', 'basic', 'bearer', 'api-key', 'frappe-token', 'oauth2']) },
  username: { noAutofill: true },
  password: secret,
  token: secret,
  apiKeyHeader: plain,
  apiKey: secret,
  apiSecret: secret,
  tokenUrl: { placeholder: 'https://login.example.com/oauth2/v2.0/token' },
  clientId: { noAutofill: true },
  clientSecret: secret,
  scope: plain,
  clientAuth: { input: 'select', options: [{ value: 'basic', text: 'Authorization: Basic' }, { value: 'body', text: 'client_id / client_secret in the form' }] },
  sapServicePath: plain,
  sapClient: { width: '70px', placeholder: '100' },
  sapActivitySlots: plain,
  sapExternalId: { input: 'checkbox' },
  odooApi: { input: 'select', options: [{ value: 'jsonrpc', text: 'JSON-RPC /jsonrpc (Odoo 16-18)' }, { value: 'json2', text: 'JSON-2 /json/2 (Odoo 19+)' }] },
  odooDatabase: plain,
  odooKeyField: { placeholder: 'description' },
  odooOeeModel: { placeholder: 'x_fh_shift_oee' },
  erpnextConfirmAs: { input: 'select', options: [{ value: 'job-card', text: 'Job Card (time log)' }, { value: 'stock-entry', text: 'Stock Entry "Manufacture"' }] },
  erpnextKeyField: { placeholder: 'remarks' },
  erpnextOeeDocType: { placeholder: 'Shift OEE' },
  restBody: { input: 'textarea', rows: 6, width: '70%', monospace: true },
  restLookupUrl: plain,
  restKinds: plain,
  restIdempotent: { input: 'checkbox' },
  tlsVerify: { input: 'checkbox' },
  ca: { input: 'textarea', width: '70%', monospace: true, placeholder: '-----BEGIN CERTIFICATE-----' },
  timeZone: { placeholder: 'Europe/Berlin' },
  maxRecordKB: { width: '90px', unit: 'KiB' },
  concurrency: { width: '60px' },
  settle: { width: '60px', unit: 's' },
  maxAttempts500: { width: '60px' },
};

function showFor(): void {
  const d = $('#node-config-input-dialect').val() ?? '';
  const auth = $('#node-config-input-authType');
  const allowed = AUTH[d] ?? [];
  auth.find('option').each(function () {
    $(this).toggle(allowed.includes($(this).val() ?? ''));
  });
  if (!allowed.includes(auth.val() ?? '') && allowed[0] !== undefined) auth.val(allowed[0]);
  $('.fh-erp-d').hide();
  $(`.fh-erp-d-${d}`).show();
  $('.fh-erp-a').hide();
  $(`.fh-erp-a-${auth.val() ?? ''}`).show();
  // Odoo's JSON-RPC logs in with a user and password.
  if (d === 'odoo' && $('#node-config-input-odooApi').val() === 'jsonrpc') $('.fh-erp-a-basic').show();
}

const connection: NodeEditor = {
  rows: connectionRows,
  definition: (): NodeDefinition => ({
    category: 'config',
    defaults: {
      name: { value: '' },
      dialect: { value: 'sap-odata', required: true, validate: oneOf(...Object.keys(AUTH)) },
      baseUrl: { value: '', required: true, validate: pattern(/^https?:\/\/[^\s/]+(\/\S*)?$/) },
      authType: { value: 'basic', validate: withNode((v, node) => { const allowed = AUTH[text(value(node, 'dialect'))]; return allowed === undefined || allowed.includes(text(v)); }) },
      apiKeyHeader: { value: 'X-API-Key', validate: when((n) => value(n, 'authType') === 'api-key', (v) => /^[A-Za-z0-9-]+$/.test(text(v || ''))) },
      tokenUrl: { value: '', validate: when((n) => value(n, 'authType') === 'oauth2', (v) => /^https?:\/\/\S+$/.test(text(v || ''))) },
      scope: { value: '' },
      clientAuth: { value: 'basic', validate: oneOf('basic', 'body') },
      tlsVerify: { value: true },
      ca: { value: '', validate: (v) => !v || text(v).includes('-----BEGIN CERTIFICATE-----') },
      connectTimeout: { value: 10, validate: numberIn(0.1, 120, { blank: 'invalid' }) },
      timeout: { value: 30, validate: numberIn(0.1, 600, { blank: 'invalid' }) },
      concurrency: { value: 4, validate: numberIn(1, 64, { blank: 'invalid' }) },
      retryBase: { value: 1, validate: numberIn(0.01, 3600, { blank: 'invalid' }) },
      retryCap: { value: 300, validate: numberIn(0.05, 86400, { blank: 'invalid' }) },
      settle: { value: '', validate: numberIn(0, 600, { blank: 'valid' }) },
      maxAttempts500: { value: 10, validate: numberIn(1, 1000, { blank: 'invalid' }) },
      maxRecords: { value: 100000, validate: numberIn(1, 10000000, { blank: 'invalid' }) },
      maxMB: { value: 256, validate: numberIn(0.001, 100000, { blank: 'invalid' }) },
      maxRecordKB: { value: 1024, validate: numberIn(1, 65536, { blank: 'valid' }) },
      timeZone: { value: 'UTC', validate: pattern(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/) },
      sapServicePath: { value: '/sap/opu/odata/sap/API_PROD_ORDER_CONFIRMATION_2_SRV', validate: pattern(/^\/\S*$/) },
      sapClient: { value: '', validate: pattern(/^(\d{3})?$/) },
      sapExternalId: { value: true },
      sapActivitySlots: { value: 'setup=1, machine=2, labour=3', validate: pattern(/^\s*([A-Za-z][\w-]*\s*=\s*[1-6]\s*([,;]\s*|$))*$/) },
      odooApi: { value: 'jsonrpc', validate: oneOf('jsonrpc', 'json2') },
      // JSON-2 finds the database from the host name; JSON-RPC needs it named.
      odooDatabase: { value: '', validate: when((n) => dialectIs('odoo')(n) && value(n, 'odooApi') !== 'json2', filled) },
      odooKeyField: { value: '', validate: pattern(/^(x_\w+)?$/) },
      odooOeeModel: { value: '' },
      erpnextKeyField: { value: '', validate: pattern(/^([a-z][a-z0-9_]*)?$/) },
      erpnextConfirmAs: { value: 'job-card', validate: oneOf('job-card', 'stock-entry') },
      erpnextOeeDocType: { value: '' },
      restMethod: { value: 'POST', validate: oneOf('POST', 'PUT', 'PATCH') },
      restUrl: { value: '/bookings', validate: when(dialectIs('rest'), filled) },
      restBody: {
        value: '{"key": "{{key}}", "kind": "{{kind}}", "order": "{{order?}}", "yield": "{{yield?}}", "start": "{{start?}}", "end": "{{end?}}"}',
        // JSON, and the key somewhere in the URL or the body, so that a resend is recognised.
        validate: when(dialectIs('rest'), (v, node) => {
          try {
            JSON.parse(text(v));
          } catch {
            return false;
          }
          return KEY_PLACEHOLDER.test(`${text(v)} ${text(value(node, 'restUrl'))}`);
        }),
      },
      restLookupUrl: {
        value: '/bookings?key={{key}}',
        validate: when(dialectIs('rest'), (v, node) => (v ? KEY_PLACEHOLDER.test(text(v)) : value(node, 'restIdempotent') === true)),
      },
      restKinds: { value: 'confirmation,downtime,shift-oee', validate: pattern(/^\s*(confirmation|downtime|shift-oee)(\s*,\s*(confirmation|downtime|shift-oee))*\s*$/) },
      restIdempotent: { value: false },
    },
    credentials: ERP_CREDENTIALS,
    label(this: EditorNode): string {
      return this.name || `${text(this.dialect)} ${text(this.baseUrl)}`;
    },
    oneditprepare(): void {
      $('#node-config-input-dialect').on('change', showFor);
      $('#node-config-input-authType').on('change', showFor);
      $('#node-config-input-odooApi').on('change', showFor);
      showFor();
    },
  }),
};

/** `field = msg.path` pairs, the fields an ERP record has. */
const MAPPING =
  /^\s*((kind|key|order|operation|workCenter|plant|yield|scrap|rework|unit|activities|start|end|postingDate|reason|final|employee|shift|oee|extra)\s*=\s*(msg\.)?[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*|\[\d+\])*\s*([,;]\s*|$))*$/;
const KINDS = ['confirmation', 'downtime', 'shift-oee'];

const post: NodeEditor = {
  rows: {
    name: { icon: 'tag' },
    connection: { icon: 'building' },
    kind: { icon: 'list', input: 'select', options: keyedOptions('kind', KINDS) },
    mapping: { icon: 'exchange', placeholder: 'order=topic, yield=payload' },
  },
  definition: (): NodeDefinition => ({
    category: 'factory hub',
    defaults: {
      name: { value: '' },
      connection: { value: '', type: 'fh-erp-connection', required: true },
      kind: { value: 'confirmation', validate: oneOf(...KINDS) },
      mapping: { value: '', validate: pattern(MAPPING) },
    },
    inputs: 1,
    outputs: 2,
    outputLabels(this: EditorNode, i: number): string {
      return this._?.(`fh-erp-post.outputs.${i === 0 ? 'accepted' : 'events'}`) ?? '';
    },
    align: 'right',
    label(this: EditorNode): string {
      return this.name || `erp ${text(this.kind) || 'post'}`;
    },
    labelStyle: namedStyle,
  }),
};

export const ERP = { 'fh-erp-connection': connection, 'fh-erp-post': post };
