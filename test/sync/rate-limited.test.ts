// A rate-limited network must not starve a run: the real Salesforce connector, X and Bluesky adapters against their
// emulators, X answering 429 (with a 60 s reset) on every 9th call. Pages write what they could score and save their
// checkpoint; contacts waiting on X are retried by the next run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import { SalesforceConnector } from '../../connectors/salesforce/index.ts';
import { resolveIdentities } from '../../src/identity/index.ts';
import { BlueskyAdapter } from '../../src/providers/bluesky.ts';
import { XAdapter } from '../../src/providers/x.ts';
import type { BlueskySandbox } from '../../src/sandbox/networks/bluesky.ts';
import { startBlueskySandbox } from '../../src/sandbox/networks/bluesky.ts';
import type { XSandbox } from '../../src/sandbox/networks/x.ts';
import { startXSandbox } from '../../src/sandbox/networks/x.ts';
import { createPopulation } from '../../src/sandbox/population.ts';
import type { SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { startSalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { createScorer, MODEL_VERSION } from '../../src/scoring/index.ts';
import type { RunReport } from '../../src/store/run-report.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { runSync } from '../../src/sync/engine.ts';

const CONNECTION = 'sf-rate-limited';
const CONTACTS = 3_000;
const WAIT_SECONDS = 3;

describe('a rate-limited network does not starve a run (sandbox, X answering 429 on every 9th call)', function () {
  this.timeout(120_000);
  const population = createPopulation({ seed: 'rate-limited', size: CONTACTS });
  let dir: string;
  let store: SqliteStore;
  let sf: SalesforceSandbox;
  let x: XSandbox;
  let bluesky: BlueskySandbox;
  let sync: () => Promise<RunReport>;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-rate-limited-'));
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
    // Slow too (1 s a call): a batch of 100 handles and their timelines takes far longer than a page's wait.
    x = await startXSandbox({ population, faults: { status429: 9, latencyMs: 1_000 } });
    bluesky = await startBlueskySandbox({ population });
    const score = createScorer();
    sync = () =>
      runSync(
        {
          store,
          connector: new SalesforceConnector({
            instanceUrl: sf.url,
            loginUrl: sf.url,
            apiVersion: '64.0',
            clientId: sf.env.SALESFORCE_CLIENT_ID!,
            clientSecret: sf.env.SALESFORCE_CLIENT_SECRET!,
            accessToken: sf.env.SALESFORCE_ACCESS_TOKEN!,
            refreshToken: sf.env.SALESFORCE_REFRESH_TOKEN!,
          }),
          providers: [
            new XAdapter({ baseUrl: x.env.X_API_BASE_URL, bearerToken: x.env.X_BEARER_TOKEN }),
            new BlueskyAdapter({ baseUrl: bluesky.env.BLUESKY_API_BASE_URL, postSample: 5 }),
          ],
          resolveIdentities,
          score,
          scoringKey: MODEL_VERSION,
        },
        { connectionId: CONNECTION, networkWaitSeconds: WAIT_SECONDS },
      );
  });
  after(async () => {
    await Promise.all([sf?.close(), x?.close(), bluesky?.close()]);
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes what it scored page by page, saves its checkpoint, and leaves the contacts waiting on X to the next run', async () => {
    const started = Date.now();
    const first = await sync();
    const seconds = (Date.now() - started) / 1000;
    expect(x.counters.snapshot().served429, 'X did rate-limit the run').to.be.greaterThan(0);
    expect(first.status, first.message).to.equal('partial');
    // Two pages of 2,000, each waiting at most WAIT_SECONDS on the networks (today: one 60 s reset per 9 X calls).
    expect(seconds, 'the run is not held by X').to.be.below(45);
    expect(first.counts.read).to.equal(CONTACTS);
    expect(first.counts.written).to.be.greaterThan(CONTACTS / 2);
    expect(sf.counters.recordsWritten).to.equal(first.counts.written);
    expect(await store.getCursor(CONNECTION), 'the checkpoint is saved').to.not.equal(null);
    // Waiting on X's limit past the page's wait, or told by X's client that its limit resets too late.
    const waiting = first.errorGroups?.filter((g) => g.code === 'provider_unavailable') ?? [];
    expect(
      waiting.map((g) => g.message),
      JSON.stringify(waiting),
    ).to.include(
      'no metrics from x (no answer within 3 s (rate limit)) and no last-good data from the past 14 days; retried next run',
    );
    expect(waiting.every((g) => g.retryable)).to.equal(true);
    // Every contact accounted for: written, retried next run, or nothing to write (opted-out ones included).
    expect(first.counts.written + first.counts.failed + first.counts.unchanged).to.equal(CONTACTS);
    const retries = await store.pendingRetries(CONNECTION, CONTACTS);
    expect(retries.length, 'each contact waiting on X is retried next run').to.equal(first.counts.failed);

    // The next run retries them first: X answers some more of them (its cache keeps what came late).
    const second = await sync();
    expect(second.counts.written, 'the next run writes more of them').to.be.greaterThan(0);
    expect(sf.counters.recordsWritten).to.equal(first.counts.written + second.counts.written);
  });
});
