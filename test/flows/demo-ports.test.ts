/**
 * `npm start` with every port of the demo moved by the environment, as a second demo beside a first would
 * run: the start log names each port it took, the simulator and the demo ERP listen there, and the shipped
 * demo flow (unchanged: its devices read `${HUB_DEMO_...}` variables) follows, which the editor in Chromium
 * shows as every read node connected. The same editor makes no request outside the hub (no online palette
 * catalogue), the start log explains node-opcua's W27 notice instead of repeating it, and the demo tab is
 * photographed at 1920x1080 into test-artifacts/demo-flow/ (docs/demo-flow.png is a copy).
 * Also: settings/demo-ports.js, which derives the flow's variables for a hub started without start.js.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { freePort } from '../../simulator/modbus-server';
import { launchBrowser } from '../support/browser';
import { readDemoFlow } from '../support/demo-line';
import { HubProcess, ROLE_PASSWORDS, repoRoot, tempDir } from '../support/hub-process';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const demoPorts = require('../../settings/demo-ports.js') as {
  demoPorts(env: Record<string, string | undefined>): { modbus: number; opcua: number; erp: number };
  applyDemoFlowEnv(env: Record<string, string | undefined>): Record<string, string | undefined>;
};

const ARTIFACTS = path.join(repoRoot, 'test-artifacts', 'demo-flow');

/** The editor's global, as far as this test uses it. */
interface BrowserRED {
  nodes: { node(id: string): { status?: { fill?: string; text?: string } } | null };
}
type EditorWindow = { RED?: BrowserRED };

/** Whether something listens on the port (a TCP connect succeeds). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A free port whose next port is free too (the simulator's filler and capper). */
async function twoFreePorts(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 65535 && !(await listening(port + 1))) return port;
  }
}

