/// <reference lib="dom" />
/** The edit dialogs of the UNS family: the MQTT broker (URLs, TLS, credentials) and uns publish. */
import { dialogValue, namedStyle, text } from './definition';
import type { EditorNode, NodeDefinition, NodeEditor } from './definition';
import { NAME_ROW, TAG_MAP_ROW, keyedOptions } from './form-rows';
import { $ } from './jquery';
import { numberIn, oneOf, pattern, when } from './validators';

const URLS = /^\s*((mqtts?|wss?|tcp|ssl):\/\/[^\s/,]+\S*)(\s*[\s,]\s*(mqtts?|wss?|tcp|ssl):\/\/[^\s/,]+\S*)*\s*$/;
const ID = /^[^/+#\s]+$/;
const PEM = (v: unknown): boolean => !v || text(v).includes('-----BEGIN CERTIFICATE-----');

const broker: NodeEditor = {
  rows: {
    name: NAME_ROW,
    urls: { icon: 'globe', placeholder: 'mqtt://broker:1883, mqtt://standby:1883' },
    protocol: { icon: 'code-fork', input: 'select', options: [{ value: '4', text: 'MQTT 3.1.1' }, { value: '5', text: 'MQTT 5' }] },
    clientId: { icon: 'id-badge' },
    username: { icon: 'user', noAutofill: true },
    password: { icon: 'lock', input: 'password', noAutofill: true },
    tlsVerify: { input: 'checkbox' },
    ca: { input: 'textarea', width: '70%', monospace: true, placeholder: '-----BEGIN CERTIFICATE-----' },
    cert: { input: 'textarea', width: '70%', monospace: true, placeholder: '-----BEGIN CERTIFICATE-----' },
    key: { input: 'password', noAutofill: true },
    keepalive: { width: '60px', unit: 's' },
    connectTimeout: { width: '60px', unit: 's' },
    retry: { width: '60px', unit: 's' },
  },
  definition: (): NodeDefinition => ({
    category: 'config',
    defaults: {
      name: { value: '' },
      urls: { value: 'mqtt://127.0.0.1:1883', required: true, validate: pattern(URLS) },
      protocol: { value: '4', validate: oneOf('4', '5') },
      clientId: { value: '', validate: pattern(/^([^/+#\s]*)$/) },
      tlsVerify: { value: true },
      ca: { value: '', validate: PEM },
      cert: { value: '', validate: PEM },
      keepalive: { value: 30, validate: numberIn(5, 3600, { blank: 'valid' }) },
      connectTimeout: { value: 10, validate: numberIn(0.1, 120, { blank: 'valid' }) },
      retry: { value: 5, validate: numberIn(0.05, 3600, { blank: 'valid' }) },
    },
    credentials: { username: { type: 'text' }, password: { type: 'password' }, key: { type: 'password' } },
    label(this: EditorNode): string {
      return this.name || text(this.urls).split(/[\s,]+/)[0] || 'MQTT broker';
    },
  }),
};

/** The two forms of the namespace, shared with the uns subscribe dialog. */
export const FORMS = ['sparkplug', 'json'];
export const BROKER_ROW = { icon: 'server' } as const;
export const FORM_ROW = { icon: 'list', input: 'select', options: keyedOptions('form', FORMS) } as const;
const isSparkplug = (node: EditorNode): boolean => dialogValue(node, 'form', false) !== 'json';

/** Shows the rows of the chosen form (class fh-uns-sparkplug or fh-uns-json). */
export function showForm(): void {
  const json = $('#node-input-form').val() === 'json';
  $('.fh-uns-sparkplug').toggle(!json);
  $('.fh-uns-json').toggle(json);
}

const publish: NodeEditor = {
  rows: {
    name: NAME_ROW,
    broker: BROKER_ROW,
    form: FORM_ROW,
    group: { icon: 'sitemap', placeholder: 'plant1' },
    edgeNode: { icon: 'cube', placeholder: 'line1' },
    deviceLevel: { width: '60px' },
    primaryHost: { icon: 'desktop', placeholder: 'scada1' },
    root: { icon: 'sitemap', placeholder: 'uns' },
    tagMap: TAG_MAP_ROW,
    maxValues: { width: '110px' },
    maxAgeH: { width: '70px', unit: 'h' },
  },
  definition: (): NodeDefinition => ({
    category: 'factory hub',
    defaults: {
      name: { value: '' },
      broker: { value: '', type: 'fh-mqtt-broker', required: true },
      form: { value: 'sparkplug', validate: oneOf(...FORMS) },
      group: { value: '', validate: when(isSparkplug, (v) => ID.test(text(v))) },
      edgeNode: { value: '', validate: when(isSparkplug, (v) => ID.test(text(v))) },
      deviceLevel: { value: 4, validate: numberIn(0, 16, { blank: 'valid' }) },
      primaryHost: { value: '', validate: pattern(/^([^/+#\s]+)?$/) },
      root: { value: '', validate: pattern(/^([^+#\s/]+(\/[^+#\s/]+)*)?$/) },
      tagMap: { value: '', type: 'fh-tag-map' },
      maxValues: { value: 1000000, validate: numberIn(1, 100000000, { blank: 'valid' }) },
      maxAgeH: { value: 168, validate: numberIn(0.001, 8760, { blank: 'valid' }) },
    },
    inputs: 1,
    outputs: 1,
    outputLabels(this: EditorNode): string {
      return this._?.('fh-uns-publish.outputs.accepted') ?? '';
    },
    align: 'right',
    label(this: EditorNode): string {
      return this.name || (text(this.form) === 'json' ? `uns ${text(this.root) || 'json'}` : `spB ${text(this.group)}/${text(this.edgeNode)}`);
    },
    labelStyle: namedStyle,
    oneditprepare(): void {
      $('#node-input-form').on('change', showForm);
      showForm();
    },
  }),
};

export const UNS = { 'fh-mqtt-broker': broker, 'fh-uns-publish': publish };
