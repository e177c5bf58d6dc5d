// `crm-influence import` end to end: LinkedIn counts from CSV, scored by the next `sync` (CLI processes against the
// Salesforce and network emulators on 127.0.0.1).
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import { expect } from 'chai';

import { createPopulation } from '../../src/sandbox/population.ts';
import type { SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { SandboxOrg } from '../../src/sandbox/salesforce/index.ts';
import { RunReportSchema } from '../../src/store/run-report.ts';
import { type CliResult, type CliWorld, startCliWorld } from './world.ts';

describe('crm-influence import (sandbox)', function () {
  this.timeout(90_000);
  const population = createPopulation({ seed: 'cli-import', size: 200, linkedinShare: 0.5 });
  let world: CliWorld;
  let dir: string;
  let salesforce: SalesforceSandbox;
  const cli = (args: string[]): Promise<CliResult> => world.cli(args);

  /** People whose only listed network is LinkedIn: unscored until their counts are imported. */
  function linkedinOnly(): { index: number; url: string; followers: number }[] {
    const out: { index: number; url: string; followers: number }[] = [];
    for (let index = 0; index < population.size; index++) {
      const person = population.person(index);
      const profile = population.linkedin(index);
      if (profile === undefined || person.optedOut) continue;
      const others = Object.entries(person.handles).filter(([field]) => field !== 'website');
      if (others.length === 0) out.push({ index, url: profile.url, followers: profile.followers });
    }
    return out;
  }

  before(async () => {
    world = await startCliWorld('cli-import', population, { timeoutMs: 60_000 });
    ({ dir, salesforce } = world);
  });
  after(() => world?.close());

  it('stores the good rows, names each bad one by line and column, and the next sync scores the imported contacts', async () => {
    const only = linkedinOnly();
    expect(only.length, 'people with LinkedIn only').to.be.greaterThan(3);
    const first = RunReportSchema.parse(
      JSON.parse((await cli(['sync', '--crm', 'salesforce', '--once', '--json'])).stdout),
    );
    expect(first.status).to.equal('ok');
    // Before the import, the LinkedIn-only people are Unscored because LinkedIn is off: the report says so, with the fix.
    expect(first.unscoredBy?.['network_off:linkedin']).to.be.at.least(only.length);
    const tierOf = (index: number) =>
      salesforce.control.record(SandboxOrg.idOf(salesforce.control.org.objectTypeOf(index), index))?.Influence_Tier__c;
    for (const p of only) expect(tierOf(p.index), `person ${p.index} before the import`).to.equal('Unscored');

    const file = path.join(dir, 'linkedin.csv');
    writeFileSync(
      file,
      [
        'handle,followers,connections,as_of,source',
        ...only.map((p) => `${p.url},${p.followers},300,2026-01-01,export`),
        'https://www.linkedin.com/in/someone-else,many,,2026-01-01,export',
        'https://www.linkedin.com/in/someone-later,10,,2999-01-01,export',
      ].join('\n'),
    );
    const imported = await cli(['import', '--file', file]);
    expect(imported.code).to.equal(1);
    expect(imported.stderr).to.include(`line ${only.length + 2}, followers: followers must be a whole number`);
    expect(imported.stderr).to.include(`line ${only.length + 3}, as_of: as_of is in the future`);
    expect(imported.stdout).to.include(`imported ${only.length} accounts`);
    expect(imported.stdout).to.match(
      /linkedin: \d+ accounts stored, as of 2026-01-01…2026-01-01 \(scored by the next sync\)/,
    );

    const second = RunReportSchema.parse(
      JSON.parse((await cli(['sync', '--crm', 'salesforce', '--once', '--json'])).stdout),
    );
    expect(second.readAll).to.equal('scoring-changed');
    for (const p of only) {
      const record = salesforce.control.record(SandboxOrg.idOf(salesforce.control.org.objectTypeOf(p.index), p.index));
      expect(record?.Influence_Tier__c, `person ${p.index} after the import`).to.be.oneOf(['A', 'B', 'C', 'D']);
      expect(String(record?.Influence_Top_Factors__c)).to.include('LinkedIn');
    }
    // Counts from January are older than the stale limit: they say so.
    const someone = salesforce.control.record(
      SandboxOrg.idOf(salesforce.control.org.objectTypeOf(only[0]!.index), only[0]!.index),
    );
    expect(String(someone?.Influence_Reason_Codes__c)).to.include('STALE_DATA');

    // Nothing new imported: the run after reads only what changed.
    const third = RunReportSchema.parse(
      JSON.parse((await cli(['sync', '--crm', 'salesforce', '--once', '--json'])).stdout),
    );
    expect(third.readAll).to.equal(undefined);
  });
});
