// `npm run bench xreads`: X paid reads against their minimum, on the sandbox population through the real X adapter
// and the X twin (loopback, which bills like pay-per-use: one user read per user returned, one post read per post).
// 1. Sample size: how often the tier from the newest k original posts agrees with the tier from 20 (what a read of
//    20 posts without any bound gives, taken straight from the population), for X-only scoring; the product uses the
//    smallest k with ≥ 95 % agreement (X_POST_SAMPLE). The real data sets carry no per-post reactions (twitter-2017
//    has only each account's latest post), so this can be shown on the sandbox only.
//    Beside each k: what a first scoring would cost at its minimum with that sample, against today's.
// 2. Spend per 1,000 X-linked contacts: today's reads (every account: 1 user + up to 10 original posts, any age) vs
//    ours, on first scoring and on a refresh a week later (the previous read's posts known; accounts that posted
//    since then move their post count); and as the product refreshes weekly: X answers are cached 30 days, so X is
//    read again on the fifth weekly refresh (day 35), and the weekly average is a fifth of that read.
// Minimum: 1 user read per existing account + the posts that can count (the newest k original posts in the window;
// on the refresh, only those made since the previous read).
import { X_POST_SAMPLE, X_PRICE_USD, XAdapter } from '../../src/providers/x.ts';
import { startXSandbox } from '../../src/sandbox/networks/x.ts';
import { createPopulation, type SandboxAccount, type SandboxPost } from '../../src/sandbox/population.ts';
import { createScorer } from '../../src/scoring/index.ts';
import type { NetworkMetrics, RecentPost } from '../../src/scoring/types.ts';

const PEOPLE = Number(process.env.XREADS_PEOPLE ?? 20_000);
const NOW = new Date('2026-07-01T00:00:00Z');
const DAY_MS = 86_400_000;
const WINDOW_MS = 90 * DAY_MS;
const WEEK_MS = 7 * DAY_MS;
/** The first weekly refresh after the 30-day X cache expires, and the weeks one X read serves. */
const CACHED_DAYS_READ_AGAIN = 35;
const WEEKS_PER_READ = 5;
const TODAY_SAMPLE = 10;
const SAMPLES = [3, 4, 5, 6, 7, 8, 10, 15, 20];
const AGREEMENT_TARGET = 0.95;

const asPost = (post: SandboxPost): RecentPost => ({
  at: post.at,
  reshares: post.reshares,
  replies: post.replies,
  likes: post.likes,
  quotes: post.quotes,
  views: post.views,
});
const original = (post: SandboxPost) => !post.isRepost && !post.isReply;

function metricsOf(account: SandboxAccount, recentPosts: RecentPost[], fetchedAt: Date): NetworkMetrics {
  return {
    network: 'x',
    handle: account.handle,
    followers: account.followers,
    following: account.following,
    posts: account.posts,
    createdAt: account.createdAt,
    likesGiven: account.kind === 'bot' ? 0 : account.posts * 2,
    recentPosts,
    fetchedAt: fetchedAt.toISOString(),
  };
}

const usd = (reads: { userReads: number; postReads: number }) =>
  reads.userReads * X_PRICE_USD.userRead + reads.postReads * X_PRICE_USD.postRead;

