// One network's sub-score (0–100) and its decomposition into gross parts and losses, for the explanations.
// Pure: every value lives in the call; nothing is kept between calls.
import type { NetworkParams, ResolvedOptions } from './options.ts';
import type { ReasonCode } from './reasons.ts';
import { daysBetween, parseIsoMs } from './time.ts';
import type { Network, NetworkMetrics, RecentPost } from './types.ts';

const DAY_MS = 86_400_000;
const MAX_POSTS = 20;
const DORMANT_HALF_LIFE_DAYS = 90;
const MIN_ACTIVITY = 0.25;

export const WEIGHT_REACH = 0.2;
export const WEIGHT_AMPLIFICATION = 0.5;
export const WEIGHT_ENGAGEMENT = 0.3;

/** Every authenticity rule is a ramp: `from` (no effect) → `to` (full effect), linear in between. */
/** Following 1,000 → 2,000 accounts, and following / followers 0.5 → 1 (on a log scale). */
export const FOLLOW_BACK = { following: { from: 1_000, to: 2_000 }, ratio: { from: 0.5, to: 1 }, factor: 0.7 } as const;
export const YOUNG_ACCOUNT = { days: 90, factor: 0.8 } as const;
/** A broadcast feed: follows and likes fewer than 10 → no penalty from 300; only once it has posted (calibrated start) → 1,000 times. */
export const ONE_WAY = { interactions: { from: 10, to: 300 }, postsFullAt: 1_000 } as const;
/** An audience that barely reacts: from no penalty at 1/10 of the typical engagement for the size to ×0.7 at 1/100. */
export const BOUGHT_FOLLOWERS = { startsBelow: 0.1, fullBelow: 0.01, factor: 0.7 } as const;
/** Reactions above `aboveTypical`× typical for the size (and above `floor`) are not counted. */
export const PLAUSIBLE_ENGAGEMENT = { aboveTypical: 30, floor: 50 } as const;
export const MIN_AUTHENTICITY = 0.2;
const LOG_FOLLOW_BACK_RATIO = { from: Math.log10(FOLLOW_BACK.ratio.from), to: Math.log10(FOLLOW_BACK.ratio.to) };
const LOG_ONE_WAY = {
  interactions: { from: Math.log10(ONE_WAY.interactions.from), to: Math.log10(ONE_WAY.interactions.to) },
  postsFullAt: Math.log10(ONE_WAY.postsFullAt),
};
/** A pattern shows (reason code, factor line) once it costs at least 1 %. */
const SHOWN_BELOW = 0.99;
/** Half a reaction added to observed and typical alike: keeps the log finite at zero and calm for tiny accounts. */
const REACTION_PSEUDO_COUNT = 0.5;

export const GITHUB_EXTRA = { stars: 'stars', forks: 'forks' } as const;

/** Which rule an authenticity flag comes from (its reason code can be shared: both automation rules are one code). */
export type Pattern = 'follow-back' | 'young' | 'posting-rate' | 'one-way' | 'bought-followers' | 'implausible';

export interface AuthenticityFlag {
  readonly code: ReasonCode;
  readonly pattern: Pattern;
  readonly factor: number;
}

