// The real sync engine with the real HubSpot connector against the sandbox portal (deterministic model and
// provider doubles from test/sync): an unchanged second run writes nothing; a crash mid-run resumes without loss.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import type { ContactPage, CrmConnector, ReadOptions, ScoreUpdate } from '../../../src/crm/contract.ts';
import { resolveIdentities } from '../../../src/identity/index.ts';
import type { ProviderAdapter, ProviderResult } from '../../../src/providers/contract.ts';
import type { HubSpotSandbox } from '../../../src/sandbox/hubspot/index.ts';
import type { Network } from '../../../src/scoring/types.ts';
import { SqliteStore } from '../../../src/store/sqlite.ts';
import { runSync } from '../../../src/sync/engine.ts';
import { metricsFor, TestModel } from '../../sync/doubles.ts';
import { connectorFor, startPortal } from './helpers.ts';

const CONNECTION = 'hubspot-e2e';

/** Every handle exists, with a follower count derived from the handle (stable across runs). */
class HashProvider implements ProviderAdapter {
  calls = 0;
  readonly network: Network;
  readonly maxBatch: number;

  constructor(network: Network, maxBatch = 100) {
    this.network = network;
    this.maxBatch = maxBatch;
  }
  fetchProfiles(handles: readonly string[]): Promise<Map<string, ProviderResult>> {
    this.calls += 1;
    return Promise.resolve(
      new Map(
        handles.map((h): [string, ProviderResult] => {
          const followers = createHash('sha256').update(h).digest().readUInt32BE(0) % 100_000;
          return [h, { status: 'ok', metrics: metricsFor(this.network, h, followers) }];
        }),
      ),
    );
  }
  usage() {
    return { calls: this.calls };
  }
}

/** Wraps a connector and dies like a killed process: after N pages read, or on the Nth write call. */
class Crashing implements CrmConnector {
  readonly crm;
  readonly writeBatchSize: number;
  writes = 0;
  private readonly inner: CrmConnector;
  private readonly crash: { afterPages?: number; onWrite?: number };

  constructor(inner: CrmConnector, crash: { afterPages?: number; onWrite?: number }) {
    this.inner = inner;
    this.crash = crash;
    this.crm = inner.crm;
    this.writeBatchSize = inner.writeBatchSize;
  }
  checkSetup() {
    return this.inner.checkSetup();
  }
  async *readContacts(cursor: string | null, options: ReadOptions): AsyncIterable<ContactPage> {
    let pages = 0;
    for await (const page of this.inner.readContacts(cursor, options)) {
      if (this.crash.afterPages !== undefined && options.ids === undefined && pages === this.crash.afterPages)
        throw new Error('simulated crash while reading');
      pages += 1;
      yield page;
    }
  }
  async writeScores(updates: readonly ScoreUpdate[]) {
    this.writes += 1;
    const results = await this.inner.writeScores(updates);
    // The CRM accepted the batch, then the process died before recording it.
    if (this.writes === this.crash.onWrite) throw new Error('simulated crash after a write');
    return results;
  }
  apiUsage() {
    return this.inner.apiUsage();
  }
}

