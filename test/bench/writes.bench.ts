// `npm run bench writes`: CRM write calls of whole sync runs against their minimum. The real engine, connectors,
// identity resolution and model against the Salesforce and HubSpot sandboxes; the networks are in-memory doubles
// that leave a quarter of the handles unanswered (as a rate-limited network does), so pages have holes: a page's
// last write call goes out part full unless writes fill whole calls across pages.
// Minimum write calls: ⌈written ÷ records per call⌉ per object (Salesforce: 1,000 per Composite call of 5
// collections, Contacts and Leads counted apart; HubSpot: 100 per batch update).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { createHubSpotConnector } from '../../connectors/hubspot/index.ts';
import { SalesforceConnector } from '../../connectors/salesforce/index.ts';
import type { CrmConnector, ScoreUpdate, WriteResult } from '../../src/crm/contract.ts';
import { resolveIdentities } from '../../src/identity/index.ts';
import type { ProviderAdapter, ProviderResult } from '../../src/providers/contract.ts';
import { startHubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { createPopulation } from '../../src/sandbox/population.ts';
import { startSalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { createScorer, MODEL_VERSION } from '../../src/scoring/index.ts';
import type { Network } from '../../src/scoring/types.ts';
import { NETWORKS } from '../../src/scoring/types.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { runSync } from '../../src/sync/engine.ts';

const SIZES = (process.env.WRITES_BENCH_SIZES ?? '5000,100000').split(',').map(Number);
const UNANSWERED = 0.25;

/** Every handle has 1,000 followers, except a stable quarter the network does not answer this run. */
function answeringNetwork(network: Network): ProviderAdapter {
  let calls = 0;
  return {
    network,
    maxBatch: 100,
    usage: () => ({ calls }),
    fetchProfiles: (handles) => {
      calls += 1;
      const results = new Map<string, ProviderResult>();
      for (const handle of handles) {
        const unanswered = [...handle].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 1000, 7) / 1000 < UNANSWERED;
        results.set(
          handle,
          unanswered
            ? { status: 'unavailable', reason: 'rate limited' }
            : {
                status: 'ok',
                metrics: {
                  network,
                  handle,
                  followers: 1_000,
                  following: 100,
                  posts: 50,
                  recentPosts: [],
                  fetchedAt: new Date().toISOString(),
                },
              },
        );
      }
      return Promise.resolve(results);
    },
  };
}

/** The connector, counting each acknowledged write by object. */
function counting(inner: CrmConnector, written: Map<string, number>): CrmConnector {
  return {
    crm: inner.crm,
    writeBatchSize: inner.writeBatchSize,
    checkSetup: () => inner.checkSetup(),
    readContacts: (cursor, options) => inner.readContacts(cursor, options),
    apiUsage: () => inner.apiUsage(),
    writeScores: async (updates: readonly ScoreUpdate[]): Promise<WriteResult[]> => {
      const results = await inner.writeScores(updates);
      results.forEach((result, i) => {
        const object = updates[i]!.objectType;
        if (result.ok) written.set(object, (written.get(object) ?? 0) + 1);
      });
      return results;
    },
    ...(inner.installFields ? { installFields: () => inner.installFields!() } : {}),
  };
}

async function measure(crm: 'salesforce' | 'hubspot', size: number, perCall: number): Promise<void> {
  const population = createPopulation({ seed: `bench-writes-${size}`, size });
  const dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-bench-writes-'));
  const store = await SqliteStore.open(path.join(dir, 'store.db'));
  let close: () => Promise<void>;
  let connector: CrmConnector;
  if (crm === 'salesforce') {
    const sf = await startSalesforceSandbox({ population, apiQuota: 10_000_000 });
    close = () => sf.close();
    connector = new SalesforceConnector({
      instanceUrl: sf.url,
      loginUrl: sf.url,
      apiVersion: '64.0',
      clientId: sf.env.SALESFORCE_CLIENT_ID!,
      clientSecret: sf.env.SALESFORCE_CLIENT_SECRET!,
      accessToken: sf.env.SALESFORCE_ACCESS_TOKEN!,
      refreshToken: sf.env.SALESFORCE_REFRESH_TOKEN!,
      // Every record through Composite calls (the engine never hands over more than one call's worth).
      bulkWriteThreshold: 1_000_000,
    });
  } else {
    const portal = await startHubSpotSandbox({ population, tenSecondLimit: 100_000, searchPerSecond: 1_000 });
    close = () => portal.close();
    const hubspot = createHubSpotConnector({
      baseUrl: portal.url,
      auth: { kind: 'private', accessToken: portal.env.HUBSPOT_ACCESS_TOKEN },
      searchIndexLagMs: 0,
    });
    await hubspot.installFields();
    connector = hubspot;
  }
  try {
    const connection = `${crm}-bench`;
    await store.saveConnection({
      id: connection,
      crm,
      name: 'bench',
      status: 'ok',
      statusMessage: null,
      credentials: {},
      settings: {},
    });
    const written = new Map<string, number>();
    const started = performance.now();
    const writesBefore = connector.apiUsage().calls.write;
    const report = await runSync(
      {
        store,
        connector: counting(connector, written),
        providers: NETWORKS.map(answeringNetwork),
        resolveIdentities,
        score: createScorer(),
        scoringKey: MODEL_VERSION,
      },
      { connectionId: connection },
    );
    const seconds = (performance.now() - started) / 1000;
    const calls = connector.apiUsage().calls.write - writesBefore;
    const minimum = [...written.values()].reduce((sum, n) => sum + Math.ceil(n / perCall), 0);
    const objects = [...written.entries()].map(([object, n]) => `${object} ${n.toLocaleString('en')}`).join(', ');
    console.log(
      `${crm.padEnd(10)} ${size.toLocaleString('en').padStart(7)} contacts  written ${report.counts.written.toLocaleString('en')} (${objects}), ` +
        `${report.counts.failed.toLocaleString('en')} waiting on a network  write calls ${calls} vs minimum ${minimum}: ` +
        `${(calls / Math.max(1, minimum)).toFixed(3)}× (target ≤ 1.05×)  ${seconds.toFixed(1)} s`,
    );
  } finally {
    await store.close();
    await close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  console.log(
    `write calls of one first run vs the minimum per object; ${UNANSWERED * 100} % of handles unanswered (holes in every page)`,
  );
  for (const size of SIZES) await measure('salesforce', size, 1_000);
  for (const size of SIZES) await measure('hubspot', size, 100);
}
