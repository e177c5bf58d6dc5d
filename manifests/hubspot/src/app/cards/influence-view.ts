// What the card shows, computed from the raw HubSpot property strings (kept apart from the JSX so it is testable
// without a renderer and so the card stays a thin view).

/** The contact properties the card reads (all defined in manifests/hubspot/properties/influence-properties.json). */
export const CARD_PROPERTIES = [
  'influence_score',
  'influence_tier',
  'influence_confidence',
  'influence_trend',
  'influence_top_factors',
  'influence_scored_at',
  'influence_org_percentile',
] as const;

type RawProperties = Record<string, string | null | undefined>;

export type InfluenceView =
  | { kind: 'unscored'; message: string }
  | {
      kind: 'scored';
      score: number;
      tier: string;
      confidence: { label: string; variant: 'success' | 'info' | 'warning' };
      trend: string;
      factors: string[];
      footnote: string;
    };

const CONFIDENCE: Record<string, { label: string; variant: 'success' | 'info' | 'warning' }> = {
  high: { label: 'High confidence', variant: 'success' },
  medium: { label: 'Medium confidence', variant: 'info' },
  low: { label: 'Low confidence', variant: 'warning' },
};

const TREND: Record<string, string> = {
  Rising: '↑ Rising',
  Stable: '→ Stable',
  Falling: '↓ Falling',
  New: 'New score',
};

/** HubSpot returns datetimes as epoch milliseconds or ISO-8601 strings; shown as a plain UTC date. */
export function formatScoredAt(raw: string | null | undefined): string | null {
  if (!raw) return null;
  const date = /^\d+$/.test(raw) ? new Date(Number(raw)) : new Date(raw);
  return Number.isNaN(date.getTime()) ? null : date.toISOString().slice(0, 10);
}

const present = (value: string | null | undefined): value is string =>
  value !== null && value !== undefined && value.trim() !== '';

export function influenceView(properties: RawProperties): InfluenceView {
  const rawScore = properties.influence_score;
  const score = present(rawScore) ? Number(rawScore) : NaN;
  if (!Number.isFinite(score)) {
    return {
      kind: 'unscored',
      message:
        properties.influence_tier === 'Unscored'
          ? 'No usable public social profile was found for this contact. Add a social handle to score it.'
          : 'This contact has not been scored yet. Scores appear after the next sync.',
    };
  }
  const confidence = CONFIDENCE[properties.influence_confidence ?? ''] ?? {
    label: 'Confidence unknown',
    variant: 'warning' as const,
  };
  const factors = (properties.influence_top_factors ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const scoredAt = formatScoredAt(properties.influence_scored_at);
  const percentile = properties.influence_org_percentile;
  const footnote = [
    scoredAt ? `Scored ${scoredAt}` : null,
    present(percentile) ? `higher than ${percentile}% of scored contacts` : null,
  ]
    .filter((part): part is string => part !== null)
    .join(' · ');
  return {
    kind: 'scored',
    score: Math.round(score),
    tier: properties.influence_tier ?? '—',
    confidence,
    trend: TREND[properties.influence_trend ?? ''] ?? '—',
    factors,
    footnote,
  };
}
