import { expect } from 'chai';
import nock from 'nock';

import { MastodonAdapter } from '../../src/providers/mastodon.ts';
import { fastHttp, NOW, useNock } from './helpers.ts';

// Fixtures shaped like Mastodon's REST API (docs.joinmastodon.org/entities/Account): snake_case, ids as strings.
const JANE = {
  id: '109302',
  username: 'jane',
  acct: 'jane',
  display_name: 'Jane',
  locked: false,
  bot: false,
  discoverable: true,
  indexable: true,
  group: false,
  noindex: false,
  created_at: '2022-11-03T00:00:00.000Z',
  last_status_at: '2026-07-01',
  statuses_count: 2810,
  followers_count: 1532,
  following_count: 311,
  hide_collections: false,
  emojis: [],
  fields: [
    { name: 'Website', value: '<a href="https://jane.dev">jane.dev</a>', verified_at: '2024-05-02T10:11:12.000+00:00' },
  ],
};
const STATUSES = [
  {
    id: '113000000000000002',
    created_at: '2026-06-30T09:00:00.000Z',
    in_reply_to_id: null,
    visibility: 'public',
    reblog: null,
    replies_count: 4,
    reblogs_count: 9,
    favourites_count: 31,
    quotes_count: 1,
    content: '<p>hi</p>',
  },
  {
    id: '113000000000000001',
    created_at: '2026-06-29T09:00:00.000Z',
    in_reply_to_id: null,
    visibility: 'public',
    reblog: { id: '1', content: 'someone else' },
    replies_count: 0,
    reblogs_count: 100,
    favourites_count: 500,
  },
];
const resetIso = new Date(NOW.getTime() + 300_000)
  .toISOString()
  .replace('Z', '123Z')
  .replace(/\.(\d{3})123Z$/, '.$1123Z');
const RATE = { 'X-RateLimit-Limit': '300', 'X-RateLimit-Remaining': '299', 'X-RateLimit-Reset': resetIso };

function adapter(extra: Partial<ConstructorParameters<typeof MastodonAdapter>[0]> = {}) {
  return new MastodonAdapter({ postSample: 20, now: () => NOW, http: fastHttp(), ...extra });
}

