// The run queue against the real PostgreSQL on 127.0.0.1: two queue instances stand for two processes. Each test
// gets its own pg-boss schema, dropped after, so parallel runs do not meet.
import { randomBytes } from 'node:crypto';

import { expect } from 'chai';
import pg from 'pg';

import type { RunJobContext } from '../../src/jobs/queue.ts';
import { JobQueue } from '../../src/jobs/queue.ts';
import type { RunJob } from '../../src/jobs/run-job.ts';
import { startWorker } from '../../src/jobs/worker.ts';
import type { RunReport, RunStatus } from '../../src/store/run-report.ts';
import { SyncAlreadyRunningError } from '../../src/sync/engine.ts';
import { DATABASE_URL, sql } from '../pg.ts';

function report(job: RunJob, status: RunStatus, message?: string): RunReport {
  const at = new Date().toISOString();
  return {
    runId: `run-${randomBytes(4).toString('hex')}`,
    connection: job.connectionId,
    crm: 'salesforce',
    dryRun: job.dryRun,
    startedAt: at,
    finishedAt: at,
    status,
    ...(message !== undefined ? { message } : {}),
    counts: { read: 0, scored: 0, unscored: 0, written: 0, unchanged: 0, optedOut: 0, failed: 0 },
    apiCalls: { crm: { read: 0, write: 0, other: 0 }, providers: {} },
    errors: [],
  };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('run queue (pg-boss on the real PostgreSQL)', function () {
  this.timeout(60_000);
  let schema: string;
  let queues: JobQueue[];

  async function open(options: { retryLimit?: number } = {}): Promise<JobQueue> {
    const queue = await JobQueue.open({
      connectionString: DATABASE_URL,
      schema,
      schedule: false,
      workerTimeoutSeconds: 10,
      retryDelaySeconds: 1,
      ...options,
    });
    queues.push(queue);
    return queue;
  }

  beforeEach(() => {
    schema = `test_jobs_${randomBytes(6).toString('hex')}`;
    queues = [];
  });
  afterEach(async () => {
    await Promise.all(queues.map((q) => q.stop(1_000)));
    await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it('holds one waiting run per connection: a second is refused, another connection is not', async () => {
    const queue = await open();
    expect((await queue.enqueue({ connectionId: 'a', trigger: 'manual' })).queued).to.equal(true);
    const again = await queue.enqueue({ connectionId: 'a', trigger: 'webhook' }, 5);
    expect(again).to.deep.equal({ queued: false, reason: 'a run of "a" is already waiting' });
    expect((await queue.enqueue({ connectionId: 'b', trigger: 'schedule' })).queued).to.equal(true);
    expect(await queue.counts()).to.deep.equal([
      { connectionId: 'a', queued: 1, active: 0, retrying: 0, dead: 0 },
      { connectionId: 'b', queued: 1, active: 0, retrying: 0, dead: 0 },
    ]);
  });

  it('keeps schedules in the database, one per connection, replaced and removed by key', async () => {
    const first = await open();
    const second = await open();
    await first.schedule('a', '0 3 * * *');
    await second.schedule('a', '0 4 * * *');
    await second.schedule('b', '*/5 * * * *');
    expect([...(await first.schedules())].sort()).to.deep.equal([
      ['a', '0 4 * * *'],
      ['b', '*/5 * * * *'],
    ]);
    await first.unschedule('a');
    expect([...(await second.schedules()).keys()]).to.deep.equal(['b']);
    expect(first.nextOccurrence('0 4 * * *', new Date('2026-01-01T05:00:00Z'))?.toISOString()).to.equal(
      '2026-01-02T04:00:00.000Z',
    );
  });

  it('two workers of two processes: each job runs once and no two runs of a connection overlap', async () => {
    const running = new Map<string, number>();
    const ran: string[] = [];
    let overlaps = 0;
    const run = async (job: RunJob, _context: RunJobContext): Promise<RunReport> => {
      const now = (running.get(job.connectionId) ?? 0) + 1;
      running.set(job.connectionId, now);
      if (now > 1) overlaps += 1;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      running.set(job.connectionId, (running.get(job.connectionId) ?? 1) - 1);
      ran.push(job.connectionId);
      return report(job, 'ok');
    };
    const [one, two] = [await open(), await open()];
    await startWorker({ queue: one, concurrency: 3, run });
    await startWorker({ queue: two, concurrency: 3, run });
    const connections = ['a', 'b', 'c', 'd'];
    // Each connection: one run going, one waiting behind it (the stately policy's bound).
    for (const id of connections) await one.enqueue({ connectionId: id, trigger: 'manual' });
    await until(async () => (await one.counts()).filter((c) => c.active > 0).length === 4, 'four runs to start');
    for (const id of connections) await two.enqueue({ connectionId: id, trigger: 'schedule' });
    await until(() => ran.length >= 8, 'eight runs', 30_000);
    await until(async () => (await one.counts()).every((c) => c.active + c.queued === 0), 'the queue to empty');
    expect(overlaps, 'runs of one connection overlapped').to.equal(0);
    expect(ran.filter((id) => id === 'a')).to.have.length(2);
    expect(ran).to.have.length(8);
  });

  it('retries a failed run with backoff, then dead-letters it with the reason; a held lease is retried too', async () => {
    const queue = await open({ retryLimit: 1 });
    const attempts: number[] = [];
    let leaseHeldOnce = false;
    await startWorker({
      queue,
      concurrency: 1,
      run: async (job, context) => {
        await Promise.resolve();
        if (job.connectionId === 'held' && !leaseHeldOnce) {
          leaseHeldOnce = true;
          throw new SyncAlreadyRunningError('held');
        }
        if (job.connectionId === 'held') return report(job, 'ok');
        attempts.push(context.attempt);
        return report(job, 'failed', 'the CRM answered 503');
      },
    });
    await queue.enqueue({ connectionId: 'broken', trigger: 'manual' });
    await queue.enqueue({ connectionId: 'held', trigger: 'manual' });
    await until(
      async () => (await queue.counts()).some((c) => c.connectionId === 'broken' && c.dead === 1),
      'the dead letter',
    );
    expect(attempts).to.deep.equal([0, 1]);
    await until(async () => (await queue.counts()).every((c) => c.connectionId !== 'held'), 'the held run to finish');
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ output: { message?: string } }>(
        `SELECT output FROM ${schema}.job WHERE name = 'crm-influence-runs' AND singleton_key = 'broken' AND state = 'failed'`,
      );
      expect(rows[0]?.output.message).to.match(/ended failed: the CRM answered 503/);
    } finally {
      await client.end();
    }
  });

  it('a job taken over after its run had finished completes from that run instead of running it twice', async () => {
    const queue = await open({ retryLimit: 2 });
    const finished = new Map<string, RunReport>();
    let runs = 0;
    await startWorker({
      queue,
      concurrency: 1,
      finishedRun: (_job, jobId) => Promise.resolve(finished.get(jobId) ?? null),
      run: async (job, context) => {
        await Promise.resolve();
        runs += 1;
        finished.set(context.jobId, { ...report(job, 'ok'), jobId: context.jobId });
        // The worker dies between the run's end and the queue hearing of it: the job comes back.
        throw new Error('lost before the job completed');
      },
    });
    await queue.enqueue({ connectionId: 'done-once', trigger: 'schedule' });
    await until(async () => (await queue.counts()).length === 0, 'the job to complete');
    expect(runs, 'the connection ran once').to.equal(1);
  });
});
