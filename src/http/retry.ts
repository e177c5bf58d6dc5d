// One retry loop for every caller (the HTTP client, the Salesforce and HubSpot connectors). The loop only runs
// attempts and spends waits; after each attempt the caller's policy decides whether to try again and how long to
// wait first (after the shape of Nango's retryFlexible: one loop, a per-caller onError). A policy may also throw: its
// error replaces the attempt's (a dead session becomes NeedsReauthError).

export type RetryDecision = { retry: false } | { retry: true; waitMs: number };

export const STOP: RetryDecision = { retry: false };
export const retryAfter = (waitMs: number): RetryDecision => ({ retry: true, waitMs });

export interface RetryPolicy<T> {
  /** After an attempt that threw. `attempt` counts attempts made, from 1. Stop = the error is rethrown. */
  onError(error: unknown, attempt: number): RetryDecision | Promise<RetryDecision>;
  /** After an attempt that returned (an HTTP 503 is an answer): accept it (the default) or try again. */
  onResult?(result: T, attempt: number): RetryDecision | Promise<RetryDecision>;
  /** How a wait is spent (tests: a fake clock; the HTTP client: cut short by the caller's time budget). */
  sleep?(ms: number): Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function retry<T>(attempt: (attempt: number) => Promise<T>, policy: RetryPolicy<T>): Promise<T> {
  for (let n = 1; ; n++) {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await attempt(n) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    const decision = outcome.ok
      ? ((await policy.onResult?.(outcome.value, n)) ?? STOP)
      : await policy.onError(outcome.error, n);
    if (!decision.retry) {
      if (outcome.ok) return outcome.value;
      throw outcome.error;
    }
    if (decision.waitMs > 0) await (policy.sleep ?? defaultSleep)(decision.waitMs);
  }
}

/**
 * The one backoff formula: full jitter, a random wait in [0, min(cap, base · 2^(attempt − 1))) — spreads clients
 * that failed together ("Exponential Backoff And Jitter", AWS Architecture Blog, 2015).
 */
export function fullJitter(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** (attempt - 1)));
}
