// Tier-change tasks (opt-in per connection): when the tier we write on a contact becomes A, its owner gets one CRM
// task. The engine notes rises and ends as writes are acknowledged (`tierChange`); at the end of the run the waiting
// rises become tasks, at most `maxPerRun`, in the CRM's batches (`createTierTasks`). The store remembers each rise
// (TierRiseLog), so a re-run or a resumed crash never makes a second task for the same rise.
import type { CrmConnector, CrmContact, InfluenceFields, OwnerTask } from '../crm/contract.ts';
import { BudgetReachedError, NeedsReauthError } from '../crm/errors.ts';
import type { Tier } from '../scoring/types.ts';
import type { Store, TierRise } from '../store/contract.ts';
import type { RunReport } from '../store/run-report.ts';

/** A rise not turned into a task within this many days (tasks off, budget spent, the cap) is no news any more. */
export const TIER_TASK_MAX_AGE_DAYS = 7;
const SUBJECT_NAME_LIMIT = 120;
/** Distinct problems kept in the run report (all are counted). */
const MAX_PROBLEMS = 20;

/** What a write did to the contact's tier: rose to A, left A, or neither. */
export function tierChange(before: Tier | null | undefined, after: Tier | null): 'rose' | 'ended' | null {
  if (after === 'A' && before !== 'A') return 'rose';
  if (after !== 'A' && before === 'A') return 'ended';
  return null;
}

function displayName(contact: CrmContact): string {
  const name = (contact.name ?? contact.email ?? `${contact.objectType} ${contact.id}`).replace(/\s+/g, ' ').trim();
  return name.length > SUBJECT_NAME_LIMIT ? `${name.slice(0, SUBJECT_NAME_LIMIT - 1)}…` : name;
}

/** The rise as the owner's task will say it (plain text; the connector puts it into the CRM's format). */
export function tierRise(
  contact: CrmContact,
  fields: InfluenceFields,
  roseAt: string,
  tierLabelA: string | undefined,
): TierRise {
  const name = displayName(contact);
  const tier = tierLabelA !== undefined && tierLabelA !== 'A' ? `tier A (${tierLabelA})` : 'tier A';
  const confidence = fields.confidence === null ? '' : `, ${fields.confidence} confidence`;
  const factors = (fields.topFactors ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const body = [
    `${name} now has a social influence score of ${fields.score ?? '?'} out of 100: ${tier}${confidence}.`,
    ...(factors.length > 0 ? ['', 'Top factors:', ...factors] : []),
    '',
    `Scored by crm-influence on ${roseAt.slice(0, 10)}. The score measures public social reach and engagement only; its factors and notes are on the record.`,
  ].join('\n');
  return {
    recordId: contact.id,
    objectType: contact.objectType,
    roseAt,
    subject: `Influential contact: ${name} reached ${tier}`,
    body,
  };
}

export type TierTaskReport = NonNullable<RunReport['tierTasks']>;

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Turns the waiting rises into tasks: at most `maxPerRun`, oldest first. A task the CRM created, or refused for good
 * (no owner, record gone), settles its rise; a retryable refusal or a failed call leaves it waiting for the next run.
 */
export async function createTierTasks(args: {
  store: Store;
  connector: CrmConnector;
  connectionId: string;
  maxPerRun: number;
  now: Date;
}): Promise<TierTaskReport> {
  const { store, connector, connectionId, maxPerRun, now } = args;
  const log = store.tierRises;
  const since = new Date(now.getTime() - TIER_TASK_MAX_AGE_DAYS * 24 * 3600 * 1000);
  const report: TierTaskReport = { created: 0, failed: 0, waiting: 0, problems: [] };
  if (log === undefined || connector.createOwnerTasks === undefined) {
    report.problems.push({
      code: 'tasks_unsupported',
      message: `tier-change tasks are on, but ${log === undefined ? 'this store cannot remember rises' : `the ${connector.crm} connector cannot create tasks`}`,
      count: 1,
    });
    return report;
  }
  const rises = await log.take(connectionId, maxPerRun, since);
  if (rises.length > 0) {
    const tasks: OwnerTask[] = rises.map(({ objectType, recordId, subject, body }) => ({
      objectType,
      recordId,
      subject,
      body,
    }));
    try {
      const results = await connector.createOwnerTasks(tasks);
      const byId = new Map(results.map((r) => [r.recordId, r]));
      const outcomes = rises.map((rise) => {
        const result = byId.get(rise.recordId);
        if (result?.ok === true) {
          report.created += 1;
          return { recordId: rise.recordId, state: 'sent' as const, note: null };
        }
        report.failed += 1;
        const code = result?.code ?? 'no_task_result';
        const message = result?.message ?? 'the CRM returned no result for this task';
        const problem = report.problems.find((p) => p.code === code && p.message === message);
        if (problem !== undefined) problem.count += 1;
        else if (report.problems.length < MAX_PROBLEMS) report.problems.push({ code, message, count: 1 });
        return {
          recordId: rise.recordId,
          state: result === undefined || result.retryable ? ('pending' as const) : ('sent' as const),
          note: `${code}: ${message}`,
        };
      });
      await log.settle(connectionId, outcomes);
    } catch (error) {
      // Refused before anything was sent (budget at its floor, re-authorisation needed): the rises wait for the
      // next run. Any other failure may come after the CRM created some tasks (a timeout, retries exhausted): those
      // rises are not sent again, so no owner ever gets a task twice; the report says which may be missing.
      const unsent = error instanceof BudgetReachedError || error instanceof NeedsReauthError;
      await log.settle(
        connectionId,
        rises.map((r) => ({
          recordId: r.recordId,
          state: unsent ? ('pending' as const) : ('sent' as const),
          note: describeError(error),
        })),
      );
      report.failed += rises.length;
      report.problems.push({
        code: unsent ? 'tasks_deferred' : 'tasks_unknown',
        message: unsent
          ? `${describeError(error)}; the tasks are made next run`
          : `${describeError(error)}; the CRM may have created some of these tasks, so they are not sent again`,
        count: rises.length,
      });
    }
  }
  report.waiting = await log.countWaiting(connectionId, since);
  return report;
}
