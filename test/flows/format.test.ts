/**
 * The formatter: one canonical text per flow, whatever the order of nodes and keys; idempotent; a
 * one-tag edit is a one-line diff; and a flow deployed to a real Node-RED and read back (admin API and
 * the flow file it writes) formats to the same bytes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { HubProcess, repoRoot, tempDir } from '../support/hub-process';
import { formatFlowText, formatFlowValue } from '../../tools/flow-check/format';
import { run } from '../../tools/flow-check/cli';
import type { Catalogue } from '../../tools/flow-check/catalogue';

type Node = Record<string, unknown> & { id: string; type: string };

const fixtures = path.join(__dirname, 'fixtures');
const flowFiles = [
  ...fs
    .readdirSync(path.join(repoRoot, 'flows'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => path.join(repoRoot, 'flows', f)),
  ...fs
    .readdirSync(fixtures)
    .filter((f) => f.endsWith('.json'))
    .map((f) => path.join(fixtures, f)),
];
const demoFile = path.join(repoRoot, 'flows', 'demo-line.json');

function read(file: string): Node[] {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Node[];
}

/** A small deterministic PRNG (mulberry32), so a failing shuffle can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], rnd: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Same content, every object's keys in random order (arrays keep theirs: their order means something). */
function shuffleKeys(value: unknown, rnd: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, rnd));
  if (typeof value !== 'object' || value === null) return value;
  const entries = shuffled(Object.entries(value), rnd);
  return Object.fromEntries(entries.map(([k, v]) => [k, shuffleKeys(v, rnd)]));
}

/** Same flow as an editor might write it: nodes in another order (tabs keep theirs), keys in another order. */
function scramble(nodes: readonly Node[], seed: number): Node[] {
  const rnd = random(seed);
  const tabs = nodes.filter((n) => n.type === 'tab');
  const others = shuffled(
    nodes.filter((n) => n.type !== 'tab'),
    rnd,
  );
  // Tabs keep their relative order (it is the editor's tab order) but may sit anywhere.
  const out: Node[] = [];
  let t = 0;
  for (const n of others) {
    if (t < tabs.length && rnd() < 0.3) out.push(tabs[t++]);
    out.push(n);
  }
  out.push(...tabs.slice(t));
  return out.map((n) => shuffleKeys(n, rnd) as Node);
}

/** Line numbers (0-based, in `before`) where two texts of equal length differ. */
function changedLines(before: string, after: string): number[] {
  const a = before.split('\n');
  const b = after.split('\n');
  assert.equal(a.length, b.length, 'same number of lines');
  return a.flatMap((line, i) => (line === b[i] ? [] : [i]));
}

