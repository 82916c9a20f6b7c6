/// <reference lib="dom" />
/** The edit dialog of fh-opcua-method: the server, the object and the method to call (NodeIds). */
import { namedStyle, text } from './definition';
import type { EditorNode, NodeDefinition, NodeEditor } from './definition';
import { BROWSE_ROW, DEVICE_ROW, NAME_ROW } from './form-rows';
import { $ } from './jquery';
import { openBrowse } from './opcua-tools';
import { pattern } from './validators';

/** Empty (the message names it) or shaped like a NodeId; the runtime checks it in full. */
const NODE_ID_OR_EMPTY = /^(|\s*(ns=\d+;|nsu=[^;]+;)?[isgb]=.+)$/;

const method: NodeEditor = {
  rows: {
    name: NAME_ROW,
    endpoint: DEVICE_ROW,
    objectId: { icon: 'cube', placeholder: 'ns=2;s=Line1.Filler', monospace: true },
    methodId: { icon: 'play', placeholder: 'ns=2;s=Line1.Filler.Start', monospace: true },
    browse: BROWSE_ROW,
  },
  definition: (): NodeDefinition => ({
    category: 'factory hub',
    inputs: 1,
    outputs: 1,
    defaults: {
      name: { value: '' },
      endpoint: { value: '', type: 'fh-opcua-endpoint', required: true },
      objectId: { value: '', validate: pattern(NODE_ID_OR_EMPTY) },
      methodId: { value: '', validate: pattern(NODE_ID_OR_EMPTY) },
    },
    label(this: EditorNode): string {
      const id = text(this.methodId);
      return this.name || (id ? `call ${id.split(/[;.=]/).pop() ?? id}` : 'opcua method');
    },
    labelStyle: namedStyle,
    oneditprepare(): void {
      $('#node-input-browse').on('click', () => openBrowse({ endpoint: $('#node-input-endpoint').val() }));
    },
  }),
};

export const OPCUA_METHOD = { 'fh-opcua-method': method };
