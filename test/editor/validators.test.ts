/**
 * The shared pieces of the edit dialogs (nodes/editor/nodes/): the validators, which keep what the
 * dialogs' own code accepted ('' is 0 to a plain number check, as Number('') is; a blank option says
 * otherwise), and the standard form rows a template places.
 */
import assert from 'node:assert/strict';
import { PREFIX, anyOf, filled, numberIn, oneOf, pattern, when, wholeIn, withNode } from '../../nodes/editor/nodes/validators';
import { expandTemplate, keyedOptions, rowHtml } from '../../nodes/editor/nodes/form-rows';
import type { EditorNode } from '../../nodes/editor/nodes/definition';
import { readableType, shortLabel } from '../../nodes/shared/display-names';
import { NODE_EDITORS, nodeDefinition, schemaDrift } from '../../nodes/editor/nodes';

const node = (props: Record<string, unknown> = {}): EditorNode => ({ id: 'n1', type: 'fh-test', ...props });
const run = (validate: (this: EditorNode, v: unknown) => boolean | string, v: unknown, on = node()): boolean | string => validate.call(on, v);

describe('editor validators', () => {
  it('wholeIn: whole numbers and their text within the bounds', () => {
    const port = wholeIn(1, 65535);
    for (const ok of [1, '1', 502, '65535']) assert.equal(port(ok), true, String(ok));
    for (const bad of [0, 65536, 1.5, '1.5', 'x', undefined, NaN]) assert.equal(port(bad), false, String(bad));
    assert.equal(wholeIn(0, 255)(''), true, "'' is 0, as the dialogs always read it");
  });

  it('a blank option: valid, invalid, or the default it stands for', () => {
    assert.equal(wholeIn(10, 60000, { blank: 'valid' })(''), true);
    assert.equal(wholeIn(10, 60000, { blank: 'valid' })(undefined), true);
    assert.equal(wholeIn(10, 60000, { blank: 'valid' })(5), false);
    assert.equal(wholeIn(0, 100, { blank: 'invalid' })(''), false);
    assert.equal(wholeIn(0, 100, { blank: 'invalid' })(undefined), false);
    assert.equal(wholeIn(1, 32, { blank: 1 })(''), true);
    assert.equal(wholeIn(2, 32, { blank: 1 })(''), false, 'the default is checked like a value');
  });

  it('numberIn: finite numbers, fractions included', () => {
    const timeout = numberIn(0.1, 120, { blank: 'invalid' });
    assert.equal(timeout('0.5'), true);
    assert.equal(timeout(0.05), false);
    assert.equal(timeout(Infinity), false);
    assert.equal(timeout('ten'), false);
  });

  it('anyOf, oneOf and pattern (without the editor: the same test as its regex validator)', () => {
    const interval = anyOf(wholeIn(0, 0), wholeIn(10, 86400000));
    assert.deepEqual([0, 5, 10].map(interval), [true, false, true]);
    const mode = oneOf('tcp', 'rtu-over-tcp');
    assert.deepEqual(['tcp', 'rtu-over-tcp', 'rtu', 'tcp ', ''].map((v) => run(mode, v)), [true, true, false, false, false]);
    assert.equal(run(oneOf('a.b'), 'axb'), false, 'words are literal, not patterns');
    const prefix = pattern(PREFIX);
    assert.deepEqual(['', 'plant/line1', 'plant/line1/', 'plant//x', '/plant'].map((v) => run(prefix, v)), [true, true, true, false, false]);
  });

  it('pattern uses the editor regex validator when there is one (its messages)', () => {
    const g = globalThis as { RED?: unknown };
    g.RED = { validators: { regex: (re: RegExp) => (v: unknown, opt?: object) => re.test(String(v)) || (opt ? 'editor message' : false) } };
    try {
      assert.equal(pattern(/^a$/).call(node(), 'b', {}), 'editor message');
    } finally {
      delete g.RED;
    }
  });

  it('when and withNode: a check that depends on another property of the node', () => {
    const host = when((n) => n.transport !== 'rtu', filled);
    assert.equal(run(host, '', node({ transport: 'tcp' })), false);
    assert.equal(run(host, '', node({ transport: 'rtu' })), true, 'RTU has no host');
    assert.equal(run(host, 'plc1', node({ transport: 'tcp' })), true);
    const sameAs = withNode((v, n) => v === n.other);
    assert.equal(run(sameAs, 1, node({ other: 1 })), true);
    assert.equal(run(sameAs, 2, node({ other: 1 })), false);
    assert.deepEqual([' x ', '  ', 3, undefined].map(filled), [true, false, false, false]);
  });
});

