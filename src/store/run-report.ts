// The run report: printed by `sync --json`, shown by the admin UI, stored per run.
import { z } from 'zod';

import { CrmNameSchema } from '../crm/contract.ts';

/**
 * `interrupted`: stopped by a signal (Ctrl-C, SIGTERM), its checkpoint saved and its lease released.
 * `abandoned`: found still `running` by a later run after its lease had expired (the process was killed or crashed).
 */
export const RunStatusSchema = z.enum([
  'running',
  'ok',
  'partial',
  'budget_reached',
  'needs_reauth',
  'failed',
  'interrupted',
  'abandoned',
]);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const RecordErrorSchema = z.object({
  recordId: z.string(),
  /** Where it failed: `read`, `identity`, `provider`, `score`, `write`. */
  stage: z.enum(['read', 'identity', 'provider', 'score', 'write']),
  code: z.string(),
  message: z.string(),
  retryable: z.boolean(),
});
export type RecordError = z.infer<typeof RecordErrorSchema>;

/** Failed records counted by problem: the same stage, code and words. */
export const ErrorGroupSchema = z.object({
  stage: RecordErrorSchema.shape.stage,
  code: z.string(),
  message: z.string(),
  retryable: z.boolean(),
  count: z.number().int().positive(),
});
export type ErrorGroup = z.infer<typeof ErrorGroupSchema>;

export const RunReportSchema = z.object({
  runId: z.string(),
  connection: z.string(),
  crm: CrmNameSchema,
  dryRun: z.boolean(),
  startedAt: z.iso.datetime({ offset: true }),
  finishedAt: z.iso.datetime({ offset: true }).nullable(),
  status: RunStatusSchema,
  /** Why a run stopped early (budget, re-auth, failure), in words an admin can act on. */
  message: z.string().optional(),
  counts: z.object({
    read: z.number().int(),
    scored: z.number().int(),
    unscored: z.number().int(),
    /** Records the CRM accepted; 0 in a dry run, which writes nothing (see `wouldWrite`). */
    written: z.number().int(),
    /**
     * Dry runs only: records a real run would have written. Dry-run reports from before this field counted them in
     * `written`; read them through `writesOf`.
     */
    wouldWrite: z.number().int().optional(),
    unchanged: z.number().int(),
    optedOut: z.number().int(),
    failed: z.number().int(),
  }),
  apiCalls: z.object({
    crm: z.object({ read: z.number().int(), write: z.number().int(), other: z.number().int() }),
    providers: z.record(z.string(), z.number().int()),
    /**
     * Requests to hosts taken from CRM data that the outbound guard refused to send (an inward address, not https,
     * an odd port, too many redirects). Reports from before this field have none.
     */
    refused: z.number().int().nonnegative().optional(),
    /** Estimated spend of this run per paid network (X: its published pay-per-use prices), in US dollars. */
    estimatedSpendUsd: z.record(z.string(), z.number().nonnegative()).optional(),
    /**
     * Paid networks whose monthly spend cap held look-ups back in this run (the run ends `budget_reached`; the
     * contacts waiting on them are retried by a later run).
     */
    spendCapReached: z.array(z.string()).optional(),
  }),
  errors: z.array(RecordErrorSchema),
  /**
   * Every failed record counted by problem, also those past the `errors` list's cap (the first 100 distinct
   * problems; reports from before this field have none).
   */
  errorGroups: z.array(ErrorGroupSchema).optional(),
  /**
   * Why this run read every contact instead of the changes since its checkpoint: the connection's first run, a
   * changed model / written-fields format / scoring settings (everyone re-scored once), or `--full`. Absent otherwise.
   */
  readAll: z.enum(['first-run', 'scoring-changed', 'requested']).optional(),
  /**
   * The process that ran it (`<host>:<pid>`): a `crm-influence worker` for a queued run on PostgreSQL, else `serve` or
   * the CLI. Kept in the run row's `worker` column too; absent in reports from before it.
   */
  worker: z.string().max(200).optional(),
  /**
   * The run-queue job that asked for it (PostgreSQL): a job taken over after its run had already finished (its worker
   * killed between the two) completes from that run instead of running the connection a second time.
   */
  jobId: z.string().max(100).optional(),
  /**
   * Unscored contacts counted by why (keys of UNSCORED_WORDS; `network_off:<network>` names the network). Absent in
   * reports from before it.
   */
  unscoredBy: z.record(z.string(), z.number().int()).optional(),
  /**
   * Records the CRM sent back only because our own write of the last run moved their modification stamp (HubSpot's
   * lastmodifieddate): not counted as read, nor processed. Absent when there were none.
   */
  ownWritesSkipped: z.number().int().positive().optional(),
  /** The CRM's API allowance as it last reported it during the run; absent when it reported none (or older reports). */
  crmBudget: z.object({ limit: z.number(), remaining: z.number() }).optional(),
  /**
   * Tier-change tasks (when the connection has them on): tasks created for owners of contacts that reached tier A,
   * those the CRM refused (grouped by problem), and rises still waiting for a task (past the per-run cap).
   */
  tierTasks: z
    .object({
      created: z.number().int(),
      failed: z.number().int(),
      waiting: z.number().int(),
      problems: z.array(z.object({ code: z.string(), message: z.string(), count: z.number().int().positive() })),
    })
    .optional(),
});
export type RunReport = z.infer<typeof RunReportSchema>;

