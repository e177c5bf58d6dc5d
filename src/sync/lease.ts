// A run's hold on its connection (runs of one connection never overlap, across processes too). Acquired once; renewed
// in the background, because one page may wait minutes on a network's rate limit, and confirmed after every page;
// released when the run ends, so the next run can start at once. A crashed run's lease simply expires.
import { randomUUID } from 'node:crypto';

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

  private readonly options: LeaseOptions;

  private constructor(options: LeaseOptions) {
    this.options = options;
  }

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

const ABANDONED_MESSAGE =
  'the run stopped without finishing (its process was killed or crashed) and its lease expired; its counts are ' +
  'those of its last finished page, and the next run resumed from its checkpoint';

/**
 * Runs of the connection a killed or crashed process left `running`, marked `abandoned`. Only the lease holder may
 * call it: holding the lease proves every other run of the connection is over. Returns how many were marked.
 */
export async function markAbandonedRuns(
  store: Store,
  connectionId: string,
  leaseHolder: string,
  now: Date,
): Promise<number> {
  const orphans = (await store.listRuns({ connectionId, status: 'running', limit: 1_000 })).filter(
    (run) => run.runId !== leaseHolder,
  );
  for (const run of orphans)
    await store.saveRun({ ...run, status: 'abandoned', finishedAt: now.toISOString(), message: ABANDONED_MESSAGE });
  return orphans.length;
}

/**
 * At a process's start (`serve`): marks the abandoned runs of each connection no live run holds, so the run list
 * and `/metrics` do not show dead runs as running until the connection's next run.
 */
export async function markAbandonedRunsOfIdleConnections(store: Store, logger?: SyncLogger): Promise<number> {
  let marked = 0;
  for (const connection of await store.listConnections()) {
    const owner = `start-${randomUUID()}`;
    const lease = await Lease.acquire({ store, connectionId: connection.id, owner, ttlSeconds: 60, logger });
    if (lease === null) continue; // a live run holds it
    try {
      marked += await markAbandonedRuns(store, connection.id, owner, new Date());
    } finally {
      await lease.release();
    }
  }
  if (marked > 0) logger?.info({ runs: marked }, 'runs left running by a stopped process marked abandoned');
  return marked;
}
