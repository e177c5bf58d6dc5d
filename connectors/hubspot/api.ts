// Every HubSpot call the connector makes goes through `call`: the portal's limiter first, then the real
// @hubspot/api-client, then HubSpot's answers handled once: 429 waits (TEN_SECONDLY_ROLLING, SECONDLY), DAILY stops
// the run, 401 refreshes OAuth once, 5xx and dropped connections back off. The client's own limiter and retry stay
// off (README.md here): its retry waits a fixed 10 s per TEN_SECONDLY_ROLLING attempt, counts attempts not
// retries, and its decorators are process-wide, so another Client in this process could otherwise change ours.
import { Client } from '@hubspot/api-client';

import type { ApiUsage } from '../../src/crm/contract.ts';
import { BudgetReachedError, NeedsReauthError } from '../../src/crm/errors.ts';
import { fullJitter, retry, retryAfter, STOP } from '../../src/http/index.ts';
import type { TokenSource } from './auth.ts';
import type { Lane, PortalLimiter } from './limiter.ts';

export type CallKind = 'read' | 'write' | 'other';

/** A HubSpot answer the connector does not handle itself (4xx other than 401/429). */
export class HubSpotApiError extends Error {
  override readonly name = 'HubSpotApiError';
  readonly status: number;
  readonly category: string | undefined;
  readonly hubspotMessage: string;

  constructor(status: number, category: string | undefined, hubspotMessage: string, what: string) {
    super(`HubSpot ${what} failed: HTTP ${status}${category === undefined ? '' : ` ${category}`}: ${hubspotMessage}`);
    this.status = status;
    this.category = category;
    this.hubspotMessage = hubspotMessage;
  }
}

interface ApiExceptionLike {
  code: number;
  body?: unknown;
  headers?: Record<string, string>;
}

function isApiException(error: unknown): error is ApiExceptionLike {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number';
}

function bodyField(body: unknown, name: string): string | undefined {
  if (typeof body === 'object' && body !== null) {
    const value = (body as Record<string, unknown>)[name];
    if (typeof value === 'string') return value;
  }
  if (typeof body === 'string') return new RegExp(`"${name}"\\s*:\\s*"([^"]*)"`).exec(body)?.[1];
  return undefined;
}

export type RateLimitPolicy = 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY' | 'UNKNOWN';

/** The policy of a 429: from `policyName`, else from the message (older bodies and proxies omit the name). */
export function rateLimitPolicy(body: unknown): RateLimitPolicy {
  const policy = bodyField(body, 'policyName');
  if (policy === 'TEN_SECONDLY_ROLLING' || policy === 'SECONDLY' || policy === 'DAILY') return policy;
  const message = bodyField(body, 'message') ?? '';
  if (/ten_secondly_rolling/i.test(message)) return 'TEN_SECONDLY_ROLLING';
  if (/daily limit/i.test(message)) return 'DAILY';
  if (/secondly limit/i.test(message)) return 'SECONDLY';
  return 'UNKNOWN';
}

