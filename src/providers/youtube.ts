// YouTube Data API v3: channels.list statistics (50 channel ids per call; one call per @handle), recent uploads via
// the uploads playlist and videos.list (50 video ids per call, shared across channels). Every call costs quota
// units out of 10,000/day, counted here. The API key travels in the x-goog-api-key header, never in the URL.
import { z } from 'zod';

import { chunk, type HttpClient, type HttpResponse, mapConcurrent } from '../http/index.ts';
import type { RecentPost } from '../scoring/types.ts';
import {
  type AdapterOptions,
  count,
  createHttp,
  fillAll,
  fromHttpError,
  fromUnexpected,
  iso,
  okResult,
  parsePayload,
  ProviderUnusableError,
  unavailable,
  wellFormedHandles,
} from './common.ts';
import type { ProviderAdapter, ProviderResult } from './contract.ts';
import { DEFAULT_PROVIDER_TTL_SECONDS, defineNetwork } from './descriptor.ts';

export const YOUTUBE_MAX_IDS = 50;
const CHANNEL_ID = /^UC[A-Za-z0-9_-]{22}$/;
const HANDLE = /^@[A-Za-z0-9._-]{3,30}$/;
const LEGACY_USER = /^user:[A-Za-z0-9]{1,40}$/;
/** Every list call we make costs 1 unit (developers.google.com/youtube/v3/determine_quota_cost). */
const UNITS_PER_CALL = 1;

const numeric = z.union([z.string(), z.number()]);

const ChannelSchema = z.object({
  id: z.string(),
  snippet: z
    .object({ title: z.string().optional(), customUrl: z.string().optional(), publishedAt: z.string().optional() })
    .loose()
    .optional(),
  contentDetails: z
    .object({ relatedPlaylists: z.object({ uploads: z.string().optional() }).loose().optional() })
    .loose()
    .optional(),
  statistics: z
    .object({
      viewCount: numeric.optional(),
      subscriberCount: numeric.optional(),
      hiddenSubscriberCount: z.boolean().optional(),
      videoCount: numeric.optional(),
    })
    .loose()
    .optional(),
});
type Channel = z.infer<typeof ChannelSchema>;
const ChannelListSchema = z.object({
  items: z.array(ChannelSchema).optional(),
  pageInfo: z.object({ totalResults: z.number() }).loose().optional(),
});

const PlaylistItemsSchema = z.object({
  items: z
    .array(
      z
        .object({ contentDetails: z.object({ videoId: z.string(), videoPublishedAt: z.string().optional() }).loose() })
        .loose(),
    )
    .optional(),
});
const VideosSchema = z.object({
  items: z
    .array(
      z.object({
        id: z.string(),
        snippet: z.object({ publishedAt: z.string().optional() }).loose().optional(),
        statistics: z
          .object({ viewCount: numeric.optional(), likeCount: numeric.optional(), commentCount: numeric.optional() })
          .loose()
          .optional(),
      }),
    )
    .optional(),
});

const GoogleErrorSchema = z.object({
  error: z
    .object({
      code: z.number().optional(),
      message: z.string().optional(),
      errors: z.array(z.object({ reason: z.string().optional(), domain: z.string().optional() }).loose()).optional(),
      details: z.array(z.object({ reason: z.string().optional() }).loose()).optional(),
    })
    .loose(),
});

function errorReasons(response: HttpResponse): string[] {
  const parsed = parsePayload(GoogleErrorSchema, response.body);
  if (parsed === null) return [];
  return [
    ...(parsed.error.errors ?? []).map((e) => e.reason ?? ''),
    ...(parsed.error.details ?? []).map((d) => d.reason ?? ''),
  ];
}

/** Seconds until the quota resets (midnight America/Los_Angeles). */
export function secondsUntilPacificMidnight(now: Date): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: 'America/Los_Angeles',
    hour12: false,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(now);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0) % 24;
  const elapsed = get('hour') * 3600 + get('minute') * 60 + get('second');
  return Math.max(1, 86_400 - elapsed);
}

export interface YouTubeAdapterOptions extends AdapterOptions {
  apiKey: string;
}

export class YouTubeAdapter implements ProviderAdapter {
  readonly network = 'youtube' as const;
  readonly maxBatch = YOUTUBE_MAX_IDS;
  private readonly http: HttpClient;
  private readonly postSample: number;
  private quotaExhaustedUntil = 0;

  private readonly options: YouTubeAdapterOptions;

