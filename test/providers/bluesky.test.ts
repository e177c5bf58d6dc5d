import { expect } from 'chai';
import nock from 'nock';

import { BlueskyAdapter } from '../../src/providers/bluesky.ts';
import { fastHttp, NOW, useNock } from './helpers.ts';

const BASE = 'https://public.api.bsky.app';
const DID = 'did:plc:z72i7hdynmk6r22z27h6tvur';

// Fixtures shaped like app.bsky.actor.defs#profileViewDetailed / app.bsky.feed.defs#feedViewPost (reference §4).
function profile(handle: string, did: string, extra: Record<string, unknown> = {}) {
  return {
    did,
    handle,
    displayName: handle,
    avatar: 'https://cdn.bsky.app/img/avatar/plain/x.jpg',
    followersCount: 33970,
    followsCount: 10,
    postsCount: 800,
    createdAt: '2023-04-12T04:53:57.057Z',
    indexedAt: '2025-01-10T00:00:00.000Z',
    labels: [],
    associated: { lists: 0, feedgens: 0, starterPacks: 0, labeler: false },
    viewer: { muted: false, blockedBy: false },
    verification: { verifications: [], verifiedStatus: 'none', trustedVerifierStatus: 'none' },
    ...extra,
  };
}
function feedItem(did: string, n: number, reason?: string) {
  return {
    post: {
      uri: `at://${did}/app.bsky.feed.post/3l${n}`,
      cid: 'bafyrei',
      author: { did, handle: 'x' },
      record: { $type: 'app.bsky.feed.post', text: 'hi', createdAt: `2026-06-2${n}T10:00:00.000Z` },
      replyCount: n,
      repostCount: n * 2,
      likeCount: n * 10,
      quoteCount: 0,
      indexedAt: `2026-06-2${n}T10:00:01.000Z`,
      labels: [],
    },
    ...(reason
      ? { reason: { $type: reason, by: { did: 'did:plc:other' }, indexedAt: '2026-06-28T00:00:00.000Z' } }
      : {}),
  };
}
const RATE = {
  'RateLimit-Limit': '3000',
  'RateLimit-Remaining': '2999',
  'RateLimit-Reset': String(Math.floor(NOW.getTime() / 1000) + 300),
  'RateLimit-Policy': '3000;w=300',
};

function adapter(extra: Partial<ConstructorParameters<typeof BlueskyAdapter>[0]> = {}) {
  return new BlueskyAdapter({ baseUrl: BASE, postSample: 5, now: () => NOW, http: fastHttp(), ...extra });
}

