/**
 * fh-tag-map in a real Node-RED runtime (node-red-node-test-helper): own rows plus templates, the
 * interface its users rely on (tags, errors, byName, select, tagMapProblem), and the admin endpoints'
 * refusal to touch a runtime that is not the one serving them.
 */
import assert from 'node:assert/strict';
import helper from 'node-red-node-test-helper';
import type { TestFlows } from 'node-red-node-test-helper';
import tagMapNode, { tagMapProblem } from '../../nodes/tags/tag-map';
import type { TagMapNode } from '../../nodes/tags/tag-map';
import { useTestRuntime } from '../support/node-red';


const TEMPLATES = [
  {
    name: 'filler',
    rows: [
      { name: 'count', address: 'hr:0', dataType: 'uint32' },
      { name: 'speed', address: 'hr:2', dataType: 'float32', unit: 'ppm' },
    ],
  },
];

function flow(map: Record<string, unknown>): TestFlows {
  return [{ id: 'map', type: 'fh-tag-map', name: 'line1', ...map }] as TestFlows;
}

describe('tags/fh-tag-map node', () => {
  useTestRuntime('tag-map-node');
  before((done) => {
    helper.startServer(done);
  });
  after((done) => {
    helper.stopServer(done);
  });
  afterEach(() => helper.unload());

  it('holds its own rows and the tags its template instances make', async () => {
    await helper.load(
      tagMapNode,
      flow({
        rows: [{ name: 'plant/line1/counter', address: 'hr:100' }],
        templates: TEMPLATES,
        instances: [
          { template: 'filler', namePrefix: 'plant/line1/filler1', baseAddress: 0 },
          { template: 'filler', namePrefix: 'plant/line1/filler2', baseAddress: 10, overrides: { speed: { unit: 'bpm' } } },
        ],
      }),
    );
    const map = helper.getNode('map') as TagMapNode;
    assert.deepEqual(map.errors, []);
    assert.equal(tagMapProblem(map), undefined);
    assert.deepEqual(
      map.tags.map((t) => t.name),
      ['plant/line1/counter', 'plant/line1/filler1/count', 'plant/line1/filler1/speed', 'plant/line1/filler2/count', 'plant/line1/filler2/speed'],
    );
    assert.equal(map.byName.get('plant/line1/filler2/speed')?.unit, 'bpm');
    assert.deepEqual(
      map.select('plant/line1/filler2').map((t) => [t.name, t.address]),
      [
        ['plant/line1/filler2/count', { protocol: 'modbus', area: 'holding', address: 10 }],
        ['plant/line1/filler2/speed', { protocol: 'modbus', area: 'holding', address: 12 }],
      ],
    );
  });

  it('gives no tags and names the instance, template, tag and column of an error', async () => {
    await helper.load(
      tagMapNode,
      flow({
        rows: [{ name: 'plant/line1/counter', address: 'hr:100' }],
        templates: TEMPLATES,
        instances: [{ template: 'filler', namePrefix: 'plant/line1/filler1', baseAddress: 99 }],
      }),
    );
    const map = helper.getNode('map') as TagMapNode;
    assert.deepEqual(map.tags, []);
    assert.deepEqual(map.errors, [
      'instance 1 (plant/line1/filler1), template "filler", tag "count", column "address": hr:99..100 overlaps row 1 "plant/line1/counter" (hr:100)',
    ]);
    assert.match(tagMapProblem(map) ?? '', /^tag map "line1": instance 1 \(plant\/line1\/filler1\)/);
    const error = (map as unknown as { error: { args: unknown[][] } }).error;
    assert.equal(error.args.length, 1, 'the problem is logged once');
  });

  it('still reads maps written before templates existed', async () => {
    await helper.load(tagMapNode, flow({ rows: [{ name: 'a/b', address: 40001, length: 4, dataType: 'string' }] }));
    const map = helper.getNode('map') as TagMapNode;
    assert.deepEqual(map.errors, []);
    assert.equal(map.tags[0]?.length, 4);
  });

  it('admin endpoints answer 503 when the runtime serving them cannot be found', async () => {
    await helper.load(tagMapNode, flow({ rows: [] }));
    // The helper's admin app is its own, not the loaded @node-red/runtime's: it must not be used.
    const res = await helper.request().get('/factoryhub/tag-maps');
    assert.equal(res.status, 503);
    assert.match(String((res.body as { error?: unknown }).error), /runtime flows API was not found/);
  });
});
