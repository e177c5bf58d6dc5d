import { expect } from 'chai';

import type { GitHubSandbox } from '../../../src/sandbox/networks/github.ts';
import { startGitHubSandbox } from '../../../src/sandbox/networks/github.ts';
import { parseQuery } from '../../../src/sandbox/networks/graphql.ts';
import { accounts, getJson, missingHandles, population } from './helpers.ts';

describe('sandbox GitHub REST + GraphQL', () => {
  let gh: GitHubSandbox;
  let auth: { headers: Record<string, string> };
  before(async () => {
    gh = await startGitHubSandbox({ population });
    auth = { headers: { authorization: `Bearer ${gh.env.GITHUB_TOKEN}`, accept: 'application/vnd.github+json' } };
  });
  after(() => gh.close());
  beforeEach(() => gh.counters.reset());

  it('GET /users/:login returns the user with x-ratelimit-* headers; anonymous calls get 60/h', async () => {
    const [a] = accounts('github', 1, (acc) => acc.state === 'active' && acc.kind === 'human');
    if (!a) throw new Error('none');
    const { status, body, headers } = await getJson(`${gh.url}/users/${a.handle}`, auth);
    expect(status).to.equal(200);
    expect(body).to.deep.include({
      login: a.displayHandle,
      id: Number(a.id),
      type: 'User',
      followers: a.followers,
      following: a.following,
      public_repos: a.posts,
    });
    expect(headers.get('x-ratelimit-limit')).to.equal('5000');
    expect(headers.get('x-ratelimit-remaining')).to.equal('4999');
    expect(headers.get('x-ratelimit-used')).to.equal('1');
    expect(headers.get('x-ratelimit-resource')).to.equal('core');
    const anonymous = await getJson(`${gh.url}/users/${a.handle}`);
    expect(anonymous.headers.get('x-ratelimit-limit')).to.equal('60');
  });

  it('answers 404 with the GitHub body for missing and suspended users, 401 for a bad token', async () => {
    const suspended = accounts('github', 1, (a) => a.state === 'suspended')[0]?.handle ?? '';
    for (const login of [missingHandles('github', 1)[0] ?? 'x', suspended]) {
      const { status, body } = await getJson(`${gh.url}/users/${login}`, auth);
      expect(status).to.equal(404);
      expect(body).to.deep.equal({
        message: 'Not Found',
        documentation_url: 'https://docs.github.com/rest/users/users#get-a-user',
        status: '404',
      });
    }
    const bad = await getJson(`${gh.url}/users/octocat`, { headers: { authorization: 'Bearer nope' } });
    expect(bad.status).to.equal(401);
    expect(bad.body).to.deep.include({ message: 'Bad credentials' });
  });

  it('lists owner repos with fork flag, stars and forks, paginated with a Link header', async () => {
    const [a] = accounts('github', 1, (acc) => acc.state === 'active' && acc.posts > 120 && acc.posts < 3000);
    if (!a) throw new Error('none');
    const first = await getJson(`${gh.url}/users/${a.handle}/repos?type=owner&sort=pushed&per_page=100`, auth);
    expect(first.status).to.equal(200);
    const repos = first.body as { fork: boolean; stargazers_count: number; forks_count: number; pushed_at: string }[];
    expect(repos).to.have.length(100);
    expect(repos.some((r) => r.fork)).to.be.true;
    expect((repos[0]?.pushed_at ?? '') >= (repos[99]?.pushed_at ?? '')).to.be.true;
    const link = first.headers.get('link') ?? '';
    expect(link).to.match(/rel="next"/);
    const next = /<([^>]+)>; rel="next"/.exec(link)?.[1] ?? '';
    const second = await getJson(next, auth);
    expect((second.body as unknown[]).length).to.equal(Math.min(100, a.posts - 100));
    const stars = repos.filter((r) => !r.fork).reduce((s, r) => s + r.stargazers_count, 0);
    expect(stars).to.be.at.least(0);
    expect(gh.counters.snapshot().largestBatchByEndpoint['GET /users/:login/repos']).to.equal(100);
  });

  it('turns the primary limit into 403 with remaining 0', async () => {
    gh.setRemaining('core', 0);
    const { status, body, headers } = await getJson(`${gh.url}/users/someone1`, auth);
    expect(status).to.equal(403);
    expect((body as { message: string }).message).to.match(/API rate limit exceeded/);
    expect(headers.get('x-ratelimit-remaining')).to.equal('0');
    gh.setRemaining('core', 5000);
  });

  it('answers an aliased multi-user GraphQL query, with NOT_FOUND errors for missing users', async () => {
    const found = accounts('github', 3, (acc) => acc.state === 'active' && acc.kind === 'human');
    const missing = missingHandles('github', 1)[0] ?? 'nobody';
    const logins = [...found.map((a) => a.handle), missing];
    const query = `query($l0: String!) {
      rateLimit { cost remaining limit }
      ${logins
        .map(
          (l, i) => `u${i}: user(login: ${i === 0 ? '$l0' : JSON.stringify(l)}) {
        login createdAt followers { totalCount } following { totalCount }
        repositories(first: 100, ownerAffiliations: [OWNER], isFork: false, orderBy: {field: STARGAZERS, direction: DESC}) {
          totalCount nodes { name stargazerCount forkCount isFork pushedAt }
        }
      }`,
        )
        .join('\n')}
    }`;
    const { status, body, headers } = await getJson(`${gh.url}/graphql`, {
      method: 'POST',
      headers: { ...auth.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables: { l0: logins[0] } }),
    });
    expect(status).to.equal(200);
    const { data, errors } = body as {
      data: Record<
        string,
        {
          login: string;
          followers: { totalCount: number };
          repositories: { totalCount: number; nodes: { stargazerCount: number; isFork: boolean }[] };
        } | null
      >;
      errors: { type: string; path: string[] }[];
    };
    expect(data.u0?.login).to.equal(found[0]?.displayHandle);
    expect(data.u1?.followers.totalCount).to.equal(found[1]?.followers);
    const nodes = data.u0?.repositories.nodes ?? [];
    expect(nodes.every((n) => !n.isFork)).to.be.true;
    for (let i = 1; i < nodes.length; i++)
      expect(nodes[i - 1]?.stargazerCount).to.be.at.least(nodes[i]?.stargazerCount ?? 0);
    expect(data.u3).to.equal(null);
    expect(errors).to.deep.equal([
      {
        type: 'NOT_FOUND',
        path: ['u3'],
        locations: errors[0] ? (errors[0] as unknown as { locations: unknown }).locations : [],
        message: `Could not resolve to a User with the login of '${missing}'.`,
      },
    ]);
    expect(headers.get('x-ratelimit-resource')).to.equal('graphql');
    expect((data as unknown as { rateLimit: { cost: number } }).rateLimit.cost).to.equal(1);
    expect(gh.counters.snapshot().largestBatchByEndpoint['POST /graphql']).to.equal(4);
  });

  it('accepts totalCount without first, and a single enum for a list argument (GraphQL input coercion)', async () => {
    const [a] = accounts('github', 1, (acc) => acc.state === 'active' && acc.kind === 'human' && acc.posts > 3);
    const query = `{ u: user(login: "${a?.handle ?? ''}") { publicRepos: repositories(ownerAffiliations: OWNER, privacy: PUBLIC) { totalCount } } }`;
    const { body } = await getJson(`${gh.url}/graphql`, {
      method: 'POST',
      headers: auth.headers,
      body: JSON.stringify({ query }),
    });
    expect(body).to.deep.equal({ data: { u: { publicRepos: { totalCount: a?.posts } } } });
    const nodes = await getJson(`${gh.url}/graphql`, {
      method: 'POST',
      headers: auth.headers,
      body: JSON.stringify({ query: `{ user(login: "x1") { repositories { nodes { name } } } }` }),
    });
    expect(JSON.stringify(nodes.body)).to.include('You must provide a `first` or `last` value');
  });

  it('rejects unknown fields, over-large pages and anonymous GraphQL calls like GitHub', async () => {
    const post = (query: string, headers: Record<string, string> = auth.headers) =>
      getJson(`${gh.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query }) });
    const unknown = await post('{ user(login: "a1") { login bogus } }');
    expect(JSON.stringify(unknown.body)).to.include("Field 'bogus' doesn't exist on type 'User'");
    expect(unknown.body).to.not.have.property('data');
    const big = await post('{ user(login: "a1") { repositories(first: 101) { totalCount } } }');
    expect(JSON.stringify(big.body)).to.include('exceeds the `first` limit of 100 records');
    const syntax = await post('{ user(login: "a1" { login } }');
    expect(JSON.stringify(syntax.body)).to.include('Parse error');
    expect((await post('{ user(login: "a1") { login } }', {})).status).to.equal(401);
  });

  it('serves the secondary rate limit from the fault schedule with retry-after', async () => {
    const faulty = await startGitHubSandbox({ population, faults: { status429: 2 }, secondaryLimitStatus: 429 });
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 4; i++) {
        const r = await getJson(`${faulty.url}/users/nobody1`);
        statuses.push(r.status);
        if (r.status === 429) retryAfter = r.headers.get('retry-after');
      }
      expect(statuses).to.deep.equal([404, 429, 404, 429]);
      expect(retryAfter).to.equal('60');
      expect(faulty.counters.snapshot().served429).to.equal(2);
    } finally {
      await faulty.close();
    }
  });

  it('parses GraphQL values: strings with escapes, enums, lists, objects, variables', () => {
    const [field] = parseQuery(
      'query Q($n: Int) { a: f(s: "x\\"y", e: OWNER, l: [1, 2], o: {k: true, z: null}, v: $n) { b } }',
      { n: 5 },
    );
    expect(field?.alias).to.equal('a');
    expect(field?.args).to.deep.equal({ s: 'x"y', e: { enum: 'OWNER' }, l: [1, 2], o: { k: true, z: null }, v: 5 });
    expect(() => parseQuery('{ a { ...F } }')).to.throw(/Fragments/);
    expect(() => parseQuery('mutation { a }')).to.throw(/only query/);
  });
});
