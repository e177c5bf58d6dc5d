// Per-account sign-in throttle, beside the per-IP limiter: after a few wrong passwords for one account, each further
// attempt on it must wait twice as long as the last (capped), from any IP. A lock-out would let an attacker keep the
// real admin out, so a browser that signed in to the account before (a signed "device" cookie, OWASP's device-cookie
// scheme) is not held back, and its typos do not count. Kept in memory: one process's view, bounded in size.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface AccountThrottleOptions {
  /** Wrong passwords in a row allowed without waiting (default 5). */
  freeFailures?: number;
  /** The first wait; each further failure doubles it (default 1 s). */
  baseDelayMs?: number;
  /** The longest wait (default 15 minutes). */
  maxDelayMs?: number;
  /** Quiet time after which an account's failures are forgotten (default 1 hour). */
  forgetAfterMs?: number;
}

const MAX_ACCOUNTS = 10_000;

function accountKey(username: string): string {
  return username.trim().toLowerCase();
}

export class AccountThrottle {
  readonly #failures = new Map<string, { count: number; lastAt: number }>();
  readonly #free: number;
  readonly #base: number;
  readonly #max: number;
  readonly #forget: number;

  private readonly now: () => Date;

  constructor(options: AccountThrottleOptions = {}, now: () => Date = () => new Date()) {
    this.now = now;
    this.#free = options.freeFailures ?? 5;
    this.#base = options.baseDelayMs ?? 1000;
    this.#max = options.maxDelayMs ?? 15 * 60_000;
    this.#forget = options.forgetAfterMs ?? 3600_000;
  }

  #entry(username: string): { count: number; lastAt: number } | undefined {
    const key = accountKey(username);
    const entry = this.#failures.get(key);
    if (entry !== undefined && this.now().getTime() - entry.lastAt > this.#forget) {
      this.#failures.delete(key);
      return undefined;
    }
    return entry;
  }

  /** The wait after `count` failures in a row. */
  delayAfter(count: number): number {
    return count < this.#free ? 0 : Math.min(this.#max, this.#base * 2 ** (count - this.#free));
  }

  /** Milliseconds until the account may try again (0: now). */
  waitMs(username: string): number {
    const entry = this.#entry(username);
    if (entry === undefined) return 0;
    return Math.max(0, entry.lastAt + this.delayAfter(entry.count) - this.now().getTime());
  }

  failed(username: string): void {
    const key = accountKey(username);
    const count = (this.#entry(username)?.count ?? 0) + 1;
    // Re-inserted at the end, so the oldest entries are the ones dropped when attackers spray names.
    this.#failures.delete(key);
    this.#failures.set(key, { count, lastAt: this.now().getTime() });
    if (this.#failures.size > MAX_ACCOUNTS) this.#failures.delete(this.#failures.keys().next().value!);
  }

  succeeded(username: string): void {
    this.#failures.delete(accountKey(username));
  }
}

export const DEVICE_COOKIE = 'crm_influence_device';
export const DEVICE_COOKIE_TTL_MS = 180 * 86_400_000;

/** "This browser signed in as this admin": `<username b64url>.<issued ms>.<hmac>`. */
export class DeviceCookies {
  private readonly secret: string;
  private readonly now: () => Date;

  constructor(secret: string, now: () => Date = () => new Date()) {
    this.secret = secret;
    this.now = now;
  }

  #mac(payload: string): string {
    return createHmac('sha256', this.secret).update(`device:${payload}`).digest('base64url');
  }

  issue(username: string): string {
    const payload = `${Buffer.from(accountKey(username)).toString('base64url')}.${this.now().getTime()}`;
    return `${payload}.${this.#mac(payload)}`;
  }

  /** Whether the cookie was issued by us, for this account, and is not too old. */
  vouchesFor(cookie: string | undefined, username: string): boolean {
    const match = /^([A-Za-z0-9_-]+)\.(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(cookie ?? '');
    if (match === null) return false;
    const given = Buffer.from(match[3]!);
    const expected = Buffer.from(this.#mac(`${match[1]}.${match[2]}`));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
    const age = this.now().getTime() - Number(match[2]);
    return (
      age >= 0 &&
      age < DEVICE_COOKIE_TTL_MS &&
      Buffer.from(match[1]!, 'base64url').toString('utf8') === accountKey(username)
    );
  }
}
