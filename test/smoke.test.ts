/**
 * Smoke test of the package as users get it: `npm pack`, unpack, load into a real Node-RED 4 runtime
 * started with settings/, then check every node type loads with its editor, help, catalog and icon, and
 * every flow in flows/ deploys with no unknown type, no unresolved config node and no error.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HubProcess, repoRoot, tempDir } from './support/hub-process';
import { pointDemoAt } from './support/demo-line';
import type { FlowNode } from './support/demo-line';
import { startDemoErp } from '../simulator/erp-server';
import type { DemoErp } from '../simulator/erp-server';
import { startLine } from '../simulator/run';
import type { RunningLine } from '../simulator/run';

interface PackageJson {
  name: string;
  'node-red': { nodes: Record<string, string> };
}
interface NodeSet {
  id: string;
  module: string;
  types: string[];
  enabled: boolean;
  err?: string;
}

const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as PackageJson;
const flowFiles = fs.readdirSync(path.join(repoRoot, 'flows')).filter((f) => f.endsWith('.json'));
/** Types our package registers: the node-set file names map to type names through the editor .html. */
const NODE_ID = /^[0-9a-f]{16}$/;
const STRUCTURAL = new Set(['tab', 'subflow', 'group', 'junction']);

describe('smoke: the packed package in a real Node-RED runtime', function () {
  this.timeout(120000);
  let hub: HubProcess;
  let token: string;
  let packageDir: string;
  let nodeSets: NodeSet[];
  let line: RunningLine;
  let erp: DemoErp;

  before(async () => {
    const work = tempDir('smoke');
    // The demo's simulated line (Modbus and OPC UA) and ERP on free ports; the demo flow is pointed at them below.
    [line, erp] = await Promise.all([startLine({ basePort: 0, pkiDir: path.join(work, 'simulator-pki') }), startDemoErp({ port: 0 })]);
    const packed = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], {
      cwd: repoRoot,
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop()!;
    packageDir = path.join(work, 'package');
    execFileSync('tar', ['xzf', path.join(work, packed), '-C', work]);
    hub = new HubProcess({ userDir: path.join(work, 'userdir'), nodesDir: packageDir });
    await hub.start();
    token = await hub.login('admin');
    const res = await hub.api(token, 'GET', '/nodes', undefined, { accept: 'application/json' });
    assert.equal(res.status, 200);
    nodeSets = (await res.json()) as NodeSet[];
  });

  after(async () => {
    await hub?.stop();
    await Promise.all([line?.stop(), erp?.stop()]);
  });

  /** The demo flow's devices and ERP listen on fixed ports in real use; in the test on the simulator's and ERP's free ports. */
  function pointAtTestServers(file: string, flow: FlowNode[]): FlowNode[] {
    return file === 'demo-line.json' ? pointDemoAt(flow, { line, erp }) : flow;
  }

  it('ships compiled nodes, editor files and examples in the tarball', () => {
    for (const file of Object.values(pkg['node-red'].nodes)) {
      assert.ok(fs.existsSync(path.join(packageDir, file)), `${file} is in the tarball`);
      assert.ok(fs.existsSync(path.join(packageDir, file.replace(/\.js$/, '.html'))), `${file}'s .html is in the tarball`);
    }
    for (const flow of flowFiles) assert.ok(fs.existsSync(path.join(packageDir, 'examples', flow)), `examples/${flow}`);
    assert.ok(!fs.existsSync(path.join(packageDir, 'test')), 'tests are not shipped');
  });

  it('loads every node set of the package without error', () => {
    const ours = nodeSets.filter((s) => s.module === pkg.name);
    assert.deepEqual(ours.map((s) => s.id.split('/').pop()).sort(), Object.keys(pkg['node-red'].nodes).sort());
    for (const set of ours) {
      assert.equal(set.err, undefined, `${set.id}: ${set.err}`);
      assert.ok(set.enabled, `${set.id} is enabled`);
      assert.ok(set.types.length > 0, `${set.id} registers a type`);
      for (const type of set.types) assert.match(type, /^fh-/, `${type} carries the product prefix`);
    }
    const broken = nodeSets.filter((s) => s.err);
    assert.deepEqual(broken.map((s) => `${s.id}: ${s.err}`), []);
  });

  it('serves each node type an editor definition, edit dialog, help, message catalog and icon', async () => {
    const html = await (await hub.api(token, 'GET', '/nodes', undefined, { accept: 'text/html' })).text();
    const ours = nodeSets.filter((s) => s.module === pkg.name);
    for (const set of ours) {
      for (const type of set.types) {
        assert.ok(html.includes(`RED.nodes.registerType('${type}'`), `${type}: registerType`);
        assert.ok(html.includes(`data-template-name="${type}"`), `${type}: edit dialog`);
        assert.ok(html.includes(`data-help-name="${type}"`), `${type}: help`);
      }
      const catalog = await hub.api(token, 'GET', `/locales/${set.id}?lng=en-US`);
      assert.equal(catalog.status, 200, `${set.id}: catalog`);
      const keys = Object.keys((await catalog.json()) as object);
      for (const type of set.types) assert.ok(keys.includes(type), `${set.id}: catalog holds ${type}`);
    }
    const icon = await hub.api(token, 'GET', `/icons/${pkg.name}/factory-hub.svg`);
    assert.equal(icon.status, 200, 'product icon served');
  });

  it('offers every flow of flows/ under Import > Examples', async () => {
    const res = await hub.api(token, 'GET', `/library/examples/flows/`);
    assert.equal(res.status, 200);
    const listing = JSON.stringify(await res.json());
    assert.ok(listing.includes(pkg.name), `examples of ${pkg.name} listed: ${listing}`);
    for (const flow of flowFiles) {
      const name = flow.replace(/\.json$/, '');
      const one = await hub.api(token, 'GET', `/library/examples/flows/${pkg.name}/${name}`);
      assert.equal(one.status, 200, `example ${name} can be imported`);
    }
  });

  for (const file of flowFiles) {
    it(`deploys flows/${file} with known types, resolved config nodes and no errors`, async () => {
      const flow = JSON.parse(fs.readFileSync(path.join(repoRoot, 'flows', file), 'utf8')) as FlowNode[];
      const known = new Set(nodeSets.flatMap((s) => s.types));
      const ids = new Set(flow.map((n) => n.id));
      const subflows = new Set(flow.filter((n) => n.type === 'subflow').map((n) => `subflow:${n.id}`));
      for (const n of flow) {
        assert.ok(STRUCTURAL.has(n.type) || known.has(n.type) || subflows.has(n.type), `${file}: node ${n.id} has unknown type ${n.type}`);
        for (const [key, value] of Object.entries(n)) {
          if (key === 'id' || key === 'wires' || key === 'links') continue;
          if (typeof value === 'string' && NODE_ID.test(value)) assert.ok(ids.has(value), `${file}: ${n.type} ${n.id}.${key} refers to missing node ${value}`);
        }
        for (const out of (n.wires as string[][] | undefined) ?? []) {
          for (const target of out) assert.ok(ids.has(target), `${file}: ${n.id} is wired to missing node ${target}`);
        }
      }
      const from = hub.log.length;
      const res = await hub.api(token, 'POST', '/flows', pointAtTestServers(file, flow), { 'Node-RED-Deployment-Type': 'full' });
      assert.ok([200, 204].includes(res.status), `deploy: HTTP ${res.status} ${await res.text()}`);
      await hub.waitForLog(/Started flows/, from);
      // Two poll cycles: a device that cannot be read logs an error.
      await new Promise((r) => setTimeout(r, 2500));
      const after = hub.log.slice(from);
      assert.doesNotMatch(after, /Waiting for missing types/);
      assert.doesNotMatch(after, /\[error\]/, `errors after deploying ${file}:\n${after}`);
    });
  }
});
