// Contract test: every answer the sandbox portal sends during a realistic session (the real connector's install,
// reads, searches, writes with partial failures, merges and deletions, OAuth refreshes, and each error it emulates)
// validates against HubSpot's published schemas: the models @hubspot/api-client generates from HubSpot's OpenAPI
// specs, and, when HUBSPOT_OPENAPI_SPECS names a checkout of HubSpot/HubSpot-public-api-spec-collection, the specs
// themselves. Where the real API is documented to differ from its spec, the exception below says so and cites it.
import { Ajv } from 'ajv';
import { expect } from 'chai';

import type { HubSpotSandbox, SentResponse } from '../../../src/sandbox/hubspot/index.ts';
import { startHubSpotSandbox } from '../../../src/sandbox/hubspot/index.ts';
import { createPopulation } from '../../../src/sandbox/population.ts';
import { connectorFor, fields, readAll, readOptions } from '../../connectors/hubspot/helpers.ts';
import type { Api } from './published-schemas.ts';
import { SDK_MODELS, SdkSchemas, specResponseSchema } from './published-schemas.ts';

/** A published model: the API and the SDK's model name (the spec's schema is found from the route itself). */
type Model = { api: Api; sdk: string };
const model = (api: Api, sdk: string): Model => ({ api, sdk });

/** Bodies the real API sends that its spec does not describe; each documented. */
const EXCEPTIONS = {
  /** hubspot-api-python#117 and others: 429 bodies carry no `category`, which `Error` requires. */
  rateLimit: {
    type: 'object',
    required: ['status', 'message', 'errorType', 'correlationId'],
    properties: { errorType: { const: 'RATE_LIMIT' }, message: { type: 'string', pattern: 'limit' } },
  },
  /** connectors/hubspot/README.md "Authentication" and Nango's "HubSpot OAuth BAD_REFRESH_TOKEN": v1 token errors are `{status, message}`. */
  oauthV1Error: {
    type: 'object',
    required: ['status', 'message'],
    properties: { status: { type: 'string', pattern: '^[A-Z_]+$' }, message: { type: 'string' } },
  },
  /** An edge proxy's error page (not HubSpot's API): text, not JSON. */
  edgePage: { type: 'string', pattern: '<html' },
  /** The private-app token-info call `doctor` uses; not in the published specs. */
  privateAppTokenInfo: {
    type: 'object',
    required: ['hubId', 'scopes'],
    properties: { hubId: { type: 'integer' }, scopes: { type: 'array', items: { type: 'string' } } },
  },
  /** The consent page's redirect (app.hubspot.com in production), not an API answer. */
  redirect: {},
  /** 204 No Content (checked as "no body"). */
  noBody: {},
} as const;

type Expected = Model | keyof typeof EXCEPTIONS;

