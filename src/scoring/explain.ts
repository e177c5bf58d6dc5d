// Top factors: short sentences with signed points that add up to the score (within rounding). Only the shown
// candidates are rendered to text.
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

const postCount = (n: number): string => (n === 1 ? '1 post' : `${n} posts`);
/** The text after "± Network: " of one candidate. */
function render(ns: NetworkScore, kind: number, flagIndex: number, windowDays: number): string {
  const m = ns.metrics;
  switch (kind) {
    case REACH:
      return ns.creditedFollowers < m.followers * 0.99
        ? `${compact(m.followers)} followers, counted as ${compact(Math.round(ns.creditedFollowers))} (more than stars and repositories back)`
        : `${compact(m.followers)} followers`;
    case AMPLIFICATION:
      if (ns.imputed)
        return ns.network === 'github'
          ? 'stars and forks not read (typical for its followers assumed)'
          : `no posts read (${compact(ns.typicalReactions)} weighted reactions, typical for its size, assumed)`;
      if (ns.network === 'github')
        return `${compact(m.extra?.[GITHUB_EXTRA.stars] ?? 0)} stars, ${compact(m.extra?.[GITHUB_EXTRA.forks] ?? 0)} forks on own repos`;
      return `${compact(ns.typicalReactions)} weighted reactions on a typical post (${postCount(ns.postsUsed)}, ${windowDays} days)`;
    case ENGAGEMENT:
      if (ns.imputed) return 'engagement typical for its size assumed (no posts read)';
      return ns.engagementRatio === null
        ? 'engagement'
        : `engagement ${trim(ns.engagementRatio)}× typical for its size`;
    case ACTIVITY:
      return `no original post in ${windowDays} days (the last ${Math.round(ns.daysSinceLastPost ?? 0)} days ago)`;
    case PLAUSIBILITY:
      return 'engagement above what is plausible for its size (excess not counted)';
    default: {
      const flag = ns.flags[flagIndex];
      switch (flag?.pattern) {
        case 'follow-back':
          return `follow-back pattern (${compact(m.following)} following / ${compact(m.followers)} followers)`;
        case 'young':
          return 'account younger than 90 days';
        case 'posting-rate':
          return `about ${Math.round(ns.postsPerDay ?? 0)} posts a day over the account's life (automation-like)`;
        case 'one-way':
          return `${compact(m.posts)} posts but follows${m.likesGiven === undefined ? '' : ' and likes'} almost no one (broadcast feed)`;
        case 'bought-followers':
          return 'audience barely reacts for its size (bought-followers pattern)';
        default:
          return flag?.code ?? 'flag';
      }
    }
  }
}

/** A candidate factor is packed as owner·256 + kind·16 + flag index (a contact has few networks and flags). */
const pack = (owner: number, kind: number, flagIndex: number): number => (owner << 8) | (kind << 4) | flagIndex;

/**
 * Every candidate's points and packed id, in a fixed order (networks as counted; within one, the parts then the
 * losses), into `points` and `ids`.
 */
function candidates(
  scored: readonly NetworkScore[],
  contributions: ArrayLike<number>,
  count: number,
  points: number[],
  ids: number[],
): void {
  for (let owner = 0; owner < count; owner++) {
    const ns = scored[owner]!;
    const contribution = contributions[owner]!;
    if (ns.subScore <= 0 || contribution <= 0) continue;
    const ratio = contribution / ns.subScore;
    points.push(
      ns.reachPart * ratio,
      ns.amplificationPart * ratio,
      ns.engagementPart * ratio,
      -ns.activityLoss * ratio,
      -ns.plausibilityLoss * ratio,
    );
    ids.push(
      pack(owner, REACH, 0),
      pack(owner, AMPLIFICATION, 0),
      pack(owner, ENGAGEMENT, 0),
      pack(owner, ACTIVITY, 0),
      pack(owner, PLAUSIBILITY, 0),
    );
    // Split the authenticity loss between the flags in proportion to log(factor) (they multiply).
    let logSum = 0;
    for (const flag of ns.flags) if (flag.factor < 1) logSum += Math.log(flag.factor);
    if (logSum === 0) continue;
    for (let f = 0; f < ns.flags.length; f++) {
      const factor = ns.flags[f]!.factor;
      if (factor >= 1) continue;
      points.push((-ns.authenticityLoss * ratio * Math.log(factor)) / logSum);
      ids.push(pack(owner, FLAG, f));
    }
  }
}

/** Indexes of the `limit` largest by size among the candidates of one sign (ties keep the fixed order). */
function strongest(points: readonly number[], sign: 1 | -1, limit: number): number[] {
  const kept: number[] = [];
  for (let c = 0; c < points.length; c++) {
    const size = points[c]! * sign;
    if (size <= 0) continue;
    let i = kept.length;
    while (i > 0 && points[kept[i - 1]!]! * sign < size) i--;
    if (i >= limit) continue;
    kept.splice(i, 0, c);
    if (kept.length > limit) kept.pop();
  }
  return kept;
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
  const points: number[] = [];
  const ids: number[] = [];
  candidates(scored, contributions, count, points, ids);
  const factors: Factor[] = [];
  let shown = 0;
  const chosen = strongest(points, 1, TOP_POSITIVE);
  for (const c of strongest(points, -1, TOP_NEGATIVE)) chosen.push(c);
  for (const c of chosen) {
    const rounded = round1(points[c]!);
    if (rounded === 0) continue;
    shown += rounded;
    const id = ids[c]!;
    const ns = scored[id >> 8]!;
    const prefix = rounded > 0 ? PREFIX[ns.network].positive : PREFIX[ns.network].negative;
    factors.push({
      network: ns.network,
      text: prefix + render(ns, (id >> 4) & 15, id & 15, windowDays),
      points: rounded,
    });
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
