// Public surface of the scoring model.
export { createScorer, MODEL_VERSION } from './model.ts';
export { GITHUB_EXTRA } from './network.ts';
export {
  DEFAULT_NETWORK_PARAMS,
  resolveOptions,
  type ScoringOptions,
  type ScoringOptionsInput,
  ScoringOptionsSchema,
} from './options.ts';
export { fitTierThresholds, orgPercentile } from './percentile.ts';
export { REASON_CODES, type ReasonCode } from './reasons.ts';
export { tierOf, type TierThresholds } from './tiers.ts';
export * from './types.ts';
