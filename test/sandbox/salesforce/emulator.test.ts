// The Salesforce sandbox against the real jsforce (and raw HTTP where a browser or header is the point).
import { generateKeyPairSync } from 'node:crypto';

import { expect } from 'chai';
import jsforce from 'jsforce';
import { OAuth2 } from 'jsforce';

import { jwtAssertion } from '../../../connectors/salesforce/auth.ts';
import { createPopulation } from '../../../src/sandbox/population.ts';
import type { SalesforceSandbox, SalesforceSandboxOptions } from '../../../src/sandbox/salesforce/index.ts';
import { startSalesforceSandbox } from '../../../src/sandbox/salesforce/index.ts';

const VERSION = '64.0';
const population = createPopulation({ seed: 'sf-emulator', size: 3000 });

function connect(
  sb: SalesforceSandbox,
  extra: Partial<ConstructorParameters<typeof jsforce.Connection>[0]> = {},
): jsforce.Connection {
  return new jsforce.Connection({
    oauth2: {
      clientId: sb.env.SALESFORCE_CLIENT_ID!,
      clientSecret: sb.env.SALESFORCE_CLIENT_SECRET!,
      loginUrl: sb.url,
    },
    instanceUrl: sb.url,
    accessToken: sb.env.SALESFORCE_ACCESS_TOKEN!,
    refreshToken: sb.env.SALESFORCE_REFRESH_TOKEN!,
    version: VERSION,
    ...extra,
  });
}

async function rejection(promise: PromiseLike<unknown>): Promise<Error & { errorCode?: string; data?: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { errorCode?: string };
  }
  throw new Error('expected a rejection');
}

