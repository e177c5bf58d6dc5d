// Mastodon emulator. One server stands in for every instance: `acct=user@instance` picks the instance, a bare
// `acct=user` is taken as local to whichever instance the user lives on. Endpoints: accounts/lookup, accounts/:id,
// accounts/:id/statuses (limit ≤ 40, exclude_replies, exclude_reblogs, max_id paging with Link), webfinger.
// `X-RateLimit-*` with an ISO-8601 reset (microseconds), 404 `{"error":"Record not found"}`, 429
// `{"error":"Too many requests"}`; suspended accounts answer 200 with `suspended: true`. Facts: docs.joinmastodon.org/api/rate-limits.
import { SandboxCounters } from '../counters.ts';
import type { Population, SandboxAccount } from '../population.ts';
import { hostileInstance, type HostileInstanceOptions } from './mastodon-hostile.ts';
import type { LimitSetting, NetworkRequest, NetworkServer, NetworkServerOptions, Reply } from './server.ts';
import { startNetworkServer, WindowLimit } from './server.ts';

export interface MastodonSandboxOptions extends NetworkServerOptions {
  population: Population;
  /** Per IP (real default: 300 requests per 5 minutes). */
  limits?: { requests?: LimitSetting };
  /** Instances in whitelist (authorized-fetch) mode: their API answers 401 without a user token. */
  restrictedInstances?: string[];
  /** The hostile instance's settings (it is always there: mastodon-hostile.ts). */
  hostile?: HostileInstanceOptions;
  clock?: () => number;
}

export interface MastodonSandbox extends NetworkServer {
  env: { MASTODON_API_BASE_URL: string };
  setRemaining(remaining: number): void;
  /** Body bytes the hostile instance handed to the socket (how much of its huge body a client let through). */
  hostileBytesSent(): number;
  /** Redirects inward the hostile instance served (the soak compares them with what reached its trap). */
  hostileRedirectsInward(): number;
}

const NOT_FOUND: Reply = { status: 404, body: { error: 'Record not found' } };

