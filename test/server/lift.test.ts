// The Revenue lift page: its HTML (charts, table, honest framing), its JSON twin, the CSV download and filters, over
// a real store filled with sandbox deals whose outcomes depend on latent influence; then the page in headless
// Chromium (no inline script, no CSP violation), screenshotted to test-output/lift-page.png.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { expect } from 'chai';
import { chromium } from 'playwright-core';

import type { Outcome } from '../../src/crm/outcomes.ts';
import { LiftReportSchema } from '../../src/lift/index.ts';
import { generateDeals } from '../../src/sandbox/deals.ts';
import { createPopulation } from '../../src/sandbox/population.ts';
import type { Tier } from '../../src/scoring/types.ts';
import { computeStoredLift } from '../../src/sync/lift.ts';
import type { TestServer } from './helpers.ts';
import { ADMIN, Client, startTestServer, testConnection } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const OUT = path.resolve('test-output');

/** 3,000 contacts whose tier follows their latent influence (with noise), and their deals (effect 1.0). */
async function fill(server: TestServer): Promise<void> {
  const population = createPopulation({ seed: 'lift-page', size: 3000 });
  const deals = generateDeals(population, { effect: 1 }, Date.parse('2026-12-01T00:00:00Z'));
  const states = [];
  for (let i = 0; i < population.size; i++) {
    const signal = population.latentInfluence(i) + 0.5 * Math.sin(i * 12.9898);
    const score = Math.max(0, Math.min(100, Math.round(45 + 18 * signal)));
    const tier: Tier | null = i % 7 === 0 ? null : score >= 70 ? 'A' : score >= 50 ? 'B' : score >= 30 ? 'C' : 'D';
    states.push({
      recordId: `c${i}`,
      objectType: 'Contact',
      lastWritten:
        tier === null
          ? null
          : {
              score,
              tier,
              confidence: 'high' as const,
              scoredAt: '2026-11-01T00:00:00.000Z',
              topFactors: null,
              reasonCodes: [],
              trend: null,
              orgPercentile: null,
            },
      writtenAt: null,
      fingerprint: null,
    });
  }
  await server.store.putSyncStates('sf1', states);
  const outcomes: Outcome[] = deals.map((d) => ({
    id: `o${d.index}`,
    contactIds: [`c${d.personIndex}`],
    pipeline: d.pipeline,
    stage: d.isClosed ? (d.isWon ? 'Closed Won' : 'Closed Lost') : 'Negotiation',
    isClosed: d.isClosed,
    isWon: d.isWon,
    amount: d.amount,
    createdAt: new Date(d.createdAt).toISOString(),
    closeDate: new Date(d.closeAt).toISOString().slice(0, 10),
    modifiedAt: new Date(d.createdAt).toISOString(),
  }));
  await server.store.outcomes.save('sf1', outcomes, 'cp');
  const report = await computeStoredLift(server.store.outcomes, 'sf1', {}, new Date('2026-12-01T00:00:00Z'));
  await server.store.outcomes.saveReport('sf1', report.computedAt, report);
}

describe('admin server: Revenue lift page', function () {
  this.timeout(120_000);
  let server: TestServer;
  let client: Client;

  before(async () => {
    server = await startTestServer();
    await server.store.saveConnection(testConnection('sf1', 'salesforce'));
    await server.store.saveConnection(testConnection('hs1', 'hubspot'));
    client = new Client(server.url);
    await client.login();
  });
  after(async () => {
    await server.close();
  });

  it('before any outcomes are read, says how to read them', async () => {
    const page = await (await client.request('/lift?connection=sf1')).text();
    expect(page).to.include('crm-influence report lift --crm salesforce');
    expect(page).to.include('aria-current="page"');
  });

  it('shows win rate with intervals, pipeline and the score bands, framed as observational; JSON twin; CSV; filters', async () => {
    await fill(server);
    const response = await client.request('/lift?connection=sf1');
    expect(response.status).to.equal(200);
    const page = await response.text();
    expect(page).to.include('Observational, not causal');
    expect(page.match(/<svg class="chart intervals"/g)).to.have.length(2);
    expect(page).to.include('<svg class="chart histogram"');
    expect(page).to.match(/<th scope="row">Tier A<\/th>/);
    expect(page).to.include('verdict-higher');
    expect(page).not.to.match(/<script(?![^>]*src=)/);

    const json = (await (await client.request('/api/lift?connection=sf1')).json()) as { report: unknown };
    const report = LiftReportSchema.parse(json.report);
    const a = report.tiers[0]!;
    expect(a.verdict).to.equal('higher');
    expect(a.winRate!).to.be.greaterThan(report.org.winRate!);
    expect(report.tiers[3]!.verdict).to.equal('lower');

    const csv = await client.request('/lift?connection=sf1&pipeline=enterprise&format=csv');
    expect(csv.headers.get('content-type')).to.match(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).to.match(/attachment; filename="?revenue-lift-sf1-/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).to.match(/^kind,group,contacts/);
    const enterprise = (await (await client.request('/api/lift?connection=sf1&pipeline=enterprise')).json()) as {
      report: { org: { deals: number } };
    };
    expect(enterprise.report.org.deals).to.be.lessThan(report.org.deals);
    expect(lines.find((l) => l.startsWith('org,'))).to.include(`,${enterprise.report.org.deals},`);
    const ranged = (await (await client.request('/api/lift?connection=sf1&from=2026-09-01&to=bad')).json()) as {
      report: { filters: Record<string, string>; org: { deals: number } };
    };
    expect(ranged.report.filters).to.deep.equal({ from: '2026-09-01' });
    expect(ranged.report.org.deals).to.be.lessThan(report.org.deals);
  });

  it('renders in headless Chromium without script or CSP violations (screenshot: test-output/lift-page.png)', async function () {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    mkdirSync(OUT, { recursive: true });
    const dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-lift-browser-'));
    const context = await chromium.launchPersistentContext(dir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
      viewport: { width: 1200, height: 900 },
    });
    const problems: string[] = [];
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(`${server.url}/lift?connection=sf1`);
      await page.getByLabel('Username').fill(ADMIN.username);
      await page.getByLabel('Password').fill(ADMIN.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(/\/lift\?connection=sf1$/);
      expect(await page.getByRole('heading', { level: 1 }).textContent()).to.equal('Revenue lift');
      expect(await page.locator('svg.intervals circle.dot').count()).to.be.at.least(5 + 5);
      // The whisker of tier A spans its interval: drawn taller than nothing, inside the chart.
      const whisker = await page.locator('svg.intervals g.interval line.whisker').first().boundingBox();
      expect(whisker!.height).to.be.greaterThan(4);
      await page.locator('select#pipeline').selectOption('enterprise');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.waitForURL(/pipeline=enterprise/);
      await page.goto(`${server.url}/lift?connection=sf1`);
      await page.screenshot({ path: path.join(OUT, 'lift-page.png'), fullPage: true });
      expect(problems).to.deep.equal([]);
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
