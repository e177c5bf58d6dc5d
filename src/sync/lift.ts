// The revenue-lift step: read the deal outcomes that changed since the last checkpoint (all of them on the first
// read or with `full`), keep them in the store, and compute and store the lift table over every outcome kept.
// Read-only towards the CRM; its calls are the connector's and count in its usage like a run's.
import type { CrmConnector } from '../crm/contract.ts';
import type { LiftFilters, LiftReport } from '../lift/index.ts';
import { computeLift } from '../lift/index.ts';
import type { OutcomeLog, Store } from '../store/contract.ts';
import type { RunReport } from '../store/run-report.ts';
import type { SyncLogger } from './logger.ts';

export interface LiftRefresh {
  report: LiftReport;
  /** Outcomes read from the CRM this time. */
  read: number;
  /** Records left out, each naming the record and the field. */
  invalid: { id: string; message: string }[];
  /** API calls the read took. */
  calls: number;
  /** The read stopped at the budget floor: the table covers what was read until then (the rest comes next time). */
  budgetReached: boolean;
}

export class LiftUnavailableError extends Error {
  override readonly name = 'LiftUnavailableError';
}

export async function refreshLift(
  connector: CrmConnector,
  log: OutcomeLog,
  connectionId: string,
  options: { full: boolean; now?: () => Date; budgetFloor?: number },
): Promise<LiftRefresh> {
  if (connector.readOutcomes === undefined)
    throw new LiftUnavailableError(`the ${connector.crm} connector does not read deal outcomes`);
  const now = options.now ?? (() => new Date());
  const usage = () => {
    const c = connector.apiUsage().calls;
    return c.read + c.write + c.other;
  };
  const before = usage();
  const checkpoint = options.full ? null : await log.checkpoint(connectionId);
  if (checkpoint === null) await log.clear(connectionId);
  let read = 0;
  const invalid: LiftRefresh['invalid'] = [];
  // The CRM's shared quota is for the contacts first: the read stops where a run would (the connector's own floor
  // check covers Salesforce calls; this one also covers a CRM that only reports its quota).
  const belowFloor = (): boolean => {
    const budget = connector.apiUsage().budget;
    return options.budgetFloor !== undefined && budget !== undefined && budget.limit > 0
      ? budget.remaining / budget.limit < options.budgetFloor
      : false;
  };
  let budgetReached = belowFloor();
  if (!budgetReached)
    for await (const page of connector.readOutcomes(checkpoint)) {
      await log.save(connectionId, page.outcomes, page.checkpoint);
      read += page.outcomes.length;
      invalid.push(...page.invalid);
      if ((budgetReached = belowFloor())) break;
    }
  const report = await computeStoredLift(log, connectionId, {}, now());
  await log.saveReport(connectionId, report.computedAt, report);
  return { report, read, invalid, calls: usage() - before, budgetReached };
}

/**
 * After a finished run (not a dry run): refresh the lift table. It never fails the run: a CRM without deal access
 * (no Opportunity read, no deals scope) or a failed read is logged, and the page keeps the last table.
 */
export async function liftAfterRun(
  connector: CrmConnector,
  store: Store,
  report: RunReport,
  logger: SyncLogger,
  budgetFloor: number,
): Promise<LiftRefresh | null> {
  const log = store.outcomes;
  if (report.dryRun || !['ok', 'partial'].includes(report.status) || log === undefined) return null;
  if (connector.readOutcomes === undefined) return null;
  try {
    const refreshed = await refreshLift(connector, log, report.connection, { full: false, budgetFloor });
    logger.info(
      {
        connection: report.connection,
        read: refreshed.read,
        calls: refreshed.calls,
        invalid: refreshed.invalid.length,
      },
      'revenue lift refreshed',
    );
    return refreshed;
  } catch (error) {
    logger.warn(
      { connection: report.connection, error: error instanceof Error ? error.message : String(error) },
      'revenue lift not refreshed',
    );
    return null;
  }
}

/** The lift table over the outcomes and tiers the store holds (the admin page filters with this). */
export async function computeStoredLift(
  log: OutcomeLog,
  connectionId: string,
  filters: LiftFilters,
  now: Date,
): Promise<LiftReport> {
  const [contacts, outcomes] = await Promise.all([log.writtenTiers(connectionId), log.list(connectionId)]);
  return computeLift(contacts, outcomes, filters, now);
}
