// The lift table: for each influence tier (and each 10-point score band), how the deals credited to its contacts
// turned out, beside the org as a whole. Pure: contacts with the tier we last wrote, deal outcomes and filters in,
// a report out. Observational, not causal: a tier that wins more may simply sit in better accounts.
import { z } from 'zod';

import type { Outcome } from '../crm/outcomes.ts';
import type { Tier } from '../scoring/types.ts';
import { TIERS } from '../scoring/types.ts';
import { median, rateDifference, wilson, zFor } from './stats.ts';

/** Below these a group's win rate is not judged: "too few to tell". */
export const MIN_CLOSED_DEALS = 20;
export const MIN_CONTACTS = 30;

export const FRAMING =
  'Observational, not causal: contacts in a tier may differ in other ways (accounts, roles, regions). ' +
  'Win-rate intervals are 95 %. A tier is called higher or lower only when its difference from the rest holds for ' +
  'all tiers at once (95 %, Bonferroni); otherwise the difference may be noise.';

export interface ScoredContact {
  recordId: string;
  /** The tier we last wrote; null when never scored (or opted out). */
  tier: Tier | null;
  score: number | null;
  /** Opted out of profiling: in no tier (not Unscored either), only in the org's row. */
  optedOut?: true;
}

const DayOrEmpty = z.iso.date().optional();
export const LiftFiltersSchema = z.object({
  /** Deals created on or after this day (UTC). */
  from: DayOrEmpty,
  /** Deals created on or before this day (UTC). */
  to: DayOrEmpty,
  /** One pipeline (HubSpot pipeline id); all when absent. */
  pipeline: z.string().min(1).optional(),
});
export type LiftFilters = z.infer<typeof LiftFiltersSchema>;

const IntervalSchema = z.object({ low: z.number(), high: z.number() });
export const VERDICTS = ['higher', 'lower', 'no clear difference', 'too few to tell'] as const;

export const LiftRowSchema = z.object({
  /** `A`…`D`, `Unscored`, `All contacts`, or a score band like `70–79`. */
  group: z.string(),
  contacts: z.number().int().nonnegative(),
  contactsWithDeals: z.number().int().nonnegative(),
  shareWithDeals: z.number().nullable(),
  deals: z.number().int().nonnegative(),
  closed: z.number().int().nonnegative(),
  won: z.number().int().nonnegative(),
  winRate: z.number().nullable(),
  winRateInterval: IntervalSchema.nullable(),
  avgWonAmount: z.number().nullable(),
  pipelinePer100: z.number().nullable(),
  medianDaysToClose: z.number().nullable(),
  /** Win rate over the org's win rate (1 = the same). */
  lift: z.number().nullable(),
  /** This group's win rate minus the rest of the org's, with its interval (Bonferroni over the groups judged together). */
  difference: IntervalSchema.extend({ estimate: z.number() }).nullable(),
  /** Against the rest of the org; null on the org's own row. */
  verdict: z.enum(VERDICTS).nullable(),
});
export type LiftRow = z.infer<typeof LiftRowSchema>;

export const LiftReportSchema = z.object({
  computedAt: z.iso.datetime({ offset: true }),
  filters: LiftFiltersSchema,
  pipelines: z.array(z.string()),
  org: LiftRowSchema,
  tiers: z.array(LiftRowSchema),
  unscored: LiftRowSchema,
  bands: z.array(LiftRowSchema),
  framing: z.string(),
});
export type LiftReport = z.infer<typeof LiftReportSchema>;

const DAY_MS = 86_400_000;

function inFilters(outcome: Outcome, filters: LiftFilters): boolean {
  const day = outcome.createdAt.slice(0, 10);
  if (filters.from !== undefined && day < filters.from) return false;
  if (filters.to !== undefined && day > filters.to) return false;
  return filters.pipeline === undefined || outcome.pipeline === filters.pipeline;
}

/** `70–79` for scores 70 to 79.99; the last band takes 100. */
export function scoreBand(score: number): string {
  const low = Math.min(90, Math.floor(score / 10) * 10);
  return `${low}–${low === 90 ? 100 : low + 9}`;
}
export const SCORE_BANDS = Array.from({ length: 10 }, (_, i) => scoreBand(i * 10));

interface Totals {
  closed: number;
  won: number;
}

