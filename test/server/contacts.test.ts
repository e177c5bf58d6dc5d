// The Contacts page finds a contact by CRM record id or by e-mail (every matching record, in every connection or the
// one asked for); an e-mail is validated, and an opted-out contact's e-mail no longer finds it.
import { expect } from 'chai';

import type { InfluenceFields } from '../../src/crm/contract.ts';
import type { TestServer } from './helpers.ts';
import { Client, startTestServer } from './helpers.ts';

function written(score: number, tier: 'A' | 'B' | 'C' | 'D'): InfluenceFields {
  return {
    score,
    tier,
    confidence: 'high',
    scoredAt: '2026-11-21T03:00:00.000Z',
    topFactors: `+${score} GitHub`,
    reasonCodes: [],
    trend: 'Stable',
    orgPercentile: 50,
  };
}

interface Found {
  connection: string;
  recordId: string;
  fields: { score: number } | null;
}

describe('admin server: find a contact by e-mail', function () {
  this.timeout(30_000);
  let server: TestServer;
  let client: Client;

  before(async () => {
    server = await startTestServer();
    for (const id of ['sf1', 'hs1']) {
      await server.store.saveConnection({
        id,
        crm: id === 'sf1' ? 'salesforce' : 'hubspot',
        name: id,
        status: 'ok',
        statusMessage: null,
        credentials: {},
        settings: {},
      });
    }
    await server.store.putSyncStates('sf1', [
      {
        recordId: '003A',
        objectType: 'Contact',
        lastWritten: written(80, 'A'),
        writtenAt: null,
        fingerprint: 'f',
        email: 'Ada@Example.com',
      },
      {
        recordId: '00QA',
        objectType: 'Lead',
        lastWritten: written(40, 'C'),
        writtenAt: null,
        fingerprint: 'f',
        email: 'ada@example.com',
      },
      {
        recordId: '003B',
        objectType: 'Contact',
        lastWritten: written(20, 'D'),
        writtenAt: null,
        fingerprint: 'f',
        email: 'bob@example.com',
      },
    ]);
    await server.store.putSyncStates('hs1', [
      {
        recordId: '501',
        objectType: 'contacts',
        lastWritten: written(60, 'B'),
        writtenAt: null,
        fingerprint: 'f',
        email: 'ADA@example.com',
      },
    ]);
    client = new Client(server.url);
    await client.login();
  });
  after(async () => {
    await server.close();
  });

  async function find(query: string): Promise<Found[]> {
    const response = await client.request(`/api/contacts?${query}`);
    expect(response.status).to.equal(200);
    return ((await response.json()) as { found: Found[] }).found;
  }

  it('shows every record with that e-mail, case-insensitively, across connections or in one', async () => {
    const all = await find('email=%20aDa%40example.COM');
    expect(all.map((f) => `${f.connection}/${f.recordId}/${f.fields?.score}`)).to.deep.equal([
      'hs1/501/60',
      'sf1/003A/80',
      'sf1/00QA/40',
    ]);
    expect((await find('email=ada%40example.com&connection=sf1')).map((f) => f.recordId)).to.deep.equal([
      '003A',
      '00QA',
    ]);
    expect(await find('email=nobody%40example.com')).to.deep.equal([]);
    expect((await find('id=003B')).map((f) => f.recordId)).to.deep.equal(['003B'], 'by id still works');

    const html = await (await client.request('/contacts?email=ada%40example.com')).text();
    expect(html).to.include('3 records match e-mail ada@example.com').and.include('+80 GitHub').and.include('00QA');
    expect(await (await client.request('/contacts?email=zed%40example.com')).text()).to.include(
      'No scored contact with e-mail zed@example.com',
    );
  });

  it('rejects a malformed e-mail with a clear message', async () => {
    const response = await client.request('/api/contacts?email=not-an-address');
    expect(response.status).to.equal(400);
    expect(JSON.stringify(await response.json())).to.include('email must be an e-mail address');
  });

  it('no longer finds an opted-out contact by its e-mail', async () => {
    await server.store.purgeContact('sf1', '003B');
    expect(await find('email=bob%40example.com')).to.deep.equal([]);
    expect((await find('id=003B')).map((f) => f.recordId)).to.deep.equal(
      ['003B'],
      'its sync state stays (what we wrote to the CRM)',
    );
  });
});
