// HubSpot's rate limits as the emulator enforces them: a rolling 10-second window per app and portal, a daily cap
// (private apps only), and the search API's own per-second lane (developers.hubspot.com/docs/developer-tooling/platform/usage-guidelines; connectors/hubspot/README.md).
import { rateLimitError } from './errors.ts';

/** Counts events in a sliding window; O(1) amortised per event. */
export class RollingWindow {
  private readonly stamps: number[] = [];
  private head = 0;

  readonly windowMs: number;

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  count(now: number): number {
    while (this.head < this.stamps.length && (this.stamps[this.head] ?? 0) <= now - this.windowMs) this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.stamps.length) {
      this.stamps.splice(0, this.head);
      this.head = 0;
    }
    return this.stamps.length - this.head;
  }

  add(now: number): void {
    this.stamps.push(now);
  }
}

export interface LimitOptions {
  tenSecondLimit: number;
  dailyLimit: number;
  searchPerSecond: number;
}

export interface LimitDecision {
  headers: Record<string, string>;
}

export class RateLimits {
  private readonly burst = new RollingWindow(10_000);
  private readonly search = new RollingWindow(1_000);
  private dailyUsed = 0;

  readonly options: LimitOptions;

  constructor(options: LimitOptions) {
    this.options = options;
  }

  /**
   * Admits one call or throws the 429 HubSpot sends. `daily` is false for OAuth tokens: public apps have no daily
   * cap and their responses carry no Daily headers.
   */
  admit(kind: { search: boolean; daily: boolean }, now = Date.now()): LimitDecision {
    const { tenSecondLimit, dailyLimit, searchPerSecond } = this.options;
    if (kind.daily && this.dailyUsed >= dailyLimit) throw rateLimitError('DAILY', this.headers(kind.daily, now));
    if (this.burst.count(now) >= tenSecondLimit)
      throw rateLimitError('TEN_SECONDLY_ROLLING', this.headers(kind.daily, now));
    if (kind.search && this.search.count(now) >= searchPerSecond) {
      throw rateLimitError('SECONDLY', this.headers(kind.daily, now));
    }
    this.burst.add(now);
    if (kind.search) this.search.add(now);
    if (kind.daily) this.dailyUsed += 1;
    return { headers: this.headers(kind.daily, now) };
  }

  headers(daily: boolean, now = Date.now()): Record<string, string> {
    const h: Record<string, string> = {
      'X-HubSpot-RateLimit-Interval-Milliseconds': '10000',
      'X-HubSpot-RateLimit-Max': String(this.options.tenSecondLimit),
      'X-HubSpot-RateLimit-Remaining': String(Math.max(0, this.options.tenSecondLimit - this.burst.count(now))),
      'X-HubSpot-RateLimit-Secondly': String(this.options.searchPerSecond),
      'X-HubSpot-RateLimit-Secondly-Remaining': String(
        Math.max(0, this.options.searchPerSecond - this.search.count(now)),
      ),
    };
    if (daily) {
      h['X-HubSpot-RateLimit-Daily'] = String(this.options.dailyLimit);
      h['X-HubSpot-RateLimit-Daily-Remaining'] = String(Math.max(0, this.options.dailyLimit - this.dailyUsed));
    }
    return h;
  }

  get dailyRemaining(): number {
    return Math.max(0, this.options.dailyLimit - this.dailyUsed);
  }

  /** Tests: spend the daily quota down to `remaining`. */
  setDailyRemaining(remaining: number): void {
    this.dailyUsed = Math.max(0, this.options.dailyLimit - remaining);
  }
}
