/**
 * The demo flow at a shift end, in a real hub on the simulated line: each machine's fh-oee node closes
 * the shift, and the flow books every machine's shift OEE and the case packer's production
 * confirmations in the demo ERP through the outbox, once each. The flow's calendar is given one shift
 * that ends about a minute after the hub starts, so the test sees a real shift end.
 */
import assert from 'node:assert/strict';
import type { Booking } from '../../simulator/erp-server';
import { DEMO_NAMES, readDemoFlow, startDemo } from '../support/demo-line';
import type { RunningDemo } from '../support/demo-line';

const MINUTE = 60_000;
const MACHINES = ['filler', 'capper', 'labeller', 'casepacker'];
const LINE = 'demo/packaging/line1/';
/** "HH:MM" in UTC of an instant. */
const clock = (t: number): string => new Date(t).toISOString().slice(11, 16);

describe('demo flow: a shift end books shift OEE and confirmations in the ERP', function () {
  this.timeout(240_000);
  let demo: RunningDemo | undefined;
  let shiftEnd = 0;

  before(async () => {
    const now = Date.now();
    // At least 45 s of production in the shift after the hub is up, on a whole minute (the calendar's unit).
    shiftEnd = Math.ceil((now + 45_000) / MINUTE) * MINUTE;
    const start = shiftEnd - 60 * MINUTE;
    const flow = readDemoFlow().map((n) =>
      n.type === 'fh-shift-calendar' && n.name === DEMO_NAMES.shiftCalendar
        ? { ...n, timeZone: 'UTC', shifts: [{ name: 'Short', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: clock(start), end: clock(shiftEnd), breaks: [] }], holidays: [], plannedStops: [] }
        : n,
    );
    demo = await startDemo({ name: 'demo-shift-end', flow, calendarAroundNow: false });
  });

  after(async () => {
    await demo?.stop();
  });

  it('books one shift-OEE record per machine and a confirmation per product of the case packer, once each', async () => {
    const erp = demo!.erp;
    const booked = (kind: string): Booking[] => erp.bookings().filter((b) => b.doc.kind === kind);
    const deadline = shiftEnd + 60_000;
    while (Date.now() < deadline && !(booked('shift-oee').length >= MACHINES.length && booked('confirmation').length >= 1)) {
      await new Promise((r) => setTimeout(r, 500));
    }
    const oee = booked('shift-oee');
    assert.deepEqual(oee.map((b) => b.doc.workCenter).sort(), MACHINES.map((m) => LINE + m).sort(), JSON.stringify(erp.bookings().map((b) => b.doc), null, 1));
    for (const b of oee) {
      const figures = b.doc.oee as Record<string, number>;
      for (const k of ['availability', 'performance', 'quality', 'oee']) assert.ok(figures[k] >= 0 && figures[k] <= 1.5, `${String(b.doc.workCenter)} ${k} = ${figures[k]}`);
      assert.equal(new Date(String(b.doc.end)).getTime(), shiftEnd);
    }
    const confirmations = booked('confirmation');
    for (const c of confirmations) {
      assert.equal(c.doc.workCenter, `${LINE}casepacker`);
      assert.equal(c.doc.unit, 'CS');
      assert.match(String(c.doc.order), /^47110\d\d$/);
      assert.ok(Number(c.doc.yield) >= 0 && Number(c.doc.scrap) >= 0);
      assert.ok(Number(c.doc.yield) + Number(c.doc.scrap) > 0, 'a confirmation of a product that was made');
    }
    // Nothing booked twice: every key once.
    const keys = erp.bookings().map((b) => String(b.doc.key));
    assert.equal(new Set(keys).size, keys.length);
    const errors = demo!.hub.log.split('\n').filter((l) => /\[error\]/.test(l));
    assert.deepEqual(errors, []);
  });
});
