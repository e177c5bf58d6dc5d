// Bluesky: the public AppView (no auth). getProfiles takes 25 actors per call and silently omits missing ones;
// getAuthorFeed gives recent original posts. Errors are HTTP 400 with an `error` name that says what happened.
import { z } from 'zod';

import { chunk, type HttpClient, type HttpResponse, mapConcurrent, rateLimitHeaders } from '../http/index.ts';
import type { RecentPost } from '../scoring/types.ts';
import {
  type AdapterOptions,
  createHttp,
  fillAll,
  fromHttpError,
  fromUnexpected,
  iso,
  okResult,
  parsePayload,
  unavailable,
  wellFormedHandles,
} from './common.ts';
import type { ProviderAdapter, ProviderResult } from './contract.ts';
import { DEFAULT_PROVIDER_TTL_SECONDS, defineNetwork } from './descriptor.ts';

/** docs.bsky.app/docs/advanced-guides/rate-limits. */
const BLUESKY_RATE_LIMIT = rateLimitHeaders({
  limit: 'ratelimit-limit',
  remaining: 'ratelimit-remaining',
  reset: 'ratelimit-reset',
  format: 'epoch-seconds',
});

export const BLUESKY_MAX_BATCH = 25;
const ACTOR =
  /^(?:did:(?:plc|web):[a-zA-Z0-9._:%-]+|(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)$/;
/** The account's own "do not show me to logged-out viewers" label: an opt-out from public-web use. */
const NO_UNAUTHENTICATED = '!no-unauthenticated';

const count = z.number().int().nonnegative();

const ProfileSchema = z.object({
  did: z.string(),
  handle: z.string(),
  followersCount: count.optional(),
  followsCount: count.optional(),
  postsCount: count.optional(),
  createdAt: z.string().optional(),
  labels: z
    .array(z.object({ val: z.string(), src: z.string().optional(), neg: z.boolean().optional() }).loose())
    .optional(),
  verification: z.object({ verifiedStatus: z.string().optional() }).loose().optional(),
});
type Profile = z.infer<typeof ProfileSchema>;

const FeedSchema = z.object({
  feed: z.array(
    z
      .object({
        post: z
          .object({
            uri: z.string(),
            author: z.object({ did: z.string() }).loose(),
            record: z.object({ createdAt: z.string().optional() }).loose(),
            indexedAt: z.string().optional(),
            likeCount: count.optional(),
            repostCount: count.optional(),
            replyCount: count.optional(),
            quoteCount: count.optional(),
          })
          .loose(),
        reason: z.object({ $type: z.string() }).loose().optional(),
      })
      .loose(),
  ),
  cursor: z.string().optional(),
});

const XrpcErrorSchema = z.looseObject({ error: z.string().optional(), message: z.string().optional() });

export interface BlueskyAdapterOptions extends AdapterOptions {
  /**
   * getProfiles omits missing, suspended and deactivated accounts alike. When true, each omitted actor is asked
   * again alone (one call each) to tell them apart; by default they are reported `not_found`, which keeps the
   * call count at the batch minimum.
   */
  classifyMissing?: boolean;
}

export class BlueskyAdapter implements ProviderAdapter {
  readonly network = 'bluesky' as const;
  readonly maxBatch = BLUESKY_MAX_BATCH;
  private readonly http: HttpClient;
  private readonly postSample: number;

  private readonly options: BlueskyAdapterOptions;

  constructor(options: BlueskyAdapterOptions) {
    this.options = options;
    // A 100-post author feed with embeds is the biggest answer, around 1 MB.
    this.http = createHttp('bluesky', options, {
      rateLimit: BLUESKY_RATE_LIMIT,
      maxBodyBytes: 8 * 1024 * 1024,
    });
    this.postSample = Math.max(0, Math.min(100, options.postSample ?? 20));
  }

  usage() {
    return { calls: this.http.stats().calls };
  }

  async fetchProfiles(handles: readonly string[]): Promise<Map<string, ProviderResult>> {
    const results = new Map<string, ProviderResult>();
    const valid = wellFormedHandles(handles, (handle) => ACTOR.test(handle.replace(/^@/, '')), results);
    for (const batch of chunk(valid, BLUESKY_MAX_BATCH)) await this.fetchBatch(batch, results);
    return results;
  }

  private async fetchBatch(batch: string[], results: Map<string, ProviderResult>): Promise<void> {
    let response: HttpResponse;
    try {
      response = await this.http.request(`${this.options.baseUrl}/xrpc/app.bsky.actor.getProfiles`, {
        query: { actors: batch.map((h) => h.replace(/^@/, '')) },
      });
    } catch (error) {
      fillAll(batch, fromHttpError(error), results);
      return;
    }
    if (response.status === 400 && batch.length > 1) {
      // One actor the AppView cannot parse fails the whole call: ask each alone so the others still get answers.
      await mapConcurrent(batch, this.options.concurrency ?? 4, async (handle) => {
        results.set(handle, await this.fetchSingle(handle));
      });
      return;
    }
    if (response.status !== 200) {
      fillAll(batch, classifyXrpcError(response), results);
      return;
    }
    const payload = parsePayload(z.object({ profiles: z.array(ProfileSchema) }), response.body);
    if (payload === null) {
      fillAll(batch, unavailable('invalid_payload'), results);
      return;
    }
    const byKey = new Map<string, Profile>();
    for (const profile of payload.profiles) {
      byKey.set(profile.did, profile);
      byKey.set(profile.handle.toLowerCase(), profile);
    }
    const found: { handle: string; profile: Profile }[] = [];
    const missing: string[] = [];
    for (const handle of batch) {
      const key = handle.replace(/^@/, '');
      const profile = byKey.get(key.startsWith('did:') ? key : key.toLowerCase());
      if (profile) found.push({ handle, profile });
      else missing.push(handle);
    }
    await mapConcurrent(found, this.options.concurrency ?? 8, async ({ handle, profile }) => {
      results.set(handle, await this.fromProfile(handle, profile));
    });
    await mapConcurrent(missing, this.options.concurrency ?? 4, async (handle) => {
      results.set(handle, this.options.classifyMissing ? await this.fetchSingle(handle) : { status: 'not_found' });
    });
  }

  private async fetchSingle(handle: string): Promise<ProviderResult> {
    let response: HttpResponse;
    try {
      response = await this.http.request(`${this.options.baseUrl}/xrpc/app.bsky.actor.getProfile`, {
        query: { actor: handle.replace(/^@/, '') },
      });
    } catch (error) {
      return fromHttpError(error);
    }
    if (response.status !== 200) return classifyXrpcError(response);
    const profile = parsePayload(ProfileSchema, response.body);
    return profile === null ? unavailable('invalid_payload') : this.fromProfile(handle, profile);
  }

  private async fromProfile(handle: string, profile: Profile): Promise<ProviderResult> {
    const labels = (profile.labels ?? []).filter((l) => l.neg !== true).map((l) => l.val);
    if (labels.includes('!takedown') || labels.includes('!suspend')) return { status: 'suspended' };
    if (labels.includes(NO_UNAUTHENTICATED)) return { status: 'protected' };
    let recentPosts: RecentPost[] = [];
    if (this.postSample > 0 && (profile.postsCount ?? 0) > 0) {
      const posts = await this.authorFeed(profile.did);
      if (!Array.isArray(posts)) return posts;
      recentPosts = posts;
    }
    return okResult({
      network: 'bluesky',
      handle,
      followers: profile.followersCount ?? 0,
      following: profile.followsCount ?? 0,
      posts: profile.postsCount ?? 0,
      createdAt: iso(profile.createdAt),
      verified:
        profile.verification?.verifiedStatus === undefined
          ? undefined
          : profile.verification.verifiedStatus === 'valid',
      recentPosts,
      fetchedAt: (this.options.now?.() ?? new Date()).toISOString(),
    });
  }

  private async authorFeed(did: string): Promise<RecentPost[] | ProviderResult> {
    let response: HttpResponse;
    try {
      response = await this.http.request(`${this.options.baseUrl}/xrpc/app.bsky.feed.getAuthorFeed`, {
        query: { actor: did, limit: this.postSample, filter: 'posts_no_replies' },
      });
    } catch (error) {
      return fromHttpError(error);
    }
    if (response.status !== 200) return classifyXrpcError(response);
    const feed = parsePayload(FeedSchema, response.body);
    if (feed === null) return unavailable('invalid_payload');
    return (
      feed.feed
        // Reposts are somebody else's post; pins can be old and are not part of the recent sample.
        .filter((item) => item.reason === undefined && item.post.author.did === did)
        .map((item) => ({
          at: iso(item.post.record.createdAt ?? item.post.indexedAt) ?? new Date(0).toISOString(),
          reshares: item.post.repostCount ?? 0,
          replies: item.post.replyCount ?? 0,
          likes: item.post.likeCount ?? 0,
          quotes: item.post.quoteCount,
        }))
    );
  }
}

/** XRPC errors: `{error, message}`, mostly HTTP 400 (packages/bsky/src/api/app/bsky/actor/getProfile.ts). */
export function classifyXrpcError(response: HttpResponse): ProviderResult {
  const body = parsePayload(XrpcErrorSchema, response.body);
  switch (body?.error) {
    case 'AccountTakedown':
      return { status: 'suspended' };
    case 'AccountDeactivated':
      return { status: 'not_found' };
    case 'BlockedActor':
    case 'BlockedByActor':
      return { status: 'protected' };
    case 'RateLimitExceeded':
      return unavailable('rate_limited', response.retryAfterSeconds);
    case 'InvalidRequest':
      // "Profile not found", "Actor not found", or an unparsable actor: none of them exists.
      if (response.status === 400) return { status: 'not_found' };
  }
  return fromUnexpected(response);
}

export const BLUESKY_NETWORK = defineNetwork({
  network: 'bluesky',
  variables: ['BLUESKY_API_BASE_URL'],
  cacheTtlSeconds: DEFAULT_PROVIDER_TTL_SECONDS,
  rateLimit: BLUESKY_RATE_LIMIT,
  example: { handle: 'ada.bsky.social', profileUrl: 'https://bsky.app/profile/ada.bsky.social' },
  sandboxTwin: 'src/sandbox/networks/bluesky.ts',
  describe: (config) => ({
    network: 'bluesky',
    enabled: true,
    detail: `public AppView ${config.BLUESKY_API_BASE_URL}, 25 profiles per call (no token)`,
  }),
  create: (config, common) => new BlueskyAdapter({ baseUrl: config.BLUESKY_API_BASE_URL, ...common }),
});
