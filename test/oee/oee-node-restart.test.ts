/**
 * Durable OEE state in a real hub: Node-RED as a child process with the hub's settings (security,
 * file-backed context), an http-in endpoint standing in for the PLC's tags, and fh-oee. Mid-shift the
 * hub is stopped (SIGTERM), later killed (SIGKILL), redeployed with a changed setting, while the PLC's
 * absolute counters keep rising; after each restart the shift's counts equal exactly the parts the
 * PLC made: none lost, none counted twice. Removing the node deletes its state file.
 *
 * The hub loads the OEE nodes from their TypeScript sources (a small package in a temporary folder
 * whose node files register tsx), so the test needs no build and no entry in package.json.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FiguresPayload } from '../../nodes/oee/output';
import type { NodeState } from '../../nodes/oee/state-file';
import { HubProcess, basicAuth, tempDir } from '../support/hub-process';
import { sourcePackage } from './oee-hub';

const OEE_ID = 'e0e0000000000003';
const MACHINE = 'plant/line1/filler';

/** "HH:MM" in UTC of an instant. */
const clock = (t: number): string => new Date(t).toISOString().slice(11, 16);

/** The flow: POST /oee-test/tags (one object per scan) -> fh-oee; GET /oee-test/report -> fh-oee -> reply. */
function flow(oee: Record<string, unknown> = {}, withOee = true): Record<string, unknown>[] {
  // A shift around now (UTC, every day), so the test runs in production time whenever it runs.
  const hour = 3_600_000;
  const start = Math.floor(Date.now() / hour) * hour - hour;
  const all = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
  const nodes: Record<string, unknown>[] = [
    { id: 'e0e0000000000001', type: 'tab', label: 'oee restart' },
    { id: 'e0e0000000000002', type: 'fh-shift-calendar', name: 'around the clock', timeZone: 'UTC', shifts: [{ name: 'Now', days: all, start: clock(start), end: clock(start + 4 * hour), breaks: [] }], holidays: [], plannedStops: [] },
    { id: 'e0e0000000000010', type: 'http in', z: 'e0e0000000000001', url: '/oee-test/tags', method: 'post', wires: [[OEE_ID, 'e0e0000000000011']] },
    { id: 'e0e0000000000011', type: 'http response', z: 'e0e0000000000001', statusCode: '204', wires: [] },
    { id: 'e0e0000000000020', type: 'http in', z: 'e0e0000000000001', url: '/oee-test/report', method: 'get', wires: [['e0e0000000000021']] },
    { id: 'e0e0000000000021', type: 'change', z: 'e0e0000000000001', rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'report', tot: 'str' }], wires: [[withOee ? OEE_ID : 'e0e0000000000023']] },
    // Output 1 carries periodic figures too; only a report request has a response object.
    { id: 'e0e0000000000022', type: 'switch', z: 'e0e0000000000001', property: 'res', propertyType: 'msg', rules: [{ t: 'nnull' }], checkall: 'true', outputs: 1, wires: [['e0e0000000000023']] },
    { id: 'e0e0000000000023', type: 'http response', z: 'e0e0000000000001', statusCode: '', wires: [] },
  ];
  if (withOee) {
    nodes.push({
      id: OEE_ID,
      type: 'fh-oee',
      z: 'e0e0000000000001',
      name: '',
      machine: MACHINE,
      calendar: 'e0e0000000000002',
      stateSource: 'state',
      stateTag: `${MACHINE}/state`,
      stateMap: [
        { value: '1', state: 'running' },
        { value: '2', state: 'down' },
      ],
      countBasis: 'total+good',
      totalTag: `${MACHINE}/count`,
      goodTag: `${MACHINE}/good`,
      counterMode: 'abs16',
      reasons: [],
      products: [{ name: 'A', ict: '0.5' }],
      defaultProduct: 'A',
      smallStop: 300,
      staleAfter: 60,
      reportInterval: 1,
      tickInterval: 1,
      // Long enough that the kill below surely lands between two writes.
      saveInterval: 5,
      wires: [['e0e0000000000022'], [], []],
      ...oee,
    });
  }
  return nodes;
}

/** The PLC: absolute 16-bit counters that keep rising whether or not the hub is there. */
class Plc {
  total = 65_500; // near the top, so the counters wrap during the test
  good = 65_500;
  made = 0;
  madeGood = 0;

  produce(parts: number, rejects = 0): void {
    this.total = (this.total + parts) % 65_536;
    this.good = (this.good + parts - rejects) % 65_536;
    this.made += parts;
    this.madeGood += parts - rejects;
  }
}

