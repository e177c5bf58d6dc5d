// GitHub: followers plus stars/forks of the account's own non-fork repositories. With a token, one GraphQL query
// covers a batch of logins; without one, REST (`/users/{u}` + the first 100 owner repos, 60 requests/hour).
// Only user accounts are profiles: organizations, and suspended users (GitHub hides them), read as not_found.
import { z } from 'zod';

import { chunk, type HttpClient, type HttpResponse, mapConcurrent, rateLimitHeaders } from '../http/index.ts';
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
import { DEFAULT_PROVIDER_TTL_SECONDS, defineNetwork } from './descriptor.ts';

/** docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api. */
const GITHUB_RATE_LIMIT = rateLimitHeaders({
  limit: 'x-ratelimit-limit',
  remaining: 'x-ratelimit-remaining',
  reset: 'x-ratelimit-reset',
  format: 'epoch-seconds',
});

export const GITHUB_GRAPHQL_BATCH = 50;
/** REST has no batch endpoint; this only sizes how many handles one fetchProfiles call gets. */
export const GITHUB_REST_BATCH = 50;
const LOGIN = /^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$/;

const count = z.number().int().nonnegative();

const RestUserSchema = z.object({
  login: z.string(),
  type: z.string().optional(),
  public_repos: count,
  followers: count,
  following: count,
  created_at: z.string().optional(),
});
const RestRepoSchema = z.object({ fork: z.boolean(), stargazers_count: count, forks_count: count });
const RestErrorSchema = z.looseObject({ message: z.string().optional() });

const GraphUserSchema = z.object({
  login: z.string(),
  createdAt: z.string().optional(),
  followers: z.object({ totalCount: count }),
  following: z.object({ totalCount: count }),
  publicRepos: z.object({ totalCount: count }),
  ownRepos: z.object({
    totalCount: count,
    nodes: z.array(z.object({ stargazerCount: count, forkCount: count }).nullable()),
  }),
});
const GraphResponseSchema = z.object({
  data: z.record(z.string(), GraphUserSchema.nullable()).nullable().optional(),
  errors: z
    .array(
      z.looseObject({
        type: z.string().optional(),
        path: z.array(z.union([z.string(), z.number()])).optional(),
        message: z.string().optional(),
      }),
    )
    .optional(),
});

const USER_FIELDS = `login createdAt followers { totalCount } following { totalCount }
  publicRepos: repositories(ownerAffiliations: OWNER, privacy: PUBLIC) { totalCount }
  ownRepos: repositories(ownerAffiliations: OWNER, privacy: PUBLIC, isFork: false, first: 100, orderBy: { field: STARGAZERS, direction: DESC }) {
    totalCount nodes { stargazerCount forkCount } }`;

export interface GitHubAdapterOptions extends AdapterOptions {
  token?: string;
}

export class GitHubAdapter implements ProviderAdapter {
  readonly network = 'github' as const;
  readonly maxBatch: number;
  private readonly http: HttpClient;

  private readonly options: GitHubAdapterOptions;

