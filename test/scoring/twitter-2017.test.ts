// Real data: 998 X accounts from 2017 (575 humans, 423 bots; test/eval/fixtures/twitter-2017). The score should
// rank humans above bots of similar follower counts clearly better than followers alone, and stay strongly
// correlated with listed_count (an independent signal of influence that the model never reads). Thresholds were
// chosen after measuring, a little below the measured figures. `npm run eval` prints the full evaluation.
import { expect } from 'chai';

import { createScorer } from '../../src/scoring/index.ts';
import { loadTwitter2017, type TwitterAccount } from '../eval/datasets.ts';
import { auc, bandOf, spearman, withinBandAuc } from '../eval/stats.ts';

interface Row extends TwitterAccount {
  value: number;
}

describe('scoring model on real X accounts (twitter-2017)', () => {
  const accounts = loadTwitter2017();
  const score = createScorer();
  const byScore: Row[] = accounts.map((a) => ({ ...a, value: score(a.input).score ?? 0 }));
  const byFollowers: Row[] = accounts.map((a) => ({ ...a, value: a.followers }));
  const overall = (rows: Row[]): number =>
    auc(
      rows.filter((r) => !r.bot).map((r) => r.value),
      rows.filter((r) => r.bot).map((r) => r.value),
    ).auc;
  const banded = (rows: Row[]): number =>
    withinBandAuc(rows.map((r) => ({ followers: r.followers, positive: !r.bot, value: r.value })));
  const unverified = (rows: Row[]): Row[] => rows.filter((r) => !r.verified);
  const withPost = (rows: Row[]): Row[] => rows.filter((r) => r.latestReactions !== null);

  it('reproduces the figures quoted for followers alone (AUC 0.74 overall, 0.56 unverified)', () => {
    expect(overall(byFollowers)).to.be.closeTo(0.74, 0.005);
    expect(overall(unverified(byFollowers))).to.be.closeTo(0.567, 0.005);
  });

  it('ranks humans above bots of similar follower counts clearly better than followers alone', () => {
    expect(banded(byScore)).to.be.at.least(banded(byFollowers) + 0.06);
    expect(banded(unverified(byScore))).to.be.at.least(banded(unverified(byFollowers)) + 0.06);
    expect(banded(withPost(byScore))).to.be.at.least(banded(withPost(byFollowers)) + 0.04);
  });

  it('also ranks better overall, including against unverified humans', () => {
    expect(overall(byScore)).to.be.at.least(overall(byFollowers) + 0.03);
    expect(overall(unverified(byScore))).to.be.at.least(overall(unverified(byFollowers)) + 0.05);
  });

  it('stays strongly correlated with listed_count', () => {
    expect(
      spearman(
        byScore.map((r) => r.value),
        byScore.map((r) => r.listed),
      ),
    ).to.be.at.least(0.78);
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
