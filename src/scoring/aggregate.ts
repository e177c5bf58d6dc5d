// Cross-network accumulation: S = 100·(1 − Π_k (1 − 0.5^(k−1)·s_(k)/100)), strongest network first.
// Adding a network never lowers S; n networks each ≤ s can never exceed 2·s.

/**
 * `weighted[0..count)` are the relevance-weighted sub-scores s_n = v_n·N_n (0–100). Returns S and writes each input's
 * marginal points to `contributions` (same order as the input; in rank order they telescope to S).
 */
export function aggregate(weighted: ArrayLike<number>, count: number, contributions: number[]): number {
  const order: number[] = [];
  // Rank order, strongest first (insertion sort: a contact has a handful of networks; ties keep input order).
  for (let i = 0; i < count; i++) {
    let j = i;
    while (j > 0 && weighted[order[j - 1]!]! < weighted[i]!) {
      order[j] = order[j - 1]!;
      j--;
    }
    order[j] = i;
  }
  let remaining = 1; // Π of (1 − w_k s_k) so far
  let rankWeight = 1;
  for (let k = 0; k < count; k++) {
    const i = order[k]!;
    const share = rankWeight * (weighted[i]! / 100);
    contributions[i] = 100 * remaining * share;
    remaining *= 1 - share;
    rankWeight /= 2;
  }
  return 100 * (1 - remaining);
}
