import { expect } from 'chai';

import { CrmContactSchema } from '../src/crm/contract.ts';
import { NetworkMetricsSchema } from '../src/scoring/types.ts';

describe('contracts', () => {
  it('rejects NetworkMetrics with negative followers, naming the field', () => {
    const parsed = NetworkMetricsSchema.safeParse({
      network: 'bluesky',
      handle: 'a.bsky.social',
      followers: -1,
      following: 0,
      posts: 0,
      recentPosts: [],
      fetchedAt: '2026-01-01T00:00:00Z',
    });
    expect(parsed.success).to.equal(false);
    expect(parsed.error?.issues[0]?.path).to.deep.equal(['followers']);
  });

  it('accepts a well-formed CrmContact', () => {
    const parsed = CrmContactSchema.parse({
      crm: 'salesforce',
      objectType: 'Contact',
      id: '003000000000001AAA',
      handles: [{ field: 'Twitter__c', network: 'x', value: '@ada' }],
      current: { score: 50 },
      modifiedAt: '2026-01-01T00:00:00.000Z',
      doNotProfile: false,
    });
    expect(parsed.handles[0]?.network).to.equal('x');
  });
});
