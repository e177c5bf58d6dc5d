// The runs page's estimated network spend: per run (with the cap a run reached) and per month over every connection,
// against the monthly cap (CRM_INFLUENCE_X_MONTHLY_CAP_USD).
import { expect } from 'chai';

import type { RunReport } from '../../src/store/run-report.ts';
import type { TestServer } from './helpers.ts';
import { Client, startTestServer, testConnection } from './helpers.ts';

function run(runId: string, connection: string, at: string, spend: Record<string, number> | null): RunReport {
  return {
    runId,
    connection,
    crm: 'salesforce',
    dryRun: false,
    startedAt: at,
    finishedAt: new Date(Date.parse(at) + 60_000).toISOString(),
    status: 'ok',
    counts: { read: 10, scored: 8, unscored: 2, written: 5, unchanged: 3, optedOut: 0, failed: 0 },
    apiCalls: {
      crm: { read: 2, write: 1, other: 1 },
      providers: { x: 3 },
      ...(spend === null ? {} : { estimatedSpendUsd: spend }),
    },
    errors: [],
  };
}

describe('runs page: estimated network spend', function () {
  this.timeout(30_000);
  let server: TestServer;
  let client: Client;

  before(async () => {
    server = await startTestServer({ spendCaps: { x: 50 }, now: () => new Date('2026-12-07T12:00:00.000Z') });
    await server.store.saveConnection(testConnection('sf1', 'salesforce'));
    await server.store.saveConnection(testConnection('hs1', 'hubspot'));
    await server.store.saveRun(run('nov', 'sf1', '2026-11-30T23:00:00.000Z', { x: 12.5 }));
    await server.store.saveRun(run('dec-1', 'sf1', '2026-12-01T03:00:00.000Z', { x: 30.25 }));
    await server.store.saveRun({
      ...run('dec-2', 'hs1', '2026-12-02T03:00:00.000Z', { x: 19.5 }),
      status: 'budget_reached',
      message: 'monthly spend cap reached for x',
      apiCalls: {
        crm: { read: 1, write: 1, other: 0 },
        providers: { x: 2 },
        estimatedSpendUsd: { x: 19.5 },
        spendCapReached: ['x'],
      },
    });
    await server.store.saveRun(run('free', 'sf1', '2026-12-03T03:00:00.000Z', null));
    // A year and more ago: not on the page.
    await server.store.saveRun(run('old', 'sf1', '2025-12-01T03:00:00.000Z', { x: 99 }));
    client = new Client(server.url);
    await client.login();
  });
  after(async () => {
    await server.close();
  });

  it("totals each month's spend over every connection, against the cap, the last 12 months", async () => {
    const { monthlySpend } = (await (await client.request('/api/runs?connection=sf1')).json()) as {
      monthlySpend: unknown[];
    };
    expect(monthlySpend).to.deep.equal([
      { month: '2026-12', network: 'x', usd: 49.75, capUsd: 50 },
      { month: '2026-11', network: 'x', usd: 12.5, capUsd: 50 },
    ]);
    const html = await (await client.request('/runs')).text();
    expect(html).to.match(
      /<td>2026-12<\/td><td>x<\/td><td class="num">\$49\.75<\/td>\s*<td class="num">\$50\.00 \(100 %\)<\/td>/,
    );
    expect(html).to.match(
      /<td>2026-11<\/td><td>x<\/td><td class="num">\$12\.50<\/td>\s*<td class="num">\$50\.00 \(25 %\)<\/td>/,
    );
    expect(html, 'months before the last 12 are not totalled').to.not.include('<td>2025-12</td>');
  });

  it("shows each run's spend, the cap a run reached, and a dash for a run that paid nothing", async () => {
    const html = await (await client.request('/runs')).text();
    const row = (runId: string) => new RegExp(`<a href="/runs/${runId}">[\\s\\S]*?</tr>`).exec(html)?.[0] ?? '';
    expect(row('dec-1')).to.include('<td class="num">$30.25</td>');
    expect(row('dec-2')).to.include(
      '$19.50 <span class="badge badge-budget_reached" title="monthly spend cap reached">x cap</span>',
    );
    expect(row('free')).to.include('<td class="num">—</td>');
  });

  it('without a cap, says none', async () => {
    const uncapped = await startTestServer({ now: () => new Date('2026-12-07T12:00:00.000Z') });
    try {
      await uncapped.store.saveRun(run('dec-1', 'sf1', '2026-12-01T03:00:00.000Z', { x: 3 }));
      const other = new Client(uncapped.url);
      await other.login();
      const html = await (await other.request('/runs')).text();
      expect(html).to.match(/<td>2026-12<\/td><td>x<\/td><td class="num">\$3\.00<\/td>\s*<td class="num">none<\/td>/);
    } finally {
      await uncapped.close();
    }
  });
});
