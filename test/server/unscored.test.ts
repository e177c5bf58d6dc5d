// Unscored contacts by why, with the fix: in the CLI summary, on the run page and on the dashboard (issue 19 #4).
import { expect } from 'chai';

import { describeRun } from '../../src/cli/output.ts';
import type { RunReport } from '../../src/store/run-report.ts';
import type { TestServer } from './helpers.ts';
import { Client, startTestServer, testConnection } from './helpers.ts';

const report: RunReport = {
  runId: 'run-unscored-1',
  connection: 'sf1',
  crm: 'salesforce',
  dryRun: false,
  startedAt: '2026-06-01T10:00:00.000Z',
  finishedAt: '2026-06-01T10:01:00.000Z',
  status: 'ok',
  readAll: 'first-run',
  counts: { read: 100, scored: 50, unscored: 40, written: 90, unchanged: 0, optedOut: 7, failed: 3 },
  apiCalls: { crm: { read: 1, write: 1, other: 0 }, providers: {} },
  errors: [],
  errorGroups: [{ stage: 'provider', code: 'provider_unavailable', message: 'x', retryable: true, count: 3 }],
  unscoredBy: { no_handle: 25, 'network_off:linkedin': 10, not_found: 5 },
};

describe('Unscored by why', function () {
  this.timeout(30_000);
  let server: TestServer;
  let client: Client;
  before(async () => {
    server = await startTestServer();
    await server.store.saveConnection(testConnection('sf1', 'salesforce'));
    await server.store.saveRun(report);
    client = new Client(server.url);
    await client.login();
  });
  after(() => server.close());

  it('the CLI summary lists each why with its fix, the opted-out and rate-limited ones as rows of their own', () => {
    const text = describeRun(report);
    expect(text).to.include('not scored, by why:');
    expect(text).to.include('25 no handle in the mapped fields → map the fields that hold handles');
    expect(text).to.include('10 its network (linkedin) is off → import LinkedIn counts: crm-influence import');
    expect(text).to.include('7 opted out of profiling (fields cleared)');
    expect(text).to.include('3 waiting for a rate-limited network');
    expect(text).to.not.include('(empty)');
  });

  it('the run page and the dashboard show the same rows', async () => {
    for (const path of ['/runs/run-unscored-1', '/?connection=sf1']) {
      const html = await (await client.request(path)).text();
      expect(html, path).to.include('Not scored, by why');
      expect(html, path).to.match(/data-unscored="no_handle"><td class="num">25<\/td>/);
      expect(html, path).to.match(/data-unscored="opted_out"><td class="num">7<\/td><td>opted out of profiling/);
      expect(html, path).to.include('import LinkedIn counts');
    }
  });
});
