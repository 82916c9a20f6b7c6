/// <reference lib="dom" />
/** The edit dialogs of the Modbus family: device (fh-modbus-client), read and write. */
import { dialogValue, namedStyle, text } from './definition';
import type { EditorNode, NodeDefinition, NodeEditor } from './definition';
import { shortLabel } from '../../shared/display-names';
import { DEVICE_ROW, NAME_ROW, PREFIX_ROW, TAG_MAP_ROW, keyedOptions } from './form-rows';
import type { RowSpecs } from './form-rows';
import { $ } from './jquery';
import { PREFIX, anyOf, editorNumber, numberIn, oneOf, pattern, when, wholeIn, withNode } from './validators';

const transport = (node: EditorNode): unknown => dialogValue(node, 'transport', true) || node.transport;
const overTcp = (node: EditorNode): boolean => transport(node) !== 'rtu';
const oneInFlight = wholeIn(1, 32, { blank: 1 });

const client: NodeEditor = {
  rows: {
    name: NAME_ROW,
    transport: { icon: 'plug', input: 'select', options: keyedOptions('transport', ['tcp', 'rtu-over-tcp', 'rtu']) },
    serialPath: { icon: 'random', placeholder: '/dev/ttyUSB0' },
    unitId: { icon: 'hashtag', width: '70px' },
    timeout: { icon: 'clock-o', width: '80px', unit: 'ms' },
    maxInFlight: { icon: 'exchange', width: '70px', hintKey: 'hint.maxInFlight' },
    suspendAfter: { icon: 'pause', width: '70px', hintKey: 'hint.suspendAfter' },
    reconnectMax: { icon: 'refresh', width: '80px', unit: 's' },
  },
  definition: (): NodeDefinition => ({
    category: 'config',
    defaults: {
      name: { value: '' },
      transport: { value: 'tcp', required: true, validate: oneOf('tcp', 'rtu', 'rtu-over-tcp') },
      host: { value: '127.0.0.1', validate: when(overTcp, (v) => /^[A-Za-z0-9.:_-]+$/.test(text(v || ''))) },
      port: { value: 502, validate: when(overTcp, wholeIn(1, 65535)) },
      serialPath: { value: '', validate: when((n) => !overTcp(n), (v) => typeof v === 'string' && v.trim().length > 0) },
      baudRate: { value: 9600, validate: editorNumber() },
      parity: { value: 'none', validate: oneOf('none', 'even', 'odd') },
      dataBits: { value: 8, validate: pattern(/^[78]$/) },
      stopBits: { value: 1, validate: pattern(/^[12]$/) },
      unitId: { value: 1, validate: wholeIn(0, 255) },
      timeout: { value: 1000, validate: wholeIn(10, 60000) },
      // RTU carries no transaction id: one request at a time.
      maxInFlight: { value: 1, validate: withNode((v, node) => oneInFlight(v) && (transport(node) === 'tcp' || Number(v === '' || v === undefined ? 1 : v) === 1)) },
      suspendAfter: { value: 3, validate: wholeIn(1, 100, { blank: 3 }) },
      reconnectMax: { value: 30, validate: wholeIn(1, 3600) },
    },
    label(this: EditorNode): string {
      if (this.name) return this.name;
      return this.transport === 'rtu' ? text(this.serialPath) || 'Modbus RTU' : `${text(this.host)}:${text(this.port) || 502}`;
    },
    oneditprepare(): void {
      const show = (): void => {
        const t = $('#node-config-input-transport').val();
        $('.fh-modbus-tcp').toggle(t !== 'rtu');
        $('.fh-modbus-serial').toggle(t === 'rtu');
        // Only Modbus TCP has a transaction id to match answers: RTU links stay at one.
        $('.fh-modbus-inflight').toggle(t === 'tcp');
        if (t !== 'tcp') $('#node-config-input-maxInFlight').val(1);
      };
      $('#node-config-input-transport').on('change', show);
      show();
    },
  }),
};

/** Rows of the read and write dialogs: the device, its tag map, the tags under a prefix. */
const DEVICE_ROWS: RowSpecs = { name: NAME_ROW, client: DEVICE_ROW, tagMap: TAG_MAP_ROW, prefix: PREFIX_ROW };
const deviceDefaults = (): NodeDefinition['defaults'] => ({
  name: { value: '' },
  client: { value: '', type: 'fh-modbus-client', required: true },
  tagMap: { value: '', type: 'fh-tag-map', required: true },
  prefix: { value: '', validate: pattern(PREFIX) },
});

const read: NodeEditor = {
  rows: {
    ...DEVICE_ROWS,
    interval: { icon: 'clock-o', width: '100px', unit: 'ms' },
    output: { icon: 'sign-out', input: 'select', options: keyedOptions('output', ['changes', 'all', 'scan']) },
    staleAfter: { icon: 'hourglass-end', width: '100px', unit: 's' },
    maxGap: { icon: 'compress', width: '100px' },
    slowTags: { icon: 'hourglass-half', placeholderKey: 'placeholder.slowTags' },
  },
  definition: (): NodeDefinition => ({
    category: 'factory hub',
    defaults: {
      ...deviceDefaults(),
      // 0 scans on input only: a new node polls no device before someone chose how often.
      interval: { value: 0, validate: anyOf(wholeIn(0, 0), wholeIn(10, 86400000)) },
      output: { value: 'changes', validate: oneOf('changes', 'all', 'scan') },
      staleAfter: { value: 10, validate: (v) => numberIn(0, 86400)(v) && Number(v) > 0 },
      maxGap: { value: 10, validate: wholeIn(0, 125) },
      slowTags: { value: '', validate: pattern(/^[A-Za-z0-9_./*\s,-]*$/) },
      slowEvery: { value: 10, validate: wholeIn(1, 10000, { blank: 10 }) },
      slowTimeout: { value: '', validate: wholeIn(10, 60000, { blank: 'valid' }) },
    },
    inputs: 1,
    outputs: 1,
    label(this: EditorNode): string {
      return this.name || shortLabel('read', this.prefix, 'modbus read');
    },
    labelStyle: namedStyle,
  }),
};

const write: NodeEditor = {
  rows: { ...DEVICE_ROWS, readBack: { input: 'checkbox' } },
  definition: (): NodeDefinition => ({
    category: 'factory hub',
    defaults: { ...deviceDefaults(), readBack: { value: true } },
    inputs: 1,
    outputs: 1,
    align: 'right',
    label(this: EditorNode): string {
      return this.name || shortLabel('write', this.prefix, 'modbus write');
    },
    labelStyle: namedStyle,
  }),
};

export const MODBUS = { 'fh-modbus-client': client, 'fh-modbus-read': read, 'fh-modbus-write': write };
