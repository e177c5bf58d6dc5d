// The three real data sets of the evaluation (fixtures/<set>/README.md says where each comes from), read and
// validated row by row, and mapped to the model's input exactly as a provider would fill NetworkMetrics.
// Columns that are the evaluation's outside signals (listed_count, followers_who_are_researchers, the bot label)
// are kept beside the input and never put into it.
import { readFileSync } from 'node:fs';

import { z } from 'zod';

import type { NetworkMetrics, ScoreInput } from '../../src/scoring/types.ts';
import { type Half, halfOf } from './stats.ts';

const DAY_MS = 86_400_000;

/** One CSV of a fixture as objects keyed by the header (the fixtures have no quoted cells). */
function readCsv(set: string): Record<string, string>[] {
  const file = new URL(`./fixtures/${set}/accounts.csv`, import.meta.url);
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split(/\r?\n/);
  const columns = header!.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? '']));
  });
}

function parseRows<S extends z.ZodType>(set: string, schema: S): z.output<S>[] {
  return readCsv(set).map((row, i) => {
    const parsed = schema.safeParse(row);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${set}/accounts.csv line ${i + 2}, column ${issue.path.join('.')}: ${issue.message}`);
    }
    return parsed.data;
  });
}

const count = z.coerce.number().int().nonnegative();
/** Blank (unknown) → null. */
const optionalCount = z.union([z.literal('').transform(() => null), count]);
const flag = z.enum(['0', '1']).transform((v) => v === '1');
const isoDay = z.iso.date();

function input(metrics: NetworkMetrics): ScoreInput {
  return {
    networks: [{ metrics, provenance: 'crm-field', stale: false }],
    history: [],
    now: new Date(metrics.fetchedAt),
  };
}

// --- twitter-2017: 998 X accounts, humans and bots ---------------------------------------------------------

const TwitterRowSchema = z.object({
  account: z.string().min(1),
  followers_count: count,
  following_count: count,
  listed_count: count,
  tweet_count: count,
  likes_given: count,
  created_at: z.union([z.literal(''), isoDay]),
  verified: flag,
  default_profile: flag,
  default_profile_image: flag,
  latest_post_reposts: optionalCount,
  latest_post_likes: optionalCount,
  bot: flag,
});
type TwitterRow = z.output<typeof TwitterRowSchema>;

/** Collected in March–April 2017: the end of the collection is "now" for every account. */
export const TWITTER_FETCHED_AT = '2017-04-30T00:00:00Z';

export interface TwitterAccount {
  account: string;
  half: Half;
  bot: boolean;
  verified: boolean;
  followers: number;
  /** Withheld from the model: the outside signal of influence. */
  listed: number;
  /** Weighted reactions (3 × reposts + likes) of the latest original post; null when the latest post was a repost. */
  latestReactions: number | null;
  input: ScoreInput;
}

/**
 * One account as the X adapter would fill it, within what the data hold: the latest original post is the only
 * recent post (dated at collection, replies unknown, so 0); an account whose latest post was a repost has none.
 */
export function twitterMetrics(row: TwitterRow): NetworkMetrics {
  const created = row.created_at === '' ? undefined : `${row.created_at}T00:00:00Z`;
  const known = row.latest_post_reposts !== null && row.latest_post_likes !== null;
  return {
    network: 'x',
    handle: row.account,
    followers: row.followers_count,
    following: row.following_count,
    posts: row.tweet_count,
    // A few creation dates lie after the collection (unreadable in the source): left unknown.
    ...(created !== undefined && created <= TWITTER_FETCHED_AT ? { createdAt: created } : {}),
    verified: row.verified,
    likesGiven: row.likes_given,
    recentPosts: known
      ? [{ at: TWITTER_FETCHED_AT, reshares: row.latest_post_reposts!, replies: 0, likes: row.latest_post_likes! }]
      : [],
    fetchedAt: TWITTER_FETCHED_AT,
  };
}

export function loadTwitter2017(): TwitterAccount[] {
  return parseRows('twitter-2017', TwitterRowSchema).map((row) => ({
    account: row.account,
    half: halfOf(row.account),
    bot: row.bot,
    verified: row.verified,
    followers: row.followers_count,
    listed: row.listed_count,
    latestReactions:
      row.latest_post_reposts === null || row.latest_post_likes === null
        ? null
        : 3 * row.latest_post_reposts + row.latest_post_likes,
    input: input(twitterMetrics(row)),
  }));
}

// --- researchers-2014: 4,302 X accounts of computer scientists ----------------------------------------------

const ResearcherRowSchema = z.object({
  account: z.string().min(1),
  followers: count,
  following: count,
  tweets: count,
  account_age_days: count,
  followers_who_are_researchers: count,
  h_index: z.union([z.literal('NA').transform(() => null), count]),
});

/** Collected for a WebSci 2014 paper; only ages relative to the collection matter, so its start is "now". */
export const RESEARCHERS_FETCHED_AT = '2014-01-01T00:00:00Z';

export interface ResearcherAccount {
  account: string;
  half: Half;
  followers: number;
  following: number;
  /** Withheld: how many followers are themselves researchers (audience quality from outside the network). */
  researcherFollowers: number;
  hIndex: number | null;
  input: ScoreInput;
}

export function loadResearchers2014(): ResearcherAccount[] {
  const fetched = Date.parse(RESEARCHERS_FETCHED_AT);
  return parseRows('researchers-2014', ResearcherRowSchema).map((row) => ({
    account: row.account,
    half: halfOf(row.account),
    followers: row.followers,
    following: row.following,
    researcherFollowers: row.followers_who_are_researchers,
    hIndex: row.h_index,
    // Profile counts only: the 2014 timeline sample has no reactions, so these are reach-only rows.
    input: input({
      network: 'x',
      handle: row.account,
      followers: row.followers,
      following: row.following,
      posts: row.tweets,
      createdAt: new Date(fetched - row.account_age_days * DAY_MS).toISOString(),
      recentPosts: [],
      fetchedAt: RESEARCHERS_FETCHED_AT,
    }),
  }));
}

// --- github-seattle-2024: 260 GitHub accounts with > 100 followers -----------------------------------------

const GitHubRowSchema = z.object({
  account: z.string().min(1),
  followers: count,
  following: count,
  public_repos: count,
  created_at: isoDay,
  stars_top100: count,
});

export const GITHUB_FETCHED_AT = '2024-10-30T00:00:00Z';

export interface GitHubAccount {
  account: string;
  half: Half;
  followers: number;
  stars: number;
  input: ScoreInput;
}

export function loadGitHubSeattle2024(): GitHubAccount[] {
  return parseRows('github-seattle-2024', GitHubRowSchema).map((row) => ({
    account: row.account,
    half: halfOf(row.account),
    followers: row.followers,
    stars: row.stars_top100,
    // As the GitHub adapter fills it; the source has no fork counts, so `forks` is left out (unknown).
    input: input({
      network: 'github',
      handle: row.account,
      followers: row.followers,
      following: row.following,
      posts: row.public_repos,
      createdAt: `${row.created_at}T00:00:00Z`,
      extra: { stars: row.stars_top100 },
      recentPosts: [],
      fetchedAt: GITHUB_FETCHED_AT,
    }),
  }));
}
