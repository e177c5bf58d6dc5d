// The provider adapters: one per network, plus Gravatar discovery and CSV import. See registry.ts for which are on.
export type { ProviderAdapter, ProviderResult, ProviderStatus } from './contract.ts';
export { ProviderUnusableError } from './common.ts';
export { XAdapter, X_PRICE_USD } from './x.ts';
export { GitHubAdapter } from './github.ts';
export { MastodonAdapter } from './mastodon.ts';
export { BlueskyAdapter } from './bluesky.ts';
export { YouTubeAdapter } from './youtube.ts';
export { GravatarDiscovery, gravatarHash, type DiscoveryResult } from './gravatar.ts';
export { CsvImportAdapter, loadCsvImport, parseCsv, type CsvImport, type CsvProblem } from './csv-import.ts';
export { createDiscovery, createProviders, describeProviders, type ProviderBuildOptions, type ProviderConfig, type ProviderDescription } from './registry.ts';
export {
  DEFAULT_PROVIDER_TTL_SECONDS, NEGATIVE_TTL_SECONDS, PROVIDER_TTL_SECONDS, providerTtlSeconds, STALE_MAX_AGE_SECONDS,
} from './ttl.ts';
