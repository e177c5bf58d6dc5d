// The revenue-lift step: read the deal outcomes that changed since the last checkpoint (all of them on the first
// read or with `full`), keep them in the store, and compute and store the lift table over every outcome kept.
// Read-only towards the CRM; its calls are the connector's and count in its usage like a run's.
import type { CrmConnector } from '../crm/contract.ts';
import type { LiftFilters, LiftReport } from '../lift/index.ts';
import { computeLift } from '../lift/index.ts';
import type { OutcomeLog } from '../store/contract.ts';

export interface LiftRefresh {
  report: LiftReport;
  /** Outcomes read from the CRM this time. */
  read: number;
  /** Records left out, each naming the record and the field. */
  invalid: { id: string; message: string }[];
  /** API calls the read took. */
  calls: number;
}

export class LiftUnavailableError extends Error {
  override readonly name = 'LiftUnavailableError';
}

export async function refreshLift(
  connector: CrmConnector,
  log: OutcomeLog,
  connectionId: string,
  options: { full: boolean; now?: () => Date },
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
  for await (const page of connector.readOutcomes(checkpoint)) {
    await log.save(connectionId, page.outcomes, page.checkpoint);
    read += page.outcomes.length;
    invalid.push(...page.invalid);
  }
  const report = await computeStoredLift(log, connectionId, {}, now());
  await log.saveReport(connectionId, report.computedAt, report);
  return { report, read, invalid, calls: usage() - before };
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
