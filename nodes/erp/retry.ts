/**
 * When to try again: exponential backoff with full jitter ("sleep = random(0, min(cap, base * 2^n))",
 * which spreads the retries of many hubs after an ERP outage instead of having them all return at once),
 * never sooner than the ERP's Retry-After, and never later than the cap: a Retry-After longer than the cap
 * (a misconfigured ERP saying "retry in an hour") is cut to the cap, so it cannot park the queue.
 */
export interface RetryPolicy {
  /** First backoff ceiling in ms (doubles per attempt). */
  readonly baseMs: number;
  /** Largest backoff in ms. */
  readonly capMs: number;
  /** Longest Retry-After honoured, when shorter than the cap (the cap by default). */
  readonly maxRetryAfterMs?: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1000, capMs: 5 * 60_000 };

/**
 * Delay before attempt number `attempt + 1`, where `attempt` counts the failures so far (1 after the first).
 * `random` is injectable so tests can pin it.
 */
export function backoffMs(policy: RetryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  // Full jitter, but at least a tenth of the base so a zero draw does not become a hot loop.
  const jittered = Math.max(policy.baseMs / 10, random() * exp);
  const asked = retryAfterMs === undefined ? 0 : Math.min(retryAfterMs, policy.capMs, policy.maxRetryAfterMs ?? Infinity);
  return Math.round(Math.max(jittered, asked));
}
