// Mastodon: each account is asked on its home instance (`user@instance` → https://instance), because counts of
// remote accounts seen from elsewhere are stale. Lookup + recent public statuses. Accounts that opted out of
// indexing (noindex / indexable:false / discoverable:false) or approve followers (locked) are `protected`.
import { z } from 'zod';

import { type HttpClient, type HttpResponse, mapConcurrent, rateLimitHeaders } from '../http/index.ts';
import type { RecentPost } from '../scoring/types.ts';
import {
  type AdapterOptions,
  createHttp,
  fromHttpError,
  fromUnexpected,
  iso,
  okResult,
  parsePayload,
  unavailable,
} from './common.ts';
import type { ProviderAdapter, ProviderResult } from './contract.ts';
import { DEFAULT_PROVIDER_TTL_SECONDS, defineNetwork } from './descriptor.ts';

/** docs.joinmastodon.org/api/rate-limits. */
const MASTODON_RATE_LIMIT = rateLimitHeaders({
  limit: 'x-ratelimit-limit',
  remaining: 'x-ratelimit-remaining',
  reset: 'x-ratelimit-reset',
  format: 'iso-timestamp',
});

const ACCT = /^([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_])?)@((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*)$/i;

const count = z.number().int().nonnegative();

const AccountSchema = z.object({
  id: z.string(),
  acct: z.string(),
  locked: z.boolean().optional(),
  discoverable: z.boolean().nullable().optional(),
  indexable: z.boolean().nullable().optional(),
  noindex: z.boolean().nullable().optional(),
  suspended: z.boolean().optional(),
  moved: z.unknown().optional(),
  created_at: z.string().optional(),
  statuses_count: count,
  followers_count: count,
  following_count: count,
  fields: z.array(z.object({ verified_at: z.string().nullable().optional() }).loose()).optional(),
});
type Account = z.infer<typeof AccountSchema>;

const StatusSchema = z.object({
  id: z.string(),
  created_at: z.string(),
  reblog: z.unknown().nullable().optional(),
  in_reply_to_id: z.string().nullable().optional(),
  favourites_count: count,
  reblogs_count: count,
  replies_count: count,
  quotes_count: count.optional(),
});

const ErrorSchema = z.looseObject({ error: z.string().optional() });

export interface MastodonAdapterOptions extends Omit<AdapterOptions, 'baseUrl'> {
  /** One base URL for every instance (the sandbox); unset = each handle's own instance over https. */
  baseUrlOverride?: string;
  /** The longest one handle may take, waits and retries included; past it the handle is `unavailable` (timeout). */
  handleBudgetMs?: number;
}

/** A lookup is a few KB and 40 statuses a few hundred: anything near this is not a Mastodon answer. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;
const HANDLE_BUDGET_MS = 30_000;

export class MastodonAdapter implements ProviderAdapter {
  readonly network = 'mastodon' as const;
  /** No batch endpoint: this only sizes the groups handed to one fetchProfiles call. */
  readonly maxBatch = 40;
  private readonly http: HttpClient;
  private readonly postSample: number;

  private readonly options: MastodonAdapterOptions;

  constructor(options: MastodonAdapterOptions) {
    this.options = options;
    // The rate-limit state is per host, so each instance gets its own budget. Instances come from CRM data: only
    // a configured override is trusted, and every request gets the short leash for user-derived hosts.
    this.http = createHttp(
      'mastodon',
      { ...options, baseUrl: options.baseUrlOverride ?? '' },
      { rateLimit: MASTODON_RATE_LIMIT, hostsFromUserData: true, maxBodyBytes: MAX_BODY_BYTES },
    );
    this.postSample = Math.max(0, Math.min(40, options.postSample ?? 20));
  }

  usage() {
    const { calls, refused } = this.http.stats();
    return { calls, refused };
  }

  async fetchProfiles(handles: readonly string[]): Promise<Map<string, ProviderResult>> {
    const unique = [...new Set(handles)];
    const results = await mapConcurrent(unique, this.options.concurrency ?? 8, (handle) => this.fetchOne(handle));
    return new Map(unique.map((handle, i) => [handle, results[i] as ProviderResult]));
  }

  private baseFor(instance: string): string {
    return this.options.baseUrlOverride ?? `https://${instance}`;
  }

  private async fetchOne(handle: string): Promise<ProviderResult> {
    const match = ACCT.exec(handle.replace(/^@/, ''));
    if (!match) return { status: 'not_found' };
    const instance = (match[2] ?? '').toLowerCase();
    const base = this.baseFor(instance);
    // One slow or hostile instance holds its handle, never the page.
    const signal = AbortSignal.timeout(this.options.handleBudgetMs ?? HANDLE_BUDGET_MS);
    let response: HttpResponse;
    try {
      // The full acct works on the home instance too (it resolves its own domain to the local account).
      response = await this.http.request(`${base}/api/v1/accounts/lookup`, {
        query: { acct: `${match[1]}@${instance}` },
        signal,
      });
    } catch (error) {
      return fromHttpError(error);
    }
    if (response.status !== 200) return classifyError(response);
    const account = parsePayload(AccountSchema, response.body);
    if (account === null) return unavailable('invalid_payload');
    if (account.suspended === true) return { status: 'suspended' };
    if (account.moved !== undefined && account.moved !== null) return { status: 'not_found' };
    if (
      account.noindex === true ||
      account.indexable === false ||
      account.discoverable === false ||
      account.locked === true
    ) {
      return { status: 'protected' };
    }
    let recentPosts: RecentPost[] = [];
    if (this.postSample > 0 && account.statuses_count > 0) {
      const posts = await this.statuses(base, account, signal);
      if (!Array.isArray(posts)) return posts;
      recentPosts = posts;
    }
    return okResult({
      network: 'mastodon',
      handle,
      followers: account.followers_count,
      following: account.following_count,
      posts: account.statuses_count,
      createdAt: iso(account.created_at),
      extra: { verifiedLinks: (account.fields ?? []).filter((f) => Boolean(f.verified_at)).length },
      recentPosts,
      fetchedAt: (this.options.now?.() ?? new Date()).toISOString(),
    });
  }

  private async statuses(base: string, account: Account, signal: AbortSignal): Promise<RecentPost[] | ProviderResult> {
    let response: HttpResponse;
    try {
      response = await this.http.request(`${base}/api/v1/accounts/${encodeURIComponent(account.id)}/statuses`, {
        query: { limit: this.postSample, exclude_reblogs: true, exclude_replies: true },
        signal,
      });
    } catch (error) {
      return fromHttpError(error);
    }
    if (response.status !== 200) return classifyError(response);
    const statuses = parsePayload(z.array(StatusSchema), response.body);
    if (statuses === null) return unavailable('invalid_payload');
    return statuses
      .filter((s) => s.reblog === null || s.reblog === undefined)
      .map((s) => ({
        at: iso(s.created_at) ?? new Date(0).toISOString(),
        reshares: s.reblogs_count,
        replies: s.replies_count,
        likes: s.favourites_count,
        quotes: s.quotes_count,
      }));
  }
}

