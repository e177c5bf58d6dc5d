// `crm-influence sync --crm salesforce|hubspot [--once] [--dry-run] [--full] [--json]`
import type { Command } from 'commander';
import { z } from 'zod';

import { monthlySpendCaps } from '../../config.ts';
import { CrmNameSchema } from '../../crm/contract.ts';
import { OverwritePolicySchema } from '../../crm/policy.ts';
import { NEGATIVE_TTL_SECONDS, PROVIDER_TTL_SECONDS, STALE_MAX_AGE_SECONDS } from '../../providers/ttl.ts';
import type { RunReport } from '../../store/run-report.ts';
import { runSync, SyncAlreadyRunningError } from '../../sync/engine.ts';
import { liftAfterRun } from '../../sync/lift.ts';
import { TierTasksSchema } from '../../sync/options.ts';
import { SyncScheduler } from '../../sync/scheduler.ts';
import { describeIssues } from '../../zod-issues.ts';
import type { CliContext } from '../context.ts';
import { withContext } from '../context.ts';
import { openCrm, openModel, openProviders } from '../crms.ts';
import { CliError } from '../errors.ts';
import { parseFlags } from '../flags.ts';
import { describeRun, printJson } from '../output.ts';
import { createProgress } from '../progress.ts';
import type { StopRequest } from '../signals.ts';
import { listenForStop } from '../signals.ts';
import { runXCompliance } from '../x-compliance.ts';

/** How long `sync` waits for X's compliance job after its run (real jobs take minutes); past it, the next run's. */
const X_COMPLIANCE_SYNC_WAIT_MS = 15 * 60_000;

const SyncFlagsSchema = z.strictObject({
  crm: z.enum(CrmNameSchema.options, {
    error: (issue) =>
      issue.input === undefined
        ? 'is required: salesforce or hubspot'
        : `must be salesforce or hubspot (got ${JSON.stringify(issue.input)})`,
  }),
  once: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  full: z.boolean().default(false),
  json: z.boolean().default(false),
});
type SyncFlags = z.output<typeof SyncFlagsSchema>;

/**
 * Exit status of a finished run: stopped-by-budget and per-record failures are normal outcomes, the rest are not; a
 * run a signal interrupted exits with the signal's status (130 Ctrl-C, 143 SIGTERM).
 */
export function exitCodeFor(report: RunReport, stop?: StopRequest): number {
  if (report.status === 'interrupted') return stop?.exitCode() ?? 130;
  return report.status === 'failed' || report.status === 'needs_reauth' ? 1 : 0;
}

const ConnectionSettingsSchema = z.looseObject({
  overwritePolicy: OverwritePolicySchema.optional(),
  tierTasks: TierTasksSchema.optional(),
});

/** Opens every part a run needs and returns "run once" for this CRM. */
async function prepare(ctx: CliContext, flags: SyncFlags, stop: StopRequest) {
  const crm = flags.crm;
  const { connectionId, connector } = await openCrm(crm, ctx);
  const { providers, resolveIdentities, importStamp } = await openProviders(ctx);
  const connection = await ctx.store.getConnection(connectionId);
  const settings = ConnectionSettingsSchema.safeParse(connection?.settings ?? {});
  if (!settings.success) {
    throw new CliError(`connection "${connectionId}": settings are invalid: ${describeIssues(settings.error)}`);
  }
  const { score, scoringKey, tierLabels } = await openModel(connection?.settings, importStamp);
  const { config, store, logger } = ctx;
  /** A run of the connection; with `ids`, of only those records (no checkpoint moved, no deal outcomes read). */
  const run = (request: { onProgress?: Parameters<typeof runSync>[0]['onProgress']; ids?: readonly string[] } = {}) =>
    runSync(
      {
        store,
        connector,
        providers,
        resolveIdentities,
        score,
        scoringKey,
        tierLabels,
        logger,
        signal: stop.signal,
        ...(request.onProgress !== undefined ? { onProgress: request.onProgress } : {}),
      },
      {
        connectionId,
        dryRun: flags.dryRun,
        full: flags.full,
        ...(request.ids !== undefined ? { ids: [...request.ids] } : {}),
        refreshDays: config.CRM_INFLUENCE_REFRESH_DAYS,
        budgetFloor: config.CRM_INFLUENCE_BUDGET_FLOOR,
        monthlySpendCapUsd: monthlySpendCaps(config),
        historyMonths: config.CRM_INFLUENCE_HISTORY_MONTHS,
        providerTtlSeconds: PROVIDER_TTL_SECONDS,
        negativeTtlSeconds: NEGATIVE_TTL_SECONDS,
        lastGoodMaxAgeDays: STALE_MAX_AGE_SECONDS / 86_400,
        ...(settings.data.overwritePolicy !== undefined ? { overwritePolicy: settings.data.overwritePolicy } : {}),
        ...(settings.data.tierTasks !== undefined ? { tierTasks: settings.data.tierTasks } : {}),
      },
    ).then(async (report) => {
      if (request.ids === undefined)
        await liftAfterRun(connector, store, report, logger, config.CRM_INFLUENCE_BUDGET_FLOOR);
      return { report, connectionId };
    });
  return { run, connectionId };
}

