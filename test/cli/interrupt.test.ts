// Ctrl-C / SIGTERM during a run, end to end: the CLI process (`sync --once`, `serve`) against the Salesforce and
// network emulators on 127.0.0.1, stopped by a real signal mid-run.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect } from 'chai';

import { startBlueskySandbox } from '../../src/sandbox/networks/bluesky.ts';
import { startGitHubSandbox } from '../../src/sandbox/networks/github.ts';
import { startMastodonSandbox } from '../../src/sandbox/networks/mastodon.ts';
import type { NetworkServer } from '../../src/sandbox/networks/server.ts';
import { createPopulation } from '../../src/sandbox/population.ts';
import type { SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { SandboxOrg, startSalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import type { RunReport } from '../../src/store/run-report.ts';
import { RunReportSchema } from '../../src/store/run-report.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/crm-influence.js');
const SIZE = 3_000;
/** The connector's smallest query page: 15 pages, write calls of 1,000 after every 5 or so: a signal lands mid-run. */
const PAGE = 200;

describe('Ctrl-C / SIGTERM during a run (CLI processes, sandbox)', function () {
  this.timeout(120_000);
  const population = createPopulation({ seed: 'cli-interrupt', size: SIZE });
  let dir: string;
  let salesforce: SalesforceSandbox;
  let networks: (NetworkServer & { env: Record<string, string> })[];
  let env: Record<string, string>;

  async function withStore<T>(use: (store: SqliteStore) => Promise<T>): Promise<T> {
    const store = await SqliteStore.open(env.CRM_INFLUENCE_DB!, {
      secretKey: Buffer.from(env.CRM_INFLUENCE_SECRET_KEY!, 'hex'),
    });
    try {
      return await use(store);
    } finally {
      await store.close();
    }
  }

  function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { env, encoding: 'utf8', timeout: 90_000 },
        (error, stdout, stderr) => {
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
        },
      );
    });
  }

  function start(args: string[], extraEnv: Record<string, string> = {}) {
    const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [BIN, ...args], {
      env: { ...env, ...extraEnv },
    });
    const out = { stdout: '', stderr: '' };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out.stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out.stderr += chunk));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      child.once('exit', (code) => resolve({ code, at: Date.now() })),
    );
    return { child, out, exited };
  }

  async function until(condition: () => boolean, what: string, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
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
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-cli-interrupt-'));
    // Every call takes a while, as over a real network: a run of 5 pages lasts seconds.
    salesforce = await startSalesforceSandbox({ population, faults: { latencyMs: 250 } });
    networks = await Promise.all([
      startBlueskySandbox({ population }),
      startGitHubSandbox({ population }),
      // Limits that a few runs over 3,000 people stay within (this file is about signals, not rate limits).
      startMastodonSandbox({ population, limits: { requests: { limit: 100_000, windowSeconds: 300 } } }),
    ]);
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...salesforce.env,
      ...(Object.assign({}, ...networks.map((n) => n.env)) as Record<string, string>),
      CRM_INFLUENCE_DB: path.join(dir, 'cli.db'),
      CRM_INFLUENCE_SECRET_KEY: randomBytes(32).toString('hex'),
      CRM_INFLUENCE_LOG_LEVEL: 'silent',
    };
    // The connection the CLI derives from the org URL, with the connector's smallest query page.
    const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
    const token = env.SALESFORCE_REFRESH_TOKEN ?? env.SALESFORCE_ACCESS_TOKEN ?? '';
    await withStore((store) =>
      store.saveConnection({
        id: `salesforce-${digest(env.SALESFORCE_INSTANCE_URL!)}`,
        crm: 'salesforce',
        name: 'Sandbox org',
        status: 'ok',
        statusMessage: null,
        credentials: { source: digest(token) },
        settings: { salesforce: { queryBatchSize: PAGE } },
      }),
    );
  });
  afterEach(async () => {
    await Promise.all([salesforce?.close(), ...(networks ?? []).map((n) => n.close())]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** A clean finish leaves nothing behind: every record scored once, nothing left to write, nothing written twice. */
  async function expectEveryRecordWrittenOnce(): Promise<void> {
    const check = await cli(['sync', '--crm', 'salesforce', '--full', '--dry-run', '--json']);
    const dry = RunReportSchema.parse(JSON.parse(check.stdout));
    expect(dry.counts.wouldWrite, 'nothing was lost: a full dry run finds nothing left to write').to.equal(0);
    expect(salesforce.counters.recordsWritten, 'nothing was written twice').to.equal(recordsScored());
  }

  it('sync --once: SIGTERM mid-run prints one interrupted report with its counts, exits 143; the next run starts at once and resumes', async () => {
    const run = start(['sync', '--crm', 'salesforce', '--once', '--json']);
    await until(() => salesforce.counters.recordsWritten > 0, 'the first write');
    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    expect(code, run.out.stderr).to.equal(143);
    const report = RunReportSchema.parse(JSON.parse(run.out.stdout)); // exactly one JSON document
    expect(report.status).to.equal('interrupted');
    expect(report.message).to.match(/^interrupted \(SIGTERM\) after \d+ page\(s\); the checkpoint is kept/);
    expect(report.counts.written).to.be.greaterThan(0);
    expect(report.counts.written).to.equal(salesforce.counters.recordsWritten);
    expect(report.counts.read).to.be.below(SIZE);
    expect(run.out.stderr).to.match(/SIGTERM: stopping after the step in flight/);
    const stored = await withStore(async (store) => ({
      run: await store.getRun(report.runId),
      running: await store.listRuns({ status: 'running', limit: 10 }),
    }));
    expect(stored.run?.status).to.equal('interrupted');
    expect(stored.run?.counts).to.deep.equal(report.counts);
    expect(stored.running).to.deep.equal([]);

    const started = Date.now();
    const next = await cli(['sync', '--crm', 'salesforce', '--once', '--json']);
    expect(next.code, `the lease was released: ${next.stderr}`).to.equal(0);
    const resumed: RunReport = RunReportSchema.parse(JSON.parse(next.stdout));
    expect(resumed.status).to.be.oneOf(['ok', 'partial']);
    expect(resumed.readAll, 'resumed from the checkpoint, not from the start').to.equal(undefined);
    expect(Date.now() - started).to.be.below(60_000);
    await expectEveryRecordWrittenOnce();
  });

  it('sync --once: a second signal exits at once, without waiting for the call in flight', async () => {
    await salesforce.close();
    // Each CRM call takes 3 s: a clean stop would wait for the one in flight.
    salesforce = await startSalesforceSandbox({ population, faults: { latencyMs: 3_000 } });
    const slowEnv = salesforce.env;
    const run = start(['sync', '--crm', 'salesforce', '--once', '--json'], slowEnv);
    await until(() => salesforce.counters.requests >= 2, 'the run to reach the CRM');
    run.child.kill('SIGINT');
    await until(() => run.out.stderr.includes('SIGINT: stopping'), 'the first signal to be seen');
    const second = Date.now();
    run.child.kill('SIGINT');
    const { code, at } = await run.exited;
    expect(code).to.equal(130);
    expect(at - second, 'exits at once').to.be.below(1_500);
    expect(run.out.stdout, 'no report: the run did not end').to.equal('');
    expect(run.out.stderr).to.match(/SIGINT again: exiting now/);
  });

  it('serve: SIGTERM during a scheduled run ends it interrupted, releases the lease and exits 0; sync then starts at once', async () => {
    const run = start(['serve', '--port', '0'], {
      CRM_INFLUENCE_SCHEDULE: '* * * * * *',
      CRM_INFLUENCE_ADMIN_PASSWORD: 'a-long-enough-password',
    });
    await until(() => salesforce.counters.recordsWritten > 0, 'the scheduled run to write');
    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    expect(code, run.out.stderr).to.equal(0);
    const runs = await withStore((store) => store.listRuns({ limit: 10 }));
    expect(runs.map((r) => r.status)).to.include('interrupted');
    expect(runs.filter((r) => r.status === 'running')).to.deep.equal([]);
    const interrupted = runs.filter((r) => r.status === 'interrupted');
    expect(Math.max(...interrupted.map((r) => r.counts.written))).to.be.greaterThan(0);

    const next = await cli(['sync', '--crm', 'salesforce', '--once', '--json']);
    expect(next.code, `the lease was released: ${next.stderr}`).to.equal(0);
    await expectEveryRecordWrittenOnce();
  });
});
