// Rank statistics of the evaluation, a deterministic fit / held-out split and bootstrap intervals. No fitting here:
// these only measure.
import { prng } from '../scoring/differential-inputs.ts';

/** Mid-ranks (1-based; ties share the mean of their ranks). */
function ranks(values: readonly number[]): Float64Array {
  const order = values.map((v, i) => i).sort((a, b) => values[a]! - values[b]!);
  const r = new Float64Array(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j < order.length && values[order[j]!] === values[order[i]!]) j++;
    for (let k = i; k < j; k++) r[order[k]!] = (i + j + 1) / 2;
    i = j;
  }
  return r;
}

/** Probability that a random positive ranks above a random negative (ties count half), and the number of pairs. */
export function auc(positives: readonly number[], negatives: readonly number[]): { auc: number; pairs: number } {
  const r = ranks([...positives, ...negatives]);
  let rankSum = 0;
  for (let i = 0; i < positives.length; i++) rankSum += r[i]!;
  const np = positives.length;
  const nn = negatives.length;
  const u = rankSum - (np * (np + 1)) / 2;
  return { auc: np * nn === 0 ? Number.NaN : u / (np * nn), pairs: np * nn };
}

/** Spearman's rank correlation (Pearson on mid-ranks); NaN when either side is constant. */
export function spearman(x: readonly number[], y: readonly number[]): number {
  const rx = ranks(x);
  const ry = ranks(y);
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += rx[i]!;
    my += ry[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = rx[i]! - mx;
    const dy = ry[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Follower bands of the within-band comparison: <1k, 1–10k, 10–100k, 100k–1M, ≥1M. */
export const FOLLOWER_BANDS = [0, 1_000, 10_000, 100_000, 1_000_000, Number.POSITIVE_INFINITY] as const;
export const bandOf = (followers: number): number => {
  let band = 0;
  while (followers >= FOLLOWER_BANDS[band + 1]!) band++;
  return band;
};

export interface Labelled {
  followers: number;
  /** The positive class (humans, in twitter-2017). */
  positive: boolean;
  value: number;
}

/** AUC counting only pairs in the same follower band, pooled with each band weighted by its number of pairs. */
export function withinBandAuc(rows: readonly Labelled[]): number {
  let weighted = 0;
  let pairs = 0;
  for (let band = 0; band < FOLLOWER_BANDS.length - 1; band++) {
    const inBand = rows.filter((r) => bandOf(r.followers) === band);
    const result = auc(
      inBand.filter((r) => r.positive).map((r) => r.value),
      inBand.filter((r) => !r.positive).map((r) => r.value),
    );
    if (result.pairs > 0) {
      weighted += result.auc * result.pairs;
      pairs += result.pairs;
    }
  }
  return weighted / pairs;
}

/** FNV-1a of a string: the split must not depend on row order or on anything the model reads. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * Half of each data set is where parameters may be chosen (`fit`), the other half is only ever measured
 * (`held-out`). The half is a hash of the account's pseudonym, so it is the same on every run and machine.
 */
export type Half = 'fit' | 'held-out';
export const halfOf = (account: string): Half => ((fnv1a(account) & 1) === 0 ? 'fit' : 'held-out');

export interface Interval {
  value: number;
  low: number;
  high: number;
}

export const BOOTSTRAP_SAMPLES = 1_000;
const BOOTSTRAP_SEED = 20_170_430;

/**
 * The measure on `rows` and its 95 % percentile bootstrap interval (rows resampled with replacement, seeded, so the
 * interval is the same on every run).
 */
export function bootstrap<T>(rows: readonly T[], measure: (sample: readonly T[]) => number): Interval {
  const value = measure(rows);
  const random = prng(BOOTSTRAP_SEED);
  const values: number[] = [];
  const sample = new Array<T>(rows.length);
  for (let b = 0; b < BOOTSTRAP_SAMPLES; b++) {
    for (let i = 0; i < rows.length; i++) sample[i] = rows[Math.floor(random() * rows.length)]!;
    const v = measure(sample);
    if (Number.isFinite(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  const at = (p: number): number => values[Math.min(values.length - 1, Math.floor(p * values.length))] ?? Number.NaN;
  return { value, low: at(0.025), high: at(0.975) };
}
