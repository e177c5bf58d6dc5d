// From the model's answer to the fields we write, and the fingerprint of what the model was given.
import { hash } from 'node:crypto';

import type { InfluenceFields } from '../crm/contract.ts';
import type { ReasonCode } from '../scoring/reasons.ts';
import type { ScoredNetworkInput, ScoreResult } from '../scoring/types.ts';

/** Reason code (from the model's closed list) of a contact with no usable social identity: `Unscored`, never `D`. */
export const NO_IDENTITY_REASON: ReasonCode = 'NO_IDENTITY';

/**
 * How the written fields are derived from the model's answer. It is part of the scoring key because an unchanged
 * contact keeps what was last written: a new format must make the next run re-derive every record.
 * 2: top factors without the model's own sign and without the "other factors" line.
 * 3: top factors in whole points with an "other" line, adding up to the score; lines under 2 points folded into it.
 */
const FIELDS_FORMAT = 3;

/** Whole points with their sign: `+12`, `-3`. */
function signed(points: number): string {
  return points > 0 ? `+${points}` : String(points);
}

/** The model's factor text starts with its own sign ("+ X: …", "− X: …"); the line's points carry it instead. */
const MODEL_SIGN = /^[+\u2212] /;

/** A named factor worth fewer whole points says nothing a rep can use ("+1 GitHub: 1 followers"): it joins "other". */
const SMALLEST_LINE_POINTS = 2;
export const OTHER_FACTORS_LINE = 'Other, smaller factors';

/**
 * The strongest named factors (by absolute points), one per line in whole points (`+12 Bluesky: 4.2k followers`),
 * then `+N Other, smaller factors` holding the rest, so the lines add up to the written `score` exactly; the 0-point
 * line of a network scored separately (YouTube) last, as the model words it. Null when there is nothing to say.
 */
export function formatTopFactors(factors: ScoreResult['factors'], count: number, score: number | null): string | null {
  const named = factors.filter((factor) => factor.network !== undefined);
  const shown = named
    .filter((factor) => Math.abs(Math.round(factor.points)) >= SMALLEST_LINE_POINTS)
    .sort((a, b) => Math.abs(b.points) - Math.abs(a.points))
    .slice(0, count);
  const lines = shown.map((factor) => `${signed(Math.round(factor.points))} ${factor.text.replace(MODEL_SIGN, '')}`);
  if (score !== null) {
    const rest = score - shown.reduce((sum, factor) => sum + Math.round(factor.points), 0);
    if (rest !== 0) lines.push(`${signed(rest)} ${OTHER_FACTORS_LINE}`);
  }
  for (const factor of named) if (factor.points === 0) lines.push(factor.text);
  return lines.length === 0 ? null : lines.join('\n');
}

export function toInfluenceFields(result: ScoreResult, now: Date | string, topFactorCount: number): InfluenceFields {
  const score = result.score === null ? null : Math.min(100, Math.max(0, Math.round(result.score)));
  return {
    score,
    tier: result.tier,
    confidence: result.confidence,
    scoredAt: typeof now === 'string' ? now : now.toISOString(),
    topFactors: formatTopFactors(result.factors, topFactorCount, score),
    reasonCodes: result.reasonCodes,
    trend: result.trend,
    // Needs the whole population: filled by the engine from the run's percentile table (see percentileTable).
    orgPercentile: null,
  };
}

/** Org percentile (0–100, whole) of each whole score 0–100; null everywhere when the org has no ranked contact. */
export type PercentileTable = readonly (number | null)[];

/**
 * From the org's score histogram (`Store.getScoreHistogram`: count per whole score, Medium/High confidence only)
 * to the percentile of every whole score. Built once per run, so each contact costs one lookup; the run ranks
 * against the org as it stood at its start. Each entry is the scoring model's `orgPercentile` (ties count half),
 * computed from the histogram's running counts instead of a list of one score per contact (a test holds them equal).
 */
