// The provider adapters: one per network, each with its NetworkDescriptor (listed once in networks.ts), plus Gravatar
// discovery and CSV import. See registry.ts for which are on.
export { BlueskyAdapter } from './bluesky.ts';
export { ProviderUnusableError } from './common.ts';
export type { ProviderAdapter, ProviderResult, ProviderStatus } from './contract.ts';
export {
  type CsvImport,
  type CsvProblem,
  type ImportedCounts,
  ImportedCountsAdapter,
  ImportedCountsSchema,
  loadCsvImport,
  MAX_IMPORTED_COUNT,
  parseCsv,
} from './csv-import.ts';
export {
  type CommonAdapterOptions,
  defineNetwork,
  type NetworkDescriptor,
  type ProviderDescription,
} from './descriptor.ts';
export { GitHubAdapter } from './github.ts';
export { type DiscoveryResult, GravatarDiscovery, gravatarHash } from './gravatar.ts';
export { MastodonAdapter } from './mastodon.ts';
export { NETWORK_DESCRIPTORS, NETWORK_LIST, type NetworkVariable } from './networks.ts';
export {
  createDiscovery,
  createProviders,
  describeProviders,
  type ImportedNetwork,
  type ProviderBuildOptions,
  type ProviderConfig,
} from './registry.ts';
export {
  DEFAULT_PROVIDER_TTL_SECONDS,
  NEGATIVE_TTL_SECONDS,
  PROVIDER_TTL_SECONDS,
  providerTtlSeconds,
  STALE_MAX_AGE_SECONDS,
} from './ttl.ts';
export { X_PRICE_USD, XAdapter } from './x.ts';
export { YouTubeAdapter } from './youtube.ts';
