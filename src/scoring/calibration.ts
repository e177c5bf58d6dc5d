// The few constants of model 2.0.0 that were chosen on real data: each on the "fit" half of a data set only, and
// checked on the other half (`npm run eval`; `npm run eval -- --fit` reruns the search). README "Calibration".

export interface Calibration {
  /** Lifetime original posts per day where the automation penalty starts; it is full at 10× this rate. */
  automationFromPerDay: number;
  /** The automation multiplier at full strength. */
  automationFactor: number;
  /** The multiplier of an account that posts a lot but follows and likes almost no one (a broadcast feed). */
  oneWayFactor: number;
  /** GitHub's weight of followers (reach); stars and forks (amplification) weigh the rest. */
  githubReachWeight: number;
}

/**
 * The automation ramps: the mildest pair within 0.005 of the best mean of overall and within-band AUC (humans over
 * bots) on twitter-2017's fit half, among the 256 tried that keep researchers-2014's fit half tracking
 * followers_who_are_researchers at least as well as followers alone. GitHub's reach weight is not fitted: two signals,
 * equal weights (the search prints what other weights would give).
 */
export const DEFAULT_CALIBRATION: Calibration = {
  automationFromPerDay: 5,
  automationFactor: 0.5,
  oneWayFactor: 0.3,
  githubReachWeight: 0.5,
};