/** Mastodon's error bodies are `{"error": "..."}`; the status code and the text decide together. */
function classifyError(response: HttpResponse): ProviderResult {
  const message = (parsePayload(ErrorSchema, response.body)?.error ?? '').toLowerCase();
  if (response.status === 404) return { status: 'not_found' };
  // Mastodon 2.4–3.3 answered suspended accounts with 410 Gone.
  if (response.status === 410 || message.includes('suspended')) return { status: 'suspended' };
  if (response.status === 401 || response.status === 403) {
    // An instance in limited-federation/whitelist mode: not our credentials, just that instance.
    return unavailable('instance_requires_auth');
  }
  return fromUnexpected(response);
}

export const MASTODON_NETWORK = defineNetwork({
  network: 'mastodon',
  variables: ['MASTODON_API_BASE_URL'],
  cacheTtlSeconds: DEFAULT_PROVIDER_TTL_SECONDS,
  rateLimit: MASTODON_RATE_LIMIT,
  example: { handle: 'ada@mastodon.social', profileUrl: 'https://mastodon.social/@ada' },
  sandboxTwin: 'src/sandbox/networks/mastodon.ts',
  describe: (config) => ({
    network: 'mastodon',
    enabled: true,
    detail: config.MASTODON_API_BASE_URL
      ? `every instance via ${config.MASTODON_API_BASE_URL}`
      : "each account's home instance, public API (no token)",
  }),
  create: (config, common) => new MastodonAdapter({ baseUrlOverride: config.MASTODON_API_BASE_URL, ...common }),
});
