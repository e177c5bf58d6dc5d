// YouTube Data API v3 emulator (base `/youtube/v3`): channels.list (`id` ≤ 50, `forHandle`, `forUsername`;
// `part` required), playlistItems.list (uploads playlist `UU…`, maxResults ≤ 50, pageToken), videos.list
// (`id` ≤ 50). API key required (`?key=` or `x-goog-api-key`). No rate-limit headers: a daily quota of units (1 per call, invalid calls too);
// spent quota → 403 `quotaExceeded`. Unknown handles → 200 with `pageInfo.totalResults: 0` and no `items`.
// Subscriber counts are rounded to three significant figures and omitted when hidden. Facts: developers.google.com/youtube/v3 (quota: determine_quota_cost).
import { randomBytes } from 'node:crypto';

import { SandboxCounters } from '../counters.ts';
import type { Population, SandboxAccount } from '../population.ts';
import type { NetworkRequest, NetworkServer, NetworkServerOptions, Reply } from './server.ts';
import { listParam, startNetworkServer } from './server.ts';

export interface YouTubeSandboxOptions extends NetworkServerOptions {
  population: Population;
  apiKey?: string;
  /** Units per day (real default 10,000). */
  dailyQuota?: number;
}

export interface YouTubeSandbox extends NetworkServer {
  env: { YOUTUBE_API_BASE_URL: string; YOUTUBE_API_KEY: string };
  quotaUsed(): number;
  setQuotaRemaining(units: number): void;
}

const CHANNEL_PARTS = new Set([
  'auditDetails',
  'brandingSettings',
  'contentDetails',
  'contentOwnerDetails',
  'id',
  'localizations',
  'snippet',
  'statistics',
  'status',
  'topicDetails',
]);
const PLAYLIST_ITEM_PARTS = new Set(['contentDetails', 'id', 'snippet', 'status']);
const VIDEO_PARTS = new Set(['contentDetails', 'id', 'snippet', 'statistics', 'status', 'topicDetails', 'player']);
/** Newest uploads served per channel (video ids encode (person, k) with k < 1000). */
const UPLOADS_DEPTH = 999;

function googleError(
  code: number,
  message: string,
  reason: string,
  domain = 'global',
  extra: Record<string, string> = {},
): Reply {
  const status =
    {
      400: 'INVALID_ARGUMENT',
      403: 'PERMISSION_DENIED',
      404: 'NOT_FOUND',
      429: 'RESOURCE_EXHAUSTED',
      503: 'UNAVAILABLE',
    }[code] ?? 'UNKNOWN';
  return { status: code, body: { error: { code, message, errors: [{ message, domain, reason, ...extra }], status } } };
}

function required(name: string): Reply {
  return googleError(400, `Required parameter: ${name}`, 'required', 'global', {
    location: name,
    locationType: 'parameter',
  });
}

/** YouTube's public subscriber count: three significant figures. */
function roundSubscribers(n: number): number {
  if (n < 1000) return n;
  const magnitude = Math.pow(10, Math.floor(Math.log10(n)) - 2);
  return Math.floor(n / magnitude) * magnitude;
}

function etag(seed: string): string {
  return Buffer.from(seed).toString('base64url').slice(0, 27);
}

const VIDEO_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Video id ↔ (person index, k): base64url of person * 1000 + k, 11 characters like real ids. */
function videoId(person: number, k: number): string {
  let value = person * 1000 + k;
  let out = '';
  for (let i = 0; i < 11; i++) {
    out = VIDEO_ALPHABET.charAt(value % 64) + out;
    value = Math.floor(value / 64);
  }
  return out;
}

function parseVideoId(id: string): { person: number; k: number } | undefined {
  if (!/^[A-Za-z0-9_-]{11}$/.test(id)) return undefined;
  let value = 0;
  for (const c of id) value = value * 64 + VIDEO_ALPHABET.indexOf(c);
  return { person: Math.floor(value / 1000), k: value % 1000 };
}

