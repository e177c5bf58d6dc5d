import { expect } from 'chai';

import type { YouTubeSandbox } from '../../../src/sandbox/networks/youtube.ts';
import { startYouTubeSandbox } from '../../../src/sandbox/networks/youtube.ts';
import { accounts, getJson, missingHandles } from './helpers.ts';
import { population } from './helpers.ts';

describe('sandbox YouTube Data API v3', () => {
  let y: YouTubeSandbox;
  let base: string;
  let key: string;
  before(async () => {
    y = await startYouTubeSandbox({ population, dailyQuota: 10_000 });
    base = y.env.YOUTUBE_API_BASE_URL;
    key = y.env.YOUTUBE_API_KEY;
  });
  after(() => y.close());
  beforeEach(() => {
    y.counters.reset();
    y.setQuotaRemaining(10_000);
  });

  it('channels.list by id (batch) and forHandle returns string statistics, rounded and hidden subscriber counts', async () => {
    const found = accounts('youtube', 4);
    const byId = await getJson(
      `${base}/channels?part=snippet,statistics,contentDetails&id=${found.map((a) => a.id).join(',')}&key=${key}`,
    );
    expect(byId.status).to.equal(200);
    const body = byId.body as {
      kind: string;
      pageInfo: { totalResults: number };
      items: {
        id: string;
        snippet: { customUrl: string; publishedAt: string };
        statistics: Record<string, unknown>;
        contentDetails: { relatedPlaylists: { uploads: string } };
      }[];
    };
    expect(body.kind).to.equal('youtube#channelListResponse');
    expect(body.items.map((i) => i.id)).to.deep.equal(found.map((a) => a.id));
    const stats = body.items[0]?.statistics ?? {};
    expect(stats.videoCount).to.equal(String(found[0]?.posts));
    expect(stats.viewCount).to.be.a('string');
    expect(stats.hiddenSubscriberCount).to.be.a('boolean');
    const handle = await getJson(
      `${base}/channels?part=statistics&forHandle=@${found[1]?.displayHandle ?? ''}&key=${key}`,
    );
    expect((handle.body as { items: { id: string }[] }).items[0]?.id).to.equal(found[1]?.id);
    const [big] = accounts('youtube', 1, (a) => a.state === 'active' && a.followers > 12_345 && !a.followersHidden);
    const rounded = await getJson(`${base}/channels?part=statistics&id=${big?.id ?? ''}&key=${key}`);
    const count = Number(
      (rounded.body as { items: { statistics: { subscriberCount: string } }[] }).items[0]?.statistics.subscriberCount,
    );
    expect(count).to.be.at.most(big?.followers ?? 0);
    expect(String(count).replace(/0+$/, '').length).to.be.at.most(3);
    const [hidden] = accounts('youtube', 1, (a) => a.state === 'active' && a.followersHidden);
    const h = await getJson(`${base}/channels?part=statistics&id=${hidden?.id ?? ''}&key=${key}`);
    const hs = (h.body as { items: { statistics: Record<string, unknown> }[] }).items[0]?.statistics;
    expect(hs).to.not.have.property('subscriberCount');
    expect(hs?.hiddenSubscriberCount).to.equal(true);
  });

  it('answers an unknown handle with 200, totalResults 0 and no items key', async () => {
    const { status, body } = await getJson(
      `${base}/channels?part=statistics&forHandle=${missingHandles('youtube', 1)[0] ?? 'nobody'}&key=${key}`,
    );
    expect(status).to.equal(200);
    expect(body).to.not.have.property('items');
    expect((body as { pageInfo: { totalResults: number } }).pageInfo.totalResults).to.equal(0);
  });

  it('needs a key, a part and at most 50 ids', async () => {
    expect((await getJson(`${base}/channels?part=statistics&id=UCx`)).status).to.equal(403);
    expect((await getJson(`${base}/channels?part=statistics&id=UCx&key=wrong`)).status).to.equal(400);
    expect(
      (await getJson(`${base}/channels?part=statistics&id=UCx`, { headers: { 'x-goog-api-key': key } })).status,
    ).to.equal(200);
    const noPart = await getJson(`${base}/channels?id=UCx&key=${key}`);
    expect(noPart.status).to.equal(400);
    expect(JSON.stringify(noPart.body)).to.include('Required parameter: part');
    const ids = Array.from({ length: 51 }, (_, i) => `UC${String(i).padStart(22, 'a')}`).join(',');
    expect((await getJson(`${base}/channels?part=statistics&id=${ids}&key=${key}`)).status).to.equal(400);
  });

  it('charges a unit per call and answers 403 quotaExceeded when the day is spent', async () => {
    y.setQuotaRemaining(2);
    const ok = () => getJson(`${base}/channels?part=statistics&forHandle=@nobody&key=${key}`);
    expect((await ok()).status).to.equal(200);
    expect((await ok()).status).to.equal(200);
    const spent = await ok();
    expect(spent.status).to.equal(403);
    const error = (spent.body as { error: { code: number; errors: { domain: string; reason: string }[] } }).error;
    expect(error.code).to.equal(403);
    expect(error.errors[0]).to.deep.include({ domain: 'youtube.quota', reason: 'quotaExceeded' });
  });

  it('lists uploads newest first with page tokens and serves video statistics for ≤ 50 ids', async () => {
    const [a] = accounts('youtube', 1, (x) => x.state === 'active' && x.posts > 60);
    if (!a) throw new Error('none');
    const uploads = `UU${a.id.slice(2)}`;
    const first = await getJson(
      `${base}/playlistItems?part=contentDetails&playlistId=${uploads}&maxResults=50&key=${key}`,
    );
    const page = first.body as {
      items: { contentDetails: { videoId: string; videoPublishedAt: string } }[];
      nextPageToken?: string;
    };
    expect(page.items).to.have.length(50);
    expect(page.nextPageToken).to.be.a('string');
    const posts = population.recentPosts(a, 50);
    expect(page.items.map((i) => i.contentDetails.videoPublishedAt)).to.deep.equal(posts.map((p) => p.at));
    const ids = page.items.map((i) => i.contentDetails.videoId);
    const videos = await getJson(`${base}/videos?part=statistics&id=${ids.join(',')}&key=${key}`);
    const items = (
      videos.body as {
        items: { id: string; statistics: { viewCount: string; likeCount: string; commentCount: string } }[];
      }
    ).items;
    expect(items).to.have.length(50);
    expect(items[0]?.statistics).to.deep.equal({
      viewCount: String(posts[0]?.views),
      likeCount: String(posts[0]?.likes),
      favoriteCount: '0',
      commentCount: String(posts[0]?.replies),
    });
    expect(
      (await getJson(`${base}/playlistItems?part=contentDetails&playlistId=${uploads}&maxResults=51&key=${key}`))
        .status,
    ).to.equal(400);
    expect(y.counters.snapshot().largestBatchByEndpoint['GET /youtube/v3/videos']).to.equal(50);
  });
});
