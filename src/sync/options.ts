// The options of one run, validated at the boundary (CLI flags, settings, the admin UI all come through here).
import { z } from 'zod';

import { DEFAULT_SCORE_DELTA_THRESHOLD, OverwritePolicySchema } from '../crm/policy.ts';
import { NetworkSchema } from '../scoring/types.ts';
import { describeIssues } from '../zod-issues.ts';

/** Tier-change tasks: a CRM task for the owner when a contact newly reaches tier A. Opt-in per connection. */
export const TierTasksSchema = z.object({
  enabled: z.boolean().default(false),
  /** At most this many tasks per run; the rest wait for the next runs. */
  maxPerRun: z.number().int().min(1).max(1000).default(25),
});
export type TierTasks = z.output<typeof TierTasksSchema>;

/** The most records one targeted run reads (`ids`). */
export const MAX_TARGETED_IDS = 10_000;

export const SyncOptionsSchema = z.object({
  connectionId: z.string().min(1, 'connectionId must name the connection to sync'),
  /** Compute and report everything, write nothing (no CRM writes, no cursor, no sync state). */
  dryRun: z.boolean().default(false),
  /** Ignore the stored cursor and read every contact. */
  full: z.boolean().default(false),
  /**
   * A targeted run (e.g. contacts a webhook announced): read only these records, leave the cursor where it is.
   * Failed records from earlier runs are retried as usual.
   */
  ids: z.array(z.string().min(1)).max(MAX_TARGETED_IDS).optional(),
  /** Re-score a contact whose influence date is older than this. */
  refreshDays: z.number().int().min(1).max(365).default(7),
  /** Stop when less than this fraction of the CRM's API quota remains. */
  budgetFloor: z.number().min(0).max(1).default(0.2),
  /** A score move smaller than this (with nothing else changed) is not written. */
  scoreDeltaThreshold: z.number().min(0).max(100).default(DEFAULT_SCORE_DELTA_THRESHOLD),
  overwritePolicy: OverwritePolicySchema.default({}),
  /** Provider cache lifetime per network (seconds); networks not named use `defaultProviderTtlSeconds`. */
  providerTtlSeconds: z.partialRecord(NetworkSchema, z.number().int().min(0)).default({}),
  defaultProviderTtlSeconds: z.number().int().min(0).default(86_400),
  /** Cache lifetime of `not_found` / `suspended` / `protected` answers (they can change: a typo fixed). */
  negativeTtlSeconds: z.number().int().min(0).default(86_400),
  /** How far back a provider outage may reach for last-good metrics (marked stale). */
  lastGoodMaxAgeDays: z.number().min(0).default(14),
  /** Provider batch calls in flight at once, per network. */
  concurrency: z.number().int().min(1).max(64).default(4),
  /**
   * The longest one page waits for the networks' answers (a rate limit's reset can take 15 minutes). Past it, the
   * page writes what it could score; contacts still waiting on a network are retried next run.
   */
  networkWaitSeconds: z.number().min(0.01).max(3_600).default(120),
  /** Score history older than this is pruned at the end of each run. */
  historyMonths: z.number().int().min(1).max(600).default(24),
  /** Failed records re-read (by id) at the start of a run. */
  retryLimit: z.number().int().min(0).max(100_000).default(1_000),
  /** A record that failed this often is no longer retried automatically (it stays reported). */
  maxAttempts: z.number().int().min(1).default(5),
  /** Lease lifetime; renewed after every page, so a crashed run frees the connection after this long. */
  leaseTtlSeconds: z.number().int().min(5).default(600),
  /** Who runs it (`<host>:<pid>`), recorded on the run (the admin UI's runs page shows it). */
  worker: z.string().min(1).max(200).optional(),
  /** The run-queue job that asked for this run, recorded on it (see RunReport.jobId). */
  jobId: z.string().min(1).max(100).optional(),
  /** At most this many per-record errors are kept in the run report (all are counted and stored). */
  maxReportedErrors: z.number().int().min(0).default(500),
  /** Factors shown in the `topFactors` field. */
  topFactorCount: z.number().int().min(1).max(10).default(3),
  tierTasks: TierTasksSchema.default({ enabled: false, maxPerRun: 25 }),
  /**
   * US dollars a paid network (X) may cost per calendar month (UTC), over every run of this install: look-ups that
   * would pass it are not sent, the run ends `budget_reached`, and the contacts waiting on that network are retried
   * by a later run. Networks not named have no cap.
   */
  monthlySpendCapUsd: z.partialRecord(NetworkSchema, z.number().positive().max(1e9)).default({}),
});

export type SyncOptionsInput = z.input<typeof SyncOptionsSchema>;
export type SyncOptions = z.output<typeof SyncOptionsSchema>;

/** Parses run options; a bad option names itself and what it must be. */
export function parseSyncOptions(input: SyncOptionsInput): SyncOptions {
  const parsed = SyncOptionsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new Error(`invalid sync options: ${describeIssues(parsed.error, { root: 'options' })}`);
}