/** What each answer must be, by route and status; an answer matching no row fails the test. */
function expected(r: SentResponse): Expected | undefined {
  const { method, path, status } = r;
  if (path.startsWith('/oauth/')) {
    if (path === '/oauth/authorize') return 'redirect';
    if (path === '/oauth/v2/private-apps/get/access-token-info')
      return status === 200 ? 'privateAppTokenInfo' : undefined;
    if (status === 429) return 'rateLimit';
    if (status === 502) return 'edgePage';
    if (path === '/oauth/v1/token' && status === 400) return 'oauthV1Error';
    if (/^\/oauth\/v[13]\/token$/.test(path))
      return model('oauth', status === 200 ? 'AccessTokenResponse' : 'ModelError');
    if (path.startsWith('/oauth/v1/access-tokens/'))
      return model('oauth', status === 200 ? 'AccessTokenInfoResponse' : 'ModelError');
    return undefined;
  }
  if (status === 429) return 'rateLimit';
  if (status === 204) return 'noBody';
  const api: Api = path.startsWith('/crm/v3/properties/')
    ? 'properties'
    : path.startsWith('/crm/v3/objects/tasks/')
      ? 'tasks'
      : 'contacts';
  if (status >= 400) return model(api, 'ModelError');
  const routes: [string, RegExp, number, string][] = [
    ['GET', /^\/crm\/v3\/objects\/contacts$/, 200, 'CollectionResponseSimplePublicObjectWithAssociationsForwardPaging'],
    ['GET', /^\/crm\/v3\/objects\/contacts\/\d+$/, 200, 'SimplePublicObjectWithAssociations'],
    [
      'POST',
      /^\/crm\/v3\/objects\/contacts\/search$/,
      200,
      'CollectionResponseWithTotalSimplePublicObjectForwardPaging',
    ],
    ['POST', /^\/crm\/v3\/objects\/contacts\/batch\/(read|update)$/, 200, 'BatchResponseSimplePublicObject'],
    ['POST', /^\/crm\/v3\/objects\/contacts\/batch\/(read|update)$/, 207, 'BatchResponseSimplePublicObjectWithErrors'],
    // 201 as the SDK's tasks BatchApi expects (the v3 spec file still says 200).
    ['POST', /^\/crm\/v3\/objects\/tasks\/batch\/create$/, 201, 'BatchResponseSimplePublicObject'],
    ['GET', /^\/crm\/v3\/properties\/contacts$/, 200, 'CollectionResponsePropertyNoPaging'],
    ['POST', /^\/crm\/v3\/properties\/contacts$/, 201, 'Property'],
    ['GET', /^\/crm\/v3\/properties\/contacts\/groups$/, 200, 'CollectionResponsePropertyGroupNoPaging'],
    ['POST', /^\/crm\/v3\/properties\/contacts\/groups$/, 201, 'PropertyGroup'],
    ['GET', /^\/crm\/v3\/properties\/contacts\/groups\/\w+$/, 200, 'PropertyGroup'],
    ['GET', /^\/crm\/v3\/properties\/contacts\/\w+$/, 200, 'Property'],
    ['PATCH', /^\/crm\/v3\/properties\/contacts\/\w+$/, 200, 'Property'],
  ];
  const row = routes.find(([m, p, s]) => m === method && p.test(path) && s === status);
  return row === undefined ? undefined : model(api, row[3]);
}

