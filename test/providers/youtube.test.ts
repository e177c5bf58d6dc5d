import { expect } from 'chai';
import nock from 'nock';

import { ProviderUnusableError } from '../../src/providers/common.ts';
import { secondsUntilPacificMidnight, YouTubeAdapter } from '../../src/providers/youtube.ts';
import { fastHttp, NOW, useNock } from './helpers.ts';

const BASE = 'https://www.googleapis.com/youtube/v3';
const KEY = 'AIzaSyD-abcdefghijklmnopqrstuvwxyz01234';
const CH1 = 'UC_x5XG1OV2P6uZZ5FSM9Ttw';
const CH2 = 'UCaaaaaaaaaaaaaaaaaaaaaa';

// Fixtures shaped like YouTube Data API v3 responses (developers.google.com/youtube/v3/docs/channels): counts are strings.
function channel(id: string, stats: Record<string, unknown>, handle = '@googledevelopers') {
  return {
    kind: 'youtube#channel',
    etag: 'e',
    id,
    snippet: {
      title: 'Google for Developers',
      description: '',
      customUrl: handle,
      publishedAt: '2007-08-23T00:34:43Z',
      thumbnails: {},
      country: 'US',
    },
    contentDetails: { relatedPlaylists: { likes: '', uploads: `UU${id.slice(2)}` } },
    statistics: stats,
  };
}
const STATS = { viewCount: '263000000', subscriberCount: '2390000', hiddenSubscriberCount: false, videoCount: '6200' };
const list = (items: unknown[]) => ({
  kind: 'youtube#channelListResponse',
  etag: 'e',
  pageInfo: { totalResults: items.length, resultsPerPage: 5 },
  items,
});
const quotaError = {
  error: {
    code: 403,
    message:
      'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.',
    errors: [
      {
        message: 'The request cannot be completed because you have exceeded your quota.',
        domain: 'youtube.quota',
        reason: 'quotaExceeded',
      },
    ],
  },
};

function adapter(extra: Partial<ConstructorParameters<typeof YouTubeAdapter>[0]> = {}) {
  return new YouTubeAdapter({ baseUrl: BASE, apiKey: KEY, postSample: 2, now: () => NOW, http: fastHttp(), ...extra });
}