describe('editor form rows', () => {
  it('a row: label from the node catalog, the input Node-RED binds to the property', () => {
    const html = rowHtml('fh-modbus-read', false, 'interval', { icon: 'clock-o', width: '100px', unit: 'ms' });
    assert.equal(
      html,
      '<div class="form-row"><label for="node-input-interval"><i class="fa fa-clock-o"></i> <span data-i18n="fh-modbus-read.label.interval"></span></label><input type="text" id="node-input-interval" style="width: 100px" /> ms</div>',
    );
    assert.match(rowHtml('fh-modbus-client', true, 'host', {}), /id="node-config-input-host"/);
  });

  it('selects, checkboxes, secrets and buttons', () => {
    const select = rowHtml('fh-erp-post', false, 'kind', { input: 'select', options: [...keyedOptions('kind', ['confirmation']), { value: 'x"y', text: '<b>' }] });
    assert.match(select, /<select id="node-input-kind"><option value="confirmation" data-i18n="fh-erp-post.kind.confirmation"><\/option><option value="x&quot;y">&lt;b&gt;<\/option><\/select>/);
    assert.match(rowHtml('fh-modbus-write', false, 'readBack', { input: 'checkbox' }), /<label for="node-input-readBack" style="width: auto"><input type="checkbox" id="node-input-readBack" style="width: auto; margin: 0 6px 0 0" \/> <span/);
    assert.match(rowHtml('fh-erp-connection', true, 'token', { input: 'password', noAutofill: true }), /type="password" id="node-config-input-token" autocomplete="new-password"/);
    assert.match(rowHtml('fh-opcua-read', false, 'browse', { icon: 'search', input: 'button' }), /<label><\/label><button type="button" id="node-input-browse" class="red-ui-button"><i class="fa fa-search"><\/i> <span data-i18n="fh-opcua-read.label.browse">/);
  });

  it('a template: each placeholder becomes its row, with the classes it carries; an unknown one is an error', () => {
    const out = expandTemplate('<h4>x</h4>\n<div data-fh-row="token" class="fh-erp-a fh-erp-a-bearer"></div>\n', 'fh-erp-connection', true, { token: {} });
    assert.match(out, /^<h4>x<\/h4>\n<div class="form-row fh-erp-a fh-erp-a-bearer"><label for="node-config-input-token">/);
    assert.throws(() => expandTemplate('<div data-fh-row="nope"></div>', 'fh-x', false, {}), /fh-x: the template places row "nope", which has no spec/);
  });
});

describe('display names', () => {
  it('readable names for the config nodes, the type for others', () => {
    assert.deepEqual(['fh-tag-map', 'fh-modbus-client', 'fh-opcua-endpoint', 'fh-shift-calendar', 'fh-erp-connection', 'mqtt-broker'].map(readableType), ['Tag map', 'Modbus device', 'OPC UA server', 'Shift calendar', 'ERP connection', 'mqtt-broker']);
  });

  it('a short label from the last part of a prefix', () => {
    assert.equal(shortLabel('read', 'demo/packaging/line1/filler/', 'modbus read'), 'read filler');
    assert.equal(shortLabel('read', '', 'modbus read'), 'modbus read');
    assert.equal(shortLabel('read', undefined, 'modbus read'), 'modbus read');
  });
});

describe("a node's .html schema and its editor module", () => {
  it('a schema that drifts from the definition is named, property by property', () => {
    const definition = NODE_EDITORS['fh-modbus-write'].definition();
    const schema = {
      category: 'factory hub',
      defaults: { name: {}, client: { type: 'fh-modbus-client', required: true }, tagMap: { type: 'fh-tag-map', required: true }, prefix: {}, readBack: {} },
    };
    assert.equal(schemaDrift(definition, schema), '');
    assert.match(schemaDrift(definition, { ...schema, defaults: { ...schema.defaults, client: { type: 'fh-opcua-endpoint', required: true } } }), /^defaults .*"client","fh-opcua-endpoint",true.*, not .*"client","fh-modbus-client",true/);
    assert.match(schemaDrift(definition, { ...schema, category: 'config' }), /^category config, not factory hub/);
    assert.throws(() => nodeDefinition('fh-modbus-write', { ...schema, defaults: { name: {} } }), /fh-modbus-write's \.html declares defaults/);
  });
});
