// The Contacts page as RevOps uses it: a connection's contacts filtered (tier, score, reason, "reached A lately"),
// sorted, paged by keyset, each linked to its record in the CRM, and the same list as CSV.
import { expect } from 'chai';

import type { InfluenceFields } from '../../src/crm/contract.ts';
import { crmRecordUrl } from '../../src/server/contacts.ts';
import { PAGE_SIZE } from '../../src/server/routes/contacts.ts';
import type { TestServer } from './helpers.ts';
import { Client, startTestServer, testConnection } from './helpers.ts';

const fields = (
  score: number | null,
  tier: InfluenceFields['tier'],
  extra: Partial<InfluenceFields> = {},
): InfluenceFields => ({
  score,
  tier,
  confidence: score === null ? null : 'high',
  scoredAt: '2026-06-01T10:00:00.000Z',
  topFactors: score === null ? null : `+${score} GitHub: many followers`,
  reasonCodes: score === null ? ['NO_IDENTITY'] : [],
  trend: score === null ? null : 'Stable',
  orgPercentile: null,
  ...extra,
});

describe('admin server: contacts list', function () {
  this.timeout(30_000);
  let server: TestServer;
  let client: Client;

  before(async () => {
    server = await startTestServer();
    await server.store.saveConnection(
      testConnection('salesforce-abc', 'salesforce', { name: 'Salesforce (acme.my.salesforce.com)' }),
    );
    const states = Array.from({ length: 120 }, (_, i) => ({
      recordId: `003${String(i).padStart(5, '0')}`,
      objectType: 'Contact',
      lastWritten: fields(i % 100, i % 100 >= 65 ? 'A' : 'C'),
      writtenAt: '2026-06-01T10:00:00.000Z',
      fingerprint: 'f',
      email: `person${i}@example.com`,
      name: `Person, "${i}"`,
    }));
    await server.store.putSyncStates('salesforce-abc', states);
    await server.store.putSyncStates('salesforce-abc', [
      {
        recordId: '00Q00001',
        objectType: 'Lead',
        lastWritten: fields(null, 'Unscored'),
        writtenAt: '2026-06-01T10:00:00.000Z',
        fingerprint: 'f',
        name: '=HYPERLINK("x")',
      },
    ]);
    client = new Client(server.url);
    await client.login();
  });
  after(() => server.close());

  it('lists the A tier highest first, pages by keyset to the end, links each record to Salesforce', async () => {
    const first = await client.request('/api/contacts?tier=A');
    expect(first.status).to.equal(200);
    const page = (await first.json()) as {
      rows: { recordId: string; score: number; crmUrl: string }[];
      next: string | null;
    };
    // Scores 65–99 occur once per 100 records: 35 from the first hundred and 0 from 100–119 (scores 0–19).
    expect(page.rows.map((r) => r.score)).to.deep.equal(Array.from({ length: 35 }, (_, i) => 99 - i));
    expect(page.next).to.equal(null);
    expect(page.rows[0]?.crmUrl).to.equal('https://acme.my.salesforce.com/lightning/r/Contact/00300099/view');

    const all: string[] = [];
    let next: string | null = '';
    while (next !== null) {
      const response = await client.request(`/api/contacts?after=${encodeURIComponent(next)}`);
      const body = (await response.json()) as { rows: { recordId: string }[]; next: string | null };
      expect(body.rows.length).to.be.at.most(PAGE_SIZE);
      all.push(...body.rows.map((r) => r.recordId));
      next = body.next;
    }
    expect(all).to.have.length(121);
    expect(new Set(all).size).to.equal(121);
  });

  it('the page shows names, e-mails and dates in UTC, with a next-page link that keeps the filters', async () => {
    const html = await (await client.request('/contacts?minScore=10&sort=score')).text();
    expect(html).to.include('Person, &#34;99&#34;').and.include('person99@example.com');
    expect(html).to.include('2026-06-01 10:00:00 UTC');
    expect(html).to.match(/<a rel="next" href="\/contacts\?connection=salesforce-abc&#38;minScore=10&#38;after=/);
    expect(html).to.not.match(/<script(?![^>]*src=)/);
    const bad = await client.request('/contacts?minScore=200');
    expect(bad.status).to.equal(400);
    expect(await bad.text()).to.include('minScore: must be 0–100');
  });

  it('sorts lowest first and walks back by "Previous page" (keyset both ways), keeping the filters', async () => {
    type Page = { rows: { recordId: string; score: number }[]; next: string | null; previous: string | null };
    const get = async (query: string) => (await (await client.request(`/api/contacts?${query}`)).json()) as Page;
    const first = await get('order=asc&minScore=10');
    expect(first.rows.map((r) => r.score).slice(0, 3)).to.deep.equal([10, 10, 11]);
    expect(first.previous).to.equal(null);
    const second = await get(`order=asc&minScore=10&after=${encodeURIComponent(first.next ?? '')}`);
    expect(second.previous).to.not.equal(null);
    const back = await get(`order=asc&minScore=10&before=${encodeURIComponent(second.previous ?? '')}`);
    expect(back.rows.map((r) => r.recordId)).to.deep.equal(first.rows.map((r) => r.recordId));
    expect(back.previous).to.equal(null);
    const html = await (
      await client.request(`/contacts?order=asc&minScore=10&after=${encodeURIComponent(first.next ?? '')}`)
    ).text();
    expect(html).to.match(
      /<a rel="prev" href="\/contacts\?connection=salesforce-abc&#38;minScore=10&#38;order=asc&#38;before=/,
    );
    expect(html).to.include('<option value="asc" selected>Lowest / oldest first</option>');
  });

  it("links HubSpot records on the portal's own domain (EU: app-eu1), and only on a HubSpot app domain", () => {
    const portal = (settings: Record<string, unknown>) => ({
      ...testConnection('hubspot-26000001', 'hubspot', { settings }),
      createdAt: '',
      updatedAt: '',
    });
    expect(crmRecordUrl(portal({}), 'contact', '7')).to.equal('https://app.hubspot.com/contacts/26000001/record/0-1/7');
    expect(crmRecordUrl(portal({ hubspot: { uiDomain: 'app-eu1.hubspot.com' } }), 'contact', '7')).to.equal(
      'https://app-eu1.hubspot.com/contacts/26000001/record/0-1/7',
    );
    for (const uiDomain of ['evil.example', 'app.hubspot.com.evil.example', 'app-eu1.hubspot.com/x', 42])
      expect(crmRecordUrl(portal({ hubspot: { uiDomain } }), 'contact', '7')).to.match(
        /^https:\/\/app\.hubspot\.com\//,
      );
  });

  it('exports the filtered list as CSV, quoting names and defusing formulas', async () => {
    const response = await client.request('/contacts?reason=NO_IDENTITY&format=csv');
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.match(/text\/csv/);
    const lines = (await response.text()).trim().split('\r\n');
    expect(lines[0]).to.equal(
      'record_id,object_type,name,email,score,tier,confidence,trend,scored_at,tier_since,networks,reason_codes,crm_url',
    );
    expect(lines.slice(1)).to.deep.equal([
      `00Q00001,Lead,"'=HYPERLINK(""x"")",,,Unscored,,,2026-06-01T10:00:00.000Z,2026-06-01T10:00:00.000Z,,NO_IDENTITY,https://acme.my.salesforce.com/lightning/r/Lead/00Q00001/view`,
    ]);
    const all = (await (await client.request('/contacts?format=csv')).text()).trim().split('\r\n');
    expect(all).to.have.length(122);
  });
});
