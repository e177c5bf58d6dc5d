// GitHub emulator: REST `/users/:login`, `/users/:login/repos` (Link pagination), `/rate_limit`, and
// `POST /graphql` for a documented subset (below). `x-ratelimit-*` headers per resource (core 60/h anonymous,
// 5,000/h with a token; graphql 5,000 points/h), 404 `{message, documentation_url, status}`, primary limit as 403
// with remaining 0, secondary limit (fault schedule) as 403 or 429 with `retry-after`. Facts: docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api.
//
// GraphQL subset: `user(login:)` → login name company bio location websiteUrl twitterUsername createdAt updatedAt
// databaseId id url avatarUrl __typename, followers/following { totalCount },
// repositories(first ≤ 100, after, ownerAffiliations, isFork, privacy, orderBy {field, direction})
//   { totalCount pageInfo { hasNextPage endCursor } nodes|edges { node cursor } { name nameWithOwner description
//     stargazerCount forkCount isFork isArchived pushedAt createdAt updatedAt url } },
// contributionsCollection { totalCommitContributions contributionCalendar { totalContributions } };
// `rateLimit { limit cost remaining resetAt used nodeCount }`. Aliases and $variables work; fragments do not.
import { randomBytes } from 'node:crypto';

import { SandboxCounters } from '../counters.ts';
import type { Population, SandboxAccount, SandboxRepo } from '../population.ts';
import type { GqlField } from './graphql.ts';
import { enumValue, GqlSyntaxError, parseQuery } from './graphql.ts';
import type { LimitSetting, NetworkRequest, NetworkServer, NetworkServerOptions, Reply } from './server.ts';
import { bearerToken, startNetworkServer, WindowLimit } from './server.ts';

const DOCS = 'https://docs.github.com';
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const MAX_REPOS = 3000;

/** The GraphQL subset's schema: field → object type it returns (null = scalar). Validated before resolving. */
const SCHEMA: Record<string, Record<string, string | null>> = {
  Query: { user: 'User', rateLimit: 'RateLimit' },
  User: {
    login: null,
    name: null,
    company: null,
    bio: null,
    location: null,
    websiteUrl: null,
    twitterUsername: null,
    createdAt: null,
    updatedAt: null,
    databaseId: null,
    id: null,
    url: null,
    avatarUrl: null,
    isHireable: null,
    isBountyHunter: null,
    followers: 'FollowerConnection',
    following: 'FollowingConnection',
    repositories: 'RepositoryConnection',
    contributionsCollection: 'ContributionsCollection',
  },
  FollowerConnection: { totalCount: null },
  FollowingConnection: { totalCount: null },
  RepositoryConnection: { totalCount: null, nodes: 'Repository', edges: 'RepositoryEdge', pageInfo: 'PageInfo' },
  RepositoryEdge: { node: 'Repository', cursor: null },
  Repository: {
    name: null,
    nameWithOwner: null,
    description: null,
    stargazerCount: null,
    forkCount: null,
    isFork: null,
    isArchived: null,
    isPrivate: null,
    pushedAt: null,
    createdAt: null,
    updatedAt: null,
    url: null,
  },
  PageInfo: { hasNextPage: null, hasPreviousPage: null, endCursor: null, startCursor: null },
  RateLimit: { limit: null, cost: null, remaining: null, resetAt: null, used: null, nodeCount: null },
  ContributionsCollection: {
    totalCommitContributions: null,
    totalPullRequestContributions: null,
    totalIssueContributions: null,
    contributionCalendar: 'ContributionCalendar',
  },
  ContributionCalendar: { totalContributions: null },
};

export interface GitHubSandboxOptions extends NetworkServerOptions {
  population: Population;
  token?: string;
  limits?: { anonymous?: LimitSetting; authenticated?: LimitSetting; graphql?: LimitSetting };
  /** Status of a secondary-rate-limit answer (fault schedule `status429`): GitHub sends 403 or 429. */
  secondaryLimitStatus?: 403 | 429;
  clock?: () => number;
}

