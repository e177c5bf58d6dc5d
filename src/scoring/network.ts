// One network's sub-score (0–100) and its decomposition into gross parts and losses, for the explanations.
import type { NetworkParams, ResolvedOptions } from './options.ts';
import type { ReasonCode } from './reasons.ts';
import { interquartileMeanOfSmall, SMALL_LIMIT } from './sort20.ts';
import { daysBetween, parseIsoMs } from './time.ts';
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
/**
 * An audience that barely reacts (≥ 1k followers, ≥ 5 posts): the penalty ramps from none at 1/10 of the typical
 * engagement for the size to ×0.7 at 1/100.
 */
export const BOUGHT_FOLLOWERS = {
  minFollowers: 1_000,
  minPosts: 5,
  startsBelow: 0.1,
  fullBelow: 0.01,
  factor: 0.7,
} as const;
const LOG_BOUGHT_FOLLOWERS_RAMP = Math.log(BOUGHT_FOLLOWERS.startsBelow / BOUGHT_FOLLOWERS.fullBelow);
/** Engagement above `aboveTypical`× typical for the size (and above `floor` reactions) is not counted. */
export const PLAUSIBLE_ENGAGEMENT = { aboveTypical: 30, floor: 50 } as const;
export const MIN_AUTHENTICITY = 0.2;
/** Half a reaction added to observed and typical alike: keeps the log finite at zero and calm for tiny accounts. */
const REACTION_PSEUDO_COUNT = 0.5;

export const GITHUB_EXTRA = { stars: 'stars', forks: 'forks' } as const;

export interface AuthenticityFlag {
  readonly code: ReasonCode;
  readonly factor: number;
}

// Flags with a fixed factor are shared constants: no allocation per flagged account.
const FOLLOW_BACK_FLAG: AuthenticityFlag = { code: 'FOLLOW_BACK_PATTERN', factor: FOLLOW_BACK.factor };
const YOUNG_ACCOUNT_FLAG: AuthenticityFlag = { code: 'YOUNG_ACCOUNT', factor: YOUNG_ACCOUNT.factor };
const AUTOMATION_FLAG: AuthenticityFlag = { code: 'AUTOMATION_RATE', factor: AUTOMATION.factor };
const IMPLAUSIBLE_ENGAGEMENT_FLAG: AuthenticityFlag = { code: 'IMPLAUSIBLE_ENGAGEMENT', factor: 1 };

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

/** Reused buffer of weighted reactions (the model stays pure: nothing in it outlives one call). */
let scratch: Float64Array<ArrayBuffer> = new Float64Array(64);
function growScratch(buffer: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const bigger = new Float64Array(buffer.length * 2);
  bigger.set(buffer);
  return bigger;
}

interface WindowBounds {
  start24: string;
  end24: string;
  start20: string;
  end20: string;
}
/** The last bounds computed: a provider batch shares one fetchedAt, and formatting dates is not cheap. */
let lastBounds: { startMs: number; endMs: number; bounds: WindowBounds | null } = {
  startMs: Number.NaN,
  endMs: Number.NaN,
  bounds: null,
};

/** ISO strings of the window's bounds, for comparing post stamps as strings; null outside years 0–9999. */
function windowBounds(startMs: number, endMs: number): WindowBounds | null {
  if (lastBounds.startMs === startMs && lastBounds.endMs === endMs) return lastBounds.bounds;
  const bounds = formatBounds(startMs, endMs);
  lastBounds = { startMs, endMs, bounds };
  return bounds;
}

function formatBounds(startMs: number, endMs: number): WindowBounds | null {
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) return null;
  const start24 = new Date(startMs).toISOString();
  const end24 = new Date(endMs).toISOString();
  if (start24.length !== 24 || end24.length !== 24) return null;
  // 20-character stamps have no milliseconds: "…:SSZ" ≥ start when its second is ≥ start's second (rounded up).
  const start20 = new Date(Math.ceil(startMs / 1000) * 1000).toISOString().slice(0, 19) + 'Z';
  const end20 = new Date(Math.floor(endMs / 1000) * 1000).toISOString().slice(0, 19) + 'Z';
  return { start24, end24, start20, end20 };
}

/** More than 20 posts in the window (rare): keep the reactions of the newest 20 in `scratch`, newest first. */
function newestInWindow(posts: NetworkMetrics['recentPosts'], windowStart: number, tolerance: number): void {
  const inWindow: { t: number; a: number }[] = [];
  for (const post of posts) {
    const t = parseIsoMs(post.at);
    if (t >= windowStart && t <= tolerance) inWindow.push({ t, a: 3 * post.reshares + 2 * post.replies + post.likes });
  }
  inWindow.sort((p, q) => q.t - p.t || q.a - p.a);
  for (let i = 0; i < MAX_POSTS; i++) scratch[i] = inWindow[i]!.a;
}

/** Set by the post readers: posts in the window and the newest post's time (−∞ when none is known). */
let readCount = 0;
let readNewest = Number.NEGATIVE_INFINITY;

function reserve(n: number): void {
  while (scratch.length < n) scratch = growScratch(scratch);
}

