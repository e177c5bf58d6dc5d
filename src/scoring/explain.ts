// Top factors: short sentences with signed points that add up to the score (within rounding).
// Hot path: candidates live in reused typed arrays and only the shown ones are rendered to text, from prefixes and
// suffixes built once (string concatenation and number formatting were most of a contact's explanation cost).
import type { NetworkScore } from './network.ts';
import { GITHUB_EXTRA } from './network.ts';
import { type Factor, type Network, NETWORKS } from './types.ts';

export const NETWORK_NAMES: Record<Network, string> = {
  x: 'X',
  github: 'GitHub',
  mastodon: 'Mastodon',
  bluesky: 'Bluesky',
  youtube: 'YouTube',
  linkedin: 'LinkedIn',
};

const TOP_POSITIVE = 3;
const TOP_NEGATIVE = 2;

export function compact(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e6) return `${trim(n / 1e6)}M`;
  if (abs >= 1e3) return `${trim(n / 1e3)}k`;
  return trim(n);
}
/** One decimal, no trailing ".0"; integer arithmetic, because formatting doubles dominated the cost of a result. */
function trim(n: number): string {
  const tenths = Math.round(n * 10);
  if (!Number.isSafeInteger(tenths)) return String(Math.round(n * 10) / 10);
  if (tenths >= 0 && tenths % 10 === 0) return String(tenths / 10); // the common case: a whole, non-negative number
  const sign = tenths < 0 ? '-' : '';
  const abs = Math.abs(tenths);
  const whole = Math.floor(abs / 10);
  const decimal = abs - whole * 10;
  return decimal === 0 ? `${sign}${whole}` : `${sign}${whole}.${decimal}`;
}
const round1 = (x: number): number => Math.round(x * 10) / 10;

const REACH = 0;
const AMPLIFICATION = 1;
const ENGAGEMENT = 2;
const ACTIVITY = 3;
const PLAUSIBILITY = 4;
const FLAG = 5;

/** "+ X: " and "− X: " for every network: the start of every factor line. */
const PREFIX = Object.fromEntries(
  NETWORKS.map((n) => [n, { positive: `+ ${NETWORK_NAMES[n]}: `, negative: `− ${NETWORK_NAMES[n]}: ` }]),
) as Record<Network, { positive: string; negative: string }>;

/** Suffixes that depend on the window (one options set is scored many times: built once per window length). */
interface WindowTexts {
  windowDays: number;
  /** ` weighted reactions on a typical post (N posts, W days)` by N. */
  amplification: string[];
  noPosts: string;
  fewPosts: string[];
}
let windowTexts: WindowTexts | null = null;
function textsFor(windowDays: number): WindowTexts {
  if (windowTexts?.windowDays === windowDays) return windowTexts;
  const amplification: string[] = [];
  const fewPosts: string[] = [];
  for (let n = 0; n <= 20; n++)
    amplification.push(` weighted reactions on a typical post (${postCount(n)}, ${windowDays} days)`);
  for (let n = 0; n < 6; n++) fewPosts.push(`only ${n} original post${n === 1 ? '' : 's'} in ${windowDays} days`);
  windowTexts = { windowDays, amplification, noPosts: `no original posts in ${windowDays} days`, fewPosts };
  return windowTexts;
}

const postCount = (n: number): string => (n === 1 ? '1 post' : `${n} posts`);
const lastPostText = (days: number): string =>
  days === 0
    ? 'last original post today'
    : days === 1
      ? 'last original post yesterday'
      : `last original post ${days} days ago`;

/** The text after "± Network: " of one candidate. */
function render(ns: NetworkScore, kind: number, flagIndex: number, texts: WindowTexts, windowDays: number): string {
  const m = ns.metrics;
  switch (kind) {
    case REACH:
      return `${compact(m.followers)} followers`;
    case AMPLIFICATION:
      if (ns.network === 'github') {
        return `${compact(m.extra?.[GITHUB_EXTRA.stars] ?? 0)} stars, ${compact(m.extra?.[GITHUB_EXTRA.forks] ?? 0)} forks on own repos`;
      }
      return (
        compact(ns.typicalReactions) +
        (texts.amplification[ns.postsUsed] ??
          ` weighted reactions on a typical post (${postCount(ns.postsUsed)}, ${windowDays} days)`)
      );
    case ENGAGEMENT:
      return ns.engagementRatio === null
        ? 'engagement'
        : `engagement ${trim(ns.engagementRatio)}× typical for its size`;
    case ACTIVITY:
      if (ns.daysSinceLastPost === null) return 'no original posts seen (activity unknown)';
      if (ns.postsInWindow === 0) return texts.noPosts;
      if (ns.postsInWindow < 6) return texts.fewPosts[ns.postsInWindow]!;
      return lastPostText(Math.round(ns.daysSinceLastPost));
    case PLAUSIBILITY:
      return 'engagement above what is plausible for its size (excess not counted)';
    default:
      switch (ns.flags[flagIndex]?.code) {
        case 'FOLLOW_BACK_PATTERN':
          return `follow-back pattern (${compact(m.following)} following / ${compact(m.followers)} followers)`;
        case 'YOUNG_ACCOUNT':
          return 'account younger than 90 days';
        case 'AUTOMATION_RATE':
          return `about ${Math.round(ns.postsPerDay ?? 0)} posts a day over the account's life (automation-like)`;
        case 'BOUGHT_FOLLOWERS_PATTERN':
          return 'audience barely reacts for its size (bought-followers pattern)';
        default:
          return ns.flags[flagIndex]?.code ?? 'flag';
      }
  }
}

