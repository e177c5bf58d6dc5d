// Dashboard figures per connection: contacts per score (0–100) and tier, tier counts per day (30 days), and the
// CRM's API budget as the latest run that saw one reported it. Read from the trigger-kept count tables and the run
// reports once per finished run and kept in server_dashboard_summary (and memory), so a page view costs one indexed
// look-up of the latest run.
import { z } from 'zod';

import type { TierThresholds } from '../scoring/tiers.ts';
import { tierOf } from '../scoring/tiers.ts';
import type { SqlAccess } from '../store/contract.ts';
import { RunReportSchema } from '../store/run-report.ts';

export const SummarySchema = z.object({
  /** count per integer score 0…100 */
  scores: z.array(z.number().int().nonnegative()).length(101),
  tiers: z.record(z.string(), z.number().int().nonnegative()),
  /** Contacts per (score, tier as written): the Settings preview moves each by its own tier. Absent in older ones. */
  scoreTiers: z
    .array(z.object({ score: z.number().int(), tier: z.string(), n: z.number().int().nonnegative() }))
    .optional(),
  /** day (YYYY-MM-DD) → tier → count of scores recorded that day */
  daily: z.array(z.object({ day: z.string(), tiers: z.record(z.string(), z.number().int().nonnegative()) })),
  contacts: z.number().int().nonnegative(),
  /** As the latest finished run (scheduled, CLI or demo) that saw one reported it; null before any. */
  budget: RunReportSchema.shape.crmBudget.unwrap().nullable(),
});
export type Summary = z.infer<typeof SummarySchema>;

const DAYS = 30;

// Both tables are kept current by triggers (migration 3), so these read a few hundred rows however many contacts.
const SCORE_SQL = 'SELECT score, tier, n FROM server_score_counts WHERE connection_id = ?1 AND n > 0';
const DAILY_SQL =
  'SELECT day, tier, n FROM server_daily_tiers WHERE connection_id = ?1 AND day >= ?2 AND n > 0 ORDER BY day';
/** The last few finished runs: the newest that carries the CRM's budget gives it (a failed run may have none). */
const BUDGET_SQL =
  'SELECT report FROM runs WHERE connection_id = ?1 AND finished_at IS NOT NULL ORDER BY started_at DESC LIMIT 5';
const ReportBudgetSchema = z.object({ crmBudget: RunReportSchema.shape.crmBudget });

export class DashboardSummaries {
  readonly #inFlight = new Map<string, Promise<Summary>>();
  /** The last summary read per connection, so a page view costs one indexed look-up of the latest run. */
  readonly #cache = new Map<string, { source: string; summary: Summary }>();

  private readonly db: SqlAccess;
  private readonly now: () => Date;

  constructor(db: SqlAccess, now: () => Date = () => new Date()) {
    this.db = db;
    this.now = now;
  }