describe('HubSpot connector + sync engine (end to end)', function () {
  this.timeout(60_000);
  let dir: string;
  let store: SqliteStore;
  let sandbox: HubSpotSandbox;
  const model = new TestModel();
  const providers = (['x', 'github', 'mastodon', 'bluesky', 'youtube'] as const).map((n) => new HashProvider(n));

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-hs-e2e-'));
    store = await SqliteStore.open(path.join(dir, 'store.db'), { secretKey: randomBytes(32) });
    await store.saveConnection({
      id: CONNECTION,
      crm: 'hubspot',
      name: 'Sandbox portal',
      status: 'ok',
      statusMessage: null,
      credentials: {},
      settings: {},
    });
    sandbox = await startPortal(700);
    await connectorFor(sandbox).installFields();
    sandbox.control.resetCounters();
  });
  afterEach(async () => {
    await store.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sync = (connector: CrmConnector) =>
    runSync(
      { store, connector, providers, resolveIdentities, score: model.score, scoringKey: model.version },
      { connectionId: CONNECTION, leaseTtlSeconds: 5 },
    );
  const scored = (ids: readonly string[]) =>
    ids.filter((id) => sandbox.control.value(id, 'influence_scored_at') !== null);
  const allIds = Array.from({ length: 700 }, (_, i) => String(i + 1));

  it('a first run into a portal without our properties stops before reading anyone, naming the fix (no network budget spent)', async () => {
    const bare = await startPortal(50);
    try {
      const before = providers.map((p) => p.calls);
      const report = await sync(connectorFor(bare));
      expect(report.status).to.equal('failed');
      expect(report.message)
        .to.include('contact.influence_score cannot be written')
        .and.include('crm-influence fields install --crm hubspot');
      expect(report.counts.read).to.equal(0);
      expect(
        providers.map((p) => p.calls),
        'no network was called',
      ).to.deep.equal(before);
      expect(bare.counters.recordsWritten).to.equal(0);
      // Once the properties are installed, the next run is still a first run and goes through.
      await connectorFor(bare).installFields();
      const fixed = await sync(connectorFor(bare));
      expect(fixed.status, fixed.message).to.equal('ok');
      expect(fixed.counts.read).to.equal(50);
    } finally {
      await bare.close();
    }
  });

  it("writes every contact once; an unchanged second run writes nothing; a person's edit writes only that contact", async () => {
    const connector = connectorFor(sandbox);
    const first = await sync(connector);
    expect(first.status, first.message).to.equal('ok');
    expect(first.counts.read).to.equal(700);
    expect(first.counts.written).to.be.greaterThan(600);
    expect(sandbox.counters.largestBatch).to.be.at.most(100);
    const writtenOnce = sandbox.counters.recordsWritten;
    expect(writtenOnce).to.equal(first.counts.written);

    const scoredBefore = model.inputs.length;
    const second = await sync(connector);
    expect(second.status, second.message).to.equal('ok');
    expect(second.counts.written).to.equal(0);
    expect(sandbox.counters.recordsWritten).to.equal(writtenOnce);
    expect(second.apiCalls.crm.write).to.equal(0);
    // HubSpot's search finds every contact we wrote again (our write moved its lastmodifieddate); its stamp is still
    // the one our write's answer gave it, so it is known for our own write and not processed.
    expect(second.ownWritesSkipped, 'our own writes, recognised').to.equal(writtenOnce);
    expect(second.counts.read, 'contacts processed on an unchanged portal').to.equal(0);
    expect(second.counts.unchanged).to.equal(0);
    expect(model.inputs.length, 'nobody re-scored').to.equal(scoredBefore);

    const someone =
      allIds.find(
        (id) =>
          sandbox.control.value(id, 'influence_do_not_profile') !== 'true' &&
          sandbox.control.value(id, 'github_handle') === null,
      ) ?? '1';
    await sandbox.control.editContact(someone, { github_handle: 'torvalds' });
    const third = await sync(connector);
    expect(third.status, third.message).to.equal('ok');
    expect(third.counts.read).to.equal(1);
    expect(third.counts.written).to.equal(1);
    expect(third.ownWritesSkipped).to.equal(undefined);
    // The contact a person edited, then we wrote: our write comes back alone, and is skipped.
    const fourth = await sync(connector);
    expect([fourth.counts.read, fourth.ownWritesSkipped]).to.deep.equal([0, 1]);
    expect(sandbox.control.value(someone, 'influence_score')).to.not.equal(null);
  });

  it('forgets contacts deleted or merged away between runs: no state, score or e-mail of them outlives the next run', async () => {
    const connector = connectorFor(sandbox);
    expect((await sync(connector)).status).to.equal('ok');
    const held = async (ids: string[]) => [...(await store.getSyncStates(CONNECTION, ids)).keys()].sort();
    expect(await held(['20', '21', '30'])).to.deep.equal(['20', '21', '30']);
    const email = sandbox.control.value('30', 'email') ?? '';
    expect(await store.findRecordIdsByEmail?.(CONNECTION, email)).to.deep.equal([
      { connectionId: CONNECTION, recordId: '30' },
    ]);
    // A person deletes one contact and merges two in the HubSpot UI; no webhook reaches us.
    sandbox.control.archiveContact('30');
    await sandbox.control.mergeContacts('20', '21');
    const second = await sync(connector);
    expect(second.status, second.message).to.equal('ok');
    expect(await held(['20', '21', '30'])).to.deep.equal(['20']);
    expect(await store.getHistory(CONNECTION, '21')).to.deep.equal([]);
    expect(await store.findRecordIdsByEmail?.(CONNECTION, email)).to.deep.equal([]);
  });

  it('a crash while reading resumes from the checkpoint: every contact scored, none written twice', async () => {
    const crashed = await sync(new Crashing(connectorFor(sandbox), { afterPages: 3 }));
    expect(crashed.status).to.equal('failed');
    expect(crashed.message).to.match(/simulated crash/);
    const afterCrash = sandbox.counters.recordsWritten;
    expect(afterCrash).to.be.greaterThan(0);
    const resumed = await sync(connectorFor(sandbox));
    expect(resumed.status, resumed.message).to.equal('ok');
    // Resumed after page 2 or 3 of 7 (writes fill whole calls across pages: the checkpoint waits for a page's last
    // writes): the first 200 contacts are not read again.
    expect(resumed.counts.read).to.be.within(400, 500);
    const optedOut = allIds.filter((id) => sandbox.control.value(id, 'influence_do_not_profile') === 'true');
    expect(scored(allIds)).to.have.length(700 - optedOut.length);
    expect(sandbox.counters.recordsWritten).to.equal(700 - optedOut.length);
  });

  it('a crash right after a batch was accepted loses nothing; at most that batch is written again', async () => {
    const crashed = await sync(new Crashing(connectorFor(sandbox), { onWrite: 3 }));
    expect(crashed.status).to.equal('failed');
    const resumed = await sync(connectorFor(sandbox));
    expect(resumed.status, resumed.message).to.equal('ok');
    const optedOut = allIds.filter((id) => sandbox.control.value(id, 'influence_do_not_profile') === 'true');
    expect(scored(allIds)).to.have.length(700 - optedOut.length);
    expect(sandbox.counters.recordsWritten - (700 - optedOut.length)).to.be.within(0, 100);
  });
});
