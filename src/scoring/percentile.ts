// Org-relative views of the absolute score. Kept apart from the score on purpose: a percentile moves when other
// contacts are imported; the score does not.
import type { TierThresholds } from './tiers.ts';

/** Percentile (0–100) of `score` within `distribution` (ties count half). Null when either is missing. */
export function orgPercentile(score: number | null, distribution: readonly number[]): number | null {
  if (score === null || distribution.length === 0) return null;
  let below = 0;
  let equal = 0;
  for (const value of distribution) {
    if (value < score) below++;
    else if (value === score) equal++;
  }
  return Math.round((1000 * (below + equal / 2)) / distribution.length) / 10;
}

function quantile(sorted: readonly number[], p: number): number {
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Tier thresholds fitted once from an org's scores (default: A at the 95th percentile, B at the 80th, C at the
 * 50th). The admin freezes the result in the options; the model never refits by itself.
 */
export function fitTierThresholds(
  distribution: readonly number[],
  percentiles: { A: number; B: number; C: number } = { A: 95, B: 80, C: 50 },
): TierThresholds {
  if (distribution.length === 0) throw new Error('fitTierThresholds: the distribution is empty');
  const sorted = [...distribution].sort((a, b) => a - b);
  const round = (x: number): number => Math.round(x * 10) / 10;
  const C = round(quantile(sorted, percentiles.C / 100));
  const B = Math.max(round(quantile(sorted, percentiles.B / 100)), C + 0.1);
  const A = Math.max(round(quantile(sorted, percentiles.A / 100)), B + 0.1);
  return { A: Math.min(100, round(A)), B: Math.min(99.9, round(B)), C: Math.min(99.8, C) };
}
