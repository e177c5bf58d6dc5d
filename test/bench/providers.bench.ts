// `npm run bench providers`: 100,000 sandbox contacts → identities → metrics from the network emulators, through
// the engine's cache (src/sync/metrics.ts + SQLite store), twice. Prints calls per network against the fewest the
// batch sizes allow, the cache hit ratio of the second run, timings and peak memory.
// Size: BENCH_CONTACTS people get their identities resolved (default 100,000); the first BENCH_FETCH_CONTACTS of
// them (default 20,000, to stay near two minutes: the in-process emulators generating posts and repos are the
// bottleneck, ~200 calls/s) have their metrics fetched; BENCH_FETCH_CONTACTS=100000 for the full run (~8 minutes).
// The emulators run with relaxed (100×) rate limits: at the real published limits this volume takes hours of
// waiting, which measures the networks, not us.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { loadConfig } from '../../src/config.ts';
import { resolveIdentities } from '../../src/identity/index.ts';
import type { ProviderAdapter, ProviderResult } from '../../src/providers/contract.ts';
import { createProviders, providerTtlSeconds, STALE_MAX_AGE_SECONDS } from '../../src/providers/index.ts';
import { startSandbox } from '../../src/sandbox/index.ts';
import type { Population } from '../../src/sandbox/population.ts';
import type { Network } from '../../src/scoring/types.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { fetchPageMetrics } from '../../src/sync/metrics.ts';
import { accountFor, rawHandles } from '../providers/sandbox-support.ts';

const CONTACTS = Number(process.env.BENCH_CONTACTS ?? 100_000);
const FETCH_CONTACTS = Math.min(CONTACTS, Number(process.env.BENCH_FETCH_CONTACTS ?? 20_000));
const PAGE = 5_000;
const NOW = new Date('2026-07-01T00:00:00Z');

/** Counts the handles each adapter is actually asked for (cache misses) around the real adapter. */
class CountingAdapter implements ProviderAdapter {
  asked = 0;
  readonly network: Network;
  readonly maxBatch: number;
  readonly results = new Map<string, ProviderResult>();
  private readonly inner: ProviderAdapter;

  constructor(inner: ProviderAdapter) {
    this.inner = inner;
    this.network = inner.network;
    this.maxBatch = inner.maxBatch;
  }
  async fetchProfiles(handles: readonly string[]): Promise<Map<string, ProviderResult>> {
    this.asked += handles.length;
    const out = await this.inner.fetchProfiles(handles);
    for (const [k, v] of out) this.results.set(k, v);
    return out;
  }
  usage() {
    return this.inner.usage();
  }
}

