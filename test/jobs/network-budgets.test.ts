// Network budgets shared in PostgreSQL: two HTTP clients stand for two worker processes using one GitHub token
// against the GitHub emulator (its REST limit enforced, reference: GitHub's "rate limits for the REST API"). With
// the shared budget their calls together stay within the limit and GitHub never refuses one; with each process's
// own limiter, the second one overshoots.
import { randomBytes } from 'node:crypto';

import { expect } from 'chai';

import { HttpClient, HttpError, rateLimitHeaders } from '../../src/http/index.ts';
import { NetworkBudgets } from '../../src/jobs/network-budgets.ts';
import type { GitHubSandbox } from '../../src/sandbox/networks/github.ts';
import { startGitHubSandbox } from '../../src/sandbox/networks/github.ts';
import { createPopulation } from '../../src/sandbox/population.ts';
import { DATABASE_URL, sql } from '../pg.ts';

const LIMIT = 40;

describe('network budgets shared in PostgreSQL (GitHub emulator)', function () {
  this.timeout(60_000);
  let schema: string;
  let github: GitHubSandbox;
  const opened: NetworkBudgets[] = [];

  function client(shared: NetworkBudgets | undefined): HttpClient {
    return new HttpClient({
      name: 'github',
      headers: { authorization: `Bearer ${github.env.GITHUB_TOKEN}` },
      trustedOrigins: [github.url],
      // GitHub's headers (as src/providers/github.ts reads them).
      rateLimit: rateLimitHeaders({
        limit: 'x-ratelimit-limit',
        remaining: 'x-ratelimit-remaining',
        reset: 'x-ratelimit-reset',
        format: 'epoch-seconds',
      }),
      isRateLimited: (r) => r.status === 429 || (r.status === 403 && r.rateLimit?.remaining === 0),
      maxRetries: 0,
      // A wait for the hourly reset is handed back at once.
      maxWaitMs: 1_000,
      sharedRateLimits: shared,
    });
  }

  /** Statuses GitHub answered, and how many calls the budget kept back. */
  async function burst(http: HttpClient, calls: number): Promise<{ statuses: number[]; heldBack: number }> {
    const statuses: number[] = [];
    let heldBack = 0;
    await Promise.all(
      Array.from({ length: calls }, async (_, i) => {
        try {
          statuses.push((await http.request(`${github.url}/users/someone-${i}`)).status);
        } catch (error) {
          if (error instanceof HttpError && error.code === 'rate_limited') heldBack += 1;
          else throw error;
        }
      }),
    );
    return { statuses, heldBack };
  }

  beforeEach(async () => {
    schema = `test_budgets_${randomBytes(6).toString('hex')}`;
    github = await startGitHubSandbox({
      population: createPopulation({ seed: 'budgets', size: 10 }),
      limits: { authenticated: { limit: LIMIT, windowSeconds: 3_600 } },
    });
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()));
    await github.close();
    await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  async function budgets(): Promise<NetworkBudgets> {
    const b = await NetworkBudgets.open({ connectionString: DATABASE_URL, schema });
    opened.push(b);
    return b;
  }

  it('two workers on one token: together within the limit, never refused by GitHub', async () => {
    const [one, two] = [client(await budgets()), client(await budgets())];
    // The first answer tells the shared budget where the window stands.
    expect((await one.request(`${github.url}/users/first`)).status).to.equal(404);
    const [a, b] = await Promise.all([burst(one, 30), burst(two, 30)]);
    const answered = [...a.statuses, ...b.statuses];
    expect(
      answered.filter((s) => s === 403),
      'GitHub refused none',
    ).to.deep.equal([]);
    expect(answered.length + 1, 'the whole budget was used, and no more').to.equal(LIMIT);
    expect(a.heldBack + b.heldBack).to.equal(60 - (LIMIT - 1));
    const [window] = await opened[0]!.list();
    expect(window).to.include({ limit: LIMIT, remaining: 0 });
  });

  it("each worker's own limiter instead: the second one overshoots and GitHub refuses it", async () => {
    const [one, two] = [client(undefined), client(undefined)];
    expect((await one.request(`${github.url}/users/first`)).status).to.equal(404);
    const [, b] = await Promise.all([burst(one, 30), burst(two, 30)]);
    expect(b.statuses.filter((s) => s === 403).length).to.be.greaterThan(0);
  });
});
