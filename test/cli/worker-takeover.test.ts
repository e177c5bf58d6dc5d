// Crash takeover, end to end: real `crm-influence worker` processes on the real PostgreSQL (127.0.0.1) against the
// Salesforce and network emulators. The worker running a job is killed with SIGKILL mid-run; another worker takes
// the job once the dead one's heartbeat and lease lapse, resumes from the checkpoint, and in the end every contact
// is written exactly once. Each test has its own store and queue schemas, dropped after.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect } from 'chai';

import { JobQueue } from '../../src/jobs/queue.ts';
import { startBlueskySandbox } from '../../src/sandbox/networks/bluesky.ts';
import { startGitHubSandbox } from '../../src/sandbox/networks/github.ts';
import { startMastodonSandbox } from '../../src/sandbox/networks/mastodon.ts';
import type { NetworkServer } from '../../src/sandbox/networks/server.ts';
import { createPopulation } from '../../src/sandbox/population.ts';
import type { SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { SandboxOrg, startSalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { ORG_ID } from '../../src/sandbox/salesforce/org.ts';
import { PostgresStore } from '../../src/store/postgres.ts';
import { RunReportSchema } from '../../src/store/run-report.ts';
import { DATABASE_URL, sql } from '../pg.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/crm-influence.js');
const SIZE = 3_000;
/** The connector's smallest query page: 15 pages of 250 ms calls, so a kill lands mid-run. */
const PAGE = 200;
/** The workers' timeout: a killed worker's job and lease lapse after this long. */
const TIMEOUT_SECONDS = 10;

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Worker {
  child: ChildProcessWithoutNullStreams;
  out: { stdout: string; stderr: string };
  exited: Promise<number | null>;
}

describe('worker processes on PostgreSQL: crash takeover, serve --with-worker (sandbox)', function () {
  this.timeout(180_000);
  const population = createPopulation({ seed: 'worker-takeover', size: SIZE });
  let storeSchema: string;
  let jobsSchema: string;
  let salesforce: SalesforceSandbox;
  let networks: NetworkServer[];
  let env: Record<string, string>;
  let workers: Worker[];
  let connectionId: string;

  function openStore(): Promise<PostgresStore> {
    return PostgresStore.open({
      connectionString: DATABASE_URL,
      schema: storeSchema,
      secretKey: Buffer.from(env.CRM_INFLUENCE_SECRET_KEY!, 'hex'),
    });
  }

  function startWorker(
    args = ['worker', '--concurrency', '1', '--metrics-port', '0'],
    extraEnv: Record<string, string> = {},
  ): Worker {
    // JSON log lines, as a log collector would take them: the test waits for events by their message.
    const child = spawn(process.execPath, [BIN, ...args, '--log-format', 'json'], { env: { ...env, ...extraEnv } });
    const out = { stdout: '', stderr: '' };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out.stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out.stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const worker = { child, out, exited };
    workers.push(worker);
    return worker;
  }

  function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 90_000 }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
      );
    });
  }

  /** Records carrying our score date: each written at least once. */
  function recordsScored(): number {
    let scored = 0;
    for (let i = 0; i < SIZE; i++) {
      const record =
        salesforce.control.record(SandboxOrg.idOf('Contact', i)) ??
        salesforce.control.record(SandboxOrg.idOf('Lead', i));
      if (record?.Influence_Scored_At__c != null) scored += 1;
    }
    return scored;
  }

  beforeEach(async () => {
    const suffix = randomBytes(6).toString('hex');
    storeSchema = `test_takeover_${suffix}`;
    jobsSchema = `test_takeover_jobs_${suffix}`;
    workers = [];
    salesforce = await startSalesforceSandbox({ population, faults: { latencyMs: 250 } });
    networks = await Promise.all([
      startBlueskySandbox({ population }),
      startGitHubSandbox({ population }),
      startMastodonSandbox({ population, limits: { requests: { limit: 100_000, windowSeconds: 300 } } }),
    ]);
    await sql(`CREATE SCHEMA ${storeSchema}`);
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...salesforce.env,
      ...(Object.assign(
        {},
        ...networks.map((n) => (n as NetworkServer & { env: Record<string, string> }).env),
      ) as Record<string, string>),
      DATABASE_URL: `${DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${storeSchema}`)}`,
      CRM_INFLUENCE_JOBS_SCHEMA: jobsSchema,
      CRM_INFLUENCE_WORKER_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
      CRM_INFLUENCE_SECRET_KEY: randomBytes(32).toString('hex'),
      CRM_INFLUENCE_LOG_LEVEL: 'info',
    };
    const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
    const token = env.SALESFORCE_REFRESH_TOKEN ?? env.SALESFORCE_ACCESS_TOKEN ?? '';
    connectionId = `salesforce-${ORG_ID}`;
    const store = await openStore();
    try {
      await store.saveConnection({
        id: connectionId,
        crm: 'salesforce',
        name: 'Sandbox org',
        status: 'ok',
        statusMessage: null,
        credentials: { source: digest(token), instanceUrl: env.SALESFORCE_INSTANCE_URL },
        settings: { salesforce: { queryBatchSize: PAGE } },
      });
    } finally {
      await store.close();
    }
  });

  afterEach(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await Promise.all([salesforce?.close(), ...(networks ?? []).map((n) => n.close())]);
    await sql(`DROP SCHEMA IF EXISTS ${storeSchema} CASCADE; DROP SCHEMA IF EXISTS ${jobsSchema} CASCADE`);
  });

  it('SIGKILL mid-run: another worker takes the job over from the checkpoint; nothing lost, nothing written twice', async () => {
    const [first, second] = [startWorker(), startWorker()];
    await until(
      () => workers.every((w) => w.out.stdout.includes('worker taking queued runs')),
      'both workers to start',
    );
    const queue = await JobQueue.open({
      connectionString: DATABASE_URL,
      schema: jobsSchema,
      schedule: false,
      workerTimeoutSeconds: TIMEOUT_SECONDS,
    });
    try {
      expect((await queue.enqueue({ connectionId, trigger: 'manual' })).queued).to.equal(true);
      // Killed past its first checkpoint (a page's writes acknowledged, its cursor saved), before the end.
      const watch = await openStore();
      try {
        await until(async () => (await watch.getCursor(connectionId)) !== null, 'the first checkpoint');
      } finally {
        await watch.close();
      }
      const victim = [first, second].find((w) => w.out.stderr.includes('"sync started"'));
      expect(victim, 'one worker started the run').to.not.equal(undefined);
      const survivor = victim === first ? second : first;
      const writtenAtKill = salesforce.counters.recordsWritten;
      // The worker's own /metrics: the run it has in hand, the queue, the budgets the networks reported.
      const metricsUrl = /\/metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(victim!.out.stdout)?.[1];
      expect(metricsUrl, victim!.out.stdout).to.be.a('string');
      const metrics = await (await fetch(metricsUrl!)).text();
      expect(metrics).to.include(`crm_influence_worker_jobs_running{connection="${connectionId}"} 1`);
      expect(metrics).to.include(`crm_influence_jobs{connection="${connectionId}",state="active"} 1`);
      expect(metrics).to.match(/^crm_influence_network_budget_remaining\{window="github [^"]+"\} \d+$/m);
      victim!.child.kill('SIGKILL');
      await victim!.exited;
      expect(writtenAtKill).to.be.below(SIZE);

      const killedAt = Date.now();
      await until(() => survivor.out.stderr.includes('"sync started"'), 'the survivor to take the run over', 90_000);
      const tookOver = Date.now() - killedAt;
      // The silent worker's heartbeat and lease lapse after the timeout; the retry then waits 10–20 s (backoff).
      expect(tookOver, 'taken over within a bound').to.be.below((TIMEOUT_SECONDS * 2 + 30) * 1000);
      await until(() => survivor.out.stderr.includes('"run job finished"'), 'the survivor to finish the run', 120_000);
      await until(
        async () => (await queue.counts()).every((c) => c.active + c.queued + c.retrying === 0),
        'the job to complete',
      );
      expect(await queue.counts()).to.deep.equal([]);
    } finally {
      await queue.stop(1_000);
    }

    const store = await openStore();
    try {
      const runs = await store.listRuns({ connectionId, limit: 10 });
      const statuses = runs.map((r) => r.status).sort();
      expect(statuses).to.deep.equal(['abandoned', 'ok'].sort());
      const resumed = runs.find((r) => r.status === 'ok')!;
      expect(resumed.readAll, 'resumed from the checkpoint, not from the start').to.equal(undefined);
      expect(resumed.counts.read).to.be.below(SIZE);
    } finally {
      await store.close();
    }

    const check = await cli(['sync', '--crm', 'salesforce', '--full', '--dry-run', '--json']);
    expect(check.code, check.stderr).to.equal(0);
    const dry = RunReportSchema.parse(JSON.parse(check.stdout));
    expect(dry.counts.wouldWrite, 'nothing was lost: a full dry run finds nothing left to write').to.equal(0);
    expect(salesforce.counters.recordsWritten, 'nothing was written twice').to.equal(recordsScored());
  });
  it('SIGTERM mid-run: the worker finishes its page, checkpoints and releases the job; another resumes it at once', async () => {
    const [first, second] = [startWorker(), startWorker()];
    await until(
      () => workers.every((w) => w.out.stdout.includes('worker taking queued runs')),
      'both workers to start',
    );
    const queue = await JobQueue.open({
      connectionString: DATABASE_URL,
      schema: jobsSchema,
      schedule: false,
      workerTimeoutSeconds: TIMEOUT_SECONDS,
    });
    try {
      expect((await queue.enqueue({ connectionId, trigger: 'manual' })).queued).to.equal(true);
      const watch = await openStore();
      try {
        await until(async () => (await watch.getCursor(connectionId)) !== null, 'the first checkpoint');
      } finally {
        await watch.close();
      }
      const victim = [first, second].find((w) => w.out.stderr.includes('"sync started"'))!;
      expect(victim, 'one worker started the run').to.not.equal(undefined);
      const survivor = victim === first ? second : first;
      victim.child.kill('SIGTERM');
      const stoppedAt = Date.now();
      expect(await victim.exited, victim.out.stderr).to.equal(0);
      expect(victim.out.stderr).to.include('"run job released"');
      const writtenAtStop = salesforce.counters.recordsWritten;
      // Released, not failed: no retry backoff (10–20 s) and no lease to wait out.
      await until(() => survivor.out.stderr.includes('"sync started"'), 'the survivor to resume the run', 10_000);
      expect(Date.now() - stoppedAt, 'resumed without a backoff').to.be.below(8_000);
      await until(() => survivor.out.stderr.includes('"run job finished"'), 'the survivor to finish the run', 120_000);
      await until(async () => (await queue.counts()).length === 0, 'the job to complete');
      expect(writtenAtStop, 'stopped mid-run').to.be.below(salesforce.counters.recordsWritten);
    } finally {
      await queue.stop(1_000);
    }

    const store = await openStore();
    try {
      const runs = await store.listRuns({ connectionId, limit: 10 });
      expect(runs.map((r) => r.status).sort()).to.deep.equal(['interrupted', 'ok']);
      const stopped = runs.find((r) => r.status === 'interrupted')!;
      expect(stopped.message ?? '').to.include('SIGTERM');
      const resumed = runs.find((r) => r.status === 'ok')!;
      expect(resumed.readAll, 'resumed from the checkpoint, not from the start').to.equal(undefined);
      expect(resumed.counts.read).to.be.below(SIZE);
      expect(stopped.counts.written + resumed.counts.written).to.equal(salesforce.counters.recordsWritten);
    } finally {
      await store.close();
    }

    const check = await cli(['sync', '--crm', 'salesforce', '--full', '--dry-run', '--json']);
    expect(check.code, check.stderr).to.equal(0);
    expect(RunReportSchema.parse(JSON.parse(check.stdout)).counts.written, 'nothing was lost').to.equal(0);
    // The sandbox's write log: every record saved at most once, and every scored record saved.
    const log = salesforce.counters.writesById;
    const twice = [...log].filter(([, n]) => n > 1);
    expect(twice, 'nothing was written twice').to.deep.equal([]);
    expect(log.size).to.equal(recordsScored());
  });

  it('serve --with-worker: holds the schedules in the database, runs a queued job, SIGTERM exits 0', async () => {
    const serve = startWorker(['serve', '--port', '0', '--with-worker', '--concurrency', '1'], {
      CRM_INFLUENCE_ADMIN_PASSWORD: 'a-long-enough-password',
      CRM_INFLUENCE_SCHEDULE: '30 2 * * *',
    });
    await until(() => serve.out.stdout.includes('runs queued in PostgreSQL, 1 at a time here'), 'serve to start');
    const queue = await JobQueue.open({
      connectionString: DATABASE_URL,
      schema: jobsSchema,
      schedule: false,
      workerTimeoutSeconds: TIMEOUT_SECONDS,
    });
    try {
      expect([...(await queue.schedules())]).to.deep.equal([[connectionId, '30 2 * * *']]);
      expect((await queue.enqueue({ connectionId, trigger: 'manual' })).queued).to.equal(true);
      await until(() => serve.out.stderr.includes('"run job finished"'), 'the run', 120_000);
      await until(async () => (await queue.counts()).length === 0, 'the job to complete');
    } finally {
      await queue.stop(1_000);
    }
    serve.child.kill('SIGTERM');
    expect(await serve.exited, serve.out.stderr).to.equal(0);
    const store = await openStore();
    try {
      expect((await store.listRuns({ connectionId, limit: 5 })).map((r) => r.status)).to.deep.equal(['ok']);
    } finally {
      await store.close();
    }
    expect(salesforce.counters.recordsWritten).to.equal(recordsScored());
  });
});
