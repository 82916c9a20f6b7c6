/**
 * The login limiter's policy core (settings/login-limit.js) on its own, with a fake clock: per-address
 * refusal with Retry-After, per-account growing delay that never blocks, known-good addresses never
 * locked out, bounded memory, bounded concurrent work.
 */
import assert from 'node:assert/strict';
import { BusyError, LoginPolicy, WorkSlots } from '../../settings/login-limit';

const limits = { maxAddressFailures: 5, windowMs: 60_000, accountFreeFailures: 2, accountBaseDelayMs: 100, accountMaxDelayMs: 800, knownGoodMs: 3_600_000, maxTracked: 50 };

describe('login limiter policy', () => {
  it('refuses an address after its failures, with Retry-After until the oldest leaves the window', () => {
    const p = new LoginPolicy(limits);
    for (let i = 0; i < 5; i++) {
      assert.equal(p.before('10.0.0.9', `guess${i}`, 1000 + i).kind, 'check');
      p.after('10.0.0.9', `guess${i}`, false, 1000 + i);
    }
    assert.deepEqual(p.before('10.0.0.9', 'admin', 2000), { kind: 'refuse', retryAfterS: 59 });
    assert.equal(p.before('10.0.0.8', 'admin', 2000).kind, 'check', 'another address is not refused');
    assert.equal(p.before('10.0.0.9', 'admin', 61_001).kind, 'check', 'the window passed');
  });

  it('slows an account down, doubling to a cap, and never refuses it', () => {
    const p = new LoginPolicy(limits);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const d = p.before(`10.1.0.${i}`, 'admin', 1000);
      assert.equal(d.kind, 'check');
      delays.push(d.kind === 'check' ? d.delayMs : -1);
      p.after(`10.1.0.${i}`, 'admin', false, 1000);
    }
    assert.deepEqual(delays, [0, 0, 100, 200, 400, 800, 800, 800]);
  });

  it('lets a known-good address in with the right password, however many guesses came from anywhere', () => {
    const p = new LoginPolicy(limits);
    p.after('10.2.0.1', 'admin', true, 0); // the real admin's workstation
    for (let i = 0; i < 20; i++) p.after('10.2.0.1', 'admin', false, 10 + i); // guesses from the same address (shared NAT)
    for (let i = 0; i < 20; i++) p.after(`10.3.0.${i}`, 'admin', false, 10 + i); // and from everywhere else
    assert.deepEqual(p.before('10.2.0.1', 'admin', 100), { kind: 'check', delayMs: 0, knownGood: true });
    assert.equal(p.before('10.2.0.1', 'operator', 100).kind, 'refuse', 'known-good only for the account it logged in as');
    const other = p.before('10.9.9.9', 'admin', 100);
    assert.ok(other.kind === 'check' && other.delayMs === 800, 'an unknown address waits, but is not blocked');
  });

  it('ends an account delay when the real user logs in, but keeps the address count', () => {
    const p = new LoginPolicy(limits);
    for (let i = 0; i < 4; i++) p.after('10.4.0.1', 'integrator', false, i);
    p.after('10.4.0.1', 'operator', true, 10);
    const d = p.before('10.4.0.2', 'integrator', 20);
    assert.ok(d.kind === 'check' && d.delayMs > 0);
    p.after('10.4.0.2', 'integrator', true, 20);
    const after = p.before('10.4.0.3', 'integrator', 30);
    assert.ok(after.kind === 'check' && after.delayMs === 0);
    p.after('10.4.0.1', 'x', false, 40);
    assert.equal(p.before('10.4.0.1', 'y', 50).kind, 'refuse', 'a valid login as operator did not reset the guesses');
  });

  it('remembers at most maxTracked addresses and names', () => {
    const p = new LoginPolicy(limits);
    for (let i = 0; i < 500; i++) p.after(`10.5.${i >> 8}.${i & 255}`, `name${i}`, false, i);
    assert.ok(p.addressFailures.size <= 50 && p.accountFailures.size <= 50);
  });

  it('runs at most N compares at once, queues a few, and answers busy beyond', async () => {
    const slots = new WorkSlots(2, 1);
    let running = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const job = (): Promise<void> =>
      slots.run(async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((r) => release.push(r));
        running -= 1;
      });
    const jobs = [job(), job(), job()];
    await assert.rejects(job(), (err: unknown) => err instanceof BusyError && err.retryAfterS === 1);
    while (jobs.length) {
      await new Promise((r) => setImmediate(r));
      const r = release.shift();
      if (r) r();
      else break;
    }
    await new Promise((r) => setImmediate(r));
    release.forEach((r) => r());
    await Promise.all(jobs);
    assert.equal(most, 2);
    assert.equal(slots.active, 0);
  });
});
