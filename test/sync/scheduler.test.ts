import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import type { RunReport } from '../../src/store/run-report.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { SyncAlreadyRunningError } from '../../src/sync/engine.ts';
import type { TickOutcome } from '../../src/sync/scheduler.ts';
import { SyncScheduler } from '../../src/sync/scheduler.ts';

function report(): RunReport {
  return {
    runId: 'r',
    connection: 'c1',
    crm: 'hubspot',
    dryRun: false,
    startedAt: new Date().toISOString(),
    finishedAt: new Date().toISOString(),
    status: 'ok',
    counts: { read: 0, scored: 0, unscored: 0, written: 0, unchanged: 0, optedOut: 0, failed: 0 },
    apiCalls: { crm: { read: 0, write: 0, other: 0 }, providers: {} },
    errors: [],
  };
}

describe('sync scheduler', function () {
  this.timeout(20_000);
  let dir: string;
  let store: SqliteStore;
  let scheduler: SyncScheduler | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-sched-'));
    store = await SqliteStore.open(path.join(dir, 'store.db'));
    await store.saveConnection({
      id: 'c1',
      crm: 'hubspot',
      name: 'Portal',
      status: 'ok',
      statusMessage: null,
      credentials: {},
      settings: {},
    });
  });
  afterEach(async () => {
    await scheduler?.stop();
    scheduler = undefined;
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects a bad schedule naming the variable', () => {
    expect(() => new SyncScheduler({ schedule: 'daily', store })).to.throw(
      /CRM_INFLUENCE_SCHEDULE: "daily" is not a cron expression/,
    );
  });

  it('shows the next run from the cron expression', () => {
    scheduler = new SyncScheduler({ schedule: '0 3 * * *', store, timezone: 'UTC' });
    scheduler.add('c1', () => Promise.resolve(report()));
    const next = scheduler.nextRun('c1');
    expect(next).to.be.instanceOf(Date);
    expect(next!.getTime()).to.be.greaterThan(Date.now());
    expect(next!.getUTCHours()).to.equal(3);
    expect(next!.getUTCMinutes()).to.equal(0);
    expect(scheduler.nextRun('unknown')).to.equal(null);
  });

  it('skips a tick while the previous run of the connection is still going', async () => {
    scheduler = new SyncScheduler({ schedule: '0 3 * * *', store });
    let release!: () => void;
    let runs = 0;
    scheduler.add('c1', () => {
      runs += 1;
      return new Promise<RunReport>((resolve) => {
        release = () => resolve(report());
      });
    });
    const first = scheduler.tick('c1');
    await new Promise((r) => setTimeout(r, 20));
    const second = await scheduler.tick('c1');
    expect(second).to.deep.equal({ outcome: 'skipped', reason: 'still_running' });
    release();
    expect((await first).outcome).to.equal('ran');
    expect(runs).to.equal(1);
  });

  it('skips when another process holds the lease, and while the connection needs re-auth', async () => {
    scheduler = new SyncScheduler({ schedule: '0 3 * * *', store });
    let calls = 0;
    scheduler.add('c1', () => {
      calls += 1;
      return Promise.reject(new SyncAlreadyRunningError('c1'));
    });
    expect(await scheduler.tick('c1')).to.deep.equal({ outcome: 'skipped', reason: 'lease_held' });
    await store.setConnectionStatus('c1', 'needs_reauth', 'invalid_grant');
    expect(await scheduler.tick('c1')).to.deep.equal({ outcome: 'skipped', reason: 'needs_reauth' });
    expect(calls).to.equal(1);
  });

  it('runs on the cron schedule', async () => {
    const ticks: TickOutcome[] = [];
    scheduler = new SyncScheduler({ schedule: '* * * * * *', store, onTick: (_id, outcome) => ticks.push(outcome) });
    scheduler.add('c1', () => Promise.resolve(report()));
    await new Promise((r) => setTimeout(r, 2_300));
    expect(ticks.filter((t) => t.outcome === 'ran').length).to.be.at.least(1);
  });
});