export interface HubSpotApiOptions {
  baseUrl: string;
  tokens: TokenSource;
  limiter: PortalLimiter;
  /** Attempts per call for 429/5xx/network failures (each attempt counts as a call). */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class HubSpotApi {
  readonly contacts: Client['crm']['contacts'];
  readonly properties: Client['crm']['properties'];
  readonly tasks: Client['crm']['objects']['tasks'];
  readonly usage: ApiUsage['calls'] = { read: 0, write: 0, other: 0 };
  budget: ApiUsage['budget'];
  /** 429s HubSpot answered (each one waited out or, for DAILY, ended the run). */
  readonly rateLimited: Record<RateLimitPolicy, number> = {
    TEN_SECONDLY_ROLLING: 0,
    SECONDLY: 0,
    DAILY: 0,
    UNKNOWN: 0,
  };
  private token = '';
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly maxAttempts: number;

  private readonly options: HubSpotApiOptions;

  constructor(options: HubSpotApiOptions) {
    this.options = options;
    this.sleep = options.sleep ?? defaultSleep;
    this.maxAttempts = options.maxAttempts ?? 8;
    const client = new Client({
      basePath: options.baseUrl,
      // The Authorization header is set per request (the token may be refreshed between calls).
      middleware: [
        {
          pre: (context: unknown) => {
            (context as { setHeaderParam(k: string, v: string): void }).setHeaderParam(
              'Authorization',
              `Bearer ${this.token}`,
            );
            return context;
          },
          post: (context: unknown) => {
            this.observe((context as { headers?: Record<string, string> }).headers ?? {});
            return context;
          },
        },
      ],
    });
    // Bind the API objects now, in the same tick as `new Client`: decorators are read from a process-wide
    // singleton at creation, and ours has none.
    this.contacts = client.crm.contacts;
    this.properties = client.crm.properties;
    this.tasks = client.crm.objects.tasks;
  }

  get tokenKind(): 'private' | 'oauth' {
    return this.options.tokens.kind;
  }

  async currentToken(): Promise<string> {
    return this.options.tokens.current();
  }

  private observe(headers: Record<string, string>): void {
    this.options.limiter.observe(headers);
    const daily = headers['x-hubspot-ratelimit-daily'];
    const left = headers['x-hubspot-ratelimit-daily-remaining'];
    if (daily !== undefined && left !== undefined && /^\d+$/.test(daily) && /^\d+$/.test(left)) {
      this.budget = { limit: Number(daily), remaining: Number(left) };
    }
  }

  async call<T>(kind: CallKind, lane: Lane, what: string, fn: () => Promise<T>): Promise<T> {
    let refreshed = false;
    let token = '';
    // Failures before the call (the token source, the limiter) stop at once, as they are.
    let sent = false;
    return retry(
      async () => {
        sent = false;
        token = await this.options.tokens.current();
        this.token = token;
        const answered = await this.options.limiter.acquire(lane);
        this.usage[kind] += 1;
        sent = true;
        try {
          return await fn();
        } finally {
          answered();
        }
      },
      {
        sleep: this.sleep,
        onError: async (error, attempt) => {
          if (!sent) return STOP;
          const last = attempt >= this.maxAttempts;
          if (!isApiException(error)) {
            // fetch failed / connection dropped: the request may not have arrived; back off and retry.
            if (last)
              throw new Error(`HubSpot ${what} failed after ${attempt} attempts: ${(error as Error).message}`, {
                cause: error,
              });
            return retryAfter(this.backoff(attempt));
          }
          if (error.headers !== undefined) this.observe(error.headers);
          const status = error.code;
          if (status === 429) {
            const policy = rateLimitPolicy(error.body);
            this.rateLimited[policy] += 1;
            if (policy === 'DAILY') {
              const b = this.budget;
              throw new BudgetReachedError(
                `HubSpot daily API limit reached${b === undefined ? '' : ` (${b.remaining} of ${b.limit} calls left)`}`,
              );
            }
            if (last) throw new HubSpotApiError(429, policy, `still rate limited after ${attempt} attempts`, what);
            const retryAfterHeader = Number(error.headers?.['retry-after']);
            const wait =
              Number.isFinite(retryAfterHeader) && retryAfterHeader > 0
                ? retryAfterHeader * 1000
                : policy === 'SECONDLY'
                  ? 1000
                  : 1000 * attempt;
            // The limiter holds every call of the lane until then, this one included.
            this.options.limiter.pause(policy === 'SECONDLY' ? 'search' : 'api', Date.now() + wait);
            return retryAfter(0);
          }
          if (status === 401) {
            if (this.options.tokens.kind === 'oauth' && !refreshed) {
              refreshed = true;
              await this.options.tokens.refreshAfterRejection(token);
              return retryAfter(0);
            }
            throw new NeedsReauthError(
              `HubSpot rejected the credentials during ${what} (${bodyField(error.body, 'category') ?? 'HTTP 401'}); reconnect the portal or replace the access token`,
            );
          }
          if (status >= 500) {
            if (last)
              throw new HubSpotApiError(
                status,
                bodyField(error.body, 'category'),
                bodyField(error.body, 'message') ?? 'server error',
                what,
              );
            return retryAfter(this.backoff(attempt));
          }
          throw new HubSpotApiError(
            status,
            bodyField(error.body, 'category'),
            bodyField(error.body, 'message') ?? 'no message',
            what,
          );
        },
      },
    );
  }

  /** Full jitter, capped at 8 s. */
  private backoff(attempt: number): number {
    return fullJitter(attempt, 500, 8000);
  }
}
