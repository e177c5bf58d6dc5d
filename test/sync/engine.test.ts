import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import { describeRun } from '../../src/cli/output.ts';
import { BudgetReachedError, SetupError } from '../../src/crm/errors.ts';
import type { ProviderAdapter } from '../../src/providers/contract.ts';
import type { ScoreInput } from '../../src/scoring/types.ts';
import type { RunReport } from '../../src/store/run-report.ts';
import { RunReportSchema } from '../../src/store/run-report.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import type { SyncDeps } from '../../src/sync/engine.ts';
import { runSync, SyncAlreadyRunningError } from '../../src/sync/engine.ts';
import type { SyncOptionsInput } from '../../src/sync/options.ts';
import {
  MemoryCrm,
  MemoryProvider,
  PaidMemoryProvider,
  reauthError,
  resolveTestIdentities,
  TestModel,
} from './doubles.ts';

const CONNECTION = 'conn-1';
const DAY = 24 * 3600 * 1000;

interface World {
  store: SqliteStore;
  crm: MemoryCrm;
  bluesky: MemoryProvider;
  github: MemoryProvider;
  model: TestModel;
  clock: { now: Date };
  sync: (options?: Partial<SyncOptionsInput>, deps?: Partial<SyncDeps>) => Promise<RunReport>;
}

