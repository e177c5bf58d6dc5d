// The adapters end to end against the sandbox network emulators (real HTTP on 127.0.0.1), checked against the
// population's ground truth: every status and follower count, and the calls spent against the batch minimum.
import { expect } from 'chai';

import { loadConfig } from '../../src/config.ts';
import { resolveRawHandles } from '../../src/identity/index.ts';
import { BlueskyAdapter } from '../../src/providers/bluesky.ts';
import type { ProviderAdapter, ProviderResult } from '../../src/providers/contract.ts';
import { createDiscovery, createProviders } from '../../src/providers/index.ts';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.ts';
import type { Network } from '../../src/scoring/types.ts';
import { accountFor, expectedStatus, identitiesByNetwork } from './sandbox-support.ts';

const NETWORK_SERVERS = ['x', 'github', 'mastodon', 'bluesky', 'youtube', 'gravatar'] as const;

async function fetchAll(adapter: ProviderAdapter, handles: string[]): Promise<Map<string, ProviderResult>> {
  const all = new Map<string, ProviderResult>();
  for (let i = 0; i < handles.length; i += adapter.maxBatch) {
    for (const [k, v] of await adapter.fetchProfiles(handles.slice(i, i + adapter.maxBatch))) all.set(k, v);
  }
  return all;
}

describe('providers: end to end against the sandbox emulators', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;

  before(async () => {
    sandbox = await startSandbox({
      contacts: 2500,
      seed: 'providers-e2e',
      only: [...NETWORK_SERVERS],
      networkLimits: 'relaxed',
      now: new Date('2026-07-01T00:00:00Z'),
    });
  });
  after(async () => {
    await sandbox?.close();
  });

  it('every network: statuses and counts match the ground truth; calls stay within 5 % of the batch minimum', async () => {
    const config = loadConfig(sandbox.env);
    const adapters = createProviders(config);
    expect(adapters.map((a) => a.network)).to.deep.equal(['x', 'github', 'mastodon', 'bluesky', 'youtube']);
    const byNetwork = identitiesByNetwork(sandbox.population);
    for (const adapter of adapters) {
      const network = adapter.network;
      const handles = (byNetwork.get(network) ?? []).map((i) => i.handle);
      expect(handles.length, `${network} identities`).to.be.greaterThan(20);
      const results = await fetchAll(adapter, handles);
      const mismatches: string[] = [];
      let okWithPosts = 0;
      for (const handle of handles) {
        const account = accountFor(sandbox.population, network, handle);
        const want = expectedStatus(network, account);
        const got = results.get(handle);
        if (got?.status !== want) {
          mismatches.push(`${handle}: want ${want}, got ${JSON.stringify(got)} (${account?.state ?? 'no account'})`);
          continue;
        }
        if (got.status === 'ok' && account) {
          const followers = account.followersHidden ? 0 : account.followers;
          // YouTube rounds subscriber counts down to three significant figures.
          const close =
            network === 'youtube'
              ? got.metrics.followers <= followers && got.metrics.followers >= followers * 0.99 - 1
              : got.metrics.followers === followers;
          if (!close) mismatches.push(`${handle}: followers ${got.metrics.followers} ≠ ${followers}`);
          if (got.metrics.recentPosts.length > 0 || account.posts > 0)
            okWithPosts += account.posts > 0 && account.lastPostAt !== null ? 1 : 0;
        }
      }
      expect(mismatches, `${network} mismatches`).to.deep.equal([]);
      const minimum = minimumCalls(network, handles, okWithPosts);
      const calls = adapter.usage().calls;
      expect(calls / minimum, `${network}: ${calls} calls for a minimum of ${minimum}`).to.be.at.most(1.05);
    }
  });

  it('one bad handle never fails a batch', async () => {
    const config = loadConfig(sandbox.env);
    const byNetwork = identitiesByNetwork(sandbox.population, 400);
    for (const adapter of createProviders(config)) {
      const good = (byNetwork.get(adapter.network) ?? [])
        .map((i) => i.handle)
        .filter((h) => expectedStatus(adapter.network, accountFor(sandbox.population, adapter.network, h)) === 'ok')
        .slice(0, 3);
      const results = await adapter.fetchProfiles(['not a handle!', ...good, 'zzzz9999999']);
      for (const handle of good) expect(results.get(handle)?.status, `${adapter.network} ${handle}`).to.equal('ok');
      expect(results.get('not a handle!')?.status).to.equal('not_found');
      expect(results.get('zzzz9999999')?.status).to.be.oneOf(['not_found']);
    }
  });

  it('Gravatar discovery finds only accounts the person really has, marked discovered', async () => {
    const discovery = createDiscovery(loadConfig(sandbox.env));
    const people = Array.from({ length: 200 }, (_, i) => sandbox.population.person(i));
    const results = await discovery.discover(people.map((p) => p.email));
    let withProfile = 0;
    let found = 0;
    for (const person of people) {
      const r = results.get(person.email);
      expect(r?.status, person.email).to.equal(sandbox.population.hasGravatar(person.index) ? 'ok' : 'not_found');
      if (r?.status !== 'ok') continue;
      withProfile += 1;
      const truth = new Set(sandbox.population.truth(person.index).map((t) => `${t.network}:${t.handle}`));
      for (const identity of resolveRawHandles(r.handles, 'discovered').identities) {
        expect(identity.provenance).to.equal('discovered');
        const key = `${identity.network}:${identity.handle.replace(/^@/, '')}`;
        const account = accountFor(sandbox.population, identity.network, identity.handle);
        expect(truth.has(key) || account?.personIndex === person.index, `${person.email} → ${key}`).to.equal(true);
        found += 1;
      }
    }
    expect(withProfile).to.be.greaterThan(20);
    expect(found).to.be.greaterThan(0);
  });
});

