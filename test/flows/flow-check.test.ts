/**
 * The flow check: its checks on good and broken fixtures against the node types really installed
 * (Node-RED core, this package, node-red-dashboard), the catalogue it reads from disk, and the
 * command line (exit codes, human and JSON output) as CI runs it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, tempDir } from '../support/hub-process';
import type { Catalogue } from '../../tools/flow-check/catalogue';
import { parseEditorHtml } from '../../tools/flow-check/catalogue';
import { checkFlow, checkFlowValue, defaultRules } from '../../tools/flow-check/checks';
import type { FlowNode } from '../../tools/flow-check/flow';
import { parseFlowText } from '../../tools/flow-check/flow';
import { loadInstalledCatalogue } from '../../tools/flow-check/installed';
import type { Problem } from '../../tools/flow-check/rules';
import { findSecrets, isSecretName, looksRandom } from '../../tools/flow-check/secrets';
import { minVersionOf } from '../../tools/flow-check/versions';
import { run } from '../../tools/flow-check/cli';

const fixtures = path.join(__dirname, 'fixtures');
const cli = path.join(repoRoot, 'tools', 'flow-check', 'cli.ts');

function fixture(name: string): FlowNode[] {
  return parseFlowText(fs.readFileSync(path.join(fixtures, name), 'utf8')).nodes;
}

/** `rule node property` per problem, for exact comparisons. */
function summary(problems: readonly Problem[]): string[] {
  return problems.map((p) => `${p.rule} ${p.node?.id ?? '-'} ${p.property ?? '-'}`).sort();
}

interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** In-process run of the command with a given catalogue (fast); files relative to the repository. */
function runCli(args: string[], catalogue: Catalogue, stdin = ''): CliResult {
  let stdout = '';
  let stderr = '';
  const status = run(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd: repoRoot,
    readStdin: () => stdin,
    catalogue: () => catalogue,
  });
  return { status, stdout, stderr };
}

