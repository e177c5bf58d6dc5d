// The HTTP core every outbound call uses.
export { HttpClient, HttpError, type HttpClientOptions, type HttpResponse, type HttpStats, type RequestOptions, type HttpLogger } from './client.ts';
export { RateLimiter, RATE_LIMIT_HEADERS, parseRetryAfter, rateLimitHeaders, type RateLimitNormaliser, type RateLimitState, type ResetFormat } from './rate-limit.ts';
export { redact } from './redact.ts';
export { chunk, mapConcurrent } from './concurrency.ts';