export interface NetworkScore {
  network: Network;
  metrics: NetworkMetrics;
  /** N_n, 0–100. */
  subScore: number;
  /** Gross parts (authenticity 1, activity 1, no plausibility cap), in sub-score points. */
  reachPart: number;
  amplificationPart: number;
  engagementPart: number;
  /** Losses from gross to subScore, in sub-score points (≥ 0). */
  activityLoss: number;
  plausibilityLoss: number;
  authenticityLoss: number;
  flags: AuthenticityFlag[];
  authenticity: number;
  activity: number;
  postsInWindow: number;
  postsUsed: number;
  /** Weighted reactions on the typical post; when no post was read, what is typical for the size. */
  typicalReactions: number;
  /** True when no post was read: amplification and engagement are what is typical for the size (low confidence). */
  imputed: boolean;
  /** Days since the newest post; null when no post is known. */
  daysSinceLastPost: number | null;
  /** Shrunk reactions on the typical post divided by what is typical for the size; null when it cannot be computed. */
  engagementRatio: number | null;
  reach: number;
  /** Followers as reach counts them (GitHub: the excess over what stars, forks and repositories back counts little). */
  creditedFollowers: number;
  amplification: number;
  /** How much post-level evidence backs the score (posts in window; GitHub: 10 when repo totals are present). */
  evidence: number;
  /** Lifetime posts per day, when the account's age is known. */
  postsPerDay: number | null;
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
/** 0 at `from`, 1 at `to`, linear between. */
const ramp = (x: number, from: number, to: number): number => clamp01((x - from) / (to - from));

/** Weighted reactions typical of a post by an account with `followers` followers on the network. */
export function typicalReactions(params: NetworkParams, followers: number): number {
  const size = Math.max(followers, 10);
  return params.typicalEngagementAt1k * 1000 * Math.pow(size / 1000, 1 - params.engagementSizeSlope);
}

const weighted = (post: RecentPost): number => 3 * post.reshares + 2 * post.replies + post.likes;

interface PostsRead {
  /** Original posts in the window. */
  inWindow: number;
  /** Epoch ms of the newest post, in the window or not (−∞ when there is none). */
  newest: number;
  /** Weighted reactions of the newest ≤ 20 posts in the window. */
  reactions: number[];
}

/**
 * The common case, newest first in one UTC layout (24 characters with milliseconds, or 20 without), as the
 * networks' timelines come: within one such layout strings compare like the instants they name, so the order is
 * checked without parsing and only the window's edges are parsed. Null (having decided nothing) for anything else.
 */
function readNewestFirst(posts: readonly RecentPost[], start: number, end: number): PostsRead | null {
  const n = posts.length;
  const layout = posts[0]!.at.length;
  if (layout !== 24 && layout !== 20) return null;
  const reactions: number[] = [];
  let previous = '';
  for (let i = 0; i < n; i++) {
    const post = posts[i]!;
    const at = post.at;
    if (at.length !== layout || at.charCodeAt(layout - 1) !== 90 /* Z */ || (i > 0 && at > previous)) return null;
    previous = at;
    reactions.push(weighted(post));
  }
  const newest = parseIsoMs(posts[0]!.at);
  let from = 0; // first post not after the window (posts from the future are rare: a linear walk)
  if (newest > end) while (from < n && parseIsoMs(posts[from]!.at) > end) from++;
  let low = from; // then the first post before the window: usually none (one parse), else by binary search
  let high = n;
  if (parseIsoMs(posts[n - 1]!.at) >= start) low = n;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (parseIsoMs(posts[middle]!.at) < start) high = middle;
    else low = middle + 1;
  }
  // Over 20 in the window, ties at the cut are broken by reactions: the general reader does that.
  if (low - from > MAX_POSTS) return null;
  return { inWindow: low - from, newest, reactions: from === 0 && low === n ? reactions : reactions.slice(from, low) };
}

/** Any order, any ISO layout: every stamp parsed; over 20 posts in the window, the newest 20 (ties: more reactions). */
function readAny(posts: readonly RecentPost[], start: number, end: number): PostsRead {
  let newest = Number.NEGATIVE_INFINITY;
  const inWindow: { t: number; a: number }[] = [];
  for (const post of posts) {
    const t = parseIsoMs(post.at);
    if (t > newest) newest = t;
    if (t >= start && t <= end) inWindow.push({ t, a: weighted(post) });
  }
  if (inWindow.length > MAX_POSTS) inWindow.sort((p, q) => q.t - p.t || q.a - p.a);
  return { inWindow: inWindow.length, newest, reactions: inWindow.slice(0, MAX_POSTS).map((p) => p.a) };
}

