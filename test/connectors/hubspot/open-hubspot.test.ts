// The CLI's HubSpot opener: private app token from the environment, or a portal connected through OAuth whose
// refreshed tokens are written back to the store.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect } from 'chai';

import { CliError } from '../../../src/cli/errors.ts';
import { open } from '../../../src/cli/open-hubspot.ts';
import { loadConfig } from '../../../src/config.ts';
import { createLogger } from '../../../src/log.ts';
import type { HubSpotSandbox } from '../../../src/sandbox/hubspot/index.ts';
import { crmRecordUrl } from '../../../src/server/contacts.ts';
import { SqliteStore } from '../../../src/store/sqlite.ts';
import { startPortal } from './helpers.ts';

describe('CLI: opening the HubSpot connection', function () {
  this.timeout(20_000);
  let dir: string;
  let store: SqliteStore;
  let sandbox: HubSpotSandbox;
  const key = randomBytes(32).toString('hex');
  const logger = createLogger({ level: 'silent' });

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-open-hs-'));
    store = await SqliteStore.open(path.join(dir, 'store.db'), { secretKey: Buffer.from(key, 'hex') });
    sandbox = await startPortal(120, { rotateRefreshTokens: true });
  });
  afterEach(async () => {
    await store.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("uses HUBSPOT_ACCESS_TOKEN and saves a connection named by the token's portal, holding no secret", async () => {
    const config = loadConfig({
      HUBSPOT_BASE_URL: sandbox.url,
      HUBSPOT_ACCESS_TOKEN: sandbox.env.HUBSPOT_ACCESS_TOKEN,
      CRM_INFLUENCE_SECRET_KEY: key,
    });
    const { connectionId, connector } = await open({ config, store, logger });
    // The sandbox portal's id (its access token info answers hubId 1234567), as an OAuth install names it.
    expect(connectionId).to.equal('hubspot-1234567');
    const saved = await store.getConnection(connectionId);
    expect(saved?.crm).to.equal('hubspot');
    expect(saved?.credentials).to.deep.equal({});
    let read = 0;
    for await (const page of connector.readContacts(null, { full: true, staleBefore: new Date() }))
      read += page.contacts.length;
    expect(read).to.equal(120);
    expect((await open({ config, store, logger })).connectionId).to.equal(connectionId);
  });

  it("stores the portal's uiDomain from HubSpot's account details with its connection (an EU portal: app-eu1)", async () => {
    const eu = await startPortal(5, { dataHostingLocation: 'eu1' });
    try {
      const config = loadConfig({
        HUBSPOT_BASE_URL: eu.url,
        HUBSPOT_ACCESS_TOKEN: eu.env.HUBSPOT_ACCESS_TOKEN,
        CRM_INFLUENCE_SECRET_KEY: key,
      });
      const { connectionId } = await open({ config, store, logger });
      const saved = await store.getConnection(connectionId);
      expect(saved?.settings).to.deep.equal({ hubspot: { uiDomain: 'app-eu1.hubspot.com' } });
      expect(crmRecordUrl(saved!, 'contact', '42')).to.equal(
        'https://app-eu1.hubspot.com/contacts/1234567/record/0-1/42',
      );
      const calls = eu.counters.calls['GET /account-info/v3/details'] ?? 0;
      await open({ config, store, logger });
      expect(eu.counters.calls['GET /account-info/v3/details'] ?? 0, 'asked once, then kept').to.equal(calls);
    } finally {
      await eu.close();
    }
  });

  it('saves nothing for a token HubSpot refuses, and says so', async () => {
    const config = loadConfig({
      HUBSPOT_BASE_URL: sandbox.url,
      HUBSPOT_ACCESS_TOKEN: `${sandbox.env.HUBSPOT_ACCESS_TOKEN}x`,
      CRM_INFLUENCE_SECRET_KEY: key,
    });
    let error: unknown;
    try {
      await open({ config, store, logger });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(CliError);
    expect((error as Error).message).to.match(/HubSpot refused HUBSPOT_ACCESS_TOKEN \(HTTP 401\).*nothing was saved/);
    expect((error as Error).message).to.not.include(sandbox.env.HUBSPOT_ACCESS_TOKEN);
    expect(await store.listConnections()).to.deep.equal([]);
  });

  it('renames a connection saved under the old token-hash name, keeping its cursor and runs', async () => {
    const token = sandbox.env.HUBSPOT_ACCESS_TOKEN;
    const old = `hubspot-${createHash('sha256').update(`${sandbox.url}|${token}`).digest('hex').slice(0, 12)}`;
    await store.saveConnection({
      id: old,
      crm: 'hubspot',
      name: 'HubSpot (old)',
      status: 'ok',
      statusMessage: null,
      credentials: {},
      settings: {},
    });
    await store.setCursor(old, 'cursor-from-before');
    const config = loadConfig({
      HUBSPOT_BASE_URL: sandbox.url,
      HUBSPOT_ACCESS_TOKEN: token,
      CRM_INFLUENCE_SECRET_KEY: key,
    });
    const { connectionId } = await open({ config, store, logger });
    expect(connectionId).to.equal('hubspot-1234567');
    expect((await store.listConnections()).map((c) => c.id)).to.deep.equal(['hubspot-1234567']);
    expect(await store.getCursor('hubspot-1234567')).to.equal('cursor-from-before');
  });

  it('prefers a portal connected through OAuth and stores every refreshed (rotated) token', async () => {
    const refreshToken = sandbox.control.seedRefreshToken();
    await store.saveConnection({
      id: 'hubspot-portal-1',
      crm: 'hubspot',
      name: 'Portal 1',
      status: 'ok',
      statusMessage: null,
      credentials: { refreshToken },
      settings: {},
    });
    const config = loadConfig({
      HUBSPOT_BASE_URL: sandbox.url,
      HUBSPOT_CLIENT_ID: sandbox.env.HUBSPOT_CLIENT_ID,
      HUBSPOT_CLIENT_SECRET: sandbox.env.HUBSPOT_CLIENT_SECRET,
      CRM_INFLUENCE_SECRET_KEY: key,
    });
    const { connectionId, connector } = await open({ config, store, logger });
    expect(connectionId).to.equal('hubspot-portal-1');
    const pages = connector.readContacts(null, { full: true, staleBefore: new Date() })[Symbol.asyncIterator]();
    const first = await pages.next();
    expect(first.done === true ? [] : first.value.contacts).to.have.length(100);
    const stored = (await store.getConnection('hubspot-portal-1'))?.credentials as {
      refreshToken: string;
      accessToken: string;
      expiresAt: number;
    };
    expect(stored.refreshToken).to.be.a('string').and.not.equal(refreshToken);
    expect(stored.accessToken).to.be.a('string');
    expect(stored.expiresAt).to.be.greaterThan(Date.now());
  });

  it('says how to configure HubSpot when nothing is set', async () => {
    const config = loadConfig({ HUBSPOT_BASE_URL: sandbox.url });
    let error: unknown;
    try {
      await open({ config, store, logger });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(CliError);
    expect((error as Error).message).to.match(/HUBSPOT_ACCESS_TOKEN/);
  });
});