export interface GitHubSandbox extends NetworkServer {
  env: { GITHUB_API_BASE_URL: string; GITHUB_TOKEN: string };
  setRemaining(resource: 'core' | 'graphql', remaining: number, authenticated?: boolean): void;
  /** Requests refused for the primary rate limit (REST 403, GraphQL RATE_LIMITED): 0 while callers keep to it. */
  rateLimited(): number;
  /** Profiles served (REST user or GraphQL `user`), per account handle. */
  profileReads(): ReadonlyMap<string, number>;
}

function message(status: number, text: string, docs: string): Reply {
  return { status, body: { message: text, documentation_url: docs, status: String(status) } };
}

function nodeId(prefix: string, id: number | string): string {
  return `${prefix}_${Buffer.from(`0:${id}`).toString('base64url')}`;
}

export async function startGitHubSandbox(options: GitHubSandboxOptions): Promise<GitHubSandbox> {
  const { population } = options;
  const token = options.token ?? `ghp_${randomBytes(18).toString('base64url')}`;
  const clock = options.clock ?? Date.now;
  const counters = new SandboxCounters();
  const setting = (s: LimitSetting | undefined, limit: number) =>
    new WindowLimit(s?.limit ?? limit, (s?.windowSeconds ?? 3600) * 1000, clock);
  const limits = {
    anonymous: setting(options.limits?.anonymous, 60),
    authenticated: setting(options.limits?.authenticated, 5000),
    graphql: setting(options.limits?.graphql, 5000),
  };
  let base = '';
  let rateLimited = 0;
  const profileReads = new Map<string, number>();

  function rateHeaders(
    limit: WindowLimit,
    state: { remaining: number; used: number; resetMs: number },
    resource: string,
  ): Record<string, string> {
    return {
      'x-ratelimit-limit': String(limit.limit),
      'x-ratelimit-remaining': String(state.remaining),
      'x-ratelimit-used': String(state.used),
      'x-ratelimit-reset': String(Math.ceil(state.resetMs / 1000)),
      'x-ratelimit-resource': resource,
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
    };
  }

  /** Auth + primary limit for a REST call. Returns headers, or the finished reply. */
  function admitRest(request: NetworkRequest): Reply | Record<string, string> {
    const presented = bearerToken(request.headers);
    if (presented !== undefined && presented !== token) return message(401, 'Bad credentials', `${DOCS}/rest`);
    const limit = presented === undefined ? limits.anonymous : limits.authenticated;
    const state = limit.take();
    const headers = rateHeaders(limit, state, 'core');
    if (!state.allowed) {
      rateLimited += 1;
      const text =
        presented === undefined
          ? "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)"
          : 'API rate limit exceeded for user ID 1.';
      return { ...message(403, text, `${DOCS}/rest/overview/rate-limits-for-the-rest-api`), headers };
    }
    return headers;
  }

  function resolveUser(login: string): SandboxAccount | undefined {
    if (!LOGIN.test(login)) return undefined;
    const account = population.account('github', login);
    // Suspended and deleted users look like users that never existed.
    return account && account.state !== 'suspended' ? account : undefined;
  }

  function userJson(account: SandboxAccount): Record<string, unknown> {
    const id = Number(account.id);
    const login = account.displayHandle;
    return {
      login,
      id,
      node_id: nodeId(account.kind === 'brand' ? 'O' : 'U', id),
      avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
      url: `${base}/users/${login}`,
      html_url: `https://github.com/${login}`,
      repos_url: `${base}/users/${login}/repos`,
      type:
        account.kind === 'brand' ? 'Organization' : account.kind === 'bot' && account.followers < 5 ? 'Bot' : 'User',
      site_admin: false,
      name: account.displayName,
      company: null,
      blog: '',
      location: null,
      email: null,
      hireable: null,
      bio: account.kind === 'bot' ? 'automation' : null,
      twitter_username: null,
      public_repos: account.posts,
      public_gists: Math.floor(account.posts / 7),
      followers: account.followers,
      following: account.following,
      created_at: account.createdAt.replace(/\.\d{3}Z$/, 'Z'),
      updated_at: (account.lastPostAt ?? account.createdAt).replace(/\.\d{3}Z$/, 'Z'),
    };
  }

  function allRepos(account: SandboxAccount): SandboxRepo[] {
    return population.repos(account, Math.min(MAX_REPOS, account.posts));
  }

  function repoJson(account: SandboxAccount, repo: SandboxRepo, k: number): Record<string, unknown> {
    const id = Number(account.id) * 1000 + k;
    const owner = account.displayHandle;
    const noMs = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');
    return {
      id,
      node_id: nodeId('R', id),
      name: repo.name,
      full_name: `${owner}/${repo.name}`,
      private: false,
      owner: { login: owner, id: Number(account.id), type: account.kind === 'brand' ? 'Organization' : 'User' },
      html_url: `https://github.com/${owner}/${repo.name}`,
      description: null,
      fork: repo.fork,
      url: `${base}/repos/${owner}/${repo.name}`,
      created_at: noMs(repo.createdAt),
      updated_at: noMs(repo.pushedAt),
      pushed_at: noMs(repo.pushedAt),
      stargazers_count: repo.stars,
      watchers_count: repo.stars,
      forks_count: repo.forks,
      forks: repo.forks,
      open_issues_count: Math.floor(repo.stars / 50),
      archived: repo.archived,
      disabled: false,
      visibility: 'public',
      language: null,
      default_branch: 'main',
      size: 100 + (k % 900),
    };
  }

  function sortRepos(repos: SandboxRepo[], sort: string, direction: string): { repo: SandboxRepo; k: number }[] {
    const indexed = repos.map((repo, k) => ({ repo, k }));
    const key: Record<string, (r: SandboxRepo) => string> = {
      pushed: (r) => r.pushedAt,
      updated: (r) => r.pushedAt,
      created: (r) => r.createdAt,
      full_name: (r) => r.name,
    };
    const by = key[sort] ?? key.full_name ?? ((r: SandboxRepo) => r.name);
    indexed.sort((a, b) => (by(a.repo) < by(b.repo) ? -1 : by(a.repo) > by(b.repo) ? 1 : a.k - b.k));
    if (direction === 'desc') indexed.reverse();
    return indexed;
  }

  function getUser(request: NetworkRequest, login: string): Reply {
    const admitted = admitRest(request);
    if ('status' in admitted) return admitted as Reply;
    const account = resolveUser(login);
    if (!account) return { ...message(404, 'Not Found', `${DOCS}/rest/users/users#get-a-user`), headers: admitted };
    counters.read(1);
    profileReads.set(account.handle, (profileReads.get(account.handle) ?? 0) + 1);
    return { status: 200, body: userJson(account), headers: admitted };
  }

  function getRepos(request: NetworkRequest, login: string): Reply {
    const admitted = admitRest(request);
    if ('status' in admitted) return admitted as Reply;
    const account = resolveUser(login);
    if (!account)
      return {
        ...message(404, 'Not Found', `${DOCS}/rest/repos/repos#list-repositories-for-a-user`),
        headers: admitted,
      };
    const q = request.query;
    const type = q.get('type') ?? 'owner';
    if (!['all', 'owner', 'member'].includes(type)) {
      return {
        status: 422,
        headers: admitted,
        body: {
          message: 'Validation Failed',
          errors: [{ resource: 'Search', field: 'type', code: 'invalid' }],
          documentation_url: `${DOCS}/rest/repos/repos#list-repositories-for-a-user`,
          status: '422',
        },
      };
    }
    const perPage = Math.max(1, Math.min(100, Number.parseInt(q.get('per_page') ?? '30', 10) || 30));
    const page = Math.max(1, Number.parseInt(q.get('page') ?? '1', 10) || 1);
    const sort = q.get('sort') ?? 'full_name';
    const direction = q.get('direction') ?? (sort === 'full_name' ? 'asc' : 'desc');
    const repos = type === 'member' ? [] : sortRepos(allRepos(account), sort, direction);
    const slice = repos.slice((page - 1) * perPage, page * perPage);
    counters.batch('GET /users/:login/repos', perPage);
    counters.read(slice.length);
    const last = Math.max(1, Math.ceil(repos.length / perPage));
    const headers = { ...admitted };
    if (page < last) {
      const link = (n: number) => {
        const url = new URL(`${base}/user/${account.id}/repos`);
        for (const [k, v] of q) if (k !== 'page') url.searchParams.set(k, v);
        url.searchParams.set('page', String(n));
        return url.toString();
      };
      headers.link = `<${link(page + 1)}>; rel="next", <${link(last)}>; rel="last"`;
    }
    return { status: 200, body: slice.map(({ repo, k }) => repoJson(account, repo, k)), headers };
  }

  function rateLimitStatus(request: NetworkRequest): Reply {
    const presented = bearerToken(request.headers);
    if (presented !== undefined && presented !== token) return message(401, 'Bad credentials', `${DOCS}/rest`);
    const core = presented === undefined ? limits.anonymous : limits.authenticated;
    const view = (limit: WindowLimit) => {
      const s = limit.take(0);
      return { limit: limit.limit, remaining: s.remaining, reset: Math.ceil(s.resetMs / 1000), used: s.used };
    };
    const resources = { core: view(core), graphql: view(limits.graphql) };
    return { status: 200, body: { resources, rate: resources.core } };
  }

  // ------------------------------------------------------------------ GraphQL

  class FieldError extends Error {
    readonly entry: Record<string, unknown>;

    constructor(entry: Record<string, unknown>) {
      super(String(entry.message));
      this.entry = entry;
    }
  }

  function undefinedField(field: GqlField, typeName: string, path: (string | number)[]): never {
    throw new FieldError({
      path: [...path, field.alias],
      extensions: { code: 'undefinedField', typeName, fieldName: field.name },
      locations: [{ line: field.line, column: field.column }],
      message: `Field '${field.name}' doesn't exist on type '${typeName}'`,
    });
  }

  /** Checks the document against SCHEMA (fields exist, objects have selections, scalars none, pagination bounds). */
  function validate(fields: GqlField[], typeName: string, path: (string | number)[]): void {
    const type = SCHEMA[typeName] ?? {};
    for (const f of fields) {
      if (f.name === '__typename') continue;
      if (!(f.name in type)) undefinedField(f, typeName, path);
      const returns = type[f.name];
      const here = [...path, f.alias];
      const where = { path: here, locations: [{ line: f.line, column: f.column }] };
      if (returns && f.selections.length === 0) {
        throw new FieldError({
          ...where,
          extensions: { code: 'selectionMismatch', nodeName: `field '${f.name}'`, typeName: returns },
          message: `Field must have selections (field '${f.name}' returns ${returns} but has no selections. Did you mean '${f.name} { ... }'?)`,
        });
      }
      if (!returns && f.selections.length > 0) {
        throw new FieldError({
          ...where,
          extensions: { code: 'selectionMismatch', nodeName: `field '${f.name}'`, typeName },
          message: `Selections can't be made on scalars (field '${f.name}' returns a scalar but has selections [${f.selections.map((x) => x.name).join(', ')}])`,
        });
      }
      // Like GitHub, `first`/`last` are needed only when nodes or edges are asked for (`{ totalCount }` alone is fine).
      const bounded = f.args.first !== undefined || f.args.last !== undefined;
      if (f.name === 'repositories' && (bounded || f.selections.some((x) => x.name === 'nodes' || x.name === 'edges')))
        connectionCount(f, 'repositories');
      if (f.name === 'user' && typeof f.args.login !== 'string') {
        throw new FieldError({
          ...where,
          extensions: { code: 'missingRequiredArguments', className: 'Field', name: 'user', arguments: 'login' },
          message: "Field 'user' is missing required arguments: login",
        });
      }
      if (returns) validate(f.selections, returns, here);
    }
  }

  function connectionCount(field: GqlField, name: string): number {
    const first = field.args.first;
    const last = field.args.last;
    const n = typeof first === 'number' ? first : typeof last === 'number' ? last : undefined;
    if (n === undefined) {
      throw new FieldError({
        path: [field.alias],
        locations: [{ line: field.line, column: field.column }],
        message: `You must provide a \`first\` or \`last\` value to properly paginate the \`${name}\` connection.`,
        type: 'MISSING_PAGINATION_BOUNDARIES',
      });
    }
    if (n < 0 || n > 100) {
      throw new FieldError({
        path: [field.alias],
        locations: [{ line: field.line, column: field.column }],
        message: `Requesting ${n} records on the \`${name}\` connection exceeds the \`first\` limit of 100 records.`,
        type: 'EXCESSIVE_PAGINATION',
      });
    }
    return n;
  }

  function scalarSelections(
    fields: GqlField[],
    typeName: string,
    values: Record<string, unknown>,
    path: (string | number)[],
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      if (f.name === '__typename') {
        out[f.alias] = typeName;
        continue;
      }
      if (!(f.name in values)) undefinedField(f, typeName, path);
      out[f.alias] = values[f.name];
    }
    return out;
  }

  function repoNode(
    account: SandboxAccount,
    repo: SandboxRepo,
    fields: GqlField[],
    path: (string | number)[],
  ): Record<string, unknown> {
    return scalarSelections(
      fields,
      'Repository',
      {
        name: repo.name,
        nameWithOwner: `${account.displayHandle}/${repo.name}`,
        description: null,
        stargazerCount: repo.stars,
        forkCount: repo.forks,
        isFork: repo.fork,
        isArchived: repo.archived,
        isPrivate: false,
        pushedAt: repo.pushedAt.replace(/\.\d{3}Z$/, 'Z'),
        createdAt: repo.createdAt.replace(/\.\d{3}Z$/, 'Z'),
        updatedAt: repo.pushedAt.replace(/\.\d{3}Z$/, 'Z'),
        url: `https://github.com/${account.displayHandle}/${repo.name}`,
      },
      path,
    );
  }

  function repositories(
    account: SandboxAccount,
    field: GqlField,
    path: (string | number)[],
    cost: { connections: number },
  ): Record<string, unknown> {
    const wantsNodes = field.selections.some((x) => x.name === 'nodes' || x.name === 'edges');
    const n = wantsNodes ? connectionCount(field, 'repositories') : 0;
    cost.connections++;
    const isFork = field.args.isFork;
    // GraphQL input coercion: a single enum stands for a one-element list.
    const given = field.args.ownerAffiliations;
    const affiliations = Array.isArray(given)
      ? given.map(enumValue)
      : given === undefined || given === null
        ? ['OWNER', 'COLLABORATOR']
        : [enumValue(given)];
    let list = affiliations.includes('OWNER') ? allRepos(account).map((repo, k) => ({ repo, k })) : [];
    if (typeof isFork === 'boolean') list = list.filter(({ repo }) => repo.fork === isFork);
    const orderBy = field.args.orderBy;
    if (orderBy !== null && typeof orderBy === 'object' && !Array.isArray(orderBy) && !('enum' in orderBy)) {
      const by = enumValue(orderBy.field);
      const dir = enumValue(orderBy.direction) ?? 'ASC';
      const key: Record<string, (r: SandboxRepo) => string | number> = {
        STARGAZERS: (r) => r.stars,
        PUSHED_AT: (r) => r.pushedAt,
        UPDATED_AT: (r) => r.pushedAt,
        CREATED_AT: (r) => r.createdAt,
        NAME: (r) => r.name,
      };
      const fn = by ? key[by] : undefined;
      if (fn) {
        list.sort((a, b) => (fn(a.repo) < fn(b.repo) ? -1 : fn(a.repo) > fn(b.repo) ? 1 : a.k - b.k));
        if (dir === 'DESC') list.reverse();
      }
    }
    const after =
      typeof field.args.after === 'string'
        ? Number.parseInt(
            Buffer.from(field.args.after, 'base64')
              .toString('utf8')
              .replace(/^cursor:/, ''),
            10,
          )
        : 0;
    const start = Number.isInteger(after) && after > 0 ? after : 0;
    const page = list.slice(start, start + n);
    counters.read(page.length);
    const cursorOf = (i: number) => Buffer.from(`cursor:${start + i + 1}`).toString('base64');
    const out: Record<string, unknown> = {};
    for (const f of field.selections) {
      const here = [...path, f.alias];
      switch (f.name) {
        case '__typename':
          out[f.alias] = 'RepositoryConnection';
          break;
        case 'totalCount':
          out[f.alias] = list.length;
          break;
        case 'nodes':
          out[f.alias] = page.map(({ repo }, i) => repoNode(account, repo, f.selections, [...here, i]));
          break;
        case 'edges':
          out[f.alias] = page.map(({ repo }, i) =>
            scalarSelectionsWithNode(
              f.selections,
              () =>
                repoNode(account, repo, f.selections.find((s) => s.name === 'node')?.selections ?? [], [
                  ...here,
                  i,
                  'node',
                ]),
              cursorOf(i),
              [...here, i],
            ),
          );
          break;
        case 'pageInfo':
          out[f.alias] = scalarSelections(
            f.selections,
            'PageInfo',
            {
              hasNextPage: start + n < list.length,
              hasPreviousPage: start > 0,
              endCursor: page.length > 0 ? cursorOf(page.length - 1) : null,
              startCursor: page.length > 0 ? cursorOf(0) : null,
            },
            here,
          );
          break;
        default:
          undefinedField(f, 'RepositoryConnection', path);
      }
    }
    return out;
  }

  function scalarSelectionsWithNode(
    fields: GqlField[],
    node: () => Record<string, unknown>,
    cursor: string,
    path: (string | number)[],
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      if (f.name === 'node') out[f.alias] = node();
      else if (f.name === 'cursor') out[f.alias] = cursor;
      else if (f.name === '__typename') out[f.alias] = 'RepositoryEdge';
      else undefinedField(f, 'RepositoryEdge', path);
    }
    return out;
  }

  function userObject(
    account: SandboxAccount,
    field: GqlField,
    cost: { connections: number },
  ): Record<string, unknown> {
    const scalars: Record<string, unknown> = {
      login: account.displayHandle,
      name: account.displayName,
      company: null,
      bio: null,
      location: null,
      websiteUrl: null,
      twitterUsername: null,
      createdAt: account.createdAt.replace(/\.\d{3}Z$/, 'Z'),
      updatedAt: (account.lastPostAt ?? account.createdAt).replace(/\.\d{3}Z$/, 'Z'),
      databaseId: Number(account.id),
      id: nodeId('U', account.id),
      url: `https://github.com/${account.displayHandle}`,
      avatarUrl: `https://avatars.githubusercontent.com/u/${account.id}?v=4`,
      isHireable: false,
      isBountyHunter: false,
    };
    const out: Record<string, unknown> = {};
    const path = [field.alias];
    for (const f of field.selections) {
      const here = [...path, f.alias];
      if (f.name === '__typename') out[f.alias] = 'User';
      else if (f.name === 'followers' || f.name === 'following') {
        out[f.alias] = scalarSelections(
          f.selections,
          f.name === 'followers' ? 'FollowerConnection' : 'FollowingConnection',
          { totalCount: f.name === 'followers' ? account.followers : account.following },
          here,
        );
      } else if (f.name === 'repositories') out[f.alias] = repositories(account, f, here, cost);
      else if (f.name === 'contributionsCollection') {
        // Commits in the last year follow the account's activity.
        const yearly = account.state === 'dormant' ? 0 : Math.round(account.postsPerDay * 365 * 8);
        const totals = {
          totalCommitContributions: yearly,
          totalPullRequestContributions: Math.round(yearly / 10),
          totalIssueContributions: Math.round(yearly / 20),
        };
        const collection: Record<string, unknown> = {};
        for (const s of f.selections) {
          if (s.name === 'contributionCalendar') {
            collection[s.alias] = scalarSelections(
              s.selections,
              'ContributionCalendar',
              { totalContributions: Math.round(yearly * 1.15) },
              [...here, s.alias],
            );
          } else Object.assign(collection, scalarSelections([s], 'ContributionsCollection', totals, here));
        }
        out[f.alias] = collection;
      } else if (f.name in scalars) out[f.alias] = scalars[f.name];
      else undefinedField(f, 'User', path);
    }
    return out;
  }

  function graphql(request: NetworkRequest): Reply {
    const presented = bearerToken(request.headers);
    if (presented !== token) {
      return message(
        401,
        presented === undefined ? 'This endpoint requires you to be authenticated.' : 'Bad credentials',
        `${DOCS}/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql`,
      );
    }
    const body = request.body as { query?: unknown; variables?: unknown } | undefined;
    if (typeof body?.query !== 'string') {
      return {
        status: 200,
        body: { errors: [{ message: 'A query attribute must be specified and must be a string.' }] },
      };
    }
    const variables =
      body.variables !== null && typeof body.variables === 'object' ? (body.variables as Record<string, unknown>) : {};
    let selections: GqlField[];
    try {
      selections = parseQuery(body.query, variables);
    } catch (error) {
      if (error instanceof GqlSyntaxError) {
        return {
          status: 200,
          body: { errors: [{ message: error.message, locations: [{ line: error.line, column: error.column }] }] },
        };
      }
      throw error;
    }
    const cost = { connections: 0 };
    const data: Record<string, unknown> = {};
    const errors: Record<string, unknown>[] = [];
    let rateField: GqlField | undefined;
    const users = selections.filter((f) => f.name === 'user');
    counters.batch('POST /graphql', users.length);
    try {
      validate(selections, 'Query', []);
      for (const f of selections) {
        if (f.name === 'rateLimit') {
          rateField = f;
          continue;
        }
        if (f.name !== 'user') undefinedField(f, 'Query', []);
        const login = typeof f.args.login === 'string' ? f.args.login : '';
        const account = resolveUser(login);
        if (!account || account.kind === 'brand') {
          data[f.alias] = null;
          errors.push({
            type: 'NOT_FOUND',
            path: [f.alias],
            locations: [{ line: f.line, column: f.column }],
            message: `Could not resolve to a User with the login of '${login}'.`,
          });
          continue;
        }
        counters.read(1);
        profileReads.set(account.handle, (profileReads.get(account.handle) ?? 0) + 1);
        data[f.alias] = userObject(account, f, cost);
      }
    } catch (error) {
      // Schema errors (unknown field, bad pagination) fail the whole document, like GitHub's validation step.
      if (error instanceof FieldError) return { status: 200, body: { errors: [error.entry] } };
      throw error;
    }
    const points = Math.max(1, Math.ceil(cost.connections / 100));
    const state = limits.graphql.take(points);
    const headers = rateHeaders(limits.graphql, state, 'graphql');
    if (!state.allowed) {
      rateLimited += 1;
      return {
        status: 200,
        headers,
        body: { errors: [{ type: 'RATE_LIMITED', message: 'API rate limit exceeded for user ID 1.' }] },
      };
    }
    if (rateField) {
      data[rateField.alias] = scalarSelections(
        rateField.selections,
        'RateLimit',
        {
          limit: limits.graphql.limit,
          cost: points,
          remaining: state.remaining,
          used: state.used,
          resetAt: new Date(state.resetMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          nodeCount: cost.connections * 100,
        },
        [rateField.alias],
      );
    }
    return { status: 200, headers, body: errors.length > 0 ? { data, errors } : { data } };
  }

  const secondaryStatus = options.secondaryLimitStatus ?? 403;
  const server = await startNetworkServer(
    {
      routes: [
        {
          method: 'GET',
          pattern: /^\/users\/([^/]+)$/,
          endpoint: 'GET /users/:login',
          handle: (r, m) => getUser(r, decodeURIComponent(m[1] ?? '')),
        },
        {
          method: 'GET',
          pattern: /^\/users\/([^/]+)\/repos$/,
          endpoint: 'GET /users/:login/repos',
          handle: (r, m) => getRepos(r, decodeURIComponent(m[1] ?? '')),
        },
        {
          method: 'GET',
          pattern: /^\/user\/(\d+)\/repos$/,
          endpoint: 'GET /users/:login/repos',
          handle: (r, m) => getRepos(r, population.accountById('github', m[1] ?? '')?.handle ?? '-'),
        },
        { method: 'GET', pattern: /^\/rate_limit$/, endpoint: 'GET /rate_limit', handle: rateLimitStatus },
        { method: 'POST', pattern: /^\/graphql$/, endpoint: 'POST /graphql', handle: graphql },
      ],
      notFound: () => message(404, 'Not Found', `${DOCS}/rest`),
      badJson: () => message(400, 'Problems parsing JSON', `${DOCS}/graphql`),
      fault: (kind) =>
        kind === '429'
          ? {
              ...message(
                secondaryStatus,
                'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.',
                `${DOCS}/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits`,
              ),
              headers: { 'retry-after': '60', 'x-ratelimit-remaining': '4000' },
            }
          : { status: 502, body: { message: 'Server Error' } },
    },
    { ...options, counters },
  );
  base = server.url;

  return {
    ...server,
    env: { GITHUB_API_BASE_URL: server.url, GITHUB_TOKEN: token },
    rateLimited: () => rateLimited,
    profileReads: () => profileReads,
    setRemaining: (resource, remaining, authenticated = true) =>
      (resource === 'graphql' ? limits.graphql : authenticated ? limits.authenticated : limits.anonymous).setRemaining(
        remaining,
      ),
  };
}
