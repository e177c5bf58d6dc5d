// Thousands of contacts sharing one lastmodifieddate: the search keyset reads each exactly once, past the
// 10,000-result cap, and a window resumed mid-tie neither repeats nor skips.
import { expect } from 'chai';

import { connectorFor, portalsForSuite, readAll, readOptions } from './helpers.ts';

describe('HubSpot connector: timestamp ties and the search cap', function () {
  this.timeout(45_000);
  const portal = portalsForSuite({ installFields: true });

  async function tiedPortal(size: number) {
    const sandbox = await portal(size, { tenSecondLimit: 100_000, searchPerSecond: 1000 });
    const connector = connectorFor(sandbox, { tenSecondLimit: 100_000, searchPerSecond: 1000 });
    // Everyone was scored recently (so only the tie matters), then one bulk change touched them all at once.
    const scoredAt = String(Date.now());
    for (let id = 1; id <= size; id++) await sandbox.control.editContact(String(id), { influence_scored_at: scoredAt });
    const since = Date.now() - 60_000;
    const tie = new Date(Date.now() - 1000);
    sandbox.control.setAllModifiedAt(tie);
    sandbox.control.resetCounters();
    const cursor = JSON.stringify({ v: 1, phase: 'search', since, until: null, lastId: null, staleBefore: null });
    return { sandbox, connector, tie, cursor };
  }

  it('reads 25,000 contacts sharing one lastmodifieddate exactly once each, past the 10,000-result cap', async function () {
    this.timeout(90_000);
    const { sandbox, connector, tie, cursor } = await tiedPortal(25_000);
    const ids: string[] = [];
    for await (const page of connector.readContacts(cursor, readOptions())) {
      ids.push(...page.contacts.map((c) => c.id));
      expect(page.contacts.every((c) => c.modifiedAt === tie.toISOString())).to.equal(true);
    }
    expect(ids).to.have.length(25_000);
    expect(new Set(ids).size).to.equal(25_000);
    expect(sandbox.counters.calls['POST /crm/v3/objects/contacts/search']).to.equal(Math.ceil(25_000 / 200) + 1);
  });

  it('resumes a window mid-tie from a page cursor: no repeats, nothing skipped', async () => {
    const { connector, cursor } = await tiedPortal(2_500);
    let middle: string | null = null;
    let seen = 0;
    for await (const page of connector.readContacts(cursor, readOptions())) {
      seen += page.contacts.length;
      if (seen === 1_200) {
        middle = page.cursor;
        break;
      }
    }
    const rest = await readAll(connector, middle);
    expect(rest.contacts).to.have.length(1_300);
    expect(rest.contacts[0]?.id).to.equal('1201');
    expect(rest.contacts.at(-1)?.id).to.equal('2500');
  });
});
