// A worker: runs the queue's jobs, `concurrency` at a time (never two of one connection: the queue's policy, and
// the run's lease inside it). A job completes when its run ends in a state a retry would not change; a failed or
// interrupted run, or one another run's lease kept out, is thrown back to the queue to be retried with backoff
// (after the last retry it is dead-lettered with the reason). A run stopped because this worker is stopping
// (SIGTERM) is not a failure: its job completes as released and the same run is queued again at once, so another
// worker (or this one restarted) resumes it from its checkpoint without waiting out a retry's backoff.
import type { RunReport, RunStatus } from '../store/run-report.ts';
import { SyncAlreadyRunningError } from '../sync/engine.ts';
import type { SyncLogger } from '../sync/logger.ts';
import type { JobQueue, RunJobContext } from './queue.ts';
import type { RunJob } from './run-job.ts';

/** Statuses a retry would not change: the job is done (a re-authorisation or the CRM's budget waits for people or time). */
const FINAL: ReadonlySet<RunStatus> = new Set(['ok', 'partial', 'budget_reached', 'needs_reauth']);

/** What a job's run came to; `retry` is thrown back to the queue. */
export type JobOutcome =
  { done: true; runId: string; status: RunStatus; released?: true } | { done: false; reason: string };

export function jobOutcome(report: RunReport): JobOutcome {
  if (FINAL.has(report.status)) return { done: true, runId: report.runId, status: report.status };
  return { done: false, reason: `run ${report.runId} ended ${report.status}: ${report.message ?? 'no message'}` };
}

/** Thrown to the queue so it retries the job; its message is the job's recorded error. */
export class RunNotFinishedError extends Error {
  override readonly name = 'RunNotFinishedError';
}

export interface WorkerOptions {
  queue: JobQueue;
  /** Jobs run at once in this process. */
  concurrency: number;
  /**
   * The run this job already made, if any: a worker killed after its run ended but before the queue heard of it
   * leaves the job to be taken over, and a finished run must not be made twice.
   */
  finishedRun?: (job: RunJob, jobId: string) => Promise<RunReport | null>;
  /** Skipped jobs: a connection deleted or disabled since it was queued. */
  skip?: (job: RunJob) => Promise<string | null>;
  /** One run of the job's connection (the composition root opens the connector and providers). */
  run: (job: RunJob, context: RunJobContext) => Promise<RunReport>;
  logger?: SyncLogger;
  /** Aborted when this worker stops: a run it interrupts is released to the queue, not retried after a backoff. */
  stopping?: AbortSignal;
}

export interface RunningWorker {
  /** Runs in hand now, by connection. */
  running(): ReadonlyMap<string, number>;
}

/** Starts taking jobs; they stop with the queue (`JobQueue.stop`). */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const running = new Map<string, number>();
  await options.queue.work(options.concurrency, async (job, context) => {
    running.set(job.connectionId, (running.get(job.connectionId) ?? 0) + 1);
    try {
      return await handle(options, job, context);
    } finally {
      const left = (running.get(job.connectionId) ?? 1) - 1;
      if (left > 0) running.set(job.connectionId, left);
      else running.delete(job.connectionId);
    }
  });
  return { running: () => running };
}

/** One job: skipped, completed, or thrown back to the queue. */
async function handle(options: WorkerOptions, job: RunJob, context: RunJobContext): Promise<unknown> {
  const { logger } = options;
  const skipped = (await options.skip?.(job)) ?? null;
  if (skipped !== null) {
    logger?.info({ connection: job.connectionId, jobId: context.jobId, reason: skipped }, 'run job skipped');
    return { done: true, skipped };
  }
  const earlier = (await options.finishedRun?.(job, context.jobId)) ?? null;
  if (earlier !== null && FINAL.has(earlier.status)) {
    logger?.info(
      { connection: job.connectionId, jobId: context.jobId, runId: earlier.runId, status: earlier.status },
      'run job taken over after its run had finished: completed from that run',
    );
    return jobOutcome(earlier);
  }
  let report: RunReport;
  try {
    report = await options.run(job, context);
  } catch (error) {
    if (error instanceof SyncAlreadyRunningError) {
      // Another run still holds the lease (a silent worker's, until it expires): try again after the backoff.
      throw new RunNotFinishedError(error.message);
    }
    logger?.error({ connection: job.connectionId, jobId: context.jobId, err: error }, 'run job failed');
    throw error;
  }
  const outcome = jobOutcome(report);
  logger?.info(
    {
      connection: job.connectionId,
      jobId: context.jobId,
      attempt: context.attempt,
      runId: report.runId,
      status: report.status,
    },
    'run job finished',
  );
  if (!outcome.done && report.status === 'interrupted' && options.stopping?.aborted === true) {
    // Released: one waiting run of the connection already covers it when the queue refuses this one.
    const requeued = await options.queue.enqueue(job);
    logger?.info(
      { connection: job.connectionId, jobId: context.jobId, runId: report.runId, requeued: requeued.queued },
      'run job released',
    );
    return { done: true, runId: report.runId, status: report.status, released: true } satisfies JobOutcome;
  }
  if (!outcome.done) throw new RunNotFinishedError(outcome.reason);
  return outcome;
}
