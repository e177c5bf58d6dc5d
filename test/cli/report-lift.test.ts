// `crm-influence report lift` end to end: the CLI process against the Salesforce emulator on 127.0.0.1 (tiers from
// a sync first, then the lift table as text, JSON and CSV; a bad flag is a usage error).

import { expect } from 'chai';

import { LiftReportSchema } from '../../src/lift/index.ts';
import { createPopulation } from '../../src/sandbox/population.ts';
import type { SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { type CliResult, type CliWorld, startCliWorld } from './world.ts';

describe('crm-influence report lift (sandbox)', function () {
  this.timeout(90_000);
  const population = createPopulation({ seed: 'cli-lift', size: 300 });
  let world: CliWorld;
  let salesforce: SalesforceSandbox;
  const cli = (args: string[]): Promise<CliResult> => world.cli(args);

  before(async () => {
    world = await startCliWorld('cli-lift', population, { timeoutMs: 60_000 });
    ({ salesforce } = world);
  });
  after(() => world?.close());

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
