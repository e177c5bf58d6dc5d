// Runs for the server: one scheduler per connection (its own cron from settings.schedule, else
// CRM_INFLUENCE_SCHEDULE), "run now" and dry runs in the background, webhook-queued contacts triggering a run soon.
// A run of one connection never overlaps another: in-process through the scheduler, across processes by the lease.
import type { Store } from '../store/contract.ts';
import { SyncAlreadyRunningError } from '../sync/engine.ts';
import type { SyncLogger } from '../sync/logger.ts';
import { SyncScheduler } from '../sync/scheduler.ts';
import type { RunOutcome, RunRequest, SyncRuntime } from './runtime.ts';
import type { ServerStore } from './server-store.ts';

export type StartResult = { started: true } | { started: false; reason: string };

/**
 * What the server asks of runs: here in one process (`RunCoordinator`, the embedded SQLite default) or through the
 * PostgreSQL run queue for workers (`QueuedRuns`).
 */
export interface Runs {
  /** Brings the schedules in line with the stored connections and their settings. */
  refresh(): Promise<void>;
  nextRun(connectionId: string): Date | null;
  isRunning(connectionId: string): Promise<boolean>;
  /** Starts (or queues) a run; refused when one of this connection is going on or waiting. */
  start(connectionId: string, request: RunRequest): Promise<StartResult>;
  /** Runs here and waits (the settings preview's dry run). */
  runAndWait(connectionId: string, request: RunRequest): Promise<RunOutcome>;
  /** Webhook contacts: remembered, and a run of exactly them follows after the debounce delay. */
  queue(connectionId: string, recordIds: readonly string[]): Promise<void>;
  /** The run queue's depth (PostgreSQL); null when runs are not queued but run in this process (SQLite). */
  queueDepth(): Promise<QueueDepth | null>;
  stop(): Promise<void>;
}

/** Runs in the queue, all connections together. */
export interface QueueDepth {
  waiting: number;
  running: number;
  retrying: number;
  /** Failed every retry (dead-lettered). */
  dead: number;
}

export interface CoordinatorOptions {
  store: Store;
  serverStore: ServerStore;
  runtime: SyncRuntime;
  defaultSchedule: string;
  logger?: SyncLogger;
  /** Delay between a webhook and the run it triggers (deliveries arrive in bursts). */
  webhookDebounceMs?: number;
}

export class RunCoordinator implements Runs {
  readonly #schedulers = new Map<string, { schedule: string; scheduler: SyncScheduler }>();
  readonly #inFlight = new Map<string, Promise<RunOutcome>>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  #stopped = false;

  private readonly options: CoordinatorOptions;

  constructor(options: CoordinatorOptions) {
    this.options = options;
  }

  /** Brings the schedules in line with the stored connections and their settings. */
  async refresh(): Promise<void> {
    if (this.#stopped) return;
    const connections = await this.options.store.listConnections();
    const wanted = new Map<string, string>();
    for (const c of connections) {
      if (c.status === 'disabled') continue;
      const schedule = typeof c.settings.schedule === 'string' ? c.settings.schedule : this.options.defaultSchedule;
      wanted.set(c.id, schedule);
    }
    for (const [id, entry] of this.#schedulers) {
      if (wanted.get(id) !== entry.schedule) {
        await entry.scheduler.stop();
        this.#schedulers.delete(id);
      }
    }
    for (const [id, schedule] of wanted) {
      if (this.#schedulers.has(id)) continue;
      const scheduler = new SyncScheduler({
        schedule,
        store: this.options.store,
        ...(this.options.logger ? { logger: this.options.logger } : {}),
      });
      scheduler.add(id, async () => (await this.#execute(id, { dryRun: false })).report);
      this.#schedulers.set(id, { schedule, scheduler });
    }
  }

  nextRun(connectionId: string): Date | null {
    return this.#schedulers.get(connectionId)?.scheduler.nextRun(connectionId) ?? null;
  }

  isRunning(connectionId: string): Promise<boolean> {
    return Promise.resolve(this.#inFlight.has(connectionId));
  }

  async #execute(connectionId: string, request: RunRequest): Promise<RunOutcome> {
    const connection = await this.options.store.getConnection(connectionId);
    if (connection === null) throw new Error(`no connection "${connectionId}"`);
    const startedAt = new Date();
    const running = this.options.runtime.run(connection, request);
    this.#inFlight.set(connectionId, running);
    try {
      const outcome = await running;
      if (!request.dryRun) await this.options.serverStore.clearQueued(connectionId, startedAt);
      return outcome;
    } catch (error) {
      if (!(error instanceof SyncAlreadyRunningError)) {
        this.options.logger?.error({ connection: connectionId, dryRun: request.dryRun, err: error }, 'run failed');
      }
      throw error;
    } finally {
      if (this.#inFlight.get(connectionId) === running) this.#inFlight.delete(connectionId);
    }
  }

  /** Starts a run in the background; refuses when one of this connection is going on here. */
  start(connectionId: string, request: RunRequest): Promise<StartResult> {
    return Promise.resolve(this.#start(connectionId, request));
  }

  #start(connectionId: string, request: RunRequest): StartResult {
    if (this.#stopped) return { started: false, reason: 'the server is stopping' };
    if (this.#inFlight.has(connectionId))
      return { started: false, reason: `a run of "${connectionId}" is already going on` };
    // #execute logs its own failures.
    this.#execute(connectionId, request).catch(() => undefined);
    return { started: true };
  }

  /** Runs and waits (the settings preview). */
  async runAndWait(connectionId: string, request: RunRequest): Promise<RunOutcome> {
    if (this.#inFlight.has(connectionId)) throw new SyncAlreadyRunningError(connectionId);
    return this.#execute(connectionId, request);
  }

  /** Webhook contacts: remembered in the queue; a run of the connection starts after the debounce delay. */
  async queue(connectionId: string, recordIds: readonly string[]): Promise<void> {
    await this.options.serverStore.queueContacts(connectionId, recordIds);
    if (this.#timers.has(connectionId) || this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(connectionId);
      const result = this.#start(connectionId, { dryRun: false });
      if (!result.started)
        this.options.logger?.warn(
          { connection: connectionId, reason: result.reason },
          'webhook-triggered run not started',
        );
    }, this.options.webhookDebounceMs ?? 30_000);
    timer.unref();
    this.#timers.set(connectionId, timer);
  }

  queueDepth(): Promise<QueueDepth | null> {
    return Promise.resolve(null);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    for (const { scheduler } of this.#schedulers.values()) await scheduler.stop();
    this.#schedulers.clear();
    await Promise.allSettled([...this.#inFlight.values()]);
  }
}
