import { expect } from 'chai';
import fc from 'fast-check';

import type { InfluenceFields } from '../../src/crm/contract.ts';
import { CLEARED_FIELDS } from '../../src/crm/contract.ts';
import type { PlanInput } from '../../src/crm/policy.ts';
import { factorShape, isSignificantChange, planClear, planWrite, sameFieldValue } from '../../src/crm/policy.ts';

const ours: InfluenceFields = {
  score: 60,
  tier: 'B',
  confidence: 'high',
  scoredAt: '2026-02-01T00:00:00.000Z',
  topFactors: '+30 Bluesky: 1,200 followers',
  reasonCodes: [],
  trend: 'Stable',
  orgPercentile: null,
};

function plan(overrides: Partial<PlanInput>) {
  return planWrite({
    desired: ours,
    current: { ...ours },
    lastWritten: ours,
    policy: {},
    scoreDeltaThreshold: 2,
    ...overrides,
  });
}

describe('overwrite policy and diff', () => {
  it('writes a never-written record', () => {
    const result = plan({ current: {}, lastWritten: null });
    expect(result.action).to.equal('write');
  });

  it('does not write a score move below the threshold, writes one at it', () => {
    expect(plan({ desired: { ...ours, score: 61, scoredAt: '2026-03-01T00:00:00.000Z' } }).action).to.equal(
      'unchanged',
    );
    const moved = plan({ desired: { ...ours, score: 62, scoredAt: '2026-03-01T00:00:00.000Z' } });
    expect(moved.action).to.equal('write');
    if (moved.action === 'write') expect(moved.changed).to.have.members(['score', 'scoredAt']);
  });

  it('writes when tier, confidence or the leading factors change, not when a number inside a factor moves', () => {
    expect(plan({ desired: { ...ours, tier: 'A' } }).action).to.equal('write');
    expect(plan({ desired: { ...ours, confidence: 'low' } }).action).to.equal('write');
    expect(plan({ desired: { ...ours, topFactors: '+30 GitHub: 900 stars' } }).action).to.equal('write');
    expect(plan({ desired: { ...ours, topFactors: '+31 Bluesky: 1,260 followers' } }).action).to.equal('unchanged');
    expect(factorShape('+12 X: 4.5k followers')).to.equal(factorShape('+13 X: 4.7k followers'));
  });

  it('tracked: keeps a value a person edited after our last write, still updates the fields that are ours', () => {
    const result = plan({ current: { ...ours, score: 95 }, desired: { ...ours, score: 80, tier: 'A' } });
    expect(result.action).to.equal('write');
    if (result.action !== 'write') return;
    expect(result.fields.score).to.equal(95);
    expect(result.fields.tier).to.equal('A');
    expect(result.kept).to.deep.equal(['score']);
    // What we remember as written stays our old value, so the edit stays detected next time.
    expect(result.lastWritten.score).to.equal(60);
  });

  it('tracked: a person edit with nothing else to write is skipped with a reason', () => {
    const result = plan({ current: { ...ours, score: 95 }, desired: { ...ours, score: 80 } });
    expect(result).to.deep.equal({ action: 'skipped', reason: 'kept_person_edits', kept: ['score'] });
  });

  it('tracked: never overwrites a value already there before our first write; fills an empty one', () => {
    expect(plan({ lastWritten: null, current: { ...CLEARED_FIELDS, score: 12 } }).action).to.equal('write');
    const result = plan({ lastWritten: null, current: { ...CLEARED_FIELDS, score: 12 } });
    if (result.action === 'write') {
      expect(result.fields.score).to.equal(12);
      expect(result.fields.tier).to.equal('B');
    }
  });

  it('always: repairs a value that differs from what we last wrote even without a model change', () => {
    const result = plan({ current: { ...ours, score: 95 }, policy: { score: 'always' } });
    expect(result.action).to.equal('write');
    if (result.action === 'write') expect(result.fields.score).to.equal(60);
  });

  it('if-empty: writes only into an empty field', () => {
    const filled = plan({ current: { ...ours }, desired: { ...ours, score: 90 }, policy: { score: 'if-empty' } });
    expect(filled.action).to.equal('skipped');
    const empty = plan({
      current: { ...ours, score: null },
      lastWritten: null,
      desired: { ...ours, score: 90 },
      policy: { score: 'if-empty' },
    });
    expect(empty.action === 'write' && empty.fields.score).to.equal(90);
  });

  it('a new date alone is written only past the refresh interval', () => {
    const later = { ...ours, scoredAt: '2026-02-20T00:00:00.000Z' };
    expect(plan({ desired: later }).action).to.equal('unchanged');
    expect(plan({ desired: later, refreshBefore: new Date('2026-02-10T00:00:00.000Z') }).action).to.equal('write');
  });

  it('compares CRM round-trips leniently: date formats, line endings, date-only values', () => {
    expect(sameFieldValue('scoredAt', '2026-02-01T00:00:00.000Z', '2026-02-01T00:00:00.000+0000')).to.equal(true);
    expect(sameFieldValue('scoredAt', '2026-02-01', '2026-02-01T10:00:00.000Z')).to.equal(true);
    expect(sameFieldValue('topFactors', 'a\r\nb ', 'a\nb')).to.equal(true);
    expect(sameFieldValue('topFactors', '', null)).to.equal(true);
    expect(sameFieldValue('reasonCodes', [], null)).to.equal(true);
  });

  it('opt-out clears every field once, and only when something is there', () => {
    expect(planClear({ ...ours }, ours).action).to.equal('write');
    expect(planClear({ ...CLEARED_FIELDS }, ours).action).to.equal('unchanged');
    expect(planClear({}, null).action).to.equal('unchanged');
    expect(planClear({}, ours).action).to.equal('write');
  });

  it('property: planning again from what we wrote is always unchanged (no write loops)', () => {
    const fields = fc.record({
      score: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
      tier: fc.constantFrom('A', 'B', 'C', 'D', 'Unscored' as const),
      confidence: fc.constantFrom('high', 'medium', 'low' as const),
      topFactors: fc.option(fc.string(), { nil: null }),
    });
    fc.assert(
      fc.property(fields, fc.constantFrom('always', 'if-empty', 'tracked' as const), (f, mode) => {
        const desired: InfluenceFields = { ...ours, ...f };
        const first = planWrite({
          desired,
          current: {},
          lastWritten: null,
          policy: { score: mode },
          scoreDeltaThreshold: 2,
        });
        if (first.action !== 'write') return true;
        const second = planWrite({
          desired,
          current: first.fields,
          lastWritten: first.lastWritten,
          policy: { score: mode },
          scoreDeltaThreshold: 2,
        });
        return second.action !== 'write';
      }),
    );
    expect(isSignificantChange(ours, ours, 2)).to.equal(false);
  });
});