export async function startYouTubeSandbox(options: YouTubeSandboxOptions): Promise<YouTubeSandbox> {
  const { population } = options;
  const apiKey = options.apiKey ?? `AIza${randomBytes(26).toString('base64url').slice(0, 35)}`;
  const dailyQuota = options.dailyQuota ?? 10_000;
  const counters = new SandboxCounters();
  let used = 0;
  let day = new Date().toISOString().slice(0, 10);

  /** Key check and quota: every call with a valid key costs a unit, even an invalid one. */
  function admit(request: NetworkRequest): Reply | undefined {
    // Google APIs take the key as `?key=` or as the `x-goog-api-key` header (which keeps it out of URLs).
    const header = request.headers['x-goog-api-key'];
    const key = request.query.get('key') ?? (typeof header === 'string' ? header : null);
    if (key === null) {
      return googleError(
        403,
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
        'forbidden',
      );
    }
    if (key !== apiKey) return googleError(400, 'API key not valid. Please pass a valid API key.', 'badRequest');
    const today = new Date().toISOString().slice(0, 10);
    if (today !== day) {
      day = today;
      used = 0;
    }
    if (used + 1 > dailyQuota) {
      return googleError(
        403,
        'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.',
        'quotaExceeded',
        'youtube.quota',
      );
    }
    used += 1;
    return undefined;
  }

  function parts(request: NetworkRequest, allowed: Set<string>): Set<string> | Reply {
    const chosen = listParam(request.query, 'part');
    if (chosen.length === 0) return required('part');
    for (const part of chosen) {
      if (!allowed.has(part)) {
        return googleError(400, `'${part}'`, 'unknownPart', 'youtube.part', {
          location: 'part',
          locationType: 'parameter',
        });
      }
    }
    return new Set(chosen);
  }

  function channelJson(a: SandboxAccount, wanted: Set<string>): Record<string, unknown> {
    const item: Record<string, unknown> = { kind: 'youtube#channel', etag: etag(`${a.id}:${a.followers}`), id: a.id };
    if (wanted.has('snippet')) {
      item.snippet = {
        title: a.displayName,
        description: '',
        customUrl: `@${a.handle}`,
        publishedAt: a.createdAt.replace(/\.\d{3}Z$/, 'Z'),
        thumbnails: { default: { url: `https://yt3.ggpht.com/${a.id}=s88`, width: 88, height: 88 } },
        localized: { title: a.displayName, description: '' },
      };
    }
    if (wanted.has('contentDetails'))
      item.contentDetails = { relatedPlaylists: { likes: '', uploads: `UU${a.id.slice(2)}` } };
    if (wanted.has('statistics')) {
      const statistics: Record<string, unknown> = { viewCount: String(a.totalViews) };
      if (!a.followersHidden) statistics.subscriberCount = String(roundSubscribers(a.followers));
      statistics.hiddenSubscriberCount = a.followersHidden;
      statistics.videoCount = String(a.posts);
      item.statistics = statistics;
    }
    if (wanted.has('status'))
      item.status = {
        privacyStatus: 'public',
        isLinked: true,
        longUploadsStatus: 'longUploadsUnspecified',
        madeForKids: false,
      };
    return item;
  }

  function channels(request: NetworkRequest): Reply {
    const denied = admit(request);
    if (denied) return denied;
    const wanted = parts(request, CHANNEL_PARTS);
    if (!(wanted instanceof Set)) return wanted;
    const q = request.query;
    const filters = ['id', 'forHandle', 'forUsername', 'mine', 'managedByMe', 'categoryId'].filter((f) => q.has(f));
    if (filters.length !== 1) {
      return googleError(
        400,
        'Incompatible parameters specified in the request: ' + (filters.join(', ') || 'no filter'),
        filters.length === 0 ? 'missingRequiredParameter' : 'incompatibleParameters',
        'youtube.parameter',
      );
    }
    let found: SandboxAccount[] = [];
    if (q.has('id')) {
      const ids = listParam(q, 'id');
      counters.batch('GET /youtube/v3/channels', ids.length);
      if (ids.length > 50)
        return googleError(400, 'The request specifies more than 50 ids.', 'invalidValue', 'youtube.parameter', {
          location: 'id',
          locationType: 'parameter',
        });
      found = ids
        .map((id) => population.accountById('youtube', id))
        .filter((a): a is SandboxAccount => a !== undefined);
    } else {
      counters.batch('GET /youtube/v3/channels', 1);
      const handle = (q.get('forHandle') ?? q.get('forUsername') ?? '').trim().replace(/^@/, '');
      const a = handle.length > 0 && !handle.startsWith('UC') ? population.account('youtube', handle) : undefined;
      if (a) found = [a];
    }
    // Terminated channels are simply absent.
    found = found.filter((a) => a.state !== 'suspended');
    counters.read(found.length);
    const body: Record<string, unknown> = {
      kind: 'youtube#channelListResponse',
      etag: etag(`channels:${found.map((a) => a.id).join()}`),
      pageInfo: { totalResults: found.length, resultsPerPage: Math.max(5, found.length) },
    };
    if (found.length > 0) body.items = found.map((a) => channelJson(a, wanted));
    return { status: 200, body };
  }

  function playlistItems(request: NetworkRequest): Reply {
    const denied = admit(request);
    if (denied) return denied;
    const wanted = parts(request, PLAYLIST_ITEM_PARTS);
    if (!(wanted instanceof Set)) return wanted;
    const q = request.query;
    const playlistId = q.get('playlistId');
    if (!playlistId) return required('playlistId');
    const max = Number(q.get('maxResults') ?? '5');
    if (!Number.isInteger(max) || max < 0 || max > 50) {
      return googleError(
        400,
        `Invalid value '${q.get('maxResults') ?? ''}'. Values must be within the range: [0, 50]`,
        'invalidParameter',
        'global',
        { location: 'maxResults', locationType: 'parameter' },
      );
    }
    const channel = playlistId.startsWith('UU')
      ? population.accountById('youtube', `UC${playlistId.slice(2)}`)
      : undefined;
    if (!channel || channel.state === 'suspended') {
      return googleError(
        404,
        "The playlist identified with the request's <code>playlistId</code> parameter cannot be found.",
        'playlistNotFound',
        'youtube.playlistItem',
        { location: 'playlistId', locationType: 'parameter' },
      );
    }
    const offset =
      q.get('pageToken') === null
        ? 0
        : Number.parseInt(Buffer.from(q.get('pageToken') ?? '', 'base64url').toString('utf8'), 10);
    if (!Number.isInteger(offset) || offset < 0)
      return googleError(400, 'The request specifies an invalid page token.', 'invalidPageToken', 'youtube.parameter');
    const total = Math.min(channel.posts, UPLOADS_DEPTH);
    const uploads = population.recentPosts(channel, Math.min(total, offset + max));
    const page = uploads.slice(offset, offset + max);
    counters.batch('GET /youtube/v3/playlistItems', max);
    counters.read(page.length);
    const items = page.map((post, i) => {
      const k = offset + i;
      const id = videoId(channel.personIndex, k);
      const item: Record<string, unknown> = {
        kind: 'youtube#playlistItem',
        etag: etag(`pi:${id}`),
        id: Buffer.from(`${playlistId}.${id}`).toString('base64url'),
      };
      if (wanted.has('snippet'))
        item.snippet = {
          publishedAt: post.at,
          channelId: channel.id,
          title: `Video ${k}`,
          description: '',
          playlistId,
          position: k,
          resourceId: { kind: 'youtube#video', videoId: id },
        };
      if (wanted.has('contentDetails')) item.contentDetails = { videoId: id, videoPublishedAt: post.at };
      if (wanted.has('status')) item.status = { privacyStatus: 'public' };
      return item;
    });
    const body: Record<string, unknown> = {
      kind: 'youtube#playlistItemListResponse',
      etag: etag(`pl:${playlistId}:${offset}`),
      items,
      pageInfo: { totalResults: total, resultsPerPage: max },
    };
    if (offset + max < total) body.nextPageToken = Buffer.from(String(offset + max)).toString('base64url');
    if (offset > 0) body.prevPageToken = Buffer.from(String(Math.max(0, offset - max))).toString('base64url');
    return { status: 200, body };
  }

  function videos(request: NetworkRequest): Reply {
    const denied = admit(request);
    if (denied) return denied;
    const wanted = parts(request, VIDEO_PARTS);
    if (!(wanted instanceof Set)) return wanted;
    const ids = listParam(request.query, 'id');
    if (ids.length === 0)
      return googleError(
        400,
        'No filter selected. Expected one of: myRating, id, chart',
        'missingRequiredParameter',
        'youtube.parameter',
      );
    counters.batch('GET /youtube/v3/videos', ids.length);
    if (ids.length > 50)
      return googleError(400, 'The request specifies more than 50 ids.', 'invalidValue', 'youtube.parameter', {
        location: 'id',
        locationType: 'parameter',
      });
    const items: Record<string, unknown>[] = [];
    for (const id of ids) {
      const parsed = parseVideoId(id);
      if (!parsed || parsed.person >= population.size) continue;
      const truth = population.truth(parsed.person).find((t) => t.network === 'youtube');
      const channel = truth ? population.account('youtube', truth.handle) : undefined;
      if (!channel || channel.state === 'suspended' || parsed.k >= Math.min(channel.posts, UPLOADS_DEPTH)) continue;
      const post = population.recentPosts(channel, parsed.k + 1)[parsed.k];
      if (!post) continue;
      const item: Record<string, unknown> = { kind: 'youtube#video', etag: etag(`v:${id}`), id };
      if (wanted.has('snippet'))
        item.snippet = {
          publishedAt: post.at,
          channelId: channel.id,
          title: `Video ${parsed.k}`,
          description: '',
          channelTitle: channel.displayName,
        };
      if (wanted.has('statistics')) {
        item.statistics = {
          viewCount: String(post.views),
          likeCount: String(post.likes),
          favoriteCount: '0',
          commentCount: String(post.replies),
        };
      }
      if (wanted.has('contentDetails'))
        item.contentDetails = { duration: 'PT8M12S', dimension: '2d', definition: 'hd', caption: 'false' };
      items.push(item);
    }
    counters.read(items.length);
    return {
      status: 200,
      body: {
        kind: 'youtube#videoListResponse',
        etag: etag(`videos:${ids.join()}`),
        items,
        pageInfo: { totalResults: items.length, resultsPerPage: items.length },
      },
    };
  }

  const server = await startNetworkServer(
    {
      routes: [
        { method: 'GET', pattern: /^\/youtube\/v3\/channels$/, endpoint: 'GET /youtube/v3/channels', handle: channels },
        {
          method: 'GET',
          pattern: /^\/youtube\/v3\/playlistItems$/,
          endpoint: 'GET /youtube/v3/playlistItems',
          handle: playlistItems,
        },
        { method: 'GET', pattern: /^\/youtube\/v3\/videos$/, endpoint: 'GET /youtube/v3/videos', handle: videos },
      ],
      notFound: () => googleError(404, 'Not Found', 'notFound'),
      // YouTube has no per-second limit to 429 on; its overload answer is 429 RESOURCE_EXHAUSTED / 503 backendError.
      fault: (kind) =>
        kind === '429'
          ? googleError(429, 'Resource has been exhausted (e.g. check quota).', 'rateLimitExceeded', 'youtube.quota')
          : googleError(503, 'The service is currently unavailable.', 'backendError'),
    },
    { ...options, counters },
  );
  const baseUrl = `${server.url}/youtube/v3`;

  return {
    ...server,
    env: { YOUTUBE_API_BASE_URL: baseUrl, YOUTUBE_API_KEY: apiKey },
    quotaUsed: () => used,
    setQuotaRemaining: (units) => {
      used = Math.max(0, dailyQuota - units);
    },
  };
}