describe('providers: a 429 storm slows an adapter down without failing the run', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;

  before(async () => {
    sandbox = await startSandbox({
      contacts: 1500,
      seed: 'providers-storm',
      only: ['bluesky'],
      networkLimits: 'relaxed',
      // Every third call answers 429 RateLimitExceeded with a reset a minute away.
      faults: { bluesky: { status429: 3 } },
    });
  });
  after(async () => {
    await sandbox?.close();
  });

  it('every handle still gets its real answer; the adapter waited instead of failing', async () => {
    const handles = (identitiesByNetwork(sandbox.population).get('bluesky') ?? []).map((i) => i.handle);
    // A fake clock: the minute-long waits are counted, not spent.
    let t = Date.now();
    const bluesky = new BlueskyAdapter({
      baseUrl: sandbox.env.BLUESKY_API_BASE_URL ?? '',
      http: {
        now: () => t,
        sleep: (ms) => {
          t += ms;
          return Promise.resolve();
        },
        maxRetries: 6,
        maxWaitMs: 120_000,
      },
    });
    const started = t;
    const results = await fetchAll(bluesky, handles);
    const unavailable = [...results.values()].filter((r) => r.status === 'unavailable');
    expect(unavailable, 'no handle left unavailable').to.deep.equal([]);
    for (const handle of handles) {
      expect(results.get(handle)?.status).to.equal(
        expectedStatus('bluesky', accountFor(sandbox.population, 'bluesky', handle)),
      );
    }
    expect(t - started, 'time spent waiting (fake clock)').to.be.greaterThan(60_000);
    expect(sandbox.counters.bluesky?.snapshot().served429 ?? 0).to.be.greaterThan(5);
  });
});

describe("providers: the networks' real limits (not the relaxed ones), endpoints with separate windows", function () {
  this.timeout(60_000);
  let sandbox: Sandbox;

  before(async () => {
    sandbox = await startSandbox({
      contacts: 5000,
      seed: 'providers-real-limits',
      only: ['x'],
      networkLimits: 'real',
      // Today's population: the X adapter reads only posts inside the scoring window before its own clock.
    });
  });
  after(async () => {
    await sandbox?.close();
  });

  it('X: more post reads than the 300 user lookups a window allows, all answered (posts have their own 10,000)', async () => {
    const config = loadConfig(sandbox.env);
    const x = createProviders(config).find((a) => a.network === 'x');
    if (!x) throw new Error('the X adapter is not configured by the sandbox env');
    const handles = (identitiesByNetwork(sandbox.population).get('x') ?? []).map((i) => i.handle);
    const results = await fetchAll(x, handles);
    const counters = sandbox.counters.x?.snapshot();
    const postReads = counters?.calls['GET /2/users/:id/tweets'] ?? 0;
    expect(postReads, 'post reads (one per active account)').to.be.greaterThan(350);
    const unavailable = [...results.entries()]
      .filter(([, r]) => r.status === 'unavailable')
      .map(([h, r]) => `${h}: ${JSON.stringify(r)}`);
    expect(unavailable).to.deep.equal([]);
    expect(counters?.served429).to.equal(0);
  });
});

/** The fewest calls the networks' batch sizes allow for these handles (with recent posts for active accounts). */
function minimumCalls(network: Network, handles: string[], accountsWithPosts: number): number {
  switch (network) {
    case 'x':
      return Math.ceil(handles.length / 100) + accountsWithPosts;
    case 'bluesky':
      return Math.ceil(handles.length / 25) + accountsWithPosts;
    case 'github':
      return Math.ceil(handles.length / 50);
    case 'mastodon':
      return handles.length + accountsWithPosts;
    case 'youtube': {
      const ids = handles.filter((h) => h.startsWith('UC')).length;
      // channels by id (50 per call) + one call per @handle + one uploads page per active channel + videos.list (50 ids).
      return (
        Math.ceil(ids / 50) + (handles.length - ids) + accountsWithPosts + Math.ceil((accountsWithPosts * 10) / 50)
      );
    }
    case 'linkedin':
      return 0;
  }
}
