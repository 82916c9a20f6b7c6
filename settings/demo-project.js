'use strict';
// The first start of a hub with projects on: its flows begin as a Node-RED project, a git repository
// under <userDir>/projects/ holding the demo flow in one commit. IT can review and push it at once, and
// no login meets Node-RED's "no active project" welcome (a full-screen dialog for an account that may
// change projects, an error toast for one that may not). It is made the way Node-RED makes a project
// (the same files, package.json naming the flow and credentials files) and made active the way Node-RED
// keeps it (.config.projects.json, with the project's credential key: with a project active, Node-RED
// encrypts its credentials with that key, not with settings.credentialSecret).
// Only a fresh user directory gets one: flows or projects of an earlier run are left as they are.
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const PROJECT = 'demo-line';
const FLOW_FILE = 'flows.json';
const CREDENTIALS_FILE = 'flows_cred.json';
const PROJECTS_CONFIG = '.config.projects.json';
/** Author of the first commit; later commits are each editor user's (Node-RED's git settings). */
const AUTHOR = ['-c', 'user.name=Factory Hub', '-c', 'user.email=factory-hub@localhost'];

/**
 * Whether the user directory holds no flows and no projects yet (the demo's first run).
 * @param {string} userDir @param {string} [flowFile]
 */
function freshUserDir(userDir, flowFile = FLOW_FILE) {
  if (fs.existsSync(path.join(userDir, flowFile)) || fs.existsSync(path.join(userDir, PROJECTS_CONFIG))) return false;
  const projects = path.join(userDir, 'projects');
  return !fs.existsSync(projects) || fs.readdirSync(projects).length === 0;
}

/** @param {string[]} args @param {string} cwd */
function git(args, cwd) {
  // Quiet and independent of the user's git configuration where it would change the result.
  return execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}

function gitFound() {
  try {
    git(['--version'], process.cwd());
    return true;
  } catch {
    return false;
  }
}

/** @param {{ name: string, version: string }} hubPackage @param {string} dashboardVersion */
function packageJson(hubPackage, dashboardVersion) {
  return {
    name: PROJECT,
    description: 'The Factory Hub demo line: a simulated packaging line, OEE per machine and shift, ERP postings and the dashboard',
    version: '0.0.1',
    // The modules the flows use, so that the project installs on another hub.
    dependencies: { [hubPackage.name]: `^${hubPackage.version}`, 'node-red-dashboard': `^${dashboardVersion}` },
    'node-red': { settings: { flowFile: FLOW_FILE, credentialsFile: CREDENTIALS_FILE } },
  };
}

const README = `${PROJECT}
${'='.repeat(PROJECT.length)}

The Factory Hub demo line, created as this hub's project on its first start: \`flows.json\` holds the
flows (pretty-printed, so that diffs are readable), \`flows_cred.json\` their credentials, encrypted with
the project's key.

Commit and push from the editor (Projects, admin accounts), or review with git here.
`;

/**
 * On a fresh user directory: creates the project `demo-line` from `seedFlow` (one commit) and makes it
 * the active project. Without git (Node-RED then turns projects off) the flow becomes the plain flow
 * file instead. Returns what it did: 'project', 'flow-file' or 'none' (not a fresh directory).
 * @param {{ userDir: string, seedFlow: string, credentialSecret: string, say: (line: string) => void,
 *   hubPackage: { name: string, version: string }, dashboardVersion: string }} options
 * @returns {'project' | 'flow-file' | 'none'}
 */
function createFirstProject({ userDir, seedFlow, credentialSecret, say, hubPackage, dashboardVersion }) {
  if (!freshUserDir(userDir)) return 'none';
  const flow = fs.readFileSync(seedFlow, 'utf8');
  fs.mkdirSync(userDir, { recursive: true });
  if (!gitFound()) {
    say('git was not found: Node-RED Projects are off; the demo flow is the plain flow file. Install git to keep flows in a project.');
    fs.writeFileSync(path.join(userDir, FLOW_FILE), flow);
    return 'flow-file';
  }
  const dir = path.join(userDir, 'projects', PROJECT);
  fs.mkdirSync(dir, { recursive: true });
  try {
    git(['init', '--quiet'], dir);
    fs.writeFileSync(path.join(dir, FLOW_FILE), flow);
    fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(packageJson(hubPackage, dashboardVersion), null, 4)}\n`);
    fs.writeFileSync(path.join(dir, 'README.md'), README);
    // As Node-RED's own projects: its file backups stay out of git.
    fs.writeFileSync(path.join(dir, '.gitignore'), '*.backup\n');
    git(['add', '--', FLOW_FILE, 'package.json', 'README.md', '.gitignore'], dir);
    git([...AUTHOR, 'commit', '--quiet', '--no-verify', '-m', `Create project ${PROJECT}: the demo line (${path.basename(seedFlow)})`], dir);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    say(`Could not create the project ${PROJECT} (${why}); the demo flow is the plain flow file.`);
    fs.writeFileSync(path.join(userDir, FLOW_FILE), flow);
    return 'flow-file';
  }
  const config = { projects: { [PROJECT]: { credentialSecret } }, activeProject: PROJECT };
  fs.writeFileSync(path.join(userDir, PROJECTS_CONFIG), `${JSON.stringify(config, null, 4)}\n`, { mode: 0o600 });
  say(`First run: the flows are the Node-RED project "${PROJECT}" (${dir}), the demo line committed once.`);
  return 'project';
}

module.exports = { createFirstProject, freshUserDir, DEMO_PROJECT: PROJECT };
