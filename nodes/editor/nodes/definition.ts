/// <reference lib="dom" />
/**
 * What a node type gives RED.nodes.registerType (Node-RED's node definition), typed for our nodes, and
 * the one way our validators read a property that another property depends on.
 */
import type { RowSpecs } from './form-rows';
import { $ } from './jquery';

/** An edited node as the editor hands it to validators, labels and the edit hooks (`this`). */
export interface EditorNode {
  readonly id: string;
  readonly type: string;
  name?: string;
  _?: (key: string, options?: object) => string;
  [property: string]: unknown;
}

/** Node-RED's validator: true, false, or (called with `opt`) a message saying why not. */
export type Validator = (this: EditorNode, value: unknown, opt?: { label?: string }) => boolean | string;

export interface PropertyDefinition {
  value: unknown;
  required?: boolean;
  type?: string;
  validate?: Validator;
}

export interface NodeDefinition {
  category: string;
  color?: string;
  icon?: string;
  align?: 'left' | 'right';
  inputs?: number;
  outputs?: number;
  paletteLabel?: string;
  defaults: Record<string, PropertyDefinition>;
  credentials?: Record<string, { type: 'text' | 'password' }>;
  label(this: EditorNode): string;
  labelStyle?(this: EditorNode): string;
  outputLabels?(this: EditorNode, index: number): string;
  onpaletteadd?(): void;
  oneditprepare?(this: EditorNode): void;
  oneditsave?(this: EditorNode): void;
  oneditcancel?(this: EditorNode): void;
  oneditdelete?(this: EditorNode): void;
  oneditresize?(this: EditorNode, size: { width: number; height: number }): void;
}

/** One node type's editor: its definition and the standard rows its template places. */
export interface NodeEditor {
  readonly rows?: RowSpecs;
  definition(): NodeDefinition;
}

/** Config nodes' inputs are `node-config-input-<property>`, other nodes' `node-input-<property>`. */
export function inputId(config: boolean, property: string): string {
  return `#node-${config ? 'config-' : ''}input-${property}`;
}

/**
 * A property as the user sees it: its input's value while the edit dialog is open (another property's
 * validator runs as the user types), else the node's saved value.
 */
export function dialogValue(node: EditorNode, property: string, config: boolean): unknown {
  const input = $(inputId(config, property));
  if (input.length === 0) return node[property];
  return input.is('input[type="checkbox"]') ? input.is(':checked') : input.val();
}

/** `italic` for a node the user named, as Node-RED's own nodes do. */
export function namedStyle(this: EditorNode): string {
  return this.name ? 'node_label_italic' : '';
}

/** A property as text: strings as they are, numbers and booleans written out, anything else ''. */
export function text(v: unknown): string {
  if (typeof v === 'string') return v;
  return typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

/**
 * A dialog whose lists are read back on Done (editableLists are not properties Node-RED saves itself):
 * oneditprepare registers how to read them, Done applies what they hold to the node, Cancel forgets it.
 */
export function readBackOnDone<T extends object>(): {
  set(node: EditorNode, read: () => T): void;
  readonly hooks: Pick<NodeDefinition, 'oneditsave' | 'oneditcancel'>;
} {
  const readers = new WeakMap<EditorNode, () => T>();
  return {
    set: (node, read) => void readers.set(node, read),
    hooks: {
      oneditsave(this: EditorNode): void {
        const values = readers.get(this)?.();
        readers.delete(this);
        if (values !== undefined) Object.assign(this, values);
      },
      oneditcancel(this: EditorNode): void {
        readers.delete(this);
      },
    },
  };
}
