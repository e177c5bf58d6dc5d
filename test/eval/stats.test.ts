// The evaluation's statistics against values worked out by hand, and its split and intervals being reproducible.
import { expect } from 'chai';

import { auc, bandOf, bootstrap, halfOf, spearman, withinBandAuc } from './stats.ts';

describe('evaluation statistics', () => {
  it('computes AUC as the share of positive–negative pairs ranked right, ties counting half', () => {
    expect(auc([3, 4], [1, 2]).auc).to.equal(1);
    expect(auc([1, 2], [3, 4]).auc).to.equal(0);
    expect(auc([2, 3], [1, 3])).to.deep.equal({ auc: 0.625, pairs: 4 }); // (1 + 1 + 0 + 0.5) / 4
  });

  it('computes Spearman on mid-ranks', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).to.be.closeTo(1, 1e-12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).to.be.closeTo(-1, 1e-12);
    expect(spearman([1, 2, 3], [1, 1, 2])).to.be.closeTo(0.866, 0.001);
  });

  it('compares pairs only within follower bands', () => {
    expect([999, 1_000, 9_999, 10_000, 2_000_000].map(bandOf)).to.deep.equal([0, 1, 1, 2, 4]);
    // Across bands the positives are all larger, but within each band they are all smaller: 0, not 1.
    const rows = [
      { followers: 10, positive: true, value: 1 },
      { followers: 20, positive: false, value: 2 },
      { followers: 50_000, positive: true, value: 10 },
      { followers: 60_000, positive: false, value: 20 },
    ];
    expect(withinBandAuc(rows)).to.equal(0);
  });

  it('splits by the account alone, about half and half, the same on every run', () => {
    const names = Array.from({ length: 2_000 }, (_, i) => `account-${i}`);
    const fit = names.filter((n) => halfOf(n) === 'fit').length;
    expect(fit).to.be.within(900, 1_100);
    expect(names.map(halfOf)).to.deep.equal(names.map(halfOf));
  });

  it('gives a reproducible 95 % interval around the measure', () => {
    const values = Array.from({ length: 400 }, (_, i) => (i * 37) % 100);
    const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    const interval = bootstrap(values, mean);
    expect(interval.value).to.be.closeTo(49.5, 1e-9);
    expect(interval.low).to.be.within(45, 49.5);
    expect(interval.high).to.be.within(49.5, 54);
    expect(bootstrap(values, mean)).to.deep.equal(interval);
  });
});
