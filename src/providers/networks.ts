// The one list of networks: every NetworkDescriptor, keyed by the model's network names (src/scoring/types.ts), so a
// name added there makes the compiler ask for its descriptor here. The registry, `doctor` and the cache lifetimes
// read this list; test/architecture.test.ts checks each entry is wired to config, identity and the sandbox.
import type { Network } from '../scoring/types.ts';
import { NETWORKS } from '../scoring/types.ts';
import { BLUESKY_NETWORK } from './bluesky.ts';
import type { NetworkDescriptor } from './descriptor.ts';
import { GITHUB_NETWORK } from './github.ts';
import { LINKEDIN_NETWORK } from './linkedin.ts';
import { MASTODON_NETWORK } from './mastodon.ts';
import { X_NETWORK } from './x.ts';
import { YOUTUBE_NETWORK } from './youtube.ts';

export const NETWORK_DESCRIPTORS = {
  x: X_NETWORK,
  github: GITHUB_NETWORK,
  mastodon: MASTODON_NETWORK,
  bluesky: BLUESKY_NETWORK,
  youtube: YOUTUBE_NETWORK,
  linkedin: LINKEDIN_NETWORK,
} satisfies { [N in Network]: NetworkDescriptor<N> };

/** The configuration variables the networks read (each descriptor names its own). */
export type NetworkVariable = (typeof NETWORK_DESCRIPTORS)[Network]['variables'][number];

/** Every descriptor, in the model's network order (the order `doctor` prints and adapters are built in). */
export const NETWORK_LIST: readonly NetworkDescriptor<Network, NetworkVariable>[] = NETWORKS.map(
  (network) => NETWORK_DESCRIPTORS[network],
);
