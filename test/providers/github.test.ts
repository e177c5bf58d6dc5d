import { expect } from 'chai';
import nock from 'nock';

import { ProviderUnusableError } from '../../src/providers/common.ts';
import { GitHubAdapter } from '../../src/providers/github.ts';
import { fastHttp, NOW, useNock } from './helpers.ts';

const BASE = 'https://api.github.com';
const TOKEN = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';
const RESET = String(Math.floor(NOW.getTime() / 1000) + 3600);
const RATE = {
  'x-ratelimit-limit': '60',
  'x-ratelimit-remaining': '58',
  'x-ratelimit-used': '2',
  'x-ratelimit-reset': RESET,
  'x-ratelimit-resource': 'core',
};

// Fixtures shaped like GitHub REST v3 / GraphQL v4 responses (docs.github.com/rest/users/users).
const OCTOCAT = {
  login: 'octocat',
  id: 583231,
  node_id: 'MDQ6VXNlcjU4MzIzMQ==',
  type: 'User',
  site_admin: false,
  name: 'The Octocat',
  company: '@github',
  blog: 'https://github.blog',
  location: 'San Francisco',
  email: null,
  bio: null,
  twitter_username: null,
  public_repos: 8,
  public_gists: 8,
  followers: 21000,
  following: 9,
  created_at: '2011-01-25T18:44:36Z',
  updated_at: '2025-01-22T12:13:49Z',
};
const REPOS = [
  {
    id: 1,
    name: 'Hello-World',
    full_name: 'octocat/Hello-World',
    fork: false,
    archived: false,
    stargazers_count: 2500,
    watchers_count: 2500,
    forks_count: 2200,
  },
  {
    id: 2,
    name: 'Spoon-Knife',
    full_name: 'octocat/Spoon-Knife',
    fork: false,
    archived: false,
    stargazers_count: 12000,
    watchers_count: 12000,
    forks_count: 140000,
  },
  {
    id: 3,
    name: 'linguist',
    full_name: 'octocat/linguist',
    fork: true,
    archived: false,
    stargazers_count: 500,
    watchers_count: 500,
    forks_count: 200,
  },
];
const NOT_FOUND = {
  message: 'Not Found',
  documentation_url: 'https://docs.github.com/rest/users/users#get-a-user',
  status: '404',
};

function rest(extra: Partial<ConstructorParameters<typeof GitHubAdapter>[0]> = {}) {
  return new GitHubAdapter({ baseUrl: BASE, now: () => NOW, http: fastHttp(), ...extra });
}

