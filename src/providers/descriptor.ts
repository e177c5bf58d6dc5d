// One network's facts in one place: each adapter file exports its NetworkDescriptor and `networks.ts` lists them, so
// the registry, `doctor`, the cache lifetimes and the rate-limit readers all read the same entry (ARCHITECTURE.md,
// "Where to add a network").
import type { AppConfig, VariableName } from '../config.ts';
import type { HttpClientOptions, RateLimitNormaliser } from '../http/index.ts';
import type { Network } from '../scoring/types.ts';
import type { ProviderAdapter } from './contract.ts';

export const DAY = 86_400;

/** Fresh lifetime of an `ok` answer unless a network says otherwise. */
export const DEFAULT_PROVIDER_TTL_SECONDS = 7 * DAY;

/** What `doctor` prints for one provider. */
export interface ProviderDescription {
  network: Network | 'gravatar';
  enabled: boolean;
  /** What it does when on / why it is off. */
  detail: string;
  /** The exact step that turns it on (or raises its limits). */
  howToEnable?: string;
}

/** What the registry hands every adapter it builds. */
export interface CommonAdapterOptions {
  /** Recent posts sampled per account (undefined: the adapter's default). */
  postSample?: number;
  http: Partial<HttpClientOptions>;
}

export interface NetworkDescriptor<N extends Network = Network, V extends VariableName = VariableName> {
  readonly network: N;
  /** The rows of `src/config.ts` it reads (that table also writes the README's; `sandbox` sets them). */
  readonly variables: readonly V[];
  /** Fresh lifetime of an `ok` answer in the engine's cache, in seconds. */
  readonly cacheTtlSeconds: number;
  /** Reads its responses' rate-limit headers; null when it sends none (quota APIs, no API at all). */
  readonly rateLimit: RateLimitNormaliser | null;
  /**
   * A handle and its profile URL as a CRM field holds them (both canonical: identity must read the same handle from
   * each; test/architecture.test.ts checks that src/identity knows the network).
   */
  readonly example: { readonly handle: string; readonly profileUrl: string };
  /** Its emulator under `src/sandbox/networks/`, or null when it has no API to emulate. */
  readonly sandboxTwin: `src/sandbox/networks/${string}.ts` | null;
  /** `doctor`'s entry: on or off for this configuration, and the step that turns it on. */
  describe(config: Pick<AppConfig, V>): ProviderDescription;
  /** Its adapter for this configuration, or null when it is off (or has no API). */
  create(config: Pick<AppConfig, V>, common: CommonAdapterOptions): ProviderAdapter | null;
}

/** Keeps a descriptor's literal variable names, so the registry's configuration type is exactly their union. */
export function defineNetwork<N extends Network, const V extends VariableName>(
  descriptor: NetworkDescriptor<N, V>,
): NetworkDescriptor<N, V> {
  return descriptor;
}

export function days(seconds: number): string {
  return `${Math.round(seconds / DAY)} days`;
}