function readPosts(posts: readonly RecentPost[], start: number, end: number): PostsRead {
  if (posts.length === 0) return { inWindow: 0, newest: Number.NEGATIVE_INFINITY, reactions: [] };
  return readNewestFirst(posts, start, end) ?? readAny(posts, start, end);
}

/**
 * The typical post: the interquartile mean (mean of the middle half; the median for 3 posts). As robust to one
 * viral post as the median, but it moves in smaller steps when reactions are small whole numbers. Sorted by
 * insertion (at most 20 values): the bench measured Array/Float64Array sort() at about 1 µs more per network.
 */
function typicalPost(reactions: number[]): number {
  const n = reactions.length;
  for (let i = 1; i < n; i++) {
    const v = reactions[i]!;
    let j = i - 1;
    while (j >= 0 && reactions[j]! > v) {
      reactions[j + 1] = reactions[j]!;
      j--;
    }
    reactions[j + 1] = v;
  }
  const trim = n >= 3 ? Math.max(1, n >> 2) : 0;
  let sum = 0;
  for (let i = trim; i < n - trim; i++) sum += reactions[i]!;
  return sum / (n - 2 * trim);
}

/** 0–100 on a log scale reaching 100 at the cap; `logCap` is log10(1 + cap), computed once per network. */
function logScale(value: number, logCap: number): number {
  return 100 * clamp01(Math.log10(1 + value) / logCap);
}

/**
 * 50 = typical for the size; 100 at the plausibility ceiling (30× typical), 0 at 1/30 of typical, log-linear, and on
 * below zero without a floor: followers added without reactions always cost more here than they add in reach.
 */
const INV_LOG_PLAUSIBLE = 1 / Math.log(PLAUSIBLE_ENGAGEMENT.aboveTypical);
function engagementScore(ratio: number): number {
  return 50 + 50 * Math.min(1, Math.log(ratio) * INV_LOG_PLAUSIBLE);
}

/**
 * Reactions on the typical post against what is typical for the size, shrunk toward "typical" on the log scale by
 * `k` pseudo-posts (empirical Bayes: rates are roughly log-normal): the observed ratio counts n/(n + k).
 */
function shrunkRatio(reactions: number, typical: number, posts: number, k: number): number {
  const weight = posts / (posts + k);
  return Math.pow((reactions + REACTION_PSEUDO_COUNT) / (typical + REACTION_PSEUDO_COUNT), weight);
}

function flag(code: ReasonCode, pattern: Pattern, factor: number, flags: AuthenticityFlag[]): void {
  // Measured from the threshold on, so the cost starts at nothing where the pattern starts to show (no step).
  if (factor < SHOWN_BELOW) flags.push({ code, pattern, factor: factor / SHOWN_BELOW });
}

