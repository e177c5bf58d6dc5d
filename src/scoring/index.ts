// Public surface of the scoring model.
export { createScorer, MODEL_VERSION } from './model.ts';
export { ScoringOptionsSchema, resolveOptions, DEFAULT_NETWORK_PARAMS, type ScoringOptions, type ScoringOptionsInput } from './options.ts';
export { orgPercentile, fitTierThresholds } from './percentile.ts';
export { REASON_CODES, type ReasonCode } from './reasons.ts';
export { GITHUB_EXTRA } from './network.ts';
export { tierOf, type TierThresholds } from './tiers.ts';
export * from './types.ts';
