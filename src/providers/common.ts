// What every adapter shares: options, the "whole provider unusable" error, result helpers, payload validation.
import type { z } from 'zod';

import type { RateLimitNormaliser } from '../http/index.ts';
import { HttpClient, type HttpClientOptions, HttpError, type HttpResponse } from '../http/index.ts';
import { type Network, type NetworkMetrics, NetworkMetricsSchema } from '../scoring/types.ts';
import type { ProviderResult } from './contract.ts';

/** Thrown only when the whole provider cannot work (credentials rejected); the message says how to fix it. */
export class ProviderUnusableError extends Error {
  readonly network: Network | 'gravatar';

  constructor(network: Network | 'gravatar', message: string) {
    super(message);
    this.network = network;
    this.name = 'ProviderUnusableError';
  }
}

export interface AdapterOptions {
  /** API base URL without a trailing slash. */
  baseUrl: string;
  /** Handles fetched in parallel where the network has no batch endpoint. */
  concurrency?: number;
  /** Recent original posts sampled per account (0 = profile only). */
  postSample?: number;
  /** Overrides for the HTTP core (tests: fake clock, fewer retries). */
  http?: Partial<HttpClientOptions>;
  now?: () => Date;
}

export const USER_AGENT = 'crm-influence/0.1 (+https://github.com/crm-influence/crm-influence)';

export function createHttp(
  name: string,
  options: AdapterOptions,
  extra: { headers?: Record<string, string>; rateLimit?: RateLimitNormaliser } & Partial<HttpClientOptions>,
): HttpClient {
  return new HttpClient({
    name,
    // The configured base URL is the operator's choice: called as it is. Any other host goes through the guard.
    trustedOrigins: options.baseUrl ? [options.baseUrl] : [],
    ...extra,
    headers: { 'user-agent': USER_AGENT, ...extra.headers },
    ...options.http,
  });
}

export const unavailable = (reason: string, retryAfterSeconds?: number): ProviderResult =>
  retryAfterSeconds === undefined
    ? { status: 'unavailable', reason }
    : { status: 'unavailable', reason, retryAfterSeconds };

/**
 * A request that got no usable response → one result for the handle (never a throw). A refused destination (the
 * handle's host is inward, or its redirects lead there) is `not_found`: there is no public account to score there.
 */
export function fromHttpError(error: unknown): ProviderResult {
  if (error instanceof HttpError && error.code === 'refused') return { status: 'not_found' };
  if (error instanceof HttpError) return unavailable(error.code, error.retryAfterSeconds);
  throw error;
}

/** A response the adapter does not recognise as success or a known error → transient, with the status in the reason. */
export function fromUnexpected(response: HttpResponse): ProviderResult {
  if (response.status === 429) return unavailable('rate_limited', response.retryAfterSeconds);
  return unavailable(`http_${response.status}`, response.retryAfterSeconds);
}

/** Validates a payload; on mismatch returns null so the caller can report `unavailable` (a changed API). */
export function parsePayload<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> | null {
  const parsed = schema.safeParse(body);
  return parsed.success ? parsed.data : null;
}

export function iso(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** Builds and validates the metrics (a programming error here should fail loudly in tests, not reach the model). */
export function okResult(metrics: NetworkMetrics): ProviderResult {
  return { status: 'ok', metrics: NetworkMetricsSchema.parse(metrics) };
}

/** Non-negative integer from a number or a numeric string (YouTube sends counts as strings). */
export function count(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : 0;
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/** Results for every handle in `handles`, in one Map keyed exactly as given. */
export function fillAll(
  handles: readonly string[],
  result: ProviderResult,
  into = new Map<string, ProviderResult>(),
): Map<string, ProviderResult> {
  for (const handle of handles) into.set(handle, result);
  return into;
}

/**
 * The distinct handles that can exist on the network. The others cannot (and some networks reject a whole batch for
 * one of them), so they are answered `not_found` in `results` without a call.
 */
export function wellFormedHandles(
  handles: readonly string[],
  isWellFormed: (handle: string) => boolean,
  results: Map<string, ProviderResult>,
): string[] {
  const valid: string[] = [];
  for (const handle of new Set(handles)) {
    if (isWellFormed(handle)) valid.push(handle);
    else results.set(handle, { status: 'not_found' });
  }
  return valid;
}
