/**
 * fh-tag-map's select() facing what a hand-edited flow gives the nodes that call it (a prefix that is a
 * number, null or an object): an answer, never a TypeError in the caller's constructor, and never
 * more tags than the prefix names.
 */
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import type { TestFlows } from 'node-red-node-test-helper';
import tagMapNode from '../../nodes/tags/tag-map';
import type { TagMapNode } from '../../nodes/tags/tag-map';
import { useTestRuntime } from '../support/node-red';

const ROWS = [
  { name: '7/count', address: 'hr:0', dataType: 'uint16' },
  { name: 'plant/line1/speed', address: 'hr:1', dataType: 'uint16', access: 'read-write' },
];

describe('fuzz/fh-tag-map select() with a prefix of any type', () => {
  useTestRuntime('tag-map-prefix');
  before((done) => {
    helper.startServer(done);
  });
  after((done) => {
    helper.stopServer(done);
  });
  afterEach(() => helper.unload());

  it('reads a number as its text, an object as a prefix of nothing, null as no prefix', async () => {
    const flow: Record<string, unknown>[] = [{ id: 'map', type: 'fh-tag-map', name: 'line1', rows: ROWS }];
    await helper.load(tagMapNode, flow as TestFlows);
    const map = helper.getNode('map') as TagMapNode;
    const select = (prefix: unknown): string[] => map.select(prefix as string).map((t) => t.name);
    assert.deepEqual(select(7), ['7/count']);
    assert.deepEqual(select({ prefix: 'plant' }), []);
    assert.deepEqual(select(['plant/line1']), ['plant/line1/speed']);
    assert.deepEqual(select(null), ['7/count', 'plant/line1/speed']);
    assert.deepEqual(select(undefined), ['7/count', 'plant/line1/speed']);
  });
});
