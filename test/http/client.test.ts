import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { expect } from 'chai';
import nock from 'nock';

import { HttpClient, type HttpClientOptions, HttpError, rateLimitHeaders } from '../../src/http/index.ts';

const BASE = 'https://api.example.test';
const TOKEN = 'sekret-token-0123456789';
/** X's and GitHub's header shapes (their NetworkDescriptors hold the same). */
const X_RATE_LIMIT = rateLimitHeaders({
  limit: 'x-rate-limit-limit',
  remaining: 'x-rate-limit-remaining',
  reset: 'x-rate-limit-reset',
  format: 'epoch-seconds',
});
const GITHUB_RATE_LIMIT = rateLimitHeaders({
  limit: 'x-ratelimit-limit',
  remaining: 'x-ratelimit-remaining',
  reset: 'x-ratelimit-reset',
  format: 'epoch-seconds',
});

/** A fake clock: `sleep` advances it, so waits are measured, not spent. */
function fakeTime(start = Date.UTC(2026, 0, 1)) {
  const clock = { t: start, waits: [] as number[] };
  return {
    clock,
    now: () => clock.t,
    sleep: (ms: number) => {
      clock.waits.push(ms);
      clock.t += ms;
      return Promise.resolve();
    },
  };
}

function client(extra: Partial<HttpClientOptions> = {}) {
  const time = fakeTime();
  const http = new HttpClient({
    name: 'example',
    headers: { authorization: `Bearer ${TOKEN}` },
    trustedOrigins: [BASE],
    now: time.now,
    sleep: time.sleep,
    random: () => 0.5,
    ...extra,
  });
  return { http, clock: time.clock };
}

