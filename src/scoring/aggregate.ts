// Cross-network accumulation: S = 100·(1 − Π_k (1 − 0.5^(k−1)·s_(k)/100)), strongest network first.
// Adding a network never lowers S; n networks each ≤ s can never exceed 2·s.

export interface Aggregated {
  score: number;
  /** Marginal points of each input (same order as the input); in rank order they telescope to `score`. */
  contributions: number[];
}

/** `weighted` are the relevance-weighted sub-scores s_n = v_n·N_n (0–100). */
export function aggregate(weighted: readonly number[]): Aggregated {
  const n = weighted.length;
  // Rank order, strongest first (insertion sort: a contact has a handful of networks; ties keep input order).
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let j = i;
    while (j > 0 && weighted[order[j - 1]!]! < weighted[i]!) {
      order[j] = order[j - 1]!;
      j--;
    }
    order[j] = i;
  }
  // Built by push, not new Array(n).fill(0): fill was a visible share of a contact's scoring time.
  const contributions: number[] = [];
  for (let i = 0; i < n; i++) contributions.push(0);
  let remaining = 1; // Π of (1 − w_k s_k) so far
  let rankWeight = 1;
  for (const i of order) {
    const share = rankWeight * (weighted[i]! / 100);
    contributions[i] = 100 * remaining * share;
    remaining *= 1 - share;
    rankWeight /= 2;
  }
  return { score: 100 * (1 - remaining), contributions };
}
