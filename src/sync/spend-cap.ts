// The monthly spend cap of a paid network (X): before a batch is sent, its worst-case cost is reserved against what
// every run of this install has spent this month (the store's runs, refreshed each page) plus what this run has spent
// since; a batch that would pass the cap is cut to what fits, and the handles left out answer "waiting": their
// contacts are retried by a later run (next month, or after the cap is raised), the others are scored and written.
import type { ProviderAdapter } from '../providers/contract.ts';
import type { Network } from '../scoring/types.ts';
import type { Store } from '../store/contract.ts';

/** The `unavailable` reason of a handle whose look-up a cap held back. */
export const SPEND_CAP_REASON = 'monthly spend cap';

export interface SpendGate {
  /** How many of `handles` look-ups of the network may be sent now (all of them for a network without a cap). */
  reserve(network: Network, handles: number): number;
  /** The look-ups reserved earlier have been answered (their real cost is in the adapter's usage now). */
  release(network: Network, handles: number): void;
}

/** `YYYY-MM-01T00:00:00Z` of `now`'s month (UTC: the runs' `startedAt` are UTC). */
export function monthStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

export class SpendCaps implements SpendGate {
  /** Networks whose cap held a look-up back in this run. */
  readonly reached = new Set<Network>();
  /** Spent this month by the other runs and by this run up to its last saved report, per network. */
  private monthSpent = new Map<Network, number>();
  private readonly reserved = new Map<Network, number>();

  private readonly caps: Partial<Record<Network, number>>;
  private readonly providers: ReadonlyMap<Network, ProviderAdapter>;
  /** The adapter's cost counter when this run's spend was last saved (adapters count since they were made). */
  private readonly savedAt: Map<Network, number>;

  constructor(
    caps: Partial<Record<Network, number>>,
    providers: ReadonlyMap<Network, ProviderAdapter>,
    runStartSpend: ReadonlyMap<Network, number>,
  ) {
    this.caps = caps;
    this.providers = providers;
    this.savedAt = new Map(runStartSpend);
  }

  get any(): boolean {
    return Object.keys(this.caps).length > 0;
  }

  /**
   * Re-reads this month's spend from the store, where every run saves its spend with each page (so runs of other
   * connections, and workers, see each other within a page).
   */
  async refresh(store: Store, now: Date): Promise<void> {
    if (!this.any) return;
    const month = monthStart(now);
    const key = month.toISOString().slice(0, 7);
    const spent = new Map<Network, number>();
    for (const row of await store.monthlySpend(month))
      if (row.month === key) spent.set(row.network as Network, row.usd);
    this.monthSpent = spent;
  }

  /** This run's report, with its spend so far, is being saved: the store's totals will include it. */
  noteSaved(): void {
    for (const [network, adapter] of this.providers) {
      const cost = adapter.usage().estimatedCostUsd;
      if (cost !== undefined) this.savedAt.set(network, cost);
    }
  }

  /** Dollars spent this month on the network, this run's unsaved look-ups included. */
  spent(network: Network): number {
    const cost = this.providers.get(network)?.usage().estimatedCostUsd ?? 0;
    return (this.monthSpent.get(network) ?? 0) + Math.max(0, cost - (this.savedAt.get(network) ?? cost));
  }

  cap(network: Network): number | undefined {
    return this.caps[network];
  }

  reserve(network: Network, handles: number): number {
    const cap = this.caps[network];
    if (cap === undefined) return handles;
    const each = this.providers.get(network)?.maxCostPerHandleUsd ?? 0;
    if (each <= 0) return handles;
    const left = cap - this.spent(network) - (this.reserved.get(network) ?? 0) * each;
    const fits = Math.max(0, Math.min(handles, Math.floor(left / each + 1e-9)));
    if (fits < handles) this.reached.add(network);
    this.reserved.set(network, (this.reserved.get(network) ?? 0) + fits);
    return fits;
  }

  release(network: Network, handles: number): void {
    if (this.caps[network] === undefined) return;
    this.reserved.set(network, Math.max(0, (this.reserved.get(network) ?? 0) - handles));
  }
}
