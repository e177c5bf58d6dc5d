// `crm-influence sync` with X on: after its run, the X accounts it holds data about go through X's compliance job
// (the X twin), and what it held about those X names (here: one suspended since it was cached) is gone, and the
// Salesforce records scored from it are rewritten without it in the same pass (every other record untouched).

import { expect } from 'chai';

import { SALESFORCE_FIELDS } from '../../connectors/salesforce/field-map.ts';
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

  const factorsOf = (fields: Record<string, unknown> | undefined): string => {
    const value = fields?.[SALESFORCE_FIELDS.topFactors];
    return typeof value === 'string' ? value : '';
  };

  /** Every record's influence fields in the Salesforce emulator, by id (what a person sees on the records). */
  async function crmFields(): Promise<Map<string, Record<string, unknown>>> {
    const store = await openStore();
    try {
      const ids = await store.sql().query<{ record_id: string }>('SELECT record_id FROM contact_sync_state');
      return new Map(
        ids.map(({ record_id: id }) => {
          const record = world.salesforce.control.record(id) ?? {};
          const fields = Object.fromEntries(
            Object.values(SALESFORCE_FIELDS)
              .filter((f) => f !== SALESFORCE_FIELDS.scoredAt)
              .map((f) => [f, record[f] ?? null]),
          );
          return [id, fields];
        }),
      );
    } finally {
      await store.close();
    }
  }

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

  it('rewrites the CRM fields of the contacts scored from a suspended X account in the same pass, and no others', async () => {
    const first = await cli(['sync', '--crm', 'salesforce', '--once', '--json']);
    expect(first.code, first.stderr).to.equal(0);
    let store = await openStore();
    const held = await store.cachedAccountIds('x');
    const scoredOnX = await store.contactsScoredOn('x');
    await store.close();
    // A contact whose factor lines name X: the account behind its handle gets suspended.
    const before = await crmFields();
    const flagged = scoredOnX.find((c) => factorsOf(before.get(c.recordId)).includes(' X:'));
    expect(flagged, 'a contact scored with an X factor line').to.not.equal(undefined);
    const handle = flagged!.handles[0]!;
    const accountId = [...held].find(([, handles]) => handles.includes(handle))?.[0];
    expect(accountId, `the account id of ${handle}`).to.be.a('string');
    // Every contact scored from that handle (a population may share one), in this connection.
    const affected = new Set(scoredOnX.filter((c) => c.handles.includes(handle)).map((c) => c.recordId));
    x.compliance.setEvent(accountId!, 'suspended');

    // A dry run changes nothing: nothing forgotten, nothing written.
    const writtenBefore = world.salesforce.counters.recordsWritten;
    const dry = await cli(['sync', '--crm', 'salesforce', '--once', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).to.equal(0);
    expect(world.salesforce.counters.recordsWritten).to.equal(writtenBefore);
    store = await openStore();
    expect((await store.cachedAccountIds('x')).has(accountId!), 'still held after a dry run').to.equal(true);
    await store.close();
    expect(await crmFields()).to.deep.equal(before);

    const second = await cli(['sync', '--crm', 'salesforce', '--once', '--json']);
    expect(second.code, second.stderr).to.equal(0);
    const report = RunReportSchema.parse(JSON.parse(second.stdout));
    expect(report.counts.written, 'the run itself wrote nothing new').to.equal(0);
    const after = await crmFields();
    const changed = [...after.keys()].filter((id) => JSON.stringify(after.get(id)) !== JSON.stringify(before.get(id)));
    expect(new Set(changed)).to.deep.equal(affected);
    expect(world.salesforce.counters.recordsWritten - writtenBefore, 'one write per affected contact').to.equal(
      affected.size,
    );
    for (const id of affected) {
      const fields = after.get(id)!;
      expect(factorsOf(fields), id).to.not.include(' X:');
      expect(fields[SALESFORCE_FIELDS.score], id).to.not.equal(before.get(id)![SALESFORCE_FIELDS.score]);
    }
    store = await openStore();
    try {
      expect((await store.contactsScoredOn('x')).filter((c) => affected.has(c.recordId))).to.deep.equal([]);
      expect((await store.cachedAccountIds('x')).has(accountId!)).to.equal(false);
    } finally {
      await store.close();
    }

    // Done once: the next pass finds nothing left to re-score.
    const writtenAfter = world.salesforce.counters.recordsWritten;
    const third = await cli(['sync', '--crm', 'salesforce', '--once', '--json']);
    expect(third.code, third.stderr).to.equal(0);
    expect(world.salesforce.counters.recordsWritten).to.equal(writtenAfter);
  });
});
