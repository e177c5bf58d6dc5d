// X (Twitter) API v2: /2/users/by (100 usernames per call) + recent original posts. Paid per resource read, so it
// is opt-in and counts its estimated cost. Errors arrive as 200 + `errors[]` as often as as status codes.
import { z } from 'zod';

import { chunk, type HttpClient, type HttpResponse, mapConcurrent, rateLimitHeaders } from '../http/index.ts';
import { ScoringOptionsSchema } from '../scoring/options.ts';
import type { NetworkMetrics, RecentPost } from '../scoring/types.ts';
import {
  type AdapterOptions,
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
import { DAY, days, defineNetwork } from './descriptor.ts';
import { snowflakeAt, snowflakeTime } from './x-ids.ts';

/** docs.x.com/x-api/getting-started/pricing (pay-per-use credits, 2026). */
export const X_PRICE_USD = { userRead: 0.01, postRead: 0.005 } as const;
export const X_MAX_BATCH = 100;
const USERNAME = /^[A-Za-z0-9_]{1,15}$/;
/** Paid per read, so an answer is kept longest. */
const X_CACHE_TTL_SECONDS = 30 * DAY;
/** docs.x.com/x-api/fundamentals/rate-limits. */
const X_RATE_LIMIT = rateLimitHeaders({
  limit: 'x-rate-limit-limit',
  remaining: 'x-rate-limit-remaining',
  reset: 'x-rate-limit-reset',
  format: 'epoch-seconds',
});

const count = z.number().int().nonnegative();

const XUserSchema = z.object({
  id: z.string(),
  username: z.string(),
  created_at: z.string().optional(),
  protected: z.boolean().optional(),
  verified: z.boolean().optional(),
  verified_type: z.string().optional(),
  is_identity_verified: z.boolean().optional(),
  most_recent_tweet_id: z.string().optional(),
  public_metrics: z.object({
    followers_count: count,
    following_count: count,
    tweet_count: count,
    listed_count: count.optional(),
    /** Posts the account has liked: v2 user public_metrics also carry it (issue 14; the sandbox twin sends it). */
    like_count: count.optional(),
  }),
});
type XUser = z.infer<typeof XUserSchema>;

const XProblemSchema = z.looseObject({
  value: z.string().optional(),
  resource_id: z.string().optional(),
  title: z.string().optional(),
  detail: z.string().optional(),
  type: z.string().optional(),
  parameter: z.string().optional(),
});
type XProblem = z.infer<typeof XProblemSchema>;

const XUsersResponseSchema = z.object({
  data: z.array(XUserSchema).optional(),
  errors: z.array(XProblemSchema).optional(),
});

const XTweetSchema = z.object({
  id: z.string(),
  created_at: z.string(),
  public_metrics: z.object({
    retweet_count: count,
    reply_count: count,
    like_count: count,
    quote_count: count.optional(),
    impression_count: count.optional(),
  }),
});
const XTweetsResponseSchema = z.object({
  data: z.array(XTweetSchema).optional(),
  errors: z.array(XProblemSchema).optional(),
  meta: z.object({ result_count: z.number().optional(), next_token: z.string().optional() }).optional(),
});

/** A top-level problem body (`{title, detail, type, status}`) as X sends with 4xx/429. */
const XTopProblemSchema = z.looseObject({
  title: z.string().optional(),
  detail: z.string().optional(),
  type: z.string().optional(),
});

export interface XAdapterOptions extends AdapterOptions {
  bearerToken: string;
  /** The scoring window in days (default: the model's): posts older than it are not read, since they cannot count. */
  windowDays?: number;
}

/**
 * Recent original posts read per account. Chosen on the sandbox population by `npm run bench xreads`: the smallest
 * sample whose tier agrees with a 20-post read for at least 95 % of X accounts (20,000 people: 5 posts 92.6 %,
 * 8 posts 94.7 %, 10 posts 96.1 %).
 */
export const X_POST_SAMPLE = 10;
const DAY_MS = 86_400_000;

/** X `errors[]` entry → per-handle status. The `type` host varies (api.twitter.com / api.x.com), so match its path. */
export function classifyXProblem(problem: XProblem): ProviderResult {
  const type = problem.type ?? '';
  const detail = (problem.detail ?? '').toLowerCase();
  // Suspended users come with the resource-not-found type too; the title and detail tell them apart.
  if (detail.includes('suspended') || (problem.title === 'Forbidden' && type.endsWith('/resource-not-found')))
    return { status: 'suspended' };
  if (type.endsWith('/resource-not-found') || problem.title === 'Not Found Error') return { status: 'not_found' };
  if (type.endsWith('/not-authorized-for-resource') || detail.includes('protected')) return { status: 'protected' };
  if (type.endsWith('/usage-capped')) return unavailable('usage_capped');
  return unavailable(`x_problem:${problem.title ?? type}`);
}

function isUsageCap(response: HttpResponse): boolean {
  const body = XTopProblemSchema.safeParse(response.body);
  return body.success && (body.data.title === 'UsageCapExceeded' || (body.data.type ?? '').endsWith('/usage-capped'));
}

export class XAdapter implements ProviderAdapter {
  readonly network = 'x' as const;
  readonly maxBatch = X_MAX_BATCH;
  readonly reusesLastGood = true;
  private readonly http: HttpClient;
  private readonly postSample: number;
  private readonly windowMs: number;
  private userReads = 0;
  private postReads = 0;

  private readonly options: XAdapterOptions;

  constructor(options: XAdapterOptions) {
    this.options = options;
    this.http = createHttp('x', options, {
      headers: { authorization: `Bearer ${options.bearerToken}` },
      rateLimit: X_RATE_LIMIT,
      // X counts each endpoint in its own window (user lookups 300, a user's posts 10,000 per 15 minutes).
      rateLimitWindow: (url) => url.pathname.replace(/^\/2\/users\/[^/]+\/tweets$/, '/2/users/:id/tweets'),
      // A monthly cap will not lift in a minute: hand it back instead of retrying.
      shouldRetry: (response) => !isUsageCap(response),
      // 100 users or 100 posts per answer: well under 1 MB.
      maxBodyBytes: 4 * 1024 * 1024,
    });
    this.postSample = Math.max(0, Math.min(100, options.postSample ?? X_POST_SAMPLE));
    this.windowMs = (options.windowDays ?? ScoringOptionsSchema.parse({}).windowDays) * DAY_MS;
  }

  /** A user read and a full post sample. */
  get maxCostPerHandleUsd(): number {
    return X_PRICE_USD.userRead + this.postSample * X_PRICE_USD.postRead;
  }

  usage() {
    const cost = this.userReads * X_PRICE_USD.userRead + this.postReads * X_PRICE_USD.postRead;
    return { calls: this.http.stats().calls, estimatedCostUsd: Math.round(cost * 1000) / 1000 };
  }

  /** Post reads are paid: `lastGood` lets an account whose post count has not moved keep the posts read before. */
  async fetchProfiles(
    handles: readonly string[],
    lastGood?: ReadonlyMap<string, NetworkMetrics>,
  ): Promise<Map<string, ProviderResult>> {
    const results = new Map<string, ProviderResult>();
    // X answers 400 for the whole batch when one username breaks its grammar: such a handle cannot exist anyway.
    const valid = wellFormedHandles(handles, (handle) => USERNAME.test(handle.replace(/^@/, '')), results);
    for (const batch of chunk(valid, X_MAX_BATCH)) await this.fetchBatch(batch, results, lastGood);
    return results;
  }

  private async fetchBatch(
    batch: string[],
    results: Map<string, ProviderResult>,
    lastGood: ReadonlyMap<string, NetworkMetrics> | undefined,
  ): Promise<void> {
    let response: HttpResponse;
    try {
      response = await this.http.request(`${this.options.baseUrl}/2/users/by`, {
        query: {
          usernames: batch.map((h) => h.replace(/^@/, '')).join(','),
          'user.fields':
            'created_at,public_metrics,verified,verified_type,is_identity_verified,protected,most_recent_tweet_id',
        },
      });
    } catch (error) {
      fillAll(batch, fromHttpError(error), results);
      return;
    }
    if (response.status === 403 || response.status === 404) {
      // Single-user answers come as 404 (not found) or 403 (suspended) with a problem body naming the user.
      const problem = XTopProblemSchema.safeParse(response.body);
      const perUser = problem.success ? classifyXProblem(problem.data) : null;
      if (perUser && perUser.status !== 'unavailable' && batch.length === 1) {
        fillAll(batch, perUser, results);
        return;
      }
    }
    if (response.status === 401 || response.status === 403) {
      throw new ProviderUnusableError(
        'x',
        `X refused the app (HTTP ${response.status}): check X_BEARER_TOKEN and that the app has X API access and credits, or set X_ENABLED=false`,
      );
    }
    if (response.status !== 200) {
      fillAll(
        batch,
        isUsageCap(response) ? unavailable('usage_capped', response.retryAfterSeconds) : fromUnexpected(response),
        results,
      );
      return;
    }
    const payload = parsePayload(XUsersResponseSchema, response.body);
    if (payload === null) {
      fillAll(batch, unavailable('invalid_payload'), results);
      return;
    }
    const byName = new Map<string, XUser>();
    for (const user of payload.data ?? []) byName.set(user.username.toLowerCase(), user);
    this.userReads += payload.data?.length ?? 0;
    const problems = new Map<string, XProblem>();
    for (const problem of payload.errors ?? []) {
      const key = (problem.value ?? problem.resource_id ?? '').toLowerCase();
      if (key) problems.set(key, problem);
    }
    const withPosts: { handle: string; user: XUser }[] = [];
    for (const handle of batch) {
      const key = handle.replace(/^@/, '').toLowerCase();
      const user = byName.get(key);
      if (user === undefined) {
        const problem = problems.get(key);
        results.set(handle, problem ? classifyXProblem(problem) : { status: 'not_found' });
      } else if (user.protected === true) {
        results.set(handle, { status: 'protected' });
      } else {
        withPosts.push({ handle, user });
      }
    }
    await mapConcurrent(withPosts, this.options.concurrency ?? 8, async ({ handle, user }) => {
      results.set(handle, await this.withRecentPosts(handle, user, lastGood?.get(handle)));
    });
  }

  /**
   * The posts that can change the score, and no more (each is paid): none when the newest post is older than the
   * window (dormant: the model needs only its date, which the snowflake gives); the previous read's when the post
   * count has not moved; otherwise only the posts since the window opened or since the previous read's newest.
   */
  private async postsThatCount(
    user: XUser,
    previous: NetworkMetrics | undefined,
  ): Promise<{ recentPosts: RecentPost[]; lastPostAt?: string } | ProviderResult> {
    if (this.postSample === 0 || user.public_metrics.tweet_count === 0 || user.most_recent_tweet_id === undefined)
      return { recentPosts: [] };
    const newestAt = snowflakeTime(user.most_recent_tweet_id);
    const windowStart = (this.options.now?.() ?? new Date()).getTime() - this.windowMs;
    if (newestAt !== null && newestAt < windowStart)
      return { recentPosts: [], lastPostAt: new Date(newestAt).toISOString() };
    const kept = (previous?.recentPosts ?? []).filter((post) => Date.parse(post.at) >= windowStart);
    const lastPostAt = newestAt === null ? undefined : new Date(newestAt).toISOString();
    if (previous !== undefined && previous.posts === user.public_metrics.tweet_count)
      return { recentPosts: kept.slice(0, this.postSample), ...(lastPostAt ? { lastPostAt } : {}) };
    const since = Math.max(windowStart, kept.length > 0 ? Date.parse(kept[0]!.at) + 1 : windowStart);
    const fresh = await this.recentPosts(user.id, snowflakeAt(since));
    if (!Array.isArray(fresh)) return fresh;
    return { recentPosts: [...fresh, ...kept].slice(0, this.postSample), ...(lastPostAt ? { lastPostAt } : {}) };
  }

  private async withRecentPosts(
    handle: string,
    user: XUser,
    previous: NetworkMetrics | undefined,
  ): Promise<ProviderResult> {
    const posts = await this.postsThatCount(user, previous);
    if ('status' in posts) return posts;
    const { recentPosts, lastPostAt } = posts;
    const m = user.public_metrics;
    const verified =
      user.is_identity_verified ??
      (user.verified_type === undefined
        ? user.verified
        : user.verified_type === 'business' || user.verified_type === 'government');
    return okResult({
      network: 'x',
      handle,
      followers: m.followers_count,
      following: m.following_count,
      posts: m.tweet_count,
      createdAt: iso(user.created_at),
      verified,
      likesGiven: m.like_count,
      extra: m.listed_count === undefined ? undefined : { listed: m.listed_count },
      recentPosts,
      ...(lastPostAt === undefined ? {} : { lastPostAt }),
      accountId: user.id,
      fetchedAt: (this.options.now?.() ?? new Date()).toISOString(),
    });
  }

  /** The newest original posts made after `sinceId` (newest first, at most the sample). */
  private async recentPosts(userId: string, sinceId: string): Promise<RecentPost[] | ProviderResult> {
    let response: HttpResponse;
    try {
      response = await this.http.request(`${this.options.baseUrl}/2/users/${encodeURIComponent(userId)}/tweets`, {
        query: {
          // The API's minimum page is 5.
          max_results: Math.max(5, this.postSample),
          since_id: sinceId,
          'tweet.fields': 'created_at,public_metrics',
          exclude: 'retweets,replies',
        },
      });
    } catch (error) {
      return fromHttpError(error);
    }
    if (response.status !== 200) return fromUnexpected(response);
    const payload = parsePayload(XTweetsResponseSchema, response.body);
    if (payload === null) return unavailable('invalid_payload');
    if (!payload.data && payload.errors?.[0]) return classifyXProblem(payload.errors[0]);
    const tweets = (payload.data ?? []).slice(0, this.postSample);
    this.postReads += payload.data?.length ?? 0;
    return tweets.map((t) => ({
      at: iso(t.created_at) ?? new Date(0).toISOString(),
      reshares: t.public_metrics.retweet_count,
      replies: t.public_metrics.reply_count,
      likes: t.public_metrics.like_count,
      quotes: t.public_metrics.quote_count,
      views: t.public_metrics.impression_count,
    }));
  }
}

export const X_NETWORK = defineNetwork({
  network: 'x',
  variables: ['X_ENABLED', 'X_API_BASE_URL', 'X_BEARER_TOKEN'],
  cacheTtlSeconds: X_CACHE_TTL_SECONDS,
  rateLimit: X_RATE_LIMIT,
  example: { handle: 'ada', profileUrl: 'https://x.com/ada' },
  sandboxTwin: 'src/sandbox/networks/x.ts',
  describe: (config) =>
    config.X_ENABLED && config.X_BEARER_TOKEN
      ? {
          network: 'x',
          enabled: true,
          detail: `X API v2, 100 users per call; paid per read (~$${X_PRICE_USD.userRead} per user + $${X_PRICE_USD.postRead} per post), cached ${days(X_CACHE_TTL_SECONDS)}`,
        }
      : {
          network: 'x',
          enabled: false,
          detail: 'off: the X API is paid per read, so it is opt-in',
          howToEnable:
            'set X_ENABLED=true and X_BEARER_TOKEN=<your X app bearer token> (only score handles contacts gave you: X requires consent for off-X matching)',
        },
  create: (config, common) =>
    config.X_ENABLED && config.X_BEARER_TOKEN
      ? new XAdapter({ baseUrl: config.X_API_BASE_URL, bearerToken: config.X_BEARER_TOKEN, ...common })
      : null,
});
