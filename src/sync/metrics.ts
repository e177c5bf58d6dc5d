// Provider metrics for one page of contacts: cache first, misses batched by each network's `maxBatch` with bounded
// concurrency per network, fresh answers cached with a TTL, and during an outage the last good metrics carried
// forward (stale). A page waits for the networks only so long: a network held back by its rate limit does not hold
// back the page's other contacts (its handles are answered "unavailable, still waiting" and retried next run).
import type { ProviderAdapter, ProviderResult } from '../providers/contract.ts';
import type { Network, NetworkMetrics } from '../scoring/types.ts';
import type { Store } from '../store/contract.ts';
import type { SyncLogger } from './logger.ts';
import { SPEND_CAP_REASON, type SpendGate } from './spend-cap.ts';

export type MetricsOutcome =
  | { kind: 'metrics'; metrics: NetworkMetrics; stale: boolean }
  /** A definite answer without metrics (`not_found`, `suspended`, `protected`, or no adapter for the network). */
  | { kind: 'absent'; status: string }
  /**
   * Transient and no usable last-good metrics: the contact cannot be scored fairly this run. `waiting`: the network
   * did not answer within the page's wait (its rate limit): the contact waits for it, it is not scored without it.
   */
  | { kind: 'unavailable'; reason: string; waiting?: true };

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
  /** Batch calls in flight per network (a run passes its own `lanes`, shared by its pages). */
  concurrency: number;
  lanes?: NetworkLanes;
  /** The longest the page waits for the networks' answers; unlimited when absent. */
  waitMs?: number;
  /** Stops waiting at once (the run was asked to stop); the batches in flight are told through their signal. */
  signal?: AbortSignal;
  /** Paid networks' monthly caps: look-ups past a cap are not sent; their handles wait for a later run. */
  spendGate?: SpendGate;
  logger?: SyncLogger;
}

/**
 * Batch calls in flight per network, across the pages of a run: a batch a page stopped waiting for still holds its
 * lane until it settles, so a rate-limited network never has more than `limit` batches queued on its limit.
 */
export class NetworkLanes {
  readonly #busy = new Map<Network, number>();
  readonly #waiting = new Map<Network, (() => void)[]>();
  /** Networks whose every lane holds a batch an earlier page stopped waiting for. */
  readonly #stalled = new Set<Network>();

  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  /**
   * A lane of the network, or false when none came free before `signal` (the page's deadline) fired. While the
   * network is stalled (no lane freed since a page gave up on it), a page does not wait for it at all.
   */
  async acquire(network: Network, signal: AbortSignal): Promise<boolean> {
    while ((this.#busy.get(network) ?? 0) >= this.limit) {
      if (signal.aborted || this.#stalled.has(network)) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal.removeEventListener('abort', wake);
          resolve();
        };
        signal.addEventListener('abort', wake, { once: true });
        this.#waiting.set(network, [...(this.#waiting.get(network) ?? []), wake]);
      });
    }
    if (signal.aborted) return false;
    this.#busy.set(network, (this.#busy.get(network) ?? 0) + 1);
    return true;
  }

  /** A page stopped waiting for a batch of the network (it keeps its lane until it settles). */
  stalled(network: Network): void {
    this.#stalled.add(network);
  }

  release(network: Network): void {
    this.#stalled.delete(network);
    this.#busy.set(network, (this.#busy.get(network) ?? 1) - 1);
    const waiting = this.#waiting.get(network) ?? [];
    this.#waiting.set(network, []);
    for (const wake of waiting) wake();
  }
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

function answerFor(results: ReadonlyMap<string, ProviderResult>, handle: string): ProviderResult {
  return results.get(handle) ?? { status: 'unavailable', reason: 'no answer for this handle' };
}

/** Definite answers cached: `ok` for the network's TTL, `not_found`/`suspended`/`protected` for the negative TTL. */
async function cacheAnswers(
  request: MetricsRequest,
  network: Network,
  answers: readonly { handle: string; result: ProviderResult }[],
): Promise<void> {
  const entries = answers.filter((e) => e.result.status !== 'unavailable');
  const ok = entries.filter((e) => e.result.status === 'ok');
  const negative = entries.filter((e) => e.result.status !== 'ok');
  if (ok.length > 0) await request.store.putCached(network, ok, request.ttlSeconds(network), request.now);
  const negativeTtl = request.negativeTtlSeconds ?? request.ttlSeconds(network);
  if (negative.length > 0 && negativeTtl > 0)
    await request.store.putCached(network, negative, negativeTtl, request.now);
}

