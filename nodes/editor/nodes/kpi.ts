/// <reference lib="dom" />
/** The edit dialogs of the KPI history family: the store (SQLite or PostgreSQL), kpi write and kpi query. */
import { dialogValue, namedStyle, text } from './definition';
import type { EditorNode, NodeDefinition, NodeEditor } from './definition';
import { NAME_ROW, keyedOptions } from './form-rows';
import { $ } from './jquery';
import { oneOf, pattern, wholeIn, when } from './validators';

const isPostgres = (node: EditorNode): boolean => dialogValue(node, 'backend', true) === 'postgres';
/** A URL without a password (that lives in the credentials) and without sslmode (the TLS rows say it). */
const PG_URL = /^postgres(ql)?:\/\/[^:@\s]+@[^\s/]+\/\S+$/;
const DAYS = wholeIn(0, 36500, { blank: 'valid' });
const STORE_ROW = { icon: 'database' } as const;

function showBackend(): void {
  const pg = $('#node-config-input-backend').val() === 'postgres';
  $('.fh-kpi-sqlite').toggle(!pg);
  $('.fh-kpi-pg').toggle(pg);
}

const store: NodeEditor = {
  rows: {
    name: NAME_ROW,
    backend: { icon: 'database', input: 'select', options: keyedOptions('backend', ['sqlite', 'postgres']) },
    file: { icon: 'file', placeholder: 'factoryhub/kpi/kpi.sqlite' },
    url: { icon: 'globe', placeholder: 'postgres://hub@db.plant.local:5432/kpi' },
    password: { icon: 'key', input: 'password', noAutofill: true },
    tlsVerify: { input: 'checkbox' },
    ca: { icon: 'certificate', input: 'textarea', rows: 3, width: '70%', monospace: true, placeholder: '-----BEGIN CERTIFICATE-----' },
    timeZone: { icon: 'globe', placeholder: 'Europe/Berlin' },
    sampleInterval: { icon: 'line-chart', width: '80px', unit: 's' },
    maxQueued: { icon: 'inbox', width: '120px' },
  },
  definition: (): NodeDefinition => ({
    category: 'config',
    defaults: {
      name: { value: '' },
      backend: { value: 'sqlite', validate: oneOf('sqlite', 'postgres') },
      file: { value: 'factoryhub/kpi/kpi.sqlite' },
      url: { value: '', validate: when(isPostgres, (v) => PG_URL.test(text(v || ''))) },
      tlsVerify: { value: true },
      ca: { value: '', validate: (v) => !v || text(v).includes('-----BEGIN CERTIFICATE-----') },
      timeZone: { value: 'UTC', validate: pattern(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/) },
      retainShiftsDays: { value: 0, validate: DAYS },
      retainStopsDays: { value: 0, validate: DAYS },
      retainOrdersDays: { value: 0, validate: DAYS },
      retainSamplesDays: { value: 90, validate: DAYS },
      sampleInterval: { value: 60, validate: wholeIn(1, 86400, { blank: 'valid' }) },
      maxQueued: { value: 1000000, validate: wholeIn(1000, 100000000, { blank: 'valid' }) },
    },
    credentials: { password: { type: 'password' } },
    label(this: EditorNode): string {
      if (this.name) return this.name;
      return this.backend === 'postgres' ? `kpi ${text(this.url).replace(/^postgres(ql)?:\/\//, '')}` : `kpi ${text(this.file) || 'sqlite'}`;
    },
    oneditprepare(): void {
      $('#node-config-input-backend').on('change', showBackend);
      showBackend();
    },
  }),
};

const write: NodeEditor = {
  rows: { name: NAME_ROW, store: STORE_ROW, samples: { input: 'checkbox' } },
  definition: (): NodeDefinition => ({
    category: 'factory hub',
    defaults: {
      name: { value: '' },
      store: { value: '', type: 'fh-kpi-store', required: true },
      samples: { value: false },
    },
    inputs: 1,
    outputs: 0,
    align: 'right',
    label(this: EditorNode): string {
      return this.name || 'kpi write';
    },
    labelStyle: namedStyle,
  }),
};

/** A query is a JSON object (queries.ts checks what it asks for at run time); blank: the message brings it. */
function queryObject(v: unknown): boolean {
  if (!v) return true;
  try {
    const q: unknown = JSON.parse(text(v));
    return typeof q === 'object' && q !== null && !Array.isArray(q);
  } catch {
    return false;
  }
}

const query: NodeEditor = {
  rows: {
    name: NAME_ROW,
    store: STORE_ROW,
    query: { icon: 'search', input: 'textarea', rows: 4, width: '70%', monospace: true },
    format: { icon: 'file-text-o', input: 'select', options: keyedOptions('format', ['json', 'csv']) },
    decimal: { icon: 'percent', input: 'select', options: [{ value: '.', text: '1234.5' }, { value: ',', text: '1234,5' }] },
  },
  definition: (): NodeDefinition => ({
    category: 'factory hub',
    defaults: {
      name: { value: '' },
      store: { value: '', type: 'fh-kpi-store', required: true },
      query: { value: '{"type": "oee", "by": "machine", "period": "day"}', validate: queryObject },
      format: { value: 'json', validate: oneOf('json', 'csv') },
      decimal: { value: '.', validate: oneOf('.', ',') },
    },
    inputs: 1,
    outputs: 1,
    outputLabels(this: EditorNode): string {
      return this._?.('fh-kpi-query.outputs.result') ?? '';
    },
    label(this: EditorNode): string {
      if (this.name) return this.name;
      try {
        return `kpi ${text((JSON.parse(text(this.query) || '{}') as { type?: unknown }).type) || 'query'}`;
      } catch {
        return 'kpi query';
      }
    },
    labelStyle: namedStyle,
  }),
};

export const KPI = { 'fh-kpi-store': store, 'fh-kpi-write': write, 'fh-kpi-query': query };
