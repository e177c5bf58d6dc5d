// Deal outcomes through the real connectors (jsforce, @hubspot/api-client) from the sandboxes over HTTP: what they
// read, what it costs, and that a second read takes only what changed.
import { expect } from 'chai';

import { SetupError } from '../../src/crm/errors.ts';
import type { Outcome, OutcomePage } from '../../src/crm/outcomes.ts';
import { connectorFor, startPortal } from '../connectors/hubspot/helpers.ts';
import { makeWorld, ORGS } from '../connectors/salesforce/world.ts';

async function readAll(
  pages: AsyncIterable<OutcomePage>,
): Promise<{ outcomes: Outcome[]; checkpoint: string; pages: number }> {
  const outcomes: Outcome[] = [];
  let checkpoint = '';
  let count = 0;
  for await (const page of pages) {
    expect(page.invalid).to.deep.equal([]);
    outcomes.push(...page.outcomes);
    checkpoint = page.checkpoint;
    count += 1;
  }
  return { outcomes, checkpoint, pages: count };
}

describe('lift: Salesforce opportunities by primary contact role', function () {
  this.timeout(60_000);

  for (const [org, sandboxOptions] of Object.entries(ORGS)) {
    it(`reads every opportunity with its primary contact, then only the changed ones (${org} org)`, async () => {
      const world = await makeWorld(400, sandboxOptions);
      try {
        const deals = world.sandbox.control.deals();
        expect(deals.length).to.be.greaterThan(40);
        const first = await readAll(world.connector.readOutcomes(null));
        expect(first.outcomes).to.have.length(deals.length);
        const byId = new Map(first.outcomes.map((o) => [o.id, o]));
        const one = byId.get(`006SB${String(deals[0]!.index).padStart(13, '0')}`)!;
        expect(one.contactIds).to.deep.equal([`003SB${String(deals[0]!.personIndex).padStart(13, '0')}`]);
        expect(one).to.include({ isClosed: deals[0]!.isClosed, isWon: deals[0]!.isWon, amount: deals[0]!.amount });
        expect(one.closeDate).to.match(/^\d{4}-\d{2}-\d{2}$/);

        const open = deals.find((d) => !d.isClosed)!;
        const openId = `006SB${String(open.index).padStart(13, '0')}`;
        await new Promise((r) => setTimeout(r, 1100));
        world.sandbox.control.editOpportunity(openId, { StageName: 'Closed Won' });
        const second = await readAll(world.reconnect({ overlapSeconds: 0 }).readOutcomes(first.checkpoint));
        // The checkpoint's own second is read again (>=): at most the newest record of the first read comes back.
        expect(second.outcomes.map((o) => o.id)).to.include(openId);
        expect(second.outcomes.length).to.be.at.most(2);
        expect(second.outcomes.find((o) => o.id === openId)).to.include({ isClosed: true, isWon: true });
      } finally {
        await world.sandbox.close();
      }
    });
  }

  it('10,000 opportunities and more cost one call per 2,000', async () => {
    const world = await makeWorld(48_000, {});
    try {
      const deals = world.sandbox.control.deals();
      expect(deals.length).to.be.within(10_000, 12_000);
      const before = world.connector.apiUsage().calls.read;
      const read = await readAll(world.connector.readOutcomes(null));
      expect(read.outcomes).to.have.length(deals.length);
      expect(world.connector.apiUsage().calls.read - before).to.equal(Math.ceil(deals.length / 2000));
    } finally {
      await world.sandbox.close();
    }
  });

  it('without read access to Opportunity, says which permission set to assign', async () => {
    const world = await makeWorld(50, {
      strict: { permissions: { userPermissions: ['ApiEnabled'], objects: {}, fields: {} } },
    });
    try {
      const error = await readAll(world.connector.readOutcomes(null)).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(SetupError);
      expect((error as SetupError).fix).to.contain('Social_Influence_Integration');
    } finally {
      await world.sandbox.close();
    }
  });
});

describe('lift: HubSpot deals associated with contacts', function () {
  this.timeout(60_000);

  it('reads deals with their contacts and won/lost from each pipeline, then only the changed ones', async () => {
    const sandbox = await startPortal(400);
    try {
      const connector = connectorFor(sandbox);
      const deals = sandbox.control.deals();
      const first = await readAll(connector.readOutcomes(null));
      expect(first.outcomes).to.have.length(deals.length);
      const byId = new Map(first.outcomes.map((o) => [o.id, o]));
      for (const deal of deals) {
        const o = byId.get(String(5_000_000_000 + deal.index + 1))!;
        expect(o, `deal ${deal.index}`).to.include({ isClosed: deal.isClosed, isWon: deal.isWon, amount: deal.amount });
        expect(o.contactIds[0]).to.equal(String(deal.personIndex + 1));
      }
      // The enterprise pipeline's won stage is a numeric id: only its metadata says it is won.
      expect(first.outcomes.some((o) => o.pipeline === '75123456' && o.isWon)).to.equal(true);
      expect(first.outcomes.some((o) => o.contactIds.length === 2)).to.equal(true);

      const open = deals.find((d) => !d.isClosed && d.pipeline === 'default')!;
      const id = String(5_000_000_000 + open.index + 1);
      await new Promise((r) => setTimeout(r, 5));
      sandbox.control.editDeal(id, { dealstage: 'closedlost' });
      const second = await readAll(connector.readOutcomes(first.checkpoint));
      expect(second.outcomes.map((o) => o.id)).to.deep.equal([id]);
      expect(second.outcomes[0]).to.include({ isClosed: true, isWon: false });
    } finally {
      await sandbox.close();
    }
  });

  it('10,000 deals cost 1 pipelines read, 50 searches and 10 association reads, past the 10,000-result cap', async () => {
    const sandbox = await startPortal(36_000);
    try {
      const connector = connectorFor(sandbox);
      const deals = sandbox.control.deals();
      expect(deals.length).to.be.greaterThan(10_000);
      sandbox.control.resetCounters();
      const read = await readAll(connector.readOutcomes(null));
      expect(new Set(read.outcomes.map((o) => o.id)).size).to.equal(deals.length);
      const calls = sandbox.counters.calls;
      expect(calls['GET /crm/v3/pipelines/deals']).to.equal(1);
      const searches = calls['POST /crm/v3/objects/deals/search']!;
      expect(searches).to.be.within(Math.ceil(deals.length / 200), Math.ceil(deals.length / 200) + 2);
      expect(calls['POST /crm/v4/associations/deals/contacts/batch/read']).to.be.within(
        Math.ceil(deals.length / 1000),
        Math.ceil(deals.length / 1000) + 2,
      );
    } finally {
      await sandbox.close();
    }
  });

  it('without the deals scope, says which scope to add', async () => {
    const sandbox = await startPortal(50, {
      privateAppScopes: ['crm.objects.contacts.read', 'crm.objects.contacts.write', 'crm.schemas.contacts.read'],
    });
    try {
      const error = await readAll(connectorFor(sandbox).readOutcomes(null)).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(SetupError);
      expect((error as SetupError).fix).to.contain('crm.objects.deals.read');
    } finally {
      await sandbox.close();
    }
  });
});