/**
 * The common case, read with one string comparison per post: every stamp in one UTC layout (24 characters with
 * milliseconds, or 20 without), newest first, as the networks' timelines come. Within one such layout strings
 * compare like the instants they name. Returns false (having decided nothing) for any other input.
 */
function readNewestFirstPosts(posts: NetworkMetrics['recentPosts'], bounds: WindowBounds | null): boolean {
  const n = posts.length;
  if (n === 0 || bounds === null) return false;
  const first = posts[0]!;
  const newestAt = first.at;
  const layout = newestAt.length;
  const mark19 = layout === 24 ? 46 /* . */ : 90; /* Z */
  if ((layout !== 24 && layout !== 20) || newestAt.charCodeAt(19) !== mark19 || newestAt.charCodeAt(layout - 1) !== 90)
    return false;
  reserve(n);
  scratch[0] = 3 * first.reshares + 2 * first.replies + first.likes;
  let previous = newestAt;
  for (let i = 1; i < n; i++) {
    const post = posts[i]!;
    const at = post.at;
    if (at.length !== layout || at.charCodeAt(19) !== mark19 || at.charCodeAt(layout - 1) !== 90 || at > previous)
      return false;
    previous = at;
    scratch[i] = 3 * post.reshares + 2 * post.replies + post.likes;
  }
  const start = layout === 24 ? bounds.start24 : bounds.start20;
  const end = layout === 24 ? bounds.end24 : bounds.end20;
  let from = 0; // first post not after the window (posts from the future are rare: a linear walk)
  while (from < n && posts[from]!.at > end) from++;
  let low = from; // then the first post before the window, by binary search
  let high = n;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (posts[middle]!.at < start) high = middle;
    else low = middle + 1;
  }
  const count = low - from;
  // Over 20 in the window, ties at the cut are broken by reactions: the general reader does that.
  if (count > MAX_POSTS) return false;
  if (from > 0) scratch.copyWithin(0, from, low);
  readCount = count;
  readNewest = parseIsoMs(newestAt);
  return true;
}

/** Any order, any ISO layout: most stamps placed against the window as strings, the others parsed. */
function readAnyPosts(
  posts: NetworkMetrics['recentPosts'],
  bounds: WindowBounds | null,
  windowStart: number,
  tolerance: number,
): void {
  let newest = Number.NEGATIVE_INFINITY;
  let newest24 = '';
  let newest20 = '';
  let count = 0;
  for (let i = 0; i < posts.length; i++) {
    const post = posts[i]!;
    const at = post.at;
    let inside: boolean;
    if (bounds !== null && at.length === 24 && at.charCodeAt(23) === 90 && at.charCodeAt(19) === 46) {
      inside = at >= bounds.start24 && at <= bounds.end24;
      if (at > newest24) newest24 = at;
    } else if (bounds !== null && at.length === 20 && at.charCodeAt(19) === 90) {
      inside = at >= bounds.start20 && at <= bounds.end20;
      if (at > newest20) newest20 = at;
    } else {
      const t = parseIsoMs(at);
      if (t > newest) newest = t;
      inside = t >= windowStart && t <= tolerance;
    }
    if (inside) {
      if (count === scratch.length) scratch = growScratch(scratch);
      scratch[count++] = 3 * post.reshares + 2 * post.replies + post.likes;
    }
  }
  if (newest24 !== '') newest = Math.max(newest, parseIsoMs(newest24));
  if (newest20 !== '') newest = Math.max(newest, parseIsoMs(newest20));
  if (count > MAX_POSTS) newestInWindow(posts, windowStart, tolerance);
  readCount = count;
  readNewest = newest;
}

/** Whole numbers small enough for the branch-free sort (weighted reactions almost always are). */
function smallWholeNumbers(values: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if ((v | 0) !== v || v >= SMALL_LIMIT || v <= -SMALL_LIMIT) return false;
  }
  return true;
}

/**
 * The typical post: the interquartile mean (mean of the middle half; the median for 3 posts). As robust to one
 * viral post as the median, but it moves in smaller steps when reactions are small whole numbers.
 */
function typicalPost(values: Float64Array, n: number): number {
  if (n === 0) return 0;
  for (let i = 1; i < n; i++) {
    const v = values[i]!;
    let j = i - 1;
    while (j >= 0 && values[j]! > v) {
      values[j + 1] = values[j]!;
      j--;
    }
    values[j + 1] = v;
  }
  const trim = n >= 3 ? Math.max(1, n >> 2) : 0;
  let sum = 0;
  for (let i = trim; i < n - trim; i++) sum += values[i]!;
  return sum / (n - 2 * trim);
}

/** 0–100 on a log scale reaching 100 at the cap; `logCap` is log10(1 + cap), computed once per network. */
function logScale(value: number, logCap: number): number {
  return 100 * clamp01(Math.log10(1 + value) / logCap);
}

let lastFetched = { text: '', ms: Number.NaN };
/** fetchedAt repeats across a provider batch: remember the last one parsed. */
function parseFetchedAt(text: string): number {
  if (text !== lastFetched.text) lastFetched = { text, ms: parseIsoMs(text) };
  return lastFetched.ms;
}

