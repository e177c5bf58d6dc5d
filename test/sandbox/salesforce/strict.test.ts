// The strict sandbox org (a least-privilege integration user in an org with automation and Private sharing) against
// the real jsforce: each behaviour fails the way Salesforce fails (see src/sandbox/salesforce/profile.ts for sources).
import { expect } from 'chai';
import jsforce from 'jsforce';

import { createPopulation } from '../../../src/sandbox/population.ts';
import type {
  IntegrationPermissions,
  SalesforceSandbox,
  StrictOrgOptions,
} from '../../../src/sandbox/salesforce/index.ts';
import { INTEGRATION_USER_ID, startSalesforceSandbox } from '../../../src/sandbox/salesforce/index.ts';

const VERSION = '64.0';
const population = createPopulation({ seed: 'sf-strict', size: 2000 });

const INFLUENCE = ['Influence_Score__c', 'Influence_Tier__c', 'Influence_Scored_At__c'];
/** Read on Contact/Lead, edit on three influence fields, read on Email: a small permission set. */
function grants(extra: Partial<IntegrationPermissions> = {}): IntegrationPermissions {
  const fields: Record<string, { readable: boolean; editable: boolean }> = {};
  for (const object of ['Contact', 'Lead']) {
    for (const f of INFLUENCE) fields[`${object}.${f}`] = { readable: true, editable: true };
    fields[`${object}.Email`] = { readable: true, editable: false };
  }
  return {
    userPermissions: ['ApiEnabled'],
    objects: {
      Contact: { read: true, edit: true, viewAll: false, modifyAll: false },
      Lead: { read: true, edit: true, viewAll: false, modifyAll: false },
    },
    fields,
    ...extra,
  };
}

async function rejection(promise: PromiseLike<unknown>): Promise<Error & { errorCode?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { errorCode?: string };
  }
  throw new Error('expected a rejection');
}

interface SaveResult {
  id?: string;
  success: boolean;
  errors: { statusCode: string; message: string }[];
}