describe('sync engine', function () {
  this.timeout(30_000);
  let dir: string;
  let world: World;

  async function makeWorld(
    contacts = 0,
    crmOptions: { writeBatchSize?: number; pageSize?: number } = {},
  ): Promise<World> {
    const store = await SqliteStore.open(path.join(dir, `store-${randomBytes(4).toString('hex')}.db`), {
      secretKey: randomBytes(32),
    });
    await store.saveConnection({
      id: CONNECTION,
      crm: 'salesforce',
      name: 'Test org',
      status: 'ok',
      statusMessage: null,
      credentials: {},
      settings: {},
    });
    const crm = new MemoryCrm(crmOptions.writeBatchSize ?? 200, crmOptions.pageSize ?? 50);
    const bluesky = new MemoryProvider('bluesky', 25);
    const github = new MemoryProvider('github', 10);
    const model = new TestModel();
    const clock = { now: new Date('2026-03-01T12:00:00.000Z') };
    for (let i = 0; i < contacts; i++) {
      const id = `c${String(i).padStart(5, '0')}`;
      crm.add(id, [{ network: 'bluesky', value: `@user${i}.bsky.social` }]);
      bluesky.followers.set(`user${i}.bsky.social`, 10 ** (1 + (i % 4)));
    }
    const sync = (options: Partial<SyncOptionsInput> = {}, deps: Partial<SyncDeps> = {}) =>
      runSync(
        {
          store,
          connector: crm,
          providers: [bluesky, github],
          resolveIdentities: resolveTestIdentities,
          score: model.score,
          scoringKey: model.version,
          now: () => clock.now,
          ...deps,
        },
        { connectionId: CONNECTION, ...options },
      );
    return { store, crm, bluesky, github, model, clock, sync };
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-sync-'));
  });
  afterEach(async () => {
    await world.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fills the org percentile from the distribution at run start; percentile moves alone never write', async () => {
    // Scores 20/40/60/80, a quarter each (see makeWorld and TestModel); pages of 50.
    world = await makeWorld(120);
    const first = await world.sync();
    expect(first.counts.written).to.equal(120);
    // The org's first run ranks each page against the scores ranked so far in the run (none stored yet): no record is
    // left without a percentile, and the last page, ranked against all 120, gets the org's exact figures.
    const firstRun = world.crm.accepted.map((u) => u.fields);
    expect(firstRun.every((f) => typeof f.orgPercentile === 'number')).to.equal(
      true,
      'every ranked record has a percentile',
    );
    expect(Object.fromEntries(firstRun.slice(100).map((f) => [f.score, f.orgPercentile]))).to.deep.equal({
      21: 13,
      40: 38,
      60: 63,
      80: 88,
    });
    for (const f of firstRun.slice(0, 50))
      expect(Math.abs(f.orgPercentile! - { 21: 13, 40: 38, 60: 63, 80: 88 }[f.score!]!)).to.be.at.most(2);
    expect((await world.store.getScoreHistogram(CONNECTION)).filter((n) => n > 0)).to.deep.equal([30, 30, 30, 30]);
    const second = await world.sync();
    expect(second.counts.written, 'an unchanged second run still writes nothing').to.equal(0);

    // Past the refresh interval every record is rewritten anyway: now with its percentile (ties count half).
    world.clock.now = new Date(world.clock.now.getTime() + 8 * DAY);
    const refresh = await world.sync();
    expect(refresh.counts.written).to.equal(120);
    const percentileByScore = new Map(
      world.crm.accepted.slice(-120).map((u) => [u.fields.score, u.fields.orgPercentile]),
    );
    expect(Object.fromEntries(percentileByScore)).to.deep.equal({ 21: 13, 40: 38, 60: 63, 80: 88 });

    // New contacts at the top move everyone's percentile by far more than 5 points; the old ones are not rewritten.
    for (let i = 0; i < 120; i++) {
      world.crm.add(`top${i}`, [{ network: 'bluesky', value: `@top${i}.bsky.social` }]);
      world.bluesky.followers.set(`top${i}.bsky.social`, 10 ** 5);
    }
    await world.sync();
    const acceptedBefore = world.crm.accepted.length;
    const unchanged = await world.sync();
    expect(unchanged.counts.written).to.equal(0);
    expect(world.crm.accepted.length).to.equal(acceptedBefore);
    expect(
      world.crm.accepted
        .slice(240)
        .map((u) => u.id)
        .every((id) => id.startsWith('top')),
    ).to.equal(true, 'only the new contacts were written');
  });

  it("a paid network's monthly spend cap ends the run budget_reached: no look-up past it, its contacts wait for next month, the others are written", async () => {
    world = await makeWorld();
    // X-like: $0.06 reserved per handle (a user read and a full post sample), $0.04 charged.
    const x = new PaidMemoryProvider('x', 10, { max: 0.06, actual: 0.04 });
    for (let i = 0; i < 100; i++) {
      world.crm.add(`x${i}`, [{ network: 'x', value: `@paid${i}` }]);
      x.followers.set(`paid${i}`, 1000);
    }
    for (let i = 0; i < 20; i++) {
      world.crm.add(`b${i}`, [{ network: 'bluesky', value: `@free${i}.bsky.social` }]);
      world.bluesky.followers.set(`free${i}.bsky.social`, 1000);
    }
    // Another connection's run spent $1.50 on X this month (UTC) and $9 last month.
    const elsewhere = (runId: string, startedAt: string, usd: number): RunReport => ({
      runId,
      connection: 'other-org',
      crm: 'hubspot',
      dryRun: false,
      startedAt,
      finishedAt: startedAt,
      status: 'ok',
      counts: { read: 0, scored: 0, unscored: 0, written: 0, unchanged: 0, optedOut: 0, failed: 0 },
      apiCalls: { crm: { read: 0, write: 0, other: 0 }, providers: {}, estimatedSpendUsd: { x: usd } },
      errors: [],
    });
    await world.store.saveRun(elsewhere('other-1', '2026-03-01T00:30:00.000Z', 1.5));
    await world.store.saveRun(elsewhere('other-0', '2026-02-28T23:00:00.000Z', 9));
    // X answers are cached longer than the month this test spans: only the waiting contacts are looked up again.
    const capped = { monthlySpendCapUsd: { x: 3 }, networkWaitSeconds: 5, providerTtlSeconds: { x: 45 * 86_400 } };
    const sync = (options: Partial<SyncOptionsInput> = {}) =>
      world.sync({ ...capped, ...options }, { providers: [world.bluesky, x] });

    const first = await sync();
    expect(first.status).to.equal('budget_reached');
    expect(first.apiCalls.spendCapReached).to.deep.equal(['x']);
    // $1.50 left: handles are sent while $0.06 each still fits, each costs $0.04: 37 looked up ($1.48), and the $0.02
    // left would not cover one more.
    expect(x.batches.flat()).to.have.length(37);
    expect(first.apiCalls.estimatedSpendUsd?.x).to.equal(1.48);
    expect(first.counts.written).to.equal(57, '20 Bluesky-only contacts and the 37 looked up on X');
    expect(first.errorGroups?.find((g) => g.code === 'spend_cap_reached')?.count).to.equal(63);
    expect(first.message).to.match(
      /^monthly spend cap reached for x \(about \$2\.98 of its \$3\.00 monthly cap spent\).*63 contact\(s\) waiting on it are retried by a later run/,
    );
    expect(describeRun(first)).to.include('monthly spend cap reached for x');
    const month = await world.store.monthlySpend(new Date('2026-03-01T00:00:00.000Z'));
    expect(month).to.deep.equal([{ month: '2026-03', network: 'x', usd: 2.98 }]);

    // Later that day: no room for one more look-up; the same contacts still wait.
    world.clock.now = new Date('2026-03-01T18:00:00.000Z');
    const again = await sync();
    expect(again.status).to.equal('budget_reached');
    expect(x.batches.flat()).to.have.length(37);
    expect(again.errorGroups?.find((g) => g.code === 'spend_cap_reached')?.count).to.equal(63);

    // Next month the cap starts over: the 63 waiting contacts are retried ($2.52) and written; the run ends ok.
    world.clock.now = new Date('2026-04-01T00:00:00.000Z');
    const next = await sync();
    expect(next.status).to.equal('ok');
    expect(next.apiCalls.spendCapReached).to.equal(undefined);
    expect(new Set(world.crm.accepted.map((u) => u.id)).size).to.equal(120);
    expect(x.batches.flat()).to.have.length(100);
    expect(next.counts.failed).to.equal(0);
    expect(await world.store.monthlySpend(new Date('2026-04-01T00:00:00.000Z'))).to.deep.equal([
      { month: '2026-04', network: 'x', usd: 2.52 },
    ]);
  });

  it('refuses a monthly spend cap that is not a positive number of dollars, naming the network', async () => {
    world = await makeWorld(1);
    const error = await world.sync({ monthlySpendCapUsd: { x: -5 } }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error?.message).to.match(/^invalid sync options: .*monthlySpendCapUsd\.x/);
  });

  it('a new scoring key (model version or options) re-reads and re-scores every contact once; a dry run keeps the old key', async () => {
    world = await makeWorld(60);
    expect((await world.sync()).readAll, 'the report says why a run read everyone').to.equal('first-run');
    await world.sync(); // reads back our own writes (the memory CRM bumps their modification stamp)
    const quiet = await world.sync();
    expect(quiet.counts.read, 'an incremental run reads nothing new').to.equal(0);
    expect(quiet.readAll).to.equal(undefined);
    // The same model with other options: every score moves by 10 (a tier threshold would move tiers the same way).
    const options2 = (input: ScoreInput) => {
      const result = world.model.score(input);
      return result.score === null ? result : { ...result, score: Math.max(0, result.score - 10) };
    };
    const dry = await world.sync({ dryRun: true }, { scoringKey: 'options-2', score: options2 });
    expect(dry.counts.read).to.equal(60);
    expect(await world.store.getScoringKey(CONNECTION)).to.equal(world.model.version);
    const scoredBefore = world.model.inputs.length;
    const rescored = await world.sync({}, { scoringKey: 'options-2', score: options2 });
    expect(rescored.counts.read).to.equal(60);
    expect(rescored.readAll).to.equal('scoring-changed');
    expect(world.model.inputs.length - scoredBefore, 'unchanged metrics are scored again').to.equal(60);
    expect(rescored.counts.written).to.equal(60);
    const scoredAfterRescore = world.model.inputs.length;
    await world.sync({}, { scoringKey: 'options-2', score: options2 });
    const after = await world.sync({}, { scoringKey: 'options-2', score: options2 });
    expect([after.counts.read, after.counts.written]).to.deep.equal([0, 0]);
    expect(world.model.inputs.length, 'nothing scored again').to.equal(scoredAfterRescore);
    expect((await world.sync({ full: true }, { scoringKey: 'options-2', score: options2 })).readAll).to.equal(
      'requested',
    );
  });

  it('writes every new score once, and an unchanged second run writes 0 records', async () => {
    world = await makeWorld(120);
    const first = await world.sync();
    expect(RunReportSchema.parse(first).status).to.equal('ok');
    expect(first.counts).to.include({ read: 120, written: 120, failed: 0 });
    expect(world.crm.accepted).to.have.length(120);
    expect(first.apiCalls.crm.write, 'pages of 50 fill one call of up to 200').to.equal(1);
    expect(first.apiCalls.providers.bluesky).to.equal(5); // 120 handles / 25 per call

    const scoredBefore = world.model.inputs.length;
    const second = await world.sync();
    expect(second.status).to.equal('ok');
    expect(second.counts.written).to.equal(0);
    expect(world.model.inputs.length).to.equal(scoredBefore); // same inputs, same model: not re-scored
    expect(second.apiCalls.crm.write).to.equal(0);
    // Our own writes bumped the modification stamp: re-read once, but not re-written (no loop).
    expect(second.counts.unchanged).to.equal(second.counts.read);
    expect(second.apiCalls.providers.bluesky).to.equal(0); // cache hit
    expect(world.crm.accepted).to.have.length(120);

    const third = await world.sync();
    expect(third.counts.read).to.equal(0);
  });

  it('counts the outbound requests the guard refused in each run, in the report and its summary', async () => {
    world = await makeWorld(30);
    world.bluesky.refusedHandles.add('user3.bsky.social').add('user7.bsky.social');
    world.bluesky.refused = 5; // refusals before this run (another run of the same process) are not this run's
    const first = await world.sync();
    expect(first.apiCalls.refused).to.equal(2);
    expect(describeRun(first)).to.include('outbound requests refused (hosts from CRM data aimed inward): 2');
    const second = await world.sync();
    expect(second.apiCalls.refused).to.equal(0);
    expect(describeRun(second)).to.not.include('outbound requests refused');
  });

  it('writes only records whose score moved by the threshold or whose tier changed', async () => {
    world = await makeWorld(3);
    await world.sync();
    const scoreOf = (id: string) => world.crm.records.get(id)?.fields.score;
    const before = scoreOf('c00001');
    // Tiny move (< 2 points): not written. Big move: written.
    world.bluesky.followers.set('user1.bsky.social', 101);
    world.bluesky.followers.set('user2.bsky.social', 100_000);
    world.crm.edit('c00001', {});
    world.crm.edit('c00002', {});
    world.clock.now = new Date(world.clock.now.getTime() + 2 * DAY); // provider cache (1 day) expired
    const report = await world.sync();
    expect(report.counts.written).to.equal(1);
    expect(world.crm.writesOf('c00002')).to.have.length(2);
    expect(scoreOf('c00001')).to.equal(before);
  });

  it('records per-record failures and retries them on the next run', async () => {
    world = await makeWorld(30, { pageSize: 10 });
    world.crm.recordFaults.set('c00005', {
      code: 'UNABLE_TO_LOCK_ROW',
      message: 'unable to obtain exclusive access',
      retryable: true,
      times: 1,
    });
    world.crm.recordFaults.set('c00007', {
      code: 'FIELD_INTEGRITY_EXCEPTION',
      message: 'bad value',
      retryable: false,
      times: 99,
    });
    const first = await world.sync();
    expect(first.status).to.equal('partial');
    expect(first.counts).to.include({ written: 28, failed: 2 });
    expect(first.errors.map((e) => [e.recordId, e.stage, e.code, e.retryable])).to.deep.equal([
      ['c00005', 'write', 'UNABLE_TO_LOCK_ROW', true],
      ['c00007', 'write', 'FIELD_INTEGRITY_EXCEPTION', false],
    ]);
    const pending = await world.store.pendingRetries(CONNECTION, 10);
    expect(pending.map((p) => p.recordId)).to.include('c00005');

    const second = await world.sync();
    expect(world.crm.writesOf('c00005')).to.have.length(1);
    expect(world.crm.writesOf('c00007')).to.have.length(0); // non-retryable: reported, not retried
    expect(second.counts.failed).to.equal(0);
    expect((await world.store.pendingRetries(CONNECTION, 10)).map((p) => p.recordId)).to.not.include('c00005');
    expect(world.crm.accepted).to.have.length(29);

    // Edited by a person (who may have fixed the cause): tried once more.
    world.crm.edit('c00007', {});
    const third = await world.sync();
    expect(third.errors.map((e) => e.recordId)).to.deep.equal(['c00007']);
    expect(world.crm.calls.write, 'one write call per run: 30 records fill less than one').to.equal(3);
  });

  it('resumes after a crash at page k+1 with no duplicate and no missing write', async () => {
    world = await makeWorld(50, { pageSize: 10, writeBatchSize: 10 });
    world.crm.crashAfterPages = 2;
    const crashed = await world.sync();
    expect(crashed.status).to.equal('failed');
    expect(crashed.message).to.match(/simulated crash/);
    expect(world.crm.accepted).to.have.length(20);

    world.crm.crashAfterPages = null;
    const resumed = await world.sync();
    expect(resumed.status).to.equal('ok');
    expect(resumed.counts.read).to.equal(30); // pages 3–5 only
    const ids = world.crm.accepted.map((u) => u.id);
    expect(ids).to.have.length(50);
    expect(new Set(ids).size).to.equal(50);
  });

  it('fills whole write calls across pages; a crash loses no write and repeats none (the checkpoint waits for them)', async () => {
    world = await makeWorld(50, { pageSize: 10, writeBatchSize: 25 });
    world.crm.crashAfterPages = 4; // pages 1–4 read: 40 scored, one call of 25 sent, 15 waiting for the next
    const crashed = await world.sync();
    expect(crashed.status).to.equal('failed');
    expect(world.crm.accepted, 'one full call').to.have.length(25);
    expect(world.crm.calls.write).to.equal(1);
    // Pages 1–2 and half of page 3 are acknowledged: the checkpoint is after page 2.
    const checkpoint = JSON.parse((await world.store.getCursor(CONNECTION))!) as { after: string };
    expect(checkpoint.after).to.equal('c00019');

    world.crm.crashAfterPages = null;
    const resumed = await world.sync();
    expect(resumed.status).to.equal('ok');
    expect(resumed.counts.read, 'pages 3–5 read again').to.equal(30);
    expect(resumed.counts.written).to.equal(25);
    expect(resumed.counts.unchanged, 'the written half of page 3 is found unchanged').to.equal(5);
    expect(world.crm.calls.write, 'one full call, then the last one').to.equal(2);
    const ids = world.crm.accepted.map((u) => u.id);
    expect(ids).to.have.length(50);
    expect(new Set(ids).size).to.equal(50);
  });

  it('a crash between write batches of one page does not write the written half again', async () => {
    world = await makeWorld(40, { pageSize: 20, writeBatchSize: 5 });
    world.crm.crashOnWriteCall = 3; // page 1 has batches 1–4: batch 3 dies
    const crashed = await world.sync();
    expect(crashed.status).to.equal('failed');
    expect(world.crm.accepted).to.have.length(10);
    world.crm.crashOnWriteCall = null;
    await world.sync();
    const ids = world.crm.accepted.map((u) => u.id);
    expect(ids).to.have.length(40);
    expect(new Set(ids).size).to.equal(40);
  });

  it('a stop signal ends the run after the page in flight: interrupted, with its counts; the next run starts at once and resumes', async () => {
    world = await makeWorld(50, { pageSize: 10, writeBatchSize: 10 });
    const stop = new AbortController();
    const report = await world.sync(
      {},
      { signal: stop.signal, onProgress: (p) => (p.pages === 2 ? stop.abort('SIGTERM') : undefined) },
    );
    expect(report.status).to.equal('interrupted');
    expect(report.message).to.match(/^interrupted \(SIGTERM\) after 2 page\(s\); the checkpoint is kept/);
    expect(report.counts).to.include({ read: 20, written: 20 });
    expect(report.finishedAt).to.be.a('string');
    expect((await world.store.getRun(report.runId))?.status).to.equal('interrupted');

    const resumed = await world.sync();
    expect(resumed.status, 'the lease was released: no wait for it to expire').to.equal('ok');
    expect(resumed.counts.read).to.equal(30);
    const ids = world.crm.accepted.map((u) => u.id);
    expect(ids).to.have.length(50);
    expect(new Set(ids).size).to.equal(50);
  });

  it('a stop signal abandons a page still waiting on a network (nothing written, checkpoint unchanged)', async () => {
    world = await makeWorld(30, { pageSize: 10, writeBatchSize: 10 });
    const stop = new AbortController();
    let waiting = 0;
    // Bluesky waits for its rate limit's reset, far longer than the run may take to stop.
    const waitingBluesky: ProviderAdapter = {
      network: 'bluesky',
      maxBatch: 25,
      usage: () => world.bluesky.usage(),
      fetchProfiles: async (handles) => {
        waiting += 1;
        if (waiting === 2) setTimeout(() => stop.abort('SIGINT'), 20);
        if (waiting >= 2) await new Promise((resolve) => setTimeout(resolve, 3_000));
        return world.bluesky.fetchProfiles(handles);
      },
    };
    const started = Date.now();
    const report = await world.sync({}, { signal: stop.signal, providers: [waitingBluesky, world.github] });
    expect(Date.now() - started, 'stopped without waiting for the network').to.be.below(2_000);
    expect(report.status).to.equal('interrupted');
    expect(report.counts).to.include({ read: 20, written: 10 });
    expect(world.crm.accepted).to.have.length(10);
    const resumed = await world.sync();
    expect(resumed.counts.read).to.equal(20);
    expect(new Set(world.crm.accepted.map((u) => u.id)).size).to.equal(30);
    expect(world.crm.accepted).to.have.length(30);
  });

  it("a stop signal during a page's writes finishes the write call in flight, records it and stops", async () => {
    world = await makeWorld(40, { pageSize: 20, writeBatchSize: 5 });
    const stop = new AbortController();
    const write = world.crm.writeScores.bind(world.crm);
    world.crm.writeScores = (updates) => {
      if (world.crm.calls.write === 1) stop.abort('SIGTERM'); // during the page's second write call
      return write(updates);
    };
    const report = await world.sync({}, { signal: stop.signal });
    expect(report.status).to.equal('interrupted');
    expect(report.counts.written).to.equal(10);
    expect(world.crm.accepted).to.have.length(10);
    expect(await world.store.getCursor(CONNECTION), 'the page did not finish: no checkpoint').to.equal(null);
    world.crm.writeScores = write;
    await world.sync();
    const ids = world.crm.accepted.map((u) => u.id);
    expect(ids).to.have.length(40);
    expect(new Set(ids).size).to.equal(40);
  });

  it('marks runs a dead process left running abandoned once their lease has expired', async () => {
    world = await makeWorld(5);
    const orphan: RunReport = {
      runId: 'killed-run',
      connection: CONNECTION,
      crm: 'salesforce',
      dryRun: false,
      startedAt: '2026-02-28T12:00:00.000Z',
      finishedAt: null,
      status: 'running',
      counts: { read: 2000, scored: 1900, unscored: 100, written: 1800, unchanged: 200, optedOut: 0, failed: 0 },
      apiCalls: { crm: { read: 1, write: 10, other: 0 }, providers: {} },
      errors: [],
    };
    await world.store.saveRun(orphan);
    expect(await world.store.acquireLease(CONNECTION, 'killed-run', 60)).to.equal(true);
    // While its lease lives, nobody may call it dead.
    try {
      await world.sync();
    } catch {
      // refused: SyncAlreadyRunningError (see the overlap test)
    }
    expect((await world.store.getRun('killed-run'))?.status).to.equal('running');
    await world.store.releaseLease(CONNECTION, 'killed-run'); // as its expiry would
    const report = await world.sync();
    expect(report.status).to.equal('ok');
    const marked = await world.store.getRun('killed-run');
    expect(marked?.status).to.equal('abandoned');
    expect(marked?.counts.written, 'its counts as of its last page are kept').to.equal(1800);
    expect(marked?.message).to.match(/killed or crashed/);
    expect(marked?.finishedAt).to.be.a('string');
  });

  it("saves each finished page's API calls with the run, so a killed run's row shows what it used (refused included)", async () => {
    world = await makeWorld(100, { pageSize: 50 });
    world.bluesky.refusedHandles.add('user3.bsky.social');
    const fetch = world.bluesky.fetchProfiles.bind(world.bluesky);
    let batches = 0;
    let hung: () => void = () => undefined;
    const secondPageHangs = new Promise<void>((resolve) => (hung = resolve));
    // Page 1 is two batches of 25; page 2's first batch never answers, as in a process killed while waiting.
    world.bluesky.fetchProfiles = (handles) => {
      batches += 1;
      if (batches <= 2) return fetch(handles);
      hung();
      return new Promise(() => undefined);
    };
    const stop = new AbortController();
    const run = world.sync({}, { signal: stop.signal });
    await secondPageHangs;
    const [row] = await world.store.listRuns({ connectionId: CONNECTION, status: 'running', limit: 1 });
    stop.abort('SIGTERM');
    await run;
    expect(row?.counts.read).to.equal(50);
    expect(row?.apiCalls.providers.bluesky).to.equal(2);
    expect(row?.apiCalls.refused).to.equal(1);
    expect(row?.apiCalls.crm.read).to.be.greaterThan(0);
  });

  it('refuses to overlap with a run of the same connection', async () => {
    world = await makeWorld(5);
    expect(await world.store.acquireLease(CONNECTION, 'other-process', 60)).to.equal(true);
    let refused: unknown;
    try {
      await world.sync();
    } catch (error) {
      refused = error;
    }
    expect(refused).to.be.instanceOf(SyncAlreadyRunningError);
    expect((refused as Error).message).to.match(/already running/);
    expect(world.crm.calls.read).to.equal(0);
    await world.store.releaseLease(CONNECTION, 'other-process');

    // Two at once: exactly one runs.
    const outcomes = await Promise.allSettled([world.sync(), world.sync()]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).to.have.length(1);
    expect(outcomes.filter((o) => o.status === 'rejected')).to.have.length(1);
    expect(world.crm.accepted).to.have.length(5);
  });

  it("shows the admin's tier labels on the CRM's tier field at the start of a run (not in a dry run); a failure costs only the labels", async () => {
    world = await makeWorld(20);
    const tierLabels = { A: 'Hot', B: 'Warm', C: 'Mild', D: 'Cold', Unscored: 'No profile' };
    await world.sync({ dryRun: true }, { tierLabels });
    expect(world.crm.tierLabelUpdates, 'a dry run changes nothing').to.equal(0);
    const first = await world.sync({}, { tierLabels });
    expect(first.status).to.equal('ok');
    expect(world.crm.tierLabels).to.deep.equal(tierLabels);
    expect(
      world.crm.accepted.every((u) => ['A', 'B', 'C', 'D', 'Unscored'].includes(u.fields.tier!)),
      'values stay letters',
    ).to.equal(true);
    await world.sync({}, { tierLabels });
    expect(world.crm.tierLabelUpdates, 'unchanged labels are not rewritten').to.equal(1);
    world.crm.tierLabelsError = new Error('HTTP 403 MISSING_SCOPES');
    const failed = await world.sync({}, { tierLabels: { ...tierLabels, A: 'Hottest' } });
    expect(failed.status).to.equal('ok');
  });

  it('stops cleanly at the budget floor, keeps the checkpoint and resumes next run', async () => {
    world = await makeWorld(100, { pageSize: 10, writeBatchSize: 10 });
    // 30 calls left of 100: the first run's field check costs one, each page one read and one write; below the
    // floor (< 20%) after 5 pages, and the sixth page, read ahead while the fifth was written, is dropped unprocessed.
    world.crm.budget = { limit: 100, remaining: 30 };
    const stopped = await world.sync();
    expect(stopped.status).to.equal('budget_reached');
    expect(stopped.message, stopped.message).to.match(/budget below the 20% floor \(18 of 100/);
    expect(world.crm.accepted).to.have.length(50);
    expect(world.crm.budget.remaining).to.equal(18);
    expect(stopped.crmBudget, 'the report keeps the budget for the dashboard').to.deep.equal({
      limit: 100,
      remaining: 18,
    });
    expect(await world.store.getCursor(CONNECTION)).to.be.a('string');

    world.crm.budget = { limit: 100, remaining: 100 };
    const resumed = await world.sync();
    expect(resumed.status).to.equal('ok');
    const ids = world.crm.accepted.map((u) => u.id);
    expect(new Set(ids).size).to.equal(100);
    expect(ids).to.have.length(100);
  });

  it("turns the connector's BudgetReachedError and NeedsReauthError into clean stops", async () => {
    world = await makeWorld(10);
    world.crm.failNextCallWith = new BudgetReachedError('daily API limit reached');
    const budget = await world.sync();
    expect(budget.status).to.equal('budget_reached');
    expect(budget.message).to.match(/daily API limit reached/);

    world.crm.failNextCallWith = reauthError();
    const reauth = await world.sync();
    expect(reauth.status).to.equal('needs_reauth');
    expect(reauth.message).to.match(/invalid_grant.*reconnect/);
    expect((await world.store.getConnection(CONNECTION))?.status).to.equal('needs_reauth');
    const runs = await world.store.listRuns({ connectionId: CONNECTION, limit: 10 });
    expect(runs.map((r) => r.status)).to.have.members(['budget_reached', 'needs_reauth']);
  });

  it('schema drift fails the run fast with the field and the fix, checkpoint untouched', async () => {
    world = await makeWorld(30, { pageSize: 10 });
    await world.sync();
    const cursor = await world.store.getCursor(CONNECTION);
    world.crm.failNextCallWith = new SetupError(
      'Salesforce field Contact.Influence_Score__c is missing.',
      'deploy manifests/salesforce',
    );
    const report = await world.sync();
    expect(report.status).to.equal('failed');
    expect(report.message).to.equal(
      'Salesforce field Contact.Influence_Score__c is missing. Fix: deploy manifests/salesforce',
    );
    expect(await world.store.getCursor(CONNECTION)).to.equal(cursor);
  });

  it('tracked (default) never overwrites a value a person edited after our last write; always does', async () => {
    world = await makeWorld(2);
    await world.sync();
    world.crm.edit('c00000', { fields: { score: 99, tier: 'A' } });
    world.bluesky.followers.set('user0.bsky.social', 1_000_000); // our view changes a lot
    world.crm.edit('c00001', {});
    world.bluesky.followers.set('user1.bsky.social', 1_000_000);
    world.clock.now = new Date(world.clock.now.getTime() + 2 * DAY); // provider cache (1 day) expired
    const tracked = await world.sync();
    expect(tracked.counts.failed).to.equal(0);
    const kept = world.crm.records.get('c00000')!.fields;
    expect(kept.score).to.equal(99);
    expect(kept.tier).to.equal('A');
    expect(world.crm.records.get('c00001')!.fields.score).to.equal(100); // not edited: ours to update

    // And on the next runs it stays theirs.
    world.crm.edit('c00000', {});
    await world.sync();
    expect(world.crm.records.get('c00000')!.fields.score).to.equal(99);

    world.crm.edit('c00000', {});
    await world.sync({ overwritePolicy: { score: 'always', tier: 'always' } });
    expect(world.crm.records.get('c00000')!.fields.score).to.equal(100);
  });

  it("clears an opted-out contact's fields once and purges its history", async () => {
    world = await makeWorld(3);
    await world.sync();
    expect(await world.store.getHistory(CONNECTION, 'c00001')).to.have.length(1);
    world.crm.edit('c00001', { doNotProfile: true });
    const fetchesBefore = world.bluesky.batches.flat().length;
    const report = await world.sync();
    expect(report.counts).to.include({ optedOut: 1, written: 1 });
    const fields = world.crm.records.get('c00001')!.fields;
    expect(fields).to.deep.include({
      score: null,
      tier: null,
      confidence: null,
      scoredAt: null,
      topFactors: null,
      reasonCodes: [],
    });
    expect(await world.store.getHistory(CONNECTION, 'c00001')).to.have.length(0);
    const state = (await world.store.getSyncStates(CONNECTION, ['c00001'])).get('c00001');
    expect(state?.lastWritten?.score ?? null).to.equal(null); // we remember only that we cleared it
    expect(state?.fingerprint ?? null).to.equal(null);
    expect(world.bluesky.batches.flat().length - fetchesBefore).to.equal(0); // never profiled

    world.crm.edit('c00001', {});
    const again = await world.sync();
    expect(again.counts.written).to.equal(0);
    expect(world.crm.writesOf('c00001')).to.have.length(2);
  });

  it('a contact with no identity is Unscored (score empty), never D', async () => {
    world = await makeWorld(0);
    world.crm.add('nobody', []);
    world.crm.add('tiny', [{ network: 'github', value: 'tiny' }]);
    world.github.followers.set('tiny', 0);
    const report = await world.sync();
    expect(report.counts).to.include({ unscored: 1, scored: 1 });
    expect(world.crm.records.get('nobody')!.fields).to.include({ score: null, tier: 'Unscored' });
    expect(world.crm.records.get('nobody')!.fields.reasonCodes).to.deep.equal(['NO_IDENTITY']);
    expect(world.crm.records.get('tiny')!.fields).to.include({ score: 0, tier: 'D' });
  });

  it('carries last-good metrics through a provider outage (marked stale) and skips contacts without any', async () => {
    world = await makeWorld(2);
    await world.sync();
    world.crm.add('new', [{ network: 'bluesky', value: 'new.bsky.social' }]);
    world.bluesky.outage = true;
    world.crm.edit('c00000', {});
    world.clock.now = new Date(world.clock.now.getTime() + 2 * DAY); // cache expired (1 day), last good is 2 days old
    world.model.inputs.length = 0;
    const report = await world.sync();
    const staleInputs = world.model.inputs.flatMap((i) => i.networks).filter((n) => n.stale);
    expect(staleInputs.map((n) => n.metrics.handle)).to.include('user0.bsky.social');
    expect(world.crm.records.get('c00000')!.fields.confidence).to.equal('low');
    expect(report.status).to.equal('partial');
    expect(report.errors).to.deep.include({
      recordId: 'new',
      stage: 'provider',
      code: 'provider_unavailable',
      message:
        'no metrics from bluesky (503 from the network) and no last-good data from the past 14 days; retried next run',
      retryable: true,
    });
    expect(world.crm.writesOf('new')).to.have.length(0);

    // Outage over: the skipped contact is retried and scored.
    world.bluesky.outage = false;
    world.bluesky.followers.set('new.bsky.social', 1000);
    await world.sync();
    expect(world.crm.records.get('new')!.fields.score).to.equal(60);
  });

  it('with one network down: a scored contact keeps its score, a new one is scored from the networks that answered', async () => {
    world = await makeWorld(0);
    world.crm.add('old', [
      { network: 'bluesky', value: 'old.bsky.social' },
      { network: 'github', value: 'old' },
    ]);
    world.bluesky.followers.set('old.bsky.social', 100);
    world.github.followers.set('old', 100_000);
    await world.sync();
    expect(world.crm.records.get('old')!.fields.score).to.equal(100);

    world.github.outage = true;
    world.crm.edit('old', {
      handles: [
        { network: 'bluesky', value: 'old.bsky.social' },
        { network: 'github', value: 'renamed' },
      ],
    });
    world.crm.add('new', [
      { network: 'bluesky', value: 'new.bsky.social' },
      { network: 'github', value: 'new' },
    ]);
    world.bluesky.followers.set('new.bsky.social', 1000);
    const report = await world.sync();
    expect(world.crm.records.get('old')!.fields.score).to.equal(100); // not dragged down to the Bluesky-only 40
    expect(report.errors.map((e) => [e.recordId, e.code])).to.deep.equal([['old', 'provider_unavailable']]);
    expect(world.crm.records.get('new')!.fields.score).to.equal(60);
  });

  it('caches ok answers per network TTL and not-found answers for the shorter negative TTL', async () => {
    world = await makeWorld(0);
    world.crm.add('found', [{ network: 'bluesky', value: 'found.bsky.social' }]);
    world.crm.add('typo', [{ network: 'bluesky', value: 'tpyo.bsky.social' }]);
    world.bluesky.followers.set('found.bsky.social', 100);
    const options = { providerTtlSeconds: { bluesky: 7 * 86_400 }, negativeTtlSeconds: 86_400 };
    await world.sync(options);
    world.crm.edit('found', {});
    world.crm.edit('typo', {});
    world.clock.now = new Date(world.clock.now.getTime() + 2 * DAY);
    world.bluesky.batches.length = 0;
    await world.sync(options);
    expect(world.bluesky.batches).to.deep.equal([['tpyo.bsky.social']]);
  });

  it('a provider that throws (bad credentials) is treated as an outage, not a crash', async () => {
    world = await makeWorld(3);
    world.bluesky.broken = true;
    const report = await world.sync();
    expect(report.status).to.equal('partial');
    expect(report.counts.failed).to.equal(3);
    expect(report.errors[0]?.code).to.equal('provider_unavailable');
  });

  it('counts every failure by problem in errorGroups, also past the capped list of failed records', async () => {
    world = await makeWorld(30);
    world.bluesky.outage = true;
    const report = await world.sync({ maxReportedErrors: 4 });
    expect(report.counts.failed).to.equal(30);
    expect(report.errors).to.have.length(4);
    expect(report.errorGroups?.map((g) => [g.stage, g.code, g.count])).to.deep.equal([
      ['provider', 'provider_unavailable', 30],
    ]);
    expect(RunReportSchema.parse(report).errorGroups?.[0]?.message).to.match(/no metrics from bluesky/);
  });

  it('keeps its lease while a page waits longer than the lease on a network (a rate-limit reset), real clock', async function () {
    this.timeout(20_000);
    world = await makeWorld(5);
    const leaseSeconds = 5;
    // Bluesky answers only after more than a lease's time, as when its window is spent and the adapter waits.
    const slowBluesky: ProviderAdapter = {
      network: 'bluesky',
      maxBatch: 25,
      usage: () => world.bluesky.usage(),
      fetchProfiles: async (handles) => {
        await new Promise((resolve) => setTimeout(resolve, (leaseSeconds + 1) * 1000));
        return world.bluesky.fetchProfiles(handles);
      },
    };
    const running = world.sync({ leaseTtlSeconds: leaseSeconds }, { providers: [slowBluesky, world.github] });
    await new Promise((resolve) => setTimeout(resolve, (leaseSeconds + 0.5) * 1000));
    expect(await world.store.acquireLease(CONNECTION, 'another-run', leaseSeconds), 'the lease is still held').to.equal(
      false,
    );
    const report = await running;
    expect(report.status).to.equal('ok');
    expect(report.counts.written).to.equal(5);
  });

  it('a page waits for a slow network only so long: it writes what it scored, checkpoints, and retries the rest next run', async () => {
    world = await makeWorld(0, { pageSize: 10 });
    for (let i = 0; i < 20; i++) {
      const id = `c${String(i).padStart(5, '0')}`;
      // Even contacts: Bluesky only; odd ones: Bluesky and GitHub.
      world.crm.add(id, [
        { network: 'bluesky', value: `@user${i}.bsky.social` },
        ...(i % 2 === 1 ? [{ network: 'github' as const, value: `gh${i}` }] : []),
      ]);
      world.bluesky.followers.set(`user${i}.bsky.social`, 1000);
      world.github.followers.set(`gh${i}`, 50);
    }
    let githubBatches = 0;
    let githubInFlight = 0;
    let githubMostInFlight = 0;
    // GitHub waits for its rate limit's reset, much longer than a page may wait.
    const stalledGitHub: ProviderAdapter = {
      network: 'github',
      maxBatch: 1,
      usage: () => world.github.usage(),
      fetchProfiles: async (handles) => {
        githubBatches += 1;
        githubInFlight += 1;
        githubMostInFlight = Math.max(githubMostInFlight, githubInFlight);
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        githubInFlight -= 1;
        return world.github.fetchProfiles(handles);
      },
    };
    const started = Date.now();
    const report = await world.sync(
      { networkWaitSeconds: 0.2, concurrency: 2 },
      { providers: [world.bluesky, stalledGitHub] },
    );
    expect(Date.now() - started, 'two pages, each waiting 0.2 s, not 1.5 s per batch').to.be.below(1_200);
    expect(report.status).to.equal('partial');
    expect(report.counts).to.include({ read: 20, written: 10, failed: 10 });
    expect(world.crm.accepted.map((u) => u.id).every((id) => Number(id.slice(1)) % 2 === 0)).to.equal(
      true,
      'a contact waiting on a network is not scored without it',
    );
    expect(report.errorGroups?.[0]).to.include({ code: 'provider_unavailable', retryable: true, count: 10 });
    expect(report.errorGroups?.[0]?.message).to.match(
      /^no metrics from github \(no answer within 0.2 s \(rate limit\)\)/,
    );
    expect(await world.store.getCursor(CONNECTION)).to.not.equal(null);
    // The stalled batches of page 1 still hold GitHub's lanes: page 2 queued nothing more behind them.
    expect(githubMostInFlight).to.be.at.most(2);
    expect(githubBatches).to.be.below(10);

    // Next run, GitHub answers: the waiting contacts are retried and written, each once.
    await new Promise((resolve) => setTimeout(resolve, 1_600)); // the stalled look-ups settle (and are cached)
    const next = await world.sync({}, { providers: [world.bluesky, world.github] });
    expect(next.counts.failed).to.equal(0);
    const ids = world.crm.accepted.map((u) => u.id);
    expect(new Set(ids).size).to.equal(20);
    expect(ids).to.have.length(20);
  });

  it('pages do not wait again for a network whose every lane still holds a batch an earlier page gave up on', async () => {
    world = await makeWorld(60, { pageSize: 10 });
    let release = (): void => undefined;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    const stuckBluesky: ProviderAdapter = {
      network: 'bluesky',
      maxBatch: 25,
      usage: () => world.bluesky.usage(),
      fetchProfiles: async (handles) => {
        calls += 1;
        await stuck;
        return world.bluesky.fetchProfiles(handles);
      },
    };
    const started = Date.now();
    const report = await world.sync(
      { networkWaitSeconds: 0.4, concurrency: 1 },
      { providers: [stuckBluesky, world.github] },
    );
    const seconds = (Date.now() - started) / 1000;
    release();
    expect(report.counts).to.include({ read: 60, written: 0, failed: 60 });
    expect(calls, 'one batch holds the only lane; no page queued another').to.equal(1);
    expect(seconds, 'six pages: only the first waited 0.4 s').to.be.below(1.2);
  });

  it('a dry run writes nothing, keeps the cursor and reports what it would write', async () => {
    world = await makeWorld(12);
    const report = await world.sync({ dryRun: true });
    expect(report.dryRun).to.equal(true);
    expect(report.counts.written, 'a dry run writes nothing').to.equal(0);
    expect(report.counts.wouldWrite, 'what a run would write').to.equal(12);
    expect(world.crm.accepted).to.have.length(0);
    expect(await world.store.getCursor(CONNECTION)).to.equal(null);
    expect((await world.store.getSyncStates(CONNECTION, ['c00000'])).size).to.equal(0);
  });

  it('rejects a malformed record naming the field, and keeps going', async () => {
    world = await makeWorld(2);
    const original = world.crm.readContacts.bind(world.crm);
    world.crm.readContacts = async function* (cursor, options) {
      for await (const page of original(cursor, options)) {
        yield {
          ...page,
          contacts: [...page.contacts, { ...page.contacts[0]!, id: 'broken', modifiedAt: 'yesterday' }],
        };
      }
    };
    const report = await world.sync();
    expect(report.counts).to.include({ written: 2, failed: 1 });
    expect(report.errors[0]).to.include({
      recordId: 'broken',
      stage: 'read',
      code: 'invalid_record',
      retryable: false,
    });
    expect(report.errors[0]?.message).to.match(/modifiedAt/);
  });

  it('re-scores a contact past the refresh interval and refreshes its date even when the score is unchanged', async () => {
    world = await makeWorld(1);
    await world.sync();
    world.clock.now = new Date(world.clock.now.getTime() + 8 * DAY);
    const report = await world.sync();
    expect(report.counts.read).to.equal(1);
    expect(report.counts.written).to.equal(1);
    expect(world.crm.records.get('c00000')!.fields.scoredAt).to.equal(world.clock.now.toISOString());
    const next = await world.sync();
    expect(next.counts.written).to.equal(0);
  });

  it('prunes history older than the retention', async () => {
    world = await makeWorld(1);
    await world.store.appendHistory(CONNECTION, [
      { recordId: 'c00000', at: '2023-01-01T00:00:00.000Z', score: 10, tier: 'D' },
    ]);
    await world.sync({ historyMonths: 24 });
    const history = await world.store.getHistory(CONNECTION, 'c00000');
    expect(history.map((h) => h.at)).to.not.include('2023-01-01T00:00:00.000Z');
    expect(history).to.have.length(1);
  });

  it('a targeted run (webhook) reads only the given records and leaves the checkpoint alone', async () => {
    world = await makeWorld(30, { pageSize: 10 });
    await world.sync();
    const cursor = await world.store.getCursor(CONNECTION);
    world.bluesky.followers.set('user3.bsky.social', 5_000_000);
    world.clock.now = new Date(world.clock.now.getTime() + 2 * DAY);
    const report = await world.sync({ ids: ['c00003', 'c00004'] });
    expect(report.counts.read).to.equal(2);
    expect(report.counts.written).to.equal(1);
    expect(world.crm.writesOf('c00003')).to.have.length(2);
    expect(await world.store.getCursor(CONNECTION)).to.equal(cursor);
  });

  it('validates options, naming the bad one', async () => {
    world = await makeWorld(0);
    let error: unknown;
    try {
      await world.sync({ budgetFloor: 2 });
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).to.match(/budgetFloor/);
  });

  it('saves the run report at start, after each page (its counts so far) and at the end; reports progress per page and after the last writes', async () => {
    world = await makeWorld(25, { pageSize: 10 });
    const saved: string[] = [];
    const saveRun = world.store.saveRun.bind(world.store);
    world.store.saveRun = (report) => {
      saved.push(report.status);
      return saveRun(report);
    };
    const progress: [number, number][] = [];
    const report = await world.sync({}, { onProgress: (p) => progress.push([p.counts.read, p.counts.written]) });
    expect(saved).to.deep.equal(['running', 'running', 'running', 'running', 'ok']);
    const stored = await world.store.getRun(report.runId);
    expect(stored?.status).to.equal('ok');
    expect(stored?.finishedAt).to.be.a('string');
    // 25 writes fill no call of 200: they go out together at the end.
    expect(progress).to.deep.equal([
      [10, 0],
      [20, 0],
      [25, 0],
      [25, 25],
    ]);
  });
});