  constructor(options: GitHubAdapterOptions) {
    this.options = options;
    this.maxBatch = options.token ? GITHUB_GRAPHQL_BATCH : GITHUB_REST_BATCH;
    this.http = createHttp('github', options, {
      headers: {
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
      rateLimit: GITHUB_RATE_LIMIT,
      // GitHub's REST ("core"), GraphQL and search limits are separate windows (x-ratelimit-resource).
      rateLimitWindow: (url) =>
        url.pathname.endsWith('/graphql') ? 'graphql' : url.pathname.includes('/search/') ? 'search' : 'core',
      // GitHub signals an exhausted primary limit with 403 as often as 429.
      isRateLimited: (r) =>
        r.status === 429 || (r.status === 403 && (r.rateLimit?.remaining === 0 || r.headers.has('retry-after'))),
      // 50 users × 100 repositories per GraphQL answer: a few hundred KB.
      maxBodyBytes: 4 * 1024 * 1024,
    });
  }

  usage() {
    return { calls: this.http.stats().calls };
  }

  async fetchProfiles(handles: readonly string[]): Promise<Map<string, ProviderResult>> {
    const results = new Map<string, ProviderResult>();
    const valid = wellFormedHandles(handles, (handle) => LOGIN.test(handle), results);
    if (this.options.token) {
      for (const batch of chunk(valid, GITHUB_GRAPHQL_BATCH)) await this.graphqlBatch(batch, results);
    } else {
      await mapConcurrent(valid, this.options.concurrency ?? 4, async (handle) => {
        results.set(handle, await this.restProfile(handle));
      });
    }
    return results;
  }

  private authFailure(response: HttpResponse): never {
    throw new ProviderUnusableError(
      'github',
      `GitHub rejected the token (HTTP ${response.status}): check GITHUB_TOKEN, or unset it to use the unauthenticated limit`,
    );
  }

  private async graphqlBatch(batch: string[], results: Map<string, ProviderResult>): Promise<void> {
    const variables = Object.fromEntries(batch.map((login, i) => [`l${i}`, login]));
    // Fields inline per alias rather than a fragment: same cost, and simpler GraphQL front ends accept it.
    const query = `query(${batch.map((_, i) => `$l${i}: String!`).join(', ')}) {\n${batch
      .map((_, i) => `  u${i}: user(login: $l${i}) { ${USER_FIELDS} }`)
      .join('\n')}\n}`;
    let response: HttpResponse;
    try {
      response = await this.http.request(`${this.options.baseUrl}/graphql`, { json: { query, variables } });
    } catch (error) {
      fillAll(batch, fromHttpError(error), results);
      return;
    }
    if (response.status === 401) this.authFailure(response);
    if (response.status !== 200) {
      fillAll(batch, fromUnexpected(response), results);
      return;
    }
    const payload = parsePayload(GraphResponseSchema, response.body);
    if (payload === null) {
      fillAll(batch, unavailable('invalid_payload'), results);
      return;
    }
    const rateLimited = payload.errors?.find((e) => e.type === 'RATE_LIMITED');
    if (rateLimited) {
      fillAll(batch, unavailable('rate_limited', response.retryAfterSeconds), results);
      return;
    }
    const errorByAlias = new Map<string, string>();
    for (const e of payload.errors ?? [])
      if (typeof e.path?.[0] === 'string') errorByAlias.set(e.path[0], e.type ?? 'ERROR');
    batch.forEach((handle, i) => {
      const user = payload.data?.[`u${i}`];
      if (user) {
        results.set(
          handle,
          this.metrics(handle, {
            followers: user.followers.totalCount,
            following: user.following.totalCount,
            publicRepos: user.publicRepos.totalCount,
            createdAt: user.createdAt,
            repos: user.ownRepos.nodes
              .filter((n) => n !== null)
              .map((n) => ({ stars: n.stargazerCount, forks: n.forkCount })),
          }),
        );
        return;
      }
      const type = errorByAlias.get(`u${i}`);
      results.set(
        handle,
        type === 'NOT_FOUND' || (type === undefined && payload.data)
          ? { status: 'not_found' }
          : unavailable(`graphql_${type ?? 'no_data'}`),
      );
    });
  }

  private async restProfile(handle: string): Promise<ProviderResult> {
    let response: HttpResponse;
    try {
      response = await this.http.request(`${this.options.baseUrl}/users/${encodeURIComponent(handle)}`);
    } catch (error) {
      return fromHttpError(error);
    }
    const failed = this.restFailure(response);
    if (failed) return failed;
    const user = parsePayload(RestUserSchema, response.body);
    if (user === null) return unavailable('invalid_payload');
    // An organization is not a person's profile (and GraphQL's `user` does not resolve one either).
    if (user.type === 'Organization') return { status: 'not_found' };
    let repos: { stars: number; forks: number }[] = [];
    if (user.public_repos > 0) {
      try {
        response = await this.http.request(`${this.options.baseUrl}/users/${encodeURIComponent(handle)}/repos`, {
          query: { type: 'owner', sort: 'pushed', per_page: 100 },
        });
      } catch (error) {
        return fromHttpError(error);
      }
      const reposFailed = this.restFailure(response);
      if (reposFailed) return reposFailed.status === 'not_found' ? unavailable('repos_not_found') : reposFailed;
      const list = parsePayload(z.array(RestRepoSchema), response.body);
      if (list === null) return unavailable('invalid_payload');
      repos = list.filter((r) => !r.fork).map((r) => ({ stars: r.stargazers_count, forks: r.forks_count }));
    }
    return this.metrics(handle, {
      followers: user.followers,
      following: user.following,
      publicRepos: user.public_repos,
      createdAt: user.created_at,
      repos,
    });
  }

  /** A REST response that is not a success → its status (or null for 200). */
  private restFailure(response: HttpResponse): ProviderResult | null {
    if (response.status === 200) return null;
    const message = (parsePayload(RestErrorSchema, response.body)?.message ?? '').toLowerCase();
    if (response.status === 401) this.authFailure(response);
    if (response.status === 404 || response.status === 410) return { status: 'not_found' };
    if (message.includes('suspended') || response.status === 451) return { status: 'suspended' };
    if (response.status === 403 && message.includes('rate limit'))
      return unavailable('rate_limited', response.retryAfterSeconds);
    return fromUnexpected(response);
  }

  private metrics(
    handle: string,
    m: {
      followers: number;
      following: number;
      publicRepos: number;
      createdAt?: string | undefined;
      repos: { stars: number; forks: number }[];
    },
  ): ProviderResult {
    return okResult({
      network: 'github',
      handle,
      followers: m.followers,
      following: m.following,
      posts: m.publicRepos,
      createdAt: iso(m.createdAt),
      extra: {
        stars: m.repos.reduce((s, r) => s + r.stars, 0),
        forks: m.repos.reduce((s, r) => s + r.forks, 0),
        ownRepos: m.repos.length,
      },
      recentPosts: [],
      fetchedAt: (this.options.now?.() ?? new Date()).toISOString(),
    });
  }
}

export const GITHUB_NETWORK = defineNetwork({
  network: 'github',
  variables: ['GITHUB_API_BASE_URL', 'GITHUB_TOKEN'],
  cacheTtlSeconds: DEFAULT_PROVIDER_TTL_SECONDS,
  rateLimit: GITHUB_RATE_LIMIT,
  example: { handle: 'ada', profileUrl: 'https://github.com/ada' },
  sandboxTwin: 'src/sandbox/networks/github.ts',
  describe: (config) =>
    config.GITHUB_TOKEN
      ? { network: 'github', enabled: true, detail: 'GitHub GraphQL with your token, 50 logins per query' }
      : {
          network: 'github',
          enabled: true,
          detail: 'GitHub REST without a token: 60 requests/hour, 1–2 requests per account',
          howToEnable:
            'set GITHUB_TOKEN=<a fine-grained token with no scopes> for 5,000 requests/hour and batched GraphQL look-ups',
        },
  create: (config, common) =>
    new GitHubAdapter({ baseUrl: config.GITHUB_API_BASE_URL, token: config.GITHUB_TOKEN, ...common }),
});
