// `crm-influence report lift` end to end: the CLI process against the Salesforce emulator on 127.0.0.1 (tiers from
// a sync first, then the lift table as text, JSON and CSV; a bad flag is a usage error).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect } from 'chai';

import { LiftReportSchema } from '../../src/lift/index.ts';
import { startBlueskySandbox } from '../../src/sandbox/networks/bluesky.ts';
import { startGitHubSandbox } from '../../src/sandbox/networks/github.ts';
import { startMastodonSandbox } from '../../src/sandbox/networks/mastodon.ts';
import type { NetworkServer } from '../../src/sandbox/networks/server.ts';
import { createPopulation } from '../../src/sandbox/population.ts';
import type { SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { startSalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/crm-influence.js');

describe('crm-influence report lift (sandbox)', function () {
  this.timeout(90_000);
  const population = createPopulation({ seed: 'cli-lift', size: 300 });
  let dir: string;
  let salesforce: SalesforceSandbox;
  let networks: (NetworkServer & { env: Record<string, string> })[];
  let env: Record<string, string>;

  function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args],
        { env, encoding: 'utf8', timeout: 60_000 },
        (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-cli-lift-'));
    salesforce = await startSalesforceSandbox({ population });
    networks = await Promise.all([
      startBlueskySandbox({ population }),
      startGitHubSandbox({ population }),
      startMastodonSandbox({ population }),
    ]);
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...salesforce.env,
      ...(Object.assign({}, ...networks.map((n) => n.env)) as Record<string, string>),
      CRM_INFLUENCE_DB: path.join(dir, 'cli.db'),
      CRM_INFLUENCE_SECRET_KEY: randomBytes(32).toString('hex'),
      CRM_INFLUENCE_LOG_LEVEL: 'silent',
    };
  });
  after(async () => {
    await Promise.all([salesforce?.close(), ...(networks ?? []).map((n) => n.close())]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the table after a sync (which already stored one), then JSON and CSV with filters', async () => {
    expect((await cli(['sync', '--crm', 'salesforce', '--once'])).code).to.equal(0);
    const text = await cli(['report', 'lift', '--crm', 'salesforce']);
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.match(/^Tier\s+Contacts\s+With deal/m);
    expect(text.stdout).to.match(/^All contacts\s+\d+/m);
    expect(text.stdout).to.contain('Observational, not causal');
    // The sync stored the outcomes: this read took only what changed since (the newest second again at most).
    expect(text.stdout).to.match(/\(\d changed deals read in 1 API call;/);

    const json = await cli(['report', 'lift', '--crm', 'salesforce', '--json', '--from', '2000-01-01']);
    const report = LiftReportSchema.parse(JSON.parse(json.stdout));
    expect(report.filters).to.deep.equal({ from: '2000-01-01' });
    expect(report.org.deals).to.equal(salesforce.control.deals().length);

    const csv = await cli(['report', 'lift', '--crm', 'salesforce', '--csv']);
    expect(csv.stdout.split('\r\n')[0]).to.match(/^kind,group,contacts,/);
  });

  it('refuses --json with --csv, and a malformed day, as usage errors', async () => {
    const both = await cli(['report', 'lift', '--crm', 'salesforce', '--json', '--csv']);
    expect(both.code).to.equal(2);
    expect(both.stderr).to.contain('choose one');
    const day = await cli(['report', 'lift', '--crm', 'salesforce', '--from', '31/01/2026']);
    expect(day.code).to.equal(2);
    expect(day.stderr).to.contain('--from');
  });
});
