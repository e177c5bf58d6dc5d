// The engine with the real parts: the Salesforce connector (jsforce) against the Salesforce emulator, the Bluesky
// and GitHub adapters against their emulators, the real identity resolver and the real model, on the SQLite store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import { SalesforceConnector } from '../../connectors/salesforce/index.ts';
import { resolveIdentities } from '../../src/identity/index.ts';
import { BlueskyAdapter } from '../../src/providers/bluesky.ts';
import { GitHubAdapter } from '../../src/providers/github.ts';
import type { BlueskySandbox } from '../../src/sandbox/networks/bluesky.ts';
import { startBlueskySandbox } from '../../src/sandbox/networks/bluesky.ts';
import type { GitHubSandbox } from '../../src/sandbox/networks/github.ts';
import { startGitHubSandbox } from '../../src/sandbox/networks/github.ts';
import { createPopulation } from '../../src/sandbox/population.ts';
import type { SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { SandboxOrg, startSalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { createScorer, MODEL_VERSION } from '../../src/scoring/index.ts';
import type { RunReport } from '../../src/store/run-report.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { runSync } from '../../src/sync/engine.ts';

const CONNECTION = 'sf-sandbox';

describe('sync engine with the real connector, adapters and model (sandbox)', function () {
  this.timeout(60_000);
  const population = createPopulation({ seed: 'sync-integration', size: 400 });
  let dir: string;
  let store: SqliteStore;
  let sf: SalesforceSandbox;
  let bluesky: BlueskySandbox;
  let github: GitHubSandbox;
  let sync: () => Promise<RunReport>;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-sync-it-'));
    store = await SqliteStore.open(path.join(dir, 'store.db'));
    await store.saveConnection({
      id: CONNECTION,
      crm: 'salesforce',
      name: 'Sandbox org',
      status: 'ok',
      statusMessage: null,
      credentials: {},
      settings: {},
    });
    sf = await startSalesforceSandbox({ population });
    bluesky = await startBlueskySandbox({ population });
    github = await startGitHubSandbox({ population });
    const score = createScorer();
    sync = () => {
      // A fresh connector and adapters per run, as each CLI run or scheduled tick has.
      const connector = new SalesforceConnector({
        instanceUrl: sf.url,
        loginUrl: sf.url,
        apiVersion: '64.0',
        clientId: sf.env.SALESFORCE_CLIENT_ID!,
        clientSecret: sf.env.SALESFORCE_CLIENT_SECRET!,
        accessToken: sf.env.SALESFORCE_ACCESS_TOKEN!,
        refreshToken: sf.env.SALESFORCE_REFRESH_TOKEN!,
      });
      const providers = [
        new BlueskyAdapter({ baseUrl: bluesky.env.BLUESKY_API_BASE_URL, postSample: 5 }),
        new GitHubAdapter({ baseUrl: github.env.GITHUB_API_BASE_URL, token: github.env.GITHUB_TOKEN }),
      ];
      return runSync(
        { store, connector, providers, resolveIdentities, score, scoringKey: MODEL_VERSION },
        { connectionId: CONNECTION },
      );
    };
  });
  after(async () => {
    await Promise.all([sf?.close(), bluesky?.close(), github?.close()]);
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scores and writes every contact and lead on the first run, then writes nothing on an unchanged second run', async () => {
    const first = await sync();
    // Only provider gaps (a network without last-good data) may fail records; never the CRM side.
    expect(first.errors.filter((e) => e.stage !== 'provider')).to.deep.equal([]);
    expect(first.status, first.message).to.be.oneOf(['ok', 'partial']);
    expect(first.counts.read).to.be.greaterThan(0);
    expect(first.counts.written).to.be.greaterThan(0);
    expect(first.counts.scored).to.be.greaterThan(0);
    expect(first.counts.unscored).to.be.greaterThan(0); // people without any handle
    expect(sf.counters.recordsWritten).to.equal(first.counts.written);
    // Writes in collections of up to 200 (Composite: 5 per call): calls ≤ ⌈written / 200⌉.
    expect(first.apiCalls.crm.write).to.be.at.most(Math.ceil(first.counts.written / 200));
    expect(first.apiCalls.providers.bluesky).to.be.greaterThan(0);

    const writtenBefore = sf.counters.recordsWritten;
    const second = await sync();
    expect(second.status, second.message).to.be.oneOf(['ok', 'partial']);
    expect(second.counts.written).to.equal(0);
    expect(sf.counters.recordsWritten).to.equal(writtenBefore);
  });

  it('keeps a score a person typed in (tracked), and the run after writes nothing again', async () => {
    const id = firstWrittenId();
    sf.control.editRecord(id, { Influence_Score__c: 99 });
    const report = await sync();
    expect(report.counts.written).to.equal(0);
    expect(sf.control.record(id)?.Influence_Score__c).to.equal(99);
  });

  it('a NUL byte or a broken character in a record fails that record alone (through jsforce and the real reader)', async () => {
    const org = sf.control.org;
    const ids = [0, 1].map((index) => SandboxOrg.idOf(org.objectTypeOf(index), index));
    sf.control.editRecord(ids[0]!, { Email: 'ada\u0000@example.com' });
    sf.control.editRecord(ids[1]!, { LastName: 'Love\uD800lace' });
    const report = await sync();
    expect(report.status).to.equal('partial');
    const read = report.errors.filter((e) => e.stage === 'read');
    expect(read.map((e) => e.recordId).sort()).to.deep.equal([...ids].sort());
    expect(read.map((e) => e.message).join('\n')).to.match(/email: contains a NUL byte/);
    expect(read.map((e) => e.message).join('\n')).to.match(/name: contains a broken character/);
    expect(await store.getCursor(CONNECTION), 'the page is checkpointed').to.not.equal(null);
  });

  function firstWrittenId(): string {
    const org = sf.control.org;
    for (let index = 0; index < org.size; index++) {
      const id = SandboxOrg.idOf(org.objectTypeOf(index), index);
      const score = sf.control.record(id)?.Influence_Score__c;
      if (typeof score === 'number' && score !== 99) return id;
    }
    throw new Error('no scored record in the sandbox org');
  }
});
