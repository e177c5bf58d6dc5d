// The run queue for the commands that use it (`serve`, `worker`): opened on PostgreSQL only (the embedded SQLite
// default runs everything in one process, as before), and the worker composed from the CLI's parts: a job's run is
// the same run `serve` makes, with the worker timeout as its lease, and a webhook job reads exactly the contacts the
// connection's webhooks queued.
import { renderQueueMetrics } from '../jobs/metrics.ts';
import { NetworkBudgets } from '../jobs/network-budgets.ts';
import { JobQueue } from '../jobs/queue.ts';
import { startWorker } from '../jobs/worker.ts';
import { ServerStore, sqlOf } from '../server/server-store.ts';
import type { RuntimeParts } from './commands/serve.ts';
import { createRuntime } from './commands/serve.ts';
import type { CliContext } from './context.ts';
import { CliError } from './errors.ts';

/** The run queue when the store is PostgreSQL, else null. */
export async function openRunQueue(ctx: CliContext, role: { schedule: boolean }): Promise<JobQueue | null> {
  const url = ctx.config.DATABASE_URL;
  if (url === undefined) return null;
  return JobQueue.open({
    connectionString: url,
    schema: ctx.config.CRM_INFLUENCE_JOBS_SCHEMA,
    schedule: role.schedule,
    workerTimeoutSeconds: ctx.config.CRM_INFLUENCE_WORKER_TIMEOUT_SECONDS,
    logger: ctx.logger,
  });
}

export async function requireRunQueue(ctx: CliContext): Promise<JobQueue> {
  const queue = await openRunQueue(ctx, { schedule: false });
  if (queue === null)
    throw new CliError(
      'workers need PostgreSQL: set DATABASE_URL (with SQLite, `crm-influence serve` runs every sync itself)',
    );
  return queue;
}

/** A targeted run reads at most this many ids (the engine's `ids` bound). */
const MAX_IDS_PER_RUN = 10_000;

export interface RunWorkerHandle {
  /** /metrics text: the queue, the shared budgets, this worker's runs in hand. */
  metrics(): Promise<string>;
  close(): Promise<void>;
}

/** The run queue and the shared network budgets as /metrics families (for `serve`). */
export async function queueMetrics(queue: JobQueue, budgets: NetworkBudgets): Promise<string> {
  return renderQueueMetrics({ counts: await queue.counts(), budgets: await budgets.list(), now: Date.now() });
}

/** The shared network budgets of the store's PostgreSQL. */
export function openNetworkBudgets(ctx: CliContext): Promise<NetworkBudgets> {
  const url = ctx.config.DATABASE_URL;
  if (url === undefined) throw new CliError('shared network budgets need PostgreSQL: set DATABASE_URL');
  return NetworkBudgets.open({ connectionString: url, schema: ctx.config.CRM_INFLUENCE_JOBS_SCHEMA });
}

export interface RunWorkerOptions {
  concurrency: number;
  stopSignal: AbortSignal;
  runtimeParts?: RuntimeParts;
}

/**
 * Takes run jobs from the queue in this process until the queue stops; the networks' budgets are shared with every
 * other worker through PostgreSQL. Close the returned handle after the queue has stopped.
 */
export async function startRunWorker(
  base: CliContext,
  queue: JobQueue,
  options: RunWorkerOptions,
): Promise<RunWorkerHandle> {
  const networkBudgets = await openNetworkBudgets(base);
  const ctx: CliContext = { ...base, networkBudgets };
  const { store, logger } = ctx;
  const serverStore = new ServerStore(sqlOf(store));
  const runtime = createRuntime(ctx, {
    ...options.runtimeParts,
    stopSignal: options.stopSignal,
    leaseTtlSeconds: ctx.config.CRM_INFLUENCE_WORKER_TIMEOUT_SECONDS,
  });
  const worker = await startWorker({
    queue,
    concurrency: options.concurrency,
    stopping: options.stopSignal,
    logger,
    finishedRun: async (job, jobId) =>
      (await store.listRuns({ connectionId: job.connectionId, limit: 20 })).find((run) => run.jobId === jobId) ?? null,
    skip: async (job) => {
      const connection = await store.getConnection(job.connectionId);
      if (connection === null) return 'the connection was deleted';
      if (connection.status !== 'ok') return `the connection is ${connection.status}`;
      if (job.trigger === 'webhook' && (await serverStore.queuedContacts(job.connectionId)).length === 0)
        return 'no queued contacts left (an earlier run read them)';
      return null;
    },
    run: async (job, context) => {
      const connection = await store.getConnection(job.connectionId);
      if (connection === null) throw new Error(`no connection "${job.connectionId}"`);
      const startedAt = new Date();
      const ids =
        job.trigger === 'webhook'
          ? (await serverStore.queuedContacts(job.connectionId)).slice(0, MAX_IDS_PER_RUN)
          : undefined;
      const { report } = await runtime.run(connection, {
        dryRun: job.dryRun,
        full: job.full,
        signal: context.signal,
        jobId: context.jobId,
        ...(ids !== undefined ? { ids } : {}),
      });
      if (job.dryRun || (report.status !== 'ok' && report.status !== 'partial')) return report;
      if (ids === undefined) {
        // An incremental run reads every changed contact, the queued ones too.
        await serverStore.clearQueued(job.connectionId, startedAt);
        return report;
      }
      await serverStore.clearQueuedContacts(job.connectionId, ids, startedAt);
      // More than one run's worth was queued: the rest get a run of their own.
      if ((await serverStore.queuedContacts(job.connectionId)).length > 0)
        await queue.enqueue({ connectionId: job.connectionId, trigger: 'webhook' });
      return report;
    },
  });
  return {
    metrics: async () =>
      renderQueueMetrics({
        counts: await queue.counts(),
        budgets: await networkBudgets.list(),
        running: worker.running(),
        now: Date.now(),
      }),
    close: () => networkBudgets.close(),
  };
}
