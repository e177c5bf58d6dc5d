import { expect } from 'chai';

import type { Outcome } from '../../src/crm/outcomes.ts';
import type { ScoredContact } from '../../src/lift/index.ts';
import {
  computeLift,
  liftCsv,
  liftTableText,
  rateDifference,
  scoreBand,
  wilson,
  Z95,
  zFor,
} from '../../src/lift/index.ts';

function deal(id: string, contactIds: string[], won: boolean | null, extra: Partial<Outcome> = {}): Outcome {
  return {
    id,
    contactIds,
    pipeline: null,
    stage: won === null ? 'Prospecting' : won ? 'Closed Won' : 'Closed Lost',
    isClosed: won !== null,
    isWon: won === true,
    amount: 1000,
    createdAt: '2026-01-01T00:00:00.000Z',
    closeDate: won === null ? null : '2026-01-31',
    modifiedAt: '2026-02-01T00:00:00.000Z',
    ...extra,
  };
}

describe('lift: intervals', () => {
  it('Wilson matches the published values and stays inside [0, 1]', () => {
    // Newcombe (1998) table I: 81/263 → 0.2553–0.3662; 0/10 → 0–0.2775; 10/10 → 0.7225–1.
    const a = wilson(81, 263)!;
    expect(a.low).to.be.closeTo(0.2553, 1e-4);
    expect(a.high).to.be.closeTo(0.3662, 1e-4);
    expect(wilson(0, 10)).to.deep.equal({ low: 0, high: wilson(0, 10)!.high });
    expect(wilson(0, 10)!.high).to.be.closeTo(0.2775, 1e-4);
    expect(wilson(10, 10)!.low).to.be.closeTo(0.7225, 1e-4);
    expect(wilson(10, 10)!.high).to.equal(1);
    expect(wilson(0, 0)).to.equal(null);
  });

  it("Newcombe's difference interval matches the paper's example (56/70 vs 48/80)", () => {
    const d = rateDifference(56, 70, 48, 80)!;
    expect(d.estimate).to.be.closeTo(0.2, 1e-9);
    expect(d.low).to.be.closeTo(0.0524, 1e-4);
    expect(d.high).to.be.closeTo(0.3339, 1e-4);
  });

  it('z for a two-sided alpha, within 4.5e-4 (1.96 for 5 %, 2.576 for 1 %, 2.807 for 0.5 %)', () => {
    expect(zFor(0.05)).to.be.closeTo(Z95, 4.5e-4);
    expect(zFor(0.01)).to.be.closeTo(2.5758, 4.5e-4);
    expect(zFor(0.005)).to.be.closeTo(2.807, 4.5e-4);
  });

  it('Wilson covers the true rate about 95 % of the time (simulated, seeded)', () => {
    let seed = 42;
    const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    let covered = 0;
    const trials = 4000;
    for (let t = 0; t < trials; t++) {
      const n = 40;
      let k = 0;
      for (let i = 0; i < n; i++) if (random() < 0.3) k += 1;
      const ci = wilson(k, n)!;
      if (ci.low <= 0.3 && 0.3 <= ci.high) covered += 1;
    }
    expect(covered / trials).to.be.within(0.93, 0.97);
  });
});