type Prepared = Awaited<ReturnType<typeof prepare>>;

/**
 * X's 24-hour rule after a run: data of accounts gone or protected on X is forgotten, and this connection's contacts
 * whose fields used it are re-scored and rewritten at once (a targeted run). Another connection's wait for its own
 * pass (its next `sync`, or `serve`'s), which finds them the same way. `serve` checks daily on its own.
 */
async function xCompliance(ctx: CliContext, prepared: Prepared, stop: StopRequest): Promise<void> {
  if (stop.signal.aborted) return;
  await runXCompliance(ctx, {
    maxWaitMs: X_COMPLIANCE_SYNC_WAIT_MS,
    rescore: async (connectionId, ids) => {
      if (connectionId !== prepared.connectionId) {
        ctx.logger.info(
          { connection: connectionId, contacts: ids.length },
          "X compliance: these contacts are re-scored by that connection's own compliance pass",
        );
        return;
      }
      const { report } = await prepared.run({ ids });
      ctx.logger.info(
        { connection: connectionId, contacts: ids.length, written: report.counts.written, status: report.status },
        'X compliance: contacts that used forgotten X data re-scored',
      );
    },
  });
}

async function runOnce(prepared: Prepared, flags: SyncFlags): Promise<RunReport> {
  // --json on a pipe: the report is the record of the run, the per-page lines would only be noise.
  const progress = createProgress({ dryRun: flags.dryRun, quiet: flags.json && process.stderr.isTTY !== true });
  try {
    const { report } = await prepared.run({ onProgress: (p) => progress.update(p) });
    return report;
  } catch (error) {
    if (error instanceof SyncAlreadyRunningError) throw new CliError(error.message);
    throw error;
  } finally {
    progress.stop();
  }
}

async function action(rawFlags: unknown): Promise<void> {
  const flags = parseFlags('sync', SyncFlagsSchema, rawFlags);
  const stop = listenForStop();
  try {
    await withContext(async (ctx) => {
      const prepared = await prepare(ctx, flags, stop);
      const report = await runOnce(prepared, flags);
      // A dry run changes nothing: no data forgotten, no contact rewritten.
      if (!flags.dryRun) await xCompliance(ctx, prepared, stop);
      if (flags.json) printJson(report);
      else process.stdout.write(`${describeRun(report)}\n`);
      // --json is one report, so it implies --once.
      if (flags.once || flags.json) {
        process.exitCode = exitCodeFor(report, stop);
        return;
      }
      // Following the schedule, a stop is the normal way out (exit 0), also during the first run.
      if (stop.signal.aborted) return;
      await followSchedule(ctx, prepared, report.connection, stop);
    });
  } finally {
    stop.dispose();
  }
}

/** Without --once: keep running on CRM_INFLUENCE_SCHEDULE until interrupted. */
async function followSchedule(
  ctx: CliContext,
  prepared: Prepared,
  connectionId: string,
  stop: StopRequest,
): Promise<void> {
  const scheduler = new SyncScheduler({
    schedule: ctx.config.CRM_INFLUENCE_SCHEDULE,
    store: ctx.store,
    logger: ctx.logger,
    onTick: (_id, outcome) => {
      if (outcome.outcome === 'ran') process.stdout.write(`${describeRun(outcome.report)}\n`);
      process.stdout.write(`next run: ${scheduler.nextRun(connectionId)?.toISOString() ?? 'none'}\n`);
    },
  });
  scheduler.add(connectionId, async () => {
    const { report } = await prepared.run();
    await xCompliance(ctx, prepared, stop);
    return report;
  });
  process.stdout.write(
    `following the schedule "${ctx.config.CRM_INFLUENCE_SCHEDULE}"; next run: ${scheduler.nextRun(connectionId)?.toISOString() ?? 'none'} (Ctrl-C stops)\n`,
  );
  await stop.received;
  // A run in flight ends interrupted (its report is printed); stopping the schedule is a normal exit.
  await scheduler.stop();
}

export function register(program: Command): void {
  program
    .command('sync')
    .description(
      'sync influence scores into one CRM: read changed and stale contacts, score them, write back what changed',
    )
    .option('--crm <crm>', 'which CRM: salesforce or hubspot')
    .option('--once', 'run once and exit (default: run now, then follow CRM_INFLUENCE_SCHEDULE)')
    .option('--dry-run', 'compute and report everything, write nothing to the CRM')
    .option('--full', 'ignore the checkpoint and read every contact')
    .option('--json', 'print exactly one machine-readable run report on stdout (implies --once)')
    .addHelpText(
      'after',
      '\nExit status: 0 when the run finished (ok, partial, budget_reached), 1 when it failed or needs re-auth, 130/143 when\n' +
        'Ctrl-C/SIGTERM interrupted a --once run (it keeps its checkpoint and prints its report; a second signal exits at\n' +
        'once). Following the schedule, Ctrl-C/SIGTERM stops it the same way and exits 0.',
    )
    .action(action);
}
