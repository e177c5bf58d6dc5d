// X's rule: data of accounts deleted, deactivated, suspended or made protected on X goes within 24 hours. Our X
// answers are cached for 30 days, so once a day (`serve`) and with each `sync`, the X accounts we hold data about
// are put through X's batch compliance job, and everything held about those it names is forgotten: their cached
// metrics and posts, fresh and last good. What X said is cached instead (as a look-up's `suspended`, `protected` or
// `not_found` answer), and the contacts whose written fields were computed from X data we no longer hold are handed
// to `rescore`: a targeted run re-scores them without it and rewrites their score, tier and factors in the CRM.
import type { ProviderResult } from '../providers/contract.ts';
import { NEGATIVE_TTL_SECONDS } from '../providers/ttl.ts';
import type { Store } from '../store/contract.ts';
import type { SyncLogger } from './logger.ts';
import { MAX_TARGETED_IDS } from './options.ts';

/** The compliance check (src/providers/x-compliance.ts): account ids in, the ids with an event and the reason out. */
export interface ComplianceChecker {
  check(accountIds: readonly string[]): Promise<{ events: ReadonlyMap<string, string> }>;
}

/** Re-scores these records of one connection now (a targeted run) or soon (the server's queue). */
export type Rescore = (connectionId: string, recordIds: readonly string[]) => Promise<void>;

export interface XComplianceOutcome {
  /** X accounts whose data we held and sent for checking. */
  checked: number;
  /** Handles whose data was forgotten, by reason. */
  forgotten: Record<string, number>;
  /** Contacts whose written fields used X data we no longer hold, per connection, handed to `rescore`. */
  rescored: Record<string, number>;
}

export interface XComplianceOptions {
  logger?: SyncLogger | undefined;
  /** Without it, the contacts are only counted (they are found again by the next pass that has one). */
  rescore?: Rescore | undefined;
  now?: () => Date;
}

/** How often the check runs in `serve`: within X's 24 hours, with room for a job that takes a few hours. */
export const X_COMPLIANCE_INTERVAL_MS = 20 * 3_600_000;

/** What a look-up of the account would now answer, so the re-score (and the next runs) need not ask X. */
function answerFor(reason: string): ProviderResult {
  if (reason === 'suspended') return { status: 'suspended' };
  if (reason === 'protected') return { status: 'protected' };
  return { status: 'not_found' };
}

export async function applyXCompliance(
  store: Store,
  checker: ComplianceChecker,
  options: XComplianceOptions = {},
): Promise<XComplianceOutcome> {
  const { logger, rescore } = options;
  const handlesById = await store.cachedAccountIds('x');
  const forgotten: Record<string, number> = {};
  const gone = new Set<string>();
  if (handlesById.size > 0) {
    const { events } = await checker.check([...handlesById.keys()]);
    const answers: { handle: string; result: ProviderResult }[] = [];
    for (const [id, reason] of events) {
      for (const handle of handlesById.get(id) ?? []) {
        gone.add(handle);
        answers.push({ handle, result: answerFor(reason) });
        forgotten[reason] = (forgotten[reason] ?? 0) + 1;
      }
    }
    await store.forgetCached('x', [...gone]);
    await store.putCached('x', answers, NEGATIVE_TTL_SECONDS, (options.now ?? (() => new Date()))());
  }
  // Every contact whose fields rest on an X handle we hold no metrics of: this pass's, and any an earlier pass could
  // not re-score (a connection the CLI did not open, a run that failed).
  const held = new Set([...handlesById.values()].flat().filter((handle) => !gone.has(handle)));
  const byConnection = new Map<string, string[]>();
  for (const contact of await store.contactsScoredOn('x')) {
    if (contact.handles.every((handle) => held.has(handle))) continue;
    byConnection.set(contact.connectionId, [...(byConnection.get(contact.connectionId) ?? []), contact.recordId]);
  }
  const rescored: Record<string, number> = {};
  for (const [connectionId, recordIds] of byConnection) {
    rescored[connectionId] = recordIds.length;
    if (rescore === undefined) continue;
    for (let i = 0; i < recordIds.length; i += MAX_TARGETED_IDS) {
      try {
        await rescore(connectionId, recordIds.slice(i, i + MAX_TARGETED_IDS));
      } catch (error) {
        // The next pass finds them again.
        logger?.warn(
          { connection: connectionId, err: error instanceof Error ? error.message : String(error) },
          'X compliance: re-scoring contacts that used forgotten X data failed; the next check retries',
        );
        break;
      }
    }
  }
  logger?.info(
    { checked: handlesById.size, forgotten, rescored },
    'X compliance: data of gone or protected accounts forgotten, contacts that used it re-scored',
  );
  return { checked: handlesById.size, forgotten, rescored };
}
