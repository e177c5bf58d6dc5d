import { expect } from 'chai';

import { signV3 } from '../../connectors/hubspot/webhook.ts';
import { createHubSpotWebhookHandler } from '../../connectors/hubspot/webhook.ts';
import { SESSION_COOKIE } from '../../src/server/app.ts';
import { DEVICE_COOKIE } from '../../src/server/login-throttle.ts';
import { CSRF_COOKIE, safeNext } from '../../src/server/security.ts';
import type { TestServer } from './helpers.ts';
import { ADMIN, Client, startTestServer } from './helpers.ts';

const SECRETS = {
  refreshToken: '5Aep861SECRETrefreshTOKENvalue.abcdefXYZ',
  accessToken: '00D000000000001!SECRETaccessTOKENvalue',
  clientSecret: 'hubspot-client-secret-0123456789',
};

const PAGES = [
  '/',
  '/dashboard',
  '/connections',
  '/runs',
  '/runs/nope',
  '/contacts',
  '/contacts?id=003A',
  '/settings',
  '/connect/salesforce',
  '/connect/hubspot',
  '/oauth/salesforce/callback?code=x&state=y',
  '/oauth/hubspot/callback?code=x',
  '/no-such-page',
];
const POSTS = ['/connections/sf1/run', '/connections/sf1/disconnect', '/runs/r1/retry', '/settings', '/logout'];

