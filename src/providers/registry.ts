// Which adapters are on for a configuration, built from it, and how `doctor` explains each one.
import type { AppConfig } from '../config.ts';
import type { HttpClientOptions, HttpLogger } from '../http/index.ts';
import type { Network } from '../scoring/types.ts';
import { BlueskyAdapter } from './bluesky.ts';
import type { ProviderAdapter } from './contract.ts';
import { GitHubAdapter } from './github.ts';
import { GravatarDiscovery } from './gravatar.ts';
import { MastodonAdapter } from './mastodon.ts';
import { PROVIDER_TTL_SECONDS } from './ttl.ts';
import { X_PRICE_USD, XAdapter } from './x.ts';
import { YouTubeAdapter } from './youtube.ts';

export type ProviderConfig = Pick<
  AppConfig,
  | 'X_ENABLED'
  | 'X_API_BASE_URL'
  | 'X_BEARER_TOKEN'
  | 'GITHUB_API_BASE_URL'
  | 'GITHUB_TOKEN'
  | 'MASTODON_API_BASE_URL'
  | 'BLUESKY_API_BASE_URL'
  | 'YOUTUBE_API_BASE_URL'
  | 'YOUTUBE_API_KEY'
  | 'GRAVATAR_API_BASE_URL'
  | 'GRAVATAR_API_KEY'
>;

export interface ProviderBuildOptions {
  logger?: HttpLogger;
  /** Recent posts sampled per account, per network (defaults: X 10, Mastodon 20, Bluesky 20, YouTube 10). */
  postSample?: Partial<Record<Network, number>>;
  /** HTTP overrides for every adapter (the longest rate-limit wait; tests: fake clocks). */
  http?: Partial<HttpClientOptions>;
}

export interface ProviderDescription {
  network: Network | 'gravatar';
  enabled: boolean;
  /** What it does when on / why it is off. */
  detail: string;
  /** The exact step that turns it on (or raises its limits). */
  howToEnable?: string;
}

function days(seconds: number): string {
  return `${Math.round(seconds / 86_400)} days`;
}

/** What the store holds of one network's imported counts (see `crm-influence import`). */
export interface ImportedNetwork {
  network: Network;
  accounts: number;
  newestAsOf: string;
}

export function describeProviders(
  config: ProviderConfig,
  imported: readonly ImportedNetwork[] = [],
): ProviderDescription[] {
  const xOn = config.X_ENABLED && Boolean(config.X_BEARER_TOKEN);
  const linkedin = imported.find((i) => i.network === 'linkedin');
  return [
    xOn
      ? {
          network: 'x',
          enabled: true,
          detail: `X API v2, 100 users per call; paid per read (~$${X_PRICE_USD.userRead} per user + $${X_PRICE_USD.postRead} per post), cached ${days(PROVIDER_TTL_SECONDS.x)}`,
        }
      : {
          network: 'x',
          enabled: false,
          detail: 'off: the X API is paid per read, so it is opt-in',
          howToEnable:
            'set X_ENABLED=true and X_BEARER_TOKEN=<your X app bearer token> (only score handles contacts gave you: X requires consent for off-X matching)',
        },
    config.GITHUB_TOKEN
      ? { network: 'github', enabled: true, detail: 'GitHub GraphQL with your token, 50 logins per query' }
      : {
          network: 'github',
          enabled: true,
          detail: 'GitHub REST without a token: 60 requests/hour, 1–2 requests per account',
          howToEnable:
            'set GITHUB_TOKEN=<a fine-grained token with no scopes> for 5,000 requests/hour and batched GraphQL look-ups',
        },
    {
      network: 'mastodon',
      enabled: true,
      detail: config.MASTODON_API_BASE_URL
        ? `every instance via ${config.MASTODON_API_BASE_URL}`
        : "each account's home instance, public API (no token)",
    },
    {
      network: 'bluesky',
      enabled: true,
      detail: `public AppView ${config.BLUESKY_API_BASE_URL}, 25 profiles per call (no token)`,
    },
    config.YOUTUBE_API_KEY
      ? {
          network: 'youtube',
          enabled: true,
          detail: 'YouTube Data API v3: 10,000 quota units/day, ~1–2 units per channel; kept as its own sub-score',
        }
      : {
          network: 'youtube',
          enabled: false,
          detail: 'off: needs an API key',
          howToEnable: 'set YOUTUBE_API_KEY=<key of a Google Cloud project with the YouTube Data API v3 enabled>',
        },
    linkedin !== undefined
      ? {
          network: 'linkedin',
          enabled: true,
          detail: `imported counts: ${linkedin.accounts} accounts, the newest as of ${linkedin.newestAsOf.slice(0, 10)}`,
          howToEnable: 'import newer counts with `crm-influence import --file counts.csv`',
        }
      : {
          network: 'linkedin',
          enabled: false,
          detail: "LinkedIn has no API for other members' follower counts",
          howToEnable:
            'import counts from CSV: `crm-influence import --file counts.csv` (columns: `crm-influence import --help`)',
        },
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
  const adapters: ProviderAdapter[] = [];
  if (config.X_ENABLED && config.X_BEARER_TOKEN) {
    adapters.push(new XAdapter({ baseUrl: config.X_API_BASE_URL, bearerToken: config.X_BEARER_TOKEN, ...common('x') }));
  }
  adapters.push(
    new GitHubAdapter({ baseUrl: config.GITHUB_API_BASE_URL, token: config.GITHUB_TOKEN, ...common('github') }),
  );
  adapters.push(new MastodonAdapter({ baseUrlOverride: config.MASTODON_API_BASE_URL, ...common('mastodon') }));
  adapters.push(new BlueskyAdapter({ baseUrl: config.BLUESKY_API_BASE_URL, ...common('bluesky') }));
  if (config.YOUTUBE_API_KEY) {
    adapters.push(
      new YouTubeAdapter({
        baseUrl: config.YOUTUBE_API_BASE_URL,
        apiKey: config.YOUTUBE_API_KEY,
        ...common('youtube'),
      }),
    );
  }
  return adapters;
}

export function createDiscovery(config: ProviderConfig, options: ProviderBuildOptions = {}): GravatarDiscovery {
  return new GravatarDiscovery({
    baseUrl: config.GRAVATAR_API_BASE_URL,
    apiKey: config.GRAVATAR_API_KEY,
    http: { ...(options.logger ? { logger: options.logger } : {}), ...options.http },
  });
}