/** The real command in a child process, as CI runs it (TypeScript through tsx). */
function spawnCli(args: string[], cwd = repoRoot, input?: string): CliResult {
  const r = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), cli, ...args], { cwd, encoding: 'utf8', input, timeout: 60000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('flow check', function () {
  this.timeout(60000);
  let catalogue: Catalogue;

  before(() => {
    catalogue = loadInstalledCatalogue({ nodesDirs: [repoRoot] });
  });

  describe('the installed node types', () => {
    it('reads core types, this package and node modules installed next to Node-RED, with their config references', () => {
      assert.equal(catalogue.nodeRed?.version, (JSON.parse(fs.readFileSync(require.resolve('node-red/package.json'), 'utf8')) as { version: string }).version);
      assert.equal(catalogue.supportedRange, '>=4.0.0');
      assert.ok(catalogue.definitionsParsed, 'definitions parsed with acorn');
      for (const core of ['inject', 'debug', 'function', 'change', 'link in', 'link call', 'mqtt in', 'mqtt-broker', 'http request', 'comment']) {
        assert.equal(catalogue.types.get(core)?.module, 'node-red', core);
      }
      assert.equal(catalogue.types.get('unknown'), undefined, 'the editor placeholder type is not a type');
      const write = catalogue.types.get('fh-modbus-write');
      assert.equal(write?.module, '@factoryhub/node-red-factoryhub');
      assert.deepEqual(
        write?.references.map((r) => `${r.property}:${r.type}:${r.required}`),
        ['client:fh-modbus-client:true', 'tagMap:fh-tag-map:true'],
      );
      assert.equal(catalogue.types.get('fh-tag-map')?.category, 'config');
      assert.deepEqual(catalogue.types.get('fh-tag-map')?.properties, ['name', 'rows', 'templates', 'instances']);
      assert.equal(catalogue.types.get('ui_button')?.module, 'node-red-dashboard', 'a module installed next to Node-RED');
      assert.deepEqual(
        catalogue.types.get('link out')?.references.map((r) => `${r.property}:${r.type}:${r.many}`),
        ['links:link in:true'],
      );
      assert.deepEqual(catalogue.types.get('mqtt-broker')?.credentials, ['user', 'password']);
    });

    it('finds modules in a Node-RED user directory given with --nodes-dir, with the Node-RED version they need', () => {
      const userDir = tempDir('flow-check-userdir');
      const pkg = path.join(userDir, 'node_modules', 'node-red-contrib-fivefold');
      fs.mkdirSync(pkg, { recursive: true });
      fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', private: true }));
      fs.writeFileSync(
        path.join(pkg, 'package.json'),
        JSON.stringify({ name: 'node-red-contrib-fivefold', version: '1.2.3', 'node-red': { version: '>=5.0.0', nodes: { fivefold: 'fivefold.js' } } }),
      );
      fs.writeFileSync(path.join(pkg, 'fivefold.js'), 'module.exports = function () {};\n');
      fs.writeFileSync(
        path.join(pkg, 'fivefold.html'),
        `<script type="text/javascript">
  RED.nodes.registerType('fivefold', { category: 'function', defaults: { name: { value: '' }, server: { type: 'fivefold-server', required: true } }, inputs: 1, outputs: 1 });
  RED.nodes.registerType('fivefold-server', { category: 'config', defaults: { host: { value: '' } } });
</script>`,
      );
      const withModule = loadInstalledCatalogue({ nodesDirs: [userDir] });
      assert.equal(withModule.types.get('fivefold')?.nodeRedRange, '>=5.0.0');
      assert.equal(withModule.types.get('fivefold-server')?.category, 'config');
      const flow: FlowNode[] = [
        { id: 'f500000000000001', type: 'fivefold', name: 'five', server: 'f5000000000000ff', wires: [[]] },
        { id: 'f500000000000002', type: 'inject', wires: [['f500000000000001']] },
      ];
      assert.deepEqual(summary(checkFlow(flow, { catalogue: withModule })), [
        'missing-config f500000000000001 server',
        'newer-node-red f500000000000001 type',
      ]);
      assert.deepEqual(summary(checkFlow(flow, { catalogue })), [
        'missing-config f500000000000001 server',
        'unknown-type f500000000000001 type',
      ]);
    });

    it('finds a global Node-RED through the node-red command, and refuses to guess without one', () => {
      const lonely = fs.mkdtempSync(path.join(os.tmpdir(), 'flow-check-'));
      try {
        fs.writeFileSync(path.join(lonely, 'package.json'), JSON.stringify({ name: '@factoryhub/node-red-factoryhub', 'node-red': { version: '>=4.0.0', nodes: {} } }));
        assert.throws(() => loadInstalledCatalogue({ nodesDirs: [lonely], selfDir: lonely, searchPath: '' }), /Node-RED is not installed in .*--nodes-dir/);
        // A global install: the node-red command on the PATH leads to the package.
        const bin = path.join(lonely, 'bin');
        fs.mkdirSync(bin);
        fs.symlinkSync(require.resolve('node-red/red.js'), path.join(bin, 'node-red'));
        const viaPath = loadInstalledCatalogue({ nodesDirs: [lonely], selfDir: lonely, searchPath: ['/nonexistent', bin].join(path.delimiter) });
        assert.equal(viaPath.nodeRed?.dir, path.dirname(require.resolve('node-red/package.json')));
        assert.equal(viaPath.types.get('inject')?.module, 'node-red');
      } finally {
        fs.rmSync(lonely, { recursive: true, force: true });
      }
    });

    it('reads editor definitions with a parser, and type names without one', () => {
      const html = `<script type="text/html" data-template-name="x"><input></script>
<script type="text/javascript">
  (function () {
    var validate = function (v) { return /^a{2}$/.test(v); };
    RED.nodes.registerType("acme-read", {
      category: 'acme', defaults: { name: { value: "" }, server: { value: "", type: "acme-server", required: true }, peers: { value: [], type: "acme-read[]" }, check: { value: "", validate: validate } },
      credentials: { token: { type: 'password' } },
    });
    RED.nodes.registerType('acme-dynamic', { category: 'acme', defaults: Object.assign({}, shared) });
  })();
</script>`;
      // The acorn every Node-RED installation carries (a dependency of @node-red/nodes).
      const coreNodes = require.resolve('@node-red/nodes/package.json', { paths: [path.dirname(require.resolve('node-red/package.json'))] });
      const acorn = createRequire(coreNodes)('acorn') as { parse: (code: string, options: object) => unknown };
      const defs = parseEditorHtml(html, (code) => acorn.parse(code, { ecmaVersion: 'latest' }));
      const read = defs.find((d) => d.type === 'acme-read');
      assert.deepEqual(read?.properties, ['name', 'server', 'peers', 'check']);
      assert.deepEqual(read?.references, [
        { property: 'server', type: 'acme-server', many: false, required: true },
        { property: 'peers', type: 'acme-read', many: true, required: false },
      ]);
      assert.deepEqual(read?.credentials, ['token']);
      assert.equal(defs.find((d) => d.type === 'acme-dynamic')?.properties, undefined, 'non-literal defaults are unknown, not empty');
      assert.deepEqual(
        parseEditorHtml(html, undefined).map((d) => d.type),
        ['acme-read', 'acme-dynamic'],
      );
    });
  });

  describe('checks', () => {
    it('passes a good flow that uses groups, links, a junction, config nodes, env credentials and a setpoint write', () => {
      const rules = defaultRules();
      rules.add('example-comment');
      assert.deepEqual(checkFlow(fixture('good.json'), { catalogue, rules }), []);
    });

    it('reports every problem of the broken fixture, with its node and property', () => {
      const problems = checkFlow(fixture('broken.json'), { catalogue });
      assert.deepEqual(summary(problems), [
        'clear-secret b100000000000001 env[0].value',
        'clear-secret b100000000000002 apiKey',
        'clear-secret b100000000000006 func',
        'clear-secret b100000000000007 headers[0].valueValue',
        'clear-secret b100000000000007 url',
        'credentials-in-file b100000000000007 credentials',
        'duplicate-id b100000000000003 id',
        'missing-config b100000000000002 server',
        'missing-config b100000000000003 client',
        'missing-config b100000000000004 broker',
        'missing-config b10000000000000c client',
        'missing-node b100000000000002 wires',
        'missing-node b100000000000005 links',
        'missing-parent b100000000000006 z',
        'modbus-write-nothing-writable b10000000000000b prefix',
        'modbus-write-read-only b100000000000008 -',
        'modbus-write-unknown-tag b100000000000009 -',
        'tag-map-invalid b100000000000013 rows',
        'tag-map-invalid b100000000000013 rows',
        'unknown-property b100000000000003 intervall',
        'unknown-type b100000000000002 type',
      ]);
      // Problems come in file order.
      assert.equal(problems[0].node?.id, 'b100000000000001');
      assert.equal(problems[problems.length - 1].node?.id, 'b100000000000013');
    });

    it('reports tag-map errors at their row and column, exactly as the runtime judges the map', () => {
      const problems = checkFlow(fixture('broken.json'), { catalogue }).filter((p) => p.rule === 'tag-map-invalid');
      assert.deepEqual(
        problems.map((p) => [p.row, p.column]),
        [
          [2, 'address'],
          [3, 'access'],
        ],
      );
      assert.match(problems[0].message, /^tag map "typos": row 2, column "address": /);
      const templated: FlowNode[] = [
        {
          id: 'c100000000000001',
          type: 'fh-tag-map',
          name: 'machines',
          rows: [],
          templates: [{ name: 'filler', rows: [{ name: 'count', address: 'hr:0' }] }],
          instances: [
            { template: 'filler', namePrefix: 'plant/line1/filler1', baseAddress: 100 },
            { template: 'capper', namePrefix: 'plant/line1/capper1' },
          ],
        },
      ];
      const [problem, ...rest] = checkFlow(templated, { catalogue });
      assert.equal(rest.length, 0);
      assert.equal(problem.rule, 'tag-map-invalid');
      assert.equal(problem.property, 'instances');
      assert.equal(problem.row, 0);
      assert.match(problem.message, /instance 2 \(plant\/line1\/capper1\)/);
    });

    it('follows static writes through junctions and link nodes to the Modbus write node', () => {
      const flow = fixture('good.json').map((n) => (n.id === 'a100000000000003' ? { ...n, topic: 'plant/line1/filler/state' } : n));
      const problems = checkFlow(flow, { catalogue });
      assert.deepEqual(summary(problems), ['modbus-write-read-only a100000000000003 -']);
      assert.equal(problems[0].tag, 'plant/line1/filler/state');
      assert.match(problems[0].message, /wired into fh-modbus-write "filler setpoints" \(a100000000000007\)/);
    });

    it('reports core node types newer than the Node-RED the package declares', () => {
      const flow: FlowNode[] = [
        { id: 'd100000000000001', type: 'tab', label: 'new' },
        { id: 'd100000000000002', type: 'junction', z: 'd100000000000001', x: 1, y: 1, wires: [[]] },
        { id: 'd100000000000003', type: 'link call', z: 'd100000000000001', name: '', links: [], linkType: 'static', timeout: '30', x: 1, y: 1, wires: [[]] },
      ];
      assert.deepEqual(checkFlow(flow, { catalogue }), [], 'fine for >=4.0.0');
      const old = checkFlow(flow, { catalogue, supportedRange: '>=2.1.0' });
      assert.deepEqual(summary(old), ['newer-node-red d100000000000002 type']);
      assert.match(old[0].message, /core node type "junction" needs Node-RED 3\.0\.0 or later, but the package supports Node-RED >=2\.1\.0/);
      assert.deepEqual(summary(checkFlow(flow, { catalogue, supportedRange: '^1.3.0' })), ['newer-node-red d100000000000002 type', 'newer-node-red d100000000000003 type']);
    });

    it('reports properties the installed Node-RED does not define on a core node', () => {
      const flow: FlowNode[] = [{ id: 'e100000000000001', type: 'debug', name: 'd', active: true, futureOption: 'on', wires: [] }];
      const [p] = checkFlow(flow, { catalogue });
      assert.equal(p.rule, 'unknown-property');
      assert.match(p.message, /property "futureOption" is not a property of debug in Node-RED 4\.\d+\.\d+ \(a property of a newer Node-RED/);
    });

    it('reads partial exports without inventing missing tabs, and subflow instances against their subflow', () => {
      const selection: FlowNode[] = [
        { id: 'e200000000000001', type: 'inject', z: 'e2000000000000aa', wires: [['e200000000000002']] },
        { id: 'e200000000000002', type: 'subflow:e200000000000003', z: 'e2000000000000aa', wires: [] },
        { id: 'e200000000000003', type: 'subflow', name: 'sf', in: [{ x: 1, y: 1, wires: [{ id: 'e200000000000004' }] }], out: [] },
        { id: 'e200000000000005', type: 'subflow:e2000000000000ff', z: 'e2000000000000aa', wires: [] },
      ];
      assert.deepEqual(summary(checkFlow(selection, { catalogue })), ['missing-node e200000000000003 in[0].wires', 'unknown-type e200000000000005 type']);
    });

    it('says why a file is not a flow', () => {
      assert.deepEqual(summary(checkFlowValue({ nodes: [] }, { catalogue })), ['invalid-flow - -']);
      assert.deepEqual(summary(checkFlowValue([{ id: 'x' }, 3], { catalogue })), ['invalid-flow - -', 'invalid-flow - -']);
      const parsed = parseFlowText('[\n  {"id": "a", "type": "inject",}\n]');
      assert.equal(parsed.problems[0].rule, 'invalid-flow');
      assert.equal(parsed.problems[0].line, 2);
      assert.deepEqual(checkFlowValue({ flows: [{ id: 'a100000000000099', type: 'comment', name: 'n', info: '', wires: [] }], rev: 'x' }, { catalogue }), []);
    });
  });

  describe('secrets', () => {
    it('knows secret property names without flagging their neighbours', () => {
      for (const name of ['password', 'passwd', 'secret', 'clientSecret', 'client_secret', 'token', 'accessToken', 'apiKey', 'api_key', 'X-Api-Key', 'privateKey', 'Authorization', 'bearer']) {
        assert.ok(isSecretName(name), name);
      }
      for (const name of ['tokenUrl', 'passwordType', 'secretName', 'authType', 'keepalive', 'topic', 'apiKeyHeader']) assert.ok(!isSecretName(name), name);
    });

    it('accepts environment references, credential env types and typed inputs', () => {
      const node = {
        id: 'x',
        type: 'acme',
        password: '${ERP_PASSWORD}',
        token: 'ERP_TOKEN',
        tokenType: 'env',
        apiKey: '',
        secret: '{{flow.secret}}',
        env: [{ name: 'API_KEY', value: '', type: 'cred' }],
        headers: [{ keyValue: 'Authorization', valueType: 'msg', valueValue: 'auth' }],
        info: 'Set the password in the environment: Bearer tokens come from ERP_TOKEN.',
      };
      assert.deepEqual(findSecrets(node, () => false), []);
    });

    it('finds secrets by their look wherever they are', () => {
      const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEow...\n-----END RSA PRIVATE KEY-----';
      const node = {
        id: 'x',
        type: 'acme',
        cert: pem,
        options: { url: 'mqtts://line:Pa55word!@broker.example.invalid:8883' },
        note: 'AKIAABCDEFGHIJKLMNOP',
        blob: 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZkdISUpLTE1O',
        rules: [
          { t: 'set', p: 'password', pt: 'msg', to: 'plc-pass-1234', tot: 'str' },
          { t: 'set', p: 'token', pt: 'msg', to: 'ERP_TOKEN', tot: 'env' },
        ],
        props: [{ p: 'apiKey', v: 'abc123abc123', vt: 'str' }],
      };
      assert.deepEqual(
        findSecrets(node, () => false).map((f) => f.property),
        ['cert', 'options.url', 'note', 'blob', 'rules[0].to', 'props[0].v'],
      );
      assert.ok(!looksRandom('demo/packaging/line1/filler/speedSetpoint'));
      assert.ok(!looksRandom('550e8400-e29b-41d4-a716-446655440000'));
      assert.ok(!looksRandom('f4c70e0000000001f4c70e0000000001'));
    });

    it('never repeats the secret in a message', () => {
      const problems = checkFlow(fixture('broken.json'), { catalogue }).filter((p) => p.rule === 'clear-secret' || p.rule === 'credentials-in-file');
      for (const p of problems) {
        for (const secret of ['hunter2hunter2', 'not-so-secret-value', 'k3y-Written-1n-clear', 'abcdef0123456789', 'eyJhbGciOiJIUzI1NiJ9']) {
          assert.ok(!p.message.includes(secret), `${p.message} repeats a secret`);
        }
      }
    });
  });

  describe('versions', () => {
    it('finds the lowest version of the ranges package.json files use', () => {
      const cases: [string, string][] = [
        ['>=4.0.0', '4.0.0'],
        ['^4.1.2', '4.1.2'],
        ['~3.1', '3.1.0'],
        ['4.x', '4.0.0'],
        ['>=3.1.0 <5', '3.1.0'],
        ['>=5.0.0 || ^4.1.0', '4.1.0'],
        ['*', '0.0.0'],
      ];
      for (const [range, min] of cases) {
        const v = minVersionOf(range);
        assert.equal(v && `${v.major}.${v.minor}.${v.patch}`, min, range);
      }
    });
  });

  describe('command line', () => {
    it('prints one line per problem with file and node, and exits 1', () => {
      const r = runCli(['test/flows/fixtures/broken.json'], catalogue);
      assert.equal(r.status, 1);
      const lines = r.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 22);
      assert.ok(
        lines.includes(
          'test/flows/fixtures/broken.json: node b100000000000004 (mqtt in "no broker"): broker is not set: choose a mqtt-broker config node [missing-config]',
        ),
        r.stdout,
      );
      assert.equal(lines[lines.length - 1], '21 problems in 1 of 1 flow file');
    });

    it('exits 0 on clean files, reads stdin for "-", and skips disabled rules', () => {
      const clean = runCli(['--examples', 'flows/demo-line.json', 'test/flows/fixtures/good.json'], catalogue);
      assert.equal(clean.status, 0, clean.stdout);
      assert.equal(clean.stdout, '2 flow files checked: no problems\n');
      const stdin = runCli(['-'], catalogue, fs.readFileSync(path.join(fixtures, 'good.json'), 'utf8'));
      assert.equal(stdin.status, 0);
      const flow = JSON.stringify([{ id: 'a1', type: 'inject', name: 'x', topic: 't', password: 'in-clear-here', wires: [] }]);
      assert.equal(runCli(['-'], catalogue, flow).status, 1);
      assert.equal(runCli(['--disable', 'clear-secret,unknown-property', '-'], catalogue, flow).status, 0);
    });

    it('checks the flow files of a folder: flows/, a project, a user directory', () => {
      const examples = runCli(['--examples', 'flows'], catalogue);
      assert.equal(examples.status, 0, examples.stdout);
      const project = tempDir('flow-check-project');
      fs.copyFileSync(path.join(fixtures, 'good.json'), path.join(project, 'flows.json'));
      fs.writeFileSync(path.join(project, 'flows_cred.json'), '{"$": "00ff"}');
      fs.writeFileSync(path.join(project, 'package.json'), '{"name": "line1", "node-red": {"settings": {"flowFile": "flows.json"}}}');
      fs.writeFileSync(path.join(project, '.config.runtime.json'), '{}');
      const r = runCli(['--json', project], catalogue);
      assert.equal(r.status, 0, r.stdout);
      assert.deepEqual(
        (JSON.parse(r.stdout) as { files: { file: string }[] }).files.map((f) => path.basename(f.file)),
        ['flows.json'],
      );
    });

    it('reports machine-readable JSON', () => {
      const r = runCli(['--json', 'test/flows/fixtures/broken.json', 'test/flows/fixtures/good.json'], catalogue);
      assert.equal(r.status, 1);
      const report = JSON.parse(r.stdout) as {
        version: number;
        ok: boolean;
        summary: { files: number; filesWithProblems: number; problems: number };
        nodeRed: { installed: string; supported: string };
        files: { file: string; problems: Problem[] }[];
      };
      assert.equal(report.version, 1);
      assert.equal(report.ok, false);
      assert.deepEqual(report.summary, { files: 2, filesWithProblems: 1, problems: 21 });
      assert.equal(report.nodeRed.supported, '>=4.0.0');
      assert.deepEqual(report.files[1], { file: 'test/flows/fixtures/good.json', problems: [] });
      const tagMap = report.files[0].problems.find((p) => p.rule === 'tag-map-invalid');
      assert.deepEqual(tagMap && [tagMap.node?.id, tagMap.node?.type, tagMap.node?.name, tagMap.row, tagMap.column], [
        'b100000000000013',
        'fh-tag-map',
        'typos',
        2,
        'address',
      ]);
    });

    it('exits 2 on usage errors', () => {
      const cases: string[][] = [[], ['--nope', 'x.json'], ['--disable', 'no-such-rule', 'x.json'], ['missing-file.json'], ['--write', 'x.json'], ['--format', 'a.json', 'b.json'], ['test/flows'], ['--format', 'flows']];
      for (const args of cases) {
        const r = runCli(args, catalogue);
        assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /^factoryhub-flow-check: /);
      }
      assert.match(runCli(['--help'], catalogue).stdout, /^Usage: factoryhub-flow-check/);
      assert.match(runCli(['--list-rules'], catalogue).stdout, /^invalid-flow +the file is not JSON/m);
    });

    it('runs as a command in a child process, finding Node-RED and the nodes from the working directory', () => {
      const good = spawnCli(['flows/demo-line.json']);
      assert.equal(good.status, 0, good.stdout + good.stderr);
      const bad = spawnCli(['--json', path.join(fixtures, 'broken.json')]);
      assert.equal(bad.status, 1, bad.stderr);
      assert.equal((JSON.parse(bad.stdout) as { summary: { problems: number } }).summary.problems, 21);
      // Outside any Node-RED installation, the Node-RED installed with this package is used.
      const elsewhere = spawnCli(['--nodes-dir', os.tmpdir(), path.join(fixtures, 'good.json')], os.tmpdir());
      assert.equal(elsewhere.status, 0, elsewhere.stdout + elsewhere.stderr);
      assert.equal(spawnCli(['--json', '-'], repoRoot, '[{"id":"x","type":"inject","wires":[]}]').status, 0);
    });
  });
});
