// X API v2 emulator: /2/users/by (≤ 100 usernames), /2/users/by/username/:u, /2/users/:id, /2/users/:id/tweets.
// App-only bearer auth, `x-rate-limit-*` headers (reset in epoch seconds), 200 + `errors[]` for missing and
// suspended users, problem bodies (`{title, detail, type, status}`) for 4xx/429, and the monthly post-read cap as
// 429 `UsageCapExceeded`. Facts: docs.x.com/x-api/users/lookup/integrate, docs.x.com/x-api/fundamentals/rate-limits.
import { randomBytes } from 'node:crypto';

import { SandboxCounters } from '../counters.ts';
import type { Population, SandboxAccount } from '../population.ts';
import type { LimitSetting, NetworkRequest, NetworkServer, NetworkServerOptions, Reply } from './server.ts';
import { bearerToken, listParam, startNetworkServer, WindowLimit } from './server.ts';

const PROBLEMS = 'https://api.twitter.com/2/problems';
const USERNAME = /^[A-Za-z0-9_]{1,15}$/;
const USER_FIELDS = new Set([
  'affiliation',
  'confirmed_email',
  'connection_status',
  'created_at',
  'description',
  'entities',
  'id',
  'is_identity_verified',
  'location',
  'most_recent_tweet_id',
  'name',
  'parody',
  'pinned_tweet_id',
  'profile_banner_url',
  'profile_image_url',
  'protected',
  'public_metrics',
  'receives_your_dm',
  'subscription',
  'subscription_type',
  'url',
  'username',
  'verified',
  'verified_followers_count',
  'verified_type',
  'withheld',
]);
const TWEET_FIELDS = new Set([
  'article',
  'attachments',
  'author_id',
  'card_uri',
  'community_id',
  'context_annotations',
  'conversation_id',
  'created_at',
  'display_text_range',
  'edit_controls',
  'edit_history_tweet_ids',
  'entities',
  'geo',
  'id',
  'in_reply_to_user_id',
  'lang',
  'media_metadata',
  'non_public_metrics',
  'note_tweet',
  'organic_metrics',
  'possibly_sensitive',
  'promoted_metrics',
  'public_metrics',
  'referenced_tweets',
  'reply_settings',
  'scopes',
  'source',
  'text',
  'withheld',
]);
/** `/2/users/:id/tweets` serves only the newest 3,200 posts. */
const TIMELINE_DEPTH = 3200;

export interface XSandboxOptions extends NetworkServerOptions {
  population: Population;
  bearerToken?: string;
  /** Per-app limits per 15 minutes (real: 300 for user lookups, 10,000 for user tweets). */
  limits?: { users?: LimitSetting; tweets?: LimitSetting };
  /** Post reads allowed this month before 429 UsageCapExceeded (real: 2,000,000 on pay-per-use). */
  monthlyPostReadCap?: number;
  clock?: () => number;
}

export interface XSandbox extends NetworkServer {
  env: { X_API_BASE_URL: string; X_BEARER_TOKEN: string; X_ENABLED: 'true' };
  /** Tests: the lookup window has only `remaining` calls left. */
  setRemaining(group: 'users' | 'tweets', remaining: number): void;
  /** Tests: only `remaining` post reads are left of the monthly cap. */
  setPostReadsRemaining(remaining: number): void;
}

function problem(status: number, title: string, detail: string, type = 'about:blank'): Reply {
  return { status, body: { title, detail, type, status } };
}

function invalidRequest(message: string, parameters: Record<string, string[]>): Reply {
  return {
    status: 400,
    body: {
      errors: [{ parameters, message }],
      title: 'Invalid Request',
      detail: 'One or more parameters to your request was invalid.',
      type: `${PROBLEMS}/invalid-request`,
    },
  };
}

/** Validates a `*.fields` parameter against the field list; returns the chosen fields or a 400. */
function fieldsParam(request: NetworkRequest, name: string, allowed: Set<string>): Set<string> | Reply {
  const chosen = listParam(request.query, name);
  for (const field of chosen) {
    if (!allowed.has(field)) {
      return invalidRequest(
        `The \`${name}\` query parameter value [${field}] is not one of [${[...allowed].join(',')}]`,
        { [name]: [request.query.get(name) ?? ''] },
      );
    }
  }
  return new Set(chosen);
}

