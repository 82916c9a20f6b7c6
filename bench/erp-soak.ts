/**
 * Soak of the ERP outbox's crash safety (not part of `npm test`, too long for it):
 *   node --import tsx bench/erp-soak.ts [kills=30] [rounds=1]
 * Each round: a hub takes 2,000 records while it is SIGKILLed `kills` times at random moments (SAP down
 * for the first half of every second round); in the end the test SAP must hold every record exactly once,
 * in order per production order.
 */
import { tempDir } from '../test/support/hub-process';
import { SapTestServer } from '../test/erp/servers/sap';
import { ORDERS, PER_ORDER, assertExactlyOnceInOrder, flows, killer, produce } from '../test/erp/support/crash-run';
import { ErpHub, erpNodesPackage } from '../test/erp/support/erp-hub';
import { until } from '../test/erp/support/harness';

async function round(nodesDir: string, kills: number, erpDown: boolean): Promise<void> {
  const sap = await new SapTestServer().start();
  const hub = new ErpHub(tempDir('erp-soak'), nodesDir);
  try {
    await hub.start();
    await hub.deploy(flows(sap.url));
    if (erpDown) await sap.setDown(true);
    const accepted = { n: 0 };
    let producing = true;
    const done: number[] = [];
    const up = erpDown ? until(() => accepted.n >= (ORDERS * PER_ORDER) / 2, 'half', 600_000).then(() => sap.setDown(false)) : Promise.resolve();
    const killing = killer(hub, kills, () => producing, accepted, done);
    await produce(hub, accepted).finally(() => (producing = false));
    await killing;
    await up;
    await until(() => sap.bookings.length >= ORDERS * PER_ORDER, 'all records in SAP', 300_000);
    await new Promise((r) => setTimeout(r, 1000));
    assertExactlyOnceInOrder(sap);
    console.log(`round ok: ${done.length} SIGKILLs, ${sap.bookings.length} bookings, ERP down first half: ${erpDown}`);
  } finally {
    await hub.kill();
    await sap.stop();
  }
}

async function main(): Promise<void> {
  const kills = Number(process.argv[2] ?? 30);
  const rounds = Number(process.argv[3] ?? 1);
  const nodesDir = erpNodesPackage();
  for (let r = 0; r < rounds; r++) await round(nodesDir, kills, r % 2 === 1);
  console.log(`SOAK erp rounds=${rounds} kills_per_round=${kills} exactly_once=yes`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