describe('providers: GitHub (REST, no token)', () => {
  useNock();

  it('profile + own non-fork repos → followers and stars/forks in extra; forks of others excluded', async () => {
    nock(BASE, {
      reqheaders: { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' },
      badheaders: ['authorization'],
    })
      .get('/users/octocat')
      .reply(200, OCTOCAT, RATE)
      .get('/users/octocat/repos')
      .query({ type: 'owner', sort: 'pushed', per_page: '100' })
      .reply(200, REPOS, RATE);
    const gh = rest();
    const r = (await gh.fetchProfiles(['octocat'])).get('octocat');
    if (r?.status !== 'ok') throw new Error(JSON.stringify(r));
    expect(r.metrics).to.deep.include({
      network: 'github',
      followers: 21000,
      following: 9,
      posts: 8,
      createdAt: '2011-01-25T18:44:36.000Z',
    });
    expect(r.metrics.extra).to.deep.equal({ stars: 14500, forks: 142200, ownRepos: 2 });
    expect(gh.usage().calls).to.equal(2);
  });

  it("an organization is not a person's profile: not_found", async () => {
    nock(BASE)
      .get('/users/github')
      .reply(200, { ...OCTOCAT, login: 'github', type: 'Organization' }, RATE);
    expect((await rest().fetchProfiles(['github'])).get('github')).to.deep.equal({ status: 'not_found' });
  });

  it('skips the repos call for an account with no public repos', async () => {
    nock(BASE)
      .get('/users/empty')
      .reply(200, { ...OCTOCAT, login: 'empty', public_repos: 0 }, RATE);
    const gh = rest();
    const r = (await gh.fetchProfiles(['empty'])).get('empty');
    expect(r?.status === 'ok' && r.metrics.extra).to.deep.equal({ stars: 0, forks: 0, ownRepos: 0 });
    expect(gh.usage().calls).to.equal(1);
  });

  it('404 → not_found, suspended message → suspended, bad login never sent; one failure does not fail others', async () => {
    nock(BASE)
      .get('/users/ghost')
      .reply(404, NOT_FOUND, RATE)
      .get('/users/banned')
      .reply(403, { message: 'This account has been suspended.', documentation_url: 'https://docs.github.com' }, RATE)
      .get('/users/octocat')
      .reply(200, { ...OCTOCAT, public_repos: 0 }, RATE);
    const results = await rest().fetchProfiles(['ghost', 'banned', '-bad-', 'octocat']);
    expect(results.get('ghost')).to.deep.equal({ status: 'not_found' });
    expect(results.get('banned')).to.deep.equal({ status: 'suspended' });
    expect(results.get('-bad-')).to.deep.equal({ status: 'not_found' });
    expect(results.get('octocat')?.status).to.equal('ok');
  });

  it('primary rate limit (403 + remaining 0, reset far away) → unavailable with retryAfter', async () => {
    const reset = String(Math.floor(Date.now() / 1000) + 1800);
    nock(BASE).get('/users/octocat').reply(
      403,
      {
        message:
          "API rate limit exceeded for 203.0.113.9. (But here's the good news: Authenticated requests get a higher rate limit.)",
        documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting',
      },
      {
        'x-ratelimit-limit': '60',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-used': '60',
        'x-ratelimit-reset': reset,
        'x-ratelimit-resource': 'core',
      },
    );
    const r = (await rest().fetchProfiles(['octocat'])).get('octocat');
    expect(r?.status).to.equal('unavailable');
    expect(r?.status === 'unavailable' && r.retryAfterSeconds).to.be.within(1790, 1801);
  });

  it('secondary rate limit with retry-after is waited out and retried', async () => {
    nock(BASE)
      .get('/users/octocat')
      .reply(
        403,
        { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
        { 'retry-after': '5' },
      )
      .get('/users/octocat')
      .reply(200, { ...OCTOCAT, public_repos: 0 }, RATE);
    expect((await rest().fetchProfiles(['octocat'])).get('octocat')?.status).to.equal('ok');
  });
});

describe('providers: GitHub (GraphQL, token)', () => {
  useNock();

  function gql() {
    return new GitHubAdapter({ baseUrl: BASE, token: TOKEN, now: () => NOW, http: fastHttp() });
  }

  it('batches logins into one query with variables and maps NOT_FOUND per alias', async () => {
    let sent: { query: string; variables: Record<string, string> } | undefined;
    nock(BASE, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .post('/graphql', (body: { query: string; variables: Record<string, string> }) => {
        sent = body;
        return true;
      })
      .reply(
        200,
        {
          data: {
            u0: {
              login: 'octocat',
              createdAt: '2011-01-25T18:44:36Z',
              followers: { totalCount: 21000 },
              following: { totalCount: 9 },
              publicRepos: { totalCount: 8 },
              ownRepos: {
                totalCount: 2,
                nodes: [
                  { stargazerCount: 12000, forkCount: 140000 },
                  { stargazerCount: 2500, forkCount: 2200 },
                ],
              },
            },
            u1: null,
          },
          errors: [
            {
              type: 'NOT_FOUND',
              path: ['u1'],
              locations: [{ line: 3, column: 3 }],
              message: "Could not resolve to a User with the login of 'ghost'.",
            },
          ],
        },
        {
          'x-ratelimit-limit': '5000',
          'x-ratelimit-remaining': '4949',
          'x-ratelimit-reset': RESET,
          'x-ratelimit-resource': 'graphql',
        },
      );
    const gh = gql();
    expect(gh.maxBatch).to.equal(50);
    const results = await gh.fetchProfiles(['octocat', 'ghost']);
    expect(sent?.variables).to.deep.equal({ l0: 'octocat', l1: 'ghost' });
    expect(sent?.query).to.include('isFork: false');
    const r = results.get('octocat');
    expect(r?.status === 'ok' && r.metrics.extra).to.deep.equal({ stars: 14500, forks: 142200, ownRepos: 2 });
    expect(results.get('ghost')).to.deep.equal({ status: 'not_found' });
    expect(gh.usage().calls).to.equal(1);
  });

  it('a GraphQL RATE_LIMITED error makes the batch unavailable', async () => {
    nock(BASE)
      .post('/graphql')
      .reply(200, {
        data: null,
        errors: [{ type: 'RATE_LIMITED', message: 'API rate limit exceeded for user ID 1.' }],
      });
    const results = await gql().fetchProfiles(['octocat']);
    expect(results.get('octocat')).to.deep.include({ status: 'unavailable', reason: 'rate_limited' });
  });

  it('Bad credentials → ProviderUnusableError naming GITHUB_TOKEN, token redacted', async () => {
    nock(BASE)
      .post('/graphql')
      .reply(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/graphql', status: '401' });
    const error = await gql()
      .fetchProfiles(['octocat'])
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).to.be.instanceOf(ProviderUnusableError);
    expect((error as Error).message)
      .to.include('GITHUB_TOKEN')
      .and.not.include(TOKEN);
  });
});
