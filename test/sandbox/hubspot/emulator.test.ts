// The HubSpot sandbox driven by the real @hubspot/api-client over HTTP: limits, error bodies, paging, OAuth.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Client, Signature } from '@hubspot/api-client';
import type { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/contacts/models/Filter.js';
import { expect } from 'chai';

import type { HubSpotSandbox, HubSpotSandboxOptions } from '../../../src/sandbox/hubspot/index.ts';
import { startHubSpotSandbox } from '../../../src/sandbox/hubspot/index.ts';
import { createPopulation } from '../../../src/sandbox/population.ts';

const GT = 'GT' as FilterOperatorEnum;

interface ApiError {
  code: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('expected the call to fail');
}

describe('HubSpot sandbox (real @hubspot/api-client)', function () {
  this.timeout(40_000);
  const sandboxes: HubSpotSandbox[] = [];
  async function start(size: number, options: Partial<HubSpotSandboxOptions> = {}) {
    const sandbox = await startHubSpotSandbox({
      population: createPopulation({ seed: 'hs-emulator', size }),
      ...options,
    });
    sandboxes.push(sandbox);
    const client = new Client({ accessToken: sandbox.env.HUBSPOT_ACCESS_TOKEN, basePath: sandbox.url });
    return { sandbox, client };
  }
  after(async () => {
    await Promise.all(sandboxes.map((s) => s.close()));
  });

  it('pages the list API to the end, 100 per page, with repeated and comma-separated properties', async () => {
    const { sandbox, client } = await start(250);
    const ids: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await client.crm.contacts.basicApi.getPage(100, after, ['email', 'github_handle', 'twitterhandle']);
      ids.push(...page.results.map((r) => r.id));
      expect(page.results[0]?.properties).to.have.all.keys('email', 'github_handle', 'twitterhandle');
      after = page.paging?.next?.after;
      pages += 1;
    } while (after !== undefined);
    expect(pages).to.equal(3);
    expect(new Set(ids).size).to.equal(250);
    const raw = await fetch(`${sandbox.url}/crm/v3/objects/contacts?limit=2&properties=email,lastname`, {
      headers: { Authorization: `Bearer ${sandbox.env.HUBSPOT_ACCESS_TOKEN}` },
    });
    const body = (await raw.json()) as { results: { properties: Record<string, unknown> }[] };
    expect(Object.keys(body.results[0]?.properties ?? {})).to.have.members(['email', 'lastname']);
    expect(raw.headers.get('content-type')).to.match(/^application\/json/);
    expect((await failure(client.crm.contacts.basicApi.getPage(101))).code).to.equal(400);
  });

  it('rejects 101 batch inputs with 400 and accepts 100', async () => {
    const { sandbox, client } = await start(200);
    const inputs = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ id: String(i + 1), properties: { github_handle: `user${i}` } }));
    const error = await failure(client.crm.contacts.batchApi.update({ inputs: inputs(101) }));
    expect(error.code).to.equal(400);
    expect(error.body.category).to.equal('VALIDATION_ERROR');
    expect(sandbox.counters.recordsWritten).to.equal(0);
    const ok = await client.crm.contacts.batchApi.update({ inputs: inputs(100) });
    expect(ok.results).to.have.length(100);
    expect(sandbox.counters.recordsWritten).to.equal(100);
    expect(sandbox.counters.largestBatch).to.equal(101);
    expect(
      (
        await failure(
          client.crm.contacts.batchApi.read({
            inputs: inputs(101).map(({ id }) => ({ id })),
            properties: [],
            propertiesWithHistory: [],
          }),
        )
      ).code,
    ).to.equal(400);
  });

  it('answers 207 with per-record errors for missing contacts, which the client resolves (not throws)', async () => {
    const { sandbox, client } = await start(10);
    sandbox.control.archiveContact('3');
    const result = await client.crm.contacts.batchApi.update({
      inputs: [
        { id: '1', properties: { github_handle: 'a' } },
        { id: '3', properties: { github_handle: 'b' } },
        { id: '999', properties: { github_handle: 'c' } },
      ],
    });
    expect(result.results.map((r) => r.id)).to.deep.equal(['1']);
    const errors = (result as unknown as { errors: { category: string; context: { ids: string[] } }[] }).errors;
    expect(errors).to.have.length(1);
    expect(errors[0]?.category).to.equal('OBJECT_NOT_FOUND');
    expect(errors[0]?.context.ids).to.have.members(['3', '999']);
    const raw = await fetch(`${sandbox.url}/crm/v3/objects/contacts/batch/update`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${sandbox.env.HUBSPOT_ACCESS_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        inputs: [
          { id: '2', properties: {} },
          { id: '998', properties: {} },
        ],
      }),
    });
    expect(raw.status).to.equal(207);
    expect(((await raw.json()) as { numErrors: number }).numErrors).to.equal(1);
  });

  it("an API write moves the contact's lastmodifieddate to the batch answer's updatedAt, which search then shows", async () => {
    // HubSpot: lastmodifieddate is the most recent update of any property, by anyone (our integration too); the batch
    // update answer carries the record's new updatedAt (developers.hubspot.com/docs/api-reference/legacy/crm/objects/
    // contacts/batch/update-contacts). The sync engine tells its own writes apart by this stamp.
    const { client } = await start(5);
    const before = await client.crm.contacts.basicApi.getById('2', ['lastmodifieddate']);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const written = await client.crm.contacts.batchApi.update({
      inputs: [{ id: '2', properties: { github_handle: 'octocat' } }],
    });
    const stamp = written.results[0]?.updatedAt;
    expect(stamp?.getTime()).to.be.greaterThan(before.updatedAt.getTime());
    const found = await client.crm.contacts.searchApi.doSearch({
      filterGroups: [
        { filters: [{ propertyName: 'lastmodifieddate', operator: GT, value: String(before.updatedAt.getTime()) }] },
      ],
      properties: ['lastmodifieddate'],
      limit: 10,
      after: '0',
      sorts: [],
    });
    expect(found.results.map((r) => r.id)).to.deep.equal(['2']);
    expect(Date.parse(found.results[0]?.properties.lastmodifieddate ?? '')).to.equal(stamp?.getTime());
    expect(found.results[0]?.updatedAt.getTime()).to.equal(stamp?.getTime());
  });

  it('validates values: enumeration options exactly, numbers without separators, unknown and read-only properties', async () => {
    const { sandbox, client } = await start(5);
    await client.crm.properties.coreApi.create('contacts', {
      name: 'influence_tier',
      label: 'Tier',
      type: 'enumeration' as never,
      fieldType: 'select' as never,
      groupName: 'contactinformation',
      options: ['A', 'B'].map((v, i) => ({ label: v, value: v, displayOrder: i, hidden: false })),
    });
    await client.crm.properties.coreApi.create('contacts', {
      name: 'influence_score',
      label: 'Score',
      type: 'number' as never,
      fieldType: 'number' as never,
      groupName: 'contactinformation',
    });
    const bad = async (properties: Record<string, string>) =>
      failure(client.crm.contacts.batchApi.update({ inputs: [{ id: '1', properties }] }));
    expect((await bad({ influence_tier: 'a' })).body.message).to.match(/INVALID_OPTION/);
    expect((await bad({ influence_score: '1,000' })).body.message).to.match(/INVALID_INTEGER/);
    expect((await bad({ no_such_property: 'x' })).body.message).to.match(/PROPERTY_DOESNT_EXIST/);
    expect((await bad({ lastmodifieddate: '1' })).body.message).to.match(/READ_ONLY_VALUE/);
    await client.crm.contacts.batchApi.update({
      inputs: [{ id: '1', properties: { influence_tier: 'A', influence_score: '87' } }],
    });
    expect(sandbox.control.value('1', 'influence_tier')).to.equal('A');
    expect(sandbox.control.value('1', 'influence_score')).to.equal('87');
  });

  it('creates properties and groups with 201 and answers 409 CONFLICT on the second create', async () => {
    const { sandbox } = await start(5);
    const post = (path: string, body: unknown) =>
      fetch(`${sandbox.url}${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${sandbox.env.HUBSPOT_ACCESS_TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const group = { name: 'influence', label: 'Influence' };
    expect((await post('/crm/v3/properties/contacts/groups', group)).status).to.equal(201);
    const again = await post('/crm/v3/properties/contacts/groups', group);
    expect(again.status).to.equal(409);
    const prop = {
      name: 'influence_score',
      label: 'Score',
      type: 'number',
      fieldType: 'number',
      groupName: 'influence',
    };
    expect((await post('/crm/v3/properties/contacts', prop)).status).to.equal(201);
    const conflict = await post('/crm/v3/properties/contacts', prop);
    expect(conflict.status).to.equal(409);
    const body = (await conflict.json()) as Record<string, unknown>;
    expect(body).to.include({ status: 'error', category: 'CONFLICT' });
    expect(body.correlationId).to.be.a('string');
  });

  it('search: ≤ 200 per page, filter and sort limits, and a 400 past the 10,000-result cap', async () => {
    const { client } = await start(10_050, { searchPerSecond: 100 });
    const search = client.crm.contacts.searchApi;
    const filterGroups = [{ filters: [{ propertyName: 'hs_object_id', operator: GT, value: '0' }] }];
    expect(
      (await failure(search.doSearch({ filterGroups, limit: 201, after: '0', sorts: [], properties: [] }))).code,
    ).to.equal(400);
    const tooMany = Array.from({ length: 6 }, () => filterGroups[0]!);
    expect(
      (await failure(search.doSearch({ filterGroups: tooMany, limit: 10, after: '0', sorts: [], properties: [] }))).body
        .message,
    ).to.match(/filter groups/);
    expect(
      (
        await failure(
          search.doSearch({ filterGroups, limit: 10, after: '0', sorts: ['hs_object_id', 'email'], properties: [] }),
        )
      ).code,
    ).to.equal(400);
    const nearCap = await search.doSearch({
      filterGroups,
      limit: 200,
      after: '9800',
      sorts: ['hs_object_id'],
      properties: ['email'],
    });
    expect(nearCap.total).to.equal(10_050);
    expect(nearCap.results).to.have.length(200);
    expect(nearCap.paging?.next?.after).to.equal('10000');
    const past = await failure(
      search.doSearch({ filterGroups, limit: 200, after: '10000', sorts: ['hs_object_id'], properties: ['email'] }),
    );
    expect(past.code).to.equal(400);
    expect(past.body.category).to.equal('VALIDATION_ERROR');
  });

  it("429 TEN_SECONDLY_ROLLING: the exact body and headers, recognised and waited out by the client's own retry", async () => {
    const { sandbox } = await start(20, { tenSecondLimit: 3 });
    const retrying = new Client({
      accessToken: sandbox.env.HUBSPOT_ACCESS_TOKEN,
      basePath: sandbox.url,
      numberOfApiCallRetries: 2,
    });
    for (let i = 0; i < 3; i++) await retrying.crm.contacts.basicApi.getPage(1);
    const raw = await fetch(`${sandbox.url}/crm/v3/objects/contacts?limit=1`, {
      headers: { Authorization: `Bearer ${sandbox.env.HUBSPOT_ACCESS_TOKEN}` },
    });
    expect(raw.status).to.equal(429);
    expect(raw.headers.get('content-type')).to.match(/^application\/json/);
    expect(raw.headers.get('x-hubspot-ratelimit-remaining')).to.equal('0');
    expect(raw.headers.get('x-hubspot-ratelimit-max')).to.equal('3');
    expect(raw.headers.get('x-hubspot-ratelimit-interval-milliseconds')).to.equal('10000');
    const body = (await raw.json()) as Record<string, unknown>;
    expect(body).to.include({
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      policyName: 'TEN_SECONDLY_ROLLING',
    });
    const before = sandbox.counters.calls['GET /crm/v3/objects/contacts'] ?? 0;
    // The client's RetryDecorator sees policyName and waits 10 s, by which time the rolling window has room.
    const page = await retrying.crm.contacts.basicApi.getPage(1);
    expect(page.results).to.have.length(1);
    expect((sandbox.counters.calls['GET /crm/v3/objects/contacts'] ?? 0) - before).to.equal(2);
    expect(sandbox.counters.served429.TEN_SECONDLY_ROLLING).to.equal(2);
  });

  it("429 SECONDLY on the 5th search in a second is retried by the client's own retry (it matches the message)", async () => {
    const { sandbox } = await start(20, { searchPerSecond: 1 });
    const retrying = new Client({
      accessToken: sandbox.env.HUBSPOT_ACCESS_TOKEN,
      basePath: sandbox.url,
      numberOfApiCallRetries: 3,
    });
    const req = { filterGroups: [], sorts: [], properties: ['email'], limit: 5, after: '0' };
    await retrying.crm.contacts.searchApi.doSearch(req);
    const second = await retrying.crm.contacts.searchApi.doSearch(req);
    expect(second.results).to.have.length(5);
    expect(sandbox.counters.served429.SECONDLY).to.be.at.least(1);
    expect(sandbox.counters.calls['POST /crm/v3/objects/contacts/search']).to.equal(
      2 + sandbox.counters.served429.SECONDLY,
    );
  });

  it('429 DAILY for private apps: exact body, Daily headers, and no retry by the client', async () => {
    const { sandbox } = await start(20, { dailyLimit: 2 });
    const retrying = new Client({
      accessToken: sandbox.env.HUBSPOT_ACCESS_TOKEN,
      basePath: sandbox.url,
      numberOfApiCallRetries: 3,
    });
    await retrying.crm.contacts.basicApi.getPage(1);
    await retrying.crm.contacts.basicApi.getPage(1);
    const error = await failure(retrying.crm.contacts.basicApi.getPage(1));
    expect(error.code).to.equal(429);
    expect(error.body.message).to.equal('You have reached your daily limit.');
    expect(error.headers['x-hubspot-ratelimit-daily']).to.equal('2');
    expect(error.headers['x-hubspot-ratelimit-daily-remaining']).to.equal('0');
    expect(sandbox.counters.served429.DAILY).to.equal(1);
    expect(sandbox.counters.calls['GET /crm/v3/objects/contacts']).to.equal(3);
  });

  it('OAuth: authorize redirects with a code; v1 and v3 token endpoints; 30-minute tokens; 401 EXPIRED_AUTHENTICATION', async () => {
    const { sandbox } = await start(5, { rotateRefreshTokens: true });
    const { HUBSPOT_CLIENT_ID: clientId, HUBSPOT_CLIENT_SECRET: clientSecret } = sandbox.env;
    const redirectUri = 'http://127.0.0.1:9/callback';
    const authorize = await fetch(
      `${sandbox.url}/oauth/authorize?client_id=${clientId}&redirect_uri=${encodeURIComponent(redirectUri)}&scope=oauth%20crm.objects.contacts.read&state=xyz`,
      { redirect: 'manual' },
    );
    expect(authorize.status).to.equal(302);
    const location = new URL(authorize.headers.get('location') ?? '');
    expect(location.searchParams.get('state')).to.equal('xyz');
    const code = location.searchParams.get('code') ?? '';
    const oauthClient = new Client({ basePath: sandbox.url });
    const first = await oauthClient.oauth.tokensApi.create(
      'authorization_code',
      code,
      redirectUri,
      clientId,
      clientSecret,
    );
    expect(first.expiresIn).to.equal(1800);
    const v3 = await fetch(`${sandbox.url}/oauth/v3/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: clientId,
        client_secret: clientSecret,
        refresh_token: first.refreshToken,
      }),
    });
    const second = (await v3.json()) as { access_token: string; refresh_token: string; expires_in: number };
    expect(second.expires_in).to.equal(1800);
    expect(second.refresh_token).to.not.equal(first.refreshToken);
    const reused = await failure(
      oauthClient.oauth.tokensApi.create(
        'refresh_token',
        undefined,
        undefined,
        clientId,
        clientSecret,
        first.refreshToken,
      ),
    );
    expect(reused.code).to.equal(400);
    const client = new Client({ accessToken: second.access_token, basePath: sandbox.url });
    expect((await client.crm.contacts.basicApi.getPage(1)).results).to.have.length(1);
    sandbox.control.expireTokens();
    const expired = await failure(client.crm.contacts.basicApi.getPage(1));
    expect(expired.code).to.equal(401);
    expect(expired.body.category).to.equal('EXPIRED_AUTHENTICATION');
    expect(expired.body.message).to.match(/^The OAuth token used to make this call expired \d+ second\(s\) ago\.$/);
    // OAuth responses carry no Daily headers; the private-app token is unaffected by expiry.
    const priv = await fetch(`${sandbox.url}/crm/v3/objects/contacts?limit=1`, {
      headers: { Authorization: `Bearer ${sandbox.env.HUBSPOT_ACCESS_TOKEN}` },
    });
    expect(priv.status).to.equal(200);
    expect(priv.headers.get('x-hubspot-ratelimit-daily')).to.not.equal(null);
  });

  it("signs webhooks with v3 (the client's Signature.isValid agrees) and POSTs contact changes to the target", async () => {
    const received: { url: string; headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    const target = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/webhooks/hubspot`;
    try {
      const { sandbox } = await start(5, { webhookTargetUrl: url });
      await sandbox.control.editContact('2', { github_handle: 'octocat' });
      const id = await sandbox.control.createContact({ email: 'new@example.com' });
      expect(received).to.have.length(2);
      const [change, creation] = received;
      const events = JSON.parse(change?.body ?? '[]') as {
        subscriptionType: string;
        objectTypeId: string;
        objectId: number;
        propertyName: string;
      }[];
      // A developer-project app's subscriptions: generic object events, contacts being object type 0-1.
      expect(events[0]).to.include({
        subscriptionType: 'object.propertyChange',
        objectTypeId: '0-1',
        objectId: 2,
        propertyName: 'github_handle',
      });
      expect(JSON.parse(creation?.body ?? '[]')).to.have.nested.property('[0].objectId', Number(id));
      expect(
        Signature.isValid({
          signatureVersion: 'v3',
          method: 'POST',
          url,
          requestBody: change?.body ?? '',
          clientSecret: sandbox.env.HUBSPOT_CLIENT_SECRET,
          signature: String(change?.headers['x-hubspot-signature-v3']),
          timestamp: Number(change?.headers['x-hubspot-request-timestamp']),
        }),
      ).to.equal(true);
    } finally {
      await new Promise<void>((r) => target.close(() => r()));
    }
  });

  it('holds 1,000,000 contacts lazily and counts calls per endpoint', async () => {
    const before = process.memoryUsage().heapUsed;
    const { sandbox, client } = await start(1_000_000);
    const last = await client.crm.contacts.basicApi.getPage(100, '999951', ['email']);
    expect(last.results.map((r) => r.id).at(-1)).to.equal('1000000');
    expect(last.paging).to.equal(undefined);
    await client.crm.contacts.batchApi.update({ inputs: [{ id: '999999', properties: { github_handle: 'late' } }] });
    expect(sandbox.control.value('999999', 'github_handle')).to.equal('late');
    expect(process.memoryUsage().heapUsed - before).to.be.below(100 * 1024 * 1024);
    expect(sandbox.counters.calls).to.deep.equal({
      'GET /crm/v3/objects/contacts': 1,
      'POST /crm/v3/objects/contacts/batch/update': 1,
    });
    expect(sandbox.counters.recordsRead).to.equal(50);
  });
});