describe('providers: Bluesky', () => {
  useNock();

  it('getProfiles with repeated actors; DIDs and handles matched; reposts dropped; missing → not_found', async () => {
    nock(BASE)
      .get('/xrpc/app.bsky.actor.getProfiles')
      .query({ actors: ['bsky.app', DID, 'ghost.bsky.social'] })
      .reply(
        200,
        {
          profiles: [
            profile('bsky.app', 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa'),
            profile('ada.dev', DID, { postsCount: 0 }),
          ],
        },
        RATE,
      )
      .get('/xrpc/app.bsky.feed.getAuthorFeed')
      .query({ actor: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', limit: '5', filter: 'posts_no_replies' })
      .reply(
        200,
        {
          feed: [
            feedItem('did:plc:aaaaaaaaaaaaaaaaaaaaaaaa', 2),
            feedItem('did:plc:other', 3, 'app.bsky.feed.defs#reasonRepost'),
          ],
          cursor: 'c1',
        },
        RATE,
      );
    const bsky = adapter();
    const results = await bsky.fetchProfiles(['bsky.app', DID, 'ghost.bsky.social']);
    const app = results.get('bsky.app');
    if (app?.status !== 'ok') throw new Error(JSON.stringify(app));
    expect(app.metrics).to.deep.include({
      network: 'bluesky',
      followers: 33970,
      following: 10,
      posts: 800,
      verified: false,
    });
    expect(app.metrics.recentPosts).to.deep.equal([
      { at: '2026-06-22T10:00:00.000Z', reshares: 4, replies: 2, likes: 20, quotes: 0 },
    ]);
    expect(results.get(DID)?.status).to.equal('ok');
    expect(results.get('ghost.bsky.social')).to.deep.equal({ status: 'not_found' });
    expect(bsky.usage().calls).to.equal(2);
  });

  it('25 actors per call', async () => {
    const handles = Array.from({ length: 60 }, (_, i) => `user${i}.bsky.social`);
    const sizes: number[] = [];
    nock(BASE)
      .get('/xrpc/app.bsky.actor.getProfiles')
      .query(true)
      .times(3)
      .reply((req: Request) => {
        sizes.push(new URL(req.url).searchParams.getAll('actors').length);
        return [200, { profiles: [] }];
      });
    await adapter().fetchProfiles(handles);
    expect(sizes).to.deep.equal([25, 25, 10]);
  });

  it('the !no-unauthenticated self-label is an opt-out (protected); a takedown label is suspended', async () => {
    nock(BASE)
      .get('/xrpc/app.bsky.actor.getProfiles')
      .query(true)
      .reply(200, {
        profiles: [
          profile('shy.bsky.social', 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb', {
            labels: [
              {
                src: 'did:plc:bbbbbbbbbbbbbbbbbbbbbbbb',
                uri: 'at://x',
                val: '!no-unauthenticated',
                cts: '2024-01-01T00:00:00Z',
              },
            ],
          }),
          profile('gone.bsky.social', 'did:plc:cccccccccccccccccccccccc', {
            labels: [
              { src: 'did:plc:ar7c4by46qjdydhdevvrndac', uri: 'at://y', val: '!takedown', cts: '2024-01-01T00:00:00Z' },
            ],
          }),
        ],
      });
    const results = await adapter().fetchProfiles(['shy.bsky.social', 'gone.bsky.social']);
    expect(results.get('shy.bsky.social')).to.deep.equal({ status: 'protected' });
    expect(results.get('gone.bsky.social')).to.deep.equal({ status: 'suspended' });
  });

  it('classifyMissing asks omitted actors alone and reads the 400 body: takedown, deactivated, not found', async () => {
    nock(BASE)
      .get('/xrpc/app.bsky.actor.getProfiles')
      .query(true)
      .reply(200, { profiles: [] })
      .get('/xrpc/app.bsky.actor.getProfile')
      .query({ actor: 'banned.bsky.social' })
      .reply(400, { error: 'AccountTakedown', message: 'Account has been suspended' })
      .get('/xrpc/app.bsky.actor.getProfile')
      .query({ actor: 'left.bsky.social' })
      .reply(400, { error: 'AccountDeactivated', message: 'Account is deactivated' })
      .get('/xrpc/app.bsky.actor.getProfile')
      .query({ actor: 'ghost.bsky.social' })
      .reply(400, { error: 'InvalidRequest', message: 'Profile not found' });
    const results = await adapter({ classifyMissing: true }).fetchProfiles([
      'banned.bsky.social',
      'left.bsky.social',
      'ghost.bsky.social',
    ]);
    expect(results.get('banned.bsky.social')).to.deep.equal({ status: 'suspended' });
    expect(results.get('left.bsky.social')).to.deep.equal({ status: 'not_found' });
    expect(results.get('ghost.bsky.social')).to.deep.equal({ status: 'not_found' });
  });

  it('a batch the AppView rejects (400) is retried actor by actor so one bad handle fails alone', async () => {
    nock(BASE)
      .get('/xrpc/app.bsky.actor.getProfiles')
      .query(true)
      .reply(400, { error: 'InvalidRequest', message: 'Error: actors/1 must be a valid did or a handle' })
      .get('/xrpc/app.bsky.actor.getProfile')
      .query({ actor: 'ok.bsky.social' })
      .reply(200, profile('ok.bsky.social', 'did:plc:dddddddddddddddddddddddd', { postsCount: 0 }))
      .get('/xrpc/app.bsky.actor.getProfile')
      .query({ actor: 'weird.bsky.social' })
      .reply(400, { error: 'InvalidRequest', message: 'Error: actor must be a valid did or a handle' });
    const results = await adapter().fetchProfiles(['ok.bsky.social', 'weird.bsky.social', 'not a handle']);
    expect(results.get('ok.bsky.social')?.status).to.equal('ok');
    expect(results.get('weird.bsky.social')).to.deep.equal({ status: 'not_found' });
    expect(results.get('not a handle')).to.deep.equal({ status: 'not_found' });
  });

  it('RateLimitExceeded with a far reset → unavailable with retryAfter; a blocked feed → protected', async () => {
    const reset = String(Math.floor(Date.now() / 1000) + 600);
    nock(BASE).get('/xrpc/app.bsky.actor.getProfiles').query(true).reply(
      429,
      { error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' },
      {
        'RateLimit-Limit': '3000',
        'RateLimit-Remaining': '0',
        'RateLimit-Reset': reset,
        'RateLimit-Policy': '3000;w=300',
      },
    );
    const r = (await adapter().fetchProfiles(['a.bsky.social'])).get('a.bsky.social');
    expect(r?.status === 'unavailable' && r.retryAfterSeconds).to.be.within(590, 601);

    nock(BASE)
      .get('/xrpc/app.bsky.actor.getProfiles')
      .query(true)
      .reply(200, { profiles: [profile('b.bsky.social', 'did:plc:eeeeeeeeeeeeeeeeeeeeeeee')] })
      .get('/xrpc/app.bsky.feed.getAuthorFeed')
      .query(true)
      .reply(400, { error: 'BlockedActor', message: 'Requester has blocked actor' });
    expect((await adapter().fetchProfiles(['b.bsky.social'])).get('b.bsky.social')).to.deep.equal({
      status: 'protected',
    });
  });
});