describe('lift: the table', () => {
  const now = new Date('2026-03-01T00:00:00Z');

  it('counts contacts, deals and wins per tier, and says "too few to tell" below the minimum', () => {
    const contacts: ScoredContact[] = [
      { recordId: 'a1', tier: 'A', score: 85 },
      { recordId: 'a2', tier: 'A', score: 91 },
      { recordId: 'd1', tier: 'D', score: 12 },
      { recordId: 'u1', tier: 'Unscored', score: null },
    ];
    const report = computeLift(
      contacts,
      [deal('o1', ['a1'], true), deal('o2', ['a1', 'd1'], false), deal('o3', ['x9'], null), deal('o4', [], true)],
      {},
      now,
    );
    const a = report.tiers[0]!;
    expect(a).to.include({ group: 'A', contacts: 2, contactsWithDeals: 1, deals: 2, closed: 2, won: 1, winRate: 0.5 });
    expect(a.verdict).to.equal('too few to tell');
    expect(report.tiers[3]).to.include({ group: 'D', deals: 1, closed: 1, won: 0 });
    // x9 was never scored: an Unscored contact, counted; the deal with no contact is not credited to anyone.
    expect(report.unscored).to.include({ contacts: 2, contactsWithDeals: 1, deals: 1, closed: 0 });
    expect(report.org).to.include({ contacts: 5, deals: 3, closed: 2, won: 1, verdict: null });
    expect(report.bands.find((b) => b.group === '90–100')).to.include({ contacts: 1, deals: 0 });
    expect(a.medianDaysToClose).to.equal(30);
    expect(a.pipelinePer100).to.equal(100_000);
  });

  it('an opted-out contact is in no tier, not Unscored either: it counts in the org row only', () => {
    const contacts: ScoredContact[] = [
      { recordId: 'a1', tier: 'A', score: 85 },
      { recordId: 'u1', tier: 'Unscored', score: null },
      { recordId: 'o1', tier: null, score: null, optedOut: true },
    ];
    const report = computeLift(contacts, [deal('d1', ['o1'], true), deal('d2', ['a1'], false)], {}, now);
    expect(report.unscored).to.include({ contacts: 1, contactsWithDeals: 0, deals: 0 });
    expect(report.tiers.reduce((sum, t) => sum + t.contacts, 0)).to.equal(1);
    expect(report.org).to.include({ contacts: 3, deals: 2, closed: 2, won: 1 });
  });

  it('filters by created day and pipeline', () => {
    const contacts: ScoredContact[] = [{ recordId: 'a1', tier: 'A', score: 80 }];
    const outcomes = [
      deal('o1', ['a1'], true, { createdAt: '2025-12-31T23:00:00Z', pipeline: 'p1' }),
      deal('o2', ['a1'], true, { createdAt: '2026-01-15T00:00:00Z', pipeline: 'p2' }),
    ];
    expect(computeLift(contacts, outcomes, { from: '2026-01-01' }, now).org.deals).to.equal(1);
    expect(computeLift(contacts, outcomes, { pipeline: 'p1' }, now).org.deals).to.equal(1);
    expect(computeLift(contacts, outcomes, {}, now).pipelines).to.deep.equal(['p1', 'p2']);
  });

  it('judges a big, real difference "higher" and an equal one "no clear difference"', () => {
    const contacts: ScoredContact[] = [];
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 200; i++) {
      contacts.push({ recordId: `a${i}`, tier: 'A', score: 80 }, { recordId: `c${i}`, tier: 'C', score: 40 });
      outcomes.push(deal(`oa${i}`, [`a${i}`], i % 10 < 6), deal(`oc${i}`, [`c${i}`], i % 10 < 3));
    }
    const report = computeLift(contacts, outcomes, {}, now);
    expect(report.tiers[0]!.verdict).to.equal('higher');
    expect(report.tiers[2]!.verdict).to.equal('lower');
    expect(report.tiers[0]!.lift).to.be.closeTo(0.6 / 0.45, 1e-9);
    const same = computeLift(
      contacts,
      outcomes.map((o) => ({ ...o, isWon: Number(o.id.replace(/\D/g, '')) % 10 < 4 })),
      {},
      now,
    );
    expect(same.tiers[0]!.verdict).to.equal('no clear difference');
  });

  it('renders text and CSV (with formula-looking text neutralised)', () => {
    const report = computeLift([{ recordId: 'a1', tier: 'A', score: 80 }], [deal('o1', ['a1'], true)], {}, now);
    expect(liftTableText(report)).to.match(/^Tier\s+Contacts/);
    expect(liftTableText(report)).to.contain('Observational, not causal');
    const csv = liftCsv(report).split('\r\n');
    expect(csv[0]).to.match(/^kind,group,contacts/);
    expect(csv).to.have.length(1 + 4 + 1 + 1 + 10 + 1);
    expect(scoreBand(100)).to.equal('90–100');
    expect(scoreBand(79.9)).to.equal('70–79');
  });
});
