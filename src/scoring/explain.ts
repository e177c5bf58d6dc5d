// Top factors: short sentences with signed points that add up to the score (within rounding).
// Hot path: candidates are plain records and only the shown ones are rendered to text.
import type { AuthenticityFlag, NetworkScore } from './network.ts';
import { GITHUB_EXTRA } from './network.ts';
import type { Factor, Network } from './types.ts';

export const NETWORK_NAMES: Record<Network, string> = {
  x: 'X', github: 'GitHub', mastodon: 'Mastodon', bluesky: 'Bluesky', youtube: 'YouTube', linkedin: 'LinkedIn',
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
  const sign = tenths < 0 ? '-' : '';
  const abs = Math.abs(tenths);
  const whole = Math.floor(abs / 10);
  const decimal = abs - whole * 10;
  return decimal === 0 ? `${sign}${whole}` : `${sign}${whole}.${decimal}`;
}
const round1 = (x: number): number => Math.round(x * 10) / 10;

type Kind = 'reach' | 'amplification' | 'engagement' | 'activity' | 'plausibility' | 'flag';

interface Candidate {
  ns: NetworkScore;
  kind: Kind;
  flag: AuthenticityFlag | null;
  points: number;
}

function render(c: Candidate, windowDays: number): string {
  const ns = c.ns;
  const name = NETWORK_NAMES[ns.network];
  const m = ns.metrics;
  switch (c.kind) {
    case 'reach':
      return `${name}: ${compact(m.followers)} followers`;
    case 'amplification':
      return ns.network === 'github'
        ? `${name}: ${compact(m.extra?.[GITHUB_EXTRA.stars] ?? 0)} stars, ${compact(m.extra?.[GITHUB_EXTRA.forks] ?? 0)} forks on own repos`
        : `${name}: ${compact(ns.typicalReactions)} weighted reactions on a typical post (${ns.postsUsed} posts, ${windowDays} days)`;
    case 'engagement':
      return ns.engagementRatio === null ? `${name}: engagement` : `${name}: engagement ${trim(ns.engagementRatio)}× typical for its size`;
    case 'activity':
      if (ns.daysSinceLastPost === null) return `${name}: no original posts seen (activity unknown)`;
      if (ns.postsInWindow === 0) return `${name}: no original posts in ${windowDays} days`;
      if (ns.postsInWindow < 6) return `${name}: only ${ns.postsInWindow} original post${ns.postsInWindow === 1 ? '' : 's'} in ${windowDays} days`;
      return `${name}: last original post ${Math.round(ns.daysSinceLastPost)} days ago`;
    case 'plausibility':
      return `${name}: engagement above what is plausible for its size (excess not counted)`;
    case 'flag':
      switch (c.flag?.code) {
        case 'FOLLOW_BACK_PATTERN':
          return `${name}: follow-back pattern (${compact(m.following)} following / ${compact(m.followers)} followers)`;
        case 'YOUNG_ACCOUNT':
          return `${name}: account younger than 90 days`;
        case 'AUTOMATION_RATE':
          return `${name}: about ${Math.round(ns.postsPerDay ?? 0)} posts a day over the account's life (automation-like)`;
        case 'BOUGHT_FOLLOWERS_PATTERN':
          return `${name}: audience barely reacts for its size (bought-followers pattern)`;
        default:
          return `${name}: ${c.flag?.code ?? 'flag'}`;
      }
  }
}

function add(out: Candidate[], ns: NetworkScore, kind: Kind, points: number, flag: AuthenticityFlag | null = null): void {
  if (points !== 0) out.push({ ns, kind, flag, points });
}

function collect(out: Candidate[], ns: NetworkScore, contribution: number): void {
  if (ns.subScore <= 0 || contribution <= 0) return;
  const ratio = contribution / ns.subScore;
  add(out, ns, 'reach', ns.reachPart * ratio);
  add(out, ns, 'amplification', ns.amplificationPart * ratio);
  add(out, ns, 'engagement', ns.engagementPart * ratio);
  add(out, ns, 'activity', -ns.activityLoss * ratio);
  add(out, ns, 'plausibility', -ns.plausibilityLoss * ratio);
  // Split the authenticity loss between the flags in proportion to log(factor) (they multiply).
  let logSum = 0;
  for (const flag of ns.flags) if (flag.factor < 1) logSum += Math.log(flag.factor);
  if (logSum === 0) return;
  for (const flag of ns.flags) {
    if (flag.factor < 1) add(out, ns, 'flag', (-ns.authenticityLoss * ratio * Math.log(flag.factor)) / logSum, flag);
  }
}

/** Keeps the `limit` candidates of largest |points| with the wanted sign, largest first (insertion into a short list). */
function top(candidates: readonly Candidate[], positive: boolean, limit: number): Candidate[] {
  const best: Candidate[] = [];
  for (const c of candidates) {
    if (positive ? c.points <= 0 : c.points >= 0) continue;
    const size = Math.abs(c.points);
    if (best.length === limit && Math.abs(best[limit - 1]!.points) >= size) continue;
    if (best.length < limit) best.push(c);
    let i = best.length - 1;
    while (i > 0 && Math.abs(best[i - 1]!.points) < size) {
      best[i] = best[i - 1]!;
      i--;
    }
    best[i] = c;
  }
  return best;
}

/**
 * Top 3 positive and top 2 negative factors, plus one "other factors" line holding the rest, so that the points
 * shown add up to `roundedScore`.
 */
export function explain(
  scored: readonly NetworkScore[],
  contributions: readonly number[],
  roundedScore: number,
  windowDays: number,
): Factor[] {
  const candidates: Candidate[] = [];
  for (let i = 0; i < scored.length; i++) collect(candidates, scored[i]!, contributions[i]!);
  const factors: Factor[] = [];
  let shown = 0;
  for (const group of [top(candidates, true, TOP_POSITIVE), top(candidates, false, TOP_NEGATIVE)]) {
    for (const c of group) {
      const points = round1(c.points);
      if (points === 0) continue;
      shown += points;
      factors.push({ network: c.ns.network, text: `${points > 0 ? '+' : '−'} ${render(c, windowDays)}`, points });
    }
  }
  const rest = round1(roundedScore - shown);
  if (rest !== 0) factors.push({ text: `${rest > 0 ? '+' : '−'} Other, smaller factors`, points: rest });
  return factors;
}

/** The labelled, separate YouTube line (0 points: it is not part of the total). */
export function youtubeFactor(subScore: number): Factor {
  return { network: 'youtube', text: `YouTube, scored separately (not in the total): ${round1(subScore)}/100`, points: 0 };
}
