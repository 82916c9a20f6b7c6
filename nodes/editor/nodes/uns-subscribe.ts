/// <reference lib="dom" />
/** The edit dialog of uns subscribe: broker, form, the Sparkplug group or the JSON root. */
import { dialogValue, namedStyle, text } from './definition';
import type { EditorNode, NodeDefinition, NodeEditor } from './definition';
import { NAME_ROW } from './form-rows';
import { $ } from './jquery';
import { BROKER_ROW, FORMS, FORM_ROW, showForm } from './uns';
import { oneOf, pattern, when } from './validators';


const subscribe: NodeEditor = {
  rows: {
    name: NAME_ROW,
    broker: BROKER_ROW,
    form: FORM_ROW,
    group: { icon: 'sitemap', placeholder: '+' },
    root: { icon: 'sitemap', placeholder: 'uns' },
  },
  definition: (): NodeDefinition => ({
    category: 'factory hub',
    defaults: {
      name: { value: '' },
      broker: { value: '', type: 'fh-mqtt-broker', required: true },
      form: { value: 'sparkplug', validate: oneOf(...FORMS) },
      group: { value: '+', validate: when((n) => dialogValue(n, 'form', false) !== 'json', (v) => /^(\+|[^/+#\s]+)?$/.test(text(v))) },
      root: { value: '', validate: pattern(/^([^+#\s/]+(\/[^+#\s/]+)*)?$/) },
    },
    inputs: 0,
    outputs: 1,
    outputLabels(this: EditorNode): string {
      return this._?.('fh-uns-subscribe.outputs.values') ?? '';
    },
    label(this: EditorNode): string {
      return this.name || (text(this.form) === 'json' ? `uns ${text(this.root) || '#'}` : `spB host ${text(this.group) || '+'}`);
    },
    labelStyle: namedStyle,
    oneditprepare(): void {
      $('#node-input-form').on('change', showForm);
      showForm();
    },
  }),
};

export const UNS_SUBSCRIBE = { 'fh-uns-subscribe': subscribe };
