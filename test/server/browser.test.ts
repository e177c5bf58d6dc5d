// The admin UI in a real headless Chromium (Debian's, through playwright-core): sign in, connect the sandbox
// Salesforce org and HubSpot portal through their OAuth pages, run a sync, see the histogram and a contact's
// factors, change a tier threshold and see the dry-run preview. Screenshots go to test-output/.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';

import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

import { buildAdminServer, listen } from '../../src/cli/commands/serve.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import type { HubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { startHubSpotSandbox } from '../../src/sandbox/hubspot/index.ts';
import { startBlueskySandbox } from '../../src/sandbox/networks/bluesky.ts';
import { startGitHubSandbox } from '../../src/sandbox/networks/github.ts';
import { startMastodonSandbox } from '../../src/sandbox/networks/mastodon.ts';
import type { NetworkServer } from '../../src/sandbox/networks/server.ts';
import { createPopulation } from '../../src/sandbox/population.ts';
import type { SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { startSalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import type { AdminServer } from '../../src/server/app.ts';
import { setAdminPassword } from '../../src/server/auth.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';

const CHROMIUM = '/usr/bin/chromium';
const OUT = path.resolve('test-output');
const PASSWORD = 'browser test password 42';

describe('admin UI in headless Chromium', function () {
  this.timeout(120_000);
  const population = createPopulation({ seed: 'server-browser', size: 150 });
  let dir: string;
  let salesforce: SalesforceSandbox;
  let hubspot: HubSpotSandbox;
  let networks: (NetworkServer & { env: Record<string, string> })[];
  let store: SqliteStore;
  let admin: AdminServer;
  let http: Server;
  let base: string;
  let context: BrowserContext;
  let page: Page;
  const cspViolations: string[] = [];
  const logs: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (CI installs it in .ci/run)`);
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-browser-'));
    mkdirSync(OUT, { recursive: true });
    salesforce = await startSalesforceSandbox({ population });
    hubspot = await startHubSpotSandbox({ population });
    networks = await Promise.all([
      startBlueskySandbox({ population }),
      startGitHubSandbox({ population }),
      startMastodonSandbox({ population }),
    ]);
    const config = loadConfig({
      ...(Object.assign({}, ...networks.map((n) => n.env)) as Record<string, string>),
      SALESFORCE_LOGIN_URL: salesforce.url,
      SALESFORCE_CLIENT_ID: salesforce.env.SALESFORCE_CLIENT_ID,
      SALESFORCE_CLIENT_SECRET: salesforce.env.SALESFORCE_CLIENT_SECRET,
      HUBSPOT_BASE_URL: hubspot.env.HUBSPOT_BASE_URL,
      HUBSPOT_CLIENT_ID: hubspot.env.HUBSPOT_CLIENT_ID,
      HUBSPOT_CLIENT_SECRET: hubspot.env.HUBSPOT_CLIENT_SECRET,
      CRM_INFLUENCE_DB: path.join(dir, 'ui.db'),
      CRM_INFLUENCE_SECRET_KEY: randomBytes(32).toString('hex'),
    });
    store = await SqliteStore.open(config.CRM_INFLUENCE_DB, { secretKey: config.CRM_INFLUENCE_SECRET_KEY! });
    const logger = createLogger({
      level: 'info',
      pretty: false,
      destination: new Writable({
        write(chunk: Buffer, _e, cb) {
          logs.push(chunk.toString());
          cb();
        },
      }),
    });
    admin = await buildAdminServer({ config, store, logger }, { config });
    await setAdminPassword(admin.serverStore, 'admin', PASSWORD);
    http = await listen(admin.app, 0, '127.0.0.1');
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1200, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
    });
  });

  after(async () => {
    await context?.close();
    if (http)
      await new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      });
    await admin?.close();
    await store?.close();
    await Promise.all([salesforce?.close(), hubspot?.close(), ...(networks ?? []).map((n) => n.close())]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const shot = (name: string) => page.screenshot({ path: path.join(OUT, `server-${name}.png`), fullPage: true });

  async function waitForFinishedRun(connectionId: string): Promise<void> {
    for (let i = 0; i < 120; i += 1) {
      const runs = await store.listRuns({ connectionId, limit: 1 });
      if (runs[0] !== undefined && runs[0].finishedAt !== null && !(await admin.coordinator.isRunning(connectionId)))
        return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`the run of ${connectionId} did not finish`);
  }

  it('signs in (and is sent to the page it asked for)', async () => {
    await page.goto(`${base}/connections`);
    expect(new URL(page.url()).pathname).to.equal('/login');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    // The button sits under the password field, not beside it.
    const field = (await page.getByLabel('Password').boundingBox())!;
    const button = (await page.getByRole('button', { name: 'Sign in' }).boundingBox())!;
    expect(button.y, 'button below the field').to.be.at.least(field.y + field.height);
    expect(button.x).to.be.at.most(field.x + 1);
    await shot('login');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/connections`);
    await shot('connections-empty');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Connections');
  });

  it('connects the sandbox Salesforce org through its OAuth page (PKCE) and the HubSpot portal through the install flow', async () => {
    await page.getByRole('button', { name: 'Connect Salesforce' }).click();
    await page.waitForURL((url) => url.pathname === '/services/oauth2/authorize');
    expect(page.url()).to.include('code_challenge=').and.include('state=');
    await shot('salesforce-authorize');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${base}/connections`);
    expect(await page.locator('.flash-ok').textContent()).to.match(/Connected salesforce-/);

    await page.getByRole('link', { name: 'Install in HubSpot' }).click();
    await page.waitForURL(`${base}/connections`);
    expect(await page.locator('.flash-ok').textContent()).to.match(/Connected hubspot-/);
    await shot('connections');

    const connections = await store.listConnections();
    expect(connections.map((c) => c.crm).sort()).to.deep.equal(['hubspot', 'salesforce']);
    const sf = connections.find((c) => c.crm === 'salesforce')!;
    expect(sf.credentials.refreshToken).to.be.a('string');
    expect(salesforce.control.refreshTokens()).to.include(sf.credentials.refreshToken);
    // Encrypted at rest: the raw row holds no token.
    const raw = await store
      .sql()
      .query<{ credentials: string }>('SELECT credentials FROM connections WHERE id = ?1', [sf.id]);
    expect(raw[0]!.credentials).to.not.include(String(sf.credentials.refreshToken));
    expect(await page.content()).to.not.include(String(sf.credentials.refreshToken));
  });

  it("runs a sync and shows the histogram, tiers and a contact's factors", async () => {
    const sf = (await store.listConnections()).find((c) => c.crm === 'salesforce')!;
    await page.locator(`tr[data-connection="${sf.id}"]`).getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL((url) => url.pathname === '/runs');
    await waitForFinishedRun(sf.id);
    await page.reload();
    const run = (await store.listRuns({ connectionId: sf.id, limit: 1 }))[0]!;
    expect(run.status, run.message).to.be.oneOf(['ok', 'partial']);
    expect(run.counts.read).to.equal(150);
    expect(await page.locator('table.runs tbody tr').count()).to.be.greaterThan(0);
    await shot('runs');

    await page.goto(`${base}/?connection=${encodeURIComponent(sf.id)}`);
    const bars = page.locator('svg.histogram rect');
    expect(await bars.count()).to.equal(10);
    const heights = await Promise.all((await bars.all()).map(async (bar) => Number(await bar.getAttribute('height'))));
    expect(heights.some((h) => h > 0)).to.equal(true);
    const tierTotal = (await page.locator('td[data-tier]').allTextContents())
      .map((t) => Number(t.replace(/,/g, '')))
      .reduce((a, b) => a + b, 0);
    expect(tierTotal).to.equal(run.counts.written);
    // Axes titled and ticked; tiers on an ordered scale (D lighter than C); day one says so; no dead space.
    expect(await page.locator('svg.histogram .axis-title').allTextContents()).to.deep.equal(['Score', 'Contacts']);
    expect(await page.locator('svg.histogram line.grid').count()).to.be.at.least(2);
    const lightness = async (tier: string) =>
      page.locator(`.legend .tier-${tier}`).evaluate((el) => {
        // In the page: its getComputedStyle (this file is typed for Node, without the DOM library).
        const style = (
          globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }
        ).getComputedStyle(el).backgroundColor;
        const [r, g, b] = style.match(/\d+/g)!.map(Number) as [number, number, number];
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      });
    const scale = await Promise.all(['A', 'B', 'C', 'D'].map(lightness));
    expect(scale, 'A darkest … D lightest').to.deep.equal([...scale].sort((a, b) => a - b));
    expect(scale[3]).to.be.greaterThan(scale[2]!);
    expect(await page.locator('.history-note').textContent()).to.match(/^History starts today/);
    const wide = (await page.locator('article:has(#hist-h)').boundingBox())!;
    const budget = (await page.locator('article:has(#budget-h)').boundingBox())!;
    expect(budget.x + budget.width, 'the budget card reaches the right edge').to.be.closeTo(wide.x + wide.width, 2);
    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    const favicon = await page.request.get(`${base}${icon}`);
    expect(favicon.status()).to.equal(200);
    expect(favicon.headers()['content-type']).to.match(/image\/svg\+xml/);
    await shot('dashboard');

    const [scored] = await store
      .sql()
      .query<{ record_id: string }>(
        "SELECT record_id FROM contact_sync_state WHERE connection_id = ?1 AND json_extract(last_written, '$.topFactors') IS NOT NULL AND json_extract(last_written, '$.score') IS NOT NULL LIMIT 1",
        [sf.id],
      );
    expect(scored, 'a scored contact with factors').to.not.equal(undefined);
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByLabel('CRM record id').fill(scored!.record_id);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.waitForURL((url) => url.searchParams.get('id') === scored!.record_id);
    expect(await page.locator('.factors li').count()).to.be.greaterThan(0);
    expect(Number(await page.locator('dd.score').first().textContent())).to.be.within(0, 100);
    expect(await page.locator('svg.history').count()).to.equal(1);
    expect(await page.locator('svg.history circle').count()).to.be.at.least(1);
    expect(await page.locator('svg.history .value').textContent()).to.equal(
      await page.locator('dd.score').first().textContent(),
    );
    expect(await page.locator('dd.scored-at').first().textContent()).to.match(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    expect(await page.locator('dd.reasons').first().textContent()).to.not.match(/[A-Z]+_[A-Z]+/);
    expect(await page.locator('dd.email').first().textContent()).to.include('@');
    expect(await page.locator('article.contact').first().textContent()).to.not.include('no scored history');
    await shot('contact');
  });

  it("lists a tier's contacts of a connection, newest in their tier first, each linked to its CRM record", async () => {
    const sf = (await store.listConnections()).find((c) => c.crm === 'salesforce')!;
    await page.goto(`${base}/contacts?connection=${encodeURIComponent(sf.id)}`);
    // The highest-scored contact's tier (this small sandbox may have no A).
    const tier = (await page.locator('table.contact-list tbody .tier').first().textContent())!;
    await page.getByLabel('Tier').selectOption(tier);
    await page.getByLabel('Sort').selectOption('tier_since');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL((url) => url.searchParams.get('tier') === tier);
    await shot('contacts-list');
    const tiers = await page.locator('table.contact-list tbody .tier').allTextContents();
    expect(tiers.length).to.be.greaterThan(0);
    expect(new Set(tiers)).to.deep.equal(new Set([tier]));
    const crmLink = await page.locator('table.contact-list tbody a[target="_blank"]').first().getAttribute('href');
    expect(crmLink).to.match(/^https:\/\/[^/]+\/lightning\/r\/(Contact|Lead)\/[^/]+\/view$/);
    expect(await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href'))
      .to.include(`tier=${tier}`)
      .and.include('format=csv');
    // A name opens that contact's page.
    await page.locator('table.contact-list tbody td a').first().click();
    await page.locator('article.contact').waitFor();
  });

  it('previews a changed tier threshold as a dry run before saving, then saves it', async () => {
    const sf = (await store.listConnections()).find((c) => c.crm === 'salesforce')!;
    const writesBefore = salesforce.counters.recordsWritten;
    await page.goto(`${base}/settings?connection=${encodeURIComponent(sf.id)}`);
    expect(await page.getByLabel('A', { exact: true }).inputValue()).to.equal('65');
    // `serve` shows the connector's default mapping while none is set.
    expect(await page.locator('#fieldMapping').getAttribute('placeholder'))
      .to.include('X_Handle__c = x')
      .and.include('Social_Profile_URL__c = any');
    await page.getByLabel('A', { exact: true }).fill('30');
    await page.getByLabel('B', { exact: true }).fill('20');
    await page.getByLabel('C', { exact: true }).fill('10');
    await page.getByRole('button', { name: 'Preview (dry run)' }).click();
    await page.locator('#preview').waitFor();
    await shot('settings-preview');
    const previewA = Number((await page.locator('td[data-preview-tier="A"]').textContent())!.replace(/,/g, ''));
    const nowA = Number(
      (await page.locator('#preview tbody tr').first().locator('td').first().textContent())!.replace(/,/g, ''),
    );
    expect(previewA).to.be.at.least(nowA);
    expect(await page.locator('#preview').textContent()).to.match(/Dry run .*Nothing was written to the CRM/s);
    expect(salesforce.counters.recordsWritten, 'a dry run writes nothing').to.equal(writesBefore);
    expect((await store.getConnection(sf.id))!.settings.scoring, 'not saved by a preview').to.equal(undefined);

    await page.getByRole('button', { name: 'Save these settings' }).click();
    await page.waitForURL((url) => url.pathname === '/settings');
    expect(await page.locator('.flash-ok').textContent()).to.match(
      /saved\. Scoring or field mapping changed: the next run reads and re-scores every contact/,
    );
    const saved = (await store.getConnection(sf.id))!.settings as { scoring: { tiers: { thresholds: unknown } } };
    expect(saved.scoring.tiers.thresholds).to.deep.equal({ A: 30, B: 20, C: 10 });
    await shot('settings-saved');
  });

  it('imports LinkedIn counts from a CSV file on the Settings page, naming each bad row by line and column', async () => {
    const sf = (await store.listConnections()).find((c) => c.crm === 'salesforce')!;
    await page.goto(`${base}/settings?connection=${encodeURIComponent(sf.id)}`);
    expect(await page.locator('[data-imported="none"]').textContent()).to.include('No counts imported yet');
    await page.getByLabel('CSV file').setInputFiles({
      name: 'linkedin.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        [
          'handle,followers,connections,as_of',
          'https://www.linkedin.com/in/ada-lovelace,5400,500,2026-06-01',
          'https://www.linkedin.com/in/grace-hopper,lots,,2026-06-01',
          'https://www.linkedin.com/in/alan-turing,900,,June',
        ].join('\n'),
      ),
    });
    await page.getByRole('button', { name: 'Import' }).click();
    await page.locator('.import-result').waitFor();
    await shot('settings-import');
    expect(await page.getByRole('status').textContent()).to.include('Imported 1 account; 2 bad rows were not stored');
    expect(await page.locator('.import-problems li').allTextContents()).to.deep.equal([
      'line 3, followers: followers must be a whole number',
      'line 4, as_of: as_of must be a date like 2026-06-01 or 2026-06-01T09:00:00Z',
    ]);
    await page.getByRole('link', { name: 'Back to Settings' }).click();
    expect(await page.locator('table[data-imported] tbody').textContent()).to.match(/LinkedIn\s*1\s*2026-06-01/);
  });

  it('kept to the CSP (no inline script or style was needed) and logged no secret', () => {
    expect(cspViolations).to.deep.equal([]);
    const tokens = salesforce.control.refreshTokens();
    const text = logs.join('\n');
    for (const token of tokens) expect(text.includes(token)).to.equal(false);
    expect(text.includes(PASSWORD)).to.equal(false);
  });
});
