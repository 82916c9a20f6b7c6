'use strict';
// `npm start`: build if needed, deploy the demo flow on first run, start Node-RED with settings/ and say
// where the editor and the dashboard are and how to log in.
const fs = require('node:fs');
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const userDir = path.resolve(process.env.HUB_USER_DIR || path.join(root, 'data'));
const demoFlow = path.join(root, 'flows', 'demo-line.json');

/** @param {string} dir @returns {number} */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

function buildIfStale() {
  const stamp = path.join(root, 'dist', '.build-stamp');
  const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
  const sources = Math.max(...['nodes', 'flows', 'simulator'].map((d) => newestMtime(path.join(root, d))));
  if (sources > built) execFileSync(process.execPath, [path.join(__dirname, 'build.js')], { stdio: 'inherit' });
}

function deployDemoOnFirstRun() {
  fs.mkdirSync(userDir, { recursive: true });
  const flows = path.join(userDir, 'flows.json');
  if (fs.existsSync(flows)) return false;
  fs.copyFileSync(demoFlow, flows);
  return true;
}

const started = Date.now();
buildIfStale();
const firstRun = deployDemoOnFirstRun();

const red = spawn(
  process.execPath,
  [require.resolve('node-red/red.js'), '--settings', path.join(root, 'settings', 'settings.js')],
  { cwd: root, env: { ...process.env, HUB_USER_DIR: userDir }, stdio: ['inherit', 'pipe', 'inherit'] },
);

let announced = false;
red.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  if (announced) return;
  const match = /Server now running at (\S+?)\/?\s/.exec(chunk.toString());
  if (!match) return;
  announced = true;
  const base = match[1];
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const banner = [
    '',
    `Factory Hub is running (ready in ${seconds} s${firstRun ? ', demo flow deployed' : ''}).`,
    `  Editor:    ${base}/`,
    `  Dashboard: ${base}/ui/`,
    '  Log in as admin (or integrator, technician, operator) with the password printed on the first run,',
    '  or set HUB_ADMIN_PASSWORD (HUB_<NAME>_PASSWORD) before starting. Forgotten? npm run user -- set admin admin',
    '',
  ];
  process.stdout.write(banner.join('\n') + '\n');
});

for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) process.on(signal, () => red.kill(signal));
red.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
