// One network's sub-score (0–100) and its decomposition into gross parts and losses, for the explanations.
import type { ResolvedOptions, NetworkParams } from './options.ts';
import type { ReasonCode } from './reasons.ts';
import { parseIsoMs, daysBetween } from './time.ts';
import type { Network, NetworkMetrics } from './types.ts';

const DAY_MS = 86_400_000;
const MAX_POSTS = 20;
/** Within this many posts, a network is judged mostly on reach (blended linearly up to full weight). */
const MIN_POSTS = 3;
const ACTIVITY_FULL_POSTS = 6;
const RECENCY_HALF_LIFE_DAYS = 90;
/** No post at all in the metrics: activity is unknown (not fetched, or reposts only), not dormant. */
export const UNKNOWN_ACTIVITY = 0.5;

export const WEIGHT_REACH = 0.2;
export const WEIGHT_AMPLIFICATION = 0.5;
export const WEIGHT_ENGAGEMENT = 0.3;
const REACH_ONLY_WEIGHT = 0.5;

export const FOLLOW_BACK = { minFollowing: 1500, ratio: 0.9, factor: 0.7 } as const;
export const YOUNG_ACCOUNT = { days: 90, factor: 0.8 } as const;
/** More than one post an hour around the clock, sustained over the account's life. */
export const AUTOMATION = { postsPerDay: 24, factor: 0.7 } as const;
/** A large audience that barely reacts: typical reactions < typical/30 with ≥ 1k followers and ≥ 5 posts. */
export const BOUGHT_FOLLOWERS = { minFollowers: 1_000, minPosts: 5, belowTypical: 30, factor: 0.7 } as const;
/** Engagement above `aboveTypical`× typical for the size (and above `floor` reactions) is not counted. */
export const PLAUSIBLE_ENGAGEMENT = { aboveTypical: 30, floor: 50 } as const;
export const MIN_AUTHENTICITY = 0.2;
/** Half a reaction added to observed and typical alike: keeps the log finite at zero and calm for tiny accounts. */
const REACTION_PSEUDO_COUNT = 0.5;

export const GITHUB_EXTRA = { stars: 'stars', forks: 'forks' } as const;

