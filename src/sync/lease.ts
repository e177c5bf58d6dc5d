// A run's hold on its connection (runs of one connection never overlap, across processes too). Acquired once; renewed
// in the background, because one page may wait minutes on a network's rate limit, and confirmed after every page;
// released when the run ends, so the next run can start at once. A crashed run's lease simply expires.
import type { Store } from '../store/contract.ts';
import type { SyncLogger } from './logger.ts';

/** Another run took the connection over (this one ran longer than its lease without renewing). */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor() {
    super('the run lost its lease (it ran longer than the lease without renewing); the checkpoint is kept');
  }
}

export interface LeaseOptions {
  store: Store;
  connectionId: string;
  /** The run holding it. */
  owner: string;
  ttlSeconds: number;
  logger?: SyncLogger | undefined;
}

export class Lease {
  #heartbeat: NodeJS.Timeout | undefined;
  /** Set when a background renewal found another owner: the run stops at its next `confirm()`. */
  #lost = false;

  private constructor(private readonly options: LeaseOptions) {}

  /** The lease, renewing itself in the background; null when another live run holds it. */
  static async acquire(options: LeaseOptions): Promise<Lease | null> {
    const { store, connectionId, owner, ttlSeconds } = options;
    if (!(await store.acquireLease(connectionId, owner, ttlSeconds))) return null;
    const lease = new Lease(options);
    lease.#heartbeat = setInterval(() => void lease.#renewInBackground(), (ttlSeconds * 1000) / 3);
    lease.#heartbeat.unref();
    return lease;
  }

  /** Renews now; throws LeaseLostError when the connection is no longer this run's. */
  async confirm(): Promise<void> {
    if (this.#lost || !(await this.#renew())) throw new LeaseLostError();
  }

  /** Stops renewing and frees the connection for the next run (idempotent). */
  async release(): Promise<void> {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    await this.options.store.releaseLease(this.options.connectionId, this.options.owner);
  }

  #renew(): Promise<boolean> {
    const { store, connectionId, owner, ttlSeconds } = this.options;
    return store.renewLease(connectionId, owner, ttlSeconds);
  }

  async #renewInBackground(): Promise<void> {
    try {
      if (!(await this.#renew())) this.#lost = true;
    } catch (error) {
      this.options.logger?.warn(
        { runId: this.options.owner, err: error instanceof Error ? error.message : String(error) },
        "could not renew the run's lease; retrying",
      );
    }
  }
}
