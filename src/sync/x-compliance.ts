// X's rule: data of accounts deleted, deactivated, suspended or made protected on X goes within 24 hours. Our X
// answers are cached for 30 days, so once a day (`serve`) and with each `sync`, the X accounts we hold data about
// are put through X's batch compliance job, and everything held about those it names is forgotten: their cached
// metrics and posts, fresh and last good. Their next look-up finds them gone, so scores stop using them.
import type { Store } from '../store/contract.ts';
import type { SyncLogger } from './logger.ts';

/** The compliance check (src/providers/x-compliance.ts): account ids in, the ids with an event and the reason out. */
export interface ComplianceChecker {
  check(accountIds: readonly string[]): Promise<{ events: ReadonlyMap<string, string> }>;
}

export interface XComplianceOutcome {
  /** X accounts whose data we held and sent for checking. */
  checked: number;
  /** Handles whose data was forgotten, by reason. */
  forgotten: Record<string, number>;
}

/** How often the check runs in `serve`: within X's 24 hours, with room for a job that takes a few hours. */
export const X_COMPLIANCE_INTERVAL_MS = 20 * 3_600_000;

export async function applyXCompliance(
  store: Store,
  checker: ComplianceChecker,
  logger?: SyncLogger,
): Promise<XComplianceOutcome> {
  const handlesById = await store.cachedAccountIds('x');
  if (handlesById.size === 0) return { checked: 0, forgotten: {} };
  const { events } = await checker.check([...handlesById.keys()]);
  const gone: string[] = [];
  const forgotten: Record<string, number> = {};
  for (const [id, reason] of events) {
    for (const handle of handlesById.get(id) ?? []) {
      gone.push(handle);
      forgotten[reason] = (forgotten[reason] ?? 0) + 1;
    }
  }
  await store.forgetCached('x', gone);
  logger?.info({ checked: handlesById.size, forgotten }, 'X compliance: data of gone or protected accounts forgotten');
  return { checked: handlesById.size, forgotten };
}
