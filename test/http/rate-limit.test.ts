import { expect } from 'chai';

import { chunk, mapConcurrent } from '../../src/http/concurrency.ts';
import { parseRetryAfter, RateLimiter, rateLimitHeaders, type RateLimitNormaliser } from '../../src/http/rate-limit.ts';
import { redact } from '../../src/http/redact.ts';
import { NETWORK_DESCRIPTORS } from '../../src/providers/networks.ts';

const NOW = Date.UTC(2026, 6, 1, 12, 0, 0);

/** Each network's reader, from its NetworkDescriptor (plus Reddit's seconds-until shape, which no adapter uses yet). */
function reader(network: 'x' | 'github' | 'mastodon' | 'bluesky'): RateLimitNormaliser {
  const read = NETWORK_DESCRIPTORS[network].rateLimit;
  if (read === null) throw new Error(`${network} has no rate-limit reader`);
  return read;
}
const RATE_LIMIT_HEADERS = {
  x: reader('x'),
  github: reader('github'),
  mastodon: reader('mastodon'),
  bluesky: reader('bluesky'),
  reddit: rateLimitHeaders({
    limit: 'x-ratelimit-limit',
    remaining: 'x-ratelimit-remaining',
    reset: 'x-ratelimit-reset',
    format: 'seconds-until',
  }),
};

describe('http: rate-limit header normalisers', () => {
  it('X: epoch seconds', () => {
    const h = new Headers({
      'x-rate-limit-limit': '300',
      'x-rate-limit-remaining': '299',
      'x-rate-limit-reset': '1782907200',
    });
    expect(RATE_LIMIT_HEADERS.x(h, NOW)).to.deep.equal({ limit: 300, remaining: 299, resetAt: 1782907200_000 });
  });

  it('Mastodon: ISO-8601 timestamp with microseconds', () => {
    const h = new Headers({
      'X-RateLimit-Limit': '300',
      'X-RateLimit-Remaining': '12',
      'X-RateLimit-Reset': '2026-07-01T12:05:00.123456Z',
    });
    expect(RATE_LIMIT_HEADERS.mastodon(h, NOW)).to.deep.equal({
      limit: 300,
      remaining: 12,
      resetAt: Date.parse('2026-07-01T12:05:00.123Z'),
    });
  });

  it('Reddit: seconds until reset, decimal strings', () => {
    const h = new Headers({ 'X-Ratelimit-Used': '3', 'X-Ratelimit-Remaining': '97.0', 'X-Ratelimit-Reset': '412' });
    expect(RATE_LIMIT_HEADERS.reddit(h, NOW)).to.deep.equal({ remaining: 97, resetAt: NOW + 412_000 });
  });

  it('Bluesky: RateLimit-* epoch seconds; absent headers → null; garbage → null', () => {
    const h = new Headers({
      'RateLimit-Limit': '3000',
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': '1782907500',
      'RateLimit-Policy': '3000;w=300',
    });
    expect(RATE_LIMIT_HEADERS.bluesky(h, NOW)).to.deep.equal({ limit: 3000, remaining: 0, resetAt: 1782907500_000 });
    expect(RATE_LIMIT_HEADERS.bluesky(new Headers(), NOW)).to.equal(null);
    expect(
      RATE_LIMIT_HEADERS.github(new Headers({ 'x-ratelimit-remaining': '1', 'x-ratelimit-reset': 'soon' }), NOW),
    ).to.equal(null);
  });

  it('Retry-After: seconds, HTTP date, past date, junk', () => {
    expect(parseRetryAfter('120', NOW)).to.equal(120_000);
    expect(parseRetryAfter(new Date(NOW + 5000).toUTCString(), NOW)).to.equal(5000);
    expect(parseRetryAfter(new Date(NOW - 5000).toUTCString(), NOW)).to.equal(0);
    expect(parseRetryAfter('whenever', NOW)).to.equal(null);
    expect(parseRetryAfter(null, NOW)).to.equal(null);
  });
});

describe('http: RateLimiter', () => {
  it('reserves a unit per request so concurrent requests cannot overshoot, per window', () => {
    let t = NOW;
    const limiter = new RateLimiter(() => t);
    limiter.update('a', { remaining: 2, resetAt: NOW + 10_000 });
    expect(limiter.take('a')).to.equal(0);
    expect(limiter.take('a')).to.equal(0);
    expect(limiter.take('a')).to.equal(10_000);
    expect(limiter.take('b')).to.equal(0);
    // A late response from the same window cannot hand units back.
    limiter.update('a', { remaining: 1, resetAt: NOW + 10_000 });
    expect(limiter.take('a')).to.equal(10_000);
    t = NOW + 10_000;
    expect(limiter.take('a')).to.equal(0);
  });

  it('keeps a reserve and honours pauses', () => {
    const limiter = new RateLimiter(() => NOW, 5);
    limiter.update('a', { remaining: 5, resetAt: NOW + 1000 });
    expect(limiter.take('a')).to.equal(1000);
    limiter.pause('b', NOW + 2500);
    expect(limiter.take('b')).to.equal(2500);
  });
});

describe('http: redact and concurrency helpers', () => {
  it('redacts known secrets, bearer tokens and credential query parameters', () => {
    const text = redact('GET https://h/x?key=AIzaSyABC&part=id failed: Bearer abcdefghijkl; my-secret-value', [
      'my-secret-value',
    ]);
    expect(text).to.equal('GET https://h/x?key=[redacted]&part=id failed: Bearer [redacted]; [redacted]');
  });

  it('mapConcurrent keeps order and the limit; chunk splits', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapConcurrent([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight -= 1;
      return n * 10;
    });
    expect(out).to.deep.equal([50, 10, 40, 20, 30]);
    expect(peak).to.equal(2);
    expect(chunk([1, 2, 3, 4, 5], 2)).to.deep.equal([[1, 2], [3, 4], [5]]);
  });
});