export function percentileTable(histogram: readonly number[]): PercentileTable {
  const total = histogram.reduce((sum, count) => sum + count, 0);
  if (total === 0) return histogram.map(() => null);
  let below = 0;
  return histogram.map((equal) => {
    const percentile = Math.round((1000 * (below + equal / 2)) / total) / 10;
    below += equal;
    return Math.round(percentile);
  });
}

/** The fields with the org percentile of their score (a written score is whole, 0–100). */
export function withPercentile(fields: InfluenceFields, table: PercentileTable): InfluenceFields {
  const orgPercentileValue = fields.score === null ? null : (table[Math.round(fields.score)] ?? null);
  return fields.orgPercentile === orgPercentileValue ? fields : { ...fields, orgPercentile: orgPercentileValue };
}

export function unscoredFields(now: Date, reason: string): InfluenceFields {
  return {
    score: null,
    tier: 'Unscored',
    confidence: null,
    scoredAt: now.toISOString(),
    topFactors: null,
    reasonCodes: [reason],
    trend: null,
    orgPercentile: null,
  };
}

/**
 * Hash of everything the model reads except the clock and history: identities, their metrics (not the fetch
 * time) and the scoring key (model version, options, handle mapping). Equal fingerprints mean re-scoring would give the same answer.
 */
export function inputFingerprint(scoringKey: string, inputs: readonly ScoredNetworkInput[]): string {
  // One network (the common case) needs no ordering.
  const ordered =
    inputs.length < 2
      ? inputs
      : [...inputs].sort((a, b) =>
          `${a.metrics.network}:${a.metrics.handle}`.localeCompare(`${b.metrics.network}:${b.metrics.handle}`),
        );
  const canonical = ordered.map(({ metrics: m, provenance, stale }) => [
    m.network,
    m.handle,
    provenance,
    stale,
    m.followers,
    m.following,
    m.posts,
    m.createdAt ?? null,
    m.verified ?? null,
    m.followersHidden ?? null,
    m.extra ?? null,
    m.recentPosts.map((p) => [p.at, p.reshares, p.replies, p.likes, p.quotes ?? null, p.views ?? null]),
    // Only when present, so fingerprints taken before the field existed stay equal.
    ...(m.lastPostAt === undefined ? [] : [m.lastPostAt]),
  ]);
  // One-shot hash: no Hash object per contact.
  return hash('sha256', JSON.stringify([scoringKey, canonical]), 'base64url');
}

/**
 * A network's weight of 1 is what it has when none is set (options.ts: `weights[network] ?? 1`): the Settings form
 * writes every weight, so an unchanged form must give the key of the settings it came from.
 */
function withoutDefaultWeights(options: unknown): unknown {
  if (options === null || typeof options !== 'object') return options;
  const { weights } = options as { weights?: unknown };
  if (weights === null || typeof weights !== 'object') return options;
  const set = Object.entries(weights as Record<string, unknown>).filter(([, weight]) => weight !== 1);
  return { ...options, weights: Object.fromEntries(set) };
}

/**
 * What decides a contact's written fields besides its record and its metrics: the model version, the fields' format,
 * the scoring options and the connection's handle-field mapping (which handles a record yields). A new key makes the next run re-read and
 * re-score every contact. Object keys are sorted, so equal settings give equal keys whatever their order.
 */
export function scoringKeyOf(modelVersion: string, scoringOptions: unknown, settings: Record<string, unknown>): string {
  const section = (name: string, field: string): unknown => {
    const value = settings[name];
    return value !== null && typeof value === 'object' ? ((value as Record<string, unknown>)[field] ?? null) : null;
  };
  const decisive = {
    scoring: withoutDefaultWeights(scoringOptions ?? null),
    mapping: { salesforce: section('salesforce', 'handleFields'), hubspot: section('hubspot', 'handleProperties') },
  };
  return `${modelVersion} fields-${FIELDS_FORMAT} ${JSON.stringify(decisive, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  )}`;
}