  async #latestRun(connectionId: string): Promise<string> {
    const rows = await this.db.query<{ run_id: string; finished_at: string | null }>(
      'SELECT run_id, finished_at FROM runs WHERE connection_id = ?1 ORDER BY started_at DESC LIMIT 1',
      [connectionId],
    );
    const row = rows[0];
    return row === undefined ? 'none' : `${row.run_id}@${row.finished_at ?? 'running'}`;
  }

  /** The summary for the latest run; recomputed (once, however many callers wait) when a newer run exists. */
  async get(connectionId: string): Promise<Summary> {
    const source = await this.#latestRun(connectionId);
    const cached = this.#cache.get(connectionId);
    if (cached !== undefined && cached.source === source) return cached.summary;
    const rows = await this.db.query<{ source_run: string; summary: string }>(
      'SELECT source_run, summary FROM server_dashboard_summary WHERE connection_id = ?1',
      [connectionId],
    );
    if (rows[0] !== undefined && rows[0].source_run === source) {
      const parsed = SummarySchema.safeParse(JSON.parse(rows[0].summary));
      if (parsed.success) {
        this.#cache.set(connectionId, { source, summary: parsed.data });
        return parsed.data;
      }
    }
    const key = `${connectionId}|${source}`;
    let pending = this.#inFlight.get(key);
    if (pending === undefined) {
      pending = this.#compute(connectionId, source).finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    return pending;
  }

  async #compute(connectionId: string, source: string): Promise<Summary> {
    const scores = new Array<number>(101).fill(0);
    const tiers: Record<string, number> = {};
    const scoreTiers: NonNullable<Summary['scoreTiers']> = [];
    let contacts = 0;
    for (const row of await this.db.query<{ score: number | null; tier: string | null; n: number | string }>(
      SCORE_SQL,
      [connectionId],
    )) {
      const n = Number(row.n);
      contacts += n;
      const tier = row.tier ?? 'Unscored';
      tiers[tier] = (tiers[tier] ?? 0) + n;
      if (row.score !== null && row.score >= 0 && row.score <= 100) {
        scores[row.score] = (scores[row.score] ?? 0) + n;
        scoreTiers.push({ score: row.score, tier, n });
      }
    }
    const since = new Date(this.now().getTime() - DAYS * 86_400_000).toISOString().slice(0, 10);
    const byDay = new Map<string, Record<string, number>>();
    for (const row of await this.db.query<{ day: string; tier: string; n: number | string }>(DAILY_SQL, [
      connectionId,
      since,
    ])) {
      let day = byDay.get(row.day);
      if (day === undefined) byDay.set(row.day, (day = {}));
      day[row.tier] = Number(row.n);
    }
    let budget: Summary['budget'] = null;
    for (const row of await this.db.query<{ report: string }>(BUDGET_SQL, [connectionId])) {
      const reported = ReportBudgetSchema.safeParse(JSON.parse(row.report)).data?.crmBudget;
      if (reported !== undefined) {
        budget = reported;
        break;
      }
    }
    const summary: Summary = {
      scores,
      tiers,
      scoreTiers,
      contacts,
      daily: [...byDay.entries()].map(([day, t]) => ({ day, tiers: t })),
      budget,
    };
    await this.db.execute(
      `INSERT INTO server_dashboard_summary (connection_id, source_run, computed_at, summary) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (connection_id) DO UPDATE SET source_run = excluded.source_run, computed_at = excluded.computed_at, summary = excluded.summary`,
      [connectionId, source, this.now().toISOString(), JSON.stringify(summary)],
    );
    this.#cache.set(connectionId, { source, summary });
    return summary;
  }
}

/** Tier counts the scores would get under other thresholds (hysteresis ignored: a preview, not a run). */
export function retier(scores: readonly number[], thresholds: TierThresholds): Record<'A' | 'B' | 'C' | 'D', number> {
  const out = { A: 0, B: 0, C: 0, D: 0 };
  scores.forEach((n, score) => {
    out[tierOf(score, thresholds)] += n;
  });
  return out;
}

/**
 * The Settings preview's tier counts, from the Dashboard's summary (same source, same moment). `now` is the tiers as
 * written (what the Dashboard shows). `proposed`: a contact whose written tier is the one the current thresholds give
 * takes the one the new thresholds give; one held elsewhere (hysteresis, the tier-A rule) keeps its tier. Unchanged
 * thresholds therefore preview exactly `now`.
 */
export function previewTiers(
  summary: Pick<Summary, 'scores' | 'tiers' | 'scoreTiers'>,
  current: TierThresholds,
  proposed: TierThresholds,
): { now: Record<Letter, number>; proposed: Record<Letter, number> } {
  const now = Object.fromEntries(LETTERS.map((t) => [t, summary.tiers[t] ?? 0])) as Record<Letter, number>;
  const rows = summary.scoreTiers;
  if (rows === undefined) {
    // A summary stored before scoreTiers: the scores alone (hysteresis ignored).
    const same = current.A === proposed.A && current.B === proposed.B && current.C === proposed.C;
    return { now, proposed: same ? { ...now } : retier(summary.scores, proposed) };
  }
  const moved = { A: 0, B: 0, C: 0, D: 0 };
  for (const { score, tier, n } of rows) {
    if (!isLetter(tier)) continue;
    moved[tierOf(score, current) === tier ? tierOf(score, proposed) : tier] += n;
  }
  return { now, proposed: moved };
}

const LETTERS = ['A', 'B', 'C', 'D'] as const;
type Letter = (typeof LETTERS)[number];
const isLetter = (tier: string): tier is Letter => (LETTERS as readonly string[]).includes(tier);

/** Ten-point buckets for the histogram. */
export function buckets(scores: readonly number[]): { from: number; to: number; n: number }[] {
  return Array.from({ length: 10 }, (_, i) => {
    const from = i * 10;
    const to = i === 9 ? 100 : from + 9;
    let n = 0;
    for (let s = from; s <= to; s += 1) n += scores[s] ?? 0;
    return { from, to, n };
  });
}
