// The run queue on pg-boss, in PostgreSQL (the scale store; no other service). One queue holds every connection's
// runs; a job's singleton key is its connection and the queue's `stately` policy keeps at most one run of a
// connection active (and one waiting), across every process. Schedules live in the database, so N `serve` processes
// fire each one once. A worker heartbeats its job; one silent for the worker timeout loses it, and the job is retried
// (another worker resumes the run from its checkpoint). Failed runs are retried with backoff, then dead-lettered
// with their reason.
import type { Job } from 'pg-boss';
import { PgBoss } from 'pg-boss';

import type { RunJob, RunJobInput } from './run-job.ts';
import { parseRunJob, RunJobSchema } from './run-job.ts';

export const RUN_QUEUE = 'crm-influence-runs';
/** Runs that failed every retry, with the reason (pg-boss keeps the last error as the job's output). */
export const DEAD_RUN_QUEUE = 'crm-influence-runs-dead';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface JobQueueLogger {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface JobQueueOptions {
  connectionString: string;
  /** PostgreSQL schema of pg-boss's tables (CRM_INFLUENCE_JOBS_SCHEMA). */
  schema: string;
  /** Fire the schedules held in the database (`serve`); workers leave it to `serve`. */
  schedule: boolean;
  /** A worker silent this long loses its job (CRM_INFLUENCE_WORKER_TIMEOUT_SECONDS, at least 10). */
  workerTimeoutSeconds: number;
  /** Failed runs (and runs of a worker gone silent) are retried this often, with exponential backoff from `retryDelaySeconds` (10). */
  retryLimit?: number;
  retryDelaySeconds?: number;
  logger?: JobQueueLogger;
}

export type EnqueueResult = { queued: true; jobId: string } | { queued: false; reason: string };

/** Jobs of one connection by state, for /metrics and the admin UI. */
export interface ConnectionJobCounts {
  connectionId: string;
  queued: number;
  active: number;
  retrying: number;
  dead: number;
}

export interface RunJobContext {
  jobId: string;
  /** 0 on the first attempt. */
  attempt: number;
  /** Aborted when pg-boss takes the job back (its claim lapsed) or the worker stops. */
  signal: AbortSignal;
}

export class JobQueue {
  readonly #boss: PgBoss;
  readonly #schema: string;
  readonly #workerIds: string[] = [];

  private constructor(boss: PgBoss, schema: string) {
    this.#boss = boss;
    this.#schema = schema;
  }

  /** Connects, installs or migrates pg-boss's schema, and creates the run queues (both idempotent). */
  static async open(options: JobQueueOptions): Promise<JobQueue> {
    if (!SCHEMA_NAME.test(options.schema))
      throw new Error(`CRM_INFLUENCE_JOBS_SCHEMA: '${options.schema}' is not a PostgreSQL schema name`);
    const timeout = Math.max(10, options.workerTimeoutSeconds);
    const boss = new PgBoss({
      connectionString: options.connectionString,
      schema: options.schema,
      application_name: 'crm-influence',
      schedule: options.schedule,
      // How often a silent worker's job is looked for: a fraction of the timeout, so takeover comes soon after it.
      superviseIntervalSeconds: Math.max(1, Math.floor(timeout / 4)),
      monitorIntervalSeconds: Math.max(1, Math.floor(timeout / 4)),
      max: 4,
    });
    boss.on('error', (error: unknown) => options.logger?.error({ err: error }, 'job queue error'));
    await boss.start();
    const queue = new JobQueue(boss, options.schema);
    await boss.createQueue(DEAD_RUN_QUEUE, { policy: 'standard', deleteAfterSeconds: 30 * 86_400 });
    const runOptions = {
      retryLimit: options.retryLimit ?? 5,
      retryDelay: options.retryDelaySeconds ?? 10,
      retryBackoff: true,
      retryDelayMax: 3_600,
      // The run heartbeats; the longest run is bounded by pg-boss's own ceiling (24 hours).
      expireInSeconds: 24 * 3_600,
      heartbeatSeconds: timeout,
      deadLetter: DEAD_RUN_QUEUE,
      deleteAfterSeconds: 7 * 86_400,
    };
    await boss.createQueue(RUN_QUEUE, { policy: 'stately', ...runOptions });
    // A queue created by an earlier version or with another timeout takes the current options.
    await boss.updateQueue(RUN_QUEUE, runOptions);
    return queue;
  }

  /**
   * Queues one run of the connection, to start after `delaySeconds` (webhook bursts are gathered that way). Refused
   * when one is already waiting: that one will cover it.
   */
  async enqueue(job: RunJobInput, delaySeconds = 0): Promise<EnqueueResult> {
    const data = RunJobSchema.parse(job);
    const jobId = await this.#boss.send(RUN_QUEUE, data, {
      singletonKey: data.connectionId,
      ...(delaySeconds > 0 ? { startAfter: delaySeconds } : {}),
    });
    return jobId === null
      ? { queued: false, reason: `a run of "${data.connectionId}" is already waiting` }
      : { queued: true, jobId };
  }

  /** Holds the connection's schedule in the database (replacing its previous one). */
  async schedule(connectionId: string, cron: string, timezone?: string): Promise<void> {
    const data: RunJob = { connectionId, trigger: 'schedule', dryRun: false, full: false };
    await this.#boss.schedule(RUN_QUEUE, cron, data, {
      key: connectionId,
      singletonKey: connectionId,
      ...(timezone !== undefined ? { tz: timezone } : {}),
    });
  }

  async unschedule(connectionId: string): Promise<void> {
    await this.#boss.unschedule(RUN_QUEUE, connectionId);
  }

  /** The schedules held in the database, by connection. */
  async schedules(): Promise<Map<string, string>> {
    const rows = await this.#boss.getSchedules(RUN_QUEUE);
    return new Map(rows.map((row) => [row.key, row.cron]));
  }

  /** When `cron` next fires after `from`. */
  nextOccurrence(cron: string, from: Date, timezone?: string): Date | null {
    return (
      this.#boss.previewSchedule(cron, { count: 1, from, ...(timezone !== undefined ? { tz: timezone } : {}) })[0] ??
      null
    );
  }

  /** Runs jobs with `concurrency` handlers in this process; `run` throws to have the job retried. */
  async work(concurrency: number, run: (job: RunJob, context: RunJobContext) => Promise<unknown>): Promise<void> {
    const id = await this.#boss.work<unknown>(
      RUN_QUEUE,
      { batchSize: 1, localConcurrency: concurrency, pollingIntervalSeconds: 1 },
      async ([job]: Job<unknown>[]) => {
        if (job === undefined) return undefined;
        const data = parseRunJob(job.id, job.data);
        return run(data, { jobId: job.id, attempt: job.retryCount, signal: job.signal });
      },
    );
    this.#workerIds.push(id);
  }

  /** Waiting, active, retrying and dead-lettered runs per connection. */
  async counts(): Promise<ConnectionJobCounts[]> {
    const { rows } = await this.#boss.getDb().executeSql(
      `SELECT name, singleton_key AS key, state, COUNT(*)::int AS n FROM ${this.#schema}.job
         WHERE name = ANY($1::text[]) AND state IN ('created', 'retry', 'active', 'failed')
         GROUP BY name, singleton_key, state`,
      [[RUN_QUEUE, DEAD_RUN_QUEUE]],
    );
    const byConnection = new Map<string, ConnectionJobCounts>();
    for (const row of rows as { name: string; key: string | null; state: string; n: number }[]) {
      const connectionId = row.key ?? '';
      const counts = byConnection.get(connectionId) ?? { connectionId, queued: 0, active: 0, retrying: 0, dead: 0 };
      if (row.name === DEAD_RUN_QUEUE) counts.dead += row.n;
      else if (row.state === 'created') counts.queued += row.n;
      else if (row.state === 'retry') counts.retrying += row.n;
      else if (row.state === 'active') counts.active += row.n;
      byConnection.set(connectionId, counts);
    }
    return [...byConnection.values()].sort((a, b) => a.connectionId.localeCompare(b.connectionId));
  }

  /** True while a worker runs a job of the connection. */
  async isActive(connectionId: string): Promise<boolean> {
    return (await this.counts()).some((c) => c.connectionId === connectionId && c.active > 0);
  }

  /**
   * Stops: handlers in flight get `graceMs` to finish (a run stops at its next page and its job is retried), then
   * the connections close.
   */
  async stop(graceMs = 30_000): Promise<void> {
    await this.#boss.stop({ graceful: true, timeout: graceMs, close: true });
  }
}
