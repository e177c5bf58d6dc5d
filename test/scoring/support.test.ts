// The model's small helpers: fast date parsing, org percentile, tier fitting, tiers with hysteresis, trend.
import { expect } from 'chai';
import fc from 'fast-check';

import { fitTierThresholds, orgPercentile } from '../../src/scoring/percentile.ts';
import { tierWithHysteresis } from '../../src/scoring/tiers.ts';
import { parseIsoMs } from '../../src/scoring/time.ts';
import { trendOf } from '../../src/scoring/trend.ts';

describe('scoring helpers', () => {
  it('parses ISO date-times exactly like Date.parse (UTC, offsets, with and without seconds or fractions)', () => {
    const instant = fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2090, 0, 1) });
    fc.assert(
      fc.property(
        instant,
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        fc.constantFrom('ms', 's', 'min'),
        (ms, offset, precision) => {
          const utc = new Date(ms).toISOString();
          expect(parseIsoMs(utc)).to.equal(ms);
          const local = new Date(ms + offset * 60_000)
            .toISOString()
            .slice(0, precision === 'ms' ? 23 : precision === 's' ? 19 : 16);
          const sign = offset < 0 ? '-' : '+';
          const abs = Math.abs(offset);
          const text = `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          expect(parseIsoMs(text)).to.equal(Date.parse(text));
        },
      ),
      { numRuns: 500 },
    );
    expect(parseIsoMs('2026-01-01T00:00:00.5Z')).to.equal(Date.parse('2026-01-01T00:00:00.500Z'));
    expect(parseIsoMs('not a date')).to.be.NaN;
  });

  it('gives the org percentile separately from the score, ties counting half', () => {
    expect(orgPercentile(50, [10, 50, 90])).to.equal(50);
    expect(orgPercentile(95, [10, 50, 90])).to.equal(100);
    expect(orgPercentile(null, [10])).to.equal(null);
    expect(orgPercentile(10, [])).to.equal(null);
  });

  it('fits tier thresholds once at the 95th/80th/50th percentiles, strictly ordered', () => {
    const scores = Array.from({ length: 101 }, (_, i) => i);
    expect(fitTierThresholds(scores)).to.deep.equal({ A: 95, B: 80, C: 50 });
    const flat = fitTierThresholds([30, 30, 30]);
    expect(flat.A).to.be.above(flat.B);
    expect(flat.B).to.be.above(flat.C);
    expect(() => fitTierThresholds([])).to.throw(/empty/);
  });

  it('keeps a tier until the score is 3 points past the boundary or past it for a second run', () => {
    const t = { A: 65, B: 45, C: 25 };
    const prevB = { at: '2026-05-01T00:00:00Z', score: 50, tier: 'B' as const };
    expect(tierWithHysteresis(66, prevB, t, 3)).to.deep.equal({ tier: 'B', held: true });
    expect(tierWithHysteresis(68, prevB, t, 3)).to.deep.equal({ tier: 'A', held: false });
    expect(tierWithHysteresis(66, { ...prevB, score: 65.5 }, t, 3)).to.deep.equal({ tier: 'A', held: false });
    expect(tierWithHysteresis(43, prevB, t, 3)).to.deep.equal({ tier: 'B', held: true });
    expect(tierWithHysteresis(41.9, prevB, t, 3)).to.deep.equal({ tier: 'C', held: false });
    // A big fall lands where the margin says, not just one tier down.
    expect(tierWithHysteresis(10, prevB, t, 3)).to.deep.equal({ tier: 'D', held: false });
    expect(tierWithHysteresis(66, undefined, t, 3)).to.deep.equal({ tier: 'A', held: false });
  });

  it('computes the trend against the newest point at least 30 days old', () => {
    const now = new Date('2026-06-01T00:00:00Z');
    const history = [
      { at: '2026-05-25T00:00:00Z', score: 70, tier: 'A' as const },
      { at: '2026-04-25T00:00:00Z', score: 40, tier: 'C' as const },
      { at: '2026-01-01T00:00:00Z', score: 10, tier: 'D' as const },
    ];
    expect(trendOf(50, history, now)).to.deep.equal({ trend: 'Rising', delta30d: 10 });
    expect(trendOf(50, [], now)).to.deep.equal({ trend: 'New', delta30d: null });
    expect(trendOf(null, history, now)).to.deep.equal({ trend: 'New', delta30d: null });
  });
});
