// Webhook-queued contacts on the PostgreSQL run queue: the ids and their debounced job are in the database, so they
// survive a restart of `serve` between delivery and run, and the worker's job reads exactly those ids.
import { randomBytes } from 'node:crypto';

import { expect } from 'chai';

import { JobQueue } from '../../src/jobs/queue.ts';
import type { RunJob } from '../../src/jobs/run-job.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import { QueuedRuns } from '../../src/server/queued-runs.ts';
import { ServerStore, sqlOf } from '../../src/server/server-store.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import type { RunReport } from '../../src/store/run-report.ts';
import { DATABASE_URL, sql } from '../pg.ts';

describe('webhook jobs on the PostgreSQL run queue', function () {
  this.timeout(60_000);
  const suffix = randomBytes(6).toString('hex');
  const storeSchema = `test_webhooks_${suffix}`;
  const jobsSchema = `test_webhooks_jobs_${suffix}`;

  after(() => sql(`DROP SCHEMA IF EXISTS ${storeSchema} CASCADE; DROP SCHEMA IF EXISTS ${jobsSchema} CASCADE`));

  const openQueue = () =>
    JobQueue.open({ connectionString: DATABASE_URL, schema: jobsSchema, schedule: false, workerTimeoutSeconds: 10 });

  it('survive a restart of serve between delivery and run; the run reads exactly the queued ids', async () => {
    const store = await PostgresStore.open({ connectionString: DATABASE_URL, schema: storeSchema });
    const serverStore = new ServerStore(sqlOf(store));
    // "serve": a webhook delivery queues two contacts, a second one a third; then serve stops before the run.
    const serveQueue = await openQueue();
    const runs = new QueuedRuns({
      store,
      serverStore,
      jobs: serveQueue,
      runtime: { run: () => Promise.reject(new Error('serve does not run queued jobs')) },
      defaultSchedule: '0 3 * * *',
      webhookDebounceMs: 2_000,
    });
    await runs.queue('hubspot-1', ['101', '102']);
    await runs.queue('hubspot-1', ['103']);
    await serveQueue.stop(1_000);
    const restarted = await openQueue();
    expect(await restarted.counts().finally(() => restarted.stop(1_000))).to.deep.equal([
      { connectionId: 'hubspot-1', queued: 1, active: 0, retrying: 0, dead: 0 },
    ]);

    // A worker started afterwards runs it once, after the debounce, with the ids in the database.
    const workerQueue = await openQueue();
    const seen: { job: RunJob; ids: string[] }[] = [];
    try {
      await startWorker({
        queue: workerQueue,
        concurrency: 1,
        run: async (job) => {
          seen.push({ job, ids: await serverStore.queuedContacts(job.connectionId) });
          const at = new Date().toISOString();
          return {
            runId: 'r1',
            connection: job.connectionId,
            crm: 'hubspot',
            dryRun: false,
            startedAt: at,
            finishedAt: at,
            status: 'ok',
            counts: { read: 3, scored: 3, unscored: 0, written: 3, unchanged: 0, optedOut: 0, failed: 0 },
            apiCalls: { crm: { read: 1, write: 1, other: 0 }, providers: {} },
            errors: [],
          } satisfies RunReport;
        },
      });
      const deadline = Date.now() + 30_000;
      while (seen.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(seen).to.have.length(1);
      expect(seen[0]?.job).to.deep.equal({ connectionId: 'hubspot-1', trigger: 'webhook', dryRun: false, full: false });
      expect(seen[0]?.ids.sort()).to.deep.equal(['101', '102', '103']);
    } finally {
      await workerQueue.stop(1_000);
      await store.close();
    }
  });
});
