/// <reference lib="dom" />
/** The edit dialogs of the OPC UA family: server (fh-opcua-endpoint), read, subscribe and write. */
import { adminFetch } from '../../tags/editor/red';
import { dialogValue, namedStyle, text } from './definition';
import type { EditorNode, NodeDefinition, NodeEditor } from './definition';
import { shortLabel } from '../../shared/display-names';
import { BROWSE_ROW, DEVICE_ROW, NAME_ROW, PREFIX_ROW, TAG_MAP_ROW, keyedOptions } from './form-rows';
import type { RowSpecs } from './form-rows';
import { $ } from './jquery';
import { browseButton, errorText, loadCertificates, openBrowse, t } from './opcua-tools';
import { PREFIX, numberIn, oneOf, pattern, when, wholeIn, withNode } from './validators';

const POLICY = /^(None|Basic256Sha256|Aes128_Sha256_RsaOaep|Aes256_Sha256_RsaPss)$/;
const polls = new WeakMap<EditorNode, ReturnType<typeof setTimeout> | null>();

function stopPolling(node: EditorNode): void {
  const timer = polls.get(node);
  if (timer) clearTimeout(timer);
  polls.delete(node);
}

/** The session state is followed while the dialog is open: after a trust it turns to connected. */
function followState(node: EditorNode): void {
  const state = $('#fh-ua-endpoint-state');
  const certs = $('#fh-ua-endpoint-certs');
  let shown: string | null = null;
  const poll = async (): Promise<void> => {
    const res = await adminFetch(`factoryhub/opcua/endpoints/${encodeURIComponent(node.id)}/state`).catch(() => ({ status: 0, body: undefined }));
    if (res.status === 200) {
      const s = res.body as { text: string; state: string; thumbprint?: string };
      state.text(s.text).toggleClass('fh-ua-state-error', s.state === 'error' || s.state === 'config');
      const thumbprint = s.thumbprint ?? '';
      if (thumbprint !== shown) {
        shown = thumbprint;
        void loadCertificates(certs, thumbprint);
      }
    } else {
      state.text(res.status === 404 ? t('state.notDeployed') : errorText(res));
      if (shown === null) {
        shown = '';
        void loadCertificates(certs);
      }
    }
    if (polls.has(node)) polls.set(node, setTimeout(() => void poll(), 2000));
  };
  polls.set(node, null);
  void poll();
  $('#fh-ua-endpoint-refresh').on('click', () => void loadCertificates(certs, shown));
  $('#fh-ua-endpoint-browse').on('click', () => openBrowse({ endpoint: node.id }));
}

const endpoint: NodeEditor = {
  rows: {
    name: NAME_ROW,
    endpointUrl: { icon: 'globe', placeholder: 'opc.tcp://plc.line1:4840' },
    authentication: { icon: 'user', input: 'select', options: keyedOptions('auth', ['anonymous', 'username', 'certificate']) },
    user: { icon: 'user-o', noAutofill: true },
    password: { icon: 'key', input: 'password', noAutofill: true },
    userCertificate: { icon: 'certificate', input: 'textarea', width: '70%', monospace: true, placeholderKey: 'hint.pemOrPath' },
    userPrivateKey: { icon: 'key', input: 'textarea', width: '70%', monospace: true, placeholderKey: 'hint.pemOrPath' },
    reconnectMax: { icon: 'refresh', width: '80px', unit: 's' },
  },
  definition: (): NodeDefinition => ({
    category: 'config',
    defaults: {
      name: { value: '' },
      endpointUrl: { value: 'opc.tcp://127.0.0.1:4840', required: true, validate: pattern(/^opc\.tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?(\/\S*)?$/) },
      securityMode: { value: 'SignAndEncrypt', validate: oneOf('None', 'Sign', 'SignAndEncrypt') },
      securityPolicy: {
        value: 'Basic256Sha256',
        validate: withNode((v, node) => {
          const mode = dialogValue(node, 'securityMode', true) || node.securityMode;
          if (!POLICY.test(typeof v === 'string' ? v : '')) return false;
          return mode === 'None' ? v === 'None' : v !== 'None';
        }),
      },
      authentication: { value: 'anonymous', validate: oneOf('anonymous', 'username', 'certificate') },
      reconnectMax: { value: 30, validate: numberIn(1, 3600) },
    },
    credentials: { user: { type: 'text' }, password: { type: 'password' }, userCertificate: { type: 'text' }, userPrivateKey: { type: 'password' } },
    label(this: EditorNode): string {
      return this.name || text(this.endpointUrl) || 'OPC UA server';
    },
    oneditprepare(this: EditorNode): void {
      const show = (): void => {
        const mode = $('#node-config-input-securityMode').val();
        const auth = $('#node-config-input-authentication').val();
        const policy = $('#node-config-input-securityPolicy');
        if (mode === 'None') policy.val('None');
        else if (policy.val() === 'None') policy.val('Basic256Sha256');
        policy.prop('disabled', mode === 'None');
        $('.fh-ua-user').toggle(auth === 'username');
        $('.fh-ua-x509').toggle(auth === 'certificate');
        $('.fh-ua-none-warning').toggle(mode === 'None' && auth === 'username');
      };
      $('#node-config-input-securityMode').on('change', show);
      $('#node-config-input-authentication').on('change', show);
      show();
      followState(this);
    },
    oneditsave(this: EditorNode): void {
      // The policy select is disabled for mode None; disabled inputs are not saved by the editor.
      $('#node-config-input-securityPolicy').prop('disabled', false);
      stopPolling(this);
    },
    oneditcancel(this: EditorNode): void {
      stopPolling(this);
    },
    oneditdelete(this: EditorNode): void {
      stopPolling(this);
    },
  }),
};

