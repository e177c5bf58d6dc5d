// fast-check generators of model inputs shaped like real provider output.
import fc from 'fast-check';

import {
  type Network,
  type NetworkMetrics,
  NETWORKS,
  type RecentPost,
  type ScoredNetworkInput,
} from '../../src/scoring/types.ts';

export const NOW = new Date('2026-06-01T00:00:00.000Z');
const DAY_MS = 86_400_000;
export const isoDaysAgo = (days: number): string => new Date(NOW.getTime() - Math.round(days * DAY_MS)).toISOString();

export const postArb: fc.Arbitrary<RecentPost> = fc
  .record({
    ageDays: fc.integer({ min: 0, max: 200 }),
    reshares: fc.integer({ min: 0, max: 5_000 }),
    replies: fc.integer({ min: 0, max: 5_000 }),
    likes: fc.integer({ min: 0, max: 50_000 }),
  })
  .map(({ ageDays, ...r }) => ({ at: isoDaysAgo(ageDays), ...r }));

export function metricsArb(networks: readonly Network[] = NETWORKS, minPosts = 0): fc.Arbitrary<NetworkMetrics> {
  return fc
    .record({
      network: fc.constantFrom(...networks),
      followers: fc.oneof(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 50_000_000 })),
      following: fc.integer({ min: 0, max: 100_000 }),
      posts: fc.integer({ min: 0, max: 500_000 }),
      accountAgeDays: fc.option(fc.integer({ min: 0, max: 6_000 })),
      followersHidden: fc.boolean(),
      stars: fc.option(fc.integer({ min: 0, max: 500_000 })),
      forks: fc.option(fc.integer({ min: 0, max: 50_000 })),
      recentPosts: fc.array(postArb, { minLength: minPosts, maxLength: 25 }),
    })
    .map((r) => ({
      network: r.network,
      handle: 'someone',
      followers: r.followers,
      following: r.following,
      posts: r.posts,
      ...(r.accountAgeDays === null ? {} : { createdAt: isoDaysAgo(r.accountAgeDays) }),
      ...(r.network === 'youtube' && r.followersHidden ? { followersHidden: true } : {}),
      ...(r.network === 'github'
        ? {
            extra: { ...(r.stars === null ? {} : { stars: r.stars }), ...(r.forks === null ? {} : { forks: r.forks }) },
          }
        : {}),
      recentPosts: r.recentPosts,
      fetchedAt: NOW.toISOString(),
    }));
}

export function networkInputArb(networks: readonly Network[] = NETWORKS): fc.Arbitrary<ScoredNetworkInput> {
  return fc.record({
    metrics: metricsArb(networks),
    provenance: fc.constantFrom('crm-field' as const, 'discovered' as const),
    stale: fc.boolean(),
  });
}

export const verified = (metrics: NetworkMetrics): ScoredNetworkInput => ({
  metrics,
  provenance: 'crm-field',
  stale: false,
});

/** A plausible active account: 20 posts over 60 days whose reactions vary within `spread` (log-e) of a base level. */
export function steadyAccount(
  network: Network,
  followers: number,
  base: number,
  jitter: readonly number[],
): NetworkMetrics {
  const recentPosts = jitter.slice(0, 20).map((u, i) => {
    const a = Math.round(base * Math.exp(u));
    return { at: isoDaysAgo(i * 3), reshares: Math.round(a / 10), replies: Math.round(a / 10), likes: a };
  });
  return {
    network,
    handle: 'steady',
    followers,
    following: Math.round(followers / 10),
    posts: 3_000,
    createdAt: isoDaysAgo(2_000),
    recentPosts,
    fetchedAt: NOW.toISOString(),
  };
}

/** An account as a provider fills it, without posts; `likesGiven` only where the network says it (X). */
export function profileWithoutPostsArb(networks: readonly Network[]): fc.Arbitrary<NetworkMetrics> {
  return fc
    .record({
      network: fc.constantFrom(...networks),
      followers: fc.oneof(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 50_000_000 })),
      following: fc.integer({ min: 0, max: 100_000 }),
      posts: fc.integer({ min: 0, max: 500_000 }),
      likesGiven: fc.integer({ min: 0, max: 100_000 }),
      ageDays: fc.option(fc.integer({ min: 0, max: 6_000 })),
    })
    .map((r) => ({
      network: r.network,
      handle: 'someone',
      followers: r.followers,
      following: r.following,
      posts: r.posts,
      ...(r.network === 'x' ? { likesGiven: r.likesGiven } : {}),
      ...(r.ageDays === null ? {} : { createdAt: isoDaysAgo(r.ageDays) }),
      recentPosts: [],
      fetchedAt: NOW.toISOString(),
    }));
}
