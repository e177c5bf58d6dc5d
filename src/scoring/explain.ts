// Top factors: short sentences with signed points that add up to the score (within rounding).
import type { NetworkScore } from './network.ts';
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
function trim(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}
const round1 = (x: number): number => Math.round(x * 10) / 10;

/** A factor whose text is rendered only if it is shown (rendering is most of the cost). */
interface Candidate {
  network: Network;
  points: number;
  render: () => string;
}

function candidatesOf(ns: NetworkScore, contribution: number, windowDays: number): Candidate[] {
  if (ns.subScore <= 0 || contribution <= 0) return [];
  const ratio = contribution / ns.subScore;
  const name = NETWORK_NAMES[ns.network];
  const m = ns.metrics;
  const out: Candidate[] = [];
  const push = (points: number, render: () => string): void => {
    if (points !== 0) out.push({ network: ns.network, points, render });
  };
  push(ns.reachPart * ratio, () => `${name}: ${compact(m.followers)} followers`);
  push(ns.amplificationPart * ratio, () =>
    ns.network === 'github'
      ? `${name}: ${compact(m.extra?.[GITHUB_EXTRA.stars] ?? 0)} stars, ${compact(m.extra?.[GITHUB_EXTRA.forks] ?? 0)} forks on own repos`
      : `${name}: ${compact(ns.typicalReactions)} weighted reactions on a typical post (${ns.postsUsed} posts, ${windowDays} days)`,
  );
  push(ns.engagementPart * ratio, () =>
    ns.engagementRatio === null ? `${name}: engagement` : `${name}: engagement ${trim(ns.engagementRatio)}× typical for its size`,
  );
  push(-ns.activityLoss * ratio, () =>
    ns.daysSinceLastPost === null
      ? `${name}: no original posts seen (activity unknown)`
      : ns.postsInWindow === 0
      ? `${name}: no original posts in ${windowDays} days`
      : ns.postsInWindow < 6
        ? `${name}: only ${ns.postsInWindow} original post${ns.postsInWindow === 1 ? '' : 's'} in ${windowDays} days`
        : `${name}: last original post ${Math.round(ns.daysSinceLastPost ?? 0)} days ago`,
  );
  push(-ns.plausibilityLoss * ratio, () => `${name}: engagement above what is plausible for its size (excess not counted)`);
  // Split the authenticity loss between the flags in proportion to log(factor) (they multiply).
  let logSum = 0;
  for (const flag of ns.flags) logSum += flag.factor < 1 ? Math.log(flag.factor) : 0;
  for (const flag of ns.flags) {
    if (flag.factor >= 1 || logSum === 0) continue;
    const share = Math.log(flag.factor) / logSum;
    push(-ns.authenticityLoss * ratio * share, () => {
      switch (flag.code) {
        case 'FOLLOW_BACK_PATTERN':
          return `${name}: follow-back pattern (${compact(m.following)} following / ${compact(m.followers)} followers)`;
        case 'YOUNG_ACCOUNT':
          return `${name}: account younger than 90 days`;
        case 'AUTOMATION_RATE':
          return `${name}: about ${Math.round(ns.postsPerDay ?? 0)} posts a day over the account's life (automation-like)`;
        case 'BOUGHT_FOLLOWERS_PATTERN':
          return `${name}: audience barely reacts for its size (bought-followers pattern)`;
        default:
          return `${name}: ${flag.code}`;
      }
    });
  }
  return out;
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
  for (let i = 0; i < scored.length; i++) candidates.push(...candidatesOf(scored[i]!, contributions[i]!, windowDays));
  const positives = candidates.filter((c) => c.points > 0).sort((a, b) => b.points - a.points).slice(0, TOP_POSITIVE);
  const negatives = candidates.filter((c) => c.points < 0).sort((a, b) => a.points - b.points).slice(0, TOP_NEGATIVE);
  const factors: Factor[] = [];
  let shown = 0;
  for (const c of [...positives, ...negatives]) {
    const points = round1(c.points);
    if (points === 0) continue;
    shown += points;
    factors.push({ network: c.network, text: `${points > 0 ? '+' : '−'} ${c.render()}`, points });
  }
  const rest = round1(roundedScore - shown);
  if (rest !== 0) factors.push({ text: `${rest > 0 ? '+' : '−'} Other, smaller factors`, points: rest });
  return factors;
}

/** The labelled, separate YouTube line (0 points: it is not part of the total). */
export function youtubeFactor(subScore: number): Factor {
  return { network: 'youtube', text: `YouTube, scored separately (not in the total): ${round1(subScore)}/100`, points: 0 };
}
