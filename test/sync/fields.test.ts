import { expect } from 'chai';
import fc from 'fast-check';
import { orgPercentile } from '../../src/scoring/index.ts';
import { percentileTable, scoringKeyOf, withPercentile } from '../../src/sync/fields.ts';
import { CLEARED_FIELDS } from '../../src/crm/contract.ts';

describe('sync fields: org percentile table', () => {
  it('gives, for every whole score, the scoring model\'s orgPercentile over one score per contact', () => {
    fc.assert(fc.property(fc.array(fc.nat(40), { minLength: 101, maxLength: 101 }), (histogram) => {
      const distribution = histogram.flatMap((count, score) => new Array<number>(count).fill(score));
      const expected = histogram.map((_, score) => {
        const percentile = orgPercentile(score, distribution);
        return percentile === null ? null : Math.round(percentile);
      });
      expect(percentileTable(histogram)).to.deep.equal(expected);
    }), { numRuns: 200 });
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

describe('sync fields: scoring key', () => {
  it('names the model version, the scoring options and the handle mapping, whatever their key order', () => {
    const settings = { scoring: { weights: { x: 0.5, github: 1 } }, salesforce: { handleFields: [{ field: 'Twitter__c', network: 'x' }] }, schedule: '0 3 * * *' };
    const key = scoringKeyOf('1.0.0', settings.scoring, settings);
    expect(scoringKeyOf('1.0.0', { weights: { github: 1, x: 0.5 } }, { ...settings, schedule: '0 4 * * *' }), 'key order, other settings').to.equal(key);
    expect(scoringKeyOf('1.0.1', settings.scoring, settings), 'model version').to.not.equal(key);
    expect(scoringKeyOf('1.0.0', { weights: { x: 0.4, github: 1 } }, settings), 'options').to.not.equal(key);
    expect(scoringKeyOf('1.0.0', settings.scoring, { ...settings, salesforce: { handleFields: [] } }), 'mapping').to.not.equal(key);
    expect(scoringKeyOf('1.0.0', settings.scoring, { ...settings, hubspot: { handleProperties: { twitterhandle: 'x' } } }), 'HubSpot mapping').to.not.equal(key);
  });
});
