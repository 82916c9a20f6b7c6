/**
 * Every node of this package in every shipped flow (the demo and the examples) passes its edit dialog's own
 * validators, so that the editor never shows it with a red triangle and a deploy never asks "...some nodes
 * that are not properly configured". The validators are the real ones: each node's registration script
 * from dist/nodes/**.html, with the definitions it takes from the plugin's bundle resources/hub-editor.js
 * (loaded first, as the editor loads plugins before nodes), run against Node-RED 4's own `RED.validators`
 * (taken from the editor bundle), and
 * Node-RED's rule for a property (validateNodeProperty in the editor: `required` means not "", then
 * `validate` is called with the node as `this`). A property missing from the flow is validated as
 * undefined, as the editor does after an import.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { repoRoot } from '../support/hub-process';

interface PropertyDefinition {
  value?: unknown;
  required?: boolean;
  type?: string;
  validate?: (this: FlowNode, value: unknown, opt?: object) => unknown;
}
interface NodeDefinition {
  defaults: Record<string, PropertyDefinition>;
}
type FlowNode = Record<string, unknown> & { id: string; type: string; name?: string };

/** Node-RED's RED.validators object literal, cut from the editor bundle so that the test uses its exact code. */
function editorValidators(): unknown {
  const bundle = fs.readFileSync(require.resolve('@node-red/editor-client/public/red/red.js'), 'utf8');
  const start = bundle.indexOf('RED.validators = {');
  const end = bundle.indexOf('\n};', start) + 1;
  assert.ok(start >= 0 && end > start, 'RED.validators not found in the editor bundle');
  const RED: Record<string, unknown> = {
    _: (key: string) => key,
    // typedInput validation needs the editor's DOM and RED.utils; the test accepts typed values as given.
    utils: { validateTypedProperty: () => true },
  };
  vm.runInNewContext(bundle.slice(start, end + 1), { RED, $: () => ({ val: () => undefined }) });
  return RED.validators;
}

/** jQuery as the validators see it when no edit dialog is open: every selector matches nothing. */
function noDialog(): object {
  return { length: 0, val: () => undefined, hasClass: () => false, is: () => false, on: () => undefined, find: noDialog };
}

function nodeDefinitions(): Map<string, NodeDefinition> {
  const found = new Map<string, NodeDefinition>();
  const RED = {
    nodes: { registerType: (type: string, def: NodeDefinition) => found.set(type, def) },
    // The editor plugin registers no node type.
    plugins: { registerPlugin: () => undefined },
    validators: editorValidators(),
    _: (key: string) => key,
    settings: {},
  };
  // One page, as in the editor: no dialog is open, so the dialogs' `$('#node-input-x')` lookups find
  // nothing and fall back to the node.
  const page = vm.createContext({ RED, $: noDialog, console });
  vm.runInContext(fs.readFileSync(path.join(repoRoot, 'resources', 'hub-editor.js'), 'utf8'), page);
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith('.html')) {
        const html = fs.readFileSync(file, 'utf8');
        for (const m of html.matchAll(/<script type="text\/javascript"[^>]*>([\s\S]*?)<\/script>/g)) vm.runInContext(m[1], page);
      }
    }
  };
  walk(path.join(repoRoot, 'dist', 'nodes'));
  return found;
}

function shippedFlows(): { file: string; nodes: FlowNode[] }[] {
  const dir = path.join(repoRoot, 'flows');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({ file: `flows/${f}`, nodes: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as FlowNode[] }));
}

/** The editor's verdict on one property: true, or why not. */
function checkProperty(node: FlowNode, def: PropertyDefinition, value: unknown, all: FlowNode[]): true | string {
  if (typeof value === 'string' && /^\$(\([A-Za-z_]\w*\)|\{[A-Za-z_]\w*\})$/.test(value)) return true;
  if (def.required === true && value === '') return 'required, but empty';
  if (def.type !== undefined && value !== '' && value !== undefined) {
    const target = all.find((n) => n.id === value);
    if (target === undefined) return `refers to ${JSON.stringify(value)}, which is not in the flow`;
    if (target.type !== def.type) return `refers to a ${target.type}, expected a ${def.type}`;
  }
  if (def.required === true && def.type !== undefined && (value === '' || value === undefined)) return `needs a ${def.type}`;
  if (def.validate === undefined) return true;
  if (def.required === false && value === '') return true;
  let verdict: unknown;
  try {
    verdict = def.validate.call(node, value, {});
  } catch (err) {
    return `its validator threw: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (typeof verdict === 'string' || Array.isArray(verdict)) return String(verdict);
  return verdict ? true : 'rejected by its validator';
}

describe('shipped flows: every node of the package passes its edit dialog validators', () => {
  const definitions = nodeDefinitions();

  it('finds the registration of every node type of package.json', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
    for (const type of Object.keys(pkg['node-red'].nodes)) assert.ok(definitions.has(type), `${type}: no RED.nodes.registerType found`);
  });

  for (const { file, nodes } of shippedFlows()) {
    it(`${file}: no invalid property and none missing`, () => {
      const problems: string[] = [];
      let checked = 0;
      for (const node of nodes) {
        const def = definitions.get(node.type);
        if (def === undefined) continue;
        checked++;
        for (const [property, propertyDef] of Object.entries(def.defaults)) {
          if (!(property in node)) problems.push(`${node.type} "${node.name || node.id}": ${property} is missing (default ${JSON.stringify(propertyDef.value)})`);
          const verdict = checkProperty(node, propertyDef, node[property], nodes);
          if (verdict !== true) problems.push(`${node.type} "${node.name || node.id}": ${property} = ${JSON.stringify(node[property])}: ${verdict}`);
        }
      }
      assert.ok(checked > 0, `${file} has no node of this package`);
      assert.deepEqual(problems, []);
    });
  }

  it('catches a property the demo flow would lack (the check can fail)', () => {
    const demo = shippedFlows().find((f) => f.file === 'flows/demo-line.json');
    assert.ok(demo);
    const connection = demo.nodes.find((n) => n.type === 'fh-erp-connection');
    assert.ok(connection);
    const def = definitions.get('fh-erp-connection');
    assert.ok(def?.defaults.timeout);
    assert.notEqual(checkProperty({ ...connection, timeout: undefined }, def.defaults.timeout, undefined, demo.nodes), true);
  });
});
