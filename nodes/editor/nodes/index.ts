/**
 * The editor side of every node type of the package. Each node's .html holds its template and one call,
 * `RED.nodes.registerType('fh-…', FactoryHubEditor.nodeDefinition('fh-…'))`; this gives the definition,
 * with the family's look (display-names.ts), after filling the template's standard rows (form-rows.ts).
 */
import type { NodeDefinition, NodeEditor } from './definition';
import { LOOKS, isNodeType } from '../../shared/display-names';
import type { NodeType } from '../../shared/display-names';
import { ERP } from './erp';
import { expandTemplateInPage } from './form-rows';
import { MODBUS } from './modbus';
import { OEE } from './oee';
import { OPCUA } from './opcua';
import { CALENDAR } from './shift-calendar';
import { TAGS } from './tag-map';

export const NODE_EDITORS: Readonly<Record<NodeType, NodeEditor>> = { ...MODBUS, ...OPCUA, ...ERP, ...OEE, ...CALENDAR, ...TAGS };

export function nodeDefinition(type: string): NodeDefinition {
  if (!isNodeType(type)) throw new Error(`Factory Hub: no editor for node type ${type}`);
  const editor = NODE_EDITORS[type];
  const definition = editor.definition();
  if (editor.rows !== undefined) expandTemplateInPage(type, definition.category === 'config', editor.rows);
  return { ...definition, ...LOOKS[type] };
}
