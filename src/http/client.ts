// The one fetch wrapper every outbound call goes through: timeouts, retries (retry.ts) with full jitter for
// 5xx/429/network errors, Retry-After, per-host rate limiting from the provider's headers, secret redaction, call
// counting — and the outbound guard (outbound-guard.ts): hosts outside the configured allow-list are called only at
// public addresses over https, redirects are followed by hand (each hop checked, at most 3), bodies are read up to
// a cap.
import type { Dispatcher } from 'undici';

import {
  DestinationRefusedError,
  guardedDispatcher,
  refusalOf,
  type Resolver,
  urlRefusal,
  USER_DERIVED_LIMITS,
} from './outbound-guard.ts';
import { parseRetryAfter, RateLimiter, type RateLimitNormaliser, type RateLimitState } from './rate-limit.ts';
import { redact } from './redact.ts';
import { fullJitter, retry, retryAfter, type RetryDecision, STOP } from './retry.ts';

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else the text ('' when empty). */
  body: unknown;
  /** The request URL with secrets redacted (safe for messages). */
  url: string;
  rateLimit: RateLimitState | null;
  /** From Retry-After or the rate-limit reset, when the response said when to come back. */
  retryAfterSeconds?: number;
}

/**
 * `refused`: the destination is not allowed (an inward address, not https, a non-standard port, too many redirects);
 * `too_large`: the body passed the client's cap. Neither is retried: the same request would fail the same way.
 */
export type HttpErrorCode = 'timeout' | 'network' | 'rate_limited' | 'refused' | 'too_large';

/** A request that produced no usable response. The message never contains a secret. */
export class HttpError extends Error {
  readonly code: HttpErrorCode;
  readonly retryAfterSeconds?: number;

  constructor(code: HttpErrorCode, message: string, retryAfterSeconds?: number) {
    super(message);
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
    this.name = 'HttpError';
  }
}

/** Waits at least this long are logged. */
const LONG_WAIT_MS = 5_000;

export interface HttpLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface HttpClientOptions {
  /** Provider name, for messages and logs. */
  name: string;
  /** Sent with every request (auth headers go here; they are never logged). */
  headers?: Record<string, string>;
  /** Values to scrub from every message (tokens, keys). Header values above are added automatically. */
  secrets?: readonly string[];
  timeoutMs?: number;
  /** Retries after the first attempt. */
  maxRetries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** The longest we wait for one rate-limit reset or Retry-After; a longer one is handed back to the caller. */
  maxWaitMs?: number;
  rateLimit?: RateLimitNormaliser;
  /**
   * The rate-limit window a request counts against. Default: its host. Networks that count endpoints separately
   * (X: user lookups 300 and posts 10,000 per 15 min) name their groups, or the smallest would throttle them all.
   */
  rateLimitWindow?: (url: URL) => string;
  /** Requests kept in hand per rate-limit window. */
  rateLimitReserve?: number;
  /** Is this response "slow down" (retry after a wait)? Default: 429. GitHub also says it with 403. */
  isRateLimited?: (response: HttpResponse) => boolean;
  /** Veto a retry the defaults would make (e.g. a monthly cap: waiting minutes will not help). */
  shouldRetry?: (response: HttpResponse) => boolean;
  /**
   * Origins an operator configured (base URLs, the sandbox, a proxy): called as they are. Every other origin — a host
   * from CRM data, a redirect elsewhere — goes through the outbound guard. Default: none (everything guarded).
   */
  trustedOrigins?: readonly string[];
  /**
   * The hosts this client calls come from CRM data (Mastodon instances): the user-derived limits (few retries, short
   * waits) apply to every request, even through a trusted base URL that stands in for those hosts.
   */
  hostsFromUserData?: boolean;
  /** Largest response body read, in bytes; a larger one fails the request with `too_large`. Default 8 MiB. */
  maxBodyBytes?: number;
  /** DNS for guarded requests (tests: a fake resolver). */
  resolve?: Resolver;
  logger?: HttpLogger;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
}

export interface RequestOptions {
  method?: 'GET' | 'POST';
  query?: Record<string, string | number | boolean | readonly string[] | undefined>;
  headers?: Record<string, string>;
  /** JSON-serialised and sent with `content-type: application/json`. */
  json?: unknown;
  signal?: AbortSignal;
}