/** Rows of the read, subscribe and write dialogs: the server, a tag map, the tags under a prefix. */
const SERVER_ROWS: RowSpecs = { name: NAME_ROW, endpoint: DEVICE_ROW, tagMap: TAG_MAP_ROW, prefix: PREFIX_ROW, browse: BROWSE_ROW };
const serverDefaults = (): NodeDefinition['defaults'] => ({
  name: { value: '' },
  endpoint: { value: '', type: 'fh-opcua-endpoint', required: true },
  tagMap: { value: '', type: 'fh-tag-map', required: false },
  prefix: { value: '', validate: pattern(PREFIX) },
});

/** A read, subscribe or write node: its label names what it does and the last part of its prefix. */
function serverNode(verb: string, fallback: string, more: Partial<NodeDefinition>): NodeDefinition {
  return {
    category: 'factory hub',
    inputs: 1,
    outputs: 1,
    ...more,
    defaults: { ...serverDefaults(), ...more.defaults },
    label(this: EditorNode): string {
      return this.name || shortLabel(verb, this.prefix, fallback);
    },
    labelStyle: namedStyle,
    oneditprepare(this: EditorNode): void {
      more.oneditprepare?.call(this);
      browseButton();
    },
  };
}

const read: NodeEditor = {
  rows: { ...SERVER_ROWS, output: { icon: 'sign-out', input: 'select', options: keyedOptions('output', ['each', 'object']) } },
  definition: () => serverNode('read', 'opcua read', { defaults: { output: { value: 'each', validate: oneOf('each', 'object') } } }),
};

const deadbandType = (node: EditorNode): unknown => dialogValue(node, 'deadbandType', false) || node.deadbandType;
const subscribe: NodeEditor = {
  rows: {
    ...SERVER_ROWS,
    samplingInterval: { icon: 'clock-o', width: '100px', unit: 'ms' },
    publishingInterval: { icon: 'paper-plane-o', width: '100px', unit: 'ms' },
    queueSize: { icon: 'bars', width: '100px' },
    output: { icon: 'sign-out', input: 'select', options: keyedOptions('output', ['each', 'batch']) },
  },
  definition: () =>
    serverNode('subscribe', 'opcua sub', {
      defaults: {
        samplingInterval: { value: 500, validate: wholeIn(0, 86400000, { blank: 'invalid' }) },
        publishingInterval: { value: 1000, validate: wholeIn(10, 86400000, { blank: 'invalid' }) },
        queueSize: { value: 10, validate: wholeIn(1, 100000, { blank: 'invalid' }) },
        deadbandType: { value: 'none', validate: oneOf('none', 'absolute', 'percent') },
        deadband: {
          value: 0,
          validate: when(
            (node) => deadbandType(node) !== 'none',
            (v, node) => numberIn(0, deadbandType(node) === 'percent' ? 100 : Infinity, { blank: 'invalid' })(v),
          ),
        },
        output: { value: 'each', validate: oneOf('each', 'batch') },
        keepAlive: { value: false },
      },
      oneditprepare(): void {
        const show = (): void => void $('.fh-ua-deadband').toggle($('#node-input-deadbandType').val() !== 'none');
        $('#node-input-deadbandType').on('change', show);
        show();
      },
    }),
};

const write: NodeEditor = {
  rows: SERVER_ROWS,
  definition: () => serverNode('write', 'opcua write', { align: 'right' }),
};

export const OPCUA = { 'fh-opcua-endpoint': endpoint, 'fh-opcua-read': read, 'fh-opcua-subscribe': subscribe, 'fh-opcua-write': write };
