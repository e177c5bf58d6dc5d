// How long a provider answer stays fresh in the engine's cache, and how long a last good answer may stand in for
// a failing provider. The engine does the caching (src/store); these are the numbers.
import type { Network } from '../scoring/types.ts';
import type { ProviderStatus } from './contract.ts';

const DAY = 86_400;

export const DEFAULT_PROVIDER_TTL_SECONDS = 7 * DAY;

/**
 * Fresh lifetime of an `ok` answer per network. X is paid per read, so it is kept longest. YouTube's terms require
 * refreshing or deleting its data within 30 days; 7 days is well inside that.
 */
export const PROVIDER_TTL_SECONDS: Record<Network, number> = {
  x: 30 * DAY,
  github: DEFAULT_PROVIDER_TTL_SECONDS,
  mastodon: DEFAULT_PROVIDER_TTL_SECONDS,
  bluesky: DEFAULT_PROVIDER_TTL_SECONDS,
  youtube: DEFAULT_PROVIDER_TTL_SECONDS,
  linkedin: DEFAULT_PROVIDER_TTL_SECONDS,
};

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
