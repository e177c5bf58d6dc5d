// The HTTP core every outbound call uses.
export { isPublicAddress } from './address.ts';
export {
  HttpClient,
  type HttpClientOptions,
  HttpError,
  type HttpLogger,
  type HttpResponse,
  type HttpStats,
  MAX_REDIRECTS,
  type RequestOptions,
} from './client.ts';
export { chunk, mapConcurrent } from './concurrency.ts';
export {
  DestinationRefusedError,
  guardedLookup,
  type Resolver,
  urlRefusal,
  USER_DERIVED_LIMITS,
} from './outbound-guard.ts';
export {
  parseRetryAfter,
  RateLimiter,
  rateLimitHeaders,
  type RateLimitNormaliser,
  type RateLimitState,
  type ResetFormat,
} from './rate-limit.ts';
export { redact } from './redact.ts';
export { fullJitter, retry, retryAfter, type RetryDecision, type RetryPolicy, STOP } from './retry.ts';