function userProblem(value: string, parameter: string, kind: 'missing' | 'suspended'): Record<string, string> {
  // Suspended users keep the resource-not-found type; only title and detail tell them apart (as on the real API).
  return kind === 'missing'
    ? {
        value,
        detail: `Could not find user with ${parameter === 'id' || parameter === 'ids' ? 'ids' : 'usernames'}: [${value}].`,
        title: 'Not Found Error',
        resource_type: 'user',
        parameter,
        resource_id: value,
        type: `${PROBLEMS}/resource-not-found`,
      }
    : {
        value,
        detail: `User has been suspended: [${value}].`,
        title: 'Forbidden',
        resource_type: 'user',
        parameter,
        resource_id: value,
        type: `${PROBLEMS}/resource-not-found`,
      };
}

export async function startXSandbox(options: XSandboxOptions): Promise<XSandbox> {
  const { population } = options;
  const token = options.bearerToken ?? `AAAAAAAAAAAAAAAAAAAAA${randomBytes(24).toString('base64url')}`;
  const clock = options.clock ?? Date.now;
  const limits = {
    users: new WindowLimit(
      options.limits?.users?.limit ?? 300,
      (options.limits?.users?.windowSeconds ?? 900) * 1000,
      clock,
    ),
    tweets: new WindowLimit(
      options.limits?.tweets?.limit ?? 10_000,
      (options.limits?.tweets?.windowSeconds ?? 900) * 1000,
      clock,
    ),
  };
  const counters = new SandboxCounters();
  const postReadCap = options.monthlyPostReadCap ?? 2_000_000;
  let postReads = 0;

  function rateHeaders(state: { remaining: number; resetMs: number }, limit: WindowLimit): Record<string, string> {
    return {
      'x-rate-limit-limit': String(limit.limit),
      'x-rate-limit-remaining': String(state.remaining),
      'x-rate-limit-reset': String(Math.ceil(state.resetMs / 1000)),
    };
  }

  /** Auth then rate limit; returns the headers to send or a finished reply. */
  function admit(request: NetworkRequest, group: 'users' | 'tweets'): Reply | Record<string, string> {
    if (bearerToken(request.headers) !== token) return problem(401, 'Unauthorized', 'Unauthorized');
    const limit = limits[group];
    const state = limit.take();
    const headers = rateHeaders(state, limit);
    if (!state.allowed) return { ...problem(429, 'Too Many Requests', 'Too Many Requests'), headers };
    return headers;
  }

  function userJson(account: SandboxAccount, fields: Set<string>): Record<string, unknown> {
    const user: Record<string, unknown> = {
      id: account.id,
      name: account.displayName,
      username: account.displayHandle,
    };
    if (fields.has('created_at')) user.created_at = account.createdAt;
    if (fields.has('protected')) user.protected = account.state === 'protected';
    if (fields.has('verified')) user.verified = account.verified;
    if (fields.has('verified_type'))
      user.verified_type = account.verified ? (account.kind === 'brand' ? 'business' : 'blue') : 'none';
    if (fields.has('is_identity_verified'))
      user.is_identity_verified = account.verified && account.kind !== 'brand' && account.followers > 100_000;
    if (fields.has('description')) user.description = account.kind === 'bot' ? 'Automated account' : '';
    if (fields.has('url')) user.url = '';
    if (fields.has('public_metrics')) {
      user.public_metrics = {
        followers_count: account.followers,
        following_count: account.following,
        tweet_count: account.posts,
        listed_count: Math.floor(account.followers / 150),
        // Automated accounts like nothing (in the real twitter-2017 data the median bot has liked 0 posts).
        like_count: account.kind === 'bot' ? 0 : account.posts * 2,
        media_count: Math.floor(account.posts / 10),
      };
    }
    if (fields.has('most_recent_tweet_id') && account.posts > 0 && account.state !== 'protected') {
      const newest = population.recentPosts(account, 1)[0];
      if (newest) user.most_recent_tweet_id = newest.id;
    }
    return user;
  }

  /** One user lookup result: the account, or the `errors[]` entry for it. */
  function lookup(
    value: string,
    parameter: string,
    byId: boolean,
  ): { user?: SandboxAccount; error?: Record<string, string> } {
    const account = byId ? population.accountById('x', value) : population.account('x', value);
    if (!account) return { error: userProblem(value, parameter, 'missing') };
    if (account.state === 'suspended') return { error: userProblem(value, parameter, 'suspended') };
    return { user: account };
  }

  function usersReply(
    values: string[],
    parameter: string,
    byId: boolean,
    fields: Set<string>,
    headers: Record<string, string>,
    single: boolean,
  ): Reply {
    const data: Record<string, unknown>[] = [];
    const errors: Record<string, string>[] = [];
    for (const value of values) {
      const result = lookup(value, parameter, byId);
      if (result.user) data.push(userJson(result.user, fields));
      else if (result.error) errors.push(result.error);
    }
    counters.read(data.length);
    const body: Record<string, unknown> = {};
    if (data.length > 0) body.data = single ? data[0] : data;
    if (errors.length > 0) body.errors = errors;
    return { status: 200, body, headers };
  }

  function batchLookup(request: NetworkRequest, parameter: 'usernames' | 'ids', byId: boolean): Reply {
    const admitted = admit(request, 'users');
    if ('status' in admitted) return admitted as Reply;
    const values = listParam(request.query, parameter);
    counters.batch(`GET /2/users${byId ? '' : '/by'}`, values.length);
    if (values.length < 1 || values.length > 100) {
      return {
        ...invalidRequest(
          `The number of values in the \`${parameter}\` query parameter list [${values.length}] is not between 1 and 100`,
          { [parameter]: [request.query.get(parameter) ?? ''] },
        ),
        headers: admitted,
      };
    }
    for (const value of values) {
      if (byId ? !/^\d{1,19}$/.test(value) : !USERNAME.test(value)) {
        const pattern = byId ? '^[0-9]{1,19}$' : '^[A-Za-z0-9_]{1,15}$';
        return {
          ...invalidRequest(`The \`${parameter}\` query parameter value [${value}] does not match ${pattern}`, {
            [parameter]: [value],
          }),
          headers: admitted,
        };
      }
    }
    const fields = fieldsParam(request, 'user.fields', USER_FIELDS);
    if (!(fields instanceof Set)) return { ...fields, headers: admitted };
    return usersReply(values, parameter, byId, fields, admitted, false);
  }

  function singleLookup(request: NetworkRequest, value: string, byId: boolean): Reply {
    const admitted = admit(request, 'users');
    if ('status' in admitted) return admitted as Reply;
    const parameter = byId ? 'id' : 'username';
    if (byId ? !/^\d{1,19}$/.test(value) : !USERNAME.test(value)) {
      return {
        ...invalidRequest(
          `The \`${parameter}\` query parameter value [${value}] does not match ${byId ? '^[0-9]{1,19}$' : '^[A-Za-z0-9_]{1,15}$'}`,
          { [parameter]: [value] },
        ),
        headers: admitted,
      };
    }
    const fields = fieldsParam(request, 'user.fields', USER_FIELDS);
    if (!(fields instanceof Set)) return { ...fields, headers: admitted };
    return usersReply([value], parameter, byId, fields, admitted, true);
  }

  function tweets(request: NetworkRequest, id: string): Reply {
    const admitted = admit(request, 'tweets');
    if ('status' in admitted) return admitted as Reply;
    if (postReads >= postReadCap) {
      return {
        status: 429,
        headers: admitted,
        body: {
          title: 'UsageCapExceeded',
          detail: 'Usage cap exceeded: Monthly product cap',
          type: `${PROBLEMS}/usage-capped`,
          period: 'Monthly',
          scope: 'Product',
        },
      };
    }
    const maxText = request.query.get('max_results');
    const max = maxText === null ? 10 : Number(maxText);
    if (!Number.isInteger(max) || max < 5 || max > 100) {
      return {
        ...invalidRequest(`The \`max_results\` query parameter value [${maxText ?? ''}] is not between 5 and 100`, {
          max_results: [maxText ?? ''],
        }),
        headers: admitted,
      };
    }
    const exclude = listParam(request.query, 'exclude');
    for (const value of exclude) {
      if (value !== 'retweets' && value !== 'replies') {
        return {
          ...invalidRequest(`The \`exclude\` query parameter value [${value}] is not one of [replies,retweets]`, {
            exclude: [value],
          }),
          headers: admitted,
        };
      }
    }
    const fields = fieldsParam(request, 'tweet.fields', TWEET_FIELDS);
    if (!(fields instanceof Set)) return { ...fields, headers: admitted };
    if (!/^\d{1,19}$/.test(id)) {
      return {
        ...invalidRequest(`The \`id\` query parameter value [${id}] does not match ^[0-9]{1,19}$`, { id: [id] }),
        headers: admitted,
      };
    }
    const account = population.accountById('x', id);
    if (!account) return { status: 200, body: { errors: [userProblem(id, 'id', 'missing')] }, headers: admitted };
    if (account.state === 'suspended')
      return { status: 200, body: { errors: [userProblem(id, 'id', 'suspended')] }, headers: admitted };
    if (account.state === 'protected') {
      return {
        status: 200,
        headers: admitted,
        body: {
          errors: [
            {
              value: id,
              detail: `Sorry, you are not authorized to see the user with id: [${id}].`,
              title: 'Authorization Error',
              resource_type: 'user',
              parameter: 'id',
              resource_id: id,
              type: `${PROBLEMS}/not-authorized-for-resource`,
            },
          ],
        },
      };
    }
    // Pagination token = offset into the timeline (opaque to clients).
    const token = request.query.get('pagination_token');
    const offset = token === null ? 0 : Number.parseInt(Buffer.from(token, 'base64url').toString('utf8'), 10);
    if (!Number.isInteger(offset) || offset < 0) {
      return {
        ...invalidRequest(`The \`pagination_token\` query parameter value [${token ?? ''}] is not valid`, {
          pagination_token: [token ?? ''],
        }),
        headers: admitted,
      };
    }
    const timeline = population.recentPosts(account, Math.min(TIMELINE_DEPTH, offset + max * 4 + 50));
    const page: Record<string, unknown>[] = [];
    let cursor = offset;
    while (cursor < timeline.length && page.length < max) {
      const post = timeline[cursor++];
      if (!post) break;
      if ((post.isRepost && exclude.includes('retweets')) || (post.isReply && exclude.includes('replies'))) continue;
      const tweet: Record<string, unknown> = {
        id: post.id,
        text: `${post.isRepost ? 'RT ' : ''}Post ${post.id.slice(-4)} by @${account.displayHandle}`,
        edit_history_tweet_ids: [post.id],
      };
      if (fields.has('created_at')) tweet.created_at = post.at;
      if (fields.has('author_id')) tweet.author_id = account.id;
      if (fields.has('public_metrics')) {
        tweet.public_metrics = {
          retweet_count: post.reshares,
          reply_count: post.replies,
          like_count: post.likes,
          quote_count: post.quotes,
          bookmark_count: Math.floor(post.likes / 20),
          impression_count: post.views,
        };
      }
      page.push(tweet);
    }
    counters.read(page.length);
    postReads += page.length;
    const more = cursor < Math.min(TIMELINE_DEPTH, account.posts) && cursor < timeline.length;
    const meta: Record<string, unknown> = { result_count: page.length };
    if (page.length > 0) {
      meta.newest_id = (page[0] as { id: string }).id;
      meta.oldest_id = (page[page.length - 1] as { id: string }).id;
    }
    if (more && page.length > 0) meta.next_token = Buffer.from(String(cursor)).toString('base64url');
    const body: Record<string, unknown> = { meta };
    if (page.length > 0) body.data = page;
    return { status: 200, body, headers: admitted };
  }

  const server = await startNetworkServer(
    {
      routes: [
        {
          method: 'GET',
          pattern: /^\/2\/users\/by$/,
          endpoint: 'GET /2/users/by',
          handle: (r) => batchLookup(r, 'usernames', false),
        },
        {
          method: 'GET',
          pattern: /^\/2\/users\/by\/username\/([^/]+)$/,
          endpoint: 'GET /2/users/by/username/:username',
          handle: (r, m) => singleLookup(r, decodeURIComponent(m[1] ?? ''), false),
        },
        {
          method: 'GET',
          pattern: /^\/2\/users$/,
          endpoint: 'GET /2/users',
          handle: (r) => batchLookup(r, 'ids', true),
        },
        {
          method: 'GET',
          pattern: /^\/2\/users\/([^/]+)\/tweets$/,
          endpoint: 'GET /2/users/:id/tweets',
          handle: (r, m) => tweets(r, decodeURIComponent(m[1] ?? '')),
        },
        {
          method: 'GET',
          pattern: /^\/2\/users\/([^/]+)$/,
          endpoint: 'GET /2/users/:id',
          handle: (r, m) => singleLookup(r, decodeURIComponent(m[1] ?? ''), true),
        },
      ],
      notFound: () =>
        problem(404, 'Not Found Error', 'Sorry, that page does not exist.', `${PROBLEMS}/resource-not-found`),
      fault: (kind) =>
        kind === '429'
          ? {
              ...problem(429, 'Too Many Requests', 'Too Many Requests'),
              headers: {
                'x-rate-limit-limit': String(limits.users.limit),
                'x-rate-limit-remaining': '0',
                'x-rate-limit-reset': String(Math.ceil(clock() / 1000) + 60),
              },
            }
          : problem(503, 'Service Unavailable', 'Service Unavailable'),
    },
    { ...options, counters },
  );

  return {
    ...server,
    env: { X_API_BASE_URL: server.url, X_BEARER_TOKEN: token, X_ENABLED: 'true' },
    setRemaining: (group, remaining) => limits[group].setRemaining(remaining),
    setPostReadsRemaining: (remaining) => {
      postReads = Math.max(0, postReadCap - remaining);
    },
  };
}
