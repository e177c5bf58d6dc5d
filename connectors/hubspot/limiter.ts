// One rate limiter per HubSpot portal, shared by every call the connector makes (reads, writes, property calls):
// a rolling window sized from the X-HubSpot-RateLimit-* headers, and search on its own ≤ 4/s lane on top.
// Local counting keeps a lone run at zero 429s; the headers catch other apps spending the same portal's quota.

export type Lane = 'api' | 'search';

export interface LimiterSettings {
  /** Requests per window until the portal's headers say otherwise (100 is HubSpot's lowest tier). */
  max: number;
  intervalMs: number;
  searchPerSecond: number;
  /**
   * Slack added to each window. Slots are re-stamped when the response arrives (never before HubSpot counted the
   * request), so this only has to cover timer and clock granularity.
   */
  marginMs: number;
  searchMarginMs: number;
}

export const DEFAULT_LIMITER_SETTINGS: LimiterSettings = {
  max: 100,
  intervalMs: 10_000,
  searchPerSecond: 4,
  marginMs: 25,
  searchMarginMs: 10,
};

/**
 * Requests counted in a sliding window. A slot is stamped when it is granted and stamped again when the response
 * arrives: HubSpot counts a request when it arrives, which is somewhere in between, so the later stamp is the
 * safe one for deciding when the slot leaves the window.
 */
class Window {
  private slots: { t: number }[] = [];

  private prune(now: number, windowMs: number): void {
    if (this.slots.length > 0 && (this.slots[0]?.t ?? 0) <= now - windowMs)
      this.slots = this.slots.filter((s) => s.t > now - windowMs);
  }

  /** ms until one more event fits into `max` per `windowMs`; 0 = now. */
  waitFor(now: number, max: number, windowMs: number): number {
    this.prune(now, windowMs);
    const live = this.slots.filter((s) => s.t > now - windowMs);
    if (live.length < max) return 0;
    const times = live.map((s) => s.t).sort((a, b) => a - b);
    return Math.max(1, (times[live.length - max] ?? now) + windowMs - now);
  }

  add(now: number): { t: number } {
    const slot = { t: now };
    this.slots.push(slot);
    return slot;
  }

  count(now: number, windowMs: number): number {
    return this.slots.filter((s) => s.t > now - windowMs).length;
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class PortalLimiter {
  private readonly api = new Window();
  private readonly search = new Window();
  private pausedUntil = { api: 0, search: 0 };
  /** Serialises grants so concurrent callers cannot both take the last slot. */
  private queue: Promise<void> = Promise.resolve();
  readonly settings: LimiterSettings;
  /** Time spent waiting for a slot (ms), for the run's figures. */
  waitedMs = 0;

  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    settings: Partial<LimiterSettings> = {},
    now: () => number = Date.now,
    sleep: (ms: number) => Promise<void> = defaultSleep,
  ) {
    this.now = now;
    this.sleep = sleep;
    this.settings = { ...DEFAULT_LIMITER_SETTINGS, ...settings };
  }

  /**
   * Resolves when one more request on `lane` may be sent; the slot is counted at once. Call the returned function
   * when the response has arrived.
   */
  acquire(lane: Lane): Promise<() => void> {
    const turn = this.queue.then(() => this.grant(lane));
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  private async grant(lane: Lane): Promise<() => void> {
    for (;;) {
      const now = this.now();
      const s = this.settings;
      const paused = Math.max(this.pausedUntil.api, lane === 'search' ? this.pausedUntil.search : 0) - now;
      const wait = Math.max(
        paused,
        this.api.waitFor(now, s.max, s.intervalMs + s.marginMs),
        lane === 'search' ? this.search.waitFor(now, s.searchPerSecond, 1000 + s.searchMarginMs) : 0,
      );
      if (wait <= 0) {
        const slots = [this.api.add(now), ...(lane === 'search' ? [this.search.add(now)] : [])];
        return () => {
          const done = this.now();
          for (const slot of slots) slot.t = Math.max(slot.t, done);
        };
      }
      this.waitedMs += wait;
      await this.sleep(wait);
    }
  }

  /** A response's rate-limit headers (names case-insensitive). */
  observe(headers: Record<string, string>): void {
    const get = (name: string) => {
      const value = headers[name.toLowerCase()] ?? headers[name];
      return value === undefined || !/^\d+$/.test(value) ? undefined : Number(value);
    };
    const max = get('X-HubSpot-RateLimit-Max');
    const interval = get('X-HubSpot-RateLimit-Interval-Milliseconds');
    const remaining = get('X-HubSpot-RateLimit-Remaining');
    if (max !== undefined && max > 0) this.settings.max = max;
    if (interval !== undefined && interval > 0) this.settings.intervalMs = interval;
    // Someone else is spending this portal's window: hold new requests for a slice of it.
    const now = this.now();
    if (remaining === 0 && this.api.count(now, this.settings.intervalMs) < this.settings.max - 1) {
      this.pause('api', now + Math.ceil(this.settings.intervalMs / 10));
    }
  }

  /** After a 429: nothing on `lane` (api = everything) before `untilMs`. */
  pause(lane: Lane, untilMs: number): void {
    this.pausedUntil[lane] = Math.max(this.pausedUntil[lane], untilMs);
  }
}