describe('flow formatter', function () {
  this.timeout(120000);

  it('is idempotent on every example and fixture flow', () => {
    for (const file of flowFiles) {
      const once = formatFlowText(fs.readFileSync(file, 'utf8'));
      assert.equal(formatFlowText(once), once, path.relative(repoRoot, file));
    }
  });

  it('keeps the tabs in the order of the file (the editor\'s tab order), and is idempotent whatever it is', () => {
    const nodes = read(demoFile);
    const tabs = (text: string): string[] => (JSON.parse(text) as Node[]).filter((n) => n.type === 'tab').map((n) => n.id);
    const once = formatFlowValue([...nodes].reverse());
    assert.deepEqual(tabs(once), nodes.filter((n) => n.type === 'tab').map((n) => n.id).reverse());
    assert.equal(formatFlowText(once), once);
    // Each tab's nodes follow their tab.
    const order = (JSON.parse(once) as Node[]).map((n) => (n.type === 'tab' ? n.id : n.z)).filter((z) => z !== undefined);
    assert.deepEqual([...new Set(order)], tabs(once));
  });

  it('gives the same bytes whatever the order of nodes and of keys', () => {
    for (const file of flowFiles) {
      const nodes = read(file);
      const canonical = formatFlowValue(nodes);
      for (let seed = 1; seed <= 5; seed++) {
        assert.equal(formatFlowValue(scramble(nodes, seed)), canonical, `${path.relative(repoRoot, file)}, seed ${seed}`);
      }
    }
  });

  it('writes tabs first, then each tab\'s nodes by id, then config nodes, with a fixed property order and 4-space JSON', () => {
    const text = formatFlowText(fs.readFileSync(path.join(fixtures, 'good.json'), 'utf8'));
    assert.ok(text.endsWith(']\n'), 'final newline');
    assert.match(text, /^\[\n {4}\{\n {8}"id": /, 'pretty-printed like flowFilePretty');
    const nodes = JSON.parse(text) as Node[];
    assert.deepEqual(
      nodes.map((n) => n.id),
      [
        'a100000000000001', // the tab
        'a100000000000020', // its group
        'a100000000000002', // its flow nodes by id
        'a100000000000003',
        'a100000000000004',
        'a100000000000005',
        'a100000000000006',
        'a100000000000007',
        'a100000000000008',
        'a100000000000009',
        'a10000000000000a',
        'a10000000000000b',
        'a100000000000010', // config nodes by type, then id
        'a100000000000011',
        'a100000000000012',
      ],
    );
    assert.deepEqual(nodes.map((n) => n.type).slice(-3), ['fh-modbus-client', 'fh-tag-map', 'mqtt-broker']);
    assert.deepEqual(Object.keys(nodes.find((n) => n.id === 'a100000000000003') ?? {}), [
      'id',
      'type',
      'z',
      'g',
      'name',
      'crontab',
      'once',
      'onceDelay',
      'payload',
      'payloadType',
      'props',
      'repeat',
      'topic',
      'x',
      'y',
      'wires',
    ]);
    const tagMap = nodes.find((n) => n.type === 'fh-tag-map') as unknown as { rows: Record<string, string>[] };
    assert.deepEqual(Object.keys(tagMap.rows[1]), ['name', 'address', 'dataType', 'gain', 'unit', 'access'], 'tag rows keep the column order');
  });

  it('turns a one-tag edit in a tag map into a one-line diff', () => {
    const nodes = read(demoFile);
    const before = formatFlowValue(nodes);
    const edit = (change: (rows: Record<string, string>[]) => void): string => {
      const copy = JSON.parse(JSON.stringify(nodes)) as Node[];
      change((copy.find((n) => n.type === 'fh-tag-map') as unknown as { rows: Record<string, string>[] }).rows);
      return formatFlowValue(copy);
    };
    const setpoint = (rows: Record<string, string>[]): Record<string, string> =>
      rows.find((r) => r.name === 'demo/packaging/line1/capper/speedSetpoint') as Record<string, string>;

    const readOnly = edit((rows) => (setpoint(rows).access = 'read'));
    const lines = changedLines(before, readOnly);
    assert.equal(lines.length, 1);
    assert.equal(readOnly.split('\n')[lines[0]].trim(), '"access": "read",');

    assert.equal(changedLines(before, edit((rows) => (setpoint(rows).address = 'hr:21'))).length, 1);
    assert.equal(changedLines(before, edit((rows) => (setpoint(rows).description = 'setpoint in % of nominal speed'))).length, 1);

    // A new tag is one block of added lines; nothing else moves.
    const added = edit((rows) => rows.splice(3, 0, { name: 'demo/packaging/line1/filler/temperature', address: 'ir:30', dataType: 'int16', unit: 'degC' })).split('\n');
    const old = before.split('\n');
    let prefix = 0;
    while (old[prefix] === added[prefix]) prefix++;
    let suffix = 0;
    while (suffix < old.length - prefix && old[old.length - 1 - suffix] === added[added.length - 1 - suffix]) suffix++;
    assert.equal(prefix + suffix, old.length, 'the old lines all stay');
    assert.equal(added.length - old.length, 6, 'one row: its braces and four cells');
  });

  it('keeps the position of a node when it is edited or moved', () => {
    const nodes = read(demoFile);
    const before = formatFlowValue(nodes);
    const moved = nodes.map((n) => (n.id === 'f4c70e0000000031' ? { ...n, x: 180, name: 'filler speed 85 %', payload: '85' } : n));
    assert.equal(changedLines(before, formatFlowValue(moved)).length, 3, 'name, payload and x');
  });

  describe('through a real Node-RED', () => {
    const userDir = path.join(tempDir('format-roundtrip'), 'userdir');
    const hub = new HubProcess({ userDir });
    let token: string;

    before(async () => {
      await hub.start();
      token = await hub.login('integrator');
    });
    after(() => hub.stop());

    for (const file of [demoFile, path.join(fixtures, 'good.json')]) {
      it(`export -> import -> re-export of ${path.relative(repoRoot, file)} gives the same bytes`, async () => {
        const exported = formatFlowText(fs.readFileSync(file, 'utf8'));
        // Import a scrambled copy, as another tool or editor might have written it. Node-RED answers
        // once the flows are saved (the nodes start afterwards).
        const res = await hub.api(token, 'POST', '/flows', scramble(JSON.parse(exported) as Node[], 42), { 'Node-RED-Deployment-Type': 'full' });
        assert.equal(res.status, 204, await res.text());
        const reexported: unknown = await (await hub.api(token, 'GET', '/flows')).json();
        assert.equal(formatFlowValue(reexported), exported);
        // The flow file Node-RED wrote (flowFilePretty) formats to the same bytes too.
        const onDisk = fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8');
        assert.equal(formatFlowText(onDisk), exported);
      });
    }

    it('keeps a formatted flow byte for byte in the flow file it writes (but for the final newline)', async () => {
      const exported = formatFlowText(fs.readFileSync(demoFile, 'utf8'));
      const res = await hub.api(token, 'POST', '/flows', JSON.parse(exported), { 'Node-RED-Deployment-Type': 'full' });
      assert.equal(res.status, 204);
      assert.equal(`${fs.readFileSync(path.join(userDir, 'flows.json'), 'utf8')}\n`, exported);
    });
  });

  describe('command line', () => {
    const noCatalogue = (): Catalogue => {
      throw new Error('formatting needs no catalogue');
    };
    const cli = (args: string[], cwd: string): { status: number; stdout: string; stderr: string } => {
      let stdout = '';
      let stderr = '';
      const status = run(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd, readStdin: () => '', catalogue: noCatalogue });
      return { status, stdout, stderr };
    };

    it('prints, checks and rewrites files in canonical form', () => {
      const dir = tempDir('format-cli');
      // The demo flow as the editor would write it: compact JSON, nodes in another order.
      const original = JSON.stringify((JSON.parse(fs.readFileSync(demoFile, 'utf8')) as unknown[]).reverse());
      fs.writeFileSync(path.join(dir, 'a.json'), original);
      fs.writeFileSync(path.join(dir, 'b.json'), formatFlowText(original));
      fs.writeFileSync(path.join(dir, 'broken.json'), '[{"id": ');

      const printed = cli(['--format', 'a.json'], dir);
      assert.equal(printed.status, 0);
      assert.equal(printed.stdout, formatFlowText(original));

      const check = cli(['--format', '--check', 'a.json', 'b.json'], dir);
      assert.equal(check.status, 1);
      assert.equal(check.stdout, 'a.json: not in canonical form (run factoryhub-flow-check --format --write a.json)\n');

      const written = cli(['--format', '--write', 'a.json', 'b.json'], dir);
      assert.equal(written.status, 0);
      assert.equal(written.stdout, 'a.json: formatted\n', 'only the file that changed is written');
      assert.equal(fs.readFileSync(path.join(dir, 'a.json'), 'utf8'), formatFlowText(original));
      assert.equal(cli(['--format', '--check', 'a.json', 'b.json'], dir).status, 0);

      const broken = cli(['--format', 'broken.json'], dir);
      assert.equal(broken.status, 1);
      assert.match(broken.stderr, /^broken\.json: not valid JSON/);
    });
  });
});
