// Trend and 30-day delta from the stored history (most recent first).
import { parseIsoMs } from './time.ts';
import type { ScoreHistoryPoint, Trend } from './types.ts';

const DAY_MS = 86_400_000;
export const TREND_POINTS = 5;

/**
 * Delta against the newest history point at least 30 days old; without one, against the oldest point we have.
 * `New` when there is no scored history (or no score now).
 */
export function trendOf(
  score: number | null,
  history: readonly ScoreHistoryPoint[],
  now: Date,
): { trend: Trend; delta30d: number | null } {
  if (score === null) return { trend: 'New', delta30d: null };
  const cutoff = now.getTime() - 30 * DAY_MS;
  let reference: ScoreHistoryPoint | undefined;
  let oldest: ScoreHistoryPoint | undefined;
  let oldestAt = Number.POSITIVE_INFINITY;
  let referenceAt = Number.NEGATIVE_INFINITY;
  for (const point of history) {
    if (point.score === null) continue;
    const at = parseIsoMs(point.at);
    if (at <= cutoff && at > referenceAt) {
      reference = point;
      referenceAt = at;
    }
    if (at < oldestAt) {
      oldest = point;
      oldestAt = at;
    }
  }
  const base = reference ?? oldest;
  if (base?.score == null) return { trend: 'New', delta30d: null };
  const delta30d = Math.round((score - base.score) * 10) / 10;
  return { trend: delta30d >= TREND_POINTS ? 'Rising' : delta30d <= -TREND_POINTS ? 'Falling' : 'Stable', delta30d };
}
