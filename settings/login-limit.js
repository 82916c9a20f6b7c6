'use strict';
// The login limiter's policy, one for every way in (editor, dashboard, Basic, API tokens): pure, no I/O,
// the clock passed in. Two limits together, so guessing is slow and nobody can lock the real user out:
// - per client address: after `maxAddressFailures` failures within `windowMs` the address is refused
//   (HTTP 429, Retry-After) until its oldest failure leaves the window;
// - per account name (known or not, so it tells nothing): failures past `accountFreeFailures` delay
//   each further attempt, doubling up to `accountMaxDelayMs`; the account is never blocked.
// An address that logged in as an account before (known-good) is neither delayed nor refused for that
// account: its password is checked, and a correct one always gets in.

/**
 * @typedef {object} LimitOptions
 * @property {number} maxAddressFailures failures of one address within windowMs before it is refused
 * @property {number} windowMs how long a failure counts
 * @property {number} accountFreeFailures failures of one account name before attempts on it are delayed
 * @property {number} accountBaseDelayMs the first delay; each further failure doubles it
 * @property {number} accountMaxDelayMs the longest delay
 * @property {number} knownGoodMs how long a successful login keeps its address known-good for the account
 * @property {number} maxTracked most addresses, account names and known-good pairs remembered (oldest forgotten first)
 */

/** @type {LimitOptions} */
const DEFAULT_LIMITS = {
  maxAddressFailures: 10,
  windowMs: 15 * 60 * 1000,
  accountFreeFailures: 3,
  accountBaseDelayMs: 500,
  accountMaxDelayMs: 8000,
  knownGoodMs: 30 * 24 * 3600 * 1000,
  maxTracked: 10000,
};

/**
 * What to do before checking a password: refuse it (the address is over its limit), or check it after
 * `delayMs` (0 when the account has few recent failures or the address is known-good for it).
 * @typedef {{ kind: 'refuse', retryAfterS: number } | { kind: 'check', delayMs: number, knownGood: boolean }} Decision
 */

class LoginPolicy {
  /** @param {Partial<LimitOptions>} [options] */
  constructor(options = {}) {
    /** @type {LimitOptions} */
    this.limits = { ...DEFAULT_LIMITS, ...options };
    /** @type {Map<string, number[]>} address -> times of its recent failures (at most maxAddressFailures) */
    this.addressFailures = new Map();
    /** @type {Map<string, { count: number, last: number }>} account name -> recent failures */
    this.accountFailures = new Map();
    /** @type {Map<string, number>} `address\naccount` -> time of the last successful login */
    this.knownGood = new Map();
  }

  /**
   * @param {string} address @param {string} account @param {number} now
   * @returns {Decision}
   */
  before(address, account, now) {
    const knownGood = this.isKnownGood(address, account, now);
    if (!knownGood) {
      const times = this.recentFailures(address, now);
      if (times.length >= this.limits.maxAddressFailures) {
        return { kind: 'refuse', retryAfterS: Math.max(1, Math.ceil((times[0] + this.limits.windowMs - now) / 1000)) };
      }
    }
    return { kind: 'check', delayMs: knownGood ? 0 : this.accountDelay(account, now), knownGood };
  }

  /**
   * The result of a checked password.
   * @param {string} address @param {string} account @param {boolean} ok @param {number} now
   */
  after(address, account, ok, now) {
    if (ok) {
      // The real user is back: the account's delay ends. The address's failures stay (an attacker with
      // one valid account must not wipe the count of guesses at the others).
      this.accountFailures.delete(account);
      remember(this.knownGood, `${address}\n${account}`, now, this.limits.maxTracked);
      return;
    }
    const times = this.recentFailures(address, now).concat(now).slice(-this.limits.maxAddressFailures);
    remember(this.addressFailures, address, times, this.limits.maxTracked);
    const previous = this.accountFailures.get(account);
    const count = previous && now - previous.last < this.limits.windowMs ? previous.count + 1 : 1;
    remember(this.accountFailures, account, { count, last: now }, this.limits.maxTracked);
  }

  /**
   * A refusal that is not a password (an unknown or revoked API token): counts for the address only.
   * @param {string} address @param {number} now
   */
  failure(address, now) {
    const times = this.recentFailures(address, now).concat(now).slice(-this.limits.maxAddressFailures);
    remember(this.addressFailures, address, times, this.limits.maxTracked);
  }

  /** Seconds until the address may try again, 0 when it may now. @param {string} address @param {number} now */
  addressRetryAfterS(address, now) {
    const times = this.recentFailures(address, now);
    if (times.length < this.limits.maxAddressFailures) return 0;
    return Math.max(1, Math.ceil((times[0] + this.limits.windowMs - now) / 1000));
  }

  /** @param {string} address @param {string} account @param {number} now */
  isKnownGood(address, account, now) {
    const at = this.knownGood.get(`${address}\n${account}`);
    return at !== undefined && now - at < this.limits.knownGoodMs;
  }

  /** @param {string} address @param {number} now @returns {number[]} */
  recentFailures(address, now) {
    const times = this.addressFailures.get(address);
    return times ? times.filter((t) => now - t < this.limits.windowMs) : [];
  }

  /** @param {string} account @param {number} now */
  accountDelay(account, now) {
    const f = this.accountFailures.get(account);
    if (!f || now - f.last >= this.limits.windowMs) return 0;
    const over = f.count - this.limits.accountFreeFailures;
    if (over < 0) return 0;
    return Math.min(this.limits.accountBaseDelayMs * 2 ** Math.min(over, 30), this.limits.accountMaxDelayMs);
  }
}

/**
 * Sets `key` as the newest entry; drops the oldest beyond `max`, so memory stays bounded whatever an attacker sends.
 * @template V @param {Map<string, V>} map @param {string} key @param {V} value @param {number} max
 */
function remember(map, key, value, max) {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
  }
}

/** Thrown by WorkSlots.run when every slot is busy and the queue is full. */
class BusyError extends Error {
  constructor() {
    super('busy');
    this.retryAfterS = 1;
  }
}

/**
 * Bounded concurrent work (bcrypt compares: the hub has 2 cores): at most `running` at once, at most
 * `queued` waiting; beyond that run() rejects with BusyError at once.
 */
class WorkSlots {
  /** @param {number} running @param {number} queued */
  constructor(running, queued) {
    this.running = running;
    this.queued = queued;
    this.active = 0;
    /** @type {(() => void)[]} */
    this.waiting = [];
  }

  /** @template T @param {() => Promise<T>} work @returns {Promise<T>} */
  async run(work) {
    if (this.active >= this.running) {
      if (this.waiting.length >= this.queued) throw new BusyError();
      await new Promise((resolve) => this.waiting.push(() => resolve(undefined)));
    } else {
      this.active += 1;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next in line; `active` only drops when nobody waits.
      if (next) next();
      else this.active -= 1;
    }
  }
}

module.exports = { LoginPolicy, WorkSlots, BusyError, DEFAULT_LIMITS };
