// Rate limits (429 of each policy) and auth (private token, OAuth refresh: proactive, on expiry, single-flight,
// rotation, revoked) through the connector against the sandbox.
import { expect } from 'chai';

import { classifyTokenError } from '../../../connectors/hubspot/auth.ts';
import type { OAuthTokens } from '../../../connectors/hubspot/index.ts';
import { HubSpotPortals } from '../../../connectors/hubspot/index.ts';
import { BudgetReachedError, NeedsReauthError, SetupError } from '../../../src/crm/errors.ts';
import type { HubSpotSandbox } from '../../../src/sandbox/hubspot/index.ts';
import { connectorFor, fields, portalsForSuite, readAll, readOptions, sleep } from './helpers.ts';

describe('HubSpot connector: rate limits and auth', function () {
  this.timeout(40_000);
  const portal = portalsForSuite({ installFields: true });
  const oauth = (sandbox: HubSpotSandbox, refreshToken: string) => ({
    kind: 'oauth' as const,
    clientId: sandbox.env.HUBSPOT_CLIENT_ID,
    clientSecret: sandbox.env.HUBSPOT_CLIENT_SECRET,
    refreshToken,
  });

  it("stays under the portal's 10-second window on its own: no 429 while the limiter paces the calls", async () => {
    const sandbox = await portal(1_000, { tenSecondLimit: 8 }, false);
    const connector = connectorFor(sandbox, { tenSecondLimit: 8 });
    const started = Date.now();
    const read = await readAll(connector, null);
    expect(read.contacts).to.have.length(1_000);
    expect(sandbox.counters.served429).to.deep.equal({ TEN_SECONDLY_ROLLING: 0, SECONDLY: 0, DAILY: 0, injected: 0 });
    // 10 list calls at 8 per rolling 10 s: the 9th and 10th had to wait for the window.
    expect(Date.now() - started).to.be.at.least(9_000);
  });

  it('waits out TEN_SECONDLY_ROLLING 429s (injected) and SECONDLY 429s from the search lane, losing nothing', async () => {
    const sandbox = await portal(1_200, {
      searchPerSecond: 1,
      faults: { status429: 4, pathPattern: /objects\/contacts$/ },
    });
    const connector = connectorFor(sandbox);
    const first = await readAll(connector, null);
    expect(first.contacts).to.have.length(1_200);
    expect(sandbox.counters.served429.injected).to.be.at.least(2);
    expect(connector.api.rateLimited.TEN_SECONDLY_ROLLING).to.equal(sandbox.counters.served429.injected);
    // The sandbox allows 1 search/s, the connector assumes HubSpot's 4: HubSpot's SECONDLY answers slow it down.
    // Nothing was scored yet: every contact that has not opted out is "never scored" and comes back.
    const searched = await readAll(connector, first.cursor);
    const expected = first.contacts.filter((c) => !c.doNotProfile).map((c) => c.id);
    expect(searched.contacts.map((c) => c.id)).to.deep.equal(expected);
    expect(sandbox.counters.served429.SECONDLY).to.be.at.least(1);
    expect(connector.api.rateLimited.SECONDLY).to.equal(sandbox.counters.served429.SECONDLY);
  });

  it('stops with BudgetReachedError on a DAILY 429 and reports the budget', async () => {
    const sandbox = await portal(500, { dailyLimit: 1_000 });
    sandbox.control.setDailyRemaining(2);
    const connector = connectorFor(sandbox);
    let error: unknown;
    let pages = 0;
    try {
      for await (const _page of connector.readContacts(null, readOptions())) pages += 1;
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(BudgetReachedError);
    expect((error as Error).message).to.match(/daily API limit reached \(0 of 1000 calls left\)/);
    expect(pages).to.equal(2);
    expect(connector.apiUsage().budget).to.deep.equal({ limit: 1_000, remaining: 0 });
    expect(sandbox.counters.served429.DAILY).to.equal(1);
  });

  it('429 bodies without policyName: the limit is read from the message (waited out, or DAILY ends the run)', async () => {
    const sandbox = await portal(300, {
      bareRateLimitBodies: true,
      dailyLimit: 1_000,
      faults: { status429: 2, pathPattern: /objects\/contacts$/ },
    });
    const connector = connectorFor(sandbox);
    expect((await readAll(connector, null)).contacts).to.have.length(300);
    expect(connector.api.rateLimited.TEN_SECONDLY_ROLLING).to.equal(sandbox.counters.served429.injected);
    expect(connector.api.rateLimited.UNKNOWN).to.equal(0);
    sandbox.control.setDailyRemaining(0);
    const error = await readAll(connector, null).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(BudgetReachedError);
  });

  it('OAuth: refreshes on EXPIRED_AUTHENTICATION mid-run and persists every new token pair', async () => {
    const sandbox = await portal(600);
    const saved: OAuthTokens[] = [];
    const connector = connectorFor(
      sandbox,
      { auth: oauth(sandbox, sandbox.control.seedRefreshToken()) },
      { onTokens: (t) => void saved.push(t) },
    );
    const ids: string[] = [];
    let pages = 0;
    for await (const page of connector.readContacts(null, readOptions())) {
      ids.push(...page.contacts.map((c) => c.id));
      pages += 1;
      if (pages === 2) sandbox.control.expireTokens();
    }
    expect(ids).to.have.length(600);
    expect(new Set(ids).size).to.equal(600);
    expect(sandbox.control.refreshCount()).to.equal(2);
    expect(saved).to.have.length(2);
    expect(saved[1]?.accessToken).to.not.equal(saved[0]?.accessToken);
    expect(saved[1]?.expiresAt).to.be.greaterThan(Date.now() + 1_700_000);
  });

  it('OAuth: refreshes ahead of expiry, once for many concurrent calls, and keeps a rotated refresh token', async () => {
    const sandbox = await portal(400, { accessTokenTtlSeconds: 2, rotateRefreshTokens: true });
    const seeded = sandbox.control.seedRefreshToken();
    const saved: OAuthTokens[] = [];
    const connector = connectorFor(sandbox, { auth: oauth(sandbox, seeded) }, { onTokens: (t) => void saved.push(t) });
    await connector.writeScores([{ objectType: 'contact', id: '1', fields: fields() }]).catch(() => undefined);
    expect(sandbox.control.refreshCount()).to.equal(1);
    expect(saved[0]?.refreshToken).to.not.equal(seeded);
    await sleep(1_700);
    // Four batches in flight at once, token about to expire: one refresh, no 401.
    const updates = Array.from({ length: 400 }, (_, i) => ({
      objectType: 'contact',
      id: String(i + 1),
      fields: fields({ reasonCodes: [] }),
    }));
    const before = connector.apiUsage().calls.write;
    const results = await connector.writeScores(updates);
    expect(results.filter((r) => !r.ok)).to.deep.equal([]);
    expect(sandbox.control.refreshCount()).to.equal(2);
    expect(connector.apiUsage().calls.write - before).to.equal(4);
    expect(saved).to.have.length(2);
    expect(saved[1]?.refreshToken).to.not.equal(saved[0]?.refreshToken);
  });

  it("OAuth: a connector built from a stale stored refresh token uses the portal's newest one; a reconnect's new grant wins", async () => {
    const sandbox = await portal(50, { rotateRefreshTokens: true });
    const seeded = sandbox.control.seedRefreshToken();
    const portalKey = `rotation-${Date.now()}`;
    // One process (one HubSpotPortals from the composition root), several connectors of the same portal.
    const portals = new HubSpotPortals();
    const a = connectorFor(sandbox, { portalKey, auth: oauth(sandbox, seeded) }, { portals });
    expect((await readAll(a, null)).contacts).to.have.length(50);
    // The seeded token was rotated away (and revoked by the sandbox); B was loaded from an old copy of storage.
    const b = connectorFor(sandbox, { portalKey, auth: oauth(sandbox, seeded) }, { portals });
    sandbox.control.expireTokens();
    expect((await readAll(b, null)).contacts).to.have.length(50);
    expect(sandbox.control.refreshCount()).to.equal(2);
    // The admin reconnects the portal: a brand-new grant replaces the process's state.
    const fresh = sandbox.control.seedRefreshToken();
    const c = connectorFor(sandbox, { portalKey, auth: oauth(sandbox, fresh) }, { portals });
    expect((await readAll(c, null)).contacts).to.have.length(50);
    expect(sandbox.control.refreshCount()).to.equal(3);
  });

  it('OAuth: a revoked refresh token ends the run with NeedsReauthError and a reconnect hint', async () => {
    const sandbox = await portal(10);
    const refreshToken = sandbox.control.seedRefreshToken();
    sandbox.control.revokeRefreshToken(refreshToken);
    const connector = connectorFor(sandbox, { auth: oauth(sandbox, refreshToken) });
    let error: unknown;
    try {
      await readAll(connector, null);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(NeedsReauthError);
    expect((error as Error).message).to.match(/BAD_REFRESH_TOKEN.*reconnect/);
    expect((error as Error).message).to.not.include(refreshToken);
  });

  it('OAuth: a 429 without policyName and an edge 502 at the token endpoint are waited out; the portal stays connected', async () => {
    const sandbox = await portal(30);
    sandbox.control.failTokenEndpoint('429', '502');
    const connector = connectorFor(sandbox, { auth: oauth(sandbox, sandbox.control.seedRefreshToken()) });
    expect((await readAll(connector, null)).contacts).to.have.length(30);
    expect(sandbox.control.refreshCount()).to.equal(1);
  });

  it('OAuth: a token endpoint that stays down fails the run with a plain error, never "needs re-auth"', async () => {
    const sandbox = await portal(10);
    sandbox.control.failTokenEndpoint('503', '503', '503', '503');
    const connector = connectorFor(sandbox, { auth: oauth(sandbox, sandbox.control.seedRefreshToken()) });
    const error = await readAll(connector, null).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(Error).and.not.be.instanceOf(NeedsReauthError);
    expect((error as Error).message).to.match(/SERVICE_UNAVAILABLE.*stays connected/);
  });

  it("OAuth: wrong app credentials are a setup problem to fix in the configuration, not the portal's re-auth", async () => {
    const sandbox = await portal(10);
    const connector = connectorFor(sandbox, {
      auth: { ...oauth(sandbox, sandbox.control.seedRefreshToken()), clientSecret: 'not-the-secret' },
    });
    const error = await readAll(connector, null).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(SetupError);
    expect((error as Error).message).to.match(/BAD_CLIENT_ID.*HUBSPOT_CLIENT_SECRET/);
    expect((error as Error).message).to.not.include('not-the-secret');
  });

  it("reads the token endpoint's error in each shape HubSpot uses", () => {
    const cases: [number, string, string, string][] = [
      [
        400,
        JSON.stringify({ status: 'BAD_REFRESH_TOKEN', message: 'missing or invalid refresh token' }),
        'dead_grant',
        'BAD_REFRESH_TOKEN',
      ],
      [
        400,
        JSON.stringify({ category: 'BAD_REFRESH_TOKEN', correlationId: 'c', message: 'm' }),
        'dead_grant',
        'BAD_REFRESH_TOKEN',
      ],
      [400, JSON.stringify({ error: 'invalid_grant', error_description: 'revoked' }), 'dead_grant', 'invalid_grant'],
      [
        400,
        JSON.stringify({ status: 'error', category: 'VALIDATION_ERROR', message: 'm' }),
        'other',
        'VALIDATION_ERROR',
      ],
      [400, JSON.stringify({ status: 'BAD_CLIENT_ID', message: 'm' }), 'bad_client', 'BAD_CLIENT_ID'],
      [
        429,
        JSON.stringify({ status: 'error', message: 'You have reached your secondly limit.' }),
        'transient',
        'HTTP 429',
      ],
      // Even a 429 that names the refresh token is no verdict on the grant.
      [429, JSON.stringify({ category: 'BAD_REFRESH_TOKEN' }), 'transient', 'BAD_REFRESH_TOKEN'],
      [502, '<html>Bad Gateway</html>', 'transient', 'HTTP 502'],
      [401, '', 'other', 'HTTP 401'],
    ];
    for (const [status, body, kind, code] of cases)
      expect(classifyTokenError(status, body), body).to.deep.equal({ kind, code });
  });

  it('private app: a rejected token is NeedsReauthError, not retried', async () => {
    const sandbox = await portal(10);
    const connector = connectorFor(sandbox, { auth: { kind: 'private', accessToken: 'pat-na1-not-a-real-token' } });
    let error: unknown;
    try {
      await readAll(connector, null);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(NeedsReauthError);
    expect(sandbox.counters.calls['GET /crm/v3/objects/contacts']).to.equal(1);
  });
});