describe('admin server security', function () {
  this.timeout(30_000);
  let server: TestServer;
  let webhookQueued: string[][];

  before(async () => {
    webhookQueued = [];
    server = await startTestServer({
      loginLimit: 4,
      metricsToken: 'metrics-token-0123456789abcdef',
      webhookDebounceMs: 60_000,
      hubspotWebhook: (deliver) =>
        createHubSpotWebhookHandler({
          clientSecret: SECRETS.clientSecret,
          onEvents: async (actions) => {
            webhookQueued.push(actions.rescore);
            await deliver(actions);
          },
        }),
    });
    await server.store.saveConnection({
      id: 'sf1',
      crm: 'salesforce',
      name: 'Acme org',
      status: 'ok',
      statusMessage: null,
      credentials: {
        instanceUrl: 'https://acme.my.salesforce.com',
        refreshToken: SECRETS.refreshToken,
        accessToken: SECRETS.accessToken,
      },
      settings: {},
    });
    await server.store.saveConnection({
      id: 'hubspot-1234567',
      crm: 'hubspot',
      name: 'Portal',
      status: 'ok',
      statusMessage: null,
      credentials: { refreshToken: SECRETS.refreshToken },
      settings: {},
    });
  });
  after(async () => {
    await server.close();
  });

  it('serves /healthz without a session, and /metrics only with its token', async () => {
    const client = new Client(server.url);
    expect((await client.request('/healthz')).status).to.equal(200);
    expect((await client.request('/metrics')).status).to.equal(401);
    const metrics = await client.request('/metrics', {
      headers: { authorization: 'Bearer metrics-token-0123456789abcdef' },
    });
    expect(metrics.status).to.equal(200);
    const text = await metrics.text();
    expect(text)
      .to.include('# TYPE crm_influence_runs_total counter')
      .and.include('crm_influence_connections{crm="salesforce",status="ok"} 1');
  });

  it('refuses every page and API route without a session', async () => {
    const client = new Client(server.url);
    for (const page of PAGES) {
      const html = await client.request(page);
      expect(html.status, page).to.equal(303);
      expect(html.headers.get('location'), page).to.match(/^\/login\?next=/);
      const api = await client.request(`/api${page === '/' ? '' : page}`, { headers: { accept: 'application/json' } });
      expect([401, 303], `/api${page}`).to.include(api.status);
      if (api.status === 303) expect(api.headers.get('location')).to.match(/^\/login/);
      const json = await client.request(page, { headers: { accept: 'application/json' } });
      expect(json.status, `${page} as JSON`).to.equal(401);
    }
    const token = await client.csrf();
    for (const post of POSTS.filter((p) => p !== '/logout')) {
      const response = await client.request(post, { method: 'POST', form: { _csrf: token, connection: 'sf1' } });
      expect(response.status, post).to.equal(401);
    }
    expect(await server.store.getConnection('sf1')).to.not.equal(null);
    expect(server.runs).to.have.length(0);
  });

  it('rejects a state-changing request without the CSRF token (403), even signed in', async () => {
    const client = new Client(server.url);
    expect((await client.login()).status).to.equal(303);
    for (const post of POSTS) {
      const missing = await client.request(post, { method: 'POST', form: { connection: 'sf1' } });
      expect(missing.status, post).to.equal(403);
      const wrong = await client.request(post, { method: 'POST', form: { connection: 'sf1', _csrf: 'x'.repeat(43) } });
      expect(wrong.status, post).to.equal(403);
      const json = await client.request(`/api${post}`, { method: 'POST', json: { connection: 'sf1' } });
      expect(json.status, `/api${post}`).to.equal(403);
    }
    expect(await server.store.getConnection('sf1')).to.not.equal(null);
    expect(server.runs).to.have.length(0);
    // The same request with the token works (so the 403 was the token's doing).
    const token = await client.csrf();
    const ok = await client.request('/api/connections/sf1/run', {
      method: 'POST',
      json: { dryRun: true },
      headers: { 'x-csrf-token': token },
    });
    expect(ok.status).to.equal(202);
    await new Promise((r) => setTimeout(r, 50));
    expect(server.runs.map((r) => r.request.dryRun)).to.deep.equal([true]);
  });

  it('refuses open redirects after sign-in', async () => {
    for (const next of [
      '//evil.example',
      'https://evil.example/x',
      '/\\evil.example',
      '\\\\evil.example',
      'javascript:alert(1)',
      '/%0d%0aLocation:%20http://evil',
      ' //evil.example',
      'http:evil.example',
    ]) {
      const client = new Client(server.url);
      const response = await client.login(ADMIN.username, ADMIN.password, next);
      expect(response.status, next).to.equal(303);
      const location = response.headers.get('location') ?? '';
      expect(
        location.startsWith('/') && !location.startsWith('//') && !location.includes('evil.example\r'),
        `${next} → ${location}`,
      ).to.equal(true);
      expect(new URL(location, 'http://127.0.0.1').host, next).to.equal('127.0.0.1');
    }
    const client = new Client(server.url);
    expect(
      (await client.login(ADMIN.username, ADMIN.password, '/runs?connection=sf1')).headers.get('location'),
    ).to.equal('/runs?connection=sf1');
    expect(safeNext('/\u0000x')).to.equal('/');
  });

  // Each of these resolves (in a browser, or behind a proxy that decodes) to another host once normalised.
  const BYPASSES = [
    '/.//evil.example/x',
    '/..//evil.example/x',
    '/%2e//evil.example/x',
    '/%2E%2E//evil.example/x',
    '/a/..//evil.example/x',
    '/a/%2e%2e//evil.example/x',
    '/./\\evil.example/x',
    '/\\evil.example/x',
    '/%2F/evil.example/x',
    '/%2f%2fevil.example/x',
    '/%5C%5Cevil.example/x',
    '/%5c/evil.example/x',
    '/\t/evil.example/x',
    '/\n/evil.example/x',
    '/\r\n/evil.example/x',
    '/.\t//evil.example/x',
    '/%09/evil.example/x',
  ];

  it('sends every normalisation bypass of `next` to / (POST /login and signed-in GET /login)', async () => {
    const signedIn = new Client(server.url);
    await signedIn.login();
    for (const next of BYPASSES) {
      expect(safeNext(next), JSON.stringify(next)).to.equal('/');
      const posted = await new Client(server.url).login(ADMIN.username, ADMIN.password, next);
      expect(posted.status, JSON.stringify(next)).to.equal(303);
      expect(posted.headers.get('location'), `POST ${JSON.stringify(next)}`).to.equal('/');
      const got = await signedIn.request(`/login?next=${encodeURIComponent(next)}`);
      expect(got.status, JSON.stringify(next)).to.equal(303);
      expect(got.headers.get('location'), `GET ${JSON.stringify(next)}`).to.equal('/');
    }
  });

  it('keeps a real path and query on this site, normalised, and drops the fragment', async () => {
    expect(safeNext('/runs/./x/../abc?connection=sf1#top')).to.equal('/runs/abc?connection=sf1');
    expect(safeNext('/contacts?email=a%40b.example')).to.equal('/contacts?email=a%40b.example');
    expect(safeNext('/a//b')).to.equal('/a//b');
    const signedIn = new Client(server.url);
    await signedIn.login();
    const got = await signedIn.request(`/login?next=${encodeURIComponent('/runs?connection=sf1')}`);
    expect(got.headers.get('location')).to.equal('/runs?connection=sf1');
  });

  it('rotates the session id on sign-in; the old id is not signed in', async () => {
    const client = new Client(server.url);
    await client.login();
    const before = client.cookies.get(SESSION_COOKIE);
    expect(before).to.be.a('string');
    // Signing in over a live session (one an attacker planted, in session fixation) gives a new id.
    await client.login();
    const after = client.cookies.get(SESSION_COOKIE);
    expect(after).to.be.a('string').and.not.equal(before);
    const stale = new Client(server.url);
    stale.cookies.set(SESSION_COOKIE, before!);
    expect((await stale.request('/connections')).status).to.equal(303);
    expect((await client.request('/connections')).status).to.equal(200);
  });

  it('sets the session and CSRF cookies HttpOnly and SameSite=Lax, and Secure behind https', async () => {
    const client = new Client(server.url);
    const anonymous = await client.request('/api/session');
    expect(anonymous.headers.getSetCookie().find((c) => c.startsWith(`${CSRF_COOKIE}=`)))
      .to.match(/HttpOnly/i)
      .and.match(/SameSite=Lax/i);
    const csp = anonymous.headers.get('content-security-policy') ?? '';
    expect(csp).to.include("script-src 'self'").and.include("style-src 'self'").and.not.include('unsafe-inline');
    const cookie = (await client.login()).headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    expect(cookie)
      .to.match(/HttpOnly/i)
      .and.match(/SameSite=Lax/i);
    const secure = await startTestServer({ secureCookies: 'auto', trustProxy: 1 });
    try {
      const viaProxy = new Client(secure.url);
      const headers = { 'x-forwarded-proto': 'https' };
      const token = ((await (await viaProxy.request('/api/session', { headers })).json()) as { csrfToken: string })
        .csrfToken;
      expect(viaProxy.cookies.has(CSRF_COOKIE)).to.equal(true);
      const signedIn = await viaProxy.request('/login', {
        method: 'POST',
        headers,
        form: { username: ADMIN.username, password: ADMIN.password, _csrf: token },
      });
      expect(signedIn.status).to.equal(303);
      const cookies = signedIn.headers.getSetCookie();
      expect(cookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`))).to.match(/;\s*Secure/i);
      expect(cookies.find((c) => c.startsWith(`${DEVICE_COOKIE}=`))).to.match(/;\s*Secure/i);
    } finally {
      await secure.close();
    }
  });

  it('never shows or logs a secret: pages, JSON, error pages, metrics and logs', async () => {
    const client = new Client(server.url);
    await client.login();
    const bodies: string[] = [];
    for (const page of [...PAGES, '/runs?connection=sf1', '/settings?connection=sf1']) {
      bodies.push(await (await client.request(page)).text());
      bodies.push(await (await client.request(`/api${page === '/' ? '' : page}`)).text());
    }
    bodies.push(
      await (
        await client.request('/api/connections/sf1/run', {
          method: 'POST',
          body: '{"oops',
          headers: { 'content-type': 'application/json', 'x-csrf-token': await client.csrf() },
        })
      ).text(),
    );
    bodies.push(
      await (
        await client.request('/metrics', { headers: { authorization: 'Bearer metrics-token-0123456789abcdef' } })
      ).text(),
    );
    const sessionSecret = (
      await server.store
        .sql()
        .query<{ value: string }>("SELECT value FROM server_secrets WHERE name = 'session-cookie'")
    )[0]!.value;
    const hash = (await server.admin.serverStore.getAdmin(ADMIN.username))!.password_hash;
    const all = bodies.join('\n') + server.logs.join('\n');
    for (const secret of [...Object.values(SECRETS), ADMIN.password, sessionSecret, hash, hash.split('$')[5]!]) {
      expect(all.includes(secret), `leaked ${secret.slice(0, 6)}…`).to.equal(false);
    }
    expect(bodies.join('\n')).to.include('Acme org');
  });

  it('rejects malformed and oversized bodies with 4xx and keeps serving', async () => {
    const client = new Client(server.url);
    await client.login();
    const token = await client.csrf();
    const post = (body: string, type: string) =>
      client.request('/api/settings', {
        method: 'POST',
        body,
        headers: { 'content-type': type, 'x-csrf-token': token },
      });
    expect((await post('{"connection":', 'application/json')).status).to.equal(400);
    expect(
      (await post(JSON.stringify({ connection: 'sf1', pad: 'x'.repeat(100_000) }), 'application/json')).status,
    ).to.equal(413);
    expect(
      (await post(`connection=sf1&${'a=1&'.repeat(20_000)}`, 'application/x-www-form-urlencoded')).status,
    ).to.be.within(400, 499);
    expect((await post('[1,2,3]', 'application/json')).status).to.equal(400);
    expect(
      (await post('{"connection":"sf1","tierA":"lots","schedule":"every day"}', 'application/json')).status,
    ).to.equal(422);
    expect((await post('\u0000\u0001garbage', 'application/octet-stream')).status).to.be.within(400, 499);
    expect(
      (
        await client.request('/api/connections/sf1/run', {
          method: 'POST',
          json: { dryRun: 'perhaps' },
          headers: { 'x-csrf-token': token },
        })
      ).status,
    ).to.equal(400);
    expect((await client.request(`/api/runs/${'x'.repeat(5000)}`)).status).to.be.within(400, 499);
    expect((await client.request('/api/contacts?id=a&id=b')).status).to.be.within(200, 499);
    expect((await client.request('/healthz')).status).to.equal(200);
    const errors = server.logs.filter((l) => l.includes('"level":50'));
    expect(errors, errors.join('\n')).to.deep.equal([]);
  });

  it('accepts only signed HubSpot webhooks and queues their contacts', async () => {
    const body = JSON.stringify([
      { eventId: 1, portalId: 1234567, occurredAt: Date.now(), subscriptionType: 'contact.creation', objectId: 901 },
    ]);
    const unsigned = await fetch(`${server.url}/webhooks/hubspot`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(unsigned.status).to.equal(401);
    const timestamp = String(Date.now());
    const signature = signV3(SECRETS.clientSecret, 'POST', `${server.url}/webhooks/hubspot`, body, timestamp);
    const signed = await fetch(`${server.url}/webhooks/hubspot`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-hubspot-signature-v3': signature,
        'x-hubspot-request-timestamp': timestamp,
      },
    });
    expect(signed.status).to.equal(204);
    expect(webhookQueued).to.deep.equal([['901']]);
    expect(await server.admin.serverStore.queuedContacts('hubspot-1234567')).to.deep.equal(['901']);
  });

  it('drops HubSpot webhooks of a portal no connection belongs to, and forgets erased contacts at once', async () => {
    const post = (events: Record<string, unknown>[]) => {
      const body = JSON.stringify(events.map((e) => ({ occurredAt: Date.now(), ...e })));
      const timestamp = String(Date.now());
      return fetch(`${server.url}/webhooks/hubspot`, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'x-hubspot-signature-v3': signV3(
            SECRETS.clientSecret,
            'POST',
            `${server.url}/webhooks/hubspot`,
            body,
            timestamp,
          ),
          'x-hubspot-request-timestamp': timestamp,
        },
      });
    };
    const stranger = await post([
      { eventId: 31, portalId: 999, subscriptionType: 'object.creation', objectTypeId: '0-1', objectId: 903 },
    ]);
    expect(stranger.status).to.equal(204);
    expect(await server.admin.serverStore.queuedContacts('hubspot-1234567')).to.not.include('903');

    await server.store.putSyncStates('hubspot-1234567', [
      { recordId: '902', objectType: 'contact', lastWritten: null, writtenAt: null, fingerprint: 'fp', email: 'x@y.z' },
    ]);
    const erased = await post([
      { eventId: 32, portalId: 1234567, subscriptionType: 'contact.privacyDeletion', objectId: 902 },
    ]);
    expect(erased.status).to.equal(204);
    expect((await server.store.getSyncStates('hubspot-1234567', ['902'])).size).to.equal(0);
  });

  it('throttles sign-in after repeated failures, even for the right password', async () => {
    const client = new Client(server.url);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await client.login(ADMIN.username, `wrong password ${i}`)).status);
    expect(statuses.slice(0, 4)).to.deep.equal([401, 401, 401, 401]);
    expect(statuses[4]).to.equal(429);
    expect((await client.login()).status).to.equal(429);
  });
});
