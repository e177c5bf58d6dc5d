// The first full pass of a large org through a Bulk API 2.0 query job, with the real jsforce against the sandbox.
import { expect } from 'chai';

import type { SalesforceConnector } from '../../../connectors/salesforce/index.ts';
import type { CrmContact } from '../../../src/crm/contract.ts';
import type { World } from './world.ts';
import { fieldsFor, makeWorld, orgIds, staleBefore } from './world.ts';

const N = 5000;
const BULK = { bulkQueryThreshold: 1000, bulkQueryPageSize: 1200, queryBatchSize: 500 } as const;

async function readAll(
  connector: SalesforceConnector,
  cursor: string | null,
  full = false,
): Promise<{ contacts: CrmContact[]; cursor: string | null }> {
  const contacts: CrmContact[] = [];
  let last = cursor;
  for await (const page of connector.readContacts(cursor, { full, staleBefore: staleBefore() })) {
    expect(page.contacts.length).to.be.at.most(500);
    contacts.push(...page.contacts);
    last = page.cursor;
  }
  return { contacts, cursor: last };
}

function byId(contacts: readonly CrmContact[]): CrmContact[] {
  return [...contacts].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

describe('Salesforce connector: Bulk API 2.0 query for a large first full pass', function () {
  this.timeout(40_000);
  let w: World;
  before(async () => {
    w = await makeWorld(N, {}, BULK);
  });
  after(async () => {
    await w.sandbox.close();
  });

  it('reads every record exactly once via Bulk, mapped and watermarked like the REST pass, in a handful of calls; the next run uses REST', async () => {
    const first = await readAll(w.connector, null);
    const ids = orgIds(w.sandbox);
    expect(first.contacts).to.have.length(N);
    expect(new Set(first.contacts.map((c) => c.id)).size).to.equal(N);
    expect(byId(first.contacts).map((c) => c.id)).to.deep.equal([...ids.Contact, ...ids.Lead].sort());
    const calls = w.sandbox.counters.calls;
    expect(calls.bulkQuery).to.be.greaterThan(0);
    expect(calls.queryMore ?? 0).to.equal(0);
    // One Composite call (both objects' first pages, whose totalSize decides) plus the Bulk requests, all counted.
    const read = w.connector.apiUsage().calls.read;
    expect(calls.composite).to.equal(1);
    expect(read).to.equal(calls.bulkQuery! + 1);
    // Per object: create + a poll or two + one download per 1,200 records (at the default 50,000 per download, a
    // 100k org is a dozen calls instead of 50 query pages).
    expect(read).to.be.at.most(1 + 2 * 3 + Math.ceil(N / 1200) + 1);

    // The REST pass (threshold above N) gives the same contacts; both leave the watermarks at their pass's start,
    // after every record read.
    const rest = await readAll(w.reconnect({ bulkQueryThreshold: 1_000_000 }), null);
    expect(byId(first.contacts)).to.deep.equal(byId(rest.contacts));
    type Marks = Record<'Contact' | 'Lead', { stamp: string }>;
    const watermarks = (cursor: string | null): Marks => (JSON.parse(cursor!) as { watermarks: Marks }).watermarks;
    for (const cursor of [first.cursor, rest.cursor]) {
      for (const object of ['Contact', 'Lead'] as const) {
        const newest = Math.max(
          ...first.contacts.filter((c) => c.objectType === object).map((c) => Date.parse(c.modifiedAt)),
        );
        expect(Date.parse(watermarks(cursor)[object].stamp)).to.be.within(newest, Date.now());
      }
    }
    expect(JSON.parse(first.cursor!)).to.not.have.property('pass');

    // Score everyone, let a person edit two records: the incremental run reads just those two, through REST.
    const results = await w.connector.writeScores(
      first.contacts.map((c) => ({ objectType: c.objectType, id: c.id, fields: fieldsFor(40) })),
    );
    expect(results.every((r) => r.ok)).to.equal(true);
    const [a, b] = [first.contacts[10]!, first.contacts[4000]!];
    w.sandbox.control.editRecord(a.id, { Title: 'CTO' });
    w.sandbox.control.editRecord(b.id, { Title: 'CFO' });
    const bulkBefore = calls.bulkQuery!;
    const readsBefore = w.connector.apiUsage().calls.read;
    const second = await readAll(w.connector, first.cursor);
    expect(second.contacts.map((c) => c.id).sort()).to.deep.equal([a.id, b.id].sort());
    expect(w.sandbox.counters.calls.bulkQuery).to.equal(bulkBefore);
    expect(w.connector.apiUsage().calls.read - readsBefore).to.equal(1);
  });

  it('a crash mid-pass resumes from the cursor (same job, same locator) without loss', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    for await (const page of w.connector.readContacts(null, { full: true, staleBefore: staleBefore() })) {
      seen.push(...page.contacts.map((c) => c.id));
      cursor = page.cursor;
      if (++pages === 4) break; // the process dies here: mid-download (1,200-record downloads, 500-record pages)
    }
    const state = JSON.parse(cursor!) as { pass?: { bulk?: { job: string; skip: number } } };
    expect(state.pass?.bulk?.job).to.be.a('string');
    const jobsBefore = w.sandbox.counters.calls.bulkQuery!;
    const rest = await readAll(w.reconnect(), cursor, false);
    const all = new Set([...seen, ...rest.contacts.map((c) => c.id)]);
    expect(all.size).to.equal(N);
    expect(seen.length + rest.contacts.length).to.equal(N); // resumed exactly where it stopped: nothing twice
    // No new job: only result downloads (plus the Composite first page of the other object, if any).
    const bulkCalls = w.sandbox.counters.calls.bulkQuery! - jobsBefore;
    expect(bulkCalls).to.be.at.most(Math.ceil(N / 1200) + 2);
  });

  it("an expired job restarts the object's pass: nothing is lost", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for await (const page of w.connector.readContacts(null, { full: true, staleBefore: staleBefore() })) {
      seen.push(...page.contacts.map((c) => c.id));
      cursor = page.cursor;
      break;
    }
    const state = JSON.parse(cursor!) as { pass: { bulk: { job: string } } };
    state.pass.bulk.job = '750SB9999999999999'; // Salesforce deleted the job's results
    const rest = await readAll(w.reconnect(), JSON.stringify(state), false);
    expect(new Set([...seen, ...rest.contacts.map((c) => c.id)]).size).to.equal(N);
  });
});