describe('oee/fh-oee durable state in a real hub (restart, kill, redeploy)', function () {
  this.timeout(60_000);
  let work = '';
  let hub: HubProcess;
  let stateFile = '';
  const plc = new Plc();
  let token = '';

  before(() => {
    work = tempDir('oee-restart');
    const userDir = path.join(work, 'userdir');
    hub = new HubProcess({ userDir, nodesDir: sourcePackage(work) });
    stateFile = path.join(userDir, 'oee', `${OEE_ID}.json`);
  });

  const post = async (values: Record<string, unknown>): Promise<void> => {
    const res = await hub.fetch('/oee-test/tags', {
      method: 'POST',
      headers: { authorization: basicAuth('integrator'), 'content-type': 'application/json' },
      body: JSON.stringify(Object.fromEntries(Object.entries(values).map(([k, v]) => [`${MACHINE}/${k}`, v]))),
    });
    assert.equal(res.status, 204, await res.text());
  };
  /** Down, then running again: at least a few ms apart, as the engine drops a 0 ms stop (two changes in one ms). */
  const shortStop = async (): Promise<void> => {
    await post({ state: 2 });
    await new Promise((r) => setTimeout(r, 5));
    await post({ state: 1 });
  };
  const counters = (): Promise<void> => post({ state: 1, count: plc.total, good: plc.good });
  const report = async (): Promise<FiguresPayload & { stops: { id: number; state: string }[] }> => {
    const res = await hub.fetch('/oee-test/report', { headers: { authorization: basicAuth('integrator') } });
    assert.equal(res.status, 200);
    return (await res.json()) as FiguresPayload & { stops: { id: number; state: string }[] };
  };
  const saved = (): NodeState & { engine: { signals: { counters: { last: number }[] } } } => JSON.parse(fs.readFileSync(stateFile, 'utf8')) as NodeState & { engine: { signals: { counters: { last: number }[] } } };
  /** Deploys and waits until the flows run: Node-RED answers the deploy before it starts them. */
  const deploy = async (nodes: Record<string, unknown>[], type: 'full' | 'nodes' = 'full'): Promise<void> => {
    const from = hub.log.length;
    const res = await hub.api(token, 'POST', '/flows', nodes, { 'Node-RED-Deployment-Type': type });
    assert.equal(res.status, 204, await res.text());
    await hub.waitForLog(type === 'full' ? /Started flows/ : /Started modified nodes/, from);
  };
  const start = async (): Promise<void> => {
    const from = hub.log.length;
    await hub.start();
    await hub.waitForLog(/Started flows/, from);
    token = await hub.login('admin');
  };
  /** SIGKILL: no close handler runs, nothing is flushed. */
  const kill = async (): Promise<void> => {
    // HubProcess keeps its child private; a kill -9 is what this test is about, so reach for it.
    const child = (hub as unknown as { child?: ChildProcess }).child!;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  };
  const expectExact = async (what: string): Promise<FiguresPayload & { stops: { id: number; state: string }[] }> => {
    const f = await report();
    assert.equal(f.counts.total, plc.made, `${what}: total count is the parts made`);
    assert.equal(f.counts.good, plc.madeGood, `${what}: good count is the good parts made`);
    return f;
  };

  afterEach(function () {
    // The hub's log tells what happened when a step failed.
    if (this.currentTest?.state === 'failed') console.log(hub.log.replace(/^.*password.*$/gim, ''));
  });

  after(async () => {
    await hub?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('counts every part exactly once across a stop, a kill and a redeploy, and forgets a removed node', async () => {
    await start();
    await deploy(flow());
    // The first reading is the baseline; then the machine makes parts, with a short stop.
    await counters();
    plc.produce(20, 1);
    await counters();
    await shortStop();
    plc.produce(30, 2); // the 16-bit counters wrap here
    await counters();
    let f = await expectExact('before the stop');
    assert.equal(f.state, 'running');
    assert.deepEqual(f.stops.map((s) => [s.id, s.state]), [[1, 'down']]);

    // SIGTERM: Node-RED stops the flows; the node writes its state before it is done.
    await hub.stop();
    assert.equal(saved().engine.signals.counters[0].last, plc.total, 'the last reading is on disk');
    plc.produce(40, 3); // while the hub is down
    await start();
    await counters();
    f = await expectExact('after a restart');
    assert.equal(f.state, 'running', 'figures go on');
    assert.ok(f.availability !== null && f.performance !== null && f.quality !== null && f.oee !== null);
    await shortStop();
    f = await report();
    assert.deepEqual(f.stops.map((s) => s.id), [1, 2], 'stop ids go on');

    // SIGKILL right after new readings: the state file is older than what the node had counted.
    plc.produce(25, 0);
    await counters();
    await kill();
    assert.ok(saved().engine.signals.counters[0].last !== plc.total, 'the kill landed before the newest reading was saved');
    plc.produce(35, 4); // while the hub is dead
    await start();
    await counters();
    f = await expectExact('after a kill');
    // The stop announced just before the kill was written ahead of its events: its id is not reused.
    await shortStop();
    f = await report();
    assert.deepEqual(f.stops.map((s) => s.id), [1, 2, 3], 'stop ids stay unique across a kill');

    // Redeploy of the node with a changed setting: closed (state saved) and started again.
    plc.produce(15, 1);
    await counters();
    await deploy(flow({ smallStop: 120 }), 'nodes');
    plc.produce(10, 0);
    await counters();
    f = await expectExact('after a redeploy');
    assert.deepEqual(f.stops.map((s) => s.id), [1, 2, 3]);
    assert.ok(f.counts.total > 150);

    // Removing the node from the flows deletes its state.
    assert.ok(fs.existsSync(stateFile));
    await deploy(flow({}, false));
    assert.ok(!fs.existsSync(stateFile), 'state file removed with the node');
    const files = fs.readdirSync(path.dirname(stateFile));
    assert.deepEqual(files.filter((n) => n.endsWith('.tmp')), [], 'no temporary file left');
  });
});
