// `crm-influence report lift --crm salesforce|hubspot [--full] [--from DAY] [--to DAY] [--pipeline ID] [--json|--csv]`:
// reads the deal outcomes that changed since the last time, stores them and this run's lift table, and prints the
// table (filtered when asked). Read-only towards the CRM.
import type { Command } from 'commander';
import { z } from 'zod';

import { CrmNameSchema } from '../../crm/contract.ts';
import { liftCsv, liftTableText } from '../../lift/index.ts';
import { computeStoredLift, LiftUnavailableError, refreshLift } from '../../sync/lift.ts';
import { withContext } from '../context.ts';
import { openCrm } from '../crms.ts';
import { CliError } from '../errors.ts';
import { parseFlags } from '../flags.ts';
import { printJson } from '../output.ts';

const day = z.iso.date({ error: 'must be a day like 2026-01-31' }).optional();
const LiftFlagsSchema = z
  .strictObject({
    crm: z.enum(CrmNameSchema.options, {
      error: (issue) =>
        issue.input === undefined
          ? 'is required: salesforce or hubspot'
          : `must be salesforce or hubspot (got ${JSON.stringify(issue.input)})`,
    }),
    full: z.boolean().default(false),
    from: day,
    to: day,
    pipeline: z.string().min(1).optional(),
    json: z.boolean().default(false),
    csv: z.boolean().default(false),
  })
  .refine((f) => !(f.json && f.csv), { message: '--json and --csv: choose one', path: ['csv'] });

async function lift(rawFlags: unknown): Promise<void> {
  const flags = parseFlags('report lift', LiftFlagsSchema, rawFlags);
  await withContext(async (ctx) => {
    const { connectionId, connector } = await openCrm(flags.crm, ctx);
    const log = ctx.store.outcomes;
    if (log === undefined) throw new CliError('this store does not keep deal outcomes');
    let refreshed;
    try {
      refreshed = await refreshLift(connector, log, connectionId, {
        full: flags.full,
        budgetFloor: ctx.config.CRM_INFLUENCE_BUDGET_FLOOR,
      });
    } catch (error) {
      if (error instanceof LiftUnavailableError) throw new CliError(error.message);
      throw error;
    }
    const filters = {
      ...(flags.from === undefined ? {} : { from: flags.from }),
      ...(flags.to === undefined ? {} : { to: flags.to }),
      ...(flags.pipeline === undefined ? {} : { pipeline: flags.pipeline }),
    };
    const report =
      Object.keys(filters).length === 0
        ? refreshed.report
        : await computeStoredLift(log, connectionId, filters, new Date());
    for (const bad of refreshed.invalid) process.stderr.write(`left out: ${bad.message}\n`);
    if (refreshed.budgetReached)
      process.stderr.write('the CRM API budget is at its floor: the table covers the deals read so far\n');
    if (flags.json) printJson(report);
    else if (flags.csv) process.stdout.write(liftCsv(report));
    else
      process.stdout.write(
        `${liftTableText(report)}\n(${refreshed.read} changed deals read in ${refreshed.calls} API call${refreshed.calls === 1 ? '' : 's'}; ${report.org.deals} deals in the table)\n`,
      );
  });
}

export function register(program: Command): void {
  const report = program.command('report').description('reports over what the CRM holds');
  report
    .command('lift')
    .description(
      'revenue lift by influence tier: win rate (95 % interval), pipeline per 100 contacts and days to close per tier, ' +
        'from opportunities (Salesforce, by primary contact) or deals (HubSpot, by associated contacts). Read-only',
    )
    .option('--crm <crm>', 'which CRM: salesforce or hubspot')
    .option('--full', 'forget the stored outcomes and read every deal again')
    .option('--from <day>', 'only deals created on or after this day (YYYY-MM-DD)')
    .option('--to <day>', 'only deals created on or before this day (YYYY-MM-DD)')
    .option('--pipeline <id>', 'only deals in this pipeline (HubSpot pipeline id)')
    .option('--json', 'print the report as JSON')
    .option('--csv', 'print the table as CSV (tiers, Unscored, the org, then score bands)')
    .addHelpText(
      'after',
      '\nObservational, not causal: a tier that wins more may sit in better accounts. A tier with fewer than 20 closed\n' +
        'deals or 30 contacts says "too few to tell".',
    )
    .action(lift);
}