describe('providers: Mastodon', () => {
  useNock();

  it("asks each account's home instance; lookup + statuses; boosts skipped", async () => {
    nock('https://fosstodon.org')
      .get('/api/v1/accounts/lookup')
      .query({ acct: 'jane@fosstodon.org' })
      .reply(200, JANE, RATE)
      .get('/api/v1/accounts/109302/statuses')
      .query({ limit: '20', exclude_reblogs: 'true', exclude_replies: 'true' })
      .reply(200, STATUSES, RATE);
    nock('https://hachyderm.io')
      .get('/api/v1/accounts/lookup')
      .query({ acct: 'ghost@hachyderm.io' })
      .reply(404, { error: 'Record not found' });
    const m = adapter();
    const results = await m.fetchProfiles(['jane@fosstodon.org', 'ghost@hachyderm.io']);
    const jane = results.get('jane@fosstodon.org');
    if (jane?.status !== 'ok') throw new Error(JSON.stringify(jane));
    expect(jane.metrics).to.deep.include({
      network: 'mastodon',
      followers: 1532,
      following: 311,
      posts: 2810,
      createdAt: '2022-11-03T00:00:00.000Z',
    });
    expect(jane.metrics.extra).to.deep.equal({ verifiedLinks: 1 });
    expect(jane.metrics.recentPosts).to.deep.equal([
      { at: '2026-06-30T09:00:00.000Z', reshares: 9, replies: 4, likes: 31, quotes: 1 },
    ]);
    expect(results.get('ghost@hachyderm.io')).to.deep.equal({ status: 'not_found' });
    expect(m.usage().calls).to.equal(3);
  });

  it('MASTODON_API_BASE_URL override sends every instance to one base URL', async () => {
    nock('http://127.0.0.1:9999')
      .get('/api/v1/accounts/lookup')
      .query({ acct: 'jane@mastodon.social' })
      .reply(200, { ...JANE, statuses_count: 0 });
    const r = (await adapter({ baseUrlOverride: 'http://127.0.0.1:9999' }).fetchProfiles(['jane@mastodon.social'])).get(
      'jane@mastodon.social',
    );
    expect(r?.status).to.equal('ok');
  });

  it('suspended (200 + suspended:true, or 410), opted out (noindex / indexable:false / discoverable:false), locked', async () => {
    const s = nock('https://m.example');
    s.get('/api/v1/accounts/lookup')
      .query({ acct: 'susp@m.example' })
      .reply(200, { ...JANE, id: '1', suspended: true, statuses_count: 0, followers_count: 0, following_count: 0 });
    s.get('/api/v1/accounts/lookup').query({ acct: 'gone@m.example' }).reply(410, { error: 'Gone' });
    s.get('/api/v1/accounts/lookup')
      .query({ acct: 'noidx@m.example' })
      .reply(200, { ...JANE, noindex: true });
    s.get('/api/v1/accounts/lookup')
      .query({ acct: 'hidden@m.example' })
      .reply(200, { ...JANE, indexable: false });
    s.get('/api/v1/accounts/lookup')
      .query({ acct: 'nodisc@m.example' })
      .reply(200, { ...JANE, discoverable: false });
    s.get('/api/v1/accounts/lookup')
      .query({ acct: 'locked@m.example' })
      .reply(200, { ...JANE, locked: true });
    s.get('/api/v1/accounts/lookup')
      .query({ acct: 'moved@m.example' })
      .reply(200, { ...JANE, moved: { ...JANE, id: '2' } });
    const results = await adapter().fetchProfiles([
      'susp@m.example',
      'gone@m.example',
      'noidx@m.example',
      'hidden@m.example',
      'nodisc@m.example',
      'locked@m.example',
      'moved@m.example',
    ]);
    expect(Object.fromEntries([...results].map(([k, v]) => [k.split('@')[0], v.status]))).to.deep.equal({
      susp: 'suspended',
      gone: 'suspended',
      noidx: 'protected',
      hidden: 'protected',
      nodisc: 'protected',
      locked: 'protected',
      moved: 'not_found',
    });
  });

  it('an instance demanding auth, an unreachable instance and a malformed handle stay per-handle', async () => {
    nock('https://private.example')
      .get('/api/v1/accounts/lookup')
      .query(true)
      .reply(401, { error: 'This API requires an authenticated user' });
    // A host from CRM data gets one retry, whatever the client's default.
    nock('https://down.example')
      .get('/api/v1/accounts/lookup')
      .query(true)
      .times(2)
      .replyWithError('connect ECONNREFUSED');
    nock('https://fosstodon.org')
      .get('/api/v1/accounts/lookup')
      .query(true)
      .reply(200, { ...JANE, statuses_count: 0 });
    const results = await adapter().fetchProfiles([
      'a@private.example',
      'b@down.example',
      'no-instance',
      'jane@fosstodon.org',
    ]);
    expect(results.get('a@private.example')).to.deep.equal({ status: 'unavailable', reason: 'instance_requires_auth' });
    expect(results.get('b@down.example')).to.deep.equal({ status: 'unavailable', reason: 'network' });
    expect(results.get('no-instance')).to.deep.equal({ status: 'not_found' });
    expect(results.get('jane@fosstodon.org')?.status).to.equal('ok');
  });

  it('429 "Too many requests" with an ISO reset is retried after the reset', async () => {
    const reset = new Date(Date.now() + 4000).toISOString();
    nock('https://fosstodon.org')
      .get('/api/v1/accounts/lookup')
      .query(true)
      .reply(
        429,
        { error: 'Too many requests' },
        { 'X-RateLimit-Limit': '300', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': reset },
      )
      .get('/api/v1/accounts/lookup')
      .query(true)
      .reply(200, { ...JANE, statuses_count: 0 });
    expect((await adapter().fetchProfiles(['jane@fosstodon.org'])).get('jane@fosstodon.org')?.status).to.equal('ok');
  });
});