function row(
  group: string,
  contacts: number,
  deals: readonly Outcome[],
  contactsWithDeals: number,
  org: Totals | null,
  /** How many groups are judged together (the verdicts hold for all of them at once). */
  family = 1,
): LiftRow {
  const closedDeals = deals.filter((d) => d.isClosed);
  const wonDeals = closedDeals.filter((d) => d.isWon);
  const closed = closedDeals.length;
  const won = wonDeals.length;
  const wonAmounts = wonDeals.flatMap((d) => (d.amount === null ? [] : [d.amount]));
  const days = wonDeals.flatMap((d) =>
    d.closeDate === null
      ? []
      : [Math.max(0, Math.round((Date.parse(d.closeDate) - Date.parse(d.createdAt.slice(0, 10))) / DAY_MS))],
  );
  const winRate = closed === 0 ? null : won / closed;
  const orgRate = org === null || org.closed === 0 ? null : org.won / org.closed;
  // Against the rest of the org (the deals not credited to this group), so the group is not compared with itself.
  const difference =
    org === null ? null : rateDifference(won, closed, org.won - won, org.closed - closed, zFor(0.05 / family));
  const verdict: LiftRow['verdict'] =
    org === null
      ? null
      : closed < MIN_CLOSED_DEALS || contacts < MIN_CONTACTS || difference === null
        ? 'too few to tell'
        : difference.low > 0
          ? 'higher'
          : difference.high < 0
            ? 'lower'
            : 'no clear difference';
  return {
    group,
    contacts,
    contactsWithDeals,
    shareWithDeals: contacts === 0 ? null : contactsWithDeals / contacts,
    deals: deals.length,
    closed,
    won,
    winRate,
    winRateInterval: wilson(won, closed),
    avgWonAmount: wonAmounts.length === 0 ? null : wonAmounts.reduce((a, b) => a + b, 0) / wonAmounts.length,
    pipelinePer100: contacts === 0 ? null : (deals.reduce((sum, d) => sum + (d.amount ?? 0), 0) / contacts) * 100,
    medianDaysToClose: median(days),
    lift: winRate === null || orgRate === null || orgRate === 0 ? null : winRate / orgRate,
    difference,
    verdict,
  };
}

/**
 * Groups contacts by tier and score band; a deal counts once in every group one of its contacts belongs to (a deal
 * with contacts in two tiers counts in both) and once for the org. Contacts a deal names that we never scored are
 * Unscored, and counted; contacts who opted out of profiling count in the org's row only.
 */
export function computeLift(
  contacts: readonly ScoredContact[],
  outcomes: readonly Outcome[],
  filters: LiftFilters,
  now: Date,
): LiftReport {
  const byId = new Map<string, ScoredContact>();
  for (const c of contacts) byId.set(c.recordId, c);
  const deals = outcomes.filter((o) => inFilters(o, filters));
  for (const deal of deals)
    for (const id of deal.contactIds) if (!byId.has(id)) byId.set(id, { recordId: id, tier: null, score: null });

  const tierOf = (c: ScoredContact): Tier => c.tier ?? 'Unscored';
  const groupsOf = (c: ScoredContact): string[] => {
    if (c.optedOut === true) return [];
    const groups: string[] = [tierOf(c)];
    if (c.score !== null && c.tier !== null && c.tier !== 'Unscored') groups.push(scoreBand(c.score));
    return groups;
  };
  const members = new Map<string, number>();
  const withDeals = new Map<string, Set<string>>();
  const dealsOf = new Map<string, Map<string, Outcome>>();
  for (const c of byId.values()) for (const g of groupsOf(c)) members.set(g, (members.get(g) ?? 0) + 1);
  const dealContacts = new Set<string>();
  for (const deal of deals) {
    for (const id of deal.contactIds) {
      dealContacts.add(id);
      for (const g of groupsOf(byId.get(id)!)) {
        if (!withDeals.has(g)) withDeals.set(g, new Set());
        withDeals.get(g)!.add(id);
        if (!dealsOf.has(g)) dealsOf.set(g, new Map());
        dealsOf.get(g)!.set(deal.id, deal);
      }
    }
  }
  const credited = deals.filter((d) => d.contactIds.length > 0);
  const orgRow = row('All contacts', byId.size, credited, dealContacts.size, null);
  const org: Totals = { closed: orgRow.closed, won: orgRow.won };
  const groupRow =
    (family: number) =>
    (g: string): LiftRow =>
      row(g, members.get(g) ?? 0, [...(dealsOf.get(g)?.values() ?? [])], withDeals.get(g)?.size ?? 0, org, family);
  return {
    computedAt: now.toISOString(),
    filters,
    pipelines: [...new Set(outcomes.flatMap((o) => (o.pipeline === null ? [] : [o.pipeline])))].sort(),
    org: orgRow,
    tiers: TIERS.filter((t) => t !== 'Unscored').map(groupRow(TIERS.length)),
    unscored: groupRow(TIERS.length)('Unscored'),
    bands: SCORE_BANDS.map(groupRow(SCORE_BANDS.length)),
    framing: FRAMING,
  };
}
