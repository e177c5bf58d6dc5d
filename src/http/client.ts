// The one fetch wrapper every outbound call goes through: timeouts, retries with full jitter for 5xx/429/network
// errors, Retry-After, per-host rate limiting from the provider's headers, secret redaction and call counting.
import { parseRetryAfter, RateLimiter, type RateLimitNormaliser, type RateLimitState } from './rate-limit.ts';
import { redact } from './redact.ts';

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

export type HttpErrorCode = 'timeout' | 'network' | 'rate_limited';

/** A request that produced no usable response. The message never contains a secret. */
export class HttpError extends Error {
  constructor(
    readonly code: HttpErrorCode,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
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
}

/** Headers whose values are credentials. */
const SECRET_HEADER = /authorization|token|key|secret|cookie/i;

const RETRYABLE_STATUS = new Set([408, 500, 502, 503, 504]);

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class HttpClient {
  readonly name: string;
  private readonly options: Required<
    Pick<HttpClientOptions, 'timeoutMs' | 'maxRetries' | 'baseDelayMs' | 'maxDelayMs' | 'maxWaitMs'>
  >;
  private readonly limiter: RateLimiter;
  private readonly secrets: string[];
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly counters: HttpStats = { calls: 0, retries: 0, waitedMs: 0, byHost: {} };

  constructor(private readonly config: HttpClientOptions) {
    this.name = config.name;
    this.options = {
      timeoutMs: config.timeoutMs ?? 15_000,
      maxRetries: config.maxRetries ?? 4,
      baseDelayMs: config.baseDelayMs ?? 250,
      maxDelayMs: config.maxDelayMs ?? 20_000,
      maxWaitMs: config.maxWaitMs ?? 60_000,
    };
    this.now = config.now ?? Date.now;
    this.limiter = new RateLimiter(this.now, config.rateLimitReserve ?? 0);
    this.secrets = [
      ...(config.secrets ?? []),
      ...Object.entries(config.headers ?? {})
        .filter(([k]) => SECRET_HEADER.test(k))
        .flatMap(([, v]) => secretParts(v)),
    ];
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
   * classify bodies); throws HttpError only when there is no response at all (timeout, network) or the wait the
   * network asked for is longer than `maxWaitMs`.
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
    let attempt = 0;
    for (;;) {
      await this.waitForLimiter(window, safeUrl);
      let response: HttpResponse;
      try {
        response = await this.send(target, options, host, window, safeUrl);
      } catch (error) {
        const failure = this.asHttpError(error, safeUrl);
        if (attempt >= this.options.maxRetries) throw failure;
        await this.backoff(attempt, null, host, { reason: failure.code, url: safeUrl });
        attempt += 1;
        continue;
      }
      const rateLimited = (this.config.isRateLimited ?? ((r: HttpResponse) => r.status === 429))(response);
      const retryable = rateLimited || RETRYABLE_STATUS.has(response.status);
      if (!retryable) return response;
      if (this.config.shouldRetry && !this.config.shouldRetry(response)) return response;
      if (attempt >= this.options.maxRetries) return response;
      const askedMs = response.retryAfterSeconds === undefined ? null : response.retryAfterSeconds * 1000;
      if (askedMs !== null && askedMs > this.options.maxWaitMs) return response;
      if (rateLimited && askedMs !== null) this.limiter.pause(window, this.now() + askedMs);
      await this.backoff(attempt, askedMs, host, { reason: `status ${response.status}`, url: safeUrl });
      attempt += 1;
    }
  }

  private async send(
    target: URL,
    options: RequestOptions,
    host: string,
    window: string,
    safeUrl: string,
  ): Promise<HttpResponse> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: 'application/json', ...this.config.headers, ...options.headers };
    let body: string | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    this.counters.calls += 1;
    this.counters.byHost[host] = (this.counters.byHost[host] ?? 0) + 1;
    const res = await this.fetchImpl(target, {
      method: options.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      signal,
    });
    const text = await res.text();
    const nowMs = this.now();
    const rateLimit = this.config.rateLimit?.(res.headers, nowMs) ?? null;
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

  private async waitForLimiter(window: string, safeUrl: string): Promise<void> {
    for (;;) {
      const waitMs = this.limiter.take(window);
      if (waitMs === 0) return;
      if (waitMs > this.options.maxWaitMs) {
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
      await this.sleep(waitMs);
    }
  }

  /** Full jitter (random in [0, min(cap, base·2^attempt)]), but never sooner than the network asked. */
  private async backoff(
    attempt: number,
    askedMs: number | null,
    host: string,
    fields: Record<string, unknown>,
  ): Promise<void> {
    const ceiling = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** attempt);
    const jitter = Math.floor(this.random() * ceiling);
    const waitMs = askedMs === null ? jitter : askedMs + Math.floor(this.random() * this.options.baseDelayMs);
    this.counters.retries += 1;
    this.counters.waitedMs += waitMs;
    this.config.logger?.warn(
      { provider: this.name, host, attempt: attempt + 1, waitMs, ...fields },
      'retrying request',
    );
    await this.sleep(waitMs);
  }

  private asHttpError(error: unknown, safeUrl: string): HttpError {
    if (error instanceof HttpError) return error;
    const name = error instanceof Error ? error.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new HttpError('timeout', `${this.name}: no response from ${safeUrl} within ${this.options.timeoutMs} ms`);
    }
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    const message = error instanceof Error ? error.message : String(error);
    return new HttpError('network', this.redact(`${this.name}: request to ${safeUrl} failed: ${message}${cause}`));
  }
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
