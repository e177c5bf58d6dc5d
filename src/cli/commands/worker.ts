// `crm-influence worker`: runs the syncs `serve` queues in PostgreSQL (schedules, "run now", webhooks), several at
// once, never two of one connection. Start as many as the CRMs' and networks' limits allow; a worker killed
// mid-run loses its run to another after CRM_INFLUENCE_WORKER_TIMEOUT_SECONDS, which resumes it from its checkpoint.
import type { Command } from 'commander';
import { z } from 'zod';

import { withContext } from '../context.ts';
import { parseFlags } from '../flags.ts';
import { requireRunQueue, startRunWorker } from '../run-jobs.ts';
import { listenForStop } from '../signals.ts';

const WorkerFlagsSchema = z.strictObject({
  concurrency: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be 1–64')
    .max(64, 'must be 1–64')
    .default(2),
});

async function action(rawFlags: unknown): Promise<void> {
  const flags = parseFlags('worker', WorkerFlagsSchema, rawFlags);
  const stop = listenForStop();
  try {
    await withContext(async (ctx) => {
      const queue = await requireRunQueue(ctx);
      try {
        await startRunWorker(ctx, queue, { concurrency: flags.concurrency, stopSignal: stop.signal });
        process.stdout.write(`worker taking queued runs, ${flags.concurrency} at a time (Ctrl-C stops)\n`);
        await stop.received;
      } finally {
        // Runs in flight stop at their next page, keep their checkpoint and go back to the queue.
        await queue.stop();
      }
    });
  } finally {
    stop.dispose();
  }
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('run the syncs queued in PostgreSQL (DATABASE_URL) by `serve`: schedules, "run now", webhooks')
    .option('--concurrency <n>', 'runs at once in this process, never two of one connection (default 2)')
    .action(action);
}
