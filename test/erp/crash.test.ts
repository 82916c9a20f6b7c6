/**
 * Crash safety: a hub (Node-RED child process with the hub's settings) takes 2,000 confirmations over an
 * HTTP-in endpoint into fh-erp-post and delivers them to the test SAP S/4HANA in this process, while the
 * test kills the hub with SIGKILL at random moments and starts it again. The producer resends whatever it
 * has no acceptance for (the outbox recognises a resent key). In the end SAP holds every record exactly
 * once, in order per production order. Also with SAP down for the first half. (Each start of Node-RED
 * takes seconds, so the test kills 5 and 3 times; bench/erp-soak.ts kills many more times.) Then the admin endpoints
 * of the live hub, with the roles' permissions.
 */
import assert from 'node:assert/strict';
import { tempDir } from '../support/hub-process';
import { SapTestServer } from './servers/sap';
import { ORDERS, PER_ORDER, assertExactlyOnceInOrder, flows, killer, produce, sleep } from './support/crash-run';
import { ErpHub, erpNodesPackage } from './support/erp-hub';
import { until } from './support/harness';

describe('ERP crash safety: SIGKILL of a hub posting 2,000 records', function () {
  this.timeout(120_000);
  const nodesDir = erpNodesPackage();
  let hub: ErpHub;
  let sap: SapTestServer;

  beforeEach(async () => {
    sap = await new SapTestServer().start();
    hub = new ErpHub(tempDir('erp-crash'), nodesDir);
    await hub.start();
    await hub.deploy(flows(sap.url));
  });
  afterEach(async () => {
    await hub.kill();
    await sap.stop();
  });

  async function run(erpDownForFirstHalf: boolean, killCount: number): Promise<void> {
    if (erpDownForFirstHalf) await sap.setDown(true);
    const accepted = { n: 0 };
    let producing = true;
    const kills: number[] = [];
    const half = (async () => {
      if (!erpDownForFirstHalf) return;
      await until(() => accepted.n >= (ORDERS * PER_ORDER) / 2, 'half the records accepted', 60_000);
      assert.equal(sap.bookings.length, 0);
      await sap.setDown(false);
    })();
    const killing = killer(hub, killCount, () => producing, accepted, kills);
    await produce(hub, accepted).finally(() => (producing = false));
    await killing;
    await half;
    await until(() => sap.bookings.length >= ORDERS * PER_ORDER, `all records in SAP (${sap.bookings.length})`, 60_000);
    await sleep(500);
    assertExactlyOnceInOrder(sap);
    assert.equal(kills.length, killCount, `only ${kills.length} kills happened while posting`);
  }

  it('delivers every record exactly once, in order per order, across 5 SIGKILLs', async () => {
    await run(false, 5);
    // The admin endpoints of the live hub, with the roles' permissions.
    const operator = await hub.token('operator');
    const integrator = await hub.token('integrator');
    const list = await hub.api(integrator, 'GET', '/factoryhub/erp/outboxes');
    assert.equal(list.status, 200);
    const [outbox] = (await list.json()) as { id: string; stats: { depth: number; deadLetters: number } }[];
    assert.equal(outbox.id, 'sap');
    assert.equal((await hub.api(integrator, 'GET', '/factoryhub/erp/outboxes/sap/dead-letters')).status, 200);
    // The operator has no ERP permission (settings/roles.js): 403 naming the missing one.
    assert.equal((await hub.api(operator, 'GET', '/factoryhub/erp/outboxes')).status, 403);
    assert.equal((await hub.api(operator, 'POST', '/factoryhub/erp/outboxes/sap/retry', {})).status, 403);
    assert.equal((await hub.api(operator, 'POST', '/factoryhub/erp/outboxes/sap/purge', { all: true })).status, 403);
    assert.deepEqual(await (await hub.api(integrator, 'POST', '/factoryhub/erp/outboxes/sap/retry', {})).json(), { requeued: 0 });
    assert.equal((await hub.api(integrator, 'POST', '/factoryhub/erp/outboxes/sap/purge', {})).status, 400);
    assert.equal((await hub.api(integrator, 'GET', '/factoryhub/erp/outboxes/nope')).status, 404);
    const stats = (await (await hub.api(integrator, 'GET', '/factoryhub/erp/outboxes/sap')).json()) as { stats: { depth: number } };
    assert.equal(stats.stats.depth, 0);
  });

  it('also with SAP down for the first half (3 SIGKILLs)', async () => {
    await run(true, 3);
  });
});
