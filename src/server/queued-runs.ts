// Runs through the PostgreSQL run queue (pg-boss): the server schedules and queues, `crm-influence worker`
// processes (or `serve --with-worker`) run. Schedules are held in the database, so every `serve` process may refresh
// them and each fires once. Webhook contacts are remembered in the store's webhook queue and a debounced job reads
// exactly them. The settings preview's dry run still runs here and waits (the run's lease keeps it apart).
import type { JobQueue } from '../jobs/queue.ts';
import type { Store } from '../store/contract.ts';
import { SyncAlreadyRunningError } from '../sync/engine.ts';
import type { QueueDepth, Runs, StartResult } from './coordinator.ts';
import type { RunOutcome, RunRequest, SyncRuntime } from './runtime.ts';
import type { ServerStore } from './server-store.ts';

export interface QueuedRunsOptions {
  store: Store;
  serverStore: ServerStore;
  jobs: JobQueue;
  /** For the settings preview only. */
  runtime: SyncRuntime;
  defaultSchedule: string;
  /** Delay between a webhook and the run it queues (deliveries arrive in bursts). */
  webhookDebounceMs?: number;
  now?: () => Date;
}

export class QueuedRuns implements Runs {
  readonly #schedules = new Map<string, string>();
  readonly #previews = new Set<string>();

  private readonly options: QueuedRunsOptions;

  constructor(options: QueuedRunsOptions) {
    this.options = options;
  }

  async refresh(): Promise<void> {
    const { store, jobs, defaultSchedule } = this.options;
    const wanted = new Map<string, string>();
    for (const c of await store.listConnections()) {
      if (c.status === 'disabled') continue;
      wanted.set(c.id, typeof c.settings.schedule === 'string' ? c.settings.schedule : defaultSchedule);
    }
    const held = await jobs.schedules();
    for (const id of held.keys()) if (!wanted.has(id)) await jobs.unschedule(id);
    for (const [id, cron] of wanted) if (held.get(id) !== cron) await jobs.schedule(id, cron);
    this.#schedules.clear();
    for (const [id, cron] of wanted) this.#schedules.set(id, cron);
  }

  nextRun(connectionId: string): Date | null {
    const cron = this.#schedules.get(connectionId);
    return cron === undefined
      ? null
      : this.options.jobs.nextOccurrence(cron, (this.options.now ?? (() => new Date()))());
  }

  async isRunning(connectionId: string): Promise<boolean> {
    return this.#previews.has(connectionId) || (await this.options.jobs.isActive(connectionId));
  }

  async start(connectionId: string, request: RunRequest): Promise<StartResult> {
    const result = await this.options.jobs.enqueue({
      connectionId,
      trigger: 'manual',
      dryRun: request.dryRun,
      full: request.full ?? false,
    });
    return result.queued ? { started: true } : { started: false, reason: result.reason };
  }

  async runAndWait(connectionId: string, request: RunRequest): Promise<RunOutcome> {
    const connection = await this.options.store.getConnection(connectionId);
    if (connection === null) throw new Error(`no connection "${connectionId}"`);
    if (this.#previews.has(connectionId)) throw new SyncAlreadyRunningError(connectionId);
    this.#previews.add(connectionId);
    try {
      return await this.options.runtime.run(connection, request);
    } finally {
      this.#previews.delete(connectionId);
    }
  }

  async queue(connectionId: string, recordIds: readonly string[]): Promise<void> {
    await this.options.serverStore.queueContacts(connectionId, recordIds);
    // Refused when one is already waiting: that one reads these contacts too.
    await this.options.jobs.enqueue(
      { connectionId, trigger: 'webhook' },
      Math.ceil((this.options.webhookDebounceMs ?? 30_000) / 1000),
    );
  }

  async queueDepth(): Promise<QueueDepth> {
    const depth: QueueDepth = { waiting: 0, running: 0, retrying: 0, dead: 0 };
    for (const c of await this.options.jobs.counts()) {
      depth.waiting += c.queued;
      depth.running += c.active;
      depth.retrying += c.retrying;
      depth.dead += c.dead;
    }
    return depth;
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}