describe('providers: YouTube', () => {
  useNock();

  it('channel ids in one call, @handles one call each, uploads + one shared videos.list; key in a header only', async () => {
    const scope = nock(BASE, { reqheaders: { 'x-goog-api-key': KEY } })
      .get('/channels')
      .query((q) => q.id === `${CH1},${CH2}` && q.part === 'snippet,statistics,contentDetails' && q.key === undefined)
      .reply(200, list([channel(CH1, STATS)]))
      .get('/channels')
      .query({ part: 'snippet,statistics,contentDetails', forHandle: '@hidden' })
      .reply(
        200,
        list([
          channel(
            'UCbbbbbbbbbbbbbbbbbbbbbb',
            { viewCount: '10', hiddenSubscriberCount: true, videoCount: '0' },
            '@hidden',
          ),
        ]),
      )
      .get('/channels')
      .query({ part: 'snippet,statistics,contentDetails', forHandle: '@nobody' })
      .reply(200, { kind: 'youtube#channelListResponse', etag: 'e', pageInfo: { totalResults: 0, resultsPerPage: 5 } })
      .get('/playlistItems')
      .query({ part: 'contentDetails', playlistId: `UU${CH1.slice(2)}`, maxResults: '2' })
      .reply(200, {
        kind: 'youtube#playlistItemListResponse',
        items: [
          {
            kind: 'youtube#playlistItem',
            id: 'p1',
            contentDetails: { videoId: 'vid1', videoPublishedAt: '2026-06-20T15:00:00Z' },
          },
          {
            kind: 'youtube#playlistItem',
            id: 'p2',
            contentDetails: { videoId: 'vid2', videoPublishedAt: '2026-06-10T15:00:00Z' },
          },
        ],
        pageInfo: { totalResults: 6200, resultsPerPage: 2 },
      })
      .get('/videos')
      .query({ part: 'statistics,snippet', id: 'vid1,vid2' })
      .reply(200, {
        kind: 'youtube#videoListResponse',
        items: [
          {
            kind: 'youtube#video',
            id: 'vid1',
            snippet: { publishedAt: '2026-06-20T15:00:00Z' },
            statistics: { viewCount: '12000', likeCount: '800', favoriteCount: '0', commentCount: '45' },
          },
          {
            kind: 'youtube#video',
            id: 'vid2',
            snippet: { publishedAt: '2026-06-10T15:00:00Z' },
            statistics: { viewCount: '9000', favoriteCount: '0' },
          },
        ],
      });
    const yt = adapter();
    const results = await yt.fetchProfiles([CH1, CH2, '@hidden', '@nobody', 'not-a-channel!']);
    scope.done();
    const main = results.get(CH1);
    if (main?.status !== 'ok') throw new Error(JSON.stringify(main));
    expect(main.metrics).to.deep.include({
      network: 'youtube',
      followers: 2390000,
      followersHidden: false,
      following: 0,
      posts: 6200,
      createdAt: '2007-08-23T00:34:43.000Z',
    });
    expect(main.metrics.extra).to.deep.equal({ views: 263000000 });
    expect(main.metrics.recentPosts).to.deep.equal([
      { at: '2026-06-20T15:00:00.000Z', reshares: 0, replies: 45, likes: 800, views: 12000 },
      { at: '2026-06-10T15:00:00.000Z', reshares: 0, replies: 0, likes: 0, views: 9000 },
    ]);
    const hidden = results.get('@hidden');
    expect(hidden?.status === 'ok' && hidden.metrics).to.deep.include({
      followers: 0,
      followersHidden: true,
      posts: 0,
    });
    expect(results.get(CH2)).to.deep.equal({ status: 'not_found' });
    expect(results.get('@nobody')).to.deep.equal({ status: 'not_found' });
    expect(results.get('not-a-channel!')).to.deep.equal({ status: 'not_found' });
    expect(yt.usage()).to.deep.equal({ calls: 5, quotaUnits: 5 });
  });

  it('quotaExceeded → unavailable until Pacific midnight, and no further calls are spent', async () => {
    nock(BASE).get('/channels').query(true).once().reply(403, quotaError);
    const yt = adapter({ concurrency: 1 });
    const first = await yt.fetchProfiles(['@a_channel', '@b_channel']);
    const r = first.get('@a_channel');
    expect(r).to.deep.include({ status: 'unavailable', reason: 'quota_exceeded' });
    expect(r?.status === 'unavailable' && r.retryAfterSeconds).to.equal(secondsUntilPacificMidnight(NOW));
    expect(first.get('@b_channel')).to.deep.include({ status: 'unavailable', reason: 'quota_exceeded' });
    expect(yt.usage().calls).to.equal(1);
  });

  it('an invalid key throws ProviderUnusableError naming YOUTUBE_API_KEY without the key', async () => {
    nock(BASE)
      .get('/channels')
      .query(true)
      .reply(400, {
        error: {
          code: 400,
          message: 'API key not valid. Please pass a valid API key.',
          errors: [
            { message: 'API key not valid. Please pass a valid API key.', domain: 'global', reason: 'badRequest' },
          ],
          status: 'INVALID_ARGUMENT',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'API_KEY_INVALID',
              domain: 'googleapis.com',
            },
          ],
        },
      });
    const error = await adapter()
      .fetchProfiles([CH1])
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).to.be.instanceOf(ProviderUnusableError);
    expect((error as Error).message)
      .to.include('YOUTUBE_API_KEY')
      .and.not.include(KEY);
  });

  it('a legacy /user/ name uses forUsername; a channel with a missing uploads playlist has no recent posts', async () => {
    nock(BASE)
      .get('/channels')
      .query({ part: 'snippet,statistics,contentDetails', forUsername: 'googledevelopers' })
      .reply(200, list([channel(CH1, STATS)]))
      .get('/playlistItems')
      .query(true)
      .reply(404, {
        error: {
          code: 404,
          message: "The playlist identified with the request's <code>playlistId</code> parameter cannot be found.",
          errors: [{ domain: 'youtube.playlistItem', reason: 'playlistNotFound' }],
        },
      });
    const r = (await adapter().fetchProfiles(['user:googledevelopers'])).get('user:googledevelopers');
    expect(r?.status === 'ok' && r.metrics.recentPosts).to.deep.equal([]);
  });

  it('Pacific midnight arithmetic', () => {
    // 2026-07-01T12:00Z is 05:00 PDT: 19 hours left.
    expect(secondsUntilPacificMidnight(NOW)).to.equal(19 * 3600);
  });
});
