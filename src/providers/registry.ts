// Which adapters are on for a configuration, built from it, and how `doctor` explains each one.
import type { AppConfig } from '../config.ts';
import type { HttpClientOptions, HttpLogger } from '../http/index.ts';
import type { Network } from '../scoring/types.ts';
import type { ProviderAdapter } from './contract.ts';
import type { ProviderDescription } from './descriptor.ts';
import { GravatarDiscovery } from './gravatar.ts';
import { NETWORK_LIST, type NetworkVariable } from './networks.ts';

export type { ProviderDescription };

export type ProviderConfig = Pick<AppConfig, NetworkVariable | 'GRAVATAR_API_BASE_URL' | 'GRAVATAR_API_KEY'>;

export interface ProviderBuildOptions {
  logger?: HttpLogger;
  /** Recent posts sampled per account, per network (defaults: X 10, Mastodon 20, Bluesky 20, YouTube 10). */
  postSample?: Partial<Record<Network, number>>;
  /** HTTP overrides for every adapter (the longest rate-limit wait; tests: fake clocks). */
  http?: Partial<HttpClientOptions>;
}

/** What the store holds of one network's imported counts (see `crm-influence import`). */
export interface ImportedNetwork {
  network: Network;
  accounts: number;
  newestAsOf: string;
}

/** A network with imported counts and no API of its own (LinkedIn) is on through its imports. */
function withImports(description: ProviderDescription, imported: readonly ImportedNetwork[]): ProviderDescription {
  const counts = imported.find((i) => i.network === description.network);
  if (description.enabled || counts === undefined) return description;
  return {
    network: description.network,
    enabled: true,
    detail: `imported counts: ${counts.accounts} accounts, the newest as of ${counts.newestAsOf.slice(0, 10)}`,
    howToEnable: 'import newer counts with `crm-influence import --file counts.csv`',
  };
}

export function describeProviders(
  config: ProviderConfig,
  imported: readonly ImportedNetwork[] = [],
): ProviderDescription[] {
  return [
    ...NETWORK_LIST.map((network) => withImports(network.describe(config), imported)),
    config.GRAVATAR_API_KEY
      ? {
          network: 'gravatar',
          enabled: true,
          detail: 'handle discovery from e-mail (1,000/hour with your key); discovered handles are unconfirmed',
        }
      : {
          network: 'gravatar',
          enabled: true,
          detail: 'handle discovery from e-mail, 100 requests/hour; discovered handles are unconfirmed',
          howToEnable: 'set GRAVATAR_API_KEY for 1,000 requests/hour',
        },
  ];
}

/** The enabled network adapters (not Gravatar discovery or imported counts: see createDiscovery, sync/imported-counts.ts). */
export function createProviders(config: ProviderConfig, options: ProviderBuildOptions = {}): ProviderAdapter[] {
  const common = (network: Network) => ({
    postSample: options.postSample?.[network],
    http: { ...(options.logger ? { logger: options.logger } : {}), ...options.http },
  });
  return NETWORK_LIST.flatMap((network) => network.create(config, common(network.network)) ?? []);
}

export function createDiscovery(config: ProviderConfig, options: ProviderBuildOptions = {}): GravatarDiscovery {
  return new GravatarDiscovery({
    baseUrl: config.GRAVATAR_API_BASE_URL,
    apiKey: config.GRAVATAR_API_KEY,
    http: { ...(options.logger ? { logger: options.logger } : {}), ...options.http },
  });
}
