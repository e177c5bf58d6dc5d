// Provider metrics for one page of contacts: cache first, misses batched by each network's `maxBatch` with bounded
// concurrency, fresh answers cached with a TTL, and during an outage the last good metrics carried forward (stale).
import type { ProviderAdapter, ProviderResult } from '../providers/contract.ts';
import type { Network, NetworkMetrics } from '../scoring/types.ts';
import type { Store } from '../store/contract.ts';
import type { SyncLogger } from './logger.ts';

export type MetricsOutcome =
  | { kind: 'metrics'; metrics: NetworkMetrics; stale: boolean }
  /** A definite answer without metrics (`not_found`, `suspended`, `protected`, or no adapter for the network). */
  | { kind: 'absent'; status: string }
  /** Transient and no usable last-good metrics: the contact cannot be scored fairly this run. */
  | { kind: 'unavailable'; reason: string };

export function identityKey(network: Network, handle: string): string {
  return `${network}:${handle}`;
}

export interface MetricsRequest {
  store: Store;
  providers: ReadonlyMap<Network, ProviderAdapter>;
  /** Handles wanted per network (deduplicated across the page). */
  wanted: ReadonlyMap<Network, ReadonlySet<string>>;
  now: Date;
  /** Cache lifetime of an `ok` answer per network. */
  ttlSeconds: (network: Network) => number;
  /** Cache lifetime of `not_found` / `suspended` / `protected` (default: the network's `ttlSeconds`). */
  negativeTtlSeconds?: number;
  lastGoodMaxAgeMs: number;
  concurrency: number;
  logger?: SyncLogger;
}

/** Runs `worker` over `items` with at most `limit` in flight. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  worker: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await worker(item);
    }
  });
  await Promise.all(lanes);
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

function toOutcome(result: ProviderResult, stale: boolean): MetricsOutcome {
  if (result.status === 'ok') return { kind: 'metrics', metrics: result.metrics, stale };
  if (result.status === 'unavailable') return { kind: 'unavailable', reason: result.reason ?? 'provider unavailable' };
  return { kind: 'absent', status: result.status };
}

/** Outcomes keyed by `identityKey(network, handle)`. */
export async function fetchPageMetrics(request: MetricsRequest): Promise<Map<string, MetricsOutcome>> {
  const { store, providers, wanted, now, logger } = request;
  const outcomes = new Map<string, MetricsOutcome>();
  const batches: { adapter: ProviderAdapter; handles: string[] }[] = [];

  for (const [network, handleSet] of wanted) {
    const handles = [...handleSet];
    const adapter = providers.get(network);
    if (adapter === undefined) {
      for (const handle of handles)
        outcomes.set(identityKey(network, handle), { kind: 'absent', status: 'no_provider' });
      continue;
    }
    const cached = await store.getCached(network, handles, now);
    const misses: string[] = [];
    for (const handle of handles) {
      const hit = cached.get(handle);
      if (hit !== undefined && hit.result.status !== 'unavailable')
        outcomes.set(identityKey(network, handle), toOutcome(hit.result, false));
      else misses.push(handle);
    }
    for (const handles of chunk(misses, Math.max(1, adapter.maxBatch))) batches.push({ adapter, handles });
  }

  const failedProviders = new Set<Network>();
  const fresh = new Map<Network, { handle: string; result: ProviderResult }[]>();
  await forEachLimited(batches, request.concurrency, async ({ adapter, handles }) => {
    let results: Map<string, ProviderResult>;
    try {
      results = await adapter.fetchProfiles(handles);
    } catch (error) {
      // The whole provider is unusable (e.g. bad credentials): treat as an outage, say so once per run page.
      const reason = error instanceof Error ? error.message : String(error);
      if (!failedProviders.has(adapter.network))
        logger?.error({ network: adapter.network, err: reason }, 'provider failed; using last good metrics');
      failedProviders.add(adapter.network);
      results = new Map(handles.map((handle) => [handle, { status: 'unavailable', reason } as const]));
    }
    const entries = fresh.get(adapter.network) ?? [];
    for (const handle of handles) {
      const result: ProviderResult = results.get(handle) ?? {
        status: 'unavailable',
        reason: 'no answer for this handle',
      };
      outcomes.set(identityKey(adapter.network, handle), toOutcome(result, false));
      if (result.status !== 'unavailable') entries.push({ handle, result });
    }
    fresh.set(adapter.network, entries);
  });

  for (const [network, entries] of fresh) {
    const ok = entries.filter((e) => e.result.status === 'ok');
    const negative = entries.filter((e) => e.result.status !== 'ok');
    if (ok.length > 0) await store.putCached(network, ok, request.ttlSeconds(network), now);
    const negativeTtl = request.negativeTtlSeconds ?? request.ttlSeconds(network);
    if (negative.length > 0 && negativeTtl > 0) await store.putCached(network, negative, negativeTtl, now);
  }

  // Outage: carry the last good metrics forward, if recent enough.
  const unavailable = new Map<Network, string[]>();
  for (const [network, handleSet] of wanted) {
    for (const handle of handleSet) {
      if (outcomes.get(identityKey(network, handle))?.kind === 'unavailable') {
        const list = unavailable.get(network) ?? [];
        list.push(handle);
        unavailable.set(network, list);
      }
    }
  }
  for (const [network, handles] of unavailable) {
    const lastGood = await store.getLastGood(network, handles);
    for (const [handle, entry] of lastGood) {
      const age = now.getTime() - Date.parse(entry.fetchedAt);
      if (entry.result.status === 'ok' && age <= request.lastGoodMaxAgeMs) {
        outcomes.set(identityKey(network, handle), { kind: 'metrics', metrics: entry.result.metrics, stale: true });
      }
    }
  }
  return outcomes;
}
