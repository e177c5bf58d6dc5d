// The admin-tunable knobs of the model, validated with zod. Every default is documented in README.md beside this file.
import { z } from 'zod';

import { type Calibration, DEFAULT_CALIBRATION } from './calibration.ts';
import { type Network, NETWORKS, NetworkSchema } from './types.ts';

const positive = z.number().positive();

/** Per-network calibration anchors (see README "Anchors"). */
export const NetworkParamsSchema = z.object({
  /** Follower count that scores 100 on reach. */
  followerCap: positive,
  /** Median weighted reactions per post that score 100 on amplification (GitHub: weighted stars + forks). */
  amplificationCap: positive,
  /** Typical weighted reactions per post per follower for an account with 1,000 followers. */
  typicalEngagementAt1k: positive,
  /**
   * How fast typical engagement per follower falls with size: typical reactions on a post of an account with F
   * followers = typicalEngagementAt1k · 1000 · (F/1000)^(1 − slope).
   */
  engagementSizeSlope: z.number().min(0).max(0.99),
});
export type NetworkParams = z.infer<typeof NetworkParamsSchema>;

/**
 * X's typical post is calibrated on real accounts: the median line of the latest original post of the human accounts
 * in twitter-2017's fit half (1.43 weighted reactions at 1k followers, slope 0.264). GitHub's typical stars (used only
 * when the repositories could not be read) are the median of seattle-2024's fit half, 1.9 per follower. The other
 * networks have no public per-post data set here: their typical curves are the 1.0.0 guesses, and their
 * amplification caps are set so that an account at the follower cap with typical reactions scores the same
 * amplification as on X (231 of 10,000 weighted reactions), rounded: one scale (README "Anchors").
 */
export const DEFAULT_NETWORK_PARAMS: Record<Network, NetworkParams> = {
  x: { followerCap: 1_000_000, amplificationCap: 10_000, typicalEngagementAt1k: 0.00143, engagementSizeSlope: 0.264 },
  bluesky: { followerCap: 300_000, amplificationCap: 25_000, typicalEngagementAt1k: 0.01, engagementSizeSlope: 0.3 },
  mastodon: { followerCap: 100_000, amplificationCap: 10_000, typicalEngagementAt1k: 0.01, engagementSizeSlope: 0.3 },
  youtube: { followerCap: 1_000_000, amplificationCap: 100_000, typicalEngagementAt1k: 0.02, engagementSizeSlope: 0.3 },
  linkedin: { followerCap: 500_000, amplificationCap: 30_000, typicalEngagementAt1k: 0.01, engagementSizeSlope: 0.3 },
  // GitHub has no posts: amplification reads stars + 3·forks on the person's own non-fork repositories.
  github: { followerCap: 100_000, amplificationCap: 1_000_000, typicalEngagementAt1k: 1.9, engagementSizeSlope: 0 },
};

const thresholdsSchema = z
  .object({ A: z.number().min(0).max(100), B: z.number().min(0).max(100), C: z.number().min(0).max(100) })
  .refine((t) => t.A > t.B && t.B > t.C, { message: 'tier thresholds must satisfy A > B > C' });

export const TierLabelsSchema = z.object({
  A: z.string().min(1),
  B: z.string().min(1),
  C: z.string().min(1),
  D: z.string().min(1),
  Unscored: z.string().min(1),
});

export const ScoringOptionsSchema = z.strictObject({
  /** Admin relevance weight per network, 0–1 (default 1). 0 removes a network from the total. */
  weights: z.partialRecord(NetworkSchema, z.number().min(0).max(1)).default({}),
  tiers: z
    .strictObject({
      thresholds: thresholdsSchema.default({ A: 65, B: 45, C: 25 }),
      labels: TierLabelsSchema.default({ A: 'A', B: 'B', C: 'C', D: 'D', Unscored: 'Unscored' }),
      /** A tier changes only when the score crosses the boundary by this many points, or on the 2nd run in a row. */
      hysteresisPoints: z.number().min(0).max(20).default(3),
    })
    .prefault({}),
  /** `separate` (default): YouTube is reported as its own labelled sub-score and kept out of `score`. */
  youtube: z.enum(['separate', 'blend']).default('separate'),
  /** Per-network overrides of the calibration anchors. */
  networks: z.partialRecord(NetworkSchema, NetworkParamsSchema.partial()).default({}),
  /** Window of recent original posts, in days. */
  windowDays: z.number().int().min(7).max(365).default(90),
  /** Pseudo-posts of the typical-for-its-size prior in the engagement shrinkage (README "Engagement"). */
  shrinkagePosts: z.number().min(0).max(50).default(0.5),
});
export type ScoringOptionsInput = z.input<typeof ScoringOptionsSchema>;
export type ScoringOptions = z.output<typeof ScoringOptionsSchema>;

/** Options after validation, with per-network params merged over the defaults (what the model reads). */
export interface ResolvedOptions extends ScoringOptions {
  params: Record<Network, NetworkParams>;
  weightOf: Record<Network, number>;
  /** log10(1 + cap) of each network's caps, computed once here rather than for every account scored. */
  logCaps: Record<Network, { followers: number; amplification: number }>;
  /** The model's constants chosen on real data (not an admin option; the evaluation's search varies them). */
  calibration: Calibration;
}

/** Validates admin options; throws a ZodError naming the offending field. */
export function resolveOptions(
  input: ScoringOptionsInput = {},
  calibration: Calibration = DEFAULT_CALIBRATION,
): ResolvedOptions {
  const options = ScoringOptionsSchema.parse(input);
  const params = {} as Record<Network, NetworkParams>;
  const weightOf = {} as Record<Network, number>;
  const logCaps = {} as ResolvedOptions['logCaps'];
  for (const network of NETWORKS) {
    const merged = { ...DEFAULT_NETWORK_PARAMS[network], ...options.networks[network] };
    params[network] = merged;
    weightOf[network] = options.weights[network] ?? 1;
    logCaps[network] = {
      followers: Math.log10(1 + merged.followerCap),
      amplification: Math.log10(1 + merged.amplificationCap),
    };
  }
  return { ...options, params, weightOf, logCaps, calibration };
}