describe('Salesforce sandbox: the strict org', function () {
  this.timeout(30_000);
  const started: SalesforceSandbox[] = [];
  async function start(strict: StrictOrgOptions): Promise<{ sb: SalesforceSandbox; conn: jsforce.Connection }> {
    const sb = await startSalesforceSandbox({ population, strict });
    started.push(sb);
    const conn = new jsforce.Connection({
      instanceUrl: sb.url,
      accessToken: sb.env.SALESFORCE_ACCESS_TOKEN!,
      version: VERSION,
    });
    return { sb, conn };
  }
  after(async () => {
    await Promise.all(started.map((sb) => sb.close()));
  });

  const ids = (sb: SalesforceSandbox, object: 'Contact' | 'Lead'): string[] => {
    const out: string[] = [];
    for (let i = 0; i < sb.control.org.size; i++)
      if (sb.control.org.objectTypeOf(i) === object)
        out.push(`${object === 'Contact' ? '003' : '00Q'}SB${String(i).padStart(13, '0')}`);
    return out;
  };
  const update = (conn: jsforce.Connection, records: object[], headers: Record<string, string> = {}) =>
    conn.request<SaveResult[]>({
      method: 'PATCH',
      url: `/services/data/v${VERSION}/composite/sobjects`,
      body: JSON.stringify({ allOrNone: false, records }),
      headers: { 'Content-Type': 'application/json', ...headers },
    });
  const score = (id: string, value = 50): object => ({
    attributes: { type: id.startsWith('003') ? 'Contact' : 'Lead' },
    id,
    Influence_Score__c: value,
  });

  it('minimum-access user: /limits and /limits/recordCount refused without View Setup and Configuration', async () => {
    const { conn } = await start({ permissions: grants(), owned: 1 });
    const limits = await rejection(conn.limits());
    expect(limits.name).to.equal('INSUFFICIENT_ACCESS');
    const { conn: admin } = await start({
      permissions: grants({ userPermissions: ['ApiEnabled', 'ViewSetup'] }),
      owned: 1,
    });
    expect(await admin.limits()).to.have.property('DailyApiRequests');
    const counts = await admin.request<{ sObjects: { name: string; count: number }[] }>(
      `/services/data/v${VERSION}/limits/recordCount?sObjects=Contact,Lead`,
    );
    expect(counts.sObjects.map((o) => o.name)).to.deep.equal(['Contact', 'Lead']);
    expect(counts.sObjects.reduce((n, o) => n + o.count, 0)).to.equal(2000);
  });

  it('field-level security: an ungranted field is missing from describe and "No such column" in SOQL; a read-only one cannot be saved', async () => {
    const { sb, conn } = await start({ permissions: grants(), owned: 1 });
    const names = (await conn.describe('Contact')).fields.map((f) => f.name);
    expect(names).to.include.members(['Id', 'FirstName', 'LastName', 'SystemModstamp', 'Email', ...INFLUENCE]);
    expect(names).to.not.include.members(['Title', 'X_Handle__c', 'Influence_Top_Factors__c', 'IndividualId']);
    const title = await rejection(conn.query('SELECT Id, Title FROM Contact'));
    expect(title.name).to.equal('INVALID_FIELD');
    expect(title.message).to.include("No such column 'Title' on entity 'Contact'");
    const [result] = await update(conn, [{ ...score(ids(sb, 'Contact')[0]!), Email: 'x@example.com' }]);
    expect(result!.errors[0]!.statusCode).to.equal('INVALID_FIELD_FOR_INSERT_UPDATE');
    // A person still edits every field in the UI.
    sb.control.editRecord(ids(sb, 'Contact')[0]!, { Title: 'CTO' });
    expect(sb.control.record(ids(sb, 'Contact')[0]!)!.Title).to.equal('CTO');
  });

  it('no Data Protection and Privacy: no Individual object, no IndividualId, the relationship is not understood', async () => {
    const { conn } = await start({ permissions: grants(), owned: 1 });
    const relationship = await rejection(conn.query('SELECT Id, Individual.HasOptedOutProfiling FROM Contact'));
    expect(relationship.name).to.equal('INVALID_FIELD');
    expect(relationship.message).to.include("Didn't understand relationship 'Individual'");
    expect((await rejection(conn.describe('Individual'))).name).to.equal('NOT_FOUND');
    expect((await rejection(conn.query('SELECT Id FROM Individual'))).name).to.equal('INVALID_TYPE');
  });

  it('Individual enabled but not granted: still not understood; granted: most people have no Individual record', async () => {
    const base = grants();
    const { conn: ungranted } = await start({ permissions: base, owned: 1, individual: true });
    expect(
      (await rejection(ungranted.query('SELECT Id, Individual.HasOptedOutProfiling FROM Contact'))).message,
    ).to.include("Didn't understand relationship 'Individual'");
    const { conn } = await start({
      individual: true,
      owned: 1,
      permissions: {
        ...base,
        objects: { ...base.objects, Individual: { read: true, edit: false, viewAll: false, modifyAll: false } },
        fields: {
          ...base.fields,
          'Contact.IndividualId': { readable: true, editable: false },
          'Individual.HasOptedOutProfiling': { readable: true, editable: false },
        },
      },
    });
    const page = await conn.query<{ IndividualId: string | null; Individual: object | null }>(
      'SELECT Id, IndividualId, Individual.HasOptedOutProfiling FROM Contact',
      { autoFetch: true, maxFetch: 5000 },
    );
    const linked = page.records.filter((r) => r.IndividualId !== null);
    expect(linked.length).to.be.greaterThan(0);
    expect(linked.length / page.records.length).to.be.lessThan(0.25);
    expect(page.records.filter((r) => r.IndividualId === null).every((r) => r.Individual === null)).to.equal(true);
  });

  it('Private sharing: the user sees and edits what it owns; View All shows everything, edits stay limited to owned records', async () => {
    const { sb, conn } = await start({ permissions: grants(), owned: 0.25 });
    const total = ids(sb, 'Contact').length;
    const visible = (await conn.query('SELECT COUNT() FROM Contact')).totalSize;
    expect(visible).to.be.within(total * 0.15, total * 0.35);
    const base = grants();
    const { sb: sb2, conn: viewAll } = await start({
      owned: 0.25,
      permissions: {
        ...base,
        objects: {
          Contact: { read: true, edit: true, viewAll: true, modifyAll: false },
          Lead: { read: true, edit: true, viewAll: true, modifyAll: false },
        },
      },
    });
    expect((await viewAll.query('SELECT COUNT() FROM Contact')).totalSize).to.equal(total);
    const owned = await viewAll.query<{ Id: string; OwnerId: string }>('SELECT Id, OwnerId FROM Contact', {
      autoFetch: true,
      maxFetch: 5000,
    });
    const mine = owned.records.find((r) => r.OwnerId === INTEGRATION_USER_ID)!;
    const theirs = owned.records.find((r) => r.OwnerId !== INTEGRATION_USER_ID)!;
    const results = await update(viewAll, [score(mine.Id), score(theirs.Id)]);
    expect(results[0]!.success).to.equal(true);
    expect(results[1]!.errors[0]!.statusCode).to.equal('INSUFFICIENT_ACCESS_OR_READONLY');
    expect(sb2.control.record(theirs.Id)!.Influence_Score__c).to.equal(null);
  });

  it('automation: a validation rule fails its records, a throwing trigger its whole collection, duplicates unless allowSave (alert), locks twice', async () => {
    const { sb, conn } = await start({
      permissions: grants(),
      owned: 1,
      validationRule: 0.05,
      triggerThrows: 0,
      duplicates: { alert: 0.05, block: 0.05 },
      locked: 0.05,
    });
    const contacts = ids(sb, 'Contact').slice(0, 200);
    const first = await update(
      conn,
      contacts.map((id) => score(id)),
    );
    const codes = (code: string): number => first.filter((r) => r.errors[0]?.statusCode === code).length;
    for (const code of ['FIELD_CUSTOM_VALIDATION_EXCEPTION', 'DUPLICATES_DETECTED', 'UNABLE_TO_LOCK_ROW'])
      expect(codes(code), code).to.be.greaterThan(0);
    expect(first.filter((r) => r.success).length).to.be.greaterThan(120);
    // With the duplicate-rule header, alerts save; blocks never do; locks clear after two attempts.
    const retry = contacts.filter((_, k) => !first[k]!.success);
    const second = await update(
      conn,
      retry.map((id) => score(id)),
      { 'Sforce-Duplicate-Rule-Header': 'allowSave=true' },
    );
    const third = await update(
      conn,
      retry.map((id) => score(id)),
      { 'Sforce-Duplicate-Rule-Header': 'allowSave=true' },
    );
    const still = third.filter((r) => !r.success).map((r) => r.errors[0]!.statusCode);
    expect(new Set(still)).to.deep.equal(new Set(['FIELD_CUSTOM_VALIDATION_EXCEPTION', 'DUPLICATES_DETECTED']));
    expect(still.filter((c) => c === 'DUPLICATES_DETECTED').length).to.be.lessThan(codes('DUPLICATES_DETECTED'));
    expect(second.length).to.equal(retry.length);

    const { sb: sb2, conn: triggered } = await start({
      permissions: grants(),
      owned: 1,
      validationRule: 0,
      triggerThrows: 0.01,
      duplicates: { alert: 0, block: 0 },
      locked: 0,
    });
    const all = ids(sb2, 'Contact');
    const results = await update(
      triggered,
      all.slice(0, 200).map((id) => score(id)),
    );
    // One throwing record fails all 200: every result carries the trigger's exception.
    expect(results.every((r) => r.errors[0]?.statusCode === 'CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY')).to.equal(true);
    expect(results[0]!.errors[0]!.message).to.match(/ContactTrigger: execution of BeforeUpdate/);
    // Alone, the others save: the exception belongs to one record.
    const alone = await Promise.all(all.slice(0, 20).map(async (id) => (await update(triggered, [score(id)]))[0]!));
    expect(alone.filter((r) => r.success).length).to.be.within(18, 20);
  });

  it('deletes, merges, undeletes and lead conversion: query hides, queryAll and Get Deleted show, saves are refused', async () => {
    const { sb, conn } = await start({ permissions: grants(), owned: 1 });
    const [a, b, c, d] = ids(sb, 'Contact');
    const lead = ids(sb, 'Lead')[0]!;
    const before = new Date(Date.now() - 60_000).toISOString();
    sb.control.deleteRecord(a!);
    sb.control.mergeRecords(b!, [c!]);
    sb.control.convertLead(lead, d);
    const visible = await conn.query<{ Id: string }>(
      `SELECT Id FROM Contact WHERE Id IN ('${a!}', '${b!}', '${c!}', '${d!}')`,
    );
    expect(visible.records.map((r) => r.Id).sort()).to.deep.equal([b!, d!].sort());
    const all = await conn.query<{ Id: string; IsDeleted: boolean; MasterRecordId: string | null }>(
      `SELECT Id, IsDeleted, MasterRecordId FROM Contact WHERE Id IN ('${a!}', '${c!}')`,
      { scanAll: true },
    );
    expect(all.records.map((r) => [r.Id, r.IsDeleted, r.MasterRecordId])).to.deep.equal([
      [a!, true, null],
      [c!, true, b!],
    ]);
    const deleted = await conn.sobject('Contact').deleted(before, new Date(Date.now() + 60_000).toISOString());
    expect(deleted.deletedRecords.map((r) => r.id).sort()).to.deep.equal([a!, c!].sort());
    const [saved] = await update(conn, [score(a!)]);
    expect(saved!.errors[0]!.statusCode).to.equal('ENTITY_IS_DELETED');
    const converted = await conn.query<{ IsConverted: boolean; ConvertedContactId: string }>(
      `SELECT IsConverted, ConvertedContactId FROM Lead WHERE Id = '${lead}'`,
    );
    expect(converted.records[0]).to.deep.include({ IsConverted: true, ConvertedContactId: d! });
    sb.control.undeleteRecord(a!);
    expect((await conn.query(`SELECT Id FROM Contact WHERE Id = '${a!}'`)).totalSize).to.equal(1);
    const old = await rejection(
      conn.sobject('Contact').deleted(new Date(Date.now() - 40 * 86_400_000).toISOString(), new Date().toISOString()),
    );
    expect(old.name).to.equal('INVALID_REPLICATION_DATE');
  });

  it('a non-selective query on a large object times out; a selective one (SystemModstamp range) does not; Bulk with ORDER BY fails', async () => {
    const { sb, conn } = await start({
      permissions: grants(),
      owned: 1,
      nonSelectiveLimit: 500,
      bulkOrderByLimit: 500,
    });
    const timeout = await rejection(conn.query('SELECT Id FROM Contact WHERE Influence_Score__c = null'));
    expect(timeout.name).to.equal('QUERY_TIMEOUT');
    const orTimeout = await rejection(
      conn.query(
        `SELECT Id FROM Contact WHERE SystemModstamp >= ${new Date().toISOString()} OR Influence_Score__c = null`,
      ),
    );
    expect(orTimeout.name).to.equal('QUERY_TIMEOUT');
    sb.control.editRecord(ids(sb, 'Contact')[3]!, { Title: 'VP' });
    const since = new Date(Date.now() - 5_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const changed = await conn.query(`SELECT Id FROM Contact WHERE SystemModstamp >= ${since}`);
    expect(changed.totalSize).to.equal(1);
    const job = await conn.requestPost<{ id: string }>(`/services/data/v${VERSION}/jobs/query`, {
      operation: 'query',
      query: 'SELECT Id FROM Contact ORDER BY SystemModstamp',
    });
    let info: { state: string; errorMessage?: string } = { state: 'UploadComplete' };
    for (let k = 0; k < 50 && !['JobComplete', 'Failed'].includes(info.state); k++) {
      await new Promise((r) => setTimeout(r, 10));
      info = await conn.request(`/services/data/v${VERSION}/jobs/query/${job.id}`);
    }
    expect(info.state).to.equal('Failed');
    expect(info.errorMessage).to.match(/QUERY_TIMEOUT/);
  });
});
