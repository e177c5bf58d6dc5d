// `crm-influence sync` end to end: the CLI process against the Salesforce and Bluesky emulators on 127.0.0.1.
import { spawn } from 'node:child_process';

import { expect } from 'chai';

import { createPopulation } from '../../src/sandbox/population.ts';
import type { SalesforceSandbox } from '../../src/sandbox/salesforce/index.ts';
import { SandboxOrg } from '../../src/sandbox/salesforce/index.ts';
import { RunReportSchema } from '../../src/store/run-report.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { BIN, type CliResult, type CliWorld, startCliWorld } from './world.ts';

describe('crm-influence sync (sandbox)', function () {
  this.timeout(60_000);
  const population = createPopulation({ seed: 'cli-sync', size: 250 });
  let world: CliWorld;
  let salesforce: SalesforceSandbox;
  let env: Record<string, string>;
  const cli = (args: string[]): Promise<CliResult> => world.cli(args);

  before(async () => {
    world = await startCliWorld('cli-sync', population, { timeoutMs: 45_000 });
    ({ salesforce, env } = world);
  });
  after(() => world?.close());

  it('--dry-run --json prints exactly one run report and writes nothing; without --json it says "would write"', async () => {
    const { code, stdout } = await cli(['sync', '--crm', 'salesforce', '--dry-run', '--json']);
    expect(code).to.equal(0);
    const report = RunReportSchema.parse(JSON.parse(stdout));
    expect(report.dryRun).to.equal(true);
    expect(report.counts.written, 'nothing was written').to.equal(0);
    expect(report.counts.wouldWrite).to.be.greaterThan(0);
    expect(salesforce.counters.recordsWritten).to.equal(0);

    const words = await cli(['sync', '--crm', 'salesforce', '--dry-run', '--once']);
    expect(words.code, words.stderr).to.equal(0);
    expect(words.stdout)
      .to.match(/^Dry run /)
      .and.match(/ · would write [1-9]\d* · /);
    expect(words.stdout).to.not.include('written');
  });

  it('--once --json runs once, prints one report; the unchanged second run writes 0', async () => {
    const first = await cli(['sync', '--crm', 'salesforce', '--once', '--json']);
    expect(first.code, first.stderr).to.equal(0);
    const report = RunReportSchema.parse(JSON.parse(first.stdout));
    expect(report.status).to.be.oneOf(['ok', 'partial']);
    expect(report.counts.read).to.equal(250);
    expect(report.counts.written).to.equal(salesforce.counters.recordsWritten);
    // What a rep reads on the record: "+12 Bluesky: …", one factor per line in whole points, no doubled sign, and an
    // "Other, smaller factors" line where needed: the lines add up to the score written beside them.
    const records = Array.from(
      { length: 250 },
      (_, i) =>
        salesforce.control.record(SandboxOrg.idOf('Contact', i)) ??
        salesforce.control.record(SandboxOrg.idOf('Lead', i)),
    );
    let scored = 0;
    for (const record of records) {
      const lines = ((record?.Influence_Top_Factors__c as string | null | undefined) ?? '')
        .split('\n')
        .filter((line) => line !== '');
      for (const line of lines)
        expect(line).to.match(
          /^([+-]\d+ ((X|GitHub|Mastodon|Bluesky|LinkedIn): [^+\u2212 ]|Other, smaller factors$)|YouTube, scored separately)/,
        );
      const score = record?.Influence_Score__c;
      if (typeof score !== 'number') continue;
      scored += 1;
      const sum = lines
        .filter((line) => /^[+-]\d/.test(line))
        .reduce((total, line) => total + Number(/^[+-]\d+/.exec(line)![0]), 0);
      expect(sum, `${String(record?.Id)}: ${lines.join(' | ')}`).to.equal(score);
    }
    expect(scored).to.be.greaterThan(50);

    const second = await cli(['sync', '--crm', 'salesforce', '--once', '--json']);
    const again = RunReportSchema.parse(JSON.parse(second.stdout));
    expect(again.counts.written).to.equal(0);
    expect(again.apiCalls.crm.write).to.equal(0);
  });

  it('without --json prints a summary on stdout and plain lines on stderr (JSON with --log-format json); runs lists the runs', async () => {
    env.CRM_INFLUENCE_LOG_LEVEL = 'info';
    let text: CliResult, json: CliResult;
    try {
      text = await cli(['sync', '--crm', 'salesforce', '--once']);
      json = await cli(['sync', '--crm', 'salesforce', '--once', '--log-format', 'json']);
    } finally {
      env.CRM_INFLUENCE_LOG_LEVEL = 'silent';
    }
    const { code, stdout, stderr } = text;
    expect(code).to.equal(0);
    expect(stdout).to.match(/^Run [0-9a-f-]+ \(salesforce, connection salesforce-[0-9a-f]+\): (ok|partial)/);
    // On a pipe: one plain line per event, progress and logs alike.
    const lines = stderr.trim().split('\n');
    expect(lines[0]).to.match(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ info {2}sync started runId=[0-9a-f-]+ connection=/);
    expect(lines.filter((line) => /^sync page \d+ · read \d+ · written \d+ · unchanged \d+ · failed \d+$/.test(line)))
      .to.not.be.empty;
    for (const line of lines)
      expect(line, 'no JSON, no escape codes')
        .to.match(/^(sync page|\d{4}-)/)
        .and.not.include('\u001b');
    expect(stdout.match(/unchanged \d+/g), 'the counts once, in the summary').to.have.length(1);
    const jsonLines = json.stderr
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('{'));
    expect(jsonLines.map((line) => (JSON.parse(line) as { msg: string }).msg)).to.include.members([
      'sync started',
      'sync finished',
    ]);

    const runs = await cli(['runs', '--last', '10']);
    expect(runs.code).to.equal(0);
    // header + the 6 runs of this file (dry runs included)
    expect(runs.stdout.trim().split('\n')).to.have.length(7);
    expect(runs.stdout)
      .to.include('(dry run)')
      .and.match(/would write [1-9]/);
  });
  it('a settings change (tier thresholds) re-scores contacts whose metrics did not move, once', async () => {
    const unchanged = RunReportSchema.parse(
      JSON.parse((await cli(['sync', '--crm', 'salesforce', '--once', '--json'])).stdout),
    );
    expect(unchanged.counts.written, 'nothing moved yet').to.equal(0);
    const store = await SqliteStore.open(env.CRM_INFLUENCE_DB!, {
      secretKey: Buffer.from(env.CRM_INFLUENCE_SECRET_KEY!, 'hex'),
    });
    try {
      const [connection] = await store.listConnections();
      if (!connection) throw new Error('the earlier runs saved no connection');
      // Thresholds above every score: each scored contact's tier becomes D.
      await store.saveConnection({
        ...connection,
        settings: { ...connection.settings, scoring: { tiers: { thresholds: { A: 99, B: 98, C: 97 } } } },
      });
    } finally {
      await store.close();
    }
    const written = salesforce.counters.recordsWritten;
    const rescored = RunReportSchema.parse(
      JSON.parse((await cli(['sync', '--crm', 'salesforce', '--once', '--json'])).stdout),
    );
    expect(rescored.counts.written, 'contacts given their new tier').to.be.greaterThan(0);
    expect(salesforce.counters.recordsWritten - written).to.equal(rescored.counts.written);
    const again = RunReportSchema.parse(
      JSON.parse((await cli(['sync', '--crm', 'salesforce', '--once', '--json'])).stdout),
    );
    expect(again.counts.written, 'and only once').to.equal(0);
  });

  it('without --once runs now, then follows the schedule showing the next run, until interrupted', async () => {
    const child = spawn(process.execPath, [BIN, 'sync', '--crm', 'salesforce'], {
      env: { ...env, CRM_INFLUENCE_SCHEDULE: '*/2 * * * * *' },
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    // The first run, the schedule line, then at least one scheduled run with its "next run".
    while ((stdout.match(/^next run: /gm) ?? []).length < 1 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGINT');
    const code = await exited;
    expect(stdout).to.match(/^Run [0-9a-f-]+ \(salesforce/m);
    expect(stdout).to.match(/^following the schedule "\*\/2 \* \* \* \* \*"; next run: \d{4}-\d\d-\d\dT/m);
    expect((stdout.match(/^Run [0-9a-f-]+ /gm) ?? []).length).to.be.at.least(2);
    expect(code).to.equal(0);
  });
});
