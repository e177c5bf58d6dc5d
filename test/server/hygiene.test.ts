// Issue 18 item 5, the server's part: no stored session before sign-in (the sign-in form's CSRF token is a signed
// double-submit cookie), expired sessions pruned on a timer, CRM error texts redacted on run pages, no-store on
// everything behind the session, a per-account sign-in throttle the real admin is not locked out by, /metrics closed
// to the network by default, and a Host check against DNS rebinding.
import { request as httpRequest } from 'node:http';

import { expect } from 'chai';

import { SESSION_COOKIE } from '../../src/server/app.ts';
import type { RunReport } from '../../src/store/run-report.ts';
import type { TestServer } from './helpers.ts';
import { ADMIN, Client, startTestServer } from './helpers.ts';

async function sessionRows(server: TestServer): Promise<number> {
  const rows = await server.store.sql().query<{ n: number }>('SELECT COUNT(*) AS n FROM server_sessions');
  return Number(rows[0]?.n ?? 0);
}

/** node:http, because fetch will not send a Host header of our choosing. */
function get(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const TOKEN = '00D5g000004SXYZ!AQ0AQH7kV.abcdefghijklmnopqrstuvwxyz0123456789';

describe('admin server hygiene', function () {
  this.timeout(30_000);
  let server: TestServer;
  let clock: number;

  before(async () => {
    clock = Date.now();
    server = await startTestServer({
      loginLimit: 1000,
      accountThrottle: { freeFailures: 2, baseDelayMs: 10_000 },
      sessionPruneMs: 50,
      hostNames: ['admin.internal.example'],
      now: () => new Date(clock),
    });
  });
  after(async () => {
    await server.close();
  });

  it('stores no session for anonymous visits; the sign-in form works from its cookie token alone', async () => {
    const before = await sessionRows(server);
    for (let i = 0; i < 40; i += 1) {
      const client = new Client(server.url);
      const page = await client.request('/login?next=/runs');
      expect(page.status).to.equal(200);
      expect(client.cookies.has(SESSION_COOKIE)).to.equal(false);
      await client.request('/api/session');
      await client.request('/connections');
    }
    const wrong = new Client(server.url);
    expect((await wrong.login('nobody', 'wrong password 123')).status).to.equal(401);
    expect(wrong.cookies.has(SESSION_COOKIE)).to.equal(false);
    expect(await sessionRows(server)).to.equal(before);

    // The token in the form is good with this browser's cookie, and no other.
    const browser = new Client(server.url);
    const html = await (await browser.request('/login')).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    expect(token).to.be.a('string').and.not.equal('');
    const other = new Client(server.url);
    await other.request('/login');
    const form = { username: ADMIN.username, password: ADMIN.password, _csrf: token! };
    expect((await other.request('/login', { method: 'POST', form })).status).to.equal(403);
    expect((await new Client(server.url).request('/login', { method: 'POST', form })).status).to.equal(403);
    const signedIn = await browser.request('/login', { method: 'POST', form });
    expect(signedIn.status).to.equal(303);
    expect(await sessionRows(server)).to.equal(before + 1);
    expect((await browser.request('/connections')).status).to.equal(200);
  });

  it('deletes expired sessions on a timer', async () => {
    const expired = new Date(clock - 60_000).toISOString();
    await server.store
      .sql()
      .execute('INSERT INTO server_sessions (sid_hash, data, expires_at) VALUES (?1, ?2, ?3)', [
        'expired-session',
        '{}',
        expired,
      ]);
    const left = async () =>
      (
        await server.store
          .sql()
          .query<{ n: number }>("SELECT COUNT(*) AS n FROM server_sessions WHERE sid_hash = 'expired-session'")
      )[0]?.n;
    for (let i = 0; i < 40 && Number(await left()) > 0; i += 1) await new Promise((r) => setTimeout(r, 50));
    expect(Number(await left())).to.equal(0);
  });

  it('shows CRM error texts on run pages as the logs show them (tokens redacted)', async () => {
    const at = new Date(clock).toISOString();
    const report: RunReport = {
      runId: 'run-redact',
      connection: 'sf-redact',
      crm: 'salesforce',
      dryRun: false,
      startedAt: at,
      finishedAt: at,
      status: 'partial',
      message: `token expired: Authorization: Bearer ${TOKEN}`,
      counts: { read: 1, scored: 1, unscored: 0, written: 0, unchanged: 0, optedOut: 0, failed: 1 },
      apiCalls: { crm: { read: 1, write: 1, other: 0 }, providers: {} },
      errors: [
        {
          recordId: '003000000000001',
          stage: 'write',
          code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
          message: `Validation rule says: session Bearer ${TOKEN} is not allowed`,
          retryable: false,
        },
      ],
      errorGroups: [
        {
          stage: 'write',
          code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
          message: `Validation rule says: session ${TOKEN}`,
          retryable: false,
          count: 1,
        },
      ],
    };
    await server.store.saveRun(report);
    const client = new Client(server.url);
    await client.login();
    const secretPart = TOKEN.slice(TOKEN.indexOf('!'));
    for (const path of ['/runs/run-redact', '/api/runs/run-redact', '/api/runs', '/runs']) {
      const body = await (await client.request(path)).text();
      expect(body, path).to.not.include(secretPart);
    }
    const page = await (await client.request('/runs/run-redact')).text();
    expect(page).to.include('FIELD_CUSTOM_VALIDATION_EXCEPTION').and.include('Validation rule says');
  });

  it('marks every page behind the session no-store, and keeps static files cacheable', async () => {
    const client = new Client(server.url);
    expect((await client.request('/login')).headers.get('cache-control')).to.equal('no-store');
    await client.login();
    for (const path of ['/', '/connections', '/runs', '/settings', '/contacts', '/api/session', '/api/runs', '/nope'])
      expect((await client.request(path)).headers.get('cache-control'), path).to.equal('no-store');
    expect((await client.request('/static/app.css')).headers.get('cache-control')).to.match(/max-age=3600/);
  });

  it('makes one account wait longer after each wrong password, from any browser, but not the one that signed in before', async () => {
    await server.admin.serverStore.putAdmin(
      'victim',
      (await server.admin.serverStore.getAdmin(ADMIN.username))!.password_hash,
    );
    const trusted = new Client(server.url);
    expect((await trusted.login('victim', ADMIN.password)).status).to.equal(303);
    await trusted.request('/logout', { method: 'POST', form: { _csrf: await trusted.csrf() } });

    const attack = (password: string) => new Client(server.url).login('victim', password);
    expect((await attack('guess one is wrong')).status).to.equal(401);
    expect((await attack('guess two is wrong')).status).to.equal(401);
    const held = await attack(ADMIN.password);
    expect(held.status, 'refused before the password is checked').to.equal(429);
    expect(held.headers.get('retry-after')).to.equal('10');
    expect((await new Client(server.url).login('VICTIM', ADMIN.password)).status, 'any spelling').to.equal(429);
    // Another account is not held back.
    expect((await new Client(server.url).login(ADMIN.username, 'not the password')).status).to.equal(401);

    clock += 10_000;
    expect((await attack('guess three is wrong')).status).to.equal(401);
    expect((await attack(ADMIN.password)).headers.get('retry-after'), 'the wait doubles').to.equal('20');

    // The admin's own browser still signs in, and its typos do not add to the wait.
    expect((await trusted.login('victim', 'a typo by the admin')).status).to.equal(401);
    expect((await trusted.login('victim', ADMIN.password)).status).to.equal(303);
    // A success clears the account's count.
    expect((await attack(ADMIN.password)).status).to.equal(303);
  });

  it('serves /metrics to this machine only, unless a proxy relayed the request or it is opened on purpose', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).to.equal(200);
    const relayed = await fetch(`${server.url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(relayed.status).to.equal(401);
    expect(await relayed.text()).to.include('CRM_INFLUENCE_METRICS_TOKEN');
    expect((await fetch(`${server.url}/metrics`, { headers: { forwarded: 'for=203.0.113.9' } })).status).to.equal(401);
    const open = await startTestServer({ metricsPublic: true });
    try {
      const response = await fetch(`${open.url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
      expect(response.status).to.equal(200);
    } finally {
      await open.close();
    }
  });

  it('answers only host names it is known by (DNS rebinding), IP addresses and localhost', async () => {
    const port = new URL(server.url).port;
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      'localhost.evil.example',
      'admin.internal.example.evil',
    ]) {
      for (const path of ['/', '/login', '/api/session', '/metrics', '/static/app.css']) {
        const response = await get(server.url, path, { host });
        expect(response.status, `${host} ${path}`).to.equal(421);
        expect(response.body).to.include('CRM_INFLUENCE_PUBLIC_URL');
      }
    }
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      'LOCALHOST',
      `[::1]:${port}`,
      `admin.internal.example:${port}`,
    ])
      expect((await get(server.url, '/login', { host })).status, host).to.equal(200);
    expect((await get(server.url, '/healthz', { host: 'evil.example' })).status).to.equal(200);
    const withPublicUrl = await startTestServer({ oauth: { publicUrl: 'https://crm.example.com' } });
    try {
      expect((await get(withPublicUrl.url, '/login', { host: 'crm.example.com' })).status).to.equal(200);
      expect((await get(withPublicUrl.url, '/login', { host: 'other.example.com' })).status).to.equal(421);
    } finally {
      await withPublicUrl.close();
    }
  });
});