/** `fetched` is metrics.fetchedAt in epoch ms, when the caller has it already (a contact's networks share one). */
export function scoreNetwork(
  metrics: NetworkMetrics,
  options: ResolvedOptions,
  fetched = parseIsoMs(metrics.fetchedAt),
): NetworkScore {
  const network = metrics.network;
  const params = options.params[network];
  const calibration = options.calibration;
  const read = readPosts(metrics.recentPosts, fetched - options.windowDays * DAY_MS, fetched + DAY_MS); // + clock skew
  if (metrics.lastPostAt !== undefined) read.newest = Math.max(read.newest, parseIsoMs(metrics.lastPostAt));
  const postsInWindow = read.inWindow;
  const postsUsed = read.reactions.length;

  const hidden = metrics.followersHidden === true;
  const followers = hidden ? 0 : metrics.followers;
  const isGitHub = network === 'github';
  const stars = isGitHub ? metrics.extra?.[GITHUB_EXTRA.stars] : undefined;
  const forks = isGitHub ? metrics.extra?.[GITHUB_EXTRA.forks] : undefined;
  const hasRepoTotals = stars !== undefined || forks !== undefined;
  // GitHub followers as credited: beyond what the account's own work backs (stars, forks, repositories), a follower
  // jump with nothing else moving is what bought followers look like, so the excess counts little (a ramp, no step).
  let creditedFollowers = followers;
  if (isGitHub) {
    const backing = calibration.githubReachBacking;
    const work = Math.max(0, stars ?? 0) + 3 * Math.max(0, forks ?? 0) + metrics.posts;
    const backed = backing.backedMultiple * Math.max(1, work);
    if (followers > backed) creditedFollowers = backed * Math.pow(followers / backed, backing.excessWeight);
  }
  const typical = typicalReactions(params, followers);

  // Reactions on the typical post. Without a post, what is typical for the size stands in: missing data lowers the
  // confidence, not the score, and a post at or above typical can only add.
  let reactions: number;
  let imputed = false;
  if (hasRepoTotals) reactions = Math.max(0, stars ?? 0) + 3 * Math.max(0, forks ?? 0);
  else if (!isGitHub && postsUsed > 0) reactions = typicalPost(read.reactions);
  else {
    reactions = isGitHub ? typicalReactions(params, creditedFollowers) : typical;
    imputed = true;
  }

  // Activity: full while the newest original post is inside the window; past it (dormant), halving every 90 days.
  // Without any post it is unknown, not dormant, so it is not held against the account. How much an account posts
  // is not scored: on the real data, posting volume tells bots from people the wrong way round.
  const daysSinceLastPost = Number.isFinite(read.newest) ? Math.max(0, daysBetween(fetched, read.newest)) : null;
  let activity = 1;
  if (daysSinceLastPost !== null && postsInWindow === 0 && (!isGitHub || metrics.recentPosts.length > 0)) {
    const dormantDays = Math.max(0, daysSinceLastPost - options.windowDays);
    activity = MIN_ACTIVITY + (1 - MIN_ACTIVITY) * Math.pow(2, -dormantDays / DORMANT_HALF_LIFE_DAYS);
  }
  let postsPerDay: number | null = null;
  let automationPerDay: number | null = null;
  let ageDays: number | null = null;
  if (metrics.createdAt !== undefined) {
    const age = daysBetween(fetched, parseIsoMs(metrics.createdAt));
    if (age >= 0) {
      ageDays = age;
      postsPerDay = metrics.posts / Math.max(age, 7);
      // Judged over at least 60 days: a rate read over a few days swings with each one (youth has its own rule).
      automationPerDay = metrics.posts / Math.max(age, 60);
    }
  }

  // Authenticity: every rule a ramp, so no input crosses a cliff.
  const flags: AuthenticityFlag[] = [];
  if (!hidden) {
    const f = FOLLOW_BACK;
    const ratio = Math.log10(Math.max(metrics.following, 1) / Math.max(followers, 1));
    const strength =
      ramp(metrics.following, f.following.from, f.following.to) *
      ramp(ratio, LOG_FOLLOW_BACK_RATIO.from, LOG_FOLLOW_BACK_RATIO.to);
    flag('FOLLOW_BACK_PATTERN', 'follow-back', 1 - (1 - f.factor) * strength, flags);
  }
  if (ageDays !== null && ageDays < YOUNG_ACCOUNT.days)
    flag('YOUNG_ACCOUNT', 'young', 1 - (1 - YOUNG_ACCOUNT.factor) * (1 - ageDays / YOUNG_ACCOUNT.days), flags);
  if (!isGitHub) {
    if (automationPerDay !== null && calibration.automationFromPerDay > 0) {
      const from = Math.log10(calibration.automationFromPerDay);
      const strength = ramp(Math.log10(Math.max(automationPerDay, 1e-9)), from, from + 1);
      flag('AUTOMATION_RATE', 'posting-rate', 1 - (1 - calibration.automationFactor) * strength, flags);
    }
    // Only where the network says how much the account likes (X): following few alone is common among people
    // (celebrities, researchers) and among feeds that people rightly follow.
    if (metrics.likesGiven !== undefined) {
      const o = LOG_ONE_WAY;
      const interactions = metrics.following + metrics.likesGiven;
      const strength =
        (1 - ramp(Math.log10(1 + interactions), o.interactions.from, o.interactions.to)) *
        ramp(Math.log10(1 + metrics.posts), Math.log10(calibration.oneWayPostsFrom), o.postsFullAt);
      flag('AUTOMATION_RATE', 'one-way', 1 - (1 - calibration.oneWayFactor) * strength, flags);
    }
  }

  // Engagement against what is typical for the size, and the bought-followers ramp below 1/10 of it.
  const usesEngagement = !isGitHub && !hidden;
  const ceiling = Math.max(PLAUSIBLE_ENGAGEMENT.floor, PLAUSIBLE_ENGAGEMENT.aboveTypical * typical);
  const capped = usesEngagement && reactions > ceiling;
  const countedReactions = capped ? ceiling : reactions;
  let engagementRatio: number | null = null;
  let engGross = 0;
  let engCounted = 0;
  if (usesEngagement) {
    const k = options.shrinkagePosts;
    engagementRatio = imputed ? 1 : shrunkRatio(countedReactions, typical, postsUsed, k);
    engCounted = engagementScore(engagementRatio);
    engGross = capped ? engagementScore(shrunkRatio(reactions, typical, postsUsed, k)) : engCounted;
    if (engagementRatio < BOUGHT_FOLLOWERS.startsBelow) {
      const b = BOUGHT_FOLLOWERS;
      const strength = Math.log(b.startsBelow / engagementRatio) / Math.log(b.startsBelow / b.fullBelow);
      flag('BOUGHT_FOLLOWERS_PATTERN', 'bought-followers', 1 - (1 - b.factor) * Math.min(1, strength), flags);
    }
  }
  let authenticity = 1;
  for (const f of flags) authenticity *= f.factor;
  if (authenticity < MIN_AUTHENTICITY) authenticity = MIN_AUTHENTICITY;

  const logCaps = options.logCaps[network];
  const reach = logScale(creditedFollowers, logCaps.followers);
  const ampGross = logScale(reactions, logCaps.amplification);
  const ampCounted = capped ? logScale(countedReactions, logCaps.amplification) : ampGross;

  // Weights. GitHub and hidden-follower YouTube have no engagement rate: amplification carries that weight too.
  let wReach = WEIGHT_REACH;
  let wAmp = usesEngagement ? WEIGHT_AMPLIFICATION : WEIGHT_AMPLIFICATION + WEIGHT_ENGAGEMENT;
  if (isGitHub) {
    wReach = calibration.githubReachWeight;
    wAmp = 1 - wReach;
  }
  const reachPart = wReach * reach;
  const amplificationPart = wAmp * ampGross;
  const engagementPart = WEIGHT_ENGAGEMENT * engGross;
  const gross = reachPart + amplificationPart + (usesEngagement ? engagementPart : 0);
  const counted = reachPart + wAmp * ampCounted + (usesEngagement ? WEIGHT_ENGAGEMENT * engCounted : 0);
  // Engagement far below typical can outweigh the other parts: the sub-score stops at 0.
  const subScore = authenticity * activity * Math.max(0, counted);

  if (capped) flags.push({ code: 'IMPLAUSIBLE_ENGAGEMENT', pattern: 'implausible', factor: 1 });

  return {
    network,
    metrics,
    subScore,
    reachPart,
    amplificationPart,
    engagementPart: usesEngagement ? engagementPart : 0,
    activityLoss: (1 - activity) * gross,
    plausibilityLoss: activity * (gross - counted),
    authenticityLoss: (1 - authenticity) * activity * counted,
    flags,
    authenticity,
    activity,
    postsInWindow,
    postsUsed,
    typicalReactions: reactions,
    imputed,
    daysSinceLastPost,
    engagementRatio,
    reach,
    creditedFollowers,
    amplification: ampCounted,
    evidence: isGitHub ? (hasRepoTotals ? 10 : 0) : postsInWindow,
    postsPerDay,
  };
}
