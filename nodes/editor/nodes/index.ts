/**
 * The editor side of every node type of the package. Each node's .html holds its template and one call,
 * `RED.nodes.registerType('fh-…', FactoryHubEditor.nodeDefinition('fh-…', {category, defaults, credentials}))`:
 * that literal is the node's schema as tools read it without running code (the flow check, Node-RED's
 * scorecard): its category, its property names, which refer to config nodes and which are required.
 * This returns the full definition, checked against that schema so the two never drift, with the
 * family's look (display-names.ts), after filling the template's standard rows (form-rows.ts).
 */
import type { EditorNode, NodeDefinition, NodeEditor } from './definition';
import { LOOKS, isNodeType } from '../../shared/display-names';
import type { NodeType } from '../../shared/display-names';
import { nameConfigButtons } from './config-buttons';
import { ERP } from './erp';
import { expandTemplateInPage } from './form-rows';
import { KPI } from './kpi';
import { MODBUS } from './modbus';
import { OEE } from './oee';
import { OPCUA } from './opcua';
import { OPCUA_METHOD } from './opcua-method';
import { CALENDAR } from './shift-calendar';
import { TAGS } from './tag-map';
import { UNS } from './uns';
import { UNS_SUBSCRIBE } from './uns-subscribe';

export const NODE_EDITORS: Readonly<Record<NodeType, NodeEditor>> = { ...MODBUS, ...OPCUA, ...OPCUA_METHOD, ...ERP, ...OEE, ...CALENDAR, ...TAGS, ...KPI, ...UNS, ...UNS_SUBSCRIBE };

/** What a node's .html declares of it. */
export interface Schema {
  readonly category: string;
  readonly defaults: Readonly<Record<string, { readonly type?: string; readonly required?: boolean }>>;
  readonly credentials?: Readonly<Record<string, { readonly type: string }>>;
}

/** How the definition differs from the schema its .html declares ('' when it does not). */
export function schemaDrift(definition: NodeDefinition, schema: Schema): string {
  const problems: string[] = [];
  if (schema.category !== definition.category) problems.push(`category ${schema.category}, not ${definition.category}`);
  const declared = (fields: Record<string, object> | undefined): string =>
    JSON.stringify(Object.entries(fields ?? {}).map(([name, f]) => [name, (f as { type?: string }).type, (f as { required?: boolean }).required]));
  if (declared(schema.defaults) !== declared(definition.defaults)) problems.push(`defaults ${declared(schema.defaults)}, not ${declared(definition.defaults)}`);
  if (declared(schema.credentials) !== declared(definition.credentials)) problems.push(`credentials ${declared(schema.credentials)}, not ${declared(definition.credentials)}`);
  return problems.join('; ');
}

export function nodeDefinition(type: string, schema: Schema): NodeDefinition {
  if (!isNodeType(type)) throw new Error(`Factory Hub: no editor for node type ${type}`);
  const editor = NODE_EDITORS[type];
  const definition = editor.definition();
  const drift = schemaDrift(definition, schema);
  if (drift !== '') throw new Error(`Factory Hub: ${type}'s .html declares ${drift}`);
  if (editor.rows !== undefined) expandTemplateInPage(type, definition.category === 'config', editor.rows);
  return {
    ...definition,
    ...LOOKS[type],
    oneditprepare(this: EditorNode): void {
      nameConfigButtons(definition);
      definition.oneditprepare?.call(this);
    },
  };
}
