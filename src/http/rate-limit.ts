// Rate-limit headers in the three shapes networks use, normalised to one state (each network's header names sit in
// its NetworkDescriptor, src/providers), and the limiter they feed (one budget per rate-limit window: a host, or an
// endpoint group where the network counts endpoints separately).

export interface RateLimitState {
  limit?: number;
  remaining: number;
  /** When the window resets, ms since the epoch. */
  resetAt: number;
}

/** Reads a response's rate-limit headers; null when the response carries none. */
export type RateLimitNormaliser = (headers: Headers, nowMs: number) => RateLimitState | null;

export type ResetFormat = 'epoch-seconds' | 'iso-timestamp' | 'seconds-until';

export interface RateLimitHeaderNames {
  limit: string;
  remaining: string;
  reset: string;
  format: ResetFormat;
}

function number(value: string | null): number | null {
  if (value === null || value.trim() === '') return null;
  const n = Number(value.trim());
  return Number.isFinite(n) ? n : null;
}

/** A normaliser for one provider's header names and reset format. */
export function rateLimitHeaders(names: RateLimitHeaderNames): RateLimitNormaliser {
  return (headers, nowMs) => {
    const remaining = number(headers.get(names.remaining));
    const resetRaw = headers.get(names.reset);
    if (remaining === null || resetRaw === null) return null;
    let resetAt: number;
    if (names.format === 'iso-timestamp') {
      resetAt = Date.parse(resetRaw);
    } else {
      const n = number(resetRaw);
      if (n === null) return null;
      resetAt = names.format === 'epoch-seconds' ? n * 1000 : nowMs + n * 1000;
    }
    if (!Number.isFinite(resetAt)) return null;
    const limit = number(headers.get(names.limit));
    return limit === null ? { remaining, resetAt } : { limit, remaining, resetAt };
  };
}

/** `Retry-After` as seconds or an HTTP date → milliseconds to wait (never negative); null when absent or invalid. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

/**
 * Budget per rate-limit window (`window`: a host, or a host's endpoint group) from the last rate-limit headers seen.
 * A request takes one unit of `remaining` before it is sent, so concurrent requests cannot overshoot; when none is
 * left it waits for the reset instead of earning a 429.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { state: RateLimitState | null; pausedUntil: number }>();

  private readonly now: () => number;
  /** Requests kept in hand per window (for other clients sharing the same quota). */
  private readonly reserve: number;

  constructor(now: () => number, reserve = 0) {
    this.now = now;
    this.reserve = reserve;
  }

  private entry(window: string) {
    let e = this.windows.get(window);
    if (!e) {
      e = { state: null, pausedUntil: 0 };
      this.windows.set(window, e);
    }
    return e;
  }

  /** How long (ms) a request counted in `window` must wait now; 0 = go. Reserves one unit when it returns 0. */
  take(window: string): number {
    const e = this.entry(window);
    const now = this.now();
    if (e.pausedUntil > now) return e.pausedUntil - now;
    const s = e.state;
    if (s === null || s.resetAt <= now) {
      if (s !== null) e.state = null; // window over: unknown until the next response says otherwise
      return 0;
    }
    if (s.remaining <= this.reserve) return Math.max(1, s.resetAt - now);
    s.remaining -= 1;
    return 0;
  }

  /** The headers of a response: the freshest view of the window (never raises `remaining` within one window). */
  update(window: string, state: RateLimitState): void {
    const e = this.entry(window);
    const old = e.state;
    if (old !== null && old.resetAt === state.resetAt) old.remaining = Math.min(old.remaining, state.remaining);
    else e.state = { ...state };
  }

  /** The network said "not before" (Retry-After on a 429/503): hold every request in that window until then. */
  pause(window: string, untilMs: number): void {
    const e = this.entry(window);
    e.pausedUntil = Math.max(e.pausedUntil, untilMs);
  }

  state(window: string): RateLimitState | null {
    return this.windows.get(window)?.state ?? null;
  }
}
