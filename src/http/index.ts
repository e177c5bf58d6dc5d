// The HTTP core every outbound call uses.
export {
  HttpClient,
  type HttpClientOptions,
  HttpError,
  type HttpLogger,
  type HttpResponse,
  type HttpStats,
  type RequestOptions,
} from './client.ts';
export { chunk, mapConcurrent } from './concurrency.ts';
export {
  parseRetryAfter,
  RATE_LIMIT_HEADERS,
  RateLimiter,
  rateLimitHeaders,
  type RateLimitNormaliser,
  type RateLimitState,
  type ResetFormat,
} from './rate-limit.ts';
export { redact } from './redact.ts';
