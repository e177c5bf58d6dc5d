import { expect } from 'chai';
import nock from 'nock';

import { ProviderUnusableError } from '../../src/providers/common.ts';
import { XAdapter } from '../../src/providers/x.ts';
import { fastHttp, NOW, useNock } from './helpers.ts';

const BASE = 'https://api.x.com';
const TOKEN = 'AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI';

// Fixtures shaped like the X API v2 wire format (docs.x.com/x-api/users/lookup/integrate).
const USER_ADA = {
  id: '2244994945',
  username: 'Ada',
  name: 'Ada',
  created_at: '2013-12-14T04:35:55.000Z',
  verified: true,
  verified_type: 'blue',
  protected: false,
  most_recent_tweet_id: '1790000000000000001',
  public_metrics: {
    followers_count: 583423,
    following_count: 2048,
    tweet_count: 14052,
    listed_count: 1672,
    like_count: 3211,
  },
};
const USER_LOCKED = {
  id: '99',
  username: 'locked',
  name: 'L',
  created_at: '2015-01-01T00:00:00.000Z',
  protected: true,
  public_metrics: { followers_count: 10, following_count: 5, tweet_count: 3, listed_count: 0 },
};
const NOT_FOUND = {
  value: 'ghost',
  detail: 'Could not find user with usernames: [ghost].',
  title: 'Not Found Error',
  resource_type: 'user',
  parameter: 'usernames',
  resource_id: 'ghost',
  type: 'https://api.twitter.com/2/problems/resource-not-found',
};
const SUSPENDED = {
  value: 'banned',
  detail: 'User has been suspended: [banned].',
  title: 'Forbidden',
  resource_type: 'user',
  parameter: 'usernames',
  resource_id: 'banned',
  type: 'https://api.twitter.com/2/problems/resource-not-found',
};
const TWEETS = {
  data: [
    {
      id: '1790000000000000001',
      text: 'hello',
      created_at: '2026-06-30T10:00:00.000Z',
      edit_history_tweet_ids: ['1790000000000000001'],
      public_metrics: {
        retweet_count: 12,
        reply_count: 3,
        like_count: 140,
        quote_count: 2,
        bookmark_count: 1,
        impression_count: 9000,
      },
    },
    {
      id: '1790000000000000000',
      text: 'world',
      created_at: '2026-06-29T10:00:00.000Z',
      edit_history_tweet_ids: ['1790000000000000000'],
      public_metrics: {
        retweet_count: 1,
        reply_count: 0,
        like_count: 10,
        quote_count: 0,
        bookmark_count: 0,
        impression_count: 800,
      },
    },
  ],
  meta: { result_count: 2, newest_id: '1790000000000000001', oldest_id: '1790000000000000000' },
};
const RATE_HEADERS = {
  'x-rate-limit-limit': '300',
  'x-rate-limit-remaining': '299',
  'x-rate-limit-reset': String(Math.floor(NOW.getTime() / 1000) + 900),
};

function adapter(extra: Partial<ConstructorParameters<typeof XAdapter>[0]> = {}) {
  return new XAdapter({ baseUrl: BASE, bearerToken: TOKEN, postSample: 5, now: () => NOW, http: fastHttp(), ...extra });
}