export async function run(): Promise<void> {
  const population = createPopulation({ seed: 'xreads', size: PEOPLE, now: NOW });
  const x = await startXSandbox({
    population,
    limits: { users: { limit: 1e9, windowSeconds: 900 }, tweets: { limit: 1e9, windowSeconds: 900 } },
  });
  try {
    const linked: string[] = [];
    const accounts = new Map<string, SandboxAccount>();
    for (let i = 0; i < PEOPLE; i++) {
      for (const t of population.truth(i)) {
        if (t.network !== 'x' || !/^[A-Za-z0-9_]{1,15}$/.test(t.handle) || accounts.has(t.handle)) continue;
        linked.push(t.handle);
        const account = population.account('x', t.handle);
        if (account) accounts.set(t.handle, account);
      }
    }
    const readable = [...accounts.values()].filter((a) => a.state !== 'suspended' && a.state !== 'protected');
    const timeline = new Map(readable.map((a) => [a.handle, population.recentPosts(a, 400)]));

    // --- 1. sample size: tier of k posts (through the adapter's rules) vs tier of 20 unbounded ------------------
    const score = createScorer();
    const tierOf = (metrics: NetworkMetrics) =>
      score({ networks: [{ metrics, provenance: 'crm-field', stale: false }], history: [], now: NOW }).tier;
    const adapter20 = new XAdapter({
      baseUrl: x.url,
      bearerToken: x.env.X_BEARER_TOKEN,
      postSample: 20,
      now: () => NOW,
    });
    const read20 = await adapter20.fetchProfiles(readable.map((a) => a.handle));
    const agreeing = new Map(SAMPLES.map((k) => [k, 0]));
    let compared = 0;
    for (const account of readable) {
      const result = read20.get(account.handle);
      if (result?.status !== 'ok') continue;
      compared++;
      const reference = tierOf(
        metricsOf(account, timeline.get(account.handle)!.filter(original).slice(0, 20).map(asPost), NOW),
      );
      for (const k of SAMPLES) {
        const sampled = { ...result.metrics, recentPosts: result.metrics.recentPosts.slice(0, k) };
        if (tierOf(sampled) === reference) agreeing.set(k, agreeing.get(k)! + 1);
      }
    }
    // What a first scoring costs with each sample, at its minimum (1 user read per billable account + the window's
    // newest k originals), against today's: the floor a smaller sample would buy, and the tiers it would cost.
    const windowStartMs = NOW.getTime() - WINDOW_MS;
    const billableAccounts = [...accounts.values()].filter((a) => a.state !== 'suspended').length;
    let todayPostsAll = 0;
    for (const account of readable)
      if (account.posts > 0 && account.lastPostAt !== null)
        todayPostsAll += timeline.get(account.handle)!.filter(original).slice(0, TODAY_SAMPLE).length;
    const todayUsd = usd({ userReads: billableAccounts, postReads: todayPostsAll });
    console.log(`X accounts compared: ${compared} (of ${PEOPLE} people, ${linked.length} X-linked)`);
    console.log('posts read  tier as with 20 unbounded  first scoring at its minimum, of today');
    for (const k of SAMPLES) {
      const share = agreeing.get(k)! / compared;
      let posts = 0;
      for (const account of readable)
        posts += timeline
          .get(account.handle)!
          .filter((p) => original(p) && Date.parse(p.at) >= windowStartMs)
          .slice(0, k).length;
      const cost = usd({ userReads: billableAccounts, postReads: posts }) / todayUsd;
      console.log(
        `${String(k).padStart(10)}  ${(share * 100).toFixed(1).padStart(25)} %  ${(cost * 100).toFixed(0).padStart(40)} %` +
          `${k === X_POST_SAMPLE ? '  ← X_POST_SAMPLE' : ''}`,
      );
    }
    console.log(
      `user reads alone (one per billable account, whatever the sample): ${((usd({ userReads: billableAccounts, postReads: 0 }) / todayUsd) * 100).toFixed(0)} % of today`,
    );
    const smallest = SAMPLES.find((k) => agreeing.get(k)! / compared >= AGREEMENT_TARGET);
    console.log(`smallest sample with ≥ ${AGREEMENT_TARGET * 100} % agreement: ${smallest ?? 'none'}`);

    // --- 2. spend ---------------------------------------------------------------------------------------------
    // Today: 1 user read per account, then up to 10 originals of any age for every account with a newest post.
    let todayPosts = 0;
    for (const account of readable)
      if (account.posts > 0 && account.lastPostAt !== null)
        todayPosts += timeline.get(account.handle)!.filter(original).slice(0, TODAY_SAMPLE).length;
    // Suspended users come back as errors[]: not billed.
    const billable = [...accounts.values()].filter((a) => a.state !== 'suspended').length;
    const today = { userReads: billable, postReads: todayPosts };

    const windowStart = NOW.getTime() - WINDOW_MS;
    const inWindow = (post: SandboxPost, from: number) => Date.parse(post.at) >= from;
    let minFirstPosts = 0;
    for (const account of readable)
      minFirstPosts += timeline
        .get(account.handle)!
        .filter((p) => original(p) && inWindow(p, windowStart))
        .slice(0, X_POST_SAMPLE).length;

    const before = x.billed();
    const ours = new XAdapter({ baseUrl: x.url, bearerToken: x.env.X_BEARER_TOKEN, now: () => NOW });
    await ours.fetchProfiles(linked);
    const after = x.billed();
    const first = { userReads: after.userReads - before.userReads, postReads: after.postReads - before.postReads };

    // Refresh: the previous read was `gapMs` ago; what it read then is what it would have read from the posts made
    // before it; posts made since move the post count.
    const refreshAfter = async (gapMs: number) => {
      const then = NOW.getTime() - gapMs;
      const previous = new Map<string, NetworkMetrics>();
      let minimumPosts = 0;
      for (const account of readable) {
        const posts = timeline.get(account.handle)!;
        const since = posts.filter((p) => Date.parse(p.at) > then);
        const earlier = posts.filter((p) => Date.parse(p.at) <= then);
        const asThen = { ...account, posts: account.posts - since.length };
        const readThen = earlier.filter((p) => original(p) && inWindow(p, then - WINDOW_MS)).slice(0, X_POST_SAMPLE);
        previous.set(account.handle, metricsOf(asThen, readThen.map(asPost), new Date(then)));
        minimumPosts += since.filter((p) => original(p) && inWindow(p, windowStart)).slice(0, X_POST_SAMPLE).length;
      }
      const beforeRefresh = x.billed();
      await new XAdapter({ baseUrl: x.url, bearerToken: x.env.X_BEARER_TOKEN, now: () => NOW }).fetchProfiles(
        linked,
        previous,
      );
      const afterRefresh = x.billed();
      const reads = {
        userReads: afterRefresh.userReads - beforeRefresh.userReads,
        postReads: afterRefresh.postReads - beforeRefresh.postReads,
      };
      return { reads, minimumPosts };
    };
    const { reads: refresh, minimumPosts: minRefreshPosts } = await refreshAfter(WEEK_MS);
    // The product keeps X answers 30 days (X_CACHE_TTL): weekly re-scores use them, and X is read again on the first
    // weekly refresh past 30 days (day 35), so a week costs a fifth of that read on average.
    const { reads: monthly, minimumPosts: minMonthlyPosts } = await refreshAfter(CACHED_DAYS_READ_AGAIN * DAY_MS);

    const per1000 = (reads: { userReads: number; postReads: number }) => (usd(reads) * 1000) / linked.length;
    const row = (
      name: string,
      reads: { userReads: number; postReads: number },
      minimumPosts: number,
      base: number,
      minimumUsers = billable,
    ) =>
      console.log(
        `${name.padEnd(18)} ${String(Math.round(reads.userReads)).padStart(6)} ${String(Math.round(reads.postReads)).padStart(7)} ` +
          `${String(Math.round(minimumPosts)).padStart(7)} ${((reads.userReads + reads.postReads) / (minimumUsers + minimumPosts)).toFixed(3).padStart(9)}× ` +
          `${('$' + per1000(reads).toFixed(2)).padStart(9)} ${((per1000(reads) / base) * 100).toFixed(0).padStart(5)} %`,
      );
    const todayPer1000 = per1000(today);
    console.log(
      `\nX reads for ${linked.length} X-linked contacts (${billable} billable accounts, post sample ${X_POST_SAMPLE})`,
    );
    console.log('run                 users   posts min.posts  vs minimum  $/1,000 of today');
    row('today, any run', today, minFirstPosts, todayPer1000);
    row('first scoring', first, minFirstPosts, todayPer1000);
    row('refresh, a week on', refresh, minRefreshPosts, todayPer1000);
    row(`re-read at day ${CACHED_DAYS_READ_AGAIN}`, monthly, minMonthlyPosts, todayPer1000);
    const weekly = { userReads: monthly.userReads / WEEKS_PER_READ, postReads: monthly.postReads / WEEKS_PER_READ };
    row('weekly refresh avg', weekly, minMonthlyPosts / WEEKS_PER_READ, todayPer1000, billable / WEEKS_PER_READ);
    console.log(
      `weekly refresh avg: X answers are cached 30 days, so weekly re-scores read X on every ${WEEKS_PER_READ}th week (day ${CACHED_DAYS_READ_AGAIN}); the row is that read ÷ ${WEEKS_PER_READ}`,
    );
  } finally {
    await x.close();
  }
}