describe('HubSpot sandbox: every answer validates against the published schemas', function () {
  this.timeout(60_000);
  const sent: SentResponse[] = [];
  const sandboxes: HubSpotSandbox[] = [];
  const start = async (options: Parameters<typeof startHubSpotSandbox>[0]) => {
    const sandbox = await startHubSpotSandbox({ ...options, onResponse: (r) => void sent.push(r) });
    sandboxes.push(sandbox);
    return sandbox;
  };
  after(async () => Promise.all(sandboxes.map((s) => s.close())));

  /** The session: what the connector does on a real portal, and each failure the sandbox emulates. */
  async function session(): Promise<void> {
    const population = createPopulation({ seed: 'hs-contract', size: 450 });
    const sandbox = await start({
      population,
      searchPerSecond: 2,
      faults: { recordErrors: [{ code: 'LOCKED', ids: ['9'] }] },
    });
    const connector = connectorFor(sandbox);
    const call = (path: string, init: RequestInit = {}, token = sandbox.env.HUBSPOT_ACCESS_TOKEN) =>
      fetch(`${sandbox.url}${path}`, {
        ...init,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...init.headers },
      });

    await connector.installFields();
    await connector.installFields();
    await connector.checkSetup();
    await call('/crm/v3/properties/contacts', {
      method: 'POST',
      body: JSON.stringify({
        name: 'github_handle',
        label: 'x',
        type: 'string',
        fieldType: 'text',
        groupName: 'contactinformation',
      }),
    });
    await call('/crm/v3/properties/contacts/github_handle', {
      method: 'PATCH',
      body: JSON.stringify({ label: 'GitHub' }),
    });
    await call('/crm/v3/properties/contacts/groups/contactinformation');
    await call('/crm/v3/properties/contacts/groups');
    await call('/crm/v3/properties/contacts', {
      method: 'POST',
      body: JSON.stringify({
        name: 'scratch',
        label: 'Scratch',
        type: 'string',
        fieldType: 'text',
        groupName: 'contactinformation',
      }),
    });
    await call('/crm/v3/properties/contacts/scratch', { method: 'DELETE' });
    await call('/crm/v3/properties/contacts/no_such_property');

    const first = await readAll(connector, null);
    await sandbox.control.mergeContacts('20', '21');
    sandbox.control.archiveContact('30');
    await sandbox.control.gdprDeleteContact('31');
    const written = await connector.writeScores(
      ['1', '2', '9', '21', '30', '31'].map((id) => ({ objectType: 'contact', id, fields: fields() })),
    );
    expect(written.filter((w) => w.ok)).to.have.length(2);
    await readAll(connector, first.cursor);
    await readAll(connector, null, readOptions({ ids: ['3', '21', '30', '31'] }));
    await call('/crm/v3/objects/contacts/5?properties=email');
    await call('/crm/v3/objects/contacts/99999');
    await call('/crm/v3/objects/contacts?archived=true&limit=10');
    await call('/crm/v3/objects/contacts/batch/update', {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ id: '1', properties: { influence_score: 'eighty' } }] }),
    });
    await call('/crm/v3/objects/contacts/search', { method: 'POST', body: JSON.stringify({ limit: 201 }) });
    // Tier-change tasks: the connector's owner read and batch create, then what HubSpot refuses.
    const made = await connector.createOwnerTasks([
      {
        objectType: 'contact',
        recordId: '1',
        subject: 'Influential contact: Ada reached tier A',
        body: 'Top factors:',
      },
      { objectType: 'contact', recordId: '10', subject: 'no owner', body: '' },
      { objectType: 'contact', recordId: '30', subject: 'archived', body: '' },
    ]);
    expect(made.map((m) => (m.ok ? 'ok' : m.code))).to.deep.equal(['ok', 'NO_OWNER', 'OBJECT_NOT_FOUND']);
    const task = (properties: Record<string, string>, to = '2') => ({
      properties: { hs_timestamp: '2026-03-01T00:00:00.000Z', ...properties },
      associations: [{ to: { id: to }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 204 }] }],
    });
    for (const inputs of [
      [task({ hubspot_owner_id: '999' })],
      [task({ hs_task_status: 'DONE' })],
      [task({}, '99999')],
      [{ properties: {} }],
    ])
      await call('/crm/v3/objects/tasks/batch/create', { method: 'POST', body: JSON.stringify({ inputs }) });
    // SECONDLY: two searches in the same second at 2/s, then a third.
    await Promise.all([1, 2, 3].map(() => call('/crm/v3/objects/contacts/search', { method: 'POST', body: '{}' })));
    await call('/crm/v3/objects/contacts', {}, 'pat-na1-not-a-token');
    sandbox.control.setDailyRemaining(0);
    await call('/crm/v3/objects/contacts?limit=1');

    // OAuth: refresh (v3 and v1), token info, refused tokens in both shapes, and a busy token endpoint.
    const oauth = {
      kind: 'oauth' as const,
      clientId: sandbox.env.HUBSPOT_CLIENT_ID,
      clientSecret: sandbox.env.HUBSPOT_CLIENT_SECRET,
      refreshToken: sandbox.control.seedRefreshToken(),
    };
    sandbox.control.failTokenEndpoint('429', '502', '503');
    const viaOAuth = connectorFor(sandbox, { auth: oauth });
    await viaOAuth.checkSetup();
    const form = (version: 'v1' | 'v3', refreshToken: string) =>
      fetch(`${sandbox.url}/oauth/${version}/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: oauth.clientId,
          client_secret: oauth.clientSecret,
          refresh_token: refreshToken,
        }),
      });
    const v1 = (await (await form('v1', oauth.refreshToken)).json()) as { access_token: string };
    await form('v1', 'revoked');
    await form('v3', 'revoked');
    await fetch(`${sandbox.url}/oauth/v1/access-tokens/${v1.access_token}`);
    await fetch(`${sandbox.url}/oauth/v1/access-tokens/not-a-token`);
    await fetch(
      `${sandbox.url}/oauth/authorize?client_id=${oauth.clientId}&redirect_uri=${encodeURIComponent('http://127.0.0.1/cb')}&scope=oauth`,
      { redirect: 'manual' },
    );
    await fetch(`${sandbox.url}/oauth/v2/private-apps/get/access-token-info`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ tokenKey: sandbox.env.HUBSPOT_ACCESS_TOKEN }),
    });

    // A token without the write scopes: 403 MISSING_SCOPES. TEN_SECONDLY_ROLLING on a small portal.
    const narrow = await start({
      population,
      privateAppScopes: ['crm.objects.contacts.read'],
      tenSecondLimit: 3,
      faults: { status5xx: 7 },
    });
    for (let i = 0; i < 8; i++)
      await fetch(`${narrow.url}/crm/v3/objects/contacts/batch/update`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${narrow.env.HUBSPOT_ACCESS_TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ inputs: [] }),
      });
  }

  it('covers every kind of answer, and each one validates (SDK models; published specs when checked out)', async () => {
    await session();
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const sdk = Object.fromEntries(
      Object.entries(SDK_MODELS).map(([api, dir]) => [api, new SdkSchemas(dir)]),
    ) as Record<Api, SdkSchemas>;
    const specRoot = process.env.HUBSPOT_OPENAPI_SPECS;
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const r of sent) {
      const want = expected(r);
      const what = `${r.method} ${r.path} → ${r.status}`;
      if (want === undefined) {
        problems.push(`${what}: no published schema says what this answer is`);
        continue;
      }
      const schemas =
        typeof want === 'string'
          ? [{ source: 'documented exception', schema: EXCEPTIONS[want] }]
          : [
              { source: `SDK ${want.sdk}`, schema: sdk[want.api].schema(want.sdk) },
              ...(specRoot === undefined
                ? []
                : [
                    {
                      source: `spec ${want.api} ${r.method} ${r.status}`,
                      schema: specResponseSchema(specRoot, want.api, r.method, r.path, r.status) ?? {
                        not: {},
                        description: 'no such operation in the published spec',
                      },
                    },
                  ]),
            ];
      seen.add(`${typeof want === 'string' ? want : want.sdk} ${r.status}`);
      if (want === 'noBody') {
        if (r.body !== undefined) problems.push(`${what}: 204 with a body`);
        continue;
      }
      for (const { source, schema } of schemas) {
        const validate = ajv.compile(schema);
        if (!validate(r.body))
          problems.push(
            `${what} (${source}): ${ajv.errorsText(validate.errors)} in ${String(JSON.stringify(r.body)).slice(0, 300)}`,
          );
      }
    }
    expect(problems, problems.join('\n')).to.deep.equal([]);
    // The session reached each kind of answer the sandbox can give.
    expect([...seen].sort()).to.include.members([
      'AccessTokenInfoResponse 200',
      'AccessTokenResponse 200',
      'BatchResponseSimplePublicObject 200',
      'BatchResponseSimplePublicObject 201',
      'BatchResponseSimplePublicObjectWithErrors 207',
      'CollectionResponsePropertyGroupNoPaging 200',
      'CollectionResponsePropertyNoPaging 200',
      'CollectionResponseSimplePublicObjectWithAssociationsForwardPaging 200',
      'CollectionResponseWithTotalSimplePublicObjectForwardPaging 200',
      'ModelError 400',
      'ModelError 401',
      'ModelError 403',
      'ModelError 404',
      'ModelError 409',
      'ModelError 503',
      'Property 200',
      'Property 201',
      'PropertyGroup 200',
      'PropertyGroup 201',
      'SimplePublicObjectWithAssociations 200',
      'edgePage 502',
      'noBody 204',
      'oauthV1Error 400',
      'privateAppTokenInfo 200',
      'rateLimit 429',
      'redirect 302',
    ]);
  });
});