describe('demo ports: npm start on moved ports, the demo flow following', function () {
  this.timeout(180_000);
  let start: ChildProcessWithoutNullStreams | undefined;
  let browser: Browser | undefined;
  let output = '';

  after(async () => {
    await browser?.close();
    const child = start;
    if (child && child.exitCode === null) {
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      });
    }
  });

  it('derives the flow variables from the asked-for ports, keeps what is set, and names a bad variable', () => {
    assert.deepEqual(demoPorts.demoPorts({}), { modbus: 5020, opcua: 4840, erp: 5080 });
    assert.deepEqual(demoPorts.applyDemoFlowEnv({ HUB_SIMULATOR_MODBUS_PORT: '6020', HUB_DEMO_ERP_PORT: '6080', HUB_DEMO_OPCUA_URL: 'opc.tcp://plc:4840' }), {
      HUB_SIMULATOR_MODBUS_PORT: '6020',
      HUB_DEMO_ERP_PORT: '6080',
      HUB_DEMO_FILLER_PORT: '6020',
      HUB_DEMO_CAPPER_PORT: '6021',
      HUB_DEMO_OPCUA_URL: 'opc.tcp://plc:4840',
      HUB_DEMO_ERP_URL: 'http://127.0.0.1:6080/api',
    });
    assert.throws(() => demoPorts.demoPorts({ HUB_SIMULATOR_OPCUA_PORT: '70000' }), /HUB_SIMULATOR_OPCUA_PORT=70000 is not a port/);
  });

  it('prints the ports it took, listens there, and the editor shows every device of the demo connected', async () => {
    const userDir = path.join(tempDir('demo-ports'), 'userdir');
    const [modbus, opcua, erp] = [await twoFreePorts(), await freePort(), await freePort()];
    const env: Record<string, string> = {
      HUB_USER_DIR: userDir,
      HUB_PORT: '0',
      HUB_HOST: '127.0.0.1',
      HUB_SIMULATOR_MODBUS_PORT: String(modbus),
      HUB_SIMULATOR_OPCUA_PORT: String(opcua),
      HUB_DEMO_ERP_PORT: String(erp),
      HUB_CREDENTIAL_SECRET: 'test-secret-not-for-production',
      HUB_ADMIN_PASSWORD: ROLE_PASSWORDS.admin,
      // npm test has built; a rebuild would empty dist/ under the hubs of the other test jobs.
      HUB_BUILD: '0',
    };
    const child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'start.js')], { cwd: repoRoot, env: { ...process.env, ...env } });
    start = child;
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const banner = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${output}`)), 120_000);
      const look = (): void => {
        const m = /Factory Hub is running[\s\S]*?Log in as/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      };
      child.stdout.on('data', look);
      child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
    });
    const editorUrl = /Editor: +(https:\/\/\S+?)\/?\n/.exec(banner)?.[1] ?? '';
    const editorPort = new URL(editorUrl).port;
    assert.match(banner, new RegExp(`Ports: +editor and dashboard ${editorPort} \\(HUB_PORT\\)`));
    assert.match(banner, new RegExp(`Modbus filler ${modbus}, capper ${modbus + 1} \\(HUB_SIMULATOR_MODBUS_PORT`));
    assert.match(banner, new RegExp(`OPC UA ${opcua} \\(HUB_SIMULATOR_OPCUA_PORT\\), demo ERP ${erp} \\(HUB_DEMO_ERP_PORT\\)`));
    for (const port of [modbus, modbus + 1, opcua, erp]) assert.ok(await listening(port), `something listens on ${port}`);

    // The hub as the test helpers know it, on the URL npm start printed.
    const hub = new HubProcess({ userDir, env });
    hub.url = editorUrl;
    browser = await launchBrowser(hub);
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    const outside: string[] = [];
    await context.route(
      (url) => url.origin !== new URL(hub.url).origin,
      (route) => {
        outside.push(route.request().url());
        return route.abort();
      },
    );
    const page = await context.newPage();
    await page.goto(`${hub.url}/`, { waitUntil: 'domcontentloaded' });
    await page.fill('#node-dialog-login-username', 'admin');
    await page.fill('#node-dialog-login-password', ROLE_PASSWORDS.admin);
    await page.click('#node-dialog-login-submit');
    const flow = readDemoFlow();
    const reads = flow.filter((n) => n.type === 'fh-modbus-read' || n.type === 'fh-opcua-subscribe');
    assert.equal(reads.length, 4);
    // Each read node reports its device connected (green) once the flow reached the moved ports.
    await page.waitForFunction(
      (ids) => ids.every((id) => (globalThis as unknown as EditorWindow).RED?.nodes?.node?.(id)?.status?.fill === 'green'),
      reads.map((n) => n.id),
      { timeout: 60_000 },
    );
    // Dismiss what Node-RED may offer at a first login (projects), so that the photo shows the flow.
    const later = page.getByRole('button', { name: 'Not right now' });
    if (await later.isVisible()) await later.click();
    await page.keyboard.press('Escape');
    // The guided tour opens at this account's first login: closed, so that the photo shows the flow alone.
    await page.locator('.red-ui-tourGuide-popover button:has(.fa-times)').click({ timeout: 30_000 });
    await page.waitForSelector('.red-ui-tourGuide-shade', { state: 'detached' });
    await page.waitForSelector('.red-ui-tourGuide-popover', { state: 'hidden' });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'demo-flow.png') });
    assert.deepEqual(outside, [], 'the editor asks nothing outside the hub (no online palette catalogue)');

    assert.doesNotMatch(output, /\[NODE-OPCUA-W27\]|you need to use node flag/, `the W27 notice is explained, not repeated:\n${output}`);
    assert.equal(output.match(/node-opcua's NODE-OPCUA-W27 notice .* no --security-revert is needed/g)?.length, 1, 'explained once');
    assert.doesNotMatch(output, /\[error\]/, 'no error in the start log');
    assert.doesNotMatch(output, /\[warn\] \[fh-/, "no warning from the hub's nodes (e.g. an OEE node fed a topic it does not know)");
  });
});
