// The model's own vocabulary: what it reads (NetworkMetrics) and what it returns (ScoreResult).
// Providers produce NetworkMetrics and the sync engine consumes ScoreResult, so both import from here;
// scoring itself imports nothing else of the product.
import { z } from 'zod';

export const NETWORKS = ['x', 'github', 'mastodon', 'bluesky', 'youtube', 'linkedin'] as const;
export const NetworkSchema = z.enum(NETWORKS);
export type Network = z.infer<typeof NetworkSchema>;

const count = z.number().int().nonnegative();
const isoDate = z.iso.datetime({ offset: true });

export const RecentPostSchema = z.object({
  at: isoDate,
  reshares: count,
  replies: count,
  likes: count,
  quotes: count.optional(),
  views: count.optional(),
});
export type RecentPost = z.infer<typeof RecentPostSchema>;

/** Public metrics of one account on one network: the model's input and the `score` CLI's record. */
export const NetworkMetricsSchema = z.object({
  network: NetworkSchema,
  handle: z.string().min(1),
  followers: count,
  following: count,
  posts: count,
  createdAt: isoDate.optional(),
  verified: z.boolean().optional(),
  /**
   * Posts the account has liked (X `like_count`): with `following`, how much it takes part rather than only
   * broadcasting. Absent where the network does not say.
   */
  likesGiven: count.optional(),
  /** True when the network hides the follower count (YouTube `hiddenSubscriberCount`). */
  followersHidden: z.boolean().optional(),
  /** Network-specific extra signals (GitHub: stars/forks on own non-fork repos). */
  extra: z.record(z.string(), z.number()).optional(),
  recentPosts: z.array(RecentPostSchema),
  /**
   * When the account last posted, where the network says so without its posts being read (X `most_recent_tweet_id`
   * is a snowflake, so it encodes its time): a dormant account is then known dormant without a paid timeline read.
   */
  lastPostAt: isoDate.optional(),
  /** The network's own id of the account (X user id): X's compliance jobs name accounts by it. Not scored. */
  accountId: z.string().min(1).optional(),
  fetchedAt: isoDate,
});
export type NetworkMetrics = z.infer<typeof NetworkMetricsSchema>;

export const TIERS = ['A', 'B', 'C', 'D', 'Unscored'] as const;
export const TierSchema = z.enum(TIERS);
export type Tier = z.infer<typeof TierSchema>;

export const ConfidenceSchema = z.enum(['high', 'medium', 'low']);
export type Confidence = z.infer<typeof ConfidenceSchema>;

export const TrendSchema = z.enum(['Rising', 'Stable', 'Falling', 'New']);
export type Trend = z.infer<typeof TrendSchema>;

export const FactorSchema = z.object({
  network: NetworkSchema.optional(),
  text: z.string(),
  points: z.number(),
});
export type Factor = z.infer<typeof FactorSchema>;

export const ScoreResultSchema = z.object({
  score: z.number().min(0).max(100).nullable(),
  tier: TierSchema,
  /** The admin's label for `tier` (scoring options); absent when labels are the defaults' letters. */
  tierLabel: z.string().optional(),
  confidence: ConfidenceSchema,
  factors: z.array(FactorSchema),
  reasonCodes: z.array(z.string()),
  /** Sub-score per network (0–100); YouTube is reported here but kept out of `score` when the model says so. */
  networks: z.partialRecord(NetworkSchema, z.number().min(0).max(100)),
  trend: TrendSchema,
  /** Score change over the last 30 days, null without history. */
  delta30d: z.number().nullable(),
  modelVersion: z.string(),
});
export type ScoreResult = z.infer<typeof ScoreResultSchema>;

/** One network's metrics as the engine hands them to the model. */
export interface ScoredNetworkInput {
  metrics: NetworkMetrics;
  /** `crm-field` handles are verified; `discovered` ones (e.g. via Gravatar) are not. */
  provenance: 'crm-field' | 'discovered';
  /** Last good metrics carried forward during a provider outage. */
  stale: boolean;
}

export interface ScoreHistoryPoint {
  at: string;
  score: number | null;
  tier: Tier;
}

export interface ScoreInput {
  networks: ScoredNetworkInput[];
  /** Most recent first; used for trend and tier hysteresis. */
  history: ScoreHistoryPoint[];
  now: Date;
}

/** The model as the engine sees it (injected, so the engine does not depend on one model version). */
export type ScoreFunction = (input: ScoreInput) => ScoreResult;
