// End to end: the real sync engine with the real Salesforce connector (real jsforce) against the sandbox org, a
// deterministic test model and networks that know every handle.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import type { ContactPage, CrmConnector, ReadOptions } from '../../../src/crm/contract.ts';
import type { RunReport } from '../../../src/store/run-report.ts';
import { SqliteStore } from '../../../src/store/sqlite.ts';
import { runSync } from '../../../src/sync/engine.ts';
import { resolveTestIdentities, TestModel } from '../../sync/doubles.ts';
import type { World } from './world.ts';
import { EveryoneProvider, makeWorld, orgIds, ORGS } from './world.ts';

const CONNECTION = 'sf-e2e';

/** The connector, except that the process "dies" when asked for page number `crashAt` (0-based). */
function crashing(inner: CrmConnector, crashAt: number): CrmConnector {
  return {
    crm: inner.crm,
    // Write calls of one collection (200), so that some are sent before the crash (the engine fills whole calls
    // across pages: 3 pages of 200 would not fill one of 1,000).
    writeBatchSize: Math.min(inner.writeBatchSize, 200),
    checkSetup: () => inner.checkSetup(),
    writeScores: (updates) => inner.writeScores(updates),
    apiUsage: () => inner.apiUsage(),
    readContacts: (cursor: string | null, options: ReadOptions): AsyncIterable<ContactPage> => ({
      async *[Symbol.asyncIterator]() {
        let n = 0;
        for await (const page of inner.readContacts(cursor, options)) {
          if (n++ === crashAt && !options.ids) throw new Error('simulated crash');
          yield page;
        }
      },
    }),
  };
}

