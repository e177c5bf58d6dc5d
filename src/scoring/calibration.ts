// The few constants of the model that were chosen on real data: each on the "fit" half of a data set only, and
// checked on the other half (`npm run eval`; `npm run eval -- --fit` reruns the search). README "Calibration".

export interface Calibration {
  /** Lifetime original posts per day where the automation penalty starts; it is full at 10× this rate. */
  automationFromPerDay: number;
  /** The automation multiplier at full strength. */
  automationFactor: number;
  /** The multiplier of an account that posts a lot but follows and likes almost no one (a broadcast feed). */
  oneWayFactor: number;
  /** Lifetime posts where the broadcast-feed ramp starts; it is full at 1,000. */
  oneWayPostsFrom: number;
  /** GitHub's weight of followers (reach); stars and forks (amplification) weigh the rest. */
  githubReachWeight: number;
  /**
   * GitHub followers that the account's own work backs: credited in full up to `backedMultiple` × (stars + 3 × forks
   * + public repositories); beyond that, `excessWeight` of each further decade (a ramp on the log scale, no step).
   * A jump of followers with nothing else moving is what bought followers look like.
   */
  githubReachBacking: { backedMultiple: number; excessWeight: number };
}

/**
 * The automation ramps: the mildest pair within 0.005 of the best mean of overall and within-band AUC (humans over
 * bots) on twitter-2017's fit half, among the 256 tried that keep researchers-2014's fit half tracking
 * followers_who_are_researchers at least as well as followers alone; the broadcast-feed ramp's start (posts 1, 10 or
 * 100) by the same rule (2.1.0). GitHub's reach weight is not fitted: two signals, equal weights (the search prints
 * what other weights would give). GitHub's reach backing (2.1.0): among multiples 1, 3, 10, 30 and excess weights
 * 0.1–0.5, the lowest share of seattle-2024's fit half that ×10 followers lifts a tier, keeping Spearman with
 * followers within 0.05 of no backing.
 */
export const DEFAULT_CALIBRATION: Calibration = {
  automationFromPerDay: 5,
  automationFactor: 0.5,
  oneWayFactor: 0.3,
  oneWayPostsFrom: 100,
  githubReachWeight: 0.5,
  githubReachBacking: { backedMultiple: 3, excessWeight: 0.1 },
};
