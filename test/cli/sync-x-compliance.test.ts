// `crm-influence sync` with X on: after its run, the X accounts it holds data about go through X's compliance job
// (the X twin), and what it held about those X names (here: one suspended since it was cached) is gone.

import { expect } from 'chai';

import { startXSandbox, type XSandbox } from '../../src/sandbox/networks/x.ts';
import { createPopulation } from '../../src/sandbox/population.ts';
import { RunReportSchema } from '../../src/store/run-report.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { type CliResult, type CliWorld, startCliWorld } from './world.ts';

describe('crm-influence sync: X compliance step (sandbox)', function () {
  this.timeout(90_000);
  const population = createPopulation({ seed: 'cli-x-compliance', size: 120 });
  let world: CliWorld;
  let env: Record<string, string>;
  let x: XSandbox;
  const cli = (args: string[]): Promise<CliResult> => world.cli(args);
  const openStore = () =>
    SqliteStore.open(env.CRM_INFLUENCE_DB!, { secretKey: Buffer.from(env.CRM_INFLUENCE_SECRET_KEY!, 'hex') });

  before(async () => {
    x = await startXSandbox({ population });
    world = await startCliWorld('x-compliance', population, { timeoutMs: 80_000, more: [x] });
    ({ env } = world);
  });
  after(() => world?.close());

  it('forgets the data of an X account suspended since it was read, after the run, and keeps the rest', async () => {
    const first = await cli(['sync', '--crm', 'salesforce', '--once', '--json']);
    expect(first.code, first.stderr).to.equal(0);
    const report = RunReportSchema.parse(JSON.parse(first.stdout));
    // The report's estimated X spend is what X's pay-per-use prices make of what the twin served.
    const billed = x.billed();
    expect(report.apiCalls.estimatedSpendUsd?.x).to.be.closeTo(
      billed.userReads * 0.01 + billed.postReads * 0.005,
      0.001,
    );
    expect(billed.userReads).to.be.greaterThan(0);
    let store = await openStore();
    const held = await store.cachedAccountIds('x');
    await store.close();
    expect(held.size, 'the run read X accounts').to.be.greaterThan(2);
    const [suspendedId, suspendedHandles] = [...held][0]!;
    x.compliance.setEvent(suspendedId, 'suspended');
    const jobsBefore = x.compliance.jobsCreated();

    const second = await cli(['sync', '--crm', 'salesforce', '--once', '--json']);
    expect(second.code, second.stderr).to.equal(0);
    expect(x.compliance.jobsCreated()).to.equal(jobsBefore + 1);
    store = await openStore();
    try {
      const after = await store.cachedAccountIds('x');
      expect(after.has(suspendedId)).to.equal(false);
      expect(after.size).to.equal(held.size - 1);
      expect((await store.getLastGood('x', suspendedHandles)).size).to.equal(0);
    } finally {
      await store.close();
    }
  });
});