/** The work's result, or null when `signal` fires first. */
async function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | null> {
  if (signal.aborted) return null;
  let onAbort = (): void => undefined;
  const aborted = new Promise<null>((resolve) => {
    onAbort = () => resolve(null);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

interface Batch {
  adapter: ProviderAdapter;
  handles: string[];
  lastGood?: ReadonlyMap<string, NetworkMetrics>;
}

/** The handles' last good metrics, for adapters that re-read only what changed since. */
async function lastGoodMetrics(
  store: Store,
  network: Network,
  handles: readonly string[],
): Promise<Map<string, NetworkMetrics>> {
  const metrics = new Map<string, NetworkMetrics>();
  for (const [handle, entry] of await store.getLastGood(network, handles))
    if (entry.result.status === 'ok') metrics.set(handle, entry.result.metrics);
  return metrics;
}

/** Outcomes keyed by `identityKey(network, handle)`. */
export async function fetchPageMetrics(request: MetricsRequest): Promise<Map<string, MetricsOutcome>> {
  const { store, providers, wanted, now, logger } = request;
  const outcomes = new Map<string, MetricsOutcome>();
  const batches: Batch[] = [];

  for (const [network, handleSet] of wanted) {
    const handles = [...handleSet];
    const adapter = providers.get(network);
    if (adapter === undefined) {
      for (const handle of handles)
        outcomes.set(identityKey(network, handle), { kind: 'absent', status: 'no_provider' });
      continue;
    }
    if (adapter.local === true) {
      for (const batch of chunk(handles, Math.max(1, adapter.maxBatch))) batches.push({ adapter, handles: batch });
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
    const lastGood =
      adapter.reusesLastGood === true && misses.length > 0 ? await lastGoodMetrics(store, network, misses) : undefined;
    for (const handles of chunk(misses, Math.max(1, adapter.maxBatch))) batches.push({ adapter, handles, lastGood });
  }

  const failedProviders = new Set<Network>();
  const lanes = request.lanes ?? new NetworkLanes(request.concurrency);
  const waitSignals = [
    ...(request.waitMs !== undefined ? [AbortSignal.timeout(request.waitMs)] : []),
    ...(request.signal !== undefined ? [request.signal] : []),
  ];
  const stopWaiting = waitSignals.length === 0 ? new AbortController().signal : AbortSignal.any(waitSignals);
  const waitedSeconds = Math.round((request.waitMs ?? 0) / 100) / 10;
  const notAnswered = (handles: readonly string[], network: Network) => {
    for (const handle of handles) {
      outcomes.set(identityKey(network, handle), {
        kind: 'unavailable',
        reason: `no answer within ${waitedSeconds} s (rate limit)`,
        waiting: true,
      });
    }
  };
  // The page's answers, cached once per network when they are all in.
  const fresh = new Map<Network, { handle: string; result: ProviderResult }[]>();
  const lookUp = async ({ adapter, handles: wantedHandles, lastGood }: Batch): Promise<void> => {
    const network = adapter.network;
    if (!(await lanes.acquire(network, stopWaiting))) return notAnswered(wantedHandles, network);
    const allowed = request.spendGate?.reserve(network, wantedHandles.length) ?? wantedHandles.length;
    for (const handle of wantedHandles.slice(allowed))
      outcomes.set(identityKey(network, handle), { kind: 'unavailable', reason: SPEND_CAP_REASON, waiting: true });
    if (allowed === 0) {
      lanes.release(network);
      return;
    }
    const handles = wantedHandles.slice(0, allowed);
    const answer = (async () => {
      try {
        return await adapter.fetchProfiles(handles, lastGood);
      } catch (error) {
        // The whole provider is unusable (e.g. bad credentials): treat as an outage, say so once per run page.
        const reason = error instanceof Error ? error.message : String(error);
        if (!failedProviders.has(network))
          logger?.error({ network, err: reason }, 'provider failed; using last good metrics');
        failedProviders.add(network);
        return new Map(handles.map((handle) => [handle, { status: 'unavailable', reason } as const]));
      } finally {
        lanes.release(network);
        request.spendGate?.release(network, allowed);
      }
    })();
    const results = await untilAborted(answer, stopWaiting);
    if (results === null) {
      lanes.stalled(network);
      notAnswered(handles, network);
      // Answers that come after the page stopped waiting are cached for the pages and runs that follow.
      answer
        .then((late) =>
          cacheAnswers(
            request,
            network,
            handles.map((handle) => ({ handle, result: answerFor(late, handle) })),
          ),
        )
        .catch(() => undefined);
      return;
    }
    const answers = fresh.get(network) ?? [];
    for (const handle of handles) {
      const result = answerFor(results, handle);
      // Imported counts are as old as their `as_of`: past the stale limit they count as stale.
      const stale =
        adapter.local === true &&
        result.status === 'ok' &&
        now.getTime() - Date.parse(result.metrics.fetchedAt) > request.lastGoodMaxAgeMs;
      outcomes.set(identityKey(network, handle), toOutcome(result, stale));
      answers.push({ handle, result });
    }
    // Local answers are the store's own data already: nothing to cache.
    if (adapter.local !== true) fresh.set(network, answers);
  };
  await Promise.all(batches.map(lookUp));
  for (const [network, answers] of fresh) await cacheAnswers(request, network, answers);

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
