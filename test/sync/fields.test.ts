import { expect } from 'chai';
import fc from 'fast-check';

import { CLEARED_FIELDS } from '../../src/crm/contract.ts';
import { orgPercentile } from '../../src/scoring/index.ts';
import { createScorer } from '../../src/scoring/index.ts';
import { ScoringOptionsSchema } from '../../src/scoring/options.ts';
import { formFromSettings, settingsFromForm } from '../../src/server/settings-form.ts';
import {
  formatTopFactors,
  percentileTable,
  scoringKeyOf,
  toInfluenceFields,
  withPercentile,
} from '../../src/sync/fields.ts';
import { networkInputArb, NOW, steadyAccount, verified } from '../scoring/arbitraries.ts';

describe('sync fields: org percentile table', () => {
  it("gives, for every whole score, the scoring model's orgPercentile over one score per contact", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(40), { minLength: 101, maxLength: 101 }), (histogram) => {
        const distribution = histogram.flatMap((count, score) => new Array<number>(count).fill(score));
        const expected = histogram.map((_, score) => {
          const percentile = orgPercentile(score, distribution);
          return percentile === null ? null : Math.round(percentile);
        });
        expect(percentileTable(histogram)).to.deep.equal(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('is null everywhere for an org with no ranked contact, and null for a contact without a score', () => {
    const empty = percentileTable(new Array<number>(101).fill(0));
    expect(empty.every((p) => p === null)).to.equal(true);
    const table = percentileTable(new Array<number>(101).fill(1));
    expect(withPercentile({ ...CLEARED_FIELDS, score: 50, orgPercentile: null }, table).orgPercentile).to.equal(50);
    expect(withPercentile({ ...CLEARED_FIELDS, score: null, orgPercentile: 20 }, table).orgPercentile).to.equal(null);
    expect(withPercentile({ ...CLEARED_FIELDS, score: 70, orgPercentile: null }, empty).orgPercentile).to.equal(null);
  });
});

describe('sync fields: top factors as a rep reads them', () => {
  it('writes whole points, strongest first, then "other" so the lines add up to the score; tiny lines fold into it', () => {
    const factors = [
      { text: '+ Other, smaller factors', points: 4.2 },
      { network: 'x' as const, text: '− X: follow-back pattern (4.8k following / 5.1k followers)', points: -12.4 },
      { network: 'x' as const, text: '+ X: 5.1k followers', points: 20 },
      { network: 'bluesky' as const, text: '− Bluesky: last original post today', points: -0.2 },
      { network: 'github' as const, text: '+ GitHub: 1 followers', points: 1.2 },
    ];
    expect(formatTopFactors(factors, 3, 12)).to.equal(
      '+20 X: 5.1k followers\n-12 X: follow-back pattern (4.8k following / 5.1k followers)\n+4 Other, smaller factors',
    );
    expect(formatTopFactors([{ text: '+ Other, smaller factors', points: 3 }], 3, 3)).to.equal(
      '+3 Other, smaller factors',
    );
    expect(formatTopFactors([], 3, 0)).to.equal(null);
    expect(
      formatTopFactors(
        [{ network: 'youtube', text: 'YouTube, scored separately (not in the total): 40/100', points: 0 }],
        3,
        null,
      ),
    ).to.equal('YouTube, scored separately (not in the total): 40/100');
  });

  it('the written lines add up to the written score for any contact the model scores (issue 19: 214 of 360 did not)', () => {
    const score = createScorer();
    fc.assert(
      fc.property(
        fc.array(networkInputArb(), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 6 }),
        (networks, count) => {
          const result = score({ networks, history: [], now: NOW });
          const fields = toInfluenceFields(result, NOW, count);
          if (fields.score === null) return;
          const lines = (fields.topFactors ?? '').split('\n').filter((l) => /^[+-]\d/.test(l));
          const sum = lines.reduce((total, line) => total + Number(/^[+-]\d+/.exec(line)![0]), 0);
          expect(sum, fields.topFactors ?? '').to.equal(fields.score);
          for (const line of lines)
            if (!line.includes('Other, smaller factors'))
              expect(Math.abs(Number(/^[+-]\d+/.exec(line)![0]))).to.be.at.least(2);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never doubles a sign on the model's own factors", () => {
    const result = createScorer()({
      networks: [verified(steadyAccount('x', 5_000, 80, new Array<number>(20).fill(0)))],
      history: [],
      now: NOW,
    });
    const lines = formatTopFactors(result.factors, 10, null)!.split('\n');
    expect(lines.length).to.be.at.least(3);
    for (const line of lines) expect(line).to.match(/^[+-]\d+ X: [^+\u2212]/);
  });
});

describe('sync fields: scoring key', () => {
  it('names the model version, the scoring options and the handle mapping, whatever their key order', () => {
    const settings = {
      scoring: { weights: { x: 0.5, github: 1 } },
      salesforce: { handleFields: [{ field: 'Twitter__c', network: 'x' }] },
      schedule: '0 3 * * *',
    };
    const key = scoringKeyOf('1.0.0', settings.scoring, settings);
    expect(
      scoringKeyOf('1.0.0', { weights: { github: 1, x: 0.5 } }, { ...settings, schedule: '0 4 * * *' }),
      'key order, other settings',
    ).to.equal(key);
    expect(scoringKeyOf('1.0.1', settings.scoring, settings), 'model version').to.not.equal(key);
    expect(scoringKeyOf('1.0.0', { weights: { x: 0.4, github: 1 } }, settings), 'options').to.not.equal(key);
    expect(
      scoringKeyOf('1.0.0', settings.scoring, { ...settings, salesforce: { handleFields: [] } }),
      'mapping',
    ).to.not.equal(key);
    expect(
      scoringKeyOf('1.0.0', settings.scoring, { ...settings, hubspot: { handleProperties: { twitterhandle: 'x' } } }),
      'HubSpot mapping',
    ).to.not.equal(key);
  });

  it('an unchanged Settings form keeps the key: a weight of 1 written out is the weight left unset', () => {
    const stored = {};
    const form = formFromSettings(stored, { schedule: '0 3 * * *', refreshDays: 7 }, 'salesforce');
    const saved = settingsFromForm({ ...form, fieldMapping: [] }, stored, 'salesforce');
    const keyOf = (settings: Record<string, unknown>) =>
      scoringKeyOf('1.0.0', ScoringOptionsSchema.parse(settings.scoring ?? {}), settings);
    expect(keyOf(saved)).to.equal(keyOf(stored));
    expect(keyOf(settingsFromForm({ ...form, weight_x: 0.5 }, stored, 'salesforce'))).to.not.equal(keyOf(stored));
  });
});
