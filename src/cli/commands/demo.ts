// `crm-influence demo [--contacts N] [--seed S]`: the built-in sandbox (a Salesforce org and the social networks,
// all on 127.0.0.1), one full run through the real connector, adapters and model, a summary, then the admin UI.
// Nothing leaves the machine; the demo's store lives in a temporary folder.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { Command } from 'commander';
import { z } from 'zod';

import { HubSpotPortals } from '../../../connectors/hubspot/portals.ts';
import { monthlySpendCaps } from '../../config.ts';
import { liftHeadline, liftTableText } from '../../lift/index.ts';
import { NEGATIVE_TTL_SECONDS, PROVIDER_TTL_SECONDS, STALE_MAX_AGE_SECONDS } from '../../providers/ttl.ts';
import { startBlueskySandbox } from '../../sandbox/networks/bluesky.ts';
import { startGitHubSandbox } from '../../sandbox/networks/github.ts';
import { startMastodonSandbox } from '../../sandbox/networks/mastodon.ts';
import { startXSandbox } from '../../sandbox/networks/x.ts';
import { startYouTubeSandbox } from '../../sandbox/networks/youtube.ts';
import type { Population } from '../../sandbox/population.ts';
import { createPopulation } from '../../sandbox/population.ts';
import type { SalesforceSandbox } from '../../sandbox/salesforce/index.ts';
import { SandboxOrg, startSalesforceSandbox } from '../../sandbox/salesforce/index.ts';
import { openStore } from '../../store/open.ts';
import type { RunReport } from '../../store/run-report.ts';
import { runSync } from '../../sync/engine.ts';
import { importCountsCsv, ImportedCountsStore } from '../../sync/imported-counts.ts';
import { refreshLift } from '../../sync/lift.ts';
import type { CliContext } from '../context.ts';
import { createCliLogger, loadCliConfig } from '../context.ts';
import { openCrm, openModel, openProviders } from '../crms.ts';
import { parseFlags } from '../flags.ts';
import { describeRun, table } from '../output.ts';
import { createProgress } from '../progress.ts';
import { stderrTerminal } from '../terminal.ts';
import { ensureAdminOf, startAdminUi, untilStopped } from './serve.ts';

const DemoFlagsSchema = z.strictObject({
  ui: z.boolean().default(true),
  port: z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a port number')
    .min(0, 'must be 0–65535')
    .max(65535, 'must be 0–65535')
    .default(0),
  contacts: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(200_000, 'must be at most 200000')
    .default(2000),
  seed: z.string().min(1, 'must not be empty').default('demo'),
});

