// The lift table against a world with a known answer: the sandbox CRMs' deals are won with a probability planted on
// each contact's latent influence. Read through the real connectors, stored in a real store, computed by the lift
// room: where influence matters, the top tier wins more and each tier's interval holds the win probability the
// generator used for that tier's deals; where it does not (effect 0), no tier differs from the rest.
import { randomBytes } from 'node:crypto';

import { expect } from 'chai';

import { SalesforceConnector } from '../../connectors/salesforce/index.ts';
import type { CrmConnector } from '../../src/crm/contract.ts';
import type { LiftReport } from '../../src/lift/index.ts';
import type { SandboxDeal } from '../../src/sandbox/deals.ts';
import { startHubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { createPopulation } from '../../src/sandbox/population.ts';
import { startSalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import type { Tier } from '../../src/scoring/types.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { refreshLift } from '../../src/sync/lift.ts';
import { connectorFor } from '../connectors/hubspot/helpers.ts';

const SIZE = 12_000;

/** The tier the model would see: latent influence through a noisy channel, cut at fixed points. */
function tierOf(latent: number, index: number): { tier: Tier; score: number } {
  const noisy = 0.8 * latent + 0.6 * Math.sin(index * 12.9898 + 78.233);
  const score = Math.max(0, Math.min(100, Math.round(45 + 20 * noisy)));
  return { tier: score >= 70 ? 'A' : score >= 50 ? 'B' : score >= 30 ? 'C' : 'D', score };
}

async function world(crm: 'salesforce' | 'hubspot', effect: number) {
  const population = createPopulation({ seed: `lift-planted-${crm}`, size: SIZE });
  const store = await SqliteStore.open(':memory:', { secretKey: randomBytes(32) });
  let connector: CrmConnector;
  let deals: () => SandboxDeal[];
  let close: () => Promise<void>;
  let idOf: (person: number) => string;
  if (crm === 'salesforce') {
    const sandbox = await startSalesforceSandbox({ population, deals: { effect } });
    connector = new SalesforceConnector({
      instanceUrl: sandbox.url,
      loginUrl: sandbox.url,
      clientId: sandbox.env.SALESFORCE_CLIENT_ID,
      clientSecret: sandbox.env.SALESFORCE_CLIENT_SECRET,
      accessToken: sandbox.env.SALESFORCE_ACCESS_TOKEN,
      refreshToken: sandbox.env.SALESFORCE_REFRESH_TOKEN,
    });
    deals = () => sandbox.control.deals();
    close = () => sandbox.close();
    idOf = (i) => `003SB${String(i).padStart(13, '0')}`;
  } else {
    const sandbox = await startHubSpotSandbox({
      population,
      deals: { effect },
      searchPerSecond: 50,
      tenSecondLimit: 1000,
    });
    connector = connectorFor(sandbox, { searchPerSecond: 50, tenSecondLimit: 1000 });
    deals = () => sandbox.control.deals();
    close = () => sandbox.close();
    idOf = (i) => String(i + 1);
  }
  await store.putSyncStates(
    'c1',
    Array.from({ length: SIZE }, (_, i) => {
      const { tier, score } = tierOf(population.latentInfluence(i), i);
      return {
        recordId: idOf(i),
        objectType: 'Contact',
        lastWritten: {
          score,
          tier,
          confidence: 'high' as const,
          scoredAt: '2026-11-01T00:00:00.000Z',
          topFactors: null,
          reasonCodes: [],
          trend: null,
          orgPercentile: null,
        },
        writtenAt: null,
        fingerprint: null,
      };
    }),
  );
  const { report } = await refreshLift(connector, store.outcomes, 'c1', { full: true });
  /** The generator's mean win probability over the closed deals credited to each tier (a deal's first contact). */
  const truth = new Map<string, { sum: number; n: number }>();
  for (const deal of deals()) {
    if (!deal.isClosed || deal.secondPersonIndex !== null) continue;
    const { tier } = tierOf(population.latentInfluence(deal.personIndex), deal.personIndex);
    const t = truth.get(tier) ?? { sum: 0, n: 0 };
    truth.set(tier, { sum: t.sum + deal.winProbability, n: t.n + 1 });
  }
  await store.close();
  await close();
  return { report, truth: (tier: string) => truth.get(tier)!.sum / truth.get(tier)!.n };
}

function expectWithin(report: LiftReport, truth: (tier: string) => number): void {
  for (const row of report.tiers) {
    const p = truth(row.group);
    expect(row.winRateInterval, `tier ${row.group}`).not.to.equal(null);
    expect(p, `tier ${row.group}: true ${p.toFixed(3)} in ${JSON.stringify(row.winRateInterval)}`).to.be.within(
      row.winRateInterval!.low,
      row.winRateInterval!.high,
    );
  }
}

for (const crm of ['salesforce', 'hubspot'] as const) {
  describe(`lift: a planted effect is found, and none where there is none (${crm})`, function () {
    this.timeout(120_000);

    it('effect 1.0 (log-odds per SD of influence): tier A higher, tier D lower, each interval holds the truth', async () => {
      const { report, truth } = await world(crm, 1.0);
      expect(report.org.closed).to.be.greaterThan(1000);
      expect(report.tiers.map((r) => r.verdict)).to.deep.equal(['higher', 'higher', 'lower', 'lower']);
      expect(report.tiers[0]!.lift!).to.be.greaterThan(1.5);
      expectWithin(report, truth);
    });

    it('effect 0: every tier shows no clear difference, and each interval holds the base rate', async () => {
      const { report, truth } = await world(crm, 0);
      expect(report.tiers.map((r) => r.verdict)).to.deep.equal(Array(4).fill('no clear difference'));
      expectWithin(report, truth);
      for (const row of report.tiers) expect(truth(row.group)).to.be.closeTo(0.3, 1e-9);
    });
  });
}