describe('http: HttpClient', () => {
  before(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  after(() => nock.enableNetConnect());

  it('retries 5xx with full-jitter backoff and counts every attempt', async () => {
    nock(BASE).get('/u').reply(503, 'busy').get('/u').reply(502, 'busy').get('/u').reply(200, { ok: true });
    const { http, clock } = client();
    const res = await http.request(`${BASE}/u`);
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ ok: true });
    // random 0.5 of the ceilings 250, 500
    expect(clock.waits).to.deep.equal([125, 250]);
    expect(http.stats()).to.include({ calls: 3, retries: 2 });
  });

  it('honours Retry-After in seconds on 429', async () => {
    nock(BASE).get('/u').reply(429, { error: 'slow down' }, { 'retry-after': '3' }).get('/u').reply(200, {});
    const { http, clock } = client();
    await http.request(`${BASE}/u`);
    expect(clock.waits[0]).to.be.within(3000, 3250);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const { http, clock } = client();
    const at = new Date(clock.t + 7000).toUTCString();
    nock(BASE).get('/u').reply(503, '', { 'retry-after': at }).get('/u').reply(200, {});
    await http.request(`${BASE}/u`);
    expect(clock.waits[0]).to.be.within(7000, 7250);
  });

  it('hands a too-long wait back to the caller instead of sleeping', async () => {
    nock(BASE).get('/u').reply(429, { title: 'Too Many Requests' }, { 'retry-after': '900' });
    const { http, clock } = client({ maxWaitMs: 60_000 });
    const res = await http.request(`${BASE}/u`);
    expect(res.status).to.equal(429);
    expect(res.retryAfterSeconds).to.equal(900);
    expect(clock.waits).to.deep.equal([]);
  });

  it('does not retry other 4xx', async () => {
    nock(BASE).get('/u').reply(404, { message: 'Not Found' });
    const { http } = client();
    const res = await http.request(`${BASE}/u`);
    expect(res.status).to.equal(404);
    expect(http.stats().calls).to.equal(1);
  });

  it('lets the caller veto a retry (a monthly cap)', async () => {
    nock(BASE).get('/u').reply(429, { title: 'UsageCapExceeded' });
    const { http } = client({ shouldRetry: (r) => (r.body as { title?: string }).title !== 'UsageCapExceeded' });
    const res = await http.request(`${BASE}/u`);
    expect(res.status).to.equal(429);
    expect(http.stats().calls).to.equal(1);
  });

  it('retries network errors, then throws an HttpError with the token redacted', async () => {
    nock(BASE).get('/u').times(3).replyWithError(`socket hang up while sending Bearer ${TOKEN}`);
    const { http } = client({ maxRetries: 2 });
    const error = await http.request(`${BASE}/u`).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(HttpError);
    expect((error as HttpError).code).to.equal('network');
    expect((error as HttpError).message).to.not.include(TOKEN);
    expect((error as HttpError).message).to.include('[redacted]');
    expect(http.stats().calls).to.equal(3);
  });

  it('times out a slow response (real server, real timer) and says so', async () => {
    nock.enableNetConnect('127.0.0.1');
    const server = createServer((_req, res) => {
      setTimeout(() => res.end('{}'), 500).unref();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const http = new HttpClient({
        name: 'example',
        timeoutMs: 50,
        maxRetries: 1,
        baseDelayMs: 1,
        trustedOrigins: [`http://127.0.0.1:${port}`],
      });
      const error = await http.request(`http://127.0.0.1:${port}/slow`).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(HttpError);
      expect((error as HttpError).code).to.equal('timeout');
      expect(http.stats().calls).to.equal(2);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      nock.disableNetConnect();
    }
  });

  it('sends query parameters (repeated for arrays) and JSON bodies', async () => {
    nock(BASE)
      .get('/q')
      .query({ actors: ['a', 'b'], limit: '5' })
      .reply(200, []);
    nock(BASE).post('/g', { query: 'x' }).reply(200, { data: 1 });
    const { http } = client();
    expect(
      (await http.request(`${BASE}/q`, { query: { actors: ['a', 'b'], limit: 5, skip: undefined } })).status,
    ).to.equal(200);
    expect((await http.request(`${BASE}/g`, { json: { query: 'x' } })).body).to.deep.equal({ data: 1 });
  });

  it('waits for the reset before the limit is hit (never earns the 429)', async () => {
    const { http, clock } = client({ rateLimit: GITHUB_RATE_LIMIT });
    const reset = Math.floor(clock.t / 1000) + 30;
    const headers = (remaining: number) => ({
      'x-ratelimit-limit': '60',
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': String(reset),
    });
    nock(BASE)
      .get('/a')
      .reply(200, {}, headers(1))
      .get('/b')
      .reply(200, {}, headers(0))
      .get('/c')
      .reply(200, {}, headers(59));
    await http.request(`${BASE}/a`);
    await http.request(`${BASE}/b`);
    expect(clock.waits).to.deep.equal([]);
    await http.request(`${BASE}/c`);
    expect(clock.waits).to.have.length(1);
    expect(clock.t).to.be.at.least(reset * 1000);
  });

  it('throws rate_limited without sending when the reset is further away than maxWaitMs', async () => {
    const { http, clock } = client({ rateLimit: X_RATE_LIMIT, maxWaitMs: 1000 });
    const reset = Math.floor(clock.t / 1000) + 600;
    nock(BASE)
      .get('/a')
      .reply(200, {}, { 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) });
    await http.request(`${BASE}/a`);
    const error = await http.request(`${BASE}/b`).then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as HttpError).code).to.equal('rate_limited');
    expect((error as HttpError).retryAfterSeconds).to.equal(600);
    expect(http.stats().calls).to.equal(1);
  });

  it('keeps one budget per rate-limit window: an exhausted endpoint group does not hold back another on the same host', async () => {
    const { http, clock } = client({
      rateLimit: X_RATE_LIMIT,
      maxWaitMs: 1000,
      rateLimitWindow: (url) => (url.pathname.startsWith('/small') ? 'small' : 'large'),
    });
    // Both windows reset in the same second, as X's do when a run starts with both endpoints.
    const reset = String(Math.floor(clock.t / 1000) + 900);
    nock(BASE)
      .get('/small/1')
      .reply(200, {}, { 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': reset })
      .get('/large/1')
      .reply(200, {}, { 'x-rate-limit-remaining': '9999', 'x-rate-limit-reset': reset })
      .get('/large/2')
      .reply(200, {}, { 'x-rate-limit-remaining': '9998', 'x-rate-limit-reset': reset });
    await http.request(`${BASE}/small/1`);
    await http.request(`${BASE}/large/1`);
    await http.request(`${BASE}/large/2`);
    const error = await http.request(`${BASE}/small/2`).then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as HttpError).code).to.equal('rate_limited');
    expect(http.stats().calls).to.equal(3);
    expect(clock.waits).to.deep.equal([]);
  });

  it('treats GitHub-style 403 + remaining 0 as a rate limit when told to', async () => {
    const { http, clock } = client({
      rateLimit: GITHUB_RATE_LIMIT,
      isRateLimited: (r) => r.status === 429 || (r.status === 403 && r.rateLimit?.remaining === 0),
    });
    const reset = Math.floor(clock.t / 1000) + 20;
    nock(BASE)
      .get('/u')
      .reply(
        403,
        { message: 'API rate limit exceeded' },
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
      )
      .get('/u')
      .reply(200, { login: 'a' }, { 'x-ratelimit-remaining': '4999', 'x-ratelimit-reset': String(reset + 3600) });
    const res = await http.request(`${BASE}/u`);
    expect(res.status).to.equal(200);
    expect(clock.t).to.be.at.least(reset * 1000);
  });
});
