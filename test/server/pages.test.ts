// The JSON twins of the pages: runs and one run's errors (filter, retry failed), contacts with factors and history,
// settings validation and save, and /metrics figures from the stored runs.
import { randomBytes } from 'node:crypto';

import { expect } from 'chai';
import pg from 'pg';

import { JobQueue } from '../../src/jobs/queue.ts';
import type { RunReport } from '../../src/store/run-report.ts';
import type { TestServer } from './helpers.ts';
import { Client, startTestServer, testConnection } from './helpers.ts';

function report(runId: string, at: string, errors: RunReport['errors'], overrides: Partial<RunReport> = {}): RunReport {
  return {
    runId,
    connection: 'sf1',
    crm: 'salesforce',
    dryRun: false,
    startedAt: at,
    finishedAt: new Date(Date.parse(at) + 90_000).toISOString(),
    status: errors.length > 0 ? 'partial' : 'ok',
    counts: { read: 10, scored: 8, unscored: 2, written: 5, unchanged: 3, optedOut: 0, failed: errors.length },
    apiCalls: { crm: { read: 2, write: 1, other: 1 }, providers: { github: 3, bluesky: 1 } },
    errors,
    ...overrides,
  };
}

describe('admin server pages as JSON', function () {
  this.timeout(30_000);
  let server: TestServer;
  let client: Client;
  let token: string;

  before(async () => {
    server = await startTestServer();
    await server.store.saveConnection(testConnection('sf1', 'salesforce'));
    const errors: RunReport['errors'] = [
      {
        recordId: '003A',
        stage: 'write',
        code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
        message: 'Influence score rejected by a validation rule',
        retryable: false,
      },
      { recordId: '003B', stage: 'write', code: 'UNABLE_TO_LOCK_ROW', message: 'record locked', retryable: true },
    ];
    await server.store.saveRun(
      report('run-a', '2026-11-20T03:00:00.000Z', errors, {
        errorGroups: [
          {
            stage: 'write',
            code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
            message: 'Influence score rejected by a validation rule',
            retryable: false,
            count: 1,
          },
          { stage: 'write', code: 'UNABLE_TO_LOCK_ROW', message: 'record locked', retryable: true, count: 1204 },
        ],
        crmBudget: { limit: 100_000, remaining: 83_210 },
        readAll: 'first-run',
        apiCalls: { crm: { read: 2, write: 1, other: 1 }, providers: { github: 3, bluesky: 1 }, refused: 4 },
      }),
    );
    await server.store.recordErrors('sf1', 'run-a', errors);
    await server.store.saveRun(
      report('run-b', '2026-11-21T03:00:00.000Z', [], { dryRun: true, worker: 'worker-2.internal:4242' }),
    );
    await server.store.putSyncStates('sf1', [
      {
        recordId: '003C',
        objectType: 'Contact',
        writtenAt: '2026-11-21T03:00:00.000Z',
        fingerprint: 'f',
        lastWritten: {
          score: 71,
          tier: 'A',
          confidence: 'high',
          scoredAt: '2026-11-21T03:00:00.000Z',
          topFactors: '+30 GitHub: 12,000 stars\n+20 Bluesky: 8,000 followers',
          reasonCodes: ['MULTI_NETWORK'],
          trend: 'Rising',
          orgPercentile: 97,
        },
      },
    ]);
    await server.store.appendHistory('sf1', [
      { recordId: '003C', at: '2026-11-14T03:00:00.000Z', score: 60, tier: 'B' },
      { recordId: '003C', at: '2026-11-21T03:00:00.000Z', score: 71, tier: 'A' },
    ]);
    client = new Client(server.url);
    await client.login();
    token = await client.csrf();
  });
  after(async () => {
    await server.close();
  });

  it('shows the CRM API budget the latest run that saw one reported (runs from the CLI or the demo too)', async () => {
    // run-b (newest, a dry run whose report carries no budget) falls back to run-a's.
    const { summary } = (await (await client.request('/api/dashboard?connection=sf1')).json()) as {
      summary: { budget: unknown };
    };
    expect(summary.budget).to.deep.equal({ limit: 100_000, remaining: 83_210 });
    const html = await (await client.request('/?connection=sf1')).text();
    expect(html).to.include('83,210 of 100,000 calls left at the last run');
    expect(html, 'the tiers-per-day chart says which colour is which tier').to.include(
      '<span class="swatch tier-A"></span>A</li>',
    );
  });

  it('a run page says its counts in words and its time in UTC', async () => {
    const html = await (await client.request('/runs/run-a')).text();
    expect(html).to.include('read 10 · scored 8 · unscored 2 · written 5 · unchanged 3 · opted out 0 · failed 2');
    expect(html, 'times read the same on every page').to.include('<dd>2026-11-20 03:00:00 UTC</dd>');
    expect(html, 'why it read every contact').to.include(
      '<dt>Read</dt><dd>every contact (the first run of this connection)</dd>',
    );
    expect(await (await client.request('/runs')).text()).to.include('2026-11-21 03:00:00 UTC');
    expect(html, 'outbound requests the guard refused').to.include('<dt>Outbound refused</dt><dd>4 (');
  });

  it('lists runs with counts, API calls and duration, most recent first', async () => {
    const { runs } = (await (await client.request('/api/runs')).json()) as {
      runs: (RunReport & { durationMs: number; errorCount: number })[];
    };
    expect(runs.map((r) => r.runId)).to.deep.equal(['run-b', 'run-a']);
    expect(runs[1]).to.deep.include({ durationMs: 90_000, errorCount: 2, status: 'partial' });
    const html = await (await client.request('/runs')).text();
    expect(html).to.include('dry run').and.include('90.0 s');
    // Which process ran each run (a run from before workers were recorded shows a dash); no queue with SQLite.
    expect(html).to.include('<th scope="col">Worker</th>');
    expect(html).to.match(/run-b">[^]*?<td>worker-2\.internal:4242<\/td><\/tr>/);
    expect(html).to.match(/run-a">[^]*?<td>—<\/td><\/tr>/);
    expect(html).to.not.include('Run queue:');
    expect(runs[0]?.worker).to.equal('worker-2.internal:4242');
    expect(html, 'a dry run wrote nothing: its writes are what it would write').to.include(
      '<td class="num">would write 5</td>',
    );
    expect(await (await client.request('/runs/run-b')).text())
      .to.include('· would write 5 ·')
      .and.not.include('written');
  });

  it("filters a run's per-record errors and retries the failed records with a run", async () => {
    const all = (await (await client.request('/api/runs/run-a')).json()) as { errors: { recordId: string }[] };
    expect(all.errors.map((e) => e.recordId)).to.deep.equal(['003A', '003B']);
    const byCode = (await (await client.request('/api/runs/run-a?code=UNABLE_TO_LOCK_ROW')).json()) as {
      errors: { recordId: string }[];
    };
    expect(byCode.errors.map((e) => e.recordId)).to.deep.equal(['003B']);
    const byText = (await (await client.request('/api/runs/run-a?q=validation')).json()) as {
      errors: { recordId: string }[];
    };
    expect(byText.errors.map((e) => e.recordId)).to.deep.equal(['003A']);

    const retry = await client.request('/api/runs/run-a/retry', {
      method: 'POST',
      json: {},
      headers: { 'x-csrf-token': token },
    });
    expect(retry.status).to.equal(202);
    expect(await retry.json()).to.deep.equal({ started: true, records: 2 });
    // The non-retryable one is due again too (an admin asked for it).
    expect((await server.store.pendingRetries('sf1', 10)).map((p) => p.recordId).sort()).to.deep.equal([
      '003A',
      '003B',
    ]);
    await new Promise((r) => setTimeout(r, 50));
    expect(server.runs.at(-1)).to.deep.equal({ connection: 'sf1', request: { dryRun: false } });
  });

  it('a run page counts every failed record by problem, also past the list of ids', async () => {
    const page = await (await client.request('/runs/run-a')).text();
    expect(page).to.include('<h2>Problems</h2>');
    expect(page).to.match(/<td>1,204<\/td><td>write<\/td><td>UNABLE_TO_LOCK_ROW<\/td>/);
  });

  it('finds a contact by id with score, tier, factors and history', async () => {
    const { found } = (await (await client.request('/api/contacts?id=003C')).json()) as {
      found: { fields: { score: number; tier: string }; factors: string[]; history: unknown[] }[];
    };
    expect(found).to.have.length(1);
    expect(found[0]!.fields).to.deep.include({ score: 71, tier: 'A' });
    expect(found[0]!.factors).to.deep.equal(['+30 GitHub: 12,000 stars', '+20 Bluesky: 8,000 followers']);
    expect(found[0]!.history).to.have.length(2);
    const html = await (await client.request('/contacts?id=003C')).text();
    expect(html).to.include('<polyline points=').and.include('+30 GitHub: 12,000 stars');
    expect(
      ((await (await client.request('/api/contacts?id=nobody')).json()) as { found: unknown[] }).found,
    ).to.deep.equal([]);
  });

  it('validates settings with zod (naming each bad field) and saves good ones', async () => {
    const bad = await client.request('/api/settings', {
      method: 'POST',
      json: {
        connection: 'sf1',
        action: 'save',
        schedule: 'often',
        refreshDays: 0,
        tierA: 20,
        tierB: 40,
        tierC: 10,
        weight_x: 3,
      },
      headers: { 'x-csrf-token': token },
    });
    expect(bad.status).to.equal(422);
    const problems = ((await bad.json()) as { problems: string[] }).problems.join('\n');
    expect(problems)
      .to.match(/schedule must be a cron expression/)
      .and.match(/refreshDays must be at least 1/)
      .and.match(/weight_x must be at most 1/)
      .and.match(/A > B > C/);
    expect((await server.store.getConnection('sf1'))!.settings).to.deep.equal({});

    const good = await client.request('/api/settings', {
      method: 'POST',
      json: {
        connection: 'sf1',
        action: 'save',
        schedule: '0 4 * * *',
        refreshDays: 14,
        tierA: 70,
        tierB: 50,
        tierC: 30,
        weight_x: 0.5,
        overwrite_score: 'always',
      },
      headers: { 'x-csrf-token': token },
    });
    expect(good.status).to.equal(200);
    const settings = (await server.store.getConnection('sf1'))!.settings;
    expect(settings).to.deep.include({ schedule: '0 4 * * *', refreshDays: 14 });
    expect(settings.scoring).to.deep.include({ tiers: { thresholds: { A: 70, B: 50, C: 30 } } });
    expect((settings.overwritePolicy as Record<string, string>).score).to.equal('always');
    expect(server.admin.coordinator.nextRun('sf1')?.getUTCHours()).to.be.a('number');
  });

  it('previews settings: tiers re-counted from stored scores and a dry run with the new settings', async () => {
    const before = server.runs.length;
    const preview = await client.request('/api/settings', {
      method: 'POST',
      json: {
        connection: 'sf1',
        action: 'preview',
        schedule: '0 4 * * *',
        refreshDays: 14,
        tierA: 75,
        tierB: 50,
        tierC: 30,
      },
      headers: { 'x-csrf-token': token },
    });
    expect(preview.status).to.equal(200);
    const body = (await preview.json()) as {
      preview: { tiersNow: Record<string, number>; tiersWithSettings: Record<string, number>; dryRun: RunReport };
    };
    expect(body.preview.tiersNow.A).to.equal(1);
    expect(body.preview.tiersWithSettings).to.deep.equal({ A: 0, B: 1, C: 0, D: 0 });
    expect(body.preview.dryRun.dryRun).to.equal(true);
    expect(server.runs.length).to.equal(before + 1);
    const run = server.runs.at(-1)!;
    expect(run.request.dryRun).to.equal(true);
    expect(run.request.settings).to.deep.nested.include({ 'scoring.tiers.thresholds': { A: 75, B: 50, C: 30 } });
    expect(
      ((await server.store.getConnection('sf1'))!.settings.scoring as { tiers: { thresholds: { A: number } } }).tiers
        .thresholds.A,
    ).to.equal(70, 'a preview saves nothing');
  });

  it('exposes runs, records, API calls by network, errors by code and last success in /metrics', async () => {
    const text = await (await client.request('/metrics')).text();
    expect(text).to.match(/crm_influence_runs_total\{crm="salesforce",status="partial",dry_run="false"\} 1/);
    expect(text).to.match(/crm_influence_provider_api_calls_total\{crm="salesforce",network="github"\} 3/);
    expect(text).to.match(/crm_influence_record_errors\{crm="salesforce",code="UNABLE_TO_LOCK_ROW"\} 1/);
    expect(text).to.match(/crm_influence_outbound_refused_total\{crm="salesforce"\} 4\n/);
    expect(text).to.match(/crm_influence_last_success_timestamp_seconds\{connection="sf1",crm="salesforce"\} \d+/);
  });
});

describe('the runs page on the PostgreSQL run queue', function () {
  this.timeout(60_000);
  const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const jobsSchema = `test_runs_page_jobs_${randomBytes(6).toString('hex')}`;

  it('says how deep the queue is', async () => {
    const jobs = await JobQueue.open({
      connectionString: DATABASE_URL,
      schema: jobsSchema,
      schedule: false,
      workerTimeoutSeconds: 10,
    });
    const server = await startTestServer({ jobs });
    try {
      await jobs.enqueue({ connectionId: 'sf1', trigger: 'manual' });
      await jobs.enqueue({ connectionId: 'hs2', trigger: 'schedule' });
      const client = new Client(server.url);
      await client.login();
      expect(await (await client.request('/runs')).text()).to.include(
        'Run queue: 2 waiting · 0 running · 0 to retry · 0 failed every retry',
      );
      const { queue } = (await (await client.request('/api/runs')).json()) as { queue: unknown };
      expect(queue).to.deep.equal({ waiting: 2, running: 0, retrying: 0, dead: 0 });
    } finally {
      await server.close();
      await jobs.stop(1_000);
      const db = new pg.Client({ connectionString: DATABASE_URL });
      await db.connect();
      await db.query(`DROP SCHEMA IF EXISTS ${jobsSchema} CASCADE`).finally(() => db.end());
    }
  });
});
