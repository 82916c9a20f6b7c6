/**
 * The example flows (flows/, offered under Import > Examples): each passes the flow check against
 * the installed nodes, and each tab explains itself with a comment node saying what it shows and
 * what it needs. (That they deploy and import is the smoke test's job.)
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../support/hub-process';
import type { Catalogue } from '../../tools/flow-check/catalogue';
import { checkFlow, defaultRules } from '../../tools/flow-check/checks';
import { parseFlowText } from '../../tools/flow-check/flow';
import { loadInstalledCatalogue } from '../../tools/flow-check/installed';
import { formatProblemLine } from '../../tools/flow-check/report';

const flowsDir = path.join(repoRoot, 'flows');
const files = fs.readdirSync(flowsDir).filter((f) => f.endsWith('.json'));

describe('example flows', function () {
  this.timeout(60000);
  let catalogue: Catalogue;

  before(() => {
    catalogue = loadInstalledCatalogue({ nodesDirs: [repoRoot] });
  });

  it('has at least the demo flow', () => {
    assert.ok(files.includes('demo-line.json'), files.join(', '));
  });

  for (const file of files) {
    it(`flows/${file} passes the flow check, with a comment node saying what it shows and needs`, () => {
      const parsed = parseFlowText(fs.readFileSync(path.join(flowsDir, file), 'utf8'));
      const rules = defaultRules();
      rules.add('example-comment');
      const problems = [...parsed.problems, ...checkFlow(parsed.nodes, { catalogue, rules })];
      assert.deepEqual(
        problems.map((p) => formatProblemLine(`flows/${file}`, p)),
        [],
      );
      assert.ok(parsed.nodes.some((n) => n.type === 'tab'), 'an example opens on its own tab');
    });
  }
});
