// The soak in small (issue 18): 2,000 contacts over a Salesforce org and a HubSpot portal, three SIGKILLs and one
// SIGTERM, on each store; every record must end written once, failed for a reason or waiting for a retry, and the
// trap behind the hostile redirect must see nothing. `npm run soak` is the full size.
import { expect } from 'chai';

import type { SoakStoreKind } from './soak.ts';
import { describeSoak, soakOneStore } from './soak.ts';

for (const store of ['sqlite', 'postgres'] as const satisfies readonly SoakStoreKind[]) {
  describe(`soak, small (${store}): kills, interrupts and faults lose nothing and write nothing twice`, function () {
    this.timeout(240_000);

    it('2,000 contacts, 3 kills, a SIGTERM: 0 lost, 0 twice, 0 inward', async () => {
      const result = await soakOneStore(store, {
        contacts: 2_000,
        kills: 3,
        sigterms: 1,
        seed: `soak-test-${store}`,
        maxRuns: 20,
        settleRuns: 1,
      });
      const line = describeSoak(result);
      expect(result.problems, line).to.deep.equal([]);
      expect(result.lost, `${line}\n${result.examples.join('\n')}`).to.equal(0);
      expect(result.twice, `${line}\n${result.examples.join('\n')}`).to.equal(0);
      expect(result.inward, line).to.equal(0);
      expect(result.kills, line).to.equal(3);
      expect(result.sigterms, line).to.include({ sent: 1, clean: 1 });
      // The faults did reach records: NUL bytes and validation rules fail some for good.
      expect(result.failed, line).to.be.greaterThan(0);
      expect(result.once + result.retryable + result.failed, line).to.equal(result.expected);
    });
  });
}