describe('Salesforce sandbox (real jsforce)', function () {
  this.timeout(30_000);
  const started: SalesforceSandbox[] = [];
  async function start(options: Partial<SalesforceSandboxOptions> = {}): Promise<SalesforceSandbox> {
    const sb = await startSalesforceSandbox({ population, ...options });
    started.push(sb);
    return sb;
  }
  after(async () => {
    await Promise.all(started.map((sb) => sb.close()));
  });

  describe('query and queryMore', () => {
    let sb: SalesforceSandbox;
    let conn: jsforce.Connection;
    before(async () => {
      sb = await start();
      conn = connect(sb);
    });

    it('pages to the end honouring Sforce-Query-Options batchSize, in (SystemModstamp, Id) order', async () => {
      const count = await conn.query('SELECT COUNT() FROM Contact');
      const headers = { 'Sforce-Query-Options': 'batchSize=500' };
      let page = await conn.query<{ Id: string; SystemModstamp: string }>(
        'SELECT Id, SystemModstamp FROM Contact ORDER BY SystemModstamp, Id',
        { autoFetch: false, headers },
      );
      const ids: string[] = [];
      let pages = 0;
      let previous = '';
      for (;;) {
        pages += 1;
        expect(page.records.length).to.be.at.most(500);
        for (const r of page.records) {
          const key = `${r.SystemModstamp}|${r.Id}`;
          expect(key > previous, `${key} after ${previous}`).to.equal(true);
          previous = key;
          ids.push(r.Id);
        }
        if (page.done) break;
        expect(page.nextRecordsUrl).to.match(new RegExp(`/services/data/v${VERSION}/query/01g\\w+-\\d+$`));
        page = await conn.queryMore(page.nextRecordsUrl!, {
          headers,
          autoFetch: false,
          maxFetch: 500,
          scanAll: false,
          responseTarget: 'QueryResult',
        });
      }
      expect(count.totalSize).to.be.greaterThan(1000);
      expect(ids.length).to.equal(count.totalSize);
      expect(new Set(ids).size).to.equal(ids.length);
      expect(pages).to.equal(Math.ceil(count.totalSize / 500));
    });

    it('caps pages at 2,000 and floors batchSize at 200', async () => {
      const big = await conn.query('SELECT Id FROM Contact', {
        autoFetch: false,
        headers: { 'Sforce-Query-Options': 'batchSize=5000' },
      });
      expect(big.records).to.have.length(2000);
      const small = await conn.query('SELECT Id FROM Contact', {
        autoFetch: false,
        headers: { 'Sforce-Query-Options': 'batchSize=10' },
      });
      expect(small.records).to.have.length(200);
    });

    it('returns relationship fields nested and filters on them', async () => {
      const result = await conn.query<{ Id: string; Individual: { HasOptedOutProfiling: boolean } | null }>(
        'SELECT Id, Individual.HasOptedOutProfiling FROM Contact WHERE Individual.HasOptedOutProfiling = true',
      );
      expect(result.totalSize).to.be.greaterThan(0);
      for (const r of result.records) expect(r.Individual?.HasOptedOutProfiling).to.equal(true);
    });

    it('answers a bad locator with INVALID_QUERY_LOCATOR', async () => {
      const error = await rejection(conn.queryMore(`/services/data/v${VERSION}/query/01gSB9999999999-2000`));
      expect(error.name).to.equal('INVALID_QUERY_LOCATOR');
    });

    it('parses the SOQL the connector sends: IN, LIKE, AND/OR/NOT, NULL, escaped strings, datetimes', async () => {
      const first = await conn.query<{ Id: string; Email: string }>(
        'SELECT Id, Email FROM Contact ORDER BY Id LIMIT 3',
      );
      const ids = first.records.map((r) => r.Id);
      const byIn = await conn.query(
        `SELECT Id FROM Contact WHERE Id IN ('${ids.join("','")}') AND (Email != null OR NOT Email = null) AND SystemModstamp > 2000-01-01T00:00:00Z`,
      );
      expect(byIn.totalSize).to.equal(3);
      const like = await conn.query(
        `SELECT Id FROM Contact WHERE Email LIKE '${first.records[0]!.Email.slice(0, 6).replace(/[%_]/g, '\\$&')}%'`,
      );
      expect(like.totalSize).to.be.greaterThan(0);
      const escaped = await conn.query("SELECT Id FROM Contact WHERE Email = 'o\\'brien\\\\@example.com'");
      expect(escaped.totalSize).to.equal(0);
      const limited = await conn.query('SELECT Id FROM Contact ORDER BY Id DESC LIMIT 5 OFFSET 2');
      expect(limited.records).to.have.length(5);
    });

    it('rejects an unescaped injection attempt as MALFORMED_QUERY, unknown fields as INVALID_FIELD', async () => {
      const injected = await rejection(conn.query("SELECT Id FROM Contact WHERE Email = 'x' OR '1'='1'"));
      expect(injected.name).to.equal('MALFORMED_QUERY');
      const unterminated = await rejection(conn.query("SELECT Id FROM Contact WHERE Email = 'x''"));
      expect(unterminated.name).to.equal('MALFORMED_QUERY');
      const badEscape = await rejection(conn.query("SELECT Id FROM Contact WHERE Email = 'x\\q'"));
      expect(badEscape.name).to.equal('MALFORMED_QUERY');
      const unknown = await rejection(conn.query('SELECT Id, Nope__c FROM Contact'));
      expect(unknown.name).to.equal('INVALID_FIELD');
      expect(unknown.message).to.include("No such column 'Nope__c' on entity 'Contact'");
      const quotedDate = await rejection(
        conn.query("SELECT Id FROM Contact WHERE SystemModstamp > '2020-01-01T00:00:00Z'"),
      );
      expect(quotedDate.name).to.equal('INVALID_QUERY_FILTER_OPERATOR');
    });
  });

  describe('limits and sessions', () => {
    it('sends Sforce-Limit-Info on every REST response (not on the versions list) and 403s past the daily quota', async () => {
      const sb = await start({ apiQuota: 50 });
      const conn = connect(sb);
      await conn.query('SELECT Id FROM Contact LIMIT 1');
      expect(conn.limitInfo.apiUsage).to.deep.equal({ used: 1, limit: 50 });
      const versions = await fetch(`${sb.url}/services/data`);
      expect(versions.headers.get('sforce-limit-info')).to.equal(null);
      expect(((await versions.json()) as { version: string }[]).map((v) => v.version)).to.include(VERSION);
      const limits = await conn.limits();
      expect(limits.DailyApiRequests).to.deep.include({ Max: 50, Remaining: 48 });
      sb.control.setApiUsage(50);
      const error = await rejection(conn.query('SELECT Id FROM Contact LIMIT 1'));
      expect(error.name).to.equal('REQUEST_LIMIT_EXCEEDED');
      expect(error.message).to.equal('TotalRequests Limit exceeded.');
    });

    it('expired session: 401 INVALID_SESSION_ID → refresh (with id and instance_url) → the request is replayed', async () => {
      const sb = await start();
      const conn = connect(sb);
      const refreshes: { id?: string; instance_url?: string; refresh_token?: string }[] = [];
      conn.on('refresh', (_token: string, res: { id?: string; instance_url?: string }) => refreshes.push(res));
      sb.control.expireTokens();
      const result = await conn.query('SELECT Id FROM Contact LIMIT 2');
      expect(result.records).to.have.length(2);
      expect(refreshes).to.have.length(1);
      expect(refreshes[0]!.id).to.match(/\/id\/00D\w+\/005\w+$/);
      expect(refreshes[0]!.instance_url).to.equal(sb.url);
      expect(refreshes[0]!.refresh_token).to.equal(undefined);
      expect(sb.counters.refreshGrants).to.equal(1);
    });

    it('rotates refresh tokens when asked: the new one works, the old one is invalid_grant', async () => {
      const sb = await start({ rotateRefreshTokens: true });
      const oauth2 = new OAuth2({
        clientId: sb.env.SALESFORCE_CLIENT_ID!,
        clientSecret: sb.env.SALESFORCE_CLIENT_SECRET!,
        loginUrl: sb.url,
      });
      const first = await oauth2.refreshToken(sb.env.SALESFORCE_REFRESH_TOKEN!);
      expect(first.refresh_token).to.be.a('string').and.not.equal(sb.env.SALESFORCE_REFRESH_TOKEN);
      const again = await rejection(oauth2.refreshToken(sb.env.SALESFORCE_REFRESH_TOKEN!));
      expect(again.name).to.equal('invalid_grant');
      const second = await oauth2.refreshToken(first.refresh_token!);
      expect(second.access_token).to.be.a('string');
    });

    it('web-server flow with PKCE: an Allow page, a redirect with the code, a token for the verifier only', async () => {
      const sb = await start();
      const redirectUri = 'http://127.0.0.1:9/callback';
      const oauth2 = new OAuth2({
        clientId: sb.env.SALESFORCE_CLIENT_ID!,
        loginUrl: sb.url,
        redirectUri,
        useVerifier: true,
      });
      const page = await fetch(oauth2.getAuthorizationUrl({ state: 's1', scope: 'api refresh_token' }));
      const html = await page.text();
      expect(page.status).to.equal(200);
      expect(html).to.include('Allow');
      const form = new URLSearchParams(
        [...html.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m): [string, string] => [
          m[1]!,
          m[2]!.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c))),
        ]),
      );
      form.set('decision', 'allow');
      const decided = await fetch(`${sb.url}/services/oauth2/authorize`, {
        method: 'POST',
        body: form,
        redirect: 'manual',
      });
      expect(decided.status).to.equal(302);
      const location = new URL(decided.headers.get('location')!);
      expect(location.searchParams.get('state')).to.equal('s1');
      const code = location.searchParams.get('code')!;
      const tokens = await oauth2.requestToken(code);
      expect(tokens.refresh_token).to.be.a('string');
      const wrong = new OAuth2({
        clientId: sb.env.SALESFORCE_CLIENT_ID!,
        loginUrl: sb.url,
        redirectUri,
        useVerifier: true,
      });
      const replay = await rejection(wrong.requestToken(code));
      expect(replay.name).to.equal('invalid_grant');
    });

    it('JWT bearer flow: a signed assertion for login.salesforce.com gets a token; a foreign key, a My Domain audience or an unapproved user do not', async () => {
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const sb = await start({
        jwtPublicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        strict: { jwtUsers: ['integration@example.com'] },
      });
      const oauth2 = new OAuth2({ clientId: sb.env.SALESFORCE_CLIENT_ID!, loginUrl: sb.url });
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const grant = (assertion: string): Promise<unknown> =>
        oauth2.requestToken({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion });
      const login = 'https://login.salesforce.com';
      const ok = (await grant(jwtAssertion(sb.env.SALESFORCE_CLIENT_ID!, 'integration@example.com', login, pem))) as {
        access_token: string;
      };
      expect(ok.access_token).to.be.a('string');
      const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString();
      const foreign = await rejection(
        grant(jwtAssertion(sb.env.SALESFORCE_CLIENT_ID!, 'integration@example.com', login, other)),
      );
      expect(foreign.name).to.equal('invalid_grant');
      // The org's own (My Domain) URL as the audience: refused, as Salesforce refuses it.
      const myDomain = await rejection(
        grant(jwtAssertion(sb.env.SALESFORCE_CLIENT_ID!, 'integration@example.com', sb.url, pem)),
      );
      expect(myDomain.message).to.include('audience is invalid');
      const unapproved = await rejection(
        grant(jwtAssertion(sb.env.SALESFORCE_CLIENT_ID!, 'someone@example.com', login, pem)),
      );
      expect(unapproved.message).to.include("user hasn't approved this consumer");
    });
  });

  describe('describe', () => {
    it('shows our fields with updateable and picklists when deployed, and not otherwise', async () => {
      const withFields = connect(await start());
      const contact = await withFields.describe('Contact');
      const tier = contact.fields.find((f) => f.name === 'Influence_Tier__c')!;
      expect(tier).to.deep.include({ type: 'picklist', updateable: true, custom: true, restrictedPicklist: true });
      expect((tier.picklistValues as { value: string }[]).map((v) => v.value)).to.deep.equal([
        'A',
        'B',
        'C',
        'D',
        'Unscored',
      ]);
      expect((await withFields.describe('Individual')).fields.map((f) => f.name)).to.include('HasOptedOutProfiling');
      const bare = connect(await start({ withCustomFields: false }));
      const names = (await bare.describe('Lead')).fields.map((f) => f.name);
      expect(names).to.include('X_Handle__c');
      expect(names.filter((n) => n.startsWith('Influence_'))).to.deep.equal([]);
      const error = await rejection(bare.query('SELECT Id, Influence_Score__c FROM Lead'));
      expect(error.name).to.equal('INVALID_FIELD');
    });
  });

  describe('sObject Collections and Composite', () => {
    let sb: SalesforceSandbox;
    let conn: jsforce.Connection;
    let ids: string[];
    before(async () => {
      sb = await start();
      conn = connect(sb);
      ids = (
        await conn.query<{ Id: string }>('SELECT Id FROM Contact ORDER BY Id LIMIT 1200', {
          autoFetch: true,
          maxFetch: 1200,
        })
      ).records.map((r) => r.Id);
    });

    it('rejects 201 records with EXCEEDED_ID_LIMIT and writes nothing', async () => {
      const before = sb.counters.recordsWritten;
      const error = await rejection(
        conn.sobject('Contact').update(ids.slice(0, 201).map((Id) => ({ Id, Influence_Score__c: 1 }))),
      );
      expect(error.name).to.equal('EXCEEDED_ID_LIMIT');
      expect(sb.counters.recordsWritten).to.equal(before);
    });

    it('answers in request order with lowercase id, per-record errors, and bumps the audit fields', async () => {
      const beforeStamp = sb.control.record(ids[0]!)!.SystemModstamp as string;
      const results = await conn.sobject('Contact').update(
        [
          { Id: ids[0]!, Influence_Score__c: 77, Influence_Tier__c: 'A' },
          { Id: ids[1]!, Influence_Tier__c: 'Gold' },
          { Id: ids[2]!, Influence_Score__c: 12345 },
        ],
        { allOrNone: false },
      );
      expect(results.map((r) => r.success)).to.deep.equal([true, false, false]);
      expect(results[0]!.id).to.equal(ids[0]);
      const errors = results.map((r) => (r.success ? undefined : (r.errors[0] as unknown as { statusCode: string })));
      expect(errors[1]!.statusCode).to.equal('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
      expect(errors[2]!.statusCode).to.equal('NUMBER_OUTSIDE_VALID_RANGE');
      const record = sb.control.record(ids[0]!)!;
      expect(record).to.include({
        Influence_Score__c: 77,
        Influence_Tier__c: 'A',
        LastModifiedById: '005SB0000000000002',
      });
      expect(Date.parse((record.SystemModstamp as string).replace('+0000', 'Z'))).to.be.greaterThan(
        Date.parse(beforeStamp.replace('+0000', 'Z')),
      );
      expect(record.LastModifiedDate).to.equal(record.SystemModstamp);
    });

    it('allOrNone rolls every record back when one fails', async () => {
      const results = await conn.sobject('Contact').update(
        [
          { Id: ids[10]!, Influence_Score__c: 5 },
          { Id: ids[11]!, Influence_Tier__c: 'Gold' },
        ],
        { allOrNone: true },
      );
      expect(results.every((r) => !r.success)).to.equal(true);
      expect((results[0] as { errors: { statusCode: string }[] }).errors[0]!.statusCode).to.equal(
        'ALL_OR_NONE_OPERATION_ROLLED_BACK',
      );
      expect(sb.control.record(ids[10]!)!.Influence_Score__c).to.equal(null);
    });

    it('Composite: 5 collections of 200 = 1,000 records in one counted API call; 26 subrequests or 6 collections refused', async () => {
      const callsBefore = sb.counters.apiCalls;
      const collections = [0, 1, 2, 3, 4].map((k) => ({
        method: 'PATCH',
        url: `/services/data/v${VERSION}/composite/sobjects`,
        referenceId: `c${k}`,
        body: {
          allOrNone: false,
          records: ids
            .slice(k * 200, k * 200 + 200)
            .map((id) => ({ attributes: { type: 'Contact' }, id, Influence_Score__c: 42 })),
        },
      }));
      const answer = await conn.requestPost<{
        compositeResponse: { httpStatusCode: number; body: { success: boolean }[] }[];
      }>('/composite', { allOrNone: false, compositeRequest: collections });
      expect(answer.compositeResponse).to.have.length(5);
      expect(
        answer.compositeResponse.every((s) => s.httpStatusCode === 200 && s.body.every((r) => r.success)),
      ).to.equal(true);
      expect(sb.counters.apiCalls - callsBefore).to.equal(1);
      expect(sb.counters.largestBatch).to.equal(200);
      expect(sb.control.record(ids[999]!)!.Influence_Score__c).to.equal(42);
      const six = await rejection(
        conn.requestPost('/composite', {
          compositeRequest: [...collections, { ...collections[0], referenceId: 'c5' }],
        }),
      );
      expect(six.name).to.equal('LIMIT_EXCEEDED');
      const many = Array.from({ length: 26 }, (_, k) => ({
        method: 'GET',
        url: `/services/data/v${VERSION}/limits`,
        referenceId: `l${k}`,
      }));
      const tooMany = await rejection(conn.requestPost('/composite', { compositeRequest: many }));
      expect(tooMany.name).to.equal('LIMIT_EXCEEDED');
    });

    it('refuses to update a converted lead', async () => {
      const lead = (await conn.query<{ Id: string }>('SELECT Id FROM Lead LIMIT 1')).records[0]!.Id;
      sb.control.convertLead(lead);
      const [result] = await conn.sobject('Lead').update([{ Id: lead, Influence_Score__c: 3 }], { allOrNone: false });
      expect((result as { errors: { statusCode: string }[] }).errors[0]!.statusCode).to.equal(
        'CANNOT_UPDATE_CONVERTED_LEAD',
      );
    });
  });

  describe('Bulk API 2.0', () => {
    it('ingest round trip: CSV upload, states, successful and failed results with sf__Id / sf__Error', async () => {
      const sb = await start();
      const conn = connect(sb);
      const ids = (await conn.query<{ Id: string }>('SELECT Id FROM Contact ORDER BY Id LIMIT 300')).records.map(
        (r) => r.Id,
      );
      const input = ids.map((Id, k) => ({
        Id,
        Influence_Score__c: k % 100,
        Influence_Tier__c: k === 7 ? 'Gold' : 'C',
        Influence_Top_Factors__c: null,
      }));
      const results = await conn.bulk2.loadAndWaitForResults({
        object: 'Contact',
        operation: 'update',
        input,
        pollInterval: 20,
        pollTimeout: 10_000,
      });
      expect(results.successfulResults).to.have.length(299);
      expect(results.failedResults).to.have.length(1);
      const failed = results.failedResults[0] as unknown as Record<string, string>;
      expect(failed.sf__Id).to.equal(ids[7]);
      expect(failed.sf__Error).to.match(/^INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:/);
      expect(sb.control.record(ids[8]!)).to.include({
        Influence_Score__c: 8,
        Influence_Tier__c: 'C',
        Influence_Top_Factors__c: null,
      });
      expect(sb.counters.calls.bulkIngest).to.be.greaterThanOrEqual(6);
    });

    it('query: pages of CSV with Sforce-Locator, the last one "null"; jsforce reads them all', async () => {
      const sb = await start();
      const conn = connect(sb);
      const total = (await conn.query('SELECT COUNT() FROM Contact')).totalSize;
      const records = await (
        await conn.bulk2.query('SELECT Id, Email, Individual.HasOptedOutProfiling FROM Contact', {
          pollInterval: 20,
          pollTimeout: 10_000,
        })
      ).toArray();
      expect(records).to.have.length(total);
      expect(Object.keys(records[0] as object)).to.deep.equal(['Id', 'Email', 'Individual.HasOptedOutProfiling']);
      const job = await conn.requestPost<{ id: string }>(`/services/data/v${VERSION}/jobs/query`, {
        operation: 'query',
        query: 'SELECT Id FROM Lead',
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const locators: string[] = [];
      let locator = '';
      let rows = 0;
      do {
        const res = await fetch(
          `${sb.url}/services/data/v${VERSION}/jobs/query/${job.id}/results?maxRecords=400${locator ? `&locator=${locator}` : ''}`,
          { headers: { Authorization: `Bearer ${sb.env.SALESFORCE_ACCESS_TOKEN!}` } },
        );
        expect(res.headers.get('content-type')).to.match(/^text\/csv/);
        rows += (await res.text()).trim().split('\n').length - 1;
        locator = res.headers.get('sforce-locator')!;
        locators.push(locator);
      } while (locator !== 'null');
      const leads = (await conn.query('SELECT COUNT() FROM Lead')).totalSize;
      expect(rows).to.equal(leads);
      expect(locators.length).to.equal(Math.ceil(leads / 400));
    });
  });

  describe('faults', () => {
    it('injects per-record locks (then success), 5xx that jsforce retries, and is deterministic', async () => {
      const sb = await start({ faults: { status5xx: 2, pathPattern: /\/query/ } });
      const conn = connect(sb);
      const ids = (await conn.query<{ Id: string }>('SELECT Id FROM Contact ORDER BY Id LIMIT 3')).records.map(
        (r) => r.Id,
      );
      expect(sb.counters.status5xx).to.equal(0);
      await conn.query('SELECT Id FROM Contact LIMIT 1');
      expect(sb.counters.status5xx).to.equal(1);
      sb.control.faults.addRecordFault({ code: 'UNABLE_TO_LOCK_ROW', ids: [ids[0]!], times: 1 });
      const first = await conn
        .sobject('Contact')
        .update([{ Id: ids[0]!, Influence_Score__c: 9 }], { allOrNone: false });
      expect((first[0] as { errors: { statusCode: string }[] }).errors[0]!.statusCode).to.equal('UNABLE_TO_LOCK_ROW');
      const second = await conn
        .sobject('Contact')
        .update([{ Id: ids[0]!, Influence_Score__c: 9 }], { allOrNone: false });
      expect(second[0]!.success).to.equal(true);
    });
  });
});
