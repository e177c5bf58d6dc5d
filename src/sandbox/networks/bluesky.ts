// Bluesky AppView emulator (public.api.bsky.app): app.bsky.actor.getProfile, getProfiles (≤ 25 actors, missing
// and taken-down actors silently omitted), app.bsky.feed.getAuthorFeed (limit 1–100, cursor, filter). XRPC error
// bodies `{error, message}` (400 InvalidRequest / AccountTakedown), `RateLimit-*` headers (reset in epoch
// seconds, policy `<limit>;w=<secs>`), 429 `RateLimitExceeded`. Facts: docs.bsky.app/docs/advanced-guides/rate-limits.
import { SandboxCounters } from '../counters.ts';
import type { Population, SandboxAccount } from '../population.ts';
import type { LimitSetting, NetworkRequest, NetworkServer, NetworkServerOptions, Reply } from './server.ts';
import { startNetworkServer, WindowLimit } from './server.ts';

export interface BlueskySandboxOptions extends NetworkServerOptions {
  population: Population;
  /** Per IP (the PDS publishes 3,000 per 5 minutes; the AppView is "generous"). */
  limits?: { requests?: LimitSetting };
  clock?: () => number;
}

export interface BlueskySandbox extends NetworkServer {
  env: { BLUESKY_API_BASE_URL: string };
  setRemaining(remaining: number): void;
}

const FEED_FILTERS = [
  'posts_with_replies',
  'posts_no_replies',
  'posts_with_media',
  'posts_and_author_threads',
  'posts_with_video',
];

function xrpcError(status: number, error: string, message: string): Reply {
  return { status, body: { error, message } };
}