/** `2026-11-26T03:50:00.000000Z`: Rails' iso8601(6). */
function isoMicro(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function dateOnly(iso: string): string {
  return iso.slice(0, 10);
}

export async function startMastodonSandbox(options: MastodonSandboxOptions): Promise<MastodonSandbox> {
  const { population } = options;
  const clock = options.clock ?? Date.now;
  const counters = new SandboxCounters();
  const limit = new WindowLimit(
    options.limits?.requests?.limit ?? 300,
    (options.limits?.requests?.windowSeconds ?? 300) * 1000,
    clock,
  );

  function admit(): Reply | Record<string, string> {
    const state = limit.take();
    const headers = {
      'x-ratelimit-limit': String(limit.limit),
      'x-ratelimit-remaining': String(state.remaining),
      'x-ratelimit-reset': isoMicro(state.resetMs),
    };
    if (!state.allowed) return { status: 429, body: { error: 'Too many requests' }, headers };
    return headers;
  }

  function findByAcct(acct: string): SandboxAccount | undefined {
    const cleaned = acct.trim().replace(/^@/, '').toLowerCase();
    if (cleaned.includes('@')) return population.account('mastodon', cleaned);
    // A bare username: local to the instance the person uses. The handle encodes the person, so ask for them.
    const index = Number(/(\d+)$/.exec(cleaned)?.[1] ?? -1);
    if (!Number.isInteger(index) || index < 0 || index >= population.size) return undefined;
    for (const t of population.truth(index)) {
      if (t.network === 'mastodon' && t.handle.split('@')[0] === cleaned)
        return population.account('mastodon', t.handle);
    }
    return undefined;
  }

  function accountJson(a: SandboxAccount): Record<string, unknown> {
    const [username = '', instance = ''] = a.handle.split('@');
    const suspended = a.state === 'suspended';
    const json: Record<string, unknown> = {
      id: a.id,
      username,
      acct: a.handle,
      display_name: suspended ? '' : a.displayName,
      locked: a.state === 'protected',
      bot: a.kind === 'bot',
      discoverable: !a.networkOptOut,
      indexable: !a.networkOptOut,
      group: false,
      created_at: `${dateOnly(a.createdAt)}T00:00:00.000Z`,
      note: suspended ? '' : '<p></p>',
      url: `https://${instance}/@${username}`,
      uri: `https://${instance}/users/${username}`,
      avatar: `https://${instance}/avatars/original/missing.png`,
      header: `https://${instance}/headers/original/missing.png`,
      followers_count: suspended ? 0 : a.followers,
      following_count: suspended ? 0 : a.following,
      statuses_count: suspended ? 0 : a.posts,
      last_status_at: a.lastPostAt && !suspended ? dateOnly(a.lastPostAt) : null,
      hide_collections: a.networkOptOut,
      noindex: a.networkOptOut,
      emojis: [],
      roles: [],
      fields: [],
    };
    if (suspended) json.suspended = true;
    return json;
  }

  const restricted = new Set((options.restrictedInstances ?? []).map((i) => i.toLowerCase()));
  const REQUIRES_AUTH: Reply = { status: 401, body: { error: 'This API requires an authenticated user' } };
  const isRestricted = (handle: string) => restricted.has(handle.split('@')[1] ?? '');

  const hostile = hostileInstance(options.hostile);

  function lookup(request: NetworkRequest): Reply {
    const hostileReply = hostile.lookup(request.query.get('acct') ?? '', base);
    if (hostileReply) return hostileReply;
    const admitted = admit();
    if ('status' in admitted) return admitted as Reply;
    const acct = request.query.get('acct');
    if (!acct) return { status: 400, body: { error: 'Missing field: acct' }, headers: admitted };
    if (isRestricted(acct.trim().replace(/^@/, '').toLowerCase())) return { ...REQUIRES_AUTH, headers: admitted };
    const account = findByAcct(acct);
    if (!account) return { ...NOT_FOUND, headers: admitted };
    if (isRestricted(account.handle)) return { ...REQUIRES_AUTH, headers: admitted };
    counters.read(1);
    return { status: 200, body: accountJson(account), headers: admitted };
  }

  function byId(id: string): Reply {
    const admitted = admit();
    if ('status' in admitted) return admitted as Reply;
    const account = population.accountById('mastodon', id);
    if (!account) return { ...NOT_FOUND, headers: admitted };
    counters.read(1);
    return { status: 200, body: accountJson(account), headers: admitted };
  }

  function statuses(request: NetworkRequest, id: string, base: string): Reply {
    const admitted = admit();
    if ('status' in admitted) return admitted as Reply;
    const account = population.accountById('mastodon', id);
    if (!account) return { ...NOT_FOUND, headers: admitted };
    if (isRestricted(account.handle)) return { ...REQUIRES_AUTH, headers: admitted };
    const q = request.query;
    // Mastodon clamps limit to 40 (default 20) instead of refusing.
    const limitText = Number.parseInt(q.get('limit') ?? '20', 10);
    const pageSize = Math.max(1, Math.min(40, Number.isNaN(limitText) ? 20 : limitText));
    const truthy = (name: string) => ['true', '1'].includes(q.get(name) ?? '');
    const excludeReplies = truthy('exclude_replies');
    const excludeReblogs = truthy('exclude_reblogs');
    const maxId = q.get('max_id');
    // Locked accounts show nothing to anonymous readers; suspended ones nothing at all.
    if (account.state === 'protected' || account.state === 'suspended')
      return { status: 200, body: [], headers: admitted };
    const [username = '', instance = ''] = account.handle.split('@');
    const timeline = population.recentPosts(account, Math.min(account.posts, 2000));
    const page: Record<string, unknown>[] = [];
    let lastId: string | undefined;
    for (const post of timeline) {
      if (maxId !== null && !(BigInt(post.id) < BigInt(/^\d+$/.test(maxId) ? maxId : '0'))) continue;
      if ((excludeReplies && post.isReply) || (excludeReblogs && post.isRepost)) continue;
      page.push({
        id: post.id,
        created_at: post.at,
        in_reply_to_id: post.isReply ? '1' : null,
        in_reply_to_account_id: post.isReply ? '1' : null,
        sensitive: false,
        spoiler_text: '',
        visibility: 'public',
        language: 'en',
        uri: `https://${instance}/users/${username}/statuses/${post.id}`,
        url: `https://${instance}/@${username}/${post.id}`,
        replies_count: post.replies,
        reblogs_count: post.reshares,
        favourites_count: post.likes,
        quotes_count: post.quotes,
        content: post.isRepost ? '' : '<p>…</p>',
        reblog: post.isRepost
          ? {
              id: `${post.id}0`,
              created_at: post.at,
              reblogs_count: post.reshares,
              favourites_count: post.likes,
              replies_count: post.replies,
            }
          : null,
        account: { id: account.id, username, acct: account.handle },
        media_attachments: [],
        mentions: [],
        tags: [],
        emojis: [],
      });
      lastId = post.id;
      if (page.length >= pageSize) break;
    }
    counters.batch('GET /api/v1/accounts/:id/statuses', pageSize);
    counters.read(page.length);
    const headers = { ...admitted };
    if (page.length > 0 && lastId) {
      const next = new URL(`${base}/api/v1/accounts/${id}/statuses`);
      for (const [k, v] of q) if (k !== 'max_id' && k !== 'min_id') next.searchParams.set(k, v);
      next.searchParams.set('max_id', lastId);
      const prev = new URL(next);
      prev.searchParams.delete('max_id');
      prev.searchParams.set('min_id', String((page[0] as { id: string }).id));
      headers.link = `<${next.toString()}>; rel="next", <${prev.toString()}>; rel="prev"`;
    }
    return { status: 200, body: page, headers };
  }

  function webfinger(request: NetworkRequest): Reply {
    const resource = (request.query.get('resource') ?? '').replace(/^acct:/, '');
    const account = resource.includes('@') ? population.account('mastodon', resource) : undefined;
    if (!account) return { status: 404, body: '' };
    const [username = '', instance = ''] = account.handle.split('@');
    return {
      status: 200,
      headers: { 'content-type': 'application/jrd+json; charset=utf-8' },
      body: {
        subject: `acct:${account.handle}`,
        aliases: [`https://${instance}/@${username}`, `https://${instance}/users/${username}`],
        links: [{ rel: 'self', type: 'application/activity+json', href: `https://${instance}/users/${username}` }],
      },
    };
  }

  let base = '';
  const server = await startNetworkServer(
    {
      routes: [
        {
          method: 'GET',
          pattern: /^\/api\/v1\/accounts\/lookup$/,
          endpoint: 'GET /api/v1/accounts/lookup',
          handle: lookup,
        },
        {
          method: 'GET',
          pattern: /^\/api\/v1\/accounts\/(\d+)\/statuses$/,
          endpoint: 'GET /api/v1/accounts/:id/statuses',
          handle: (r, m) => statuses(r, m[1] ?? '', base),
        },
        {
          method: 'GET',
          pattern: /^\/api\/v1\/accounts\/(\d+)$/,
          endpoint: 'GET /api/v1/accounts/:id',
          handle: (_r, m) => byId(m[1] ?? ''),
        },
        {
          method: 'GET',
          pattern: /^\/\.well-known\/webfinger$/,
          endpoint: 'GET /.well-known/webfinger',
          handle: webfinger,
        },
      ],
      notFound: () => NOT_FOUND,
      fault: (kind) =>
        kind === '429'
          ? {
              status: 429,
              body: { error: 'Too many requests' },
              headers: {
                'x-ratelimit-limit': String(limit.limit),
                'x-ratelimit-remaining': '0',
                'x-ratelimit-reset': isoMicro(clock() + 60_000),
              },
            }
          : { status: 503, body: { error: 'Service Unavailable' } },
    },
    { ...options, counters },
  );
  base = server.url;

  return {
    ...server,
    env: { MASTODON_API_BASE_URL: server.url },
    setRemaining: (remaining) => limit.setRemaining(remaining),
    hostileBytesSent: () => hostile.bytesSent(),
    hostileRedirectsInward: () => hostile.redirectsInward(),
  };
}
