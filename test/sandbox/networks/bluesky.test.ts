import { expect } from 'chai';

import type { BlueskySandbox } from '../../../src/sandbox/networks/bluesky.ts';
import { startBlueskySandbox } from '../../../src/sandbox/networks/bluesky.ts';
import { accounts, getJson, missingHandles, population } from './helpers.ts';

describe('sandbox Bluesky', () => {
  let b: BlueskySandbox;
  before(async () => {
    b = await startBlueskySandbox({ population });
  });
  after(() => b.close());
  beforeEach(() => {
    b.counters.reset();
    b.setRemaining(3000);
  });

  const profiles = (actors: string[]) =>
    `${b.url}/xrpc/app.bsky.actor.getProfiles?${actors.map((a) => `actors=${encodeURIComponent(a)}`).join('&')}`;

  it('getProfiles returns found actors (by handle or DID) and silently omits missing and taken-down ones', async () => {
    const found = accounts('bluesky', 3);
    const taken = accounts('bluesky', 1, (a) => a.state === 'suspended')[0]?.handle ?? '';
    const missing = missingHandles('bluesky', 1)[0] ?? 'nobody.bsky.social';
    const actors = [found[0]?.handle ?? '', found[1]?.id ?? '', missing, taken, found[2]?.handle.toUpperCase() ?? ''];
    const { status, body, headers } = await getJson(profiles(actors));
    expect(status).to.equal(200);
    const list = (
      body as {
        profiles: { did: string; handle: string; followersCount: number; followsCount: number; postsCount: number }[];
      }
    ).profiles;
    expect(list.map((p) => p.did)).to.deep.equal(found.map((a) => a.id));
    expect(list[0]).to.deep.include({
      handle: found[0]?.handle,
      followersCount: found[0]?.followers,
      followsCount: found[0]?.following,
      postsCount: found[0]?.posts,
    });
    expect(headers.get('ratelimit-limit')).to.equal('3000');
    expect(headers.get('ratelimit-remaining')).to.equal('2999');
    expect(headers.get('ratelimit-policy')).to.equal('3000;w=300');
    expect(Number(headers.get('ratelimit-reset'))).to.be.above(Date.now() / 1000);
  });

  it('rejects 26 actors with 400 InvalidRequest', async () => {
    const { status, body } = await getJson(profiles(Array.from({ length: 26 }, (_, i) => `a${i}.bsky.social`)));
    expect(status).to.equal(400);
    expect(body).to.deep.equal({
      error: 'InvalidRequest',
      message: 'Error: actors must not have more than 25 elements',
    });
    expect(b.counters.snapshot().largestBatch).to.equal(26);
  });

  it('getProfile answers 400 InvalidRequest / AccountTakedown, and labels opted-out accounts !no-unauthenticated', async () => {
    const missing = await getJson(
      `${b.url}/xrpc/app.bsky.actor.getProfile?actor=${missingHandles('bluesky', 1)[0] ?? 'x.bsky.social'}`,
    );
    expect(missing.status).to.equal(400);
    expect(missing.body).to.deep.equal({ error: 'InvalidRequest', message: 'Profile not found' });
    const [s] = accounts('bluesky', 1, (a) => a.state === 'suspended');
    const taken = await getJson(`${b.url}/xrpc/app.bsky.actor.getProfile?actor=${s?.handle ?? ''}`);
    expect(taken.body).to.deep.equal({ error: 'AccountTakedown', message: 'Account has been suspended' });
    const [o] = accounts('bluesky', 1, (a) => a.networkOptOut && a.state === 'active');
    const opted = await getJson(`${b.url}/xrpc/app.bsky.actor.getProfile?actor=${o?.handle ?? ''}`);
    expect((opted.body as { labels: { val: string }[] }).labels.map((l) => l.val)).to.deep.equal([
      '!no-unauthenticated',
    ]);
  });

  it('getAuthorFeed filters replies, marks reposts with reasonRepost, and pages with a cursor', async () => {
    const [a] = accounts('bluesky', 1, (x) => x.state === 'active' && x.posts > 80 && x.kind === 'human');
    if (!a) throw new Error('none');
    const url = `${b.url}/xrpc/app.bsky.feed.getAuthorFeed?actor=${a.handle}&filter=posts_no_replies&limit=30`;
    const first = await getJson(url);
    expect(first.status).to.equal(200);
    const page = first.body as {
      feed: {
        post: { uri: string; likeCount: number; record: { createdAt: string; reply?: unknown } };
        reason?: { $type: string };
      }[];
      cursor?: string;
    };
    expect(page.feed).to.have.length(30);
    expect(page.feed.every((f) => f.post.record.reply === undefined)).to.be.true;
    const expected = population.recentPosts(a, 300).filter((p) => !p.isReply);
    expect(page.feed.map((f) => f.post.uri)).to.deep.equal(expected.slice(0, 30).map((p) => p.id));
    const reposts = page.feed.filter((f) => f.reason?.$type === 'app.bsky.feed.defs#reasonRepost').length;
    expect(reposts).to.equal(expected.slice(0, 30).filter((p) => p.isRepost).length);
    expect(page.cursor).to.be.a('string');
    const second = await getJson(`${url}&cursor=${page.cursor}`);
    expect((second.body as { feed: { post: { uri: string } }[] }).feed[0]?.post.uri).to.equal(expected[30]?.id);
    expect((await getJson(`${b.url}/xrpc/app.bsky.feed.getAuthorFeed?actor=${a.handle}&limit=101`)).status).to.equal(
      400,
    );
  });

  it('answers 429 RateLimitExceeded when the window is spent, and from the fault schedule', async () => {
    b.setRemaining(0);
    const limited = await getJson(profiles(['a.bsky.social']));
    expect(limited.status).to.equal(429);
    expect(limited.body).to.deep.equal({ error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' });
    expect(limited.headers.get('ratelimit-remaining')).to.equal('0');
    const faulty = await startBlueskySandbox({ population, faults: { status429: 1, after: 1 } });
    try {
      expect((await fetch(`${faulty.url}/xrpc/app.bsky.actor.getProfiles?actors=a.bsky.social`)).status).to.equal(200);
      const r = await fetch(`${faulty.url}/xrpc/app.bsky.actor.getProfiles?actors=a.bsky.social`);
      expect(r.status).to.equal(429);
      expect(r.headers.get('ratelimit-reset')).to.match(/^\d+$/);
    } finally {
      await faulty.close();
    }
  });
});
