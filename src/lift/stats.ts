// The interval arithmetic of the lift table: Wilson score intervals for a rate and Newcombe's hybrid score interval
// for the difference of two rates (Newcombe 1998, "Interval estimation for the difference between independent
// proportions", method 10). Both stay inside [0, 1] and behave at small n and at 0 % or 100 %, where the normal
// approximation claims certainty it does not have.

/** z for a two-sided 95 % interval. */
export const Z95 = 1.959963984540054;

export interface Interval {
  low: number;
  high: number;
}

/** Wilson score interval for k successes in n trials; null when n = 0 (no rate to speak of). */
export function wilson(k: number, n: number, z = Z95): Interval | null {
  if (n === 0) return null;
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || k > n)
    throw new Error(`wilson: need 0 ≤ k ≤ n, got ${k}/${n}`);
  const p = k / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Rounding can leave k = 0 a hair above 0 (or k = n below 1).
  return { low: k === 0 ? 0 : Math.max(0, centre - half), high: k === n ? 1 : Math.min(1, centre + half) };
}

/** Newcombe's interval for p1 − p2 (k1/n1 against k2/n2); null when either side has no trials. */
export function rateDifference(
  k1: number,
  n1: number,
  k2: number,
  n2: number,
  z = Z95,
): (Interval & { estimate: number }) | null {
  const a = wilson(k1, n1, z);
  const b = wilson(k2, n2, z);
  if (a === null || b === null) return null;
  const p1 = k1 / n1;
  const p2 = k2 / n2;
  const d = p1 - p2;
  return {
    estimate: d,
    low: d - Math.sqrt((p1 - a.low) ** 2 + (b.high - p2) ** 2),
    high: d + Math.sqrt((a.high - p1) ** 2 + (p2 - b.low) ** 2),
  };
}

/**
 * z with P(|Z| > z) = alpha (two-sided), by Abramowitz & Stegun 26.2.23 (error < 4.5e-4): e.g. 1.96 for 0.05, and
 * the Bonferroni z for judging m groups at once with `zFor(0.05 / m)`.
 */
export function zFor(alpha: number): number {
  const p = alpha / 2;
  const t = Math.sqrt(-2 * Math.log(p));
  return t - (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t ** 3);
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
