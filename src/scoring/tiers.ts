// Tiers from the absolute score, with hysteresis so a contact near a boundary does not flip between runs.
import type { ScoreHistoryPoint, Tier } from './types.ts';

export interface TierThresholds {
  A: number;
  B: number;
  C: number;
}

const RANK: Record<Exclude<Tier, 'Unscored'>, number> = { A: 0, B: 1, C: 2, D: 3 };

export function tierOf(score: number, t: TierThresholds): Exclude<Tier, 'Unscored'> {
  return score >= t.A ? 'A' : score >= t.B ? 'B' : score >= t.C ? 'C' : 'D';
}

/**
 * The tier for `score` given the previous run (`history[0]`): the tier changes only when the score is past the
 * boundary by `margin` points, or when the previous run's score was already past it (second run in a row).
 */
export function tierWithHysteresis(
  score: number,
  previous: ScoreHistoryPoint | undefined,
  thresholds: TierThresholds,
  margin: number,
): { tier: Exclude<Tier, 'Unscored'>; held: boolean } {
  const candidate = tierOf(score, thresholds);
  if (previous === undefined || previous.tier === 'Unscored' || previous.score === null)
    return { tier: candidate, held: false };
  const prev = previous.tier;
  if (candidate === prev) return { tier: candidate, held: false };
  const movingUp = RANK[candidate] < RANK[prev];
  const previousScoreTier = tierOf(previous.score, thresholds);
  const alreadyAcross = movingUp ? RANK[previousScoreTier] < RANK[prev] : RANK[previousScoreTier] > RANK[prev];
  if (alreadyAcross) return { tier: candidate, held: false };
  const withMargin = tierOf(movingUp ? score - margin : score + margin, thresholds);
  const tier = movingUp
    ? RANK[withMargin] < RANK[prev]
      ? withMargin
      : prev
    : RANK[withMargin] > RANK[prev]
      ? withMargin
      : prev;
  return { tier, held: tier !== candidate };
}
