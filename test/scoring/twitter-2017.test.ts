// Real data: 998 X accounts from 2017 (575 humans, 423 bots). The score should rank humans above bots of similar
// follower counts clearly better than followers alone, and stay strongly correlated with listed_count (an
// independent signal of influence that the model never reads). Thresholds were chosen after measuring, a little
// below the measured figures; no parameter was fitted to these rows.
import { expect } from 'chai';

import { createScorer } from '../../src/scoring/index.ts';
import { type Account, auc, bandOf, loadAccounts, spearman, toInput, withinBandAuc } from './twitter-2017.ts';

interface Row extends Account {
  value: number;
}

describe('scoring model on real X accounts (twitter-2017 fixture)', () => {
  const accounts = loadAccounts();
  const score = createScorer();
  const results = accounts.map((a) => score(toInput(a)));
  const byScore: Row[] = accounts.map((a, i) => ({ ...a, value: results[i]!.score ?? 0 }));
  const byFollowers: Row[] = accounts.map((a) => ({ ...a, value: a.followers }));
  const overall = (rows: Row[]): number =>
    auc(
      rows.filter((r) => !r.bot).map((r) => r.value),
      rows.filter((r) => r.bot).map((r) => r.value),
    ).auc;
  const unverified = (rows: Row[]): Row[] => rows.filter((r) => !r.verified);
  const withPost = (rows: Row[]): Row[] => rows.filter((r) => r.latestReposts !== null);
  const fmt = (x: number): string => x.toFixed(3);

  const figures = {
    overall: { followers: overall(byFollowers), score: overall(byScore) },
    overallUnverified: { followers: overall(unverified(byFollowers)), score: overall(unverified(byScore)) },
    withinBands: { followers: withinBandAuc(byFollowers), score: withinBandAuc(byScore) },
    withinBandsUnverified: {
      followers: withinBandAuc(unverified(byFollowers)).pooled,
      score: withinBandAuc(unverified(byScore)).pooled,
    },
    withinBandsWithKnownPost: {
      followers: withinBandAuc(withPost(byFollowers)).pooled,
      score: withinBandAuc(withPost(byScore)).pooled,
    },
    spearmanListed: {
      followers: spearman(
        accounts.map((a) => a.followers),
        accounts.map((a) => a.listed),
      ),
      score: spearman(
        byScore.map((r) => r.value),
        accounts.map((a) => a.listed),
      ),
    },
  };

  before(() => {
    const f = figures;
    console.log('      twitter-2017: AUC humans over bots          followers   score');
    console.log(
      `        overall (575 humans, 423 bots)             ${fmt(f.overall.followers)}      ${fmt(f.overall.score)}`,
    );
    console.log(
      `        overall, unverified humans only            ${fmt(f.overallUnverified.followers)}      ${fmt(f.overallUnverified.score)}`,
    );
    console.log(
      `        within follower bands (pair-weighted)      ${fmt(f.withinBands.followers.pooled)}      ${fmt(f.withinBands.score.pooled)}`,
    );
    f.withinBands.score.perBand.forEach((band, i) => {
      console.log(
        `          band ${band.band.padEnd(18)} ${String(band.humans).padStart(3)}h/${String(band.bots).padEnd(3)}b  ${fmt(f.withinBands.followers.perBand[i]!.auc)}      ${fmt(band.auc)}`,
      );
    });
    console.log(
      `        within bands, unverified humans only       ${fmt(f.withinBandsUnverified.followers)}      ${fmt(f.withinBandsUnverified.score)}`,
    );
    console.log(
      `        within bands, accounts with a known post   ${fmt(f.withinBandsWithKnownPost.followers)}      ${fmt(f.withinBandsWithKnownPost.score)}`,
    );
    console.log(
      `        Spearman with listed_count (not an input)  ${fmt(f.spearmanListed.followers)}      ${fmt(f.spearmanListed.score)}`,
    );
  });

  it('reproduces the figures quoted for followers alone (AUC 0.74 overall, 0.56 unverified)', () => {
    expect(figures.overall.followers).to.be.closeTo(0.74, 0.005);
    expect(figures.overallUnverified.followers).to.be.closeTo(0.567, 0.005);
  });

  it('ranks humans above bots of similar follower counts clearly better than followers alone', () => {
    expect(figures.withinBands.score.pooled).to.be.at.least(figures.withinBands.followers.pooled + 0.06);
    expect(figures.withinBandsUnverified.score).to.be.at.least(figures.withinBandsUnverified.followers + 0.06);
    expect(figures.withinBandsWithKnownPost.score).to.be.at.least(figures.withinBandsWithKnownPost.followers + 0.04);
    // In the two bands where both classes are well represented, the score wins in each.
    for (const i of [0, 1])
      expect(figures.withinBands.score.perBand[i]!.auc).to.be.above(
        figures.withinBands.followers.perBand[i]!.auc + 0.05,
      );
  });

  it('also ranks better overall, including against unverified humans', () => {
    expect(figures.overall.score).to.be.at.least(figures.overall.followers + 0.03);
    expect(figures.overallUnverified.score).to.be.at.least(figures.overallUnverified.followers + 0.05);
  });

  it('stays strongly correlated with listed_count', () => {
    expect(figures.spearmanListed.score).to.be.at.least(0.78);
  });

  it('scores the median bot below the median verified human in every follower band with both', () => {
    const median = (xs: number[]): number => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    let compared = 0;
    for (let band = 0; band < 5; band++) {
      const inBand = byScore.filter((r) => bandOf(r.followers) === band);
      const bots = inBand.filter((r) => r.bot).map((r) => r.value);
      const humans = inBand.filter((r) => r.verified && !r.bot).map((r) => r.value);
      if (bots.length < 10 || humans.length < 10) continue;
      compared++;
      expect(median(bots), `band ${band}`).to.be.below(median(humans));
    }
    expect(compared).to.be.at.least(2);
  });
});