  constructor(options: YouTubeAdapterOptions) {
    this.options = options;
    this.http = createHttp('youtube', options, {
      headers: { 'x-goog-api-key': options.apiKey },
      isRateLimited: (r) =>
        r.status === 429 ||
        (r.status === 403 && errorReasons(r).some((x) => x === 'rateLimitExceeded' || x === 'userRateLimitExceeded')),
      // 50 channels or videos per answer: a few hundred KB.
      maxBodyBytes: 4 * 1024 * 1024,
    });
    this.postSample = Math.max(0, Math.min(50, options.postSample ?? 10));
  }

  usage() {
    const calls = this.http.stats().calls;
    return { calls, quotaUnits: calls * UNITS_PER_CALL };
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  async fetchProfiles(handles: readonly string[]): Promise<Map<string, ProviderResult>> {
    const results = new Map<string, ProviderResult>();
    const valid = wellFormedHandles(
      handles,
      (handle) => CHANNEL_ID.test(handle) || HANDLE.test(handle) || LEGACY_USER.test(handle),
      results,
    );
    // Channel ids are looked up 50 at a time; handles and legacy user names one by one.
    const ids = valid.filter((handle) => CHANNEL_ID.test(handle));
    const single = valid.filter((handle) => !CHANNEL_ID.test(handle));
    const channels = new Map<string, Channel>();
    for (const batch of chunk(ids, YOUTUBE_MAX_IDS)) {
      const outcome = await this.channels({ id: batch.join(',') });
      if ('status' in outcome) {
        fillAll(batch, outcome, results);
        continue;
      }
      const byId = new Map(outcome.map((c) => [c.id, c]));
      for (const id of batch) {
        const channel = byId.get(id);
        if (channel) channels.set(id, channel);
        else results.set(id, { status: 'not_found' });
      }
    }
    await mapConcurrent(single, this.options.concurrency ?? 4, async (handle) => {
      const query: Record<string, string> = handle.startsWith('user:')
        ? { forUsername: handle.slice('user:'.length) }
        : { forHandle: handle };
      const outcome = await this.channels(query);
      if ('status' in outcome) results.set(handle, outcome);
      else if (outcome[0]) channels.set(handle, outcome[0]);
      // No `items` key at all is how YouTube says "no such handle".
      else results.set(handle, { status: 'not_found' });
    });
    await this.addMetrics(channels, results);
    return results;
  }

  private async addMetrics(channels: Map<string, Channel>, results: Map<string, ProviderResult>): Promise<void> {
    const uploads = new Map<string, { videoId: string; at?: string }[] | ProviderResult>();
    if (this.postSample > 0) {
      await mapConcurrent([...channels], this.options.concurrency ?? 4, async ([handle, channel]) => {
        const playlist = channel.contentDetails?.relatedPlaylists?.uploads;
        if (playlist && count(channel.statistics?.videoCount) > 0) uploads.set(handle, await this.playlist(playlist));
      });
    }
    // One videos.list call carries up to 50 video ids, whichever channels they belong to.
    const allIds = [...uploads.values()].flatMap((u) => (Array.isArray(u) ? u.map((v) => v.videoId) : []));
    const stats = new Map<string, RecentPost | ProviderResult>();
    for (const batch of chunk(allIds, YOUTUBE_MAX_IDS)) {
      const outcome = await this.videos(batch);
      if ('status' in outcome) for (const id of batch) stats.set(id, outcome);
      else for (const [id, post] of outcome) stats.set(id, post);
    }
    for (const [handle, channel] of channels) {
      const list = uploads.get(handle) ?? [];
      if (!Array.isArray(list)) {
        results.set(handle, list);
        continue;
      }
      const posts: RecentPost[] = [];
      let failed: ProviderResult | null = null;
      for (const { videoId, at } of list) {
        const s = stats.get(videoId);
        if (s === undefined) continue; // deleted or private since the playlist was read
        if ('status' in s) {
          failed = s;
          break;
        }
        posts.push({ ...s, at: iso(at) ?? s.at });
      }
      if (failed) {
        results.set(handle, failed);
        continue;
      }
      const st = channel.statistics;
      results.set(
        handle,
        okResult({
          network: 'youtube',
          handle,
          followers: st?.hiddenSubscriberCount ? 0 : count(st?.subscriberCount),
          followersHidden: st?.hiddenSubscriberCount === true,
          following: 0,
          posts: count(st?.videoCount),
          createdAt: iso(channel.snippet?.publishedAt),
          extra: { views: count(st?.viewCount) },
          recentPosts: posts,
          fetchedAt: this.now().toISOString(),
        }),
      );
    }
  }

  /** A list call with quota bookkeeping: returns the parsed body, or a result for every handle it was for. */
  private async call<T extends z.ZodType>(
    path: string,
    query: Record<string, string | number>,
    schema: T,
  ): Promise<z.infer<T> | ProviderResult> {
    const nowMs = this.now().getTime();
    if (this.quotaExhaustedUntil > nowMs)
      return unavailable('quota_exceeded', Math.ceil((this.quotaExhaustedUntil - nowMs) / 1000));
    let response: HttpResponse;
    try {
      response = await this.http.request(`${this.options.baseUrl}/${path}`, { query });
    } catch (error) {
      return fromHttpError(error);
    }
    if (response.status !== 200) return this.failure(response);
    const payload = parsePayload(schema, response.body);
    return payload === null ? unavailable('invalid_payload') : payload;
  }

  private failure(response: HttpResponse): ProviderResult {
    const reasons = errorReasons(response);
    if (reasons.includes('quotaExceeded') || reasons.includes('dailyLimitExceeded')) {
      const wait = secondsUntilPacificMidnight(this.now());
      this.quotaExhaustedUntil = this.now().getTime() + wait * 1000;
      return unavailable('quota_exceeded', wait);
    }
    if (
      reasons.some((r) =>
        /keyInvalid|API_KEY_INVALID|accessNotConfigured|SERVICE_DISABLED|ipRefererBlocked|forbidden/i.test(r),
      ) ||
      response.status === 401
    ) {
      throw new ProviderUnusableError(
        'youtube',
        `YouTube refused the API key (HTTP ${response.status}: ${reasons.join(', ') || 'no reason'}): check YOUTUBE_API_KEY and that the YouTube Data API v3 is enabled for its project`,
      );
    }
    if (reasons.includes('channelNotFound') || reasons.includes('playlistNotFound') || response.status === 404)
      return { status: 'not_found' };
    if (reasons.includes('channelClosed') || reasons.includes('channelSuspended')) return { status: 'suspended' };
    return fromUnexpected(response);
  }

  private async channels(query: Record<string, string>): Promise<Channel[] | ProviderResult> {
    const outcome = await this.call(
      'channels',
      { part: 'snippet,statistics,contentDetails', ...query },
      ChannelListSchema,
    );
    return 'status' in outcome ? outcome : (outcome.items ?? []);
  }

  private async playlist(playlistId: string): Promise<{ videoId: string; at?: string }[] | ProviderResult> {
    const outcome = await this.call(
      'playlistItems',
      { part: 'contentDetails', playlistId, maxResults: this.postSample },
      PlaylistItemsSchema,
    );
    if ('status' in outcome) {
      // A channel whose uploads playlist is gone simply has no recent videos.
      return outcome.status === 'not_found' ? [] : outcome;
    }
    return (outcome.items ?? []).map((i) => ({
      videoId: i.contentDetails.videoId,
      at: i.contentDetails.videoPublishedAt,
    }));
  }

  private async videos(ids: string[]): Promise<Map<string, RecentPost> | ProviderResult> {
    const outcome = await this.call('videos', { part: 'statistics,snippet', id: ids.join(',') }, VideosSchema);
    if ('status' in outcome) return outcome;
    return new Map(
      (outcome.items ?? []).map((v) => [
        v.id,
        {
          at: iso(v.snippet?.publishedAt) ?? new Date(0).toISOString(),
          reshares: 0,
          replies: count(v.statistics?.commentCount),
          likes: count(v.statistics?.likeCount),
          views: count(v.statistics?.viewCount),
        },
      ]),
    );
  }
}

export const YOUTUBE_NETWORK = defineNetwork({
  network: 'youtube',
  variables: ['YOUTUBE_API_BASE_URL', 'YOUTUBE_API_KEY'],
  // Its terms require refreshing or deleting its data within 30 days; 7 days is well inside that.
  cacheTtlSeconds: DEFAULT_PROVIDER_TTL_SECONDS,
  // A daily quota in units, not rate-limit headers: the adapter counts units itself.
  rateLimit: null,
  example: { handle: '@adalovelace', profileUrl: 'https://www.youtube.com/@adalovelace' },
  sandboxTwin: 'src/sandbox/networks/youtube.ts',
  describe: (config) =>
    config.YOUTUBE_API_KEY
      ? {
          network: 'youtube',
          enabled: true,
          detail: 'YouTube Data API v3: 10,000 quota units/day, ~1–2 units per channel; kept as its own sub-score',
        }
      : {
          network: 'youtube',
          enabled: false,
          detail: 'off: needs an API key',
          howToEnable: 'set YOUTUBE_API_KEY=<key of a Google Cloud project with the YouTube Data API v3 enabled>',
        },
  create: (config, common) =>
    config.YOUTUBE_API_KEY
      ? new YouTubeAdapter({ baseUrl: config.YOUTUBE_API_BASE_URL, apiKey: config.YOUTUBE_API_KEY, ...common })
      : null,
});