/**
 * The strongest candidates so far, offered one by one in a fixed order (ties: first come stays ahead): 3 positive,
 * 2 negative. Each is kept as its points and who it is, packed as owner·256 + kind·16 + flag index.
 */
const positivePoints = new Float64Array(TOP_POSITIVE);
const positiveWho = new Int32Array(TOP_POSITIVE);
const negativePoints = new Float64Array(TOP_NEGATIVE);
const negativeWho = new Int32Array(TOP_NEGATIVE);
let positiveCount = 0;
let negativeCount = 0;

function keep(list: Float64Array, who: Int32Array, count: number, limit: number, value: number, id: number): number {
  const magnitude = Math.abs(value);
  if (count === limit && Math.abs(list[limit - 1]!) >= magnitude) return count;
  const kept = count < limit ? count + 1 : count;
  let i = kept - 1;
  while (i > 0 && Math.abs(list[i - 1]!) < magnitude) {
    list[i] = list[i - 1]!;
    who[i] = who[i - 1]!;
    i--;
  }
  list[i] = value;
  who[i] = id;
  return kept;
}

function offer(owner: number, kind: number, value: number, flagIndex = 0): void {
  if (value > 0)
    positiveCount = keep(
      positivePoints,
      positiveWho,
      positiveCount,
      TOP_POSITIVE,
      value,
      (owner << 8) | (kind << 4) | flagIndex,
    );
  else if (value < 0)
    negativeCount = keep(
      negativePoints,
      negativeWho,
      negativeCount,
      TOP_NEGATIVE,
      value,
      (owner << 8) | (kind << 4) | flagIndex,
    );
}

function collect(index: number, ns: NetworkScore, contribution: number): void {
  if (ns.subScore <= 0 || contribution <= 0) return;
  const ratio = contribution / ns.subScore;
  offer(index, REACH, ns.reachPart * ratio);
  offer(index, AMPLIFICATION, ns.amplificationPart * ratio);
  offer(index, ENGAGEMENT, ns.engagementPart * ratio);
  offer(index, ACTIVITY, -ns.activityLoss * ratio);
  offer(index, PLAUSIBILITY, -ns.plausibilityLoss * ratio);
  // Split the authenticity loss between the flags in proportion to log(factor) (they multiply).
  const flags = ns.flags;
  if (flags.length === 0) return;
  let logSum = 0;
  for (const flag of flags) if (flag.factor < 1) logSum += Math.log(flag.factor);
  if (logSum === 0) return;
  for (let f = 0; f < flags.length; f++) {
    const factor = flags[f]!.factor;
    if (factor < 1) offer(index, FLAG, (-ns.authenticityLoss * ratio * Math.log(factor)) / logSum, f);
  }
}

const OTHER_POSITIVE = '+ Other, smaller factors';
const OTHER_NEGATIVE = '− Other, smaller factors';

/**
 * Top 3 positive and top 2 negative factors of `scored[0..count)`, plus one "other factors" line holding the rest,
 * so that the points shown add up to `roundedScore`.
 */
export function explain(
  scored: readonly NetworkScore[],
  contributions: ArrayLike<number>,
  count: number,
  roundedScore: number,
  windowDays: number,
): Factor[] {
  positiveCount = 0;
  negativeCount = 0;
  for (let i = 0; i < count; i++) collect(i, scored[i]!, contributions[i]!);
  const texts = textsFor(windowDays);
  const factors: Factor[] = [];
  let shown = 0;
  for (let group = 0; group < 2; group++) {
    const list = group === 0 ? positivePoints : negativePoints;
    const who = group === 0 ? positiveWho : negativeWho;
    const kept = group === 0 ? positiveCount : negativeCount;
    for (let b = 0; b < kept; b++) {
      const rounded = round1(list[b]!);
      if (rounded === 0) continue;
      shown += rounded;
      const id = who[b]!;
      const ns = scored[id >> 8]!;
      const prefix = rounded > 0 ? PREFIX[ns.network].positive : PREFIX[ns.network].negative;
      factors.push({
        network: ns.network,
        text: prefix + render(ns, (id >> 4) & 15, id & 15, texts, windowDays),
        points: rounded,
      });
    }
  }
  const rest = round1(roundedScore - shown);
  if (rest !== 0) factors.push({ text: rest > 0 ? OTHER_POSITIVE : OTHER_NEGATIVE, points: rest });
  return factors;
}

/** The labelled, separate YouTube line (0 points: it is not part of the total). */
export function youtubeFactor(subScore: number): Factor {
  return {
    network: 'youtube',
    text: `YouTube, scored separately (not in the total): ${trim(subScore)}/100`,
    points: 0,
  };
}
