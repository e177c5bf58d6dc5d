import { expect } from 'chai';

import type { MastodonSandbox } from '../../../src/sandbox/networks/mastodon.ts';
import { startMastodonSandbox } from '../../../src/sandbox/networks/mastodon.ts';
import { accounts, getJson, missingHandles, population } from './helpers.ts';

describe('sandbox Mastodon', () => {
  let m: MastodonSandbox;
  before(async () => {
    m = await startMastodonSandbox({ population });
  });
  after(() => m.close());
  beforeEach(() => {
    m.counters.reset();
    m.setRemaining(300);
  });

  it('looks up user@instance (any instance, one server) with counts, flags and ISO reset header', async () => {
    const [a] = accounts('mastodon', 1, (x) => x.state === 'active' && !x.handle.endsWith('@mastodon.social'));
    if (!a) throw new Error('none');
    const { status, body, headers } = await getJson(
      `${m.url}/api/v1/accounts/lookup?acct=${encodeURIComponent(a.handle)}`,
    );
    expect(status).to.equal(200);
    expect(body).to.deep.include({
      id: a.id,
      acct: a.handle,
      followers_count: a.followers,
      following_count: a.following,
      statuses_count: a.posts,
      bot: a.kind === 'bot',
      locked: false,
    });
    expect(body).to.include.keys('discoverable', 'indexable', 'noindex', 'last_status_at', 'created_at');
    expect(headers.get('x-ratelimit-limit')).to.equal('300');
    expect(headers.get('x-ratelimit-remaining')).to.equal('299');
    expect(headers.get('x-ratelimit-reset')).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    // A bare username resolves on its home instance too.
    const bare = await getJson(`${m.url}/api/v1/accounts/lookup?acct=${a.handle.split('@')[0] ?? ''}`);
    expect((bare.body as { id: string }).id).to.equal(a.id);
  });

  it('answers 404 Record not found for missing accounts; suspended accounts are 200 with suspended:true and zero counts', async () => {
    const missing = await getJson(
      `${m.url}/api/v1/accounts/lookup?acct=${encodeURIComponent(missingHandles('mastodon', 1)[0] ?? 'a@b.c')}`,
    );
    expect(missing.status).to.equal(404);
    expect(missing.body).to.deep.equal({ error: 'Record not found' });
    const [s] = accounts('mastodon', 1, (x) => x.state === 'suspended');
    const suspended = await getJson(`${m.url}/api/v1/accounts/lookup?acct=${encodeURIComponent(s?.handle ?? '')}`);
    expect(suspended.status).to.equal(200);
    expect(suspended.body).to.deep.include({ suspended: true, followers_count: 0, statuses_count: 0 });
  });

  it('marks opted-out accounts with noindex / discoverable:false', async () => {
    const [o] = accounts('mastodon', 1, (x) => x.networkOptOut && x.state === 'active');
    const { body } = await getJson(`${m.url}/api/v1/accounts/lookup?acct=${encodeURIComponent(o?.handle ?? '')}`);
    expect(body).to.deep.include({ noindex: true, discoverable: false, indexable: false });
  });

  it('serves statuses (limit clamped to 40, replies and reblogs excluded) with a Link next page', async () => {
    const [a] = accounts('mastodon', 1, (x) => x.state === 'active' && x.posts > 100 && x.kind === 'human');
    if (!a) throw new Error('none');
    const url = `${m.url}/api/v1/accounts/${a.id}/statuses?exclude_replies=true&exclude_reblogs=true&limit=80`;
    const first = await getJson(url);
    const page = first.body as {
      id: string;
      reblog: unknown;
      in_reply_to_id: unknown;
      favourites_count: number;
      reblogs_count: number;
      replies_count: number;
    }[];
    expect(page).to.have.length(40);
    expect(page.every((s) => s.reblog === null && s.in_reply_to_id === null)).to.be.true;
    const expected = population.recentPosts(a, 400).filter((p) => !p.isReply && !p.isRepost);
    expect(page.map((s) => s.id)).to.deep.equal(expected.slice(0, 40).map((p) => p.id));
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1] ?? '';
    expect(next).to.include(`max_id=${page[39]?.id}`);
    const second = await getJson(next);
    expect((second.body as { id: string }[]).map((s) => s.id)).to.deep.equal(expected.slice(40, 80).map((p) => p.id));
    const withAll = await getJson(`${m.url}/api/v1/accounts/${a.id}/statuses?limit=40`);
    expect(
      (withAll.body as { reblog: unknown }[]).some((s) => s.reblog !== null) ||
        (withAll.body as { in_reply_to_id: unknown }[]).some((s) => s.in_reply_to_id !== null),
    ).to.be.true;
  });

  it('shows no statuses of locked accounts to anonymous readers', async () => {
    const [p] = accounts('mastodon', 1, (x) => x.state === 'protected');
    const { status, body } = await getJson(`${m.url}/api/v1/accounts/${p?.id}/statuses`);
    expect(status).to.equal(200);
    expect(body).to.deep.equal([]);
  });

  it('answers 429 Too many requests when the 5-minute window is spent', async () => {
    m.setRemaining(0);
    const { status, body, headers } = await getJson(`${m.url}/api/v1/accounts/lookup?acct=a1@mastodon.social`);
    expect(status).to.equal(429);
    expect(body).to.deep.equal({ error: 'Too many requests' });
    expect(headers.get('x-ratelimit-remaining')).to.equal('0');
    expect(m.counters.snapshot().served429).to.equal(1);
  });

  it('answers 401 "requires an authenticated user" for instances in whitelist mode', async () => {
    const [a] = accounts('mastodon', 1, (x) => x.state === 'active' && x.handle.endsWith('@hachyderm.io'));
    const closed = await startMastodonSandbox({ population, restrictedInstances: ['hachyderm.io'] });
    try {
      const { status, body } = await getJson(
        `${closed.url}/api/v1/accounts/lookup?acct=${encodeURIComponent(a?.handle ?? '')}`,
      );
      expect(status).to.equal(401);
      expect(body).to.deep.equal({ error: 'This API requires an authenticated user' });
      expect((await getJson(`${closed.url}/api/v1/accounts/${a?.id ?? ''}/statuses`)).status).to.equal(401);
    } finally {
      await closed.close();
    }
  });

  it('follows a 5xx fault schedule', async () => {
    const faulty = await startMastodonSandbox({ population, faults: { status5xx: 2 } });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++)
        statuses.push((await fetch(`${faulty.url}/api/v1/accounts/lookup?acct=x1@mastodon.social`)).status);
      expect(statuses).to.deep.equal([404, 503, 404, 503]);
      expect(faulty.counters.snapshot().served5xx).to.equal(2);
    } finally {
      await faulty.close();
    }
  });
});