function shrunkRatio(reactions: number, typicalReactions: number, weight: number): number {
  return Math.pow((reactions + REACTION_PSEUDO_COUNT) / (typicalReactions + REACTION_PSEUDO_COUNT), weight);
}

/**
 * 50 = typical for the size; 100 at the plausibility ceiling (30× typical), 0 at 1/30 of typical, log-linear between.
 * The slope is gentle enough that followers added without engagement always cost more here than they add in reach.
 */
const INV_LOG_PLAUSIBLE = 1 / Math.log(PLAUSIBLE_ENGAGEMENT.aboveTypical);
function engagementScore(ratio: number): number {
  const l = Math.log(ratio) * INV_LOG_PLAUSIBLE;
  return 50 + 50 * (l < -1 ? -1 : l > 1 ? 1 : l);
}

export function scoreNetwork(metrics: NetworkMetrics, options: ResolvedOptions): NetworkScore {
  const network = metrics.network;
  const params = options.params[network];
  const fetched = parseFetchedAt(metrics.fetchedAt);
  const windowStart = fetched - options.windowDays * DAY_MS;
  const tolerance = fetched + DAY_MS; // clock skew between the provider and us

  // Posts in the window; the typical post is read from the newest ≤ 20 (`scratch`).
  const bounds = windowBounds(windowStart, tolerance);
  const posts = metrics.recentPosts;
  if (!readNewestFirstPosts(posts, bounds)) readAnyPosts(posts, bounds, windowStart, tolerance);
  const postsInWindow = readCount;
  const newest = readNewest;
  const postsUsed = Math.min(postsInWindow, MAX_POSTS);

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
    typicalReactions = smallWholeNumbers(scratch, postsUsed)
      ? interquartileMeanOfSmall(scratch, postsUsed)
      : typicalPost(scratch, postsUsed);
    evidenceWeight = Math.min(1, postsUsed / MIN_POSTS);
  }

  // Activity: GitHub's is not observed (stars and forks are lifetime totals) unless the provider sends posts.
  const daysSinceLastPost = Number.isFinite(newest) ? Math.max(0, daysBetween(fetched, newest)) : null;
  let activity: number;
  if (isGitHub && metrics.recentPosts.length === 0) activity = 1;
  else if (daysSinceLastPost === null) activity = UNKNOWN_ACTIVITY;
  else {
    activity =
      0.25 +
      0.75 *
        Math.min(1, postsInWindow / ACTIVITY_FULL_POSTS) *
        Math.pow(2, -daysSinceLastPost / RECENCY_HALF_LIFE_DAYS);
  }

  // Authenticity flags.
  const flags: AuthenticityFlag[] = [];
  if (!hidden && metrics.following > FOLLOW_BACK.minFollowing && metrics.following > FOLLOW_BACK.ratio * followers) {
    flags.push(FOLLOW_BACK_FLAG);
  }
  let postsPerDay: number | null = null;
  if (metrics.createdAt !== undefined) {
    const ageDays = daysBetween(fetched, parseIsoMs(metrics.createdAt));
    if (ageDays >= 0) {
      if (ageDays < YOUNG_ACCOUNT.days) flags.push(YOUNG_ACCOUNT_FLAG);
      postsPerDay = metrics.posts / Math.max(ageDays, 7);
      if (!isGitHub && postsPerDay > AUTOMATION.postsPerDay) flags.push(AUTOMATION_FLAG);
    }
  }
  const typical = typicalEngagement(params, followers);
  if (!isGitHub && followers >= BOUGHT_FOLLOWERS.minFollowers && postsUsed >= BOUGHT_FOLLOWERS.minPosts) {
    // A ramp, not a step: from no penalty at 1/10 of typical engagement to the full factor at 1/100, log-linear,
    // so one post more or less never switches a 30 % penalty on or off.
    const ratio = typicalReactions / (typical * followers);
    if (ratio < BOUGHT_FOLLOWERS.startsBelow) {
      const strength = Math.log(BOUGHT_FOLLOWERS.startsBelow / Math.max(ratio, 1e-9)) / LOG_BOUGHT_FOLLOWERS_RAMP;
      if (strength > 0)
        flags.push({
          code: 'BOUGHT_FOLLOWERS_PATTERN',
          factor: 1 - (1 - BOUGHT_FOLLOWERS.factor) * Math.min(1, strength),
        });
    }
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

  const logCaps = options.logCaps[network];
  const reach = logScale(followers, logCaps.followers);
  const ampGross = logScale(typicalReactions, logCaps.amplification);
  const capped = countedReactions < typicalReactions;
  const ampCounted = capped ? logScale(countedReactions, logCaps.amplification) : ampGross;

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
    engagementRatio = shrunkRatio(countedReactions, typicalReactionsForSize, weight);
    engCounted = engagementScore(engagementRatio);
    engGross = capped ? engagementScore(shrunkRatio(typicalReactions, typicalReactionsForSize, weight)) : engCounted;
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

  if (capped) flags.push(IMPLAUSIBLE_ENGAGEMENT_FLAG);

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