interface DemoWorld {
  salesforce: SalesforceSandbox;
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Starts the Salesforce emulator and every network emulator over one population. */
async function startWorld(population: Population): Promise<DemoWorld> {
  const closers: (() => Promise<void>)[] = [];
  try {
    const salesforce = await startSalesforceSandbox({ population });
    closers.push(() => salesforce.close());
    const networks = await Promise.all([
      startBlueskySandbox({ population }),
      startGitHubSandbox({ population }),
      startMastodonSandbox({ population }),
      startXSandbox({ population }),
      startYouTubeSandbox({ population }),
    ]);
    for (const network of networks) closers.push(() => network.close());
    const env: Record<string, string> = { ...salesforce.env };
    for (const network of networks) Object.assign(env, network.env);
    return { salesforce, env, close: async () => void (await Promise.all(closers.map((close) => close()))) };
  } catch (error) {
    await Promise.all(closers.map((close) => close()));
    throw error;
  }
}

/** Tier distribution as the org holds it now (what a CRM report would show). */
function tierSummary(salesforce: SalesforceSandbox): string {
  const org = salesforce.control.org;
  const counts = new Map<string, number>();
  for (let index = 0; index < org.size; index++) {
    const record = salesforce.control.record(SandboxOrg.idOf(org.objectTypeOf(index), index));
    // Cleared fields: the contact opted out of profiling.
    const tier = typeof record?.Influence_Tier__c === 'string' ? record.Influence_Tier__c : 'Opted out';
    counts.set(tier, (counts.get(tier) ?? 0) + 1);
  }
  const order = ['A', 'B', 'C', 'D', 'Unscored', 'Opted out'];
  const rows = order
    .filter((tier) => counts.has(tier))
    .map((tier) => {
      const n = counts.get(tier) ?? 0;
      return [tier, String(n), `${((n / org.size) * 100).toFixed(1)}%`];
    });
  return table([['tier', 'records', 'share'], ...rows]);
}

function efficiency(report: RunReport, salesforce: SalesforceSandbox): string {
  // sObject Collections take 200 records per call and Composite 5 collections: 1,000 records per API call.
  const minimum = Math.ceil(report.counts.written / 1000);
  return (
    `CRM API calls for writes: ${report.apiCalls.crm.write} (minimum possible ${minimum}); ` +
    `records written by the org: ${salesforce.counters.recordsWritten}; largest batch: ${salesforce.counters.largestBatch}`
  );
}

/** Share of the demo's people without a website who list a LinkedIn profile there instead. */
const LINKEDIN_SHARE = 0.12;

/** The LinkedIn counts a team would export and import (`crm-influence import --file …`), as a CSV file. */
function writeLinkedInExport(population: Population, file: string, asOf: string): number {
  const lines = ['network,handle,followers,connections,as_of,source'];
  for (let index = 0; index < population.size; index++) {
    const profile = population.linkedin(index);
    if (profile !== undefined)
      lines.push(`linkedin,${profile.url},${profile.followers},${profile.connections},${asOf},export`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return lines.length - 1;
}

async function action(rawFlags: unknown): Promise<void> {
  const flags = parseFlags('demo', DemoFlagsSchema, rawFlags);
  const population = createPopulation({ seed: flags.seed, size: flags.contacts, linkedinShare: LINKEDIN_SHARE });
  stderrTerminal.writeLine(
    `starting the sandbox: a Salesforce org with ${flags.contacts} contacts and leads, X, GitHub, Mastodon, Bluesky and YouTube…\n`,
  );
  const world = await startWorld(population);
  const dir = mkdtempSync(path.join(tmpdir(), 'crm-influence-demo-'));
  try {
    const config = loadCliConfig({
      ...world.env,
      CRM_INFLUENCE_DB: path.join(dir, 'demo.db'),
      // The demo's store is thrown away afterwards, so a one-off key is right.
      CRM_INFLUENCE_SECRET_KEY: randomBytes(32).toString('hex'),
      CRM_INFLUENCE_LOG_LEVEL: process.env.CRM_INFLUENCE_LOG_LEVEL ?? 'warn',
    });
    const store = await openStore(config);
    try {
      const ctx: CliContext = { config, store, logger: createCliLogger(config), hubspotPortals: new HubSpotPortals() };
      const { connectionId, connector } = await openCrm('salesforce', ctx);
      // LinkedIn has no API: its counts come from an export, imported as `crm-influence import` would.
      const exportFile = path.join(dir, 'linkedin-export.csv');
      writeLinkedInExport(population, exportFile, new Date().toISOString().slice(0, 10));
      const imported = await importCountsCsv(ImportedCountsStore.of(store), readFileSync(exportFile, 'utf8'));
      stderrTerminal.writeLine(
        `imported ${imported.accounts} LinkedIn counts from an export (crm-influence import --file ${path.basename(exportFile)})\n`,
      );
      // Someone is watching: a network whose window is spent leaves its contacts to the next run after a minute.
      const { providers, resolveIdentities, importStamp } = await openProviders(ctx, {
        maxRateLimitWaitSeconds: 60,
      });
      const { score, scoringKey } = await openModel({}, importStamp);
      const progress = createProgress();
      const started = Date.now();
      let report: RunReport;
      try {
        report = await runSync(
          {
            store,
            connector,
            providers,
            resolveIdentities,
            score,
            scoringKey,
            logger: ctx.logger,
            onProgress: (p) => progress.update(p),
          },
          {
            connectionId,
            full: true,
            budgetFloor: config.CRM_INFLUENCE_BUDGET_FLOOR,
            monthlySpendCapUsd: monthlySpendCaps(config),
            historyMonths: config.CRM_INFLUENCE_HISTORY_MONTHS,
            providerTtlSeconds: PROVIDER_TTL_SECONDS,
            negativeTtlSeconds: NEGATIVE_TTL_SECONDS,
            lastGoodMaxAgeDays: STALE_MAX_AGE_SECONDS / 86_400,
          },
        );
      } finally {
        progress.stop();
      }
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(
        `${describeRun(report)}\n  took ${seconds} s\n  ${efficiency(report, world.salesforce)}\n\n${tierSummary(world.salesforce)}\n`,
      );
      // The sandbox's opportunities carry a planted effect of latent influence on winning: the lift table finds it.
      const lift = await refreshLift(connector, store.outcomes!, connectionId, { full: true });
      process.stdout.write(
        `\n${liftTableText(lift.report)}\n(${lift.read} opportunities read in ${lift.calls} API call${lift.calls === 1 ? '' : 's'})\n\n${liftHeadline(lift.report)}\n`,
      );
      if (!flags.ui) return;
      // A one-off admin password: the demo's store is thrown away when it ends.
      const password = randomBytes(12).toString('base64url');
      const uiCtx = { ...ctx, config: { ...config, CRM_INFLUENCE_ADMIN_PASSWORD: password } };
      await ensureAdminOf(uiCtx, { initAdmin: false, adminUser: 'admin' });
      const ui = await startAdminUi(uiCtx, { port: flags.port, host: '127.0.0.1' }, {});
      process.stdout.write(
        `\nadmin UI on ${ui.url}  (sign in as admin / ${password}; the sandbox keeps running; Ctrl-C stops)\n`,
      );
      await untilStopped();
      await ui.close();
    } finally {
      await store.close();
    }
  } finally {
    await world.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'start the built-in sandbox (CRM + networks), run a full sync, print a summary, then open the admin UI',
    )
    .option('--contacts <n>', 'contacts and leads in the sandbox org', '2000')
    .option('--seed <s>', 'random seed of the sandbox population', 'demo')
    .option('--no-ui', 'print the summary and stop (no admin UI)')
    .option('--port <port>', 'admin UI port (default: any free port)', '0')
    .action(action);
}
