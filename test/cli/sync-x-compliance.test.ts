// `crm-influence sync` with X on: after its run, the X accounts it holds data about go through X's compliance job
// (the X twin), and what it held about those X names (here: one suspended since it was cached) is gone.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect } from 'chai';

import { startBlueskySandbox } from '../../src/sandbox/networks/bluesky.ts';
import { startGitHubSandbox } from '../../src/sandbox/networks/github.ts';
import { startMastodonSandbox } from '../../src/sandbox/networks/mastodon.ts';
import type { NetworkServer } from '../../src/sandbox/networks/server.ts';
import { startXSandbox, type XSandbox } from '../../src/sandbox/networks/x.ts';
import { createPopulation } from '../../src/sandbox/population.ts';
import type { SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { startSalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { RunReportSchema } from '../../src/store/run-report.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/crm-influence.js');

describe('crm-influence sync: X compliance step (sandbox)', function () {
  this.timeout(90_000);
  const population = createPopulation({ seed: 'cli-x-compliance', size: 120 });
  let dir: string;
  let salesforce: SalesforceSandbox;
  let x: XSandbox;
  let networks: (NetworkServer & { env: Record<string, string> })[];
  let env: Record<string, string>;

  const cli = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [BIN, ...args], { env, encoding: 'utf8', timeout: 80_000 }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
      );
    });
  const openStore = () =>
    SqliteStore.open(env.CRM_INFLUENCE_DB!, { secretKey: Buffer.from(env.CRM_INFLUENCE_SECRET_KEY!, 'hex') });

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-x-compliance-'));
    salesforce = await startSalesforceSandbox({ population });
    x = await startXSandbox({ population });
    networks = await Promise.all([
      startBlueskySandbox({ population }),
      startGitHubSandbox({ population }),
      startMastodonSandbox({ population }),
    ]);
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...salesforce.env,
      ...x.env,
      ...(Object.assign({}, ...networks.map((n) => n.env)) as Record<string, string>),
      CRM_INFLUENCE_DB: path.join(dir, 'cli.db'),
      CRM_INFLUENCE_SECRET_KEY: randomBytes(32).toString('hex'),
      CRM_INFLUENCE_LOG_LEVEL: 'silent',
    };
  });
  after(async () => {
    await Promise.all([salesforce?.close(), x?.close(), ...(networks ?? []).map((n) => n.close())]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('forgets the data of an X account suspended since it was read, after the run, and keeps the rest', async () => {
    const first = await cli(['sync', '--crm', 'salesforce', '--once', '--json']);
    expect(first.code, first.stderr).to.equal(0);
    const report = RunReportSchema.parse(JSON.parse(first.stdout));
    // The report's estimated X spend is what X's pay-per-use prices make of what the twin served.
    const billed = x.billed();
    expect(report.apiCalls.estimatedSpendUsd?.x).to.be.closeTo(
      billed.userReads * 0.01 + billed.postReads * 0.005,
      0.001,
    );
    expect(billed.userReads).to.be.greaterThan(0);
    let store = await openStore();
    const held = await store.cachedAccountIds('x');
    await store.close();
    expect(held.size, 'the run read X accounts').to.be.greaterThan(2);
    const [suspendedId, suspendedHandles] = [...held][0]!;
    x.compliance.setEvent(suspendedId, 'suspended');
    const jobsBefore = x.compliance.jobsCreated();

    const second = await cli(['sync', '--crm', 'salesforce', '--once', '--json']);
    expect(second.code, second.stderr).to.equal(0);
    expect(x.compliance.jobsCreated()).to.equal(jobsBefore + 1);
    store = await openStore();
    try {
      const after = await store.cachedAccountIds('x');
      expect(after.has(suspendedId)).to.equal(false);
      expect(after.size).to.equal(held.size - 1);
      expect((await store.getLastGood('x', suspendedHandles)).size).to.equal(0);
    } finally {
      await store.close();
    }
  });
});