describe('providers: X', () => {
  useNock();

  it('maps a mixed batch: ok with posts, not found and suspended from errors[], protected from the profile', async () => {
    nock(BASE, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get('/2/users/by')
      .query((q) => q.usernames === 'ada,ghost,banned,locked' && String(q['user.fields']).includes('public_metrics'))
      .reply(200, { data: [USER_ADA, USER_LOCKED], errors: [NOT_FOUND, SUSPENDED] }, RATE_HEADERS)
      .get('/2/users/2244994945/tweets')
      .query({ max_results: '5', 'tweet.fields': 'created_at,public_metrics', exclude: 'retweets,replies' })
      .reply(200, TWEETS, RATE_HEADERS);
    const x = adapter();
    const results = await x.fetchProfiles(['ada', 'ghost', 'banned', 'locked']);
    expect(results.get('ghost')).to.deep.equal({ status: 'not_found' });
    expect(results.get('banned')).to.deep.equal({ status: 'suspended' });
    expect(results.get('locked')).to.deep.equal({ status: 'protected' });
    const ada = results.get('ada');
    if (ada?.status !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(ada)}`);
    expect(ada.metrics).to.deep.include({
      network: 'x',
      handle: 'ada',
      followers: 583423,
      following: 2048,
      posts: 14052,
      verified: false,
      createdAt: '2013-12-14T04:35:55.000Z',
      likesGiven: 3211,
    });
    expect(ada.metrics.extra).to.deep.equal({ listed: 1672 });
    expect(ada.metrics.recentPosts[0]).to.deep.equal({
      at: '2026-06-30T10:00:00.000Z',
      reshares: 12,
      replies: 3,
      likes: 140,
      quotes: 2,
      views: 9000,
    });
    // 2 user resources ($0.01) + 2 posts ($0.005)
    expect(x.usage()).to.deep.equal({ calls: 2, estimatedCostUsd: 0.03 });
  });

  it('asks for 100 usernames per call at most', async () => {
    const handles = Array.from({ length: 150 }, (_, i) => `user${i}`);
    const seen: number[] = [];
    nock(BASE)
      .get('/2/users/by')
      .query(true)
      .times(2)
      .reply((req: Request) => {
        const names = new URL(req.url).searchParams.get('usernames')?.split(',') ?? [];
        seen.push(names.length);
        return [200, { errors: names.map((n) => ({ ...NOT_FOUND, value: n, resource_id: n })) }];
      });
    const results = await adapter().fetchProfiles(handles);
    expect(seen).to.deep.equal([100, 50]);
    expect(results.size).to.equal(150);
    expect([...results.values()].every((r) => r.status === 'not_found')).to.equal(true);
  });

  it('a 429 with a far reset makes the batch unavailable with retryAfter, without throwing', async () => {
    const reset = Math.floor(Date.now() / 1000) + 900;
    nock(BASE)
      .get('/2/users/by')
      .query(true)
      .reply(
        429,
        { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 },
        { 'x-rate-limit-limit': '300', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) },
      );
    const results = await adapter().fetchProfiles(['ada', 'bob']);
    const r = results.get('ada');
    expect(r?.status).to.equal('unavailable');
    expect(r?.status === 'unavailable' && r.retryAfterSeconds).to.be.within(890, 901);
    expect(results.get('bob')?.status).to.equal('unavailable');
  });

  it('the monthly usage cap is not retried and is reported as usage_capped', async () => {
    nock(BASE).get('/2/users/by').query(true).once().reply(429, {
      title: 'UsageCapExceeded',
      detail: 'Usage cap exceeded: Monthly product cap',
      type: 'https://api.x.com/2/problems/usage-capped',
      period: 'Monthly',
      scope: 'Product',
    });
    const x = adapter();
    const results = await x.fetchProfiles(['ada']);
    expect(results.get('ada')).to.deep.equal({ status: 'unavailable', reason: 'usage_capped' });
    expect(x.usage().calls).to.equal(1);
  });

  it('a single-user 404 problem body is not_found; a single-user 403 suspended body is suspended', async () => {
    nock(BASE)
      .get('/2/users/by')
      .query(true)
      .reply(404, { errors: [NOT_FOUND], ...NOT_FOUND })
      .get('/2/users/by')
      .query(true)
      .reply(403, SUSPENDED);
    const x = adapter();
    expect((await x.fetchProfiles(['ghost'])).get('ghost')).to.deep.equal({ status: 'not_found' });
    expect((await x.fetchProfiles(['banned'])).get('banned')).to.deep.equal({ status: 'suspended' });
  });

  it('a rejected token throws ProviderUnusableError that names the variable and not the token', async () => {
    nock(BASE)
      .get('/2/users/by')
      .query(true)
      .reply(401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });
    const error = await adapter()
      .fetchProfiles(['ada'])
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).to.be.instanceOf(ProviderUnusableError);
    expect((error as Error).message)
      .to.include('X_BEARER_TOKEN')
      .and.not.include(TOKEN);
  });

  it('retries a 503 and then succeeds', async () => {
    nock(BASE)
      .get('/2/users/by')
      .query(true)
      .reply(503, { title: 'Service Unavailable' })
      .get('/2/users/by')
      .query(true)
      .reply(200, { data: [{ ...USER_ADA, most_recent_tweet_id: undefined }] });
    const results = await adapter().fetchProfiles(['ada']);
    expect(results.get('ada')?.status).to.equal('ok');
  });

  it('a payload that does not match the schema is unavailable, not a crash', async () => {
    nock(BASE)
      .get('/2/users/by')
      .query(true)
      .reply(200, { data: [{ id: '1', username: 'ada' }] });
    expect((await adapter().fetchProfiles(['ada'])).get('ada')).to.deep.equal({
      status: 'unavailable',
      reason: 'invalid_payload',
    });
  });

  it('one account whose posts keep failing does not fail the others', async () => {
    const bob = { ...USER_ADA, id: '7', username: 'bob' };
    nock(BASE)
      .get('/2/users/by')
      .query(true)
      .reply(200, { data: [USER_ADA, bob] })
      .get('/2/users/2244994945/tweets')
      .query(true)
      .times(3)
      .reply(500, { title: 'Internal Error' })
      .get('/2/users/7/tweets')
      .query(true)
      .reply(200, TWEETS);
    const results = await adapter().fetchProfiles(['ada', 'bob']);
    expect(results.get('ada')).to.deep.equal({ status: 'unavailable', reason: 'http_500' });
    expect(results.get('bob')?.status).to.equal('ok');
  });

  it('postSample 0 reads profiles only (no post reads, no post cost)', async () => {
    nock(BASE)
      .get('/2/users/by')
      .query(true)
      .reply(200, { data: [USER_ADA] });
    const x = adapter({ postSample: 0 });
    const r = (await x.fetchProfiles(['ada'])).get('ada');
    expect(r?.status === 'ok' && r.metrics.recentPosts).to.deep.equal([]);
    expect(x.usage()).to.deep.equal({ calls: 1, estimatedCostUsd: 0.01 });
  });
});

describe('providers: X handle grammar', () => {
  useNock();

  it('a malformed handle is not_found without poisoning the batch request', async () => {
    nock(BASE)
      .get('/2/users/by')
      .query((q) => q.usernames === 'ada')
      .reply(200, { data: [{ ...USER_ADA, most_recent_tweet_id: undefined }] });
    const results = await adapter().fetchProfiles(['ada', 'not a handle', 'waytoolongforanxhandle']);
    expect(results.get('ada')?.status).to.equal('ok');
    expect(results.get('not a handle')).to.deep.equal({ status: 'not_found' });
    expect(results.get('waytoolongforanxhandle')).to.deep.equal({ status: 'not_found' });
  });
});