export interface AuthenticityFlag {
  code: ReasonCode;
  factor: number;
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
  typicalReactions: number;
  /** Days since the newest post; null when no post is known. */
  daysSinceLastPost: number | null;
  /** Shrunk engagement rate divided by the typical rate for the size; null when it cannot be computed. */
  engagementRatio: number | null;
  reach: number;
  amplification: number;
  /** How much post-level evidence backs the score (posts in window; GitHub: 10 when repo totals are present). */
  evidence: number;
  /** Lifetime posts per day, when the account's age is known. */
  postsPerDay: number | null;
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

export function typicalEngagement(params: NetworkParams, followers: number): number {
  return params.typicalEngagementAt1k * Math.pow(Math.max(followers, 10) / 1000, -params.engagementSizeSlope);
}

/**
 * The typical post: the interquartile mean (mean of the middle half; the median for 3 posts). As robust to one
 * viral post as the median, but it moves in smaller steps when reactions are small whole numbers.
 */
function typicalPost(values: number[]): number {
  const n = values.length;
  if (n === 0) return 0;
  values.sort((a, b) => a - b);
  const trim = n >= 3 ? Math.max(1, n >> 2) : 0;
  let sum = 0;
  for (let i = trim; i < n - trim; i++) sum += values[i]!;
  return sum / (n - 2 * trim);
}

function logScale(value: number, cap: number): number {
  return 100 * clamp01(Math.log10(1 + value) / Math.log10(1 + cap));
}

/**
 * 50 = typical for the size; 100 at the plausibility ceiling (30× typical), 0 at 1/30 of typical, log-linear between.
 * The slope is gentle enough that followers added without engagement always cost more here than they add in reach.
 */
function engagementScore(ratio: number): number {
  const l = Math.log(ratio) / Math.log(PLAUSIBLE_ENGAGEMENT.aboveTypical);
  return 50 + 50 * (l < -1 ? -1 : l > 1 ? 1 : l);
}

export function scoreNetwork(metrics: NetworkMetrics, options: ResolvedOptions): NetworkScore {
  const network = metrics.network;
  const params = options.params[network];
  const fetched = parseIsoMs(metrics.fetchedAt);
  const windowStart = fetched - options.windowDays * DAY_MS;
  const tolerance = fetched + DAY_MS; // clock skew between the provider and us

  // Posts in the window, newest first; the median reads the newest ≤ 20.
  let newest = Number.NEGATIVE_INFINITY;
  const inWindow: { t: number; a: number }[] = [];
  for (const post of metrics.recentPosts) {
    const t = parseIsoMs(post.at);
    if (t > newest) newest = t;
    if (t >= windowStart && t <= tolerance) inWindow.push({ t, a: 3 * post.reshares + 2 * post.replies + post.likes });
  }
  const postsInWindow = inWindow.length;
  if (postsInWindow > MAX_POSTS) inWindow.sort((p, q) => q.t - p.t || q.a - p.a);
  const postsUsed = Math.min(postsInWindow, MAX_POSTS);
  const reactions: number[] = new Array<number>(postsUsed);
  for (let i = 0; i < postsUsed; i++) reactions[i] = inWindow[i]!.a;

  const hidden = metrics.followersHidden === true;
  const followers = hidden ? 0 : metrics.followers;
  const isGitHub = network === 'github';
  const stars = metrics.extra?.[GITHUB_EXTRA.stars];
  const forks = metrics.extra?.[GITHUB_EXTRA.forks];
  const hasRepoTotals = isGitHub && (stars !== undefined || forks !== undefined);

  let typicalReactions: number;
  let evidenceWeight: number; // 0 → judged on reach only, 1 → full model
  if (isGitHub) {
    typicalReactions = Math.max(0, stars ?? 0) + 3 * Math.max(0, forks ?? 0);
    evidenceWeight = hasRepoTotals ? 1 : 0;
  } else {
    typicalReactions = typicalPost(reactions);
    evidenceWeight = Math.min(1, postsUsed / MIN_POSTS);
  }

  // Activity: GitHub's is not observed (stars and forks are lifetime totals) unless the provider sends posts.
  const daysSinceLastPost = Number.isFinite(newest) ? Math.max(0, daysBetween(fetched, newest)) : null;
  let activity: number;
  if (isGitHub && metrics.recentPosts.length === 0) activity = 1;
  else if (daysSinceLastPost === null) activity = UNKNOWN_ACTIVITY;
  else {
    activity =
      0.25 + 0.75 * Math.min(1, postsInWindow / ACTIVITY_FULL_POSTS) * Math.pow(2, -daysSinceLastPost / RECENCY_HALF_LIFE_DAYS);
  }

  // Authenticity flags.
  const flags: AuthenticityFlag[] = [];
  if (!hidden && metrics.following > FOLLOW_BACK.minFollowing && metrics.following > FOLLOW_BACK.ratio * followers) {
    flags.push({ code: 'FOLLOW_BACK_PATTERN', factor: FOLLOW_BACK.factor });
  }
  let postsPerDay: number | null = null;
  if (metrics.createdAt !== undefined) {
    const ageDays = daysBetween(fetched, parseIsoMs(metrics.createdAt));
    if (ageDays >= 0) {
      if (ageDays < YOUNG_ACCOUNT.days) flags.push({ code: 'YOUNG_ACCOUNT', factor: YOUNG_ACCOUNT.factor });
      postsPerDay = metrics.posts / Math.max(ageDays, 7);
      if (!isGitHub && postsPerDay > AUTOMATION.postsPerDay) flags.push({ code: 'AUTOMATION_RATE', factor: AUTOMATION.factor });
    }
  }
  const typical = typicalEngagement(params, followers);
  if (
    !isGitHub &&
    followers >= BOUGHT_FOLLOWERS.minFollowers &&
    postsUsed >= BOUGHT_FOLLOWERS.minPosts &&
    typicalReactions < (typical * followers) / BOUGHT_FOLLOWERS.belowTypical
  ) {
    flags.push({ code: 'BOUGHT_FOLLOWERS_PATTERN', factor: BOUGHT_FOLLOWERS.factor });
  }
  let authenticity = 1;
  for (const flag of flags) authenticity *= flag.factor;
  if (authenticity < MIN_AUTHENTICITY) authenticity = MIN_AUTHENTICITY;

  // Plausibility ceiling: reactions beyond it are not counted (a cap, not a penalty, so the model stays monotone).
  let countedReactions = typicalReactions;
  if (!isGitHub && !hidden) {
    const ceiling = Math.max(PLAUSIBLE_ENGAGEMENT.floor, PLAUSIBLE_ENGAGEMENT.aboveTypical * typical * followers);
    if (countedReactions > ceiling) countedReactions = ceiling;
  }

  const reach = logScale(followers, params.followerCap);
  const ampGross = logScale(typicalReactions, params.amplificationCap);
  const ampCounted = logScale(countedReactions, params.amplificationCap);

  let engagementRatio: number | null = null;
  let engGross = 0;
  let engCounted = 0;
  const usesEngagement = !isGitHub && !hidden;
  if (usesEngagement && evidenceWeight > 0) {
    const base = Math.max(followers, 10);
    const k = options.shrinkagePosts;
    // Empirical-Bayes shrinkage on the log scale (engagement rates are roughly log-normal): the observed ratio to
    // typical counts n/(n+k), the size prior (ratio 1) k/(n+k). No floor from the prior, so followers added without
    // engagement keep lowering the ratio.
    const weight = postsUsed / (postsUsed + k);
    const typicalReactionsForSize = base * typical;
    const shrink = (m: number): number =>
      Math.pow((m + REACTION_PSEUDO_COUNT) / (typicalReactionsForSize + REACTION_PSEUDO_COUNT), weight);
    engagementRatio = shrink(countedReactions);
    engGross = engagementScore(shrink(typicalReactions));
    engCounted = engagementScore(engagementRatio);
  }

  // Weights: reach-only below MIN_POSTS, blended up to the full model. GitHub and hidden-follower YouTube have no
  // engagement rate, so amplification carries that weight too.
  const wAmp = usesEngagement ? WEIGHT_AMPLIFICATION : WEIGHT_AMPLIFICATION + WEIGHT_ENGAGEMENT;
  const wReach = (1 - evidenceWeight) * REACH_ONLY_WEIGHT + evidenceWeight * WEIGHT_REACH;
  const reachPart = wReach * reach;
  const amplificationPart = evidenceWeight * wAmp * ampGross;
  const engagementPart = evidenceWeight * WEIGHT_ENGAGEMENT * engGross;
  const gross = reachPart + amplificationPart + engagementPart;
  const counted = reachPart + evidenceWeight * (wAmp * ampCounted + WEIGHT_ENGAGEMENT * engCounted);
  const subScore = authenticity * activity * counted;

  if (countedReactions < typicalReactions) flags.push({ code: 'IMPLAUSIBLE_ENGAGEMENT', factor: 1 });

  return {
    network,
    metrics,
    subScore,
    reachPart,
    amplificationPart,
    engagementPart,
    activityLoss: (1 - activity) * gross,
    plausibilityLoss: activity * (gross - counted),
    authenticityLoss: (1 - authenticity) * activity * counted,
    flags,
    authenticity,
    activity,
    postsInWindow,
    postsUsed,
    typicalReactions,
    daysSinceLastPost,
    engagementRatio,
    reach,
    amplification: ampCounted,
    evidence: isGitHub ? (hasRepoTotals ? 10 : 0) : postsInWindow,
    postsPerDay,
  };
}
