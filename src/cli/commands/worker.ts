// `crm-influence worker`: runs the syncs `serve` queues in PostgreSQL (schedules, "run now", webhooks), several at
// once, never two of one connection. Start as many as the CRMs' and networks' limits allow; a worker killed
// mid-run loses its run to another after CRM_INFLUENCE_WORKER_TIMEOUT_SECONDS, which resumes it from its checkpoint.
import { timingSafeEqual } from 'node:crypto';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Command } from 'commander';
import { z } from 'zod';

import { withContext } from '../context.ts';
import { parseFlags } from '../flags.ts';
import type { RunWorkerHandle } from '../run-jobs.ts';
import { requireRunQueue, startRunWorker } from '../run-jobs.ts';
import { listenForStop } from '../signals.ts';

const WorkerFlagsSchema = z.strictObject({
  concurrency: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be 1–64')
    .max(64, 'must be 1–64')
    .default(2),
  metricsPort: z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a port number')
    .min(0, 'must be 0–65535')
    .max(65535, 'must be 0–65535')
    .optional(),
});

/** The worker's /metrics, on loopback only; with CRM_INFLUENCE_METRICS_TOKEN set, only with that bearer token. */
function serveMetrics(port: number, render: () => Promise<string>, token: string | undefined): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics here\n');
      return;
    }
    if (token !== undefined) {
      const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '');
      const expected = Buffer.from(token);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        res.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
        return;
      }
    }
    render().then(
      (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text),
      () => res.writeHead(500).end('metrics could not be read\n'),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function action(rawFlags: unknown): Promise<void> {
  const flags = parseFlags('worker', WorkerFlagsSchema, rawFlags);
  const stop = listenForStop();
  try {
    await withContext(async (ctx) => {
      const queue = await requireRunQueue(ctx);
      let worker: RunWorkerHandle | undefined;
      let metrics: Server | undefined;
      try {
        worker = await startRunWorker(ctx, queue, { concurrency: flags.concurrency, stopSignal: stop.signal });
        const running = worker;
        if (flags.metricsPort !== undefined)
          metrics = await serveMetrics(
            flags.metricsPort,
            () => running.metrics(),
            ctx.config.CRM_INFLUENCE_METRICS_TOKEN,
          );
        const at =
          metrics === undefined
            ? ''
            : `; /metrics on http://127.0.0.1:${(metrics.address() as AddressInfo).port}/metrics`;
        process.stdout.write(`worker taking queued runs, ${flags.concurrency} at a time${at} (Ctrl-C stops)\n`);
        await stop.received;
      } finally {
        metrics?.close();
        // Runs in flight stop at their next page, keep their checkpoint and go back to the queue.
        await queue.stop();
        await worker?.close();
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
    .option('--metrics-port <port>', "this worker's /metrics on 127.0.0.1 (queue, network budgets, runs in hand)")
    .action(action);
}