function minimumCalls(
  network: Network,
  handles: readonly string[],
  population: Population,
  postSample: number,
): number {
  let withPosts = 0;
  for (const handle of handles) {
    const account = accountFor(population, network, handle);
    if (!account || account.state === 'suspended' || account.state === 'protected' || account.networkOptOut) continue;
    if (network === 'github' && account.kind === 'brand') continue;
    if (account.posts > 0 && account.lastPostAt !== null) withPosts += 1;
  }
  switch (network) {
    case 'x':
      return Math.ceil(handles.length / 100) + withPosts;
    case 'bluesky':
      return Math.ceil(handles.length / 25) + withPosts;
    case 'github':
      return Math.ceil(handles.length / 50);
    case 'mastodon':
      return handles.length + withPosts;
    case 'youtube': {
      const ids = handles.filter((h) => h.startsWith('UC')).length;
      return Math.ceil(ids / 50) + (handles.length - ids) + withPosts + Math.ceil((withPosts * postSample) / 50);
    }
    case 'linkedin':
      return 0;
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

export async function run(): Promise<void> {
  let peakHeap = 0;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 100);
  const dir = mkdtempSync(path.join(tmpdir(), 'providers-bench-'));
  const sandbox = await startSandbox({
    contacts: CONTACTS,
    seed: 'providers-bench',
    networkLimits: 'relaxed',
    now: NOW,
    only: ['x', 'github', 'mastodon', 'bluesky', 'youtube'],
  });
  const store = await SqliteStore.open(path.join(dir, 'bench.db'));
  try {
    const population = sandbox.population;
    // 1. Identities.
    let t0 = performance.now();
    // Pages of the contacts whose metrics are fetched (the engine works page by page).
    const pages: Map<Network, Set<string>>[] = [];
    const all = new Map<Network, Set<string>>();
    let identities = 0;
    let rejected = 0;
    for (let start = 0; start < CONTACTS; start += PAGE) {
      const wanted = new Map<Network, Set<string>>();
      for (let i = start; i < Math.min(CONTACTS, start + PAGE); i++) {
        const resolved = resolveIdentities({ handles: rawHandles(population, i) });
        identities += resolved.identities.length;
        rejected += resolved.rejected.length;
        if (i >= FETCH_CONTACTS) continue;
        for (const identity of resolved.identities) {
          if (!wanted.has(identity.network)) wanted.set(identity.network, new Set());
          wanted.get(identity.network)?.add(identity.handle);
          if (!all.has(identity.network)) all.set(identity.network, new Set());
          all.get(identity.network)?.add(identity.handle);
        }
      }
      if (wanted.size > 0) pages.push(wanted);
    }
    const identityMs = performance.now() - t0;
    console.log(
      `contacts ${CONTACTS.toLocaleString('en')}: ${identities.toLocaleString('en')} identities, ${rejected.toLocaleString('en')} values rejected, ` +
        `in ${(identityMs / 1000).toFixed(1)} s (${Math.round(CONTACTS / (identityMs / 1000)).toLocaleString('en')} contacts/s)`,
    );

    // 2. Two runs through the engine's cache.
    const config = loadConfig(sandbox.env);
    const runOnce = async (label: string) => {
      const adapters = createProviders(config).map((a) => new CountingAdapter(a));
      const providers = new Map(adapters.map((a) => [a.network, a] as const));
      t0 = performance.now();
      let wantedTotal = 0;
      for (const wanted of pages) {
        wantedTotal += [...wanted.values()].reduce((s, h) => s + h.size, 0);
        await fetchPageMetrics({
          store,
          providers,
          wanted,
          now: NOW,
          concurrency: 8,
          ttlSeconds: (network) => providerTtlSeconds(network),
          lastGoodMaxAgeMs: STALE_MAX_AGE_SECONDS * 1000,
        });
      }
      const seconds = (performance.now() - t0) / 1000;
      const asked = adapters.reduce((s, a) => s + a.asked, 0);
      console.log(
        `\n${label}, metrics for ${FETCH_CONTACTS.toLocaleString('en')} contacts: ${seconds.toFixed(1)} s (${Math.round(adapters.reduce((s, a) => s + a.usage().calls, 0) / seconds)} calls/s), ${wantedTotal.toLocaleString('en')} identity look-ups, cache hits ${((1 - asked / wantedTotal) * 100).toFixed(2)} %`,
      );
      return adapters;
    };

    const first = await runOnce('run 1 (cold cache)');
    console.log('network   handles   calls   minimum   ratio   statuses');
    for (const adapter of first) {
      const handles = [...(all.get(adapter.network) ?? [])];
      const calls = adapter.usage().calls;
      const minimum = minimumCalls(adapter.network, handles, population, adapter.network === 'youtube' ? 10 : 0);
      const statuses: Record<string, number> = {};
      for (const r of adapter.results.values()) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      console.log(
        `${adapter.network.padEnd(9)} ${String(handles.length).padStart(7)} ${String(calls).padStart(7)} ${String(minimum).padStart(9)} ` +
          `${(calls / Math.max(1, minimum)).toFixed(3).padStart(6)}×   ${JSON.stringify(statuses)}`,
      );
    }
    const second = await runOnce('run 2 (warm cache)');
    console.log(`run 2 provider calls: ${second.map((a) => `${a.network} ${a.usage().calls}`).join(', ')}`);
  } finally {
    clearInterval(sampler);
    await store.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `\npeak heap ${mb(peakHeap)}, peak RSS ${mb(process.resourceUsage().maxRSS * 1024)} (one process: emulators + adapters + store)`,
  );
}
