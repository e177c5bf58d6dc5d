// Scheduled runs: one node-cron task per connection (CRM_INFLUENCE_SCHEDULE). A tick never overlaps a run of the
// same connection: skipped while this process still runs it, skipped when another process holds the lease, skipped
// while the connection needs re-authorisation (no retry storms). Used by `serve` and by `sync` without `--once`.
import type { ScheduledTask } from 'node-cron';
import cron from 'node-cron';

import type { Store } from '../store/contract.ts';
import type { RunReport } from '../store/run-report.ts';
import { SyncAlreadyRunningError } from './engine.ts';
import type { SyncLogger } from './logger.ts';

export type TickOutcome =
  | { outcome: 'ran'; report: RunReport }
  | { outcome: 'skipped'; reason: 'still_running' | 'lease_held' | 'needs_reauth' | 'disabled' }
  | { outcome: 'error'; message: string };

export interface SchedulerOptions {
  /** Cron expression (5 or 6 fields). */
  schedule: string;
  store: Store;
  logger?: SyncLogger;
  timezone?: string;
  /** Called after every tick (tests, the admin UI's "last run"). */
  onTick?: (connectionId: string, outcome: TickOutcome) => void;
}

interface Entry {
  task: ScheduledTask;
  run: () => Promise<RunReport>;
  inFlight: Promise<TickOutcome> | null;
}

export class SyncScheduler {
  private readonly entries = new Map<string, Entry>();

  private readonly options: SchedulerOptions;

  constructor(options: SchedulerOptions) {
    this.options = options;
    if (!cron.validate(options.schedule)) {
      throw new Error(
        `CRM_INFLUENCE_SCHEDULE: "${options.schedule}" is not a cron expression; use one like "0 3 * * *" (daily at 03:00)`,
      );
    }
  }

  /** Schedules `run` (one sync of the connection) and starts the task. */
  add(connectionId: string, run: () => Promise<RunReport>): void {
    if (this.entries.has(connectionId)) throw new Error(`connection "${connectionId}" is already scheduled`);
    const task = cron.createTask(
      this.options.schedule,
      async () => {
        await this.tick(connectionId);
      },
      {
        name: `sync:${connectionId}`,
        ...(this.options.timezone !== undefined ? { timezone: this.options.timezone } : {}),
      },
    );
    this.entries.set(connectionId, { task, run, inFlight: null });
    void task.start();
    this.options.logger?.info(
      {
        connection: connectionId,
        schedule: this.options.schedule,
        nextRun: this.nextRun(connectionId)?.toISOString() ?? null,
      },
      'sync scheduled',
    );
  }

  /** When the connection's next scheduled run starts (null if not scheduled). */
  nextRun(connectionId: string): Date | null {
    return this.entries.get(connectionId)?.task.getNextRun() ?? null;
  }

  connections(): string[] {
    return [...this.entries.keys()];
  }

  /** One scheduled tick (also what "run now" calls): runs unless a run of this connection is going on. */
  async tick(connectionId: string): Promise<TickOutcome> {
    const entry = this.entries.get(connectionId);
    if (entry === undefined) return { outcome: 'error', message: `connection "${connectionId}" is not scheduled` };
    if (entry.inFlight !== null) return this.done(connectionId, { outcome: 'skipped', reason: 'still_running' });
    const running = this.runOnce(connectionId, entry);
    entry.inFlight = running;
    try {
      return this.done(connectionId, await running);
    } finally {
      entry.inFlight = null;
    }
  }

  private async runOnce(connectionId: string, entry: Entry): Promise<TickOutcome> {
    try {
      const connection = await this.options.store.getConnection(connectionId);
      if (connection?.status === 'needs_reauth') return { outcome: 'skipped', reason: 'needs_reauth' };
      if (connection?.status === 'disabled') return { outcome: 'skipped', reason: 'disabled' };
      return { outcome: 'ran', report: await entry.run() };
    } catch (error) {
      if (error instanceof SyncAlreadyRunningError) return { outcome: 'skipped', reason: 'lease_held' };
      return { outcome: 'error', message: error instanceof Error ? error.message : String(error) };
    }
  }

  private done(connectionId: string, outcome: TickOutcome): TickOutcome {
    const log = { connection: connectionId, nextRun: this.nextRun(connectionId)?.toISOString() ?? null };
    if (outcome.outcome === 'ran') {
      this.options.logger?.info(
        { ...log, status: outcome.report.status, counts: outcome.report.counts },
        'scheduled sync finished',
      );
    } else if (outcome.outcome === 'skipped') {
      this.options.logger?.warn({ ...log, reason: outcome.reason }, 'scheduled sync skipped');
    } else {
      this.options.logger?.error({ ...log, err: outcome.message }, 'scheduled sync failed');
    }
    this.options.onTick?.(connectionId, outcome);
    return outcome;
  }

  /** Stops every task and waits for runs in flight. */
  async stop(): Promise<void> {
    const running = [...this.entries.values()].flatMap((entry) => (entry.inFlight === null ? [] : [entry.inFlight]));
    for (const entry of this.entries.values()) await entry.task.destroy();
    this.entries.clear();
    await Promise.all(running);
  }
}