export interface HttpStats {
  /** Requests sent (every attempt; retries cost calls too). */
  calls: number;
  retries: number;
  /** Total time spent waiting on rate limits and backoff, ms. */
  waitedMs: number;
  byHost: Record<string, number>;
  /** Requests the outbound guard refused to send (inward addresses, not https, odd ports, too many redirects). */
  refused: number;
}

/** Headers whose values are credentials. */
const SECRET_HEADER = /authorization|token|key|secret|cookie/i;

const RETRYABLE_STATUS = new Set([408, 500, 502, 503, 504]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
/** Redirects followed per request; one more is refused. */
export const MAX_REDIRECTS = 3;
const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class HttpClient {
  readonly name: string;
  private readonly options: Required<
    Pick<HttpClientOptions, 'timeoutMs' | 'maxRetries' | 'baseDelayMs' | 'maxDelayMs' | 'maxWaitMs' | 'maxBodyBytes'>
  >;
  private readonly limiter: RateLimiter;
  private readonly secrets: string[];
  private readonly trustedOrigins: Set<string>;
  private guarded: Dispatcher | undefined;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly counters: HttpStats = { calls: 0, retries: 0, waitedMs: 0, byHost: {}, refused: 0 };

  private readonly config: HttpClientOptions;

  constructor(config: HttpClientOptions) {
    this.config = config;
    this.name = config.name;
    this.options = {
      timeoutMs: config.timeoutMs ?? 15_000,
      maxRetries: config.maxRetries ?? 4,
      baseDelayMs: config.baseDelayMs ?? 250,
      maxDelayMs: config.maxDelayMs ?? 20_000,
      maxWaitMs: config.maxWaitMs ?? 60_000,
      maxBodyBytes: config.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    };
    this.now = config.now ?? Date.now;
    this.limiter = new RateLimiter(this.now, config.rateLimitReserve ?? 0);
    this.secrets = [
      ...(config.secrets ?? []),
      ...Object.entries(config.headers ?? {})
        .filter(([k]) => SECRET_HEADER.test(k))
        .flatMap(([, v]) => secretParts(v)),
    ];
    this.trustedOrigins = new Set((config.trustedOrigins ?? []).map((origin) => new URL(origin).origin));
    this.fetchImpl = config.fetch ?? globalThis.fetch.bind(globalThis);
    this.sleep = config.sleep ?? defaultSleep;
    this.random = config.random ?? Math.random;
  }

  stats(): HttpStats {
    return { ...this.counters, byHost: { ...this.counters.byHost } };
  }

  /** Scrubs this client's secrets from any text. */
  redact(text: string): string {
    return redact(text, this.secrets);
  }

  /**
   * Sends the request, retrying transient failures. Returns the final response whatever its status (callers
   * classify bodies); throws HttpError only when there is no response at all (timeout, network), the destination
   * is refused, the body is too large, or the wait the network asked for is longer than `maxWaitMs`.
   * `options.signal` bounds everything, waits included (a per-handle time budget).
   */
  async request(url: string, options: RequestOptions = {}): Promise<HttpResponse> {
    const target = new URL(url);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const v of value as readonly string[]) target.searchParams.append(key, v);
      else target.searchParams.set(key, String(value));
    }
    const host = target.host;
    const window = this.config.rateLimitWindow ? `${host} ${this.config.rateLimitWindow(target)}` : host;
    const safeUrl = this.redact(`${target.origin}${target.pathname}`);
    // A host that CRM data chose gets the short leash, whoever stands in for it.
    const userDerived = this.config.hostsFromUserData === true || !this.trustedOrigins.has(target.origin);
    const maxRetries = userDerived
      ? Math.min(this.options.maxRetries, USER_DERIVED_LIMITS.maxRetries)
      : this.options.maxRetries;
    const maxWaitMs = userDerived
      ? Math.min(this.options.maxWaitMs, USER_DERIVED_LIMITS.maxWaitMs)
      : this.options.maxWaitMs;
    const isRateLimited = this.config.isRateLimited ?? ((r: HttpResponse) => r.status === 429);
    return retry(
      async () => {
        await this.waitForLimiter(window, safeUrl, maxWaitMs, options.signal);
        try {
          return await this.send(target, options, window, safeUrl);
        } catch (error) {
          throw this.asHttpError(error, safeUrl, options.signal);
        }
      },
      {
        sleep: (ms) => this.pause(ms, options.signal, safeUrl),
        onError: (error, attempt) => {
          const code = error instanceof HttpError ? error.code : 'network';
          // A refusal or an oversized body would fail the same way again; a limiter wait too long was already
          // judged; a spent time budget is spent.
          const final = code === 'refused' || code === 'too_large' || code === 'rate_limited';
          if (final || options.signal?.aborted === true || attempt > maxRetries) return STOP;
          return this.backoff(attempt, null, host, { reason: code, url: safeUrl });
        },
        onResult: (response, attempt) => {
          const rateLimited = isRateLimited(response);
          if (!rateLimited && !RETRYABLE_STATUS.has(response.status)) return STOP;
          if (this.config.shouldRetry && !this.config.shouldRetry(response)) return STOP;
          if (attempt > maxRetries) return STOP;
          const askedMs = response.retryAfterSeconds === undefined ? null : response.retryAfterSeconds * 1000;
          if (askedMs !== null && askedMs > maxWaitMs) return STOP;
          if (rateLimited && askedMs !== null) this.limiter.pause(window, this.now() + askedMs);
          return this.backoff(attempt, askedMs, host, { reason: `status ${response.status}`, url: safeUrl });
        },
      },
    );
  }

  /** One attempt: the request and the redirects it leads to, followed by hand, each hop checked like the first. */
  private async send(target: URL, options: RequestOptions, window: string, safeUrl: string): Promise<HttpResponse> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json', ...this.config.headers, ...options.headers };
    let body: string | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    let method = options.method ?? (body ? 'POST' : 'GET');
    let url = target;
    let res: Response;
    for (let hop = 0; ; hop++) {
      const trusted = this.trustedOrigins.has(url.origin);
      const refusal = trusted ? null : urlRefusal(url);
      if (refusal !== null) throw new DestinationRefusedError(url.host, refusal);
      this.counters.calls += 1;
      this.counters.byHost[url.host] = (this.counters.byHost[url.host] ?? 0) + 1;
      const init: RequestInit & { dispatcher?: Dispatcher } = {
        method,
        // Credentials never follow a redirect to another origin.
        headers: url.origin === target.origin ? headers : withoutCredentials(headers),
        body,
        signal,
        redirect: 'manual',
      };
      if (!trusted) init.dispatcher = this.guardedDispatcher();
      res = await this.fetchImpl(url, init);
      const location = REDIRECT_STATUS.has(res.status) ? res.headers.get('location') : null;
      if (location === null) break;
      void res.body?.cancel().catch(() => undefined);
      if (hop >= MAX_REDIRECTS) throw new DestinationRefusedError(url.host, `more than ${MAX_REDIRECTS} redirects`);
      const next = URL.parse(location, url.href);
      if (next === null) throw new DestinationRefusedError(url.host, 'a redirect to an invalid URL');
      // 303 (and 301/302 after a POST, as browsers do) turns the request into a GET without a body.
      if (res.status === 303 || (method === 'POST' && (res.status === 301 || res.status === 302))) {
        method = 'GET';
        body = undefined;
        delete headers['content-type'];
      }
      url = next;
    }
    const text = await this.readBody(res, safeUrl);
    const nowMs = this.now();
    // Only the origin asked for feeds its rate-limit window (a redirect target's headers are not its budget).
    const rateLimit = url.origin === target.origin ? (this.config.rateLimit?.(res.headers, nowMs) ?? null) : null;
    if (rateLimit) this.limiter.update(window, rateLimit);
    const response: HttpResponse = {
      status: res.status,
      headers: res.headers,
      body: parseBody(text, res.headers),
      url: safeUrl,
      rateLimit,
    };
    const retryAfterMs =
      parseRetryAfter(res.headers.get('retry-after'), nowMs) ??
      (rateLimit && rateLimit.remaining <= 0 ? Math.max(0, rateLimit.resetAt - nowMs) : null);
    if (retryAfterMs !== null && (res.status === 429 || res.status === 503 || res.status === 403)) {
      response.retryAfterSeconds = Math.ceil(retryAfterMs / 1000);
    }
    return response;
  }

  /** The body as text, streamed up to `maxBodyBytes`: a bigger one is cut off (never buffered whole). */
  private async readBody(res: Response, safeUrl: string): Promise<string> {
    const limit = this.options.maxBodyBytes;
    const tooLarge = () =>
      new HttpError('too_large', `${this.name}: the response from ${safeUrl} is larger than ${limit} bytes`);
    const declared = Number(res.headers.get('content-length') ?? Number.NaN);
    if (declared > limit) {
      void res.body?.cancel().catch(() => undefined);
      throw tooLarge();
    }
    if (res.body === null) return '';
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        void reader.cancel().catch(() => undefined);
        throw tooLarge();
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private guardedDispatcher(): Dispatcher {
    this.guarded ??= guardedDispatcher(this.config.resolve);
    return this.guarded;
  }

  private async waitForLimiter(
    window: string,
    safeUrl: string,
    maxWaitMs: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    for (;;) {
      const waitMs = this.limiter.take(window);
      if (waitMs === 0) return;
      if (waitMs > maxWaitMs) {
        throw new HttpError(
          'rate_limited',
          `${this.name}: rate limit reached for ${safeUrl}; resets in ${Math.ceil(waitMs / 1000)} s`,
          Math.ceil(waitMs / 1000),
        );
      }
      this.counters.waitedMs += waitMs;
      // A long wait is not a hang: say so.
      if (waitMs >= LONG_WAIT_MS)
        this.config.logger?.warn(
          { provider: this.name, waitMs, url: safeUrl },
          'rate limit reached: waiting for it to reset',
        );
      await this.pause(waitMs, signal, safeUrl);
    }
  }

  /** The retry after `attempt` attempts: full jitter, but never sooner than the network asked; counted and logged. */
  private backoff(
    attempt: number,
    askedMs: number | null,
    host: string,
    fields: { url: string } & Record<string, unknown>,
  ): RetryDecision {
    const waitMs =
      askedMs === null
        ? fullJitter(attempt, this.options.baseDelayMs, this.options.maxDelayMs, this.random)
        : askedMs + Math.floor(this.random() * this.options.baseDelayMs);
    this.counters.retries += 1;
    this.counters.waitedMs += waitMs;
    this.config.logger?.warn({ provider: this.name, host, attempt, waitMs, ...fields }, 'retrying request');
    return retryAfter(waitMs);
  }

  /** A wait that the caller's signal cuts short (its time budget ran out). */
  private async pause(ms: number, signal: AbortSignal | undefined, safeUrl: string): Promise<void> {
    if (signal === undefined) return this.sleep(ms);
    const spent = () => new HttpError('timeout', `${this.name}: the time budget for ${safeUrl} ran out`);
    if (signal.aborted) throw spent();
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(spent());
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([this.sleep(ms), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private asHttpError(error: unknown, safeUrl: string, signal: AbortSignal | undefined): HttpError {
    if (error instanceof HttpError) return error;
    const refusal = refusalOf(error);
    if (refusal) {
      this.counters.refused += 1;
      this.config.logger?.warn(
        { provider: this.name, host: refusal.host, reason: refusal.reason },
        'outbound request refused',
      );
      return new HttpError('refused', this.redact(`${this.name}: ${safeUrl}: ${refusal.message}`));
    }
    const name = error instanceof Error ? error.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') {
      if (signal?.aborted) return new HttpError('timeout', `${this.name}: the time budget for ${safeUrl} ran out`);
      return new HttpError('timeout', `${this.name}: no response from ${safeUrl} within ${this.options.timeoutMs} ms`);
    }
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    const message = error instanceof Error ? error.message : String(error);
    return new HttpError('network', this.redact(`${this.name}: request to ${safeUrl} failed: ${message}${cause}`));
  }
}

function withoutCredentials(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !SECRET_HEADER.test(name)));
}

function parseBody(text: string, headers: Headers): unknown {
  if (text === '') return '';
  const type = headers.get('content-type') ?? '';
  if (type.includes('json') || /^\s*[[{]/.test(text) || text === 'null') {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** `Bearer abc` → [`Bearer abc`, `abc`]: redact the token however it is quoted back. */
function secretParts(value: string): string[] {
  const parts = value.split(/\s+/).filter((p) => p.length >= 8);
  return [value, ...parts].filter((p) => p.length >= 8);
}
