// The lift step after each run: it stores a fresh table after a finished run, reads only what changed the next time,
// skips dry runs, stops at the budget floor, and never fails the run (a portal without the deals scope is logged).
import { randomBytes } from 'node:crypto';

import { expect } from 'chai';

import type { RunReport } from '../../src/store/run-report.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { liftAfterRun, refreshLift } from '../../src/sync/lift.ts';
import { connectorFor, startPortal } from '../connectors/hubspot/helpers.ts';
import { makeWorld } from '../connectors/salesforce/world.ts';

function finished(connection: string, dryRun = false): RunReport {
  const now = new Date().toISOString();
  return {
    runId: 'r1',
    connection,
    crm: 'salesforce',
    dryRun,
    startedAt: now,
    finishedAt: now,
    status: 'ok',
    counts: { read: 0, scored: 0, unscored: 0, written: 0, unchanged: 0, optedOut: 0, failed: 0 },
    apiCalls: { crm: { read: 0, write: 0, other: 0 }, providers: {} },
    errors: [],
  };
}

const logs: { level: string; msg: string | undefined }[] = [];
const logger = {
  info: (_o: object, msg?: string) => void logs.push({ level: 'info', msg }),
  warn: (_o: object, msg?: string) => void logs.push({ level: 'warn', msg }),
  error: (_o: object, msg?: string) => void logs.push({ level: 'error', msg }),
  debug: () => undefined,
};

describe('lift: after each run', function () {
  this.timeout(60_000);

  it('stores a table after a finished run, then reads only what changed; nothing for a dry run', async () => {
    const world = await makeWorld(300);
    const store = await SqliteStore.open(':memory:', { secretKey: randomBytes(32) });
    try {
      expect(await liftAfterRun(world.connector, store, finished('c1', true), logger, 0.2)).to.equal(null);
      expect(await store.outcomes.latestReport('c1')).to.equal(null);
      const first = await liftAfterRun(world.connector, store, finished('c1'), logger, 0.2);
      expect(first!.read).to.equal(world.sandbox.control.deals().length);
      expect(first!.calls).to.equal(1);
      expect(await store.outcomes.latestReport('c1')).not.to.equal(null);
      const second = await liftAfterRun(world.connector, store, finished('c1'), logger, 0.2);
      expect(second!.read).to.be.at.most(2);
      expect((await store.outcomes.list('c1')).length).to.equal(first!.read);
    } finally {
      await store.close();
      await world.sandbox.close();
    }
  });

  it('a portal without the deals scope: logged, the run is not failed', async () => {
    const sandbox = await startPortal(50, {
      privateAppScopes: ['crm.objects.contacts.read', 'crm.objects.contacts.write', 'crm.schemas.contacts.read'],
    });
    const store = await SqliteStore.open(':memory:', { secretKey: randomBytes(32) });
    try {
      logs.length = 0;
      expect(await liftAfterRun(connectorFor(sandbox), store, finished('h1'), logger, 0.2)).to.equal(null);
      expect(logs).to.deep.include({ level: 'warn', msg: 'revenue lift not refreshed' });
    } finally {
      await store.close();
      await sandbox.close();
    }
  });

  it('stops at the budget floor', async () => {
    const sandbox = await startPortal(6000, { dailyLimit: 1000, searchPerSecond: 50, tenSecondLimit: 1000 });
    const store = await SqliteStore.open(':memory:', { secretKey: randomBytes(32) });
    try {
      sandbox.control.setDailyRemaining(150);
      const connector = connectorFor(sandbox, { searchPerSecond: 50, tenSecondLimit: 1000 });
      const refreshed = await refreshLift(connector, store.outcomes, 'h1', { full: false, budgetFloor: 0.2 });
      expect(refreshed.budgetReached).to.equal(true);
      // The first 1,000 deals (one association batch) are kept; the read stops before the next.
      expect(refreshed.read).to.equal(1000);
      expect(sandbox.control.deals().length).to.be.greaterThan(1000);
    } finally {
      await store.close();
      await sandbox.close();
    }
  });
});