describe('sync engine + Salesforce connector + sandbox (end to end)', function () {
  this.timeout(60_000);
  let dir: string;
  let store: SqliteStore;
  let world: World;
  const model = new TestModel();
  const providers = (['x', 'github', 'mastodon', 'bluesky', 'youtube'] as const).map((n) => new EveryoneProvider(n));

  async function sync(connector: CrmConnector = world.connector): Promise<RunReport> {
    return runSync(
      {
        store,
        connector,
        providers,
        resolveIdentities: resolveTestIdentities,
        score: model.score,
        scoringKey: model.version,
      },
      { connectionId: CONNECTION },
    );
  }

  function scoredCount(): number {
    const ids = orgIds(world.sandbox);
    return [...ids.Contact, ...ids.Lead].filter((id) => world.sandbox.control.record(id)!.Influence_Tier__c !== null)
      .length;
  }

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-sf-e2e-'));
    store = await SqliteStore.open(path.join(dir, `store-${randomBytes(4).toString('hex')}.db`), {
      secretKey: randomBytes(32),
    });
    await store.saveConnection({
      id: CONNECTION,
      crm: 'salesforce',
      name: 'Sandbox org',
      status: 'ok',
      statusMessage: null,
      credentials: {},
      settings: {},
    });
  });
  afterEach(async () => {
    await store.close();
    await world.sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('first run writes every score at ⌈N/1000⌉ write calls; an unchanged second run reads and writes nothing', async () => {
    world = await makeWorld(1500, {}, { queryBatchSize: 500 });
    const first = await sync();
    expect(first.status).to.equal('ok');
    expect(first.counts.read).to.equal(1500);
    const written = first.counts.written;
    expect(written).to.be.greaterThan(1400); // all but the opted-out, never-scored ones
    expect(world.sandbox.counters.recordsWritten).to.equal(written);
    expect(scoredCount()).to.equal(written);
    expect(first.apiCalls.crm.write).to.be.at.most(Math.ceil(1500 / 500) + 1); // one Composite call per page of ≤ 1,000

    const writesBefore = world.sandbox.counters.recordsWritten;
    const apiBefore = world.sandbox.counters.apiCalls;
    const second = await sync(world.reconnect());
    expect(second.status).to.equal('ok');
    // Only records we did not write (opted out, never scored) whose stamp falls in the one-minute overlap come back.
    expect(second.counts.read).to.be.at.most(1500 - written);
    expect(second.counts.written).to.equal(0);
    expect(world.sandbox.counters.recordsWritten).to.equal(writesBefore);
    // One Composite call carrying both objects' queries, plus finding the integration user once per connector.
    expect(world.sandbox.counters.apiCalls - apiBefore).to.be.at.most(2);
  });

  it('tracked: a value a person typed into an influence field survives the next run', async () => {
    world = await makeWorld(400);
    await sync();
    const ids = orgIds(world.sandbox);
    const target = ids.Contact.find((id) => world.sandbox.control.record(id)!.Influence_Tier__c !== null)!;
    const ours = world.sandbox.control.record(target)!;
    const personTier = ours.Influence_Tier__c === 'A' ? 'D' : 'A';
    world.sandbox.control.editRecord(target, {
      Influence_Tier__c: personTier,
      X_Handle__c: '@a_much_more_famous_account',
    });
    const second = await sync();
    expect(second.status).to.equal('ok');
    expect(second.counts.read).to.be.at.least(1);
    expect(world.sandbox.control.record(target)!.Influence_Tier__c).to.equal(personTier);
  });

  it('a crash mid-run resumes from the checkpoint: nothing missing, nothing written twice', async () => {
    world = await makeWorld(1200, {}, { queryBatchSize: 200 });
    const crashed = await sync(crashing(world.connector, 3));
    expect(crashed.status).to.equal('failed');
    const afterCrash = world.sandbox.counters.recordsWritten;
    expect(afterCrash).to.be.greaterThan(0);
    expect(afterCrash).to.be.lessThan(1200);
    const resumed = await sync(world.reconnect());
    expect(resumed.status).to.equal('ok');
    expect(resumed.counts.read).to.be.lessThan(1200);
    const total = world.sandbox.counters.recordsWritten;
    expect(scoredCount()).to.equal(total); // each written record written exactly once
    const third = await sync(world.reconnect());
    expect(third.counts.written).to.equal(0);
    // Everyone but the opted-out, never-scored people carries a score.
    const ids = orgIds(world.sandbox);
    const unscored = [...ids.Contact, ...ids.Lead].filter(
      (id) => world.sandbox.control.record(id)!.Influence_Tier__c === null,
    );
    for (const id of unscored) {
      const record = world.sandbox.control.record(id)!;
      const individual = world.sandbox.control.record(String(record.IndividualId))!;
      expect(record.Influence_Do_Not_Profile__c === true || individual.HasOptedOutProfiling === true, id).to.equal(
        true,
      );
    }
  });

  it('per-record errors land in the run report and are retried next run', async () => {
    world = await makeWorld(300);
    const ids = orgIds(world.sandbox);
    world.sandbox.control.faults.addRecordFault({ code: 'UNABLE_TO_LOCK_ROW', ids: [ids.Contact[2]!], times: 4 });
    world.sandbox.control.faults.addRecordFault({
      code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
      ids: [ids.Contact[3]!],
      message: 'Tier needs approval',
    });
    const first = await sync();
    expect(first.status).to.equal('partial');
    const codes = Object.fromEntries(first.errors.map((e) => [e.recordId, e]));
    expect(codes[ids.Contact[2]!]).to.deep.include({ stage: 'write', code: 'UNABLE_TO_LOCK_ROW', retryable: true });
    expect(codes[ids.Contact[3]!]).to.deep.include({
      stage: 'write',
      code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
      retryable: false,
    });
    const second = await sync(world.reconnect());
    expect(world.sandbox.control.record(ids.Contact[2]!)!.Influence_Tier__c).to.not.equal(null);
    expect(second.errors.map((e) => e.recordId)).to.not.include(ids.Contact[2]);
  });

  it('day one in the strict org; then deleted, merged and converted records leave no rows, scores or e-mails behind', async () => {
    world = await makeWorld(600, ORGS.strict);
    const first = await sync();
    expect(first.status).to.equal('ok');
    expect(first.counts.read).to.equal(600);
    const ids = orgIds(world.sandbox);
    const [deleted, master, loser] = ids.Contact;
    const lead = ids.Lead[0]!;
    const gone = [deleted!, loser!, lead];
    const emails = gone.map((id) => String(world.sandbox.control.record(id)!.Email).toLowerCase());
    expect((await store.getSyncStates(CONNECTION, gone)).size).to.equal(3);
    expect(await store.findRecordIdsByEmail(CONNECTION, emails[0]!)).to.have.length(1);

    world.sandbox.control.deleteRecord(deleted!);
    world.sandbox.control.mergeRecords(master!, [loser!]);
    world.sandbox.control.convertLead(lead, master);
    const second = await sync(world.reconnect());
    expect(second.status).to.equal('ok');
    expect((await store.getSyncStates(CONNECTION, gone)).size).to.equal(0);
    for (const id of gone) expect(await store.getHistory(CONNECTION, id)).to.deep.equal([]);
    for (const email of emails) expect(await store.findRecordIdsByEmail(CONNECTION, email)).to.deep.equal([]);
    expect((await store.getSyncStates(CONNECTION, [master!])).size).to.equal(1);
  });
});
