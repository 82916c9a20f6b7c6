/**
 * Flows in git and several people in the editor, against a real hub (settings/ with projects and
 * multiplayer on): a project holding the demo flow is created, deployed and committed through the
 * admin API as the editor does it, and two editor sessions deploying conflicting changes get Node-RED's
 * conflict answer (409 version_mismatch) instead of one silently overwriting the other.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HubProcess, repoRoot, tempDir } from '../support/hub-process';
import { formatFlowText } from '../../tools/flow-check/format';
import { checkFlow } from '../../tools/flow-check/checks';
import { parseFlowText } from '../../tools/flow-check/flow';
import { loadInstalledCatalogue } from '../../tools/flow-check/installed';

type Node = Record<string, unknown> & { id: string; type: string };
interface FlowsV2 {
  flows: Node[];
  rev: string;
}

const PROJECT = 'packaging-line1';
const demoText = formatFlowText(fs.readFileSync(path.join(repoRoot, 'flows', 'demo-line.json'), 'utf8'));
const GIT_USER = { name: 'Ada Admin', email: 'admin@factory.example' };

describe('projects and collaborative editing on a real hub', function () {
  this.timeout(120000);
  const userDir = path.join(tempDir('projects'), 'userdir');
  const hub = new HubProcess({ userDir });

  before(() => hub.start());
  after(() => hub.stop());

  async function json<T>(res: Response, status: number): Promise<T> {
    const text = await res.text();
    assert.equal(res.status, status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  it('creates a project with the demo flow, deploys it and commits it through the admin API', async () => {
    // Changing projects (create, open, commit) is the admin's (settings/roles.js): opening one restarts the flows.
    const token = await hub.login('admin');
    // The git identity of the account, as the editor's user settings (Git config) store it.
    await json(await hub.api(token, 'POST', '/settings/user', { git: { user: GIT_USER } }), 204);

    const created = await json<{ name: string; files: { flow: string } }>(
      await hub.api(token, 'POST', '/projects', {
        name: PROJECT,
        summary: 'Packaging line 1: the demo flow',
        files: { flow: 'flows.json' },
        credentialSecret: 'project-secret-not-for-production',
      }),
      200,
    );
    assert.equal(created.name, PROJECT);
    assert.equal(created.files.flow, 'flows.json');
    const list = await json<{ active: string; projects: string[] }>(await hub.api(token, 'GET', '/projects'), 200);
    assert.equal(list.active, PROJECT);

    // Node-RED answers a deploy once the flow file is written (the nodes start afterwards).
    const deployed = await hub.api(token, 'POST', '/flows', JSON.parse(demoText), { 'Node-RED-Deployment-Type': 'full' });
    assert.equal(deployed.status, 204, await deployed.text());

    const status = await json<{ files: Record<string, { status: string }> }>(await hub.api(token, 'GET', `/projects/${PROJECT}/status`), 200);
    assert.ok(status.files['flows.json'], `flows.json changed: ${JSON.stringify(status.files)}`);
    await json(await hub.api(token, 'POST', `/projects/${PROJECT}/stage`, { files: ['flows.json'] }), 200);
    await json(await hub.api(token, 'POST', `/projects/${PROJECT}/commit`, { message: 'Add the demo line flow' }), 200);

    const commits = await json<{ commits: { subject: string; author: string }[] }>(await hub.api(token, 'GET', `/projects/${PROJECT}/commits`), 200);
    assert.deepEqual(
      commits.commits.map((c) => [c.subject, c.author]),
      [
        ['Add the demo line flow', GIT_USER.name],
        ['Create project', GIT_USER.name],
      ],
    );

    // What is committed is the deployed flow, written pretty-printed, and it passes the flow check.
    const committed = await json<{ content: string }>(await hub.api(token, 'GET', `/projects/${PROJECT}/files/HEAD/flows.json`), 200);
    assert.equal(`${committed.content}\n`, demoText, 'a formatted flow is committed byte for byte');
    const catalogue = loadInstalledCatalogue({ nodesDirs: [repoRoot] });
    assert.deepEqual(checkFlow(parseFlowText(committed.content).nodes, { catalogue }), []);

    // The repository on disk is an ordinary git repository: IT can push it and review the diffs.
    const repo = path.join(userDir, 'projects', PROJECT);
    const log = execFileSync('git', ['-C', repo, 'log', '--format=%an <%ae>|%s'], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(log, [`${GIT_USER.name} <${GIT_USER.email}>|Add the demo line flow`, `${GIT_USER.name} <${GIT_USER.email}>|Create project`]);
    const tracked = execFileSync('git', ['-C', repo, 'ls-files'], { encoding: 'utf8' }).trim().split('\n').sort();
    assert.deepEqual(tracked, ['.gitignore', 'README.md', 'flows.json', 'flows_cred.json', 'package.json']);
    assert.equal(execFileSync('git', ['-C', repo, 'status', '--porcelain'], { encoding: 'utf8' }), '', 'nothing left uncommitted');
  });

  it('lets only the admin account change projects', async () => {
    for (const role of ['integrator', 'technician', 'operator'] as const) {
      const token = await hub.login(role);
      assert.equal((await hub.api(token, 'GET', `/projects/${PROJECT}/status`)).status, 200, `${role} may look`);
      // A logged-in account without the permission: 403 naming it (settings/permission-refusal.js).
      assert.equal((await hub.api(token, 'POST', `/projects/${PROJECT}/commit`, { message: 'x' })).status, 403, `${role} may not commit`);
      assert.equal((await hub.api(token, 'POST', '/projects', { name: `${role}-project`, files: { flow: 'flows.json' } })).status, 403, `${role} may not create projects`);
    }
  });

  it('answers a deploy based on stale flows with 409 version_mismatch instead of overwriting a colleague\'s change', async () => {
    // Two editor sessions (two people), each having loaded the flows at the same revision.
    const anna = await hub.login('integrator');
    const ben = await hub.login('admin');
    const v2 = { 'Node-RED-API-Version': 'v2' };
    const annaView = await json<FlowsV2>(await hub.api(anna, 'GET', '/flows', undefined, v2), 200);
    const benView = await json<FlowsV2>(await hub.api(ben, 'GET', '/flows', undefined, v2), 200);
    assert.equal(annaView.rev, benView.rev);

    const rename = (flows: Node[], id: string, name: string): Node[] => flows.map((n) => (n.id === id ? { ...n, name } : n));
    const deploy = (token: string, body: FlowsV2): Promise<Response> =>
      hub.api(token, 'POST', '/flows', body, { ...v2, 'Node-RED-Deployment-Type': 'nodes' });

    // Anna deploys first.
    const annaFlows = rename(annaView.flows, 'f4c70e0000000031', 'filler speed 85 %');
    const annaDeploy = await json<{ rev: string }>(await deploy(anna, { flows: annaFlows, rev: annaView.rev }), 200);
    assert.notEqual(annaDeploy.rev, annaView.rev);

    // Ben's deploy still carries the revision he loaded: refused, and Anna's change stays.
    const benFlows = rename(benView.flows, 'f4c70e0000000004', 'all write results');
    const conflict = await json<{ code: string }>(await deploy(ben, { flows: benFlows, rev: benView.rev }), 409);
    assert.equal(conflict.code, 'version_mismatch');
    const now = await json<FlowsV2>(await hub.api(ben, 'GET', '/flows', undefined, v2), 200);
    assert.equal(now.rev, annaDeploy.rev);
    const named = (flows: Node[], id: string): unknown => flows.find((n) => n.id === id)?.name;
    assert.equal(named(now.flows, 'f4c70e0000000031'), 'filler speed 85 %', "Anna's change is kept");
    assert.equal(named(now.flows, 'f4c70e0000000004'), 'write results', "Ben's stale deploy changed nothing");

    // Ben merges (the editor's "review changes" does this) and deploys on top of the new revision.
    const merged = await json<{ rev: string }>(await deploy(ben, { flows: rename(now.flows, 'f4c70e0000000004', 'all write results'), rev: now.rev }), 200);
    assert.notEqual(merged.rev, now.rev);
    const final = await json<FlowsV2>(await hub.api(anna, 'GET', '/flows', undefined, v2), 200);
    assert.equal(named(final.flows, 'f4c70e0000000031'), 'filler speed 85 %');
    assert.equal(named(final.flows, 'f4c70e0000000004'), 'all write results');

    // Both changes land in the project's working tree, ready to commit as one reviewed diff.
    const diff = execFileSync('git', ['-C', path.join(userDir, 'projects', PROJECT), 'diff', '--numstat', 'flows.json'], { encoding: 'utf8' }).trim();
    assert.equal(diff, '2\t2\tflows.json', 'two renamed nodes: a two-line diff');
  });
});