export async function startBlueskySandbox(options: BlueskySandboxOptions): Promise<BlueskySandbox> {
  const { population } = options;
  const clock = options.clock ?? Date.now;
  const counters = new SandboxCounters();
  const windowSeconds = options.limits?.requests?.windowSeconds ?? 300;
  const limit = new WindowLimit(options.limits?.requests?.limit ?? 3000, windowSeconds * 1000, clock);

  function rateHeaders(remaining: number, resetMs: number): Record<string, string> {
    return {
      'ratelimit-limit': String(limit.limit),
      'ratelimit-remaining': String(remaining),
      'ratelimit-reset': String(Math.ceil(resetMs / 1000)),
      'ratelimit-policy': `${limit.limit};w=${windowSeconds}`,
    };
  }

  function admit(): Reply | Record<string, string> {
    const state = limit.take();
    const headers = rateHeaders(state.remaining, state.resetMs);
    if (!state.allowed) return { ...xrpcError(429, 'RateLimitExceeded', 'Rate Limit Exceeded'), headers };
    return headers;
  }

  function resolve(actor: string): SandboxAccount | undefined {
    const cleaned = actor.trim().replace(/^@/, '');
    return cleaned.startsWith('did:')
      ? population.accountById('bluesky', cleaned)
      : population.account('bluesky', cleaned.toLowerCase());
  }

  function labels(a: SandboxAccount): Record<string, unknown>[] {
    if (!a.networkOptOut) return [];
    return [
      {
        src: a.id,
        uri: `at://${a.id}/app.bsky.actor.profile/self`,
        cid: 'bafyreisandbox',
        val: '!no-unauthenticated',
        cts: a.createdAt,
      },
    ];
  }

  function profileJson(a: SandboxAccount): Record<string, unknown> {
    return {
      did: a.id,
      handle: a.handle,
      displayName: a.displayName,
      description: '',
      avatar: `https://cdn.bsky.app/img/avatar/plain/${a.id}/sandbox@jpeg`,
      associated: { lists: 0, feedgens: 0, starterPacks: 0, labeler: false },
      followersCount: a.followers,
      followsCount: a.following,
      postsCount: a.posts,
      indexedAt: a.lastPostAt ?? a.createdAt,
      createdAt: a.createdAt,
      viewer: { muted: false, blockedBy: false },
      labels: labels(a),
      verification: { verifications: [], verifiedStatus: a.verified ? 'valid' : 'none', trustedVerifierStatus: 'none' },
    };
  }

  function actorParam(value: string | null, name: string): Reply | undefined {
    if (value === null || value.length === 0)
      return xrpcError(400, 'InvalidRequest', `Error: Params must have the property "${name}"`);
    if (!/^(did:[a-z]+:[A-Za-z0-9._:%-]+|[A-Za-z0-9.-]+\.[A-Za-z]{2,})$/.test(value)) {
      return xrpcError(400, 'InvalidRequest', `Error: ${name} must be a valid did or a handle`);
    }
    return undefined;
  }

  function getProfile(request: NetworkRequest): Reply {
    const admitted = admit();
    if ('status' in admitted) return admitted as Reply;
    const actor = request.query.get('actor');
    const invalid = actorParam(actor, 'actor');
    if (invalid) return { ...invalid, headers: admitted };
    const a = resolve(actor ?? '');
    if (!a) return { ...xrpcError(400, 'InvalidRequest', 'Profile not found'), headers: admitted };
    if (a.state === 'suspended')
      return { ...xrpcError(400, 'AccountTakedown', 'Account has been suspended'), headers: admitted };
    counters.read(1);
    return { status: 200, body: profileJson(a), headers: admitted };
  }

  function getProfiles(request: NetworkRequest): Reply {
    const admitted = admit();
    if ('status' in admitted) return admitted as Reply;
    // XRPC arrays are repeated parameters (`actors=a&actors=b`), not comma lists.
    const actors = request.query.getAll('actors');
    counters.batch('GET /xrpc/app.bsky.actor.getProfiles', actors.length);
    if (actors.length === 0)
      return {
        ...xrpcError(400, 'InvalidRequest', 'Error: Params must have the property "actors"'),
        headers: admitted,
      };
    if (actors.length > 25)
      return {
        ...xrpcError(400, 'InvalidRequest', 'Error: actors must not have more than 25 elements'),
        headers: admitted,
      };
    for (const [i, actor] of actors.entries()) {
      const invalid = actorParam(actor, `actors/${i}`);
      if (invalid) return { ...invalid, headers: admitted };
    }
    const profiles = actors
      .map(resolve)
      .filter((a): a is SandboxAccount => a !== undefined && a.state !== 'suspended')
      .map(profileJson);
    counters.read(profiles.length);
    return { status: 200, body: { profiles }, headers: admitted };
  }

  function getAuthorFeed(request: NetworkRequest): Reply {
    const admitted = admit();
    if ('status' in admitted) return admitted as Reply;
    const q = request.query;
    const actor = q.get('actor');
    const invalid = actorParam(actor, 'actor');
    if (invalid) return { ...invalid, headers: admitted };
    const limitText = q.get('limit');
    const pageSize = limitText === null ? 50 : Number(limitText);
    if (!Number.isInteger(pageSize) || pageSize < 1)
      return { ...xrpcError(400, 'InvalidRequest', 'Error: limit can not be less than 1'), headers: admitted };
    if (pageSize > 100)
      return { ...xrpcError(400, 'InvalidRequest', 'Error: limit can not be greater than 100'), headers: admitted };
    const filter = q.get('filter') ?? 'posts_with_replies';
    if (!FEED_FILTERS.includes(filter)) {
      return {
        ...xrpcError(
          400,
          'InvalidRequest',
          `Error: filter must be one of (${FEED_FILTERS.map((f) => `"${f}"`).join('|')})`,
        ),
        headers: admitted,
      };
    }
    const a = resolve(actor ?? '');
    if (!a) return { ...xrpcError(400, 'InvalidRequest', 'Profile not found'), headers: admitted };
    if (a.state === 'suspended')
      return { ...xrpcError(400, 'AccountTakedown', 'Account has been suspended'), headers: admitted };
    const cursorText = q.get('cursor');
    const offset = cursorText === null ? 0 : Number(cursorText);
    if (!Number.isInteger(offset) || offset < 0)
      return { ...xrpcError(400, 'InvalidRequest', 'Error: malformed cursor'), headers: admitted };
    const timeline = population.recentPosts(a, Math.min(a.posts, offset + pageSize * 3 + 50));
    const author = {
      did: a.id,
      handle: a.handle,
      displayName: a.displayName,
      labels: labels(a),
      createdAt: a.createdAt,
    };
    const feed: Record<string, unknown>[] = [];
    let cursor = offset;
    while (cursor < timeline.length && feed.length < pageSize) {
      const post = timeline[cursor++];
      if (!post) break;
      // posts_no_replies drops replies; media/video filters are approximated by "every third post has media".
      if (filter === 'posts_no_replies' && post.isReply) continue;
      if ((filter === 'posts_with_media' || filter === 'posts_with_video') && cursor % 3 !== 0) continue;
      const uri = post.id;
      const item: Record<string, unknown> = {
        post: {
          uri,
          cid: `bafyrei${uri.slice(-12)}`,
          author: post.isRepost
            ? {
                did: 'did:plc:someoneelse00000000000000',
                handle: 'someone.bsky.social',
                displayName: 'Someone',
                labels: [],
              }
            : author,
          record: { $type: 'app.bsky.feed.post', text: '…', createdAt: post.at, langs: ['en'] },
          replyCount: post.replies,
          repostCount: post.reshares,
          likeCount: post.likes,
          quoteCount: post.quotes,
          bookmarkCount: Math.floor(post.likes / 25),
          indexedAt: post.at,
          labels: [],
        },
      };
      if (post.isRepost) item.reason = { $type: 'app.bsky.feed.defs#reasonRepost', by: author, indexedAt: post.at };
      if (post.isReply) {
        const parent = { $type: 'app.bsky.feed.defs#notFoundPost', uri: `${uri}-parent`, notFound: true };
        (item.post as { record: Record<string, unknown> }).record.reply = {
          root: { uri: parent.uri, cid: 'bafyreiparent' },
          parent: { uri: parent.uri, cid: 'bafyreiparent' },
        };
        item.reply = { root: parent, parent };
      }
      feed.push(item);
    }
    counters.batch('GET /xrpc/app.bsky.feed.getAuthorFeed', pageSize);
    counters.read(feed.length);
    const body: Record<string, unknown> = { feed };
    if (cursor < timeline.length) body.cursor = String(cursor);
    return { status: 200, body, headers: admitted };
  }

  const server = await startNetworkServer(
    {
      routes: [
        {
          method: 'GET',
          pattern: /^\/xrpc\/app\.bsky\.actor\.getProfiles$/,
          endpoint: 'GET /xrpc/app.bsky.actor.getProfiles',
          handle: getProfiles,
        },
        {
          method: 'GET',
          pattern: /^\/xrpc\/app\.bsky\.actor\.getProfile$/,
          endpoint: 'GET /xrpc/app.bsky.actor.getProfile',
          handle: getProfile,
        },
        {
          method: 'GET',
          pattern: /^\/xrpc\/app\.bsky\.feed\.getAuthorFeed$/,
          endpoint: 'GET /xrpc/app.bsky.feed.getAuthorFeed',
          handle: getAuthorFeed,
        },
      ],
      notFound: (request) =>
        request.path.startsWith('/xrpc/')
          ? xrpcError(501, 'MethodNotImplemented', 'Method Not Implemented')
          : { status: 404, body: { error: 'NotFound', message: 'Not Found' } },
      badJson: () => xrpcError(400, 'InvalidRequest', 'Invalid JSON'),
      fault: (kind) =>
        kind === '429'
          ? { ...xrpcError(429, 'RateLimitExceeded', 'Rate Limit Exceeded'), headers: rateHeaders(0, clock() + 60_000) }
          : xrpcError(502, 'UpstreamFailure', 'Upstream Failure'),
    },
    { ...options, counters },
  );

  return {
    ...server,
    env: { BLUESKY_API_BASE_URL: server.url },
    setRemaining: (remaining) => limit.setRemaining(remaining),
  };
}
