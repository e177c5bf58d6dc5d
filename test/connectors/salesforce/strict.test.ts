// The connector against the strict sandbox org's harsher parts: what a least-privilege integration user meets in a
// real org on day one (no Individual, field-level security, Private sharing, automation, duplicates, locks, deletes,
// merges and conversions between runs, query timeouts on large objects, the JWT audience).
import { expect } from 'chai';

import { jwtAudience } from '../../../connectors/salesforce/auth.ts';
import { SetupError } from '../../../src/crm/errors.ts';
import type { IntegrationPermissions, StrictOrgOptions } from '../../../src/sandbox/salesforce/index.ts';
import { permissionsFrom } from '../../manifests/permission-sets.ts';
import type { World } from './world.ts';
import { makeWorld, orgIds, readPages, rejection, updatesFor } from './world.ts';

const SHIPPED = permissionsFrom(['Social_Influence_Integration']);
/** No automation: each test turns on what it is about. */
const QUIET: StrictOrgOptions = {
  permissions: SHIPPED,
  owned: 1,
  validationRule: 0,
  triggerThrows: 0,
  duplicates: { alert: 0, block: 0 },
  locked: 0,
};

const readAll = readPages;

describe('Salesforce connector against the strict org', function () {
  this.timeout(60_000);
  const worlds: World[] = [];
  async function world(size: number, strict: StrictOrgOptions, options = {}): Promise<World> {
    const w = await makeWorld(size, { strict }, options);
    worlds.push(w);
    return w;
  }
  after(async () => {
    await Promise.all(worlds.map((w) => w.sandbox.close()));
  });

  it('no Data Protection and Privacy: the read falls back to Influence_Do_Not_Profile__c, remembers it, and setup says so', async () => {
    const w = await world(1200, { ...QUIET, individual: false });
    const first = await readAll(w.connector);
    expect(first.contacts).to.have.length(1200);
    expect(first.contacts.filter((c) => c.doNotProfile).length).to.be.greaterThan(0);
    const cursor = JSON.parse(first.cursor!) as { individual?: { available: boolean } };
    expect(cursor.individual?.available).to.equal(false);
    // The next run does not ask again: one read call.
    await w.connector.writeScores(updatesFor(first.contacts));
    const before = w.connector.apiUsage().calls.read;
    await readAll(w.connector, first.cursor);
    expect(w.connector.apiUsage().calls.read - before).to.equal(1);
    // Retries of failed records (by id, without a cursor) fall back too.
    const retried: string[] = [];
    const wanted = first.contacts.slice(0, 3).map((c) => c.id);
    for await (const page of w.reconnect().readContacts(null, { full: false, staleBefore: new Date(), ids: wanted }))
      retried.push(...page.contacts.map((c) => c.id));
    expect(retried.sort()).to.deep.equal([...wanted].sort());
    const setup = await w.connector.checkSetup();
    expect(setup.ok).to.equal(true);
    expect(setup.notes!.map((n) => n.code)).to.include('individual_unavailable');
    expect(setup.notes!.find((n) => n.code === 'individual_unavailable')!.fix).to.include(
      'Social_Influence_Individual',
    );
  });

  it('Individual enabled with the optional permission set: most people have no Individual, and their never-scored records are read', async () => {
    const w = await world(1500, {
      ...QUIET,
      individual: true,
      permissions: permissionsFrom(['Social_Influence_Integration', 'Social_Influence_Individual']),
    });
    const first = await readAll(w.connector);
    const linked = first.contacts.filter((c) => w.sandbox.control.record(c.id)!.IndividualId !== null);
    expect(linked.length / first.contacts.length).to.be.lessThan(0.25);
    // Score only the linked ones: the next run's refresh step must read every unlinked, not opted-out one.
    await w.connector.writeScores(updatesFor(linked));
    const second = await readAll(w.connector, first.cursor);
    const expected = first.contacts.filter((c) => !linked.includes(c) && !c.doNotProfile).map((c) => c.id);
    expect(second.contacts.map((c) => c.id).sort()).to.deep.equal(expected.sort());
  });

  it('field-level security: a read field without a grant stops the read with a SetupError naming it; checkSetup lists it', async () => {
    const fields = { ...SHIPPED.fields };
    delete fields['Contact.Email'];
    const w = await world(300, { ...QUIET, permissions: { ...SHIPPED, fields } });
    const error = await rejection(readAll(w.connector));
    expect(error).to.be.instanceOf(SetupError);
    expect(error.message).to.include('Contact.Email').and.include('Social_Influence_Integration');
    const setup = await w.connector.checkSetup();
    expect(setup.problems.filter((p) => p.code === 'field_not_readable').map((p) => p.message)).to.deep.equal([
      'Contact.Email is not readable by the integration user (field-level security), and every read selects it',
    ]);
  });

  it('Private sharing: without View All checkSetup reports "can see N of M"; with the shipped set the run reads all and names records it may not edit', async () => {
    const withoutViewAll: IntegrationPermissions = {
      ...SHIPPED,
      userPermissions: [...SHIPPED.userPermissions, 'ViewSetup'],
      objects: Object.fromEntries(
        Object.entries(SHIPPED.objects).map(([o, g]) => [o, { ...g, viewAll: false, modifyAll: false }]),
      ),
    };
    const hidden = await world(800, { ...QUIET, owned: 0.25, permissions: withoutViewAll });
    const setup = await hidden.connector.checkSetup();
    const problem = setup.problems.find((p) => p.code === 'records_hidden')!;
    const ids = orgIds(hidden.sandbox);
    expect(problem.message).to.match(
      new RegExp(`can see \\d+ of ${ids.Contact.length} contacts and \\d+ of ${ids.Lead.length} leads`),
    );
    expect(problem.fix).to.include('View All');

    const w = await world(800, { ...QUIET, owned: 0.25 });
    const { contacts } = await readAll(w.connector);
    expect(contacts).to.have.length(800);
    const results = await w.connector.writeScores(updatesFor(contacts.slice(0, 200)));
    const refused = results.filter((r) => !r.ok);
    expect(refused.length).to.be.within(100, 190);
    for (const r of refused)
      expect(r).to.deep.include({ ok: false, code: 'INSUFFICIENT_ACCESS_OR_READONLY', retryable: false });
    expect((refused[0] as { message: string }).message).to.include('sharing rule');
  });

  it('automation: a throwing trigger costs only its own record (the chunk is split), alerts are acknowledged, blocks and validation errors are final, locks are retried', async () => {
    const w = await world(2500, {
      ...QUIET,
      triggerThrows: 0.002,
      validationRule: 0.02,
      duplicates: { alert: 0.03, block: 0.01 },
      locked: 0.02,
    });
    const { contacts } = await readAll(w.connector);
    const updates = updatesFor(contacts.filter((c) => c.objectType === 'Contact').slice(0, 1000));
    const before = w.connector.apiUsage().calls.write;
    const results = await w.connector.writeScores(updates);
    const byCode = (code: string): number => results.filter((r) => !r.ok && r.code === code).length;
    const trigger = byCode('CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY');
    expect(trigger).to.be.within(1, 6); // the throwing records alone, not their chunks of 200
    expect(byCode('FIELD_CUSTOM_VALIDATION_EXCEPTION')).to.be.greaterThan(5);
    expect(byCode('DUPLICATES_DETECTED')).to.be.within(1, 25); // blocks only: alerts were saved
    expect(byCode('UNABLE_TO_LOCK_ROW')).to.equal(0);
    for (const r of results) if (!r.ok) expect(r.retryable, r.code).to.equal(false);
    const saved = results.filter((r) => r.ok).length;
    expect(saved).to.be.greaterThan(900);
    expect(w.sandbox.counters.recordsWritten).to.equal(saved);
    // One call for the 1,000, four rounds of splitting, a few lock retries.
    expect(w.connector.apiUsage().calls.write - before).to.be.at.most(1 + 4 + 3);
  });

  it('deletes, merges, undeletes and lead conversions between runs come back as removals; a write to a deleted record is final', async () => {
    const w = await world(1000, QUIET);
    const first = await readAll(w.connector);
    await w.connector.writeScores(updatesFor(first.contacts));
    const ids = orgIds(w.sandbox);
    const [deleted, master, loser, restored, contact] = ids.Contact;
    const lead = ids.Lead[0]!;
    w.sandbox.control.deleteRecord(deleted!);
    w.sandbox.control.mergeRecords(master!, [loser!]);
    w.sandbox.control.deleteRecord(restored!);
    w.sandbox.control.undeleteRecord(restored!);
    w.sandbox.control.convertLead(lead, contact);
    const before = w.connector.apiUsage().calls.read;
    const second = await readAll(w.connector, first.cursor);
    expect(second.gone.map((r) => `${r.id}:${r.reason}${r.mergedInto ? `>${r.mergedInto}` : ''}`).sort()).to.deep.equal(
      [`${deleted!}:deleted`, `${loser!}:deleted`, `${lead}:merged>${contact!}`].sort(),
    );
    // The master, the restored record and the converted lead's contact changed: they are read again.
    expect(second.contacts.map((c) => c.id).sort()).to.deep.equal([master!, restored!, contact!].sort());
    expect(w.connector.apiUsage().calls.read - before).to.equal(1); // all in one Composite call
    // The next run's window overlaps this one by a minute: it may name them again, never others.
    const third = await readAll(w.connector, second.cursor);
    expect(third.gone.every((r) => second.gone.some((s) => s.id === r.id))).to.equal(true);
    const [late] = await w.connector.writeScores(updatesFor([{ objectType: 'Contact', id: deleted! }]));
    expect(late).to.deep.include({
      ok: false,
      code: 'ENTITY_IS_DELETED',
      retryable: false,
      gone: { id: deleted!, reason: 'deleted' },
    });
  });

  it('a large org: steps that scan time out over REST and go through Bulk 2.0 without ORDER BY; a selective changed step stays on REST', async () => {
    const w = await world(
      3000,
      { ...QUIET, nonSelectiveLimit: 600, bulkOrderByLimit: 600 },
      // No overlap, and a second between writes and the next run: runs hours apart, as in production.
      { bulkQueryThreshold: 1_000_000, queryBatchSize: 500, bulkQueryPageSize: 1000, overlapSeconds: 0 },
    );
    const jobs = (): number => w.sandbox.counters.calls.bulkQueryJobs ?? 0;
    const first = await readAll(w.connector);
    expect(new Set(first.contacts.map((c) => c.id)).size).to.equal(3000);
    expect(jobs()).to.equal(2); // the full pass of each object
    const stale = first.contacts.slice(0, 50).filter((c) => !c.doNotProfile);
    await w.connector.writeScores(updatesFor(first.contacts.slice(50)));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // Right after writing to nearly everyone, "changed since" is not selective either: one scan, through Bulk.
    const second = await readAll(w.connector, first.cursor);
    expect(second.contacts.map((c) => c.id).sort()).to.deep.equal(stale.map((c) => c.id).sort());
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await w.connector.writeScores(updatesFor(stale));
    w.sandbox.control.editRecord(first.contacts[100]!.id, { Title: 'CEO' });
    const before = jobs();
    const third = await readAll(w.connector, second.cursor);
    expect(third.contacts.map((c) => c.id)).to.deep.equal([first.contacts[100]!.id]);
    expect(jobs() - before).to.equal(2); // the refresh steps; the changed steps were index seeks over REST
  });

  it('JWT audience: login.salesforce.com for production and My Domain, test.salesforce.com for sandboxes, a site URL for a site', () => {
    expect(jwtAudience('https://login.salesforce.com')).to.equal('https://login.salesforce.com');
    expect(jwtAudience('https://acme.my.salesforce.com')).to.equal('https://login.salesforce.com');
    expect(jwtAudience('https://test.salesforce.com')).to.equal('https://test.salesforce.com');
    expect(jwtAudience('https://acme--uat.sandbox.my.salesforce.com')).to.equal('https://test.salesforce.com');
    expect(jwtAudience('https://acme.my.site.com/customers/')).to.equal('https://acme.my.site.com/customers');
    expect(jwtAudience('http://127.0.0.1:4567')).to.equal('https://login.salesforce.com');
  });

  it('checkSetup names an API version the org does not offer, and stops there', async () => {
    const w = await world(100, QUIET, { apiVersion: '67.0' });
    const setup = await w.connector.checkSetup();
    expect(setup.ok).to.equal(false);
    expect(setup.problems.map((p) => p.code)).to.deep.equal(['api_version_unsupported']);
    expect(setup.problems[0]!.fix).to.equal('set SALESFORCE_API_VERSION to 66.0');
  });
});
