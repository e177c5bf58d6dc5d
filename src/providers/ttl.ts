// How long a provider answer stays fresh in the engine's cache, and how long a last good answer may stand in for
// a failing provider. The engine does the caching (src/store); these are the numbers (per network: its descriptor).
import type { Network } from '../scoring/types.ts';
import type { ProviderStatus } from './contract.ts';
import { DAY, DEFAULT_PROVIDER_TTL_SECONDS } from './descriptor.ts';
import { NETWORK_LIST } from './networks.ts';

export { DEFAULT_PROVIDER_TTL_SECONDS };

/** Fresh lifetime of an `ok` answer per network (`cacheTtlSeconds` of each NetworkDescriptor). */
export const PROVIDER_TTL_SECONDS = Object.fromEntries(
  NETWORK_LIST.map((descriptor) => [descriptor.network, descriptor.cacheTtlSeconds]),
) as Record<Network, number>;

/** A failing provider's last good metrics are used (marked stale, lower confidence) for at most this long. */
export const STALE_MAX_AGE_SECONDS = 14 * DAY;

/** not_found / suspended / protected can change (a typo fixed, an account unlocked): re-check sooner. */
export const NEGATIVE_TTL_SECONDS = 1 * DAY;

/** Cache lifetime of one answer; 0 = do not cache (transient failures). */
export function providerTtlSeconds(network: Network, status: ProviderStatus = 'ok'): number {
  if (status === 'ok') return PROVIDER_TTL_SECONDS[network];
  if (status === 'unavailable') return 0;
  return Math.min(NEGATIVE_TTL_SECONDS, PROVIDER_TTL_SECONDS[network]);
}
