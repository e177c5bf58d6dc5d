// Maps the twitter-2017 fixture (998 real X accounts, humans and bots) to the model's input, and the rank
// statistics the real-data test reports. See fixtures/twitter-2017-README.md for provenance.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import type { NetworkMetrics, ScoreInput } from '../../src/scoring/types.ts';

export interface Account {
  account: string;
  followers: number;
  following: number;
  listed: number;
  tweets: number;
  createdAt: string | null;
  verified: boolean;
  latestReposts: number | null;
  latestLikes: number | null;
  bot: boolean;
}

/** The data were collected in March–April 2017; a few creation dates after that are unreadable and dropped. */
export const FETCHED_AT = '2017-04-30T00:00:00Z';

export function loadAccounts(): Account[] {
  const file = fileURLToPath(new URL('./fixtures/twitter-2017-accounts.csv', import.meta.url));
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const cols = header!.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    const get = (name: string): string => cells[cols.indexOf(name)] ?? '';
    const int = (name: string): number | null => (get(name) === '' ? null : Number.parseInt(get(name), 10));
    return {
      account: get('account'),
      followers: int('followers_count') ?? 0,
      following: int('following_count') ?? 0,
      listed: int('listed_count') ?? 0,
      tweets: int('tweet_count') ?? 0,
      createdAt: get('created_at') === '' ? null : get('created_at'),
      verified: get('verified') === '1',
      latestReposts: int('latest_post_reposts'),
      latestLikes: int('latest_post_likes'),
      bot: get('bot') === '1',
    };
  });
}

/**
 * One account as the model sees it. Limits: the latest original post is the only recent post we have (its date is
 * unknown, so it is dated at collection time), its replies are unknown (0), and an account whose latest post was a
 * repost has no recent original post at all. `listed_count` is deliberately NOT an input.
 */
export function toMetrics(a: Account): NetworkMetrics {
  const created = a.createdAt === null ? undefined : `${a.createdAt}T00:00:00Z`;
  const recentPosts =
    a.latestReposts === null || a.latestLikes === null
      ? []
      : [{ at: FETCHED_AT, reshares: a.latestReposts, replies: 0, likes: a.latestLikes }];
  return {
    network: 'x',
    handle: a.account,
    followers: a.followers,
    following: a.following,
    posts: a.tweets,
    ...(created !== undefined && created <= FETCHED_AT ? { createdAt: created } : {}),
    verified: a.verified,
    recentPosts,
    fetchedAt: FETCHED_AT,
  };
}

export function toInput(a: Account): ScoreInput {
  return {
    networks: [{ metrics: toMetrics(a), provenance: 'crm-field', stale: false }],
    history: [],
    now: new Date(FETCHED_AT),
  };
}

/** Probability that a random positive ranks above a random negative (ties count half), and the number of pairs. */
export function auc(positives: readonly number[], negatives: readonly number[]): { auc: number; pairs: number } {
  // Rank-sum (Mann–Whitney U) with mid-ranks for ties.
  const all = [...positives.map((v) => ({ v, p: true })), ...negatives.map((v) => ({ v, p: false }))].sort(
    (x, y) => x.v - y.v,
  );
  let rankSumPositive = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j]!.v === all[i]!.v) j++;
    const midRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]!.p) rankSumPositive += midRank;
    i = j;
  }
  const np = positives.length;
  const nn = negatives.length;
  const u = rankSumPositive - (np * (np + 1)) / 2;
  return { auc: np * nn === 0 ? Number.NaN : u / (np * nn), pairs: np * nn };
}

export const FOLLOWER_BANDS = [0, 1_000, 10_000, 100_000, 1_000_000, Number.POSITIVE_INFINITY] as const;
export const bandOf = (followers: number): number =>
  FOLLOWER_BANDS.findIndex((upper, i) => i > 0 && followers < upper) - 1;

/** AUC of humans over bots counting only pairs in the same follower band (pair-weighted), and per band. */
export function withinBandAuc(rows: readonly { followers: number; bot: boolean; value: number }[]): {
  pooled: number;
  perBand: { band: string; humans: number; bots: number; auc: number }[];
} {
  let weighted = 0;
  let pairs = 0;
  const perBand: { band: string; humans: number; bots: number; auc: number }[] = [];
  for (let b = 0; b < FOLLOWER_BANDS.length - 1; b++) {
    const inBand = rows.filter((r) => bandOf(r.followers) === b);
    const humans = inBand.filter((r) => !r.bot).map((r) => r.value);
    const bots = inBand.filter((r) => r.bot).map((r) => r.value);
    const result = auc(humans, bots);
    perBand.push({
      band: `${FOLLOWER_BANDS[b]}–${FOLLOWER_BANDS[b + 1]}`,
      humans: humans.length,
      bots: bots.length,
      auc: result.auc,
    });
    if (result.pairs > 0) {
      weighted += result.auc * result.pairs;
      pairs += result.pairs;
    }
  }
  return { pooled: weighted / pairs, perBand };
}

function ranks(values: readonly number[]): number[] {
  const order = values.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const r = new Array<number>(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && order[j]!.v === order[i]!.v) j++;
    for (let k = i; k < j; k++) r[order[k]!.i] = (i + j - 1) / 2 + 1;
    i = j;
  }
  return r;
}

/** Spearman's rank correlation (Pearson on mid-ranks). */
export function spearman(x: readonly number[], y: readonly number[]): number {
  const rx = ranks(x);
  const ry = ranks(y);
  const n = x.length;
  const mx = rx.reduce((s, v) => s + v, 0) / n;
  const my = ry.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i]! - mx) * (ry[i]! - my);
    sxx += (rx[i]! - mx) ** 2;
    syy += (ry[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}