/** `readAll` in an admin's words. */
export const READ_ALL_WORDS: Record<NonNullable<RunReport['readAll']>, string> = {
  'first-run': 'every contact (the first run of this connection)',
  'scoring-changed':
    'every contact, each re-scored once: the model, how fields are written, the scoring settings or the imported counts changed since the last run',
  requested: 'every contact (a full run was asked for)',
};

/**
 * A run's writes as a person reads them: `written` for a run, `would write` for a dry run (which writes nothing).
 * Dry-run reports from before `wouldWrite` counted them in `written`.
 */
export function writesOf(report: Pick<RunReport, 'dryRun' | 'counts'>): {
  label: 'written' | 'would write';
  count: number;
} {
  return report.dryRun
    ? { label: 'would write', count: report.counts.wouldWrite ?? report.counts.written }
    : { label: 'written', count: report.counts.written };
}

/** The counts in words, as the CLI and the admin UI show them: `read 1,500 · scored 815 · … · opted out 30 · failed 0`. */
export function countsInWords(
  report: Pick<RunReport, 'dryRun' | 'counts'>,
  formatNumber: (n: number) => string = String,
): string {
  const c = report.counts;
  const writes = writesOf(report);
  return [
    `read ${formatNumber(c.read)}`,
    `scored ${formatNumber(c.scored)}`,
    `unscored ${formatNumber(c.unscored)}`,
    `${writes.label} ${formatNumber(writes.count)}`,
    `unchanged ${formatNumber(c.unchanged)}`,
    `opted out ${formatNumber(c.optedOut)}`,
    `failed ${formatNumber(c.failed)}`,
  ].join(' · ');
}

/** Why contacts are Unscored, and what fixes it. */
export const UNSCORED_WORDS: Record<string, { why: string; fix: string }> = {
  no_handle: {
    why: 'no handle in the mapped fields',
    fix: 'map the fields that hold handles or profile URLs (Settings › Field mapping)',
  },
  not_a_handle: {
    why: 'the mapped fields hold no recognisable handle (a personal website, a typo)',
    fix: 'put a profile URL or @handle in a mapped field',
  },
  not_found: {
    why: 'handle not found (typo, deleted, suspended or private account)',
    fix: 'correct the handle in the CRM',
  },
  no_usable_metrics: {
    why: 'only a network scored apart (YouTube) or one without usable counts',
    fix: 'nothing to do: the YouTube sub-score is in the factors',
  },
  rate_limited: {
    why: 'waiting for a rate-limited network (kept as they were)',
    fix: 'nothing to do: retried next run (a token raises GitHub’s limit)',
  },
  opted_out: { why: 'opted out of profiling (fields cleared)', fix: 'nothing to do: never profiled' },
};

const NETWORK_FIX: Record<string, string> = {
  x: 'enable X: X_ENABLED=true and X_BEARER_TOKEN (paid per read)',
  youtube: 'enable YouTube: YOUTUBE_API_KEY',
  linkedin: 'import LinkedIn counts: crm-influence import --file counts.csv (or Settings › Import counts)',
};

/**
 * The Unscored contacts of a run by why, each with its fix, largest first; opted-out contacts and those waiting for a
 * rate-limited network (not written, retried) as rows of their own.
 */
export function unscoredBreakdown(report: RunReport): { key: string; count: number; why: string; fix: string }[] {
  const rows = Object.entries(report.unscoredBy ?? {}).map(([key, count]) => {
    const network = key.startsWith('network_off:') ? key.slice('network_off:'.length) : null;
    if (network !== null)
      return { key, count, why: `its network (${network}) is off`, fix: NETWORK_FIX[network] ?? `enable ${network}` };
    const words = UNSCORED_WORDS[key] ?? { why: key, fix: '' };
    return { key, count, ...words };
  });
  const waiting = (report.errorGroups ?? [])
    .filter((g) => g.code === 'provider_unavailable')
    .reduce((sum, g) => sum + g.count, 0);
  if (waiting > 0) rows.push({ key: 'rate_limited', count: waiting, ...UNSCORED_WORDS.rate_limited! });
  if (report.counts.optedOut > 0)
    rows.push({ key: 'opted_out', count: report.counts.optedOut, ...UNSCORED_WORDS.opted_out! });
  return rows.sort((a, b) => b.count - a.count);
}
